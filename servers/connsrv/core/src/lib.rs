//! # rampart-connsrv-core — the connection server's logic
//!
//! The connection server (`connsrv`, domain `connsrv_t`) hands out every
//! channel to a service (docs/architecture.md, "User-level system"); it keeps a send-only copy of each
//! service endpoint and never receives on one. This crate is its logic
//! without the IPC loop, tested on the host:
//! - [`registry::Registry`]: services and connections, `service register`
//!   (server → the name's `servicecon` context) and `service connect`
//!   checks, badges carrying the client's SID, revocation on disconnect,
//!   unregistration and task exit, closures queued for services (numbers
//!   reserved until taken), the endpoint pool's low-water signal, and
//!   revocation of live connections a policy change no longer grants
//!   ([`Registry::revalidate`]);
//! - [`iface`]: the kernel and security-server operations it needs;
//! - [`link::Link`]: the AVC and translations backed by the security
//!   server.
//!
//! ## Trust
//! connsrv trusts the kernel, the security server's answers, and its two
//! trusted callers (init and rm, by badge) to name the right context for a
//! new task. Tasks are trusted with nothing: a task names only services
//! and its own connections, and every badge it presents is checked against
//! the registry.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod iface;
pub mod link;
pub mod registry;

pub use registry::{
    Caps, Effect, Registry, Reply, Revalidation, Revoked, Security, ServicePerm, Slot, Subject, live_object,
};
