//! # rampart-net — the network server core
//!
//! Everything of Rampart's network server that does not depend on the
//! guest (the freestanding `main`, the virtio-net driver client and the
//! IPC loop come with the device manager): a TCP/IP stack built on
//! `smoltcp` over a [`NetDevice`], the socket protocol of
//! `rampart-net-api` served per client connection, and the mandatory
//! access control of every socket operation (docs/architecture.md, "User-level system").
//!
//! - [`device`]: the raw-frame device trait and its smoltcp adapter;
//!   [`memdev`]: an in-memory wire for host tests.
//! - [`stack`]: the smoltcp interface (Ethernet, ARP, IPv4, ICMP echo,
//!   TCP, UDP) with a static or DHCP configuration.
//! - [`security`]: the security-server interface, the AVC, the socket
//!   classes and permissions, port labels, and the audit log.
//! - [`NetServer`]: connections, handles, tokens, sockets, held
//!   (blocking) operations, readiness and notifications.
//!
//! docs/network.md has the architecture, the permission of every request
//! and the limits.
//!
//! ## Trust assumptions
//! Frames are hostile: smoltcp parses them and drops what it cannot use;
//! nothing here indexes by frame contents, and a property test feeds
//! random and mutated frames then checks the server still serves.
//! Requests are hostile: decoded by `rampart-net-api`, region offsets and
//! lengths checked, handles looked up per connection. The security server
//! is trusted for its decisions; the connection server for the SID of
//! each connection; the device for nothing but delivering frames.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod backlog;
pub mod device;
mod io;
pub mod memdev;
mod ops;
pub mod security;
mod server;
mod sock;
pub mod stack;

pub use device::{MAX_FRAME, NetDevice, Phy, PhyStats};
pub use memdev::{FrameQueue, MemDevice, wire};
pub use security::{LocalPolicy, Mac, NetVocab, ObjSecurity, Perm, Proto, SecurityServer};
pub use server::{Config, ConnId, MemRegions, NetServer, Outcome, Regions, StartError, Ticket, no_region};
pub use stack::{IpConfig, Stack, StackError, StaticIp};

/// The smoltcp version the stack is built on, for tests and tools that
/// play peers on the wire with the same types.
pub use smoltcp;
