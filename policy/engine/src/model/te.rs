//! The `te` model: type enforcement with role-based access control.
//!
//! - **Decisions**: the union of `allow` rules over the attributes of the
//!   source and target types (see [`crate::index`]), minus permissions
//!   whose `constrain` expressions are false. `auditallow` marks granted
//!   permissions to audit; `dontaudit` clears bits of `auditdeny`.
//! - **Role changes**: `process { transition dyntransition }` to a context
//!   with a different role needs `allow OLD_ROLE NEW_ROLE;`.
//! - **Valid contexts**: the user is authorised for the role and the role
//!   for the type (`object_r` is implicitly authorised for every user and
//!   type, as in SELinux); in an MLS-enabled policy the range must lie in
//!   the user's range (for roles other than `object_r`).
//! - **New contexts**: a process keeps its user and takes the
//!   `role_transition` role (else keeps its role), the `type_transition`
//!   type (else keeps its type) and the `range_transition` range (else
//!   keeps its range); an object gets the creator's user, the
//!   `role_transition` role (else `object_r`), the `type_transition` type
//!   (a rule naming the object wins) or the parent's type, and the
//!   `range_transition` range (else the creator's low level). The result
//!   must be valid: a role cannot transition into a type it is not
//!   authorised for.
//! - **Bounds**: a type bounded by another (`typebounds`) is granted at
//!   most what its bound is granted.
//!
//! The functions are public so lattice models can build on them.

use alloc::format;

use crate::cond::{eval_constraint, eval_validatetrans};
use crate::db::{Context, PolicyDb};
use crate::error::PolicyError;
use crate::index::PolicyIndex;
use crate::mls::MlsRange;
use crate::model::{AccessDecision, Grants, PolicyModel};

/// See the module documentation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Te;

/// Type-enforcement decision including `constrain` (not `mlsconstrain`)
/// and the role-change rule.
pub fn te_av(p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision {
    let e = p.lookup(s.ty, t.ty, class);
    let mut allowed = e.allow & p.class_mask(class);
    // `typebounds`: a bounded type gets at most what its bound gets (on
    // the bound itself where the target is the child), as in SELinux.
    // The compiler refuses rules that exceed the bound; this keeps a
    // binary policy built elsewhere to the same rule. Bounds chain.
    let mut child = s.ty;
    for _ in 0..p.db.bounds.len() {
        let Some(parent) = p.bound_of(child) else { break };
        let target = if t.ty == child { parent } else { t.ty };
        allowed &= p.lookup(parent, target, class).allow;
        child = parent;
    }
    allowed &= !failed_constraints(p, s, t, class, false);
    if Some(class) == p.process_class && s.role != t.role && !p.db.role_allows.contains(&(s.role, t.role)) {
        for perm in ["transition", "dyntransition"] {
            if let Some(bit) = p.db.perm_bit(class, perm) {
                allowed &= !bit;
            }
        }
    }
    AccessDecision {
        allowed,
        auditallow: e.auditallow & allowed,
        auditdeny: !e.dontaudit & p.class_mask(class),
        seqno: 0,
    }
}

/// The permissions removed by the (`mls` = `true`: `mlsconstrain`,
/// otherwise `constrain`) constraints on `class` whose expression is false.
pub fn failed_constraints(p: &PolicyIndex, s: &Context, t: &Context, class: u16, mls: bool) -> u32 {
    p.db.constraints
        .iter()
        .filter(|c| c.class == class && c.mls == mls)
        .filter(|c| !eval_constraint(&c.expr, s, t))
        .fold(0, |acc, c| acc | c.perms)
}

/// Whether every `validatetrans` on `class` (and, when `mls`, every
/// `mlsvalidatetrans` too) holds for relabelling from `old` to `new` by
/// `task`.
pub fn validatetrans_holds(
    p: &PolicyIndex,
    old: &Context,
    new: &Context,
    task: &Context,
    class: u16,
    mls: bool,
) -> bool {
    p.db.validatetrans
        .iter()
        .filter(|v| v.class == class && (mls || !v.mls))
        .all(|v| eval_validatetrans(&v.expr, old, new, task))
}

/// Checks user-role and role-type authorisation and the user's range.
///
/// # Errors
/// [`PolicyError::InvalidContext`] saying which authorisation fails.
pub fn te_validate(p: &PolicyIndex, c: &Context) -> Result<(), PolicyError> {
    let db = &p.db;
    let (Some(user), Some(role)) = (db.users.get(c.user as usize), db.roles.get(c.role as usize)) else {
        return Err(PolicyError::InvalidContext("bad ids".into()));
    };
    if Some(c.role) == p.object_role {
        return Ok(());
    }
    if user.roles.binary_search(&c.role).is_err() {
        return Err(PolicyError::InvalidContext(format!(
            "user {} is not authorised for role {}",
            user.name, role.name
        )));
    }
    if role.types.binary_search(&c.ty).is_err() {
        return Err(PolicyError::InvalidContext(format!(
            "role {} is not authorised for type {}",
            role.name,
            db.type_name(c.ty)
        )));
    }
    if let (Some(ur), Some(cr)) = (&user.range, &c.range)
        && !ur.contains(cr)
    {
        return Err(PolicyError::InvalidContext(format!("range is outside user {}'s range", user.name)));
    }
    Ok(())
}

/// The default new context (before validation); see the module docs.
///
/// # Errors
/// [`PolicyError::UnknownClass`] for an unknown class.
pub fn te_create(
    p: &PolicyIndex,
    s: &Context,
    t: &Context,
    class: u16,
    name: Option<&str>,
) -> Result<Context, PolicyError> {
    if p.db.class(class).is_none() {
        return Err(PolicyError::UnknownClass(class));
    }
    let newt = p.transition(s.ty, t.ty, class, name);
    let role = p.role_transition(s.role, t.ty, class);
    let range = p.range_transition(s.ty, t.ty, class).cloned();
    if Some(class) == p.process_class {
        Ok(Context {
            user: s.user,
            role: role.unwrap_or(s.role),
            ty: newt.unwrap_or(s.ty),
            range: range.or_else(|| s.range.clone()),
        })
    } else {
        Ok(Context {
            user: s.user,
            role: role.or(p.object_role).unwrap_or(s.role),
            ty: newt.unwrap_or(t.ty),
            range: range.or_else(|| s.range.as_ref().map(|r| MlsRange::single(r.low.clone()))),
        })
    }
}

impl PolicyModel for Te {
    fn name(&self) -> &str {
        "te"
    }

    /// The rules, minus booleans, `constrain` and the role-change rule.
    fn grants(&self, _db: &PolicyDb) -> Grants {
        Grants::SubsetOfRules
    }

    fn compute_av(&self, p: &PolicyIndex, s: &Context, t: &Context, class: u16) -> AccessDecision {
        te_av(p, s, t, class)
    }
}
