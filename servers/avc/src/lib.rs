//! # rampart-avc — the access vector cache
//!
//! Every Rampart object server (file, network, device manager, console,
//! resource manager, connection server) checks each operation on an object
//! with [`Avc::has_perm`]. Decisions come from the security server's
//! `compute_av` through a server-supplied [`AvcBackend`] (an IPC call in a
//! real server, a direct call into `rampart-policy` in tests) and are
//! cached here, keyed by (source SID, target SID, class).
//!
//! ## Design
//! - **Fixed capacity, no allocation.** The cache is a `SETS × WAYS`
//!   set-associative array inside the [`Avc`] value (const generics), so it
//!   can live in a `static` of a freestanding server. A miss evicts the
//!   stalest entry of one set; the cache never grows.
//! - **Tiny hit path.** A lookup mixes the three integers into a set index
//!   (two multiplies, shifts and xors), then compares at most `WAYS` keys —
//!   no hashing of strings, no allocation, no branches on policy content.
//!   Measured at 40-60 instructions per hit (see `examples/avc_bench.rs`
//!   and `docs/policy-analysis.md`).
//! - **Reload revokes.** Each entry carries the policy sequence number it
//!   was computed under; an entry only hits if that equals the cache's
//!   current number. When a newer number is seen — in a decision from the
//!   backend, or announced with [`Avc::policy_changed`] — every older entry
//!   becomes stale at once (O(1)) and is dropped when its slot is reused.
//!   A decision computed under an *older* policy than the cache has seen is
//!   used once but never cached.
//! - **Audit through a callback.** Denials in `auditdeny` and grants in
//!   `auditallow` produce an [`AuditRecord`] for the server's [`AuditSink`],
//!   usually an [`AuditLog`] (bounded; the one part of the crate that
//!   allocates).
//!
//! ## Trust assumptions
//! SIDs and class numbers come from the server's own bookkeeping or from
//! IPC; they are only compared, never used as indexes, so any value is
//! safe. Class `0` is invalid (class numbers start at 1) and is refused.
//! The backend is trusted to return the security server's decision.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod cache;
mod log;

pub use cache::{Avc, Stats};
pub use log::{AUDIT_CAPACITY, AuditLog};

/// An access decision as returned by the security server's `compute_av`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decision {
    /// Granted permissions (bit `i` = the class's `i`-th permission).
    pub allowed: u32,
    /// Granted permissions to audit.
    pub auditallow: u32,
    /// Denied permissions to audit.
    pub auditdeny: u32,
    /// Policy sequence number the decision was computed under.
    pub seqno: u32,
}

/// The source of decisions: the security server.
pub trait AvcBackend {
    /// Why a decision could not be obtained (IPC failure, unknown SID...).
    type Error;

    /// Computes the decision for `(ssid, tsid, class)`.
    ///
    /// # Errors
    /// Whatever the backend cannot answer; the AVC caches nothing then.
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Self::Error>;
}

/// One audit event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Source SID.
    pub ssid: u32,
    /// Target SID.
    pub tsid: u32,
    /// Class number.
    pub class: u16,
    /// The permissions being reported (denied ones, or audited grants).
    pub perms: u32,
    /// True for a denial, false for an audited grant.
    pub denied: bool,
    /// False if the denial was not enforced (permissive mode).
    pub enforced: bool,
    /// Policy sequence number of the decision.
    pub seqno: u32,
}

/// Where audit records go (a log buffer, the console, the security
/// server's audit trail). Must not call back into the AVC.
pub trait AuditSink {
    /// Records one event.
    fn audit(&mut self, rec: &AuditRecord);
}

/// An [`AuditSink`] that drops everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn audit(&mut self, _rec: &AuditRecord) {}
}

/// Why [`Avc::has_perm`] refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvcError<E> {
    /// Some requested permissions are not granted (the bits).
    Denied(u32),
    /// Class number 0 (never a valid class).
    InvalidClass,
    /// The backend failed.
    Backend(E),
}
