//! The capability list (PCI Local Bus 3.0 §6.7) and the capabilities
//! devmgr uses: MSI (§6.8.1), MSI-X (§6.8.2) and virtio's vendor-specific
//! structure locations (virtio 1.2 §4.1.4).

use crate::pci::{ConfigSpace, reg};
use alloc::vec::Vec;
use rampart_devmgr_api::Bdf;

/// Capability ids.
pub mod id {
    /// MSI.
    pub const MSI: u8 = 0x05;
    /// Vendor specific (virtio's structure locations).
    pub const VENDOR: u8 = 0x09;
    /// PCI Express.
    pub const PCIE: u8 = 0x10;
    /// MSI-X.
    pub const MSIX: u8 = 0x11;
}

/// An MSI capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsiCap {
    /// Offset in configuration space.
    pub offset: u16,
    /// 64-bit message address.
    pub is64: bool,
    /// Per-vector masking.
    pub maskable: bool,
}

/// An MSI-X capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsixCap {
    /// Offset in configuration space.
    pub offset: u16,
    /// Number of table entries (1..=2048).
    pub table_size: u16,
    /// BAR holding the table.
    pub table_bar: u8,
    /// Offset of the table in that BAR (8-aligned).
    pub table_offset: u32,
    /// BAR holding the pending-bit array.
    pub pba_bar: u8,
    /// Offset of the pending-bit array.
    pub pba_offset: u32,
}

impl MsixCap {
    /// Bytes of the table (16 per entry).
    pub fn table_bytes(&self) -> u64 {
        u64::from(self.table_size) * 16
    }
    /// Bytes of the pending-bit array (one bit per entry, in 64-bit words).
    pub fn pba_bytes(&self) -> u64 {
        u64::from(self.table_size).div_ceil(64) * 8
    }
}

/// A virtio structure location (virtio 1.2 §4.1.4 `virtio_pci_cap`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VirtioCap {
    /// `cfg_type`: 1 common, 2 notify, 3 ISR, 4 device, 5 PCI access.
    pub cfg_type: u8,
    /// BAR index.
    pub bar: u8,
    /// Offset within the BAR.
    pub offset: u32,
    /// Length in bytes.
    pub length: u32,
}

/// A function's capabilities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CapList {
    /// (id, offset) in list order.
    pub entries: Vec<(u8, u16)>,
    /// The MSI capability.
    pub msi: Option<MsiCap>,
    /// The MSI-X capability.
    pub msix: Option<MsixCap>,
    /// virtio structure locations.
    pub virtio: Vec<VirtioCap>,
    /// The list was cut short (a loop, or a pointer into the header).
    pub malformed: bool,
}

/// Most capabilities followed (the list cannot hold more in 192 bytes).
pub const MAX_CAPS: usize = 48;

/// Walks `bdf`'s capability list. A pointer below 0x40, a repeated offset
/// or more than [`MAX_CAPS`] entries end the walk (`malformed`).
pub fn parse_caps(cs: &mut dyn ConfigSpace, bdf: Bdf) -> CapList {
    let mut out = CapList::default();
    let mut seen = 0u64; // one bit per dword of the 256-byte space
    let mut ptr = (cs.read(bdf, reg::CAP_PTR) & 0xfc) as u16;
    while ptr != 0 {
        let bit = 1u64 << (ptr / 4);
        if ptr < 0x40 || seen & bit != 0 || out.entries.len() >= MAX_CAPS {
            out.malformed = true;
            break;
        }
        seen |= bit;
        let head = cs.read(bdf, ptr);
        let cid = head as u8;
        out.entries.push((cid, ptr));
        match cid {
            id::MSI => {
                let ctl = head >> 16;
                out.msi.get_or_insert(MsiCap { offset: ptr, is64: ctl & (1 << 7) != 0, maskable: ctl & (1 << 8) != 0 });
            }
            id::MSIX if ptr <= 0xf4 => {
                let ctl = head >> 16;
                let table = cs.read(bdf, ptr + 4);
                let pba = cs.read(bdf, ptr + 8);
                let (tb, pb) = ((table & 7) as u8, (pba & 7) as u8);
                if tb < 6 && pb < 6 {
                    out.msix.get_or_insert(MsixCap {
                        offset: ptr,
                        table_size: (ctl & 0x7ff) as u16 + 1,
                        table_bar: tb,
                        table_offset: table & !7,
                        pba_bar: pb,
                        pba_offset: pba & !7,
                    });
                }
            }
            id::VENDOR if ptr <= 0xf0 => {
                let len = (head >> 16) as u8;
                if len >= 16 {
                    let w1 = cs.read(bdf, ptr + 4);
                    let cfg_type = (head >> 24) as u8;
                    let bar = w1 as u8;
                    if bar < 6 {
                        out.virtio.push(VirtioCap {
                            cfg_type,
                            bar,
                            offset: cs.read(bdf, ptr + 8),
                            length: cs.read(bdf, ptr + 12),
                        });
                    }
                }
            }
            _ => {}
        }
        ptr = ((head >> 8) & 0xfc) as u16;
    }
    out
}
