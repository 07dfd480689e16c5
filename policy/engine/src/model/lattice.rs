//! The part shared by the lattice models (`mls`, `biba`): a type-enforcement
//! decision, then the model's built-in read/write rule over the permission
//! map, then `mlsconstrain`.

use crate::db::Context;
use crate::error::PolicyError;
use crate::index::PolicyIndex;
use crate::model::AccessDecision;
use crate::model::te::{failed_constraints, te_av};

/// Which lattice property the built-in rule enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Property {
    /// Bell-LaPadula: read down (`l1 dom l2`), write up (`l1 domby l2`).
    Confidentiality,
    /// Biba strict integrity: read up (`l1 domby l2`), write down
    /// (`l1 dom l2`).
    Integrity,
}

/// Lattice models need the MLS section.
pub fn check_lattice(p: &PolicyIndex, model: &str) -> Result<(), PolicyError> {
    if p.db.mls.is_none() {
        return Err(PolicyError::Invalid(alloc::format!("model {model} needs sensitivities (an MLS-enabled policy)")));
    }
    Ok(())
}

/// TE decision restricted by the built-in property (unless the source or
/// the target type is `mlstrusted`) and by every `mlsconstrain`.
pub fn lattice_av(p: &PolicyIndex, s: &Context, t: &Context, class: u16, prop: Property) -> AccessDecision {
    let mut d = te_av(p, s, t, class);
    let (Some(sr), Some(tr)) = (&s.range, &t.range) else {
        d.allowed = 0;
        d.auditallow = 0;
        return d;
    };
    if !(p.is_trusted(s.ty) || p.is_trusted(t.ty))
        && let Some(f) = p.flows(class)
    {
        let down = sr.low.dominates(&tr.low); // subject at or above object
        let up = tr.low.dominates(&sr.low); // object at or above subject
        let (may_read, may_write) = match prop {
            Property::Confidentiality => (down, up),
            Property::Integrity => (up, down),
        };
        if !may_read {
            d.allowed &= !f.read_mask;
        }
        if !may_write {
            d.allowed &= !f.write_mask;
        }
    }
    d.allowed &= !failed_constraints(p, s, t, class, true);
    d.auditallow &= d.allowed;
    d
}
