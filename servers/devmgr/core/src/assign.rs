//! Which driver serves which device, and exactly what it is given.
//!
//! A driver gets: the 4 KiB pages of its function's memory BARs, except
//! pages holding the MSI-X table or pending-bit array (interrupt routing
//! stays with devmgr: an MSI-X entry is a DMA write to an address the
//! driver could otherwise aim anywhere) and pages another function's BAR
//! also overlaps; an I/O port range per I/O BAR only if the driver needs
//! port I/O; and one interrupt: MSI-X entry 0 if the function has MSI-X,
//! else MSI, else the IOAPIC input the firmware routed INTx to.

use crate::caps::MsixCap;
use crate::pci::Function;
use alloc::vec::Vec;
use rampart_devmgr_api::{Bar, BarKind, Grant, IrqKind};

/// virtio's PCI vendor id (virtio 1.2 §4.1.2).
pub const VIRTIO_VENDOR: u16 = 0x1af4;

/// A driver program and the device class it serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DriverSpec {
    /// Boot module of the driver.
    pub program: &'static str,
    /// Device name prefix (`blk` → `blk0`, `blk1`, ...).
    pub prefix: &'static str,
    /// The driver's security context.
    pub context: &'static str,
    /// The context its boot module is executed as (an `exec_type`): rm
    /// computes the driver's domain from devmgr's and this one through the
    /// policy's `type_transition ... : process` and checks `process
    /// transition` and `file entrypoint`, as for an exec from a file.
    pub exec_context: &'static str,
    /// The device's security context (target of `device claim`).
    pub device_context: &'static str,
    /// Whether the driver needs its I/O BARs (virtio modern drivers do not).
    pub needs_io: bool,
}

/// The virtio-blk driver.
pub const VIRTIO_BLK: DriverSpec = DriverSpec {
    program: "blkdrv",
    prefix: "blk",
    context: "system_u:system_r:blkdrv_t",
    exec_context: "system_u:object_r:blkdrv_exec_t",
    device_context: "system_u:object_r:blk_device_t",
    needs_io: false,
};
/// The NVMe driver (docs/hardware.md): the same domain, boot-module type
/// and device type as the virtio-blk driver (it is a block driver with the
/// same grants and the same client protocol), and the same `blk` prefix:
/// the first block device found on the bus is `blk0`, whichever kind.
pub const NVME: DriverSpec = DriverSpec {
    program: "nvmedrv",
    prefix: "blk",
    context: "system_u:system_r:blkdrv_t",
    exec_context: "system_u:object_r:blkdrv_exec_t",
    device_context: "system_u:object_r:blk_device_t",
    needs_io: false,
};
/// PCI class code of an NVM Express controller: mass storage (01),
/// non-volatile memory (08), NVMe programming interface (02) (PCI Code and
/// ID Assignment Specification §1.2; NVMe 1.4 §2.1.5, the class code register).
pub const NVME_CLASS: [u8; 3] = [0x01, 0x08, 0x02];
/// The virtio-net driver.
pub const VIRTIO_NET: DriverSpec = DriverSpec {
    program: "netdrv",
    prefix: "net",
    context: "system_u:system_r:netdrv_t",
    exec_context: "system_u:object_r:netdrv_exec_t",
    device_context: "system_u:object_r:net_device_t",
    needs_io: false,
};
/// The virtio-gpu driver (docs/gui.md §2).
pub const VIRTIO_GPU: DriverSpec = DriverSpec {
    program: "gpudrv",
    prefix: "gpu",
    context: "system_u:system_r:gpudrv_t",
    exec_context: "system_u:object_r:gpudrv_exec_t",
    device_context: "system_u:object_r:gpu_device_t",
    needs_io: false,
};
/// The virtio-input driver (keyboard, tablet; docs/gui.md §2).
pub const VIRTIO_INPUT: DriverSpec = DriverSpec {
    program: "inputdrv",
    prefix: "input",
    context: "system_u:system_r:inputdrv_t",
    exec_context: "system_u:object_r:inputdrv_exec_t",
    device_context: "system_u:object_r:input_device_t",
    needs_io: false,
};
/// The 16550 UART driver.
pub const SERIAL: DriverSpec = DriverSpec {
    program: "serialdrv",
    prefix: "serial",
    context: "system_u:system_r:serial_t",
    exec_context: "system_u:object_r:serialdrv_exec_t",
    device_context: "system_u:object_r:serial_device_t",
    needs_io: true,
};

