//! The Rampart user runtime that every program links.
//!
//! Provides the program entry point (`_start`, which aligns the stack and
//! calls the program's `main` declared with [`entry!`] for root tasks, or
//! with [`program!`] for tasks rm creates: [`process`] then sets up the
//! thread block, the heap and the startup information first), raw system
//! calls over the ABI crate ([`syscall`]), debug console output
//! ([`debug`], the kernel debug channel until the console server exists),
//! and a panic handler that reports the panic and exits with status 101
//! (through rm; a root task powers the machine off).
//!
//! The user-level conventions (docs/userland.md):
//! - [`startup`]: well-known slots, layout, the startup information;
//! - [`heap`]: the global allocator, grown by asking rm;
//! - [`ipc::codec`]: postcard messages in message registers; [`server`]:
//!   the ReplyRecv loop with deferred replies; [`errno`];
//! - [`rm`]: the resource manager's client (exit, spawn, wait, kill,
//!   regions, containers); [`signal`]: handlers, masks, `kill`, and the
//!   runtime's side of signal delivery (docs/signals.md).
//!
//! The typed kernel API:
//! - [`cap`]: typed capability pointers; [`tls`]: the per-thread block
//!   behind the FS base; [`buffer`]: the current thread's IPC buffer;
//! - [`ipc`]: `call`, `send`, `recv`, `reply_recv`, `signal`, `wait`, ...;
//! - [`invoke`]: object invocations and their errors, and one module per
//!   object family: [`untyped`], [`cnode`], [`tcb`], [`sched`], [`vspace`],
//!   [`irq`], [`ioport`], [`audit`];
//! - for root tasks: [`alloc`] (slots and objects) and [`spawn`] (threads
//!   in the same or a new address space).
//!
//! The kernel API does not allocate; a root task calls [`tls::init_root`]
//! first (and [`heap::init`] if it wants a heap).
//!
//! Trust: the runtime trusts the kernel and nothing else.
#![no_std]
// The runtime is the user side of the hardware and kernel boundary: system
// calls (`syscall` in inline assembly), the IPC buffer and TLS, the heap, the
// program entry. Each block has a `// SAFETY:` comment.
#![allow(unsafe_code)]

extern crate alloc as std_alloc;
extern crate rampart_builtins;

pub mod alloc;
pub mod audit;
pub mod buffer;
pub mod cap;
pub mod clock;
pub mod cnode;
pub mod cpu;
pub mod debug;
pub mod events;
pub mod heap;
pub mod invoke;
pub mod ioport;
pub mod ipc;
pub mod irq;
pub mod jobs;
pub mod process;
pub mod rm;
pub mod sched;
pub mod server;
pub mod shared;
pub mod signal;
pub mod spawn;
pub mod startup;
pub mod syscall;
pub mod tcb;
pub mod timer;
pub mod tls;
pub mod untyped;
pub mod vspace;

core::arch::global_asm!(
    r#"
    .section .text._start, "ax"
    .global _start
_start:
    xor ebp, ebp
    and rsp, -16
    call rampart_rt_start
    ud2

    /* The native-image mark (rampart_elf::is_rampart_native): owner
       "Rampart", type 1, descriptor = ABI version 1. */
    .section .note.rampart, "a", @note
    .balign 4
    .long 8
    .long 4
    .long 1
    .asciz "Rampart"
    .balign 4
    .long 1
"#
);

unsafe extern "Rust" {
    fn __rampart_main(arg: u64) -> i32;
}

#[unsafe(no_mangle)]
extern "C" fn rampart_rt_start(arg: u64) -> ! {
    // SAFETY: `__rampart_main` is defined by the program through `entry!`.
    let status = unsafe { __rampart_main(arg) };
    exit(status)
}

pub use rampart_uabi::errno;

/// Ends the program with `status`: a request to rm for tasks rm started,
/// a power-off through the debug channel for root tasks
/// ([`process::exit`]).
pub fn exit(status: i32) -> ! {
    process::exit(status)
}

/// Declares the program's entry function: `fn main(arg: u64) -> i32`, where
/// `arg` is the startup argument the program's creator passed in `rdi`
/// (for init: the address of the boot information).
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __rampart_main(arg: u64) -> i32 {
            let f: fn(u64) -> i32 = $main;
            f(arg)
        }
    };
}

/// Reports a panic and exits with status 101. Only in `panic = "abort"`
/// builds (every freestanding build): a host build (`cargo clippy
/// --workspace`) links `std`, whose handler it would duplicate.
#[cfg(panic = "abort")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    crate::pr_err!("panic: {}", info);
    exit(101)
}
