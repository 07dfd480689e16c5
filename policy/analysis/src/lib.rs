//! # policy-analysis — analyses of compiled Rampart policies
//!
//! All analyses work on a [`rampart_policy::PolicyDb`] (from the compiler
//! or decoded from a binary policy) and report positions in the policy
//! source when the binary carries them.
//!
//! - [`check`]: every `neverallow` against every rule (both branches of
//!   every conditional).
//! - [`query`]: `sesearch`-like rule search with attribute expansion.
//! - [`flow`]: the information-flow graph (permission map in
//!   [`rampart_policy::permmap`], overridable with [`permmap`] files);
//!   shortest and all simple paths.
//! - [`prove`]: neverallows plus `noflow` assertions decided exactly by
//!   reachability, with counterexample paths.
//!
//! - [`diff`]: what changed between two policies (`polc diff`).
//! - [`explain`]: why a denial happened (`polc why`) and the rules that
//!   would allow it (`polc allow`), flagged against the neverallows.
//! - [`model`]: what the policy's decision model may grant beyond the
//!   rules, from the model's own declaration
//!   ([`rampart_policy::PolicyModel::grants`]).
//!
//! What each analysis proves, exactly, is in `docs/policy-analysis.md`.
//! `check`, `flow` and `prove` take a [`ModelGrants`], which exists only
//! for a model that declares an upper bound on what it grants; a model
//! that does not is refused ([`Refusal`]) rather than analysed as if it
//! followed the rules. They consider every rule under every boolean
//! setting plus the model's declared extra grants, and ignore what models
//! and constraints take away, so they over-approximate: a proof holds for
//! the model (`te`, `mls`, `biba`, or any other that declares), a
//! counterexample may not be realisable in it.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

/// The `alloc` names the modules use (`no_std`: the guest's `semodule`
/// runs [`check`] before loading a policy).
pub(crate) mod prelude {
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

pub mod check;
pub mod diff;
pub mod explain;
pub mod flow;
pub mod model;
pub mod permmap;
pub mod prove;
pub mod query;
pub mod rules;

pub use check::{Violation, check};
pub use flow::{FlowGraph, FlowOptions};
pub use model::{ModelGrants, Refusal};
pub use prove::{Outcome, prove};
pub use query::{Query, QueryKind, query};
