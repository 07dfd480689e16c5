//! The driver kit: what every Rampart device driver task needs besides its
//! device logic (docs/devices.md §3, §8).
//!
//! Host-testable (always built):
//! - [`dma`]: DMA bookkeeping: physical contiguity of rm regions, address
//!   translation of buffers inside DMA regions, and the bounce-slot
//!   allocator for buffers outside them.
//! - [`nvme`]: NVM Express register, queue-entry and Identify layouts
//!   (NVMe Base 1.4) as pure, bounds-checked functions for `nvmedrv`.
//! - [`virtio`]: locating virtio structures in configuration space (virtio
//!   1.2 §4.1.4) and the common-configuration registers the driver writes
//!   itself (MSI-X vectors, §4.1.4.3, §4.1.5.1.2).
//!
//! Guest side (feature `rt`):
//! - [`hal`]: `virtio_drivers::Hal` over rm regions (DMA memory from
//!   `RegionAlloc`, physical addresses from `RegionPhys`).
//! - [`device`]: the driver's grants from devmgr (frames mapped uncached
//!   with rm's `DeviceMap`, the interrupt, I/O ports), configuration access
//!   over the devmgr channel (`virtio_drivers`' `ConfigurationAccess`),
//!   capability slots and the driver's event notification.
//! - [`start`]: a virtio PCI driver's start-up steps and their errors.
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod dma;
pub mod nvme;
pub mod virtio;

#[cfg(feature = "rt")]
// MMIO: volatile accesses to the device's mapped BARs.
#[allow(unsafe_code)]
pub mod device;
#[cfg(feature = "rt")]
// The DMA HAL `virtio-drivers` requires (an `unsafe trait`): buffers shared
// with the device, which writes them.
#[allow(unsafe_code)]
pub mod hal;
#[cfg(feature = "rt")]
pub mod start;
