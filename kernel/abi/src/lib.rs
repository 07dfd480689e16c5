//! The Rampart kernel ABI, shared by the kernel and all user code.
//!
//! Everything a user program and the kernel must agree on lives here and only
//! here: system call numbers and their register conventions ([`syscall`]),
//! the message-info word ([`MessageInfo`]), error codes ([`Error`]), and the
//! layout of the boot information the kernel hands to the root task
//! ([`bootinfo`]), object types and rights ([`object`]), invocation labels
//! and their arguments ([`invocation`]), the IPC buffer ([`ipc_buffer`]) and
//! fault messages ([`fault`]).
//!
//! Design principles:
//! - seL4's names and semantics (seL4 Reference Manual, version 12/13, MCS
//!   configuration) unless `docs/kernel.md` records a deliberate change.
//! - Plain `#[repr(C)]`/`#[repr(u64)]` data and `const fn` encoders only: the
//!   crate has no dependencies, no `unsafe` and no allocation, so it is the
//!   same code on the host, in the kernel and in user programs.
//! - Every value crossing the boundary is untrusted by the receiver: decoders
//!   return `Option`/`Result` instead of panicking.
#![no_std]

pub mod audit;
pub mod bootfs;
pub mod bootinfo;
pub mod error;
pub mod fault;
pub mod invocation;
pub mod ipc_buffer;
pub mod log;
pub mod msg;
pub mod object;
pub mod syscall;
pub mod tcb;

pub use error::Error;
pub use invocation::Label;
pub use ipc_buffer::IpcBuffer;
pub use msg::MessageInfo;
pub use object::{CapType, ObjectType, Rights};
pub use syscall::Syscall;

/// Size of a small page (a 4 KiB frame), in bytes.
pub const PAGE_SIZE: usize = 4096;
/// log2 of [`PAGE_SIZE`].
pub const PAGE_BITS: u32 = 12;
/// Size of a large page (a 2 MiB frame), in bytes.
pub const LARGE_PAGE_SIZE: usize = 2 << 20;
/// log2 of [`LARGE_PAGE_SIZE`].
pub const LARGE_PAGE_BITS: u32 = 21;

/// Lowest user virtual address a program may be linked at (bytes). The page
/// at 0 stays unmapped so null dereferences fault.
pub const USER_MIN_VADDR: u64 = 0x1000;
/// One past the highest user virtual address (bytes). The last page below
/// the canonical boundary `0x8000_0000_0000` is never mapped, so a `syscall`
/// at the end of user space cannot return to a non-canonical address
/// (the `sysret` erratum); Linux's `TASK_SIZE` has the same value.
pub const USER_TOP: u64 = 0x0000_7fff_ffff_f000;

/// `isa-debug-exit` I/O port (QEMU `-device isa-debug-exit,iobase=0xf4`):
/// writing `code` makes QEMU exit with status `(code << 1) | 1`.
pub const DEBUG_EXIT_PORT: u16 = 0xf4;
