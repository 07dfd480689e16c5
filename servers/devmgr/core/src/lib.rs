//! The device manager's logic, free of kernel calls so `cargo test` runs it
//! on the build machine (docs/devices.md).
//!
//! - [`pci`]: configuration-space access ([`pci::ConfigSpace`]) and
//!   enumeration of functions (PCI Local Bus 3.0 §6.1, §6.2);
//! - [`bars`]: decoding and sizing base address registers (§6.2.5.1);
//! - [`caps`]: the capability list (§6.7), MSI (§6.8.1), MSI-X (PCI 3.0
//!   §6.8.2) and virtio vendor capabilities (virtio 1.2 §4.1.4);
//! - [`msi`]: programming an MSI or MSI-X vector with the address and data
//!   the kernel allocated;
//! - [`filter`]: the filtered view of its own function a driver gets;
//! - [`devmem`]: carving frames at given physical addresses out of device
//!   untyped memory by binary splitting;
//! - [`assign`]: which driver serves which device and exactly what it is
//!   given.
//!
//! Everything read from a device is untrusted: malformed values give errors
//! or are skipped, never panics.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod assign;
pub mod bars;
pub mod caps;
pub mod devmem;
pub mod filter;
pub mod msi;
pub mod pci;
pub mod testing;
