//! The `allow-all` model: every permission is granted and nothing is
//! audited. Contexts only need to name declared users, roles and types.
//! New objects inherit the creator's context with the target's type, as in
//! `te` but without transitions. Useful for bring-up and as a baseline.

use crate::db::{Context, PolicyDb};
use crate::error::PolicyError;
use crate::index::PolicyIndex;
use crate::model::{AccessDecision, Grants, PolicyModel};

/// See the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllowAll;

impl PolicyModel for AllowAll {
    fn name(&self) -> &str {
        "allow-all"
    }

    /// Grants every permission whatever the rules say.
    fn grants(&self, _db: &PolicyDb) -> Grants {
        Grants::Everything
    }

    fn validate_context(&self, _p: &PolicyIndex, _c: &Context) -> Result<(), PolicyError> {
        Ok(())
    }

    fn compute_av(&self, p: &PolicyIndex, _s: &Context, _t: &Context, class: u16) -> AccessDecision {
        AccessDecision { allowed: p.class_mask(class), auditallow: 0, auditdeny: 0, seqno: 0 }
    }

    fn compute_create(
        &self,
        p: &PolicyIndex,
        s: &Context,
        t: &Context,
        class: u16,
        _name: Option<&str>,
    ) -> Result<Context, PolicyError> {
        if p.db.class(class).is_none() {
            return Err(PolicyError::UnknownClass(class));
        }
        let mut c = s.clone();
        if Some(class) != p.process_class {
            c.ty = t.ty;
            c.role = p.object_role.unwrap_or(s.role);
        }
        Ok(c)
    }
}
