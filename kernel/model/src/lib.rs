//! An executable abstract specification of the Rampart kernel's capability
//! and IPC semantics, with its invariants, an exhaustive explorer for small
//! configurations, and refinement tests of the real kernel core against it.
//!
//! The model follows seL4's abstract specification in spirit: objects live
//! at addresses ([`state`]), untyped memory is a capability to a region with
//! a watermark, and the capability derivation tree is an explicit parent
//! map ([`cdt`]) instead of the kernel's linked list. Operations
//! ([`op::Op`]) are system calls as a thread makes them; [`op::step`] is the
//! transition function, built from [`cnode`] (retype, copy, mint, move,
//! mutate, delete, revoke, finalisation) and [`ipc`] (send, receive, call,
//! reply with capability grant and badge unwrapping, notifications).
//!
//! What is checked: [`invariants`] on every state, [`authority`]
//! confinement on every transition, exhaustively up to a depth by
//! [`explore`], and the real kernel against the model by [`refine`]. See
//! `docs/assurance.md`.

#![warn(missing_docs)]

pub mod authority;
pub mod boot;
pub mod cdt;
pub mod cnode;
pub mod devices;
pub mod explore;
pub mod inv;
pub mod invariants;
pub mod ipc;
pub mod op;
pub mod ops_gen;
pub mod outcome;
pub mod refine;
pub mod rng;
pub mod sched;
pub mod state;
pub mod tcb;
pub mod thread;
pub mod vspace;

/// What threads saw during one operation: (thread, outcome), in order.
pub type Events = Vec<(state::Addr, state::Outcome)>;
