//! Host tests of the kernel core, driven through system calls as user
//! threads would make them (see `crate::testing`).

mod cnode;
mod debug;
mod delete;
mod dispatch;
mod donation;
mod fastpath;
mod fuzz;
mod ipc;
mod log;
mod rights;
mod sched;
mod support;
mod timer;
mod vspace;
