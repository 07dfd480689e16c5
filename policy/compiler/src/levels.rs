//! Resolution of levels, ranges and security contexts written in the
//! source.

use rampart_policy::db::Context;
use rampart_policy::mls::{CatSet, Level, MlsRange};

use crate::ast::{ContextAst, LevelAst, RangeAst};
use crate::diag::Diagnostics;
use crate::symbols::Symbols;

/// Resolves `sens[:cats]`; `None` after reporting an error.
pub fn level(sym: &Symbols, l: &LevelAst, d: &mut Diagnostics) -> Option<Level> {
    if !sym.is_mls() {
        d.error(l.sens.span, "levels need an MLS policy (declare `sensitivity` first)");
        return None;
    }
    let sens = sym.sensitivity(&l.sens, d);
    let mut cats = CatSet::new();
    let mut ok = true;
    for (a, b) in &l.cats {
        let ca = sym.category(a, d);
        let cb = match b {
            Some(b) => sym.category(b, d),
            None => ca,
        };
        match (ca, cb) {
            (Some(x), Some(y)) if x <= y => (x..=y).for_each(|c| cats.insert(c)),
            (Some(_), Some(_)) => {
                d.error(a.span, "category span is reversed (first must come before last)");
                ok = false;
            }
            _ => ok = false,
        }
    }
    Some(Level { sens: sens?, cats }).filter(|_| ok)
}

/// Resolves `low[-high]` and checks that high dominates low.
pub fn range(sym: &Symbols, r: &RangeAst, d: &mut Diagnostics) -> Option<MlsRange> {
    let low = level(sym, &r.low, d)?;
    let high = match &r.high {
        Some(h) => level(sym, h, d)?,
        None => low.clone(),
    };
    let rg = MlsRange { low, high };
    if !rg.is_well_formed() {
        d.error(r.low.sens.span, "range high level does not dominate its low level");
        return None;
    }
    Some(rg)
}

/// Resolves a context. In an MLS policy a missing range means the user's
/// default level, else `default` (the policy's `defaultlevel`).
pub fn context(sym: &Symbols, c: &ContextAst, default: &Level, d: &mut Diagnostics) -> Option<Context> {
    let user = sym.user(&c.user, d);
    let role = sym.role(&c.role, d);
    let ty = sym.concrete_type(&c.ty, d);
    let range = match (&c.range, sym.is_mls()) {
        (Some(r), _) => Some(range(sym, r, d)?),
        (None, true) => {
            let def = user.and_then(|u| sym.users[u as usize].default_level.clone()).unwrap_or_else(|| default.clone());
            Some(MlsRange::single(def))
        }
        (None, false) => None,
    };
    Some(Context { user: user?, role: role?, ty: ty?, range })
}
