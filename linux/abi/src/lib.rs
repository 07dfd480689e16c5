//! The Linux x86_64 system-call ABI, as Rampart's Linux personality sees it
//! (docs/linux-abi.md).
//!
//! Design principles:
//! - **Data and pure functions only.** Everything the personality's shim
//!   decides without touching a server — what a number means, how a Linux
//!   structure is laid out, what the initial stack of a new program looks
//!   like, whether a user range is acceptable — lives here, `#![no_std]`,
//!   and is unit-tested on the build machine. The shim (which runs inside
//!   the Linux process) only moves bytes and calls the runtime.
//! - **Linux is the specification.** Numbers and layouts are those of the
//!   Linux 6.1 x86_64 UAPI headers; each item names its source
//!   (`arch/x86/entry/syscalls/syscall_64.tbl`, `include/uapi/...`,
//!   the man pages).
//! - **Bad input is an error value.** Nothing here panics on a value a
//!   Linux program chooses: ranges that overflow, are not canonical or are
//!   not mapped give `EFAULT`, unknown numbers give `ENOSYS`.
//!
//! Trust assumptions: none. The Linux program is untrusted, and so is
//! everything it passes; the caller (the shim) has exactly the authority of
//! the process it runs in, so nothing here is a security boundary — the
//! mandatory policy is enforced by the servers, as for native programs.
#![no_std]

extern crate alloc;

pub mod auxv;
pub mod errno;
pub mod exec;
pub mod nr;
pub mod range;
pub mod stack;
pub mod structs;
pub mod termios;
