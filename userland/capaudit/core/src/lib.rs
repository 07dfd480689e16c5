//! The capability-graph auditor's logic (docs/assurance.md §8).
//!
//! The kernel dumps, for an auditor holding the `Audit` capability, which
//! thread holds which capability (`rampart_abi::audit`). This crate turns
//! that dump into the system's actual authority between tasks and checks
//! it against the loaded policy:
//!
//! 1. [`dump::parse`] reads the records into threads and the capabilities
//!    listed under them;
//! 2. [`graph::build`] attributes every capability to a task ([`Subject`],
//!    found by the kernel's thread id), then derives
//!    - **channels**: task `H` holds a capability with Write to endpoint
//!      `E`, and task `R ≠ H` holds one with Read (it can receive on `E`):
//!      `H` can send to `R`;
//!    - **fault edges**: `E` is the fault or timeout endpoint of one of
//!      `H`'s threads (the kernel sends `H`'s faults to whoever receives on
//!      `E`);
//!    - **control edges**: `H` holds a capability to another task's TCB,
//!      CSpace root CNode or VSpace (full authority over that task);
//!    - **shared receivers**: an endpoint more than one task (CSpace) can
//!      receive on, always a violation: either could take calls meant for
//!      the other (the connection server once kept such a right on every
//!      service endpoint);
//! 3. [`check::check`] decides each channel and fault edge with the
//!    policy's `service connect` rule from `H`'s context to `R`'s (a
//!    callback asks the security server), falls back to the explicit,
//!    documented list of trusted components [`check::TRUSTED`] for what the
//!    policy does not grant, and reports every other edge as a violation;
//!    control edges have no policy rule and must be on the trusted list.
//!
//! Everything here is pure and host-tested; the in-guest program
//! (`userland/capaudit`) only gathers the inputs and prints the report.
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod check;
pub mod dump;
pub mod graph;
pub mod memory;

use alloc::string::String;

/// A task as the auditor knows it (from rm's task list, init's own entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// Process id (0: rm).
    pub pid: u32,
    /// Program name.
    pub name: String,
    /// Security context, `user:role:type[:level]`.
    pub context: String,
}

impl Subject {
    /// The type (domain) field of the context; "" if it has fewer than
    /// three fields.
    pub fn domain(&self) -> &str {
        domain_of(&self.context)
    }
}

/// The type field of a context `user:role:type[:level]`; "" if malformed.
pub fn domain_of(context: &str) -> &str {
    context.split(':').nth(2).unwrap_or("")
}
