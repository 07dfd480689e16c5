//! Programming an interrupt vector into a function: the configuration
//! writes for MSI (PCI Local Bus 3.0 §6.8.1) and the table writes for
//! MSI-X (§6.8.2), given the message address and data the kernel chose
//! (`IrqControlGetMsi`). Pure functions: devmgr performs the writes.

use crate::caps::{MsiCap, MsixCap};
use alloc::vec::Vec;

/// MSI message control: enable (bit 0), multiple message enable (bits 4..6).
const MSI_ENABLE: u32 = 1 << 16;
const MSI_MME: u32 = 7 << 20;
/// MSI-X message control: enable (bit 15), function mask (bit 14).
pub const MSIX_ENABLE: u32 = 1 << 31;
/// MSI-X function mask.
pub const MSIX_MASK_ALL: u32 = 1 << 30;

/// The configuration writes (offset, value) that program `cap` with one
/// vector (`address`, `data`) and enable it, in order. `header` is the
/// current first dword of the capability (id, next, control), whose
/// read-only bits are kept.
pub fn msi_writes(cap: &MsiCap, header: u32, address: u64, data: u16) -> Vec<(u16, u32)> {
    let o = cap.offset;
    let mut w = Vec::new();
    // Disable while changing, one message (MME = 0).
    w.push((o, header & !(MSI_ENABLE | MSI_MME)));
    w.push((o + 4, address as u32));
    if cap.is64 {
        w.push((o + 8, (address >> 32) as u32));
        w.push((o + 12, u32::from(data)));
        if cap.maskable {
            w.push((o + 16, 0)); // unmask
        }
    } else {
        w.push((o + 8, u32::from(data)));
        if cap.maskable {
            w.push((o + 12, 0));
        }
    }
    w.push((o, (header & !MSI_MME) | MSI_ENABLE));
    w
}

/// Why an MSI-X entry cannot be programmed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsixError {
    /// The entry is beyond the table.
    NoSuchEntry,
}

/// The 32-bit memory writes (byte offset from the table's start, value)
/// that program table entry `entry` with (`address`, `data`) and unmask
/// it (§6.8.2.6-9): address low, address high, data, vector control.
///
/// # Errors
/// [`MsixError::NoSuchEntry`].
pub fn msix_entry_writes(cap: &MsixCap, entry: u16, address: u64, data: u32) -> Result<[(u64, u32); 4], MsixError> {
    if entry >= cap.table_size {
        return Err(MsixError::NoSuchEntry);
    }
    let b = u64::from(entry) * 16;
    Ok([(b, address as u32), (b + 4, (address >> 32) as u32), (b + 8, data), (b + 12, 0)])
}

/// Message control values for MSI-X: (first, with every vector masked
/// while the table is written; then, enabled and unmasked). `header` is
/// the capability's first dword.
pub fn msix_control(header: u32) -> (u32, u32) {
    let h = header & !(MSIX_ENABLE | MSIX_MASK_ALL);
    (h | MSIX_ENABLE | MSIX_MASK_ALL, h | MSIX_ENABLE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msi_64_maskable() {
        let cap = MsiCap { offset: 0x50, is64: true, maskable: true };
        let w = msi_writes(&cap, 0x0186_6005 | MSI_ENABLE, 0xfee0_1000, 0x4031);
        assert_eq!(w.first(), Some(&(0x50, 0x0186_6005 & !MSI_MME)));
        assert!(w.contains(&(0x54, 0xfee0_1000)) && w.contains(&(0x58, 0)) && w.contains(&(0x5c, 0x4031)));
        assert!(w.contains(&(0x60, 0)));
        assert_eq!(w.last(), Some(&(0x50, (0x0186_6005 & !MSI_MME) | MSI_ENABLE)));
    }

    #[test]
    fn msi_32() {
        let cap = MsiCap { offset: 0x60, is64: false, maskable: false };
        let w = msi_writes(&cap, 0x0000_7005, 0xfee0_0000, 0x41);
        assert_eq!(w, alloc::vec![(0x60, 0x7005), (0x64, 0xfee0_0000), (0x68, 0x41), (0x60, 0x0001_7005)]);
    }

    #[test]
    fn msix_entries() {
        let cap = MsixCap { offset: 0x98, table_size: 2, table_bar: 1, table_offset: 0, pba_bar: 1, pba_offset: 0x800 };
        let w = msix_entry_writes(&cap, 1, 0xfee0_0000, 0x4042).unwrap();
        assert_eq!(w, [(16, 0xfee0_0000), (20, 0), (24, 0x4042), (28, 0)]);
        assert_eq!(msix_entry_writes(&cap, 2, 0, 0), Err(MsixError::NoSuchEntry));
        let (a, b) = msix_control(0x0001_8411);
        assert_eq!((a, b), (0xc001_8411, 0x8001_8411));
    }
}
