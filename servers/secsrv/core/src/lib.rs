//! # rampart-secsrv-core — the security server's logic
//!
//! The security server (`secsrv`, domain `secsrv_t`) holds the loaded
//! binary policy and answers decision, transition and translation requests
//! (protocol: `rampart-secsrv-api`). This crate is everything but the IPC
//! loop, so it is tested on the host:
//! - [`server::SecServer`]: identifies callers from their badges, checks
//!   each request against the policy (class `security` on the `security`
//!   initial SID), answers it, and says when subscribers must be told the
//!   policy changed;
//! - [`store::Store`]: binary policies uploaded in chunks (boot policies
//!   from init, new ones from administrators);
//! - [`audit::AuditRing`]: the audit trail (denials and `auditallow`
//!   grants from every object server and from secsrv's own checks);
//! - [`sids`]: who holds which SID, the per-owner limits, and reclaiming
//!   SIDs nobody holds; the requests that hand out SIDs or decide on
//!   contexts given as text are in `contexts`.
//!
//! ## Trust
//! secsrv trusts the kernel (badges are unforgeable), connsrv (it mints
//! connection badges carrying the holder's SID) and init (its boot channel
//! loads the first policy and translates contexts without a check). Only
//! object managers (`security audit_write`) add records to the audit trail,
//! stamped by secsrv with the time and the submitter's SID, so a record's
//! reporter is authenticated by its badge. It trusts nothing in a request: sizes are bounded, names and SIDs are
//! validated by the engine, and bad input is an error, never a panic.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod audit;
mod contexts;
pub mod server;
pub mod sids;
pub mod store;
mod vocab;

pub use server::{Caller, Outcome, SecServer};
