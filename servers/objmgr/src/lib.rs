//! # rampart-objmgr — the Flask object manager
//!
//! Every Rampart server that holds objects on behalf of others (file,
//! network, console, device manager, resource manager, and the servers to
//! come) is an *object manager* in Flask's sense: it labels its objects,
//! asks the security server for decisions through an access vector cache,
//! audits, and fails closed. This crate is that role, once:
//!
//! - **Vocabulary** ([`permissions!`], [`Class`], [`Vocabulary`]): a server
//!   names its permissions once, in a macro that generates the enum and the
//!   names together; class and permission *numbers* come from the loaded
//!   policy by name, and are looked up again whenever the policy changes, so
//!   a policy with another class layout is mediated correctly. A class or
//!   permission the policy does not define is never granted.
//! - **Decisions** ([`ObjectManager::check`]): through a `rampart-avc`
//!   cache; permissive mode (audit, do not deny) is the security server's
//!   and applies the same way everywhere.
//! - **Policy changes** ([`ObjectManager::refresh`]): the server subscribes
//!   to the security server's change notification and calls `refresh` when
//!   it arrives (and the manager refreshes by itself when a decision reveals
//!   a newer policy): every cached decision goes, the vocabulary is resolved
//!   again, and the [`ObjectManager::generation`] advances.
//! - **Revalidation** ([`Granted`]): state that was authorised once (an open
//!   handle, a socket, a terminal) records the generation it was checked
//!   in; [`ObjectManager::revalidate`] checks it again on its next use after
//!   a change, as SELinux re-checks file access on read and write, so a
//!   reload that removes a permission takes effect on open objects too.
//! - **Audit** ([`ObjectManager::take_audit`]): denials and audited grants
//!   with a description of the object, for the server to submit to the
//!   security server's trail.
//!
//! Trust: the security server's answers are trusted; SIDs and class
//! numbers from clients are only compared, never used as indexes.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod manager;
mod vocab;

pub use manager::{AuditEntry, Granted, ObjectManager, PolicyStatus, SecurityServer, audit_line};
pub use rampart_avc::{AuditRecord, Decision};
pub use vocab::{Class, Permission, Vocabulary};