/// The driver for a function, if there is one: virtio-blk and virtio-net,
/// transitional (0x1001, 0x1000) or modern (0x1042, 0x1041) ids, and the
/// modern-only virtio-gpu (0x1050) and virtio-input (0x1052) (virtio 1.2
/// §4.1.2.1), and any vendor's NVM Express controller by class
/// ([`NVME_CLASS`]).
pub fn driver_for(f: &Function) -> Option<DriverSpec> {
    if f.class == NVME_CLASS {
        return Some(NVME);
    }
    match (f.vendor, f.device) {
        (VIRTIO_VENDOR, 0x1001 | 0x1042) => Some(VIRTIO_BLK),
        (VIRTIO_VENDOR, 0x1000 | 0x1041) => Some(VIRTIO_NET),
        (VIRTIO_VENDOR, 0x1050) => Some(VIRTIO_GPU),
        (VIRTIO_VENDOR, 0x1052) => Some(VIRTIO_INPUT),
        _ => None,
    }
}

/// The COM1 port range and IOAPIC input (ISA IRQ 4, edge, active high).
pub const COM1: (u16, u16, u32) = (0x3f8, 0x3ff, 4);

/// The grants of the serial driver.
pub fn serial_grants() -> Vec<Grant> {
    alloc::vec![
        Grant::IoPort { first: COM1.0, last: COM1.1 },
        Grant::Irq(IrqKind::Ioapic { gsi: COM1.2, level: false, active_low: false })
    ]
}

/// A driver's assignment: its grants in order, and the pages devmgr keeps
/// (the MSI-X table and pending-bit array, for programming the vector).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// What the driver gets, in [`rampart_devmgr_api::DriverInfo::grants`] order.
    pub grants: Vec<Grant>,
    /// Pages (physical addresses) of `f`'s BARs devmgr keeps.
    pub kept: Vec<u64>,
    /// Pages not given because another function's BAR overlaps them.
    pub shared: Vec<u64>,
}

fn overlaps(a0: u64, a1: u64, b0: u64, b1: u64) -> bool {
    a0 < b1 && b0 < a1
}

fn msix_pages(m: &MsixCap, bars: &[Bar]) -> Vec<u64> {
    let mut v = Vec::new();
    for (bar, off, len) in [(m.table_bar, m.table_offset, m.table_bytes()), (m.pba_bar, m.pba_offset, m.pba_bytes())] {
        if let Some(b) = bars.iter().find(|b| b.index == bar && b.kind != BarKind::Io) {
            let start = (b.addr + u64::from(off)) & !0xfff;
            let end = b.addr + u64::from(off) + len;
            let mut p = start;
            while p < end {
                v.push(p);
                p += 4096;
            }
        }
    }
    v
}

/// The interrupt for `f`: MSI-X, MSI, or the routed INTx line (level
/// triggered; QEMU's IOAPIC sees the PIRQ-routed line active high).
pub fn irq_for(f: &Function) -> Option<IrqKind> {
    if f.caps.msix.is_some() {
        Some(IrqKind::MsiX { entry: 0 })
    } else if f.caps.msi.is_some() {
        Some(IrqKind::Msi)
    } else if f.irq_pin != 0 && f.irq_line != 0 && f.irq_line < 24 {
        Some(IrqKind::Ioapic { gsi: u32::from(f.irq_line), level: true, active_low: false })
    } else {
        None
    }
}

/// The assignment of `f` to a driver of `spec`, given every function
/// (`all`, for overlap checks).
pub fn plan(f: &Function, spec: &DriverSpec, all: &[Function]) -> Plan {
    let mut p = Plan::default();
    let keep = f.caps.msix.map(|m| msix_pages(&m, &f.bars)).unwrap_or_default();
    for b in &f.bars {
        match b.kind {
            BarKind::Io => {
                let last = b.addr.saturating_add(b.size - 1);
                if spec.needs_io && last <= 0xffff {
                    p.grants.push(Grant::IoPort { first: b.addr as u16, last: last as u16 });
                }
            }
            BarKind::Mem32 | BarKind::Mem64 => {
                let start = b.addr & !0xfff;
                let end = (b.addr + b.size).next_multiple_of(4096);
                let mut page = start;
                while page < end {
                    let other = all
                        .iter()
                        .filter(|g| g.bdf != f.bdf)
                        .flat_map(|g| g.bars.iter())
                        .any(|o| o.kind != BarKind::Io && overlaps(page, page + 4096, o.addr, o.addr + o.size));
                    if keep.contains(&page) {
                        p.kept.push(page);
                    } else if other {
                        p.shared.push(page);
                    } else {
                        p.grants.push(Grant::Frame { bar: b.index, paddr: page });
                    }
                    page += 4096;
                }
            }
        }
    }
    if let Some(k) = irq_for(f) {
        p.grants.push(Grant::Irq(k));
    }
    p
}
