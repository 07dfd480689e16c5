//! What a model may grant relative to the policy's `allow` rules: the
//! contract between decision models and static analyses (`polc check`,
//! `flow`, `prove`), stated by [`super::PolicyModel::grants`].
//!
//! The analyses reason about *rules*, at the level of types. A model
//! reasons about *contexts* and may add to or take away from what the rules
//! say. The analyses are sound for a model only if they know an upper bound
//! on what it grants, in terms of types:
//!
//! Let `R(S, T, C)` be the union of the permissions of every `allow` rule on
//! class `C` whose source is `S` or an attribute of `S` and whose target is
//! `T` or an attribute of `T` — unconditional rules and the rules of *both*
//! branches of every conditional. A model declaring `D` promises that for
//! every boolean setting, every pair of contexts `s`, `t` (of types `S`,
//! `T`) and every class `C`:
//!
//! ```text
//! compute_av(s, t, C).allowed  ⊆  R(S, T, C) ∪ X_D(S, T, C)
//! ```
//!
//! where `X_D` is empty for [`Grants::SubsetOfRules`], the matching
//! [`ExtraGrant`]s for [`Grants::Extra`], every permission of `C` for
//! [`Grants::Everything`]; [`Grants::Unknown`] promises nothing, and the
//! analyses then refuse to analyse (they never print "proved" for a model
//! they cannot bound). Over-approximating is allowed (a proof stays a
//! proof; a counterexample may then not be realisable), under-declaring is
//! a bug in the model.
//!
//! Only `allowed` is covered: labelling (`compute_create`) and context
//! validity are not part of the contract, because the analyses reason
//! about types, and a process changes type only through `process`
//! permissions the contract already covers.

use alloc::string::String;
use alloc::vec::Vec;

use crate::ids::AccessVector;

/// A model's declaration of what it may grant; see the module
/// documentation for the exact contract.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Grants {
    /// The model does not say. Analyses refuse policies using it. This is
    /// the default of [`super::PolicyModel::grants`], so a model nobody
    /// thought about for analysis can still run, but is never "proved".
    #[default]
    Unknown,
    /// The model grants only what the `allow` rules grant (it may take
    /// permissions away: booleans, `constrain`, lattice rules). Analyses
    /// over the rules are sound upper bounds. `te`, `mls`, `biba`.
    SubsetOfRules,
    /// The rules plus these grants (the union is an upper bound).
    Extra(Vec<ExtraGrant>),
    /// Every permission of every class between any two types, whatever
    /// the rules say. `allow-all`.
    Everything,
}

/// One grant a model may make beyond the rules: every permission in
/// `perms` of class `class`, from every type in `src` to every type in
/// `tgt` (the cross product; a type or attribute id stands for its concrete
/// types, as in a rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraGrant {
    /// Source types or attributes.
    pub src: Vec<u32>,
    /// Target types or attributes.
    pub tgt: Vec<u32>,
    /// Class number.
    pub class: u16,
    /// Permissions (bits of `class`).
    pub perms: AccessVector,
    /// Why the model grants it, for counterexamples ("remote operators
    /// read every file").
    pub reason: String,
}
