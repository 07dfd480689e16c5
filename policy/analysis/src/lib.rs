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
//! What each analysis proves, exactly, is in `docs/policy-analysis.md`.
//! The analyses are sound for type enforcement (they consider every rule
//! under every boolean setting) and ignore what lattice models and
//! constraints take away, so they over-approximate what an MLS or Biba
//! policy allows: a proof holds for those models too, a counterexample
//! may not be realisable in them.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod check;
pub mod flow;
pub mod permmap;
pub mod prove;
pub mod query;
pub mod rules;

pub use check::{Violation, check};
pub use flow::{FlowGraph, FlowOptions};
pub use prove::{Outcome, prove};
pub use query::{Query, QueryKind, query};
