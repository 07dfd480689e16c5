//! The `mls` model: type enforcement plus Bell-LaPadula confidentiality.
//!
//! A permission that reads (per the permission map, see
//! [`crate::permmap`]) needs the subject's current level to dominate the
//! object's (no read up, the simple security property); one that writes
//! needs the object's level to dominate the subject's (no write down, the
//! *-property); a two-way permission needs equal levels. Types listed in
//! `mlstrusted` (as source or target) are exempt from these built-in rules
//! — they are trusted to enforce the lattice themselves, as an object
//! server does for its clients — but every `mlsconstrain` still applies.
//! Transitions and new objects are computed as in [`super::te`]: processes
//! keep their range, objects get the creator's current level.

use crate::db::{Context, PolicyDb};
use crate::error::PolicyError;
use crate::index::PolicyIndex;
use crate::model::lattice::{Property, check_lattice, lattice_av};
use crate::model::{AccessDecision, Grants, PolicyModel};

/// See the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mls;

impl PolicyModel for Mls {
    fn name(&self) -> &str {
        "mls"
    }

    /// Type enforcement minus the lattice rule and `mlsconstrain`: only removes.
    fn grants(&self, _db: &PolicyDb) -> Grants {
        Grants::SubsetOfRules
    }

    fn check_policy(&self, p: &PolicyIndex) -> Result<(), PolicyError> {
        check_lattice(p, "mls")
    }

    fn validate_trans(&self, p: &PolicyIndex, old: &Context, new: &Context, task: &Context, class: u16) -> bool {
        crate::model::te::validatetrans_holds(p, old, new, task, class, true)
    }

    fn compute_av(&self, p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision {
        lattice_av(p, s, t, class, Property::Confidentiality)
    }
}
