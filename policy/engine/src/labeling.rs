//! Labeling rules beyond `type_transition` (SELinux's kernel policy
//! language, "Role statements", "MLS statements", "Type statements" and
//! "Constraint statements" of the SELinux Notebook):
//!
//! - [`RoleTransition`]: the role of a new process (or object) created by a
//!   role from a target type (`role_transition`);
//! - [`RangeTransition`]: its MLS range (`range_transition`);
//! - [`TypeBounds`]: a child type may never be granted more than its
//!   parent (`typebounds`; the compiler refuses a policy whose rules break
//!   it, and decisions for the child are masked by the parent's as
//!   SELinux does at run time);
//! - [`ValidateTrans`]: a condition on relabelling an object from an old
//!   to a new context by a task (`validatetrans`, `mlsvalidatetrans`),
//!   evaluated by [`crate::Policy::validate_trans`] for the file server's
//!   relabel operation.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

use crate::db::{ConsNode, Origin};
use crate::mls::MlsRange;

/// `role_transition ROLE TYPE : CLASS NEW_ROLE;` after expansion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleTransition {
    /// The creating (executing) process's role.
    pub role: u32,
    /// Concrete target type (the executable for `process`, the parent
    /// directory for files).
    pub ty: u32,
    /// Class of the new object (`process` when the rule names none).
    pub class: u16,
    /// The new role.
    pub new_role: u32,
    /// Where the rule was written.
    pub origin: Option<Origin>,
}

/// `range_transition SRC TGT : CLASS RANGE;` after expansion.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeTransition {
    /// Concrete source type.
    pub src: u32,
    /// Concrete target type.
    pub tgt: u32,
    /// Class of the new object (`process` when the rule names none).
    pub class: u16,
    /// The new object's range.
    pub range: MlsRange,
    /// Where the rule was written.
    pub origin: Option<Origin>,
}

/// `typebounds PARENT CHILD;`: `child` is bounded by `parent`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeBounds {
    /// The bounding type (concrete).
    pub parent: u32,
    /// The bounded type (concrete).
    pub child: u32,
    /// Where it was written.
    pub origin: Option<Origin>,
}

/// `validatetrans CLASS EXPR;`: relabelling an object of `class` is
/// allowed only when `expr` holds over the old context (`u1 r1 t1 l1
/// h1`), the new one (`u2 ...`) and the relabelling task (`u3 r3 t3`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateTrans {
    /// Class number.
    pub class: u16,
    /// Expression, RPN ([`crate::db::Side::Task`] names the task).
    pub expr: Vec<ConsNode>,
    /// `mlsvalidatetrans` (evaluated only by lattice models).
    pub mls: bool,
    /// Where it was written.
    pub origin: Option<Origin>,
}
