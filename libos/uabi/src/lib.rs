//! Rampart's user-level ABI: the conventions every user-level component
//! shares (docs/userland.md), as plain data and pure functions so they are
//! tested on the build machine.
//!
//! - [`codec`]: a serde value as a postcard message in message registers
//!   (docs/userland.md §3), with errors for malformed input;
//! - [`errno`]: POSIX error numbers returned by every server;
//! - [`protocol`]: [`protocol!`], a server protocol declared once (request
//!   and response enums, typed client, handler trait and dispatch);
//! - [`region`]: [`region::SharedRegion`], memory a server shares with a
//!   client, seen only through bounds-checked copies;
//! - [`signal`]: signal numbers, sets, dispositions and the signal block a
//!   thread shares with rm (docs/signals.md);
//! - [`startup`]: a task's well-known capability slots, its address-space
//!   layout and the startup information page (docs/userland.md §2).
//!
//! `rampart-rt` re-exports these modules (`rampart_rt::errno`,
//! `rampart_rt::startup`, `rampart_rt::ipc`); server protocol crates
//! (`*-api`) use them directly so their encodings are host-tested too.
#![no_std]

extern crate alloc;

pub mod codec;
pub mod errno;
pub mod protocol;
pub mod region;
pub mod signal;
pub mod small;
pub mod startup;

pub use errno::Errno;
