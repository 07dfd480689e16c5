//! virtio over PCI (virtio 1.2 §4.1): finding the virtio structures in a
//! function's capability list (§4.1.4) and the common-configuration
//! registers a driver programs itself.
//!
//! `virtio-drivers` sets every queue up but never writes the MSI-X vector
//! registers, and with MSI-X enabled (devmgr enables it and programs table
//! entry 0) a device whose vectors read `VIRTIO_MSI_NO_VECTOR` raises no
//! interrupt at all (§4.1.5.1.2). The driver therefore maps the common
//! configuration itself and routes its queues (and configuration changes)
//! to entry 0 with [`route_vectors`].

/// `cfg_type` of the common configuration (§4.1.4.3).
pub const CAP_COMMON: u8 = 1;
/// `cfg_type` of the notification structure (§4.1.4.4).
pub const CAP_NOTIFY: u8 = 2;
/// `cfg_type` of the ISR status (§4.1.4.5).
pub const CAP_ISR: u8 = 3;
/// `cfg_type` of the device-specific configuration (§4.1.4.6).
pub const CAP_DEVICE: u8 = 4;

/// "No vector" in the MSI-X vector registers (§4.1.5.1.2).
pub const NO_VECTOR: u16 = 0xffff;

/// Byte offsets in `virtio_pci_common_cfg` (§4.1.4.3).
pub mod common {
    /// `config_msix_vector` (le16).
    pub const CONFIG_MSIX_VECTOR: u64 = 16;
    /// `num_queues` (le16, read-only).
    pub const NUM_QUEUES: u64 = 18;
    /// `queue_select` (le16).
    pub const QUEUE_SELECT: u64 = 22;
    /// `queue_size` (le16).
    pub const QUEUE_SIZE: u64 = 24;
    /// `queue_msix_vector` (le16).
    pub const QUEUE_MSIX_VECTOR: u64 = 26;
    /// Bytes of the structure.
    pub const LEN: u64 = 56;
}

/// A virtio structure: `length` bytes at `offset` in BAR `bar`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VirtioCap {
    /// `cfg_type`.
    pub cfg_type: u8,
    /// BAR index (0..6).
    pub bar: u8,
    /// Offset in the BAR.
    pub offset: u32,
    /// Length in bytes.
    pub length: u32,
}

/// The first virtio structure of type `cfg_type` in the capability list
/// read through `read` (32-bit configuration reads at 4-aligned offsets).
/// The walk is bounded (48 capabilities) and ignores malformed entries
/// (a pointer into the header, a BAR index above 5, `cap_len` below 16),
/// so a hostile device cannot loop it (PCI 3.0 §6.7).
pub fn find_cap(read: &mut dyn FnMut(u16) -> Option<u32>, cfg_type: u8) -> Option<VirtioCap> {
    const STATUS_CAP_LIST: u32 = 1 << 20;
    const VENDOR: u8 = 0x09;
    if read(0x04)? & STATUS_CAP_LIST == 0 {
        return None;
    }
    let mut ptr = (read(0x34)? & 0xfc) as u16;
    for _ in 0..48 {
        if ptr < 0x40 {
            return None;
        }
        let head = read(ptr)?;
        let (id, next, cap_len, ty) = (head as u8, (head >> 8) as u8, (head >> 16) as u8, (head >> 24) as u8);
        if id == VENDOR && ty == cfg_type && cap_len >= 16 && ptr <= 256 - 16 {
            let bar = read(ptr + 4)? as u8;
            let offset = read(ptr + 8)?;
            let length = read(ptr + 12)?;
            if bar < 6 {
                return Some(VirtioCap { cfg_type, bar, offset, length });
            }
        }
        ptr = u16::from(next & 0xfc);
    }
    None
}

/// 16-bit registers of a mapped common configuration.
pub trait Regs16 {
    /// Reads the register at byte offset `off`.
    fn read16(&mut self, off: u64) -> u16;
    /// Writes the register at byte offset `off`.
    fn write16(&mut self, off: u64, v: u16);
}

/// Why the vectors could not be routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VectorError {
    /// The device refused the vector for this queue (it reads back
    /// [`NO_VECTOR`] or another value).
    Queue(u16),
    /// The device refused the configuration-change vector.
    Config,
}

