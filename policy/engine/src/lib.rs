//! # rampart-policy — Rampart's mandatory access control engine
//!
//! This crate is the *decision* half of Rampart's Flask-style security
//! architecture (docs/architecture.md, "User-level system"). It holds the compiled (binary) policy
//! format written by `policy-compiler`, and the engine the security server
//! runs to answer `compute_av(source, target, class)`, compute the contexts
//! of new processes and objects (type transitions), label files and ports,
//! and flip booleans at run time.
//!
//! ## Design principles
//! - **`no_std` + `alloc`.** It runs inside the security server, a
//!   freestanding user program, and is tested on the host.
//! - **Policy semantics live here only.** Object servers see SIDs, class
//!   numbers and access vectors; swapping policies or models changes nothing
//!   outside this crate and the security server.
//! - **Pluggable models.** A [`PolicyModel`] turns contexts into decisions.
//!   `allow-all`, `te` (type enforcement + RBAC), `mls` (TE + Bell-LaPadula)
//!   and `biba` (TE + Biba strict integrity) are built in; the binary policy
//!   names its model and a [`ModelRegistry`] resolves it. Each model also
//!   declares what it may grant beyond the policy's rules
//!   ([`PolicyModel::grants`], [`Grants`]), the bound static analyses
//!   (`polc check`, `flow`, `prove`) rely on; they refuse models that do
//!   not declare.
//! - **Decisions are pure** functions of (policy, booleans, contexts,
//!   class) and carry the policy sequence number, so an AVC may cache them
//!   until the number changes (reload or boolean change).
//!
//! ## Trust assumptions
//! Binary policy bytes, context strings, SIDs and class numbers are
//! untrusted: every entry point validates and returns [`PolicyError`],
//! never panics (property-tested). The caller (the security server) is
//! trusted to decide *who* may load policies or set booleans — that is
//! itself a policy check (`security { load_policy setbool }`) done there.
//!
//! ## Example
//! ```no_run
//! # fn demo(bytes: &[u8]) -> Result<(), rampart_policy::PolicyError> {
//! use rampart_policy::{Policy, FileKind, Protocol};
//! let mut p = Policy::load(bytes)?;
//! let user = p.context_to_sid("user_u:user_r:user_t")?;
//! let file = p.file_context("/etc/secret/key", FileKind::File)?.unwrap();
//! let class = p.class_id("file").unwrap();
//! let read = p.perms(class, &["read"])?;
//! let d = p.compute_av(user, file, class)?;
//! assert_eq!(d.allowed & read, 0); // user_t may not read secret_t
//! let port = p.port_context(Protocol::Tcp, 80)?;
//! # let _ = port; Ok(()) }
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod codec;
pub mod cond;
pub mod context;
pub mod db;
pub mod error;
pub mod filecon;
pub mod ids;
pub mod index;
pub mod labeling;
pub mod mls;
pub mod model;
pub mod permmap;
mod policy;
pub mod portcon;
pub mod servicecon;
pub mod sidtab;
pub mod validate;

pub use codec::{FORMAT_VERSION, MAGIC, decode, encode};
pub use context::{format_context, parse_context};
pub use db::{Context, PolicyDb};
pub use error::PolicyError;
pub use ids::{AccessVector, ClassId, FileKind, FlowDir, Protocol, Sid};
pub use index::PolicyIndex;
pub use mls::{CatSet, Level, MlsRange};
pub use model::{AccessDecision, ExtraGrant, Grants, ModelRegistry, PolicyModel};
pub use policy::Policy;
pub use sidtab::SidTable;
