//! Building a task from an ELF image with the kernel's objects: VSpace and
//! ASID, paging structures, frames, CSpace, TCB, scheduling context, IPC
//! buffer, stack, initial heap and the startup information page
//! (docs/userland.md §2). init uses it to build the resource manager; the
//! resource manager uses it to build every other task.
//!
//! The crate is split so that everything that decides is host-tested:
//! - [`image`]: validates an ELF executable (with the kernel's fuzzed
//!   parser, `rampart_elf`) against the task layout and size limits,
//!   and describes each page of the image;
//! - [`pack`]: which paging structures a set of mappings needs, and how a
//!   set of kernel objects is packed into power-of-two untyped chunks with
//!   no internal waste beyond one page (the memory a task is charged);
//! - `build` (feature `rt`, user programs only): performs the invocations.
//!
//! Trust: the image is untrusted (every error is returned, nothing panics);
//! the caller's capabilities and memory are trusted.
#![no_std]

extern crate alloc;

#[cfg(feature = "rt")]
// Fills a new process's frames through a window mapped in this address
// space (a raw slice over the window, unmapped right after).
#[allow(unsafe_code)]
pub mod build;
pub mod image;
pub mod pack;

pub use image::{ImageError, ImagePlan, Limits};
