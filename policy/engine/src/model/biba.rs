//! The `biba` model: type enforcement plus Biba strict integrity.
//!
//! Levels in a Biba policy are *integrity* grades (a higher sensitivity
//! means more trustworthy). The built-in rule is the dual of
//! Bell-LaPadula: a permission that reads (per the permission map) needs
//! the object's level to dominate the subject's (no read down: a
//! high-integrity process never consumes low-integrity data, which includes
//! executing a low-integrity program, since `execute` and `entrypoint`
//! read); one that writes needs the subject's level to dominate the
//! object's (no write up: low-integrity processes cannot modify, signal or
//! transition into higher-integrity objects and processes — Biba's
//! invocation property falls out of `process` permissions being writes).
//! `mlstrusted` types are exempt from the built-in rule (e.g. an installer
//! or an object server); `mlsconstrain` statements still apply, so a policy
//! can add low-watermark-style exceptions explicitly.
//!
//! New objects get the creator's level, so integrity never increases by
//! creation; processes keep their level across exec.

use crate::db::{Context, PolicyDb};
use crate::error::PolicyError;
use crate::index::PolicyIndex;
use crate::model::lattice::{Property, check_lattice, lattice_av};
use crate::model::{AccessDecision, Grants, PolicyModel};

/// See the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Biba;

impl PolicyModel for Biba {
    fn name(&self) -> &str {
        "biba"
    }

    /// Type enforcement minus the lattice rule and `mlsconstrain`: only removes.
    fn grants(&self, _db: &PolicyDb) -> Grants {
        Grants::SubsetOfRules
    }

    fn check_policy(&self, p: &PolicyIndex) -> Result<(), PolicyError> {
        check_lattice(p, "biba")
    }

    fn validate_trans(&self, p: &PolicyIndex, old: &Context, new: &Context, task: &Context, class: u16) -> bool {
        crate::model::te::validatetrans_holds(p, old, new, task, class, true)
    }

    fn compute_av(&self, p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision {
        lattice_av(p, s, t, class, Property::Integrity)
    }
}