/// Routes queues `0..queues` to MSI-X `vector` (and configuration changes
/// to `config`: [`NO_VECTOR`] for none), reading each back as §4.1.5.1.2
/// requires (a device that cannot allocate the vector answers
/// `NO_VECTOR`). Leaves `queue_select` at 0.
///
/// # Errors
/// [`VectorError`].
pub fn route_vectors(r: &mut dyn Regs16, queues: u16, vector: u16, config: u16) -> Result<(), VectorError> {
    r.write16(common::CONFIG_MSIX_VECTOR, config);
    if r.read16(common::CONFIG_MSIX_VECTOR) != config {
        return Err(VectorError::Config);
    }
    for q in 0..queues {
        r.write16(common::QUEUE_SELECT, q);
        r.write16(common::QUEUE_MSIX_VECTOR, vector);
        if r.read16(common::QUEUE_MSIX_VECTOR) != vector {
            r.write16(common::QUEUE_SELECT, 0);
            return Err(VectorError::Queue(q));
        }
    }
    r.write16(common::QUEUE_SELECT, 0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn space(caps: &[(u8, [u32; 4])]) -> Vec<u32> {
        let mut s = alloc::vec![0u32; 64];
        s[1] = 1 << 20;
        s[0x34 / 4] = 0x40;
        for (i, (next, words)) in caps.iter().enumerate() {
            let at = 0x40 / 4 + i * 4;
            s[at..at + 4].copy_from_slice(words);
            s[at] = (s[at] & !0xff00) | (u32::from(*next) << 8);
        }
        s
    }

    fn vendor(ty: u8, bar: u8, off: u32, len: u32) -> [u32; 4] {
        [0x09 | (16 << 16) | (u32::from(ty) << 24), u32::from(bar), off, len]
    }

    #[test]
    fn finds_structures() {
        let s = space(&[(0x50, vendor(CAP_COMMON, 4, 0, 0x1000)), (0, vendor(CAP_NOTIFY, 4, 0x3000, 0x1000))]);
        let mut rd = |o: u16| s.get(usize::from(o) / 4).copied();
        assert_eq!(find_cap(&mut rd, CAP_COMMON), Some(VirtioCap { cfg_type: 1, bar: 4, offset: 0, length: 0x1000 }));
        assert_eq!(find_cap(&mut rd, CAP_NOTIFY).map(|c| c.offset), Some(0x3000));
        assert_eq!(find_cap(&mut rd, CAP_DEVICE), None);
    }

    #[test]
    fn hostile_lists_end() {
        // A loop (0x40 -> 0x40), a bad BAR index, a pointer into the header.
        let s = space(&[(0x40, vendor(CAP_ISR, 9, 0, 4))]);
        let mut rd = |o: u16| s.get(usize::from(o) / 4).copied();
        assert_eq!(find_cap(&mut rd, CAP_ISR), None);
        let s = space(&[(0x10, vendor(CAP_COMMON, 7, 0, 4))]);
        let mut rd = |o: u16| s.get(usize::from(o) / 4).copied();
        assert_eq!(find_cap(&mut rd, CAP_COMMON), None);
    }

    struct Fake {
        sel: u16,
        vec: [u16; 4],
        cfg: u16,
        limit: u16,
    }

    impl Regs16 for Fake {
        fn read16(&mut self, off: u64) -> u16 {
            match off {
                common::CONFIG_MSIX_VECTOR => self.cfg,
                common::QUEUE_MSIX_VECTOR => self.vec[usize::from(self.sel)],
                common::QUEUE_SELECT => self.sel,
                _ => 0,
            }
        }
        fn write16(&mut self, off: u64, v: u16) {
            match off {
                common::CONFIG_MSIX_VECTOR => self.cfg = v,
                common::QUEUE_SELECT => self.sel = v,
                common::QUEUE_MSIX_VECTOR => {
                    self.vec[usize::from(self.sel)] = if self.sel < self.limit { v } else { NO_VECTOR }
                }
                _ => {}
            }
        }
    }

    #[test]
    fn routes_and_detects_refusal() {
        let mut f = Fake { sel: 3, vec: [NO_VECTOR; 4], cfg: NO_VECTOR, limit: 4 };
        assert_eq!(route_vectors(&mut f, 2, 0, NO_VECTOR), Ok(()));
        assert_eq!(f.vec, [0, 0, NO_VECTOR, NO_VECTOR]);
        assert_eq!(f.sel, 0);
        let mut f = Fake { sel: 0, vec: [NO_VECTOR; 4], cfg: NO_VECTOR, limit: 1 };
        assert_eq!(route_vectors(&mut f, 2, 0, NO_VECTOR), Err(VectorError::Queue(1)));
    }
}
