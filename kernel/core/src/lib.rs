//! The host-testable core of the Rampart kernel.
//!
//! DESIGN.md §3: pure logic lives here so `cargo test` exercises on the build
//! machine exactly the code the kernel runs. This crate has no architecture
//! code and no `asm!`; the kernel crate links it and supplies the
//! hardware-facing parts.
//!
//! Trust: inputs here come from the boot loader (memory maps) or from user
//! space (everything else); every function validates its input and reports
//! errors instead of panicking.
#![cfg_attr(not(test), no_std)]

pub mod elf;
pub mod memmap;
