//! The host-testable core of the Rampart kernel.
//!
//! docs/architecture.md, "Kernel": pure logic lives here so `cargo test` exercises on the build
//! machine exactly the code the kernel runs. This crate is the kernel minus
//! its hardware layer: capabilities and the derivation tree, CSpace lookup,
//! Untyped retype, TCBs, endpoints with Call/ReplyRecv and reply objects,
//! notifications, scheduling contexts and the scheduler, address spaces,
//! interrupts and I/O ports, faults, and system-call dispatch. The kernel
//! binary supplies a [`machine::Machine`] (page-table walks and object
//! accesses go through the direct map); host tests supply a mock and host
//! memory standing in for RAM.
//!
//! Design principles: seL4's object model and names; no allocation (every
//! object lives in memory user space retyped); iterative algorithms only
//! (no recursion whose depth user space controls); every input from user
//! space is validated and reported with an error code, never a panic.
//!
//! Trust: boot memory maps and boot modules (`memmap`, `rampart_elf`) are trusted to
//! be well-formed only as far as the parsers check; everything reaching
//! [`kernel::Kernel::handle_syscall`] is untrusted.
#![cfg_attr(not(test), no_std)]
// No floating point in kernel code (docs/build.md).
#![deny(clippy::float_arithmetic)]

pub mod audit;
pub mod boot;
pub mod cap;
pub mod cnode_ops;
pub mod cspace;
pub mod delete;
pub mod devices;
pub mod fastpath;
pub mod fault;
pub mod invariants;
pub mod invoke;
pub mod ipc;
pub mod kernel;
// The object model's one `unsafe`: typed views of kernel objects in the
// direct map (the soundness argument is in the module's documentation).
#[allow(unsafe_code)]
pub mod kmem;
pub mod log;
pub mod machine;
pub mod memmap;
// `unsafe impl KernelObject` for the object types (kmem's contract).
#[allow(unsafe_code)]
pub mod object;
#[cfg(any(test, feature = "testing"))]
pub mod refcheck;
pub mod regs;
pub mod reply;
pub mod sched;
pub mod sched_ops;
// `unsafe impl KernelObject for Slot` (kmem's contract).
#[allow(unsafe_code)]
pub mod slot;
pub mod syscall;
pub mod tcb_ops;
#[cfg(any(test, feature = "testing"))]
// Host memory standing in for RAM (allocates and frees it).
#[allow(unsafe_code)]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod timer;
pub mod untyped;
// `unsafe impl KernelObject for AsidPool` (kmem's contract).
#[allow(unsafe_code)]
pub mod vspace;

pub use kernel::Kernel;
