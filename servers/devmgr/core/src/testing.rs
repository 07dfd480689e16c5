//! A configuration space in memory for tests (host and model checks):
//! functions as 256-byte images with per-register writable masks, so BAR
//! probing behaves as on hardware (the address bits below the size read
//! back as zero).

use crate::pci::ConfigSpace;
use alloc::collections::BTreeMap;
use rampart_devmgr_api::Bdf;

/// One function's registers.
#[derive(Clone, Debug)]
pub struct FakeFunction {
    /// Register values (dword `i` at offset `4 * i`).
    pub regs: [u32; 64],
    /// Writable bits per register.
    pub writable: [u32; 64],
}

impl FakeFunction {
    /// A function with vendor/device, class (class, subclass, prog-if) and
    /// header type; memory/IO decode enabled, capability list flagged if
    /// `caps` is nonzero (its offset).
    pub fn new(vendor: u16, device: u16, class: [u8; 3], header: u8, caps: u8) -> FakeFunction {
        let mut f = FakeFunction { regs: [0; 64], writable: [0; 64] };
        f.regs[0] = u32::from(vendor) | u32::from(device) << 16;
        f.regs[1] = 0x3 | if caps != 0 { 1 << 20 } else { 0 };
        f.writable[1] = 0x0000_0507;
        f.regs[2] = u32::from(class[0]) << 24 | u32::from(class[1]) << 16 | u32::from(class[2]) << 8 | 1;
        f.regs[3] = u32::from(header) << 16;
        f.regs[13] = u32::from(caps);
        f.writable[15] = 0xff;
        f
    }

    /// Sets BAR register `i` to `value` with `size` bytes (writable address
    /// bits above the size).
    pub fn bar(mut self, i: usize, value: u32, size: u64, is64_hi: Option<u32>) -> FakeFunction {
        let io = value & 1 == 1;
        let low = if io { 3 } else { 0xf };
        self.regs[4 + i] = value;
        self.writable[4 + i] = (!(size - 1) as u32) & !low;
        if let Some(hi) = is64_hi {
            self.regs[5 + i] = hi;
            self.writable[5 + i] = (!(size - 1) >> 32) as u32;
        }
        self
    }

    /// Sets dword register `offset` (read-only unless `writable`).
    pub fn reg(mut self, offset: u16, value: u32, writable: u32) -> FakeFunction {
        self.regs[(offset / 4) as usize] = value;
        self.writable[(offset / 4) as usize] = writable;
        self
    }
}

/// A bus of fake functions.
#[derive(Clone, Debug, Default)]
pub struct FakeConfig {
    /// The functions.
    pub funcs: BTreeMap<Bdf, FakeFunction>,
    /// Every write performed, in order.
    pub writes: alloc::vec::Vec<(Bdf, u16, u32)>,
}

impl ConfigSpace for FakeConfig {
    fn read(&mut self, bdf: Bdf, offset: u16) -> u32 {
        match self.funcs.get(&bdf) {
            Some(f) if offset < 256 => f.regs[(offset / 4) as usize],
            _ => 0xffff_ffff,
        }
    }

    fn write(&mut self, bdf: Bdf, offset: u16, value: u32) {
        self.writes.push((bdf, offset, value));
        if let Some(f) = self.funcs.get_mut(&bdf)
            && offset < 256
        {
            let i = (offset / 4) as usize;
            f.regs[i] = (f.regs[i] & !f.writable[i]) | (value & f.writable[i]);
        }
    }
}

/// A QEMU-like modern virtio PCI function (`device` 0x1042 blk, 0x1041
/// net): I/O BAR 0 (legacy, 0x80 ports at `io`), BAR 1 the MSI-X table (4
/// KiB at `bar1`, 2 entries, pending bits at +0x800), BAR 4 64-bit
/// prefetchable 16 KiB at `bar4` holding the virtio structures (common at
/// 0, ISR at 0x1000, device at 0x2000, notify at 0x3000 with multiplier 4).
pub fn virtio_function(device: u16, io: u16, bar1: u32, bar4: u64) -> FakeFunction {
    let class = if device == 0x1042 { [1, 0, 0] } else { [2, 0, 0] };
    let f = FakeFunction::new(0x1af4, device, class, 0, 0x98)
        .bar(0, u32::from(io) | 1, 0x80, None)
        .bar(1, bar1, 0x1000, None)
        .bar(4, (bar4 as u32) | 0xc, 0x4000, Some((bar4 >> 32) as u32))
        .reg(0x3c, 0x0000_010b, 0xff);
    // MSI-X: id 0x11, next 0x84, 2 entries; table BAR 1 offset 0, PBA BAR 1 +0x800.
    let f = f.reg(0x98, 0x0001_8411, 0xc000_0000).reg(0x9c, 1, 0).reg(0xa0, 0x801, 0);
    // virtio caps (id 9): cap_len 16 (20 for notify), cfg_type, bar, offset, length.

    f.reg(0x84, 0x0514_7009, 0) // PCI cfg access (type 5), next 0x70
        .reg(0x88, 0, 0)
        .reg(0x70, 0x0214_6009, 0) // notify, next 0x60
        .reg(0x74, 4, 0)
        .reg(0x78, 0x3000, 0)
        .reg(0x7c, 0x1000, 0)
        .reg(0x80, 4, 0)
        .reg(0x60, 0x0410_5009, 0) // device, next 0x50
        .reg(0x64, 4, 0)
        .reg(0x68, 0x2000, 0)
        .reg(0x6c, 0x1000, 0)
        .reg(0x50, 0x0310_4009, 0) // ISR, next 0x40
        .reg(0x54, 4, 0)
        .reg(0x58, 0x1000, 0)
        .reg(0x5c, 0x1000, 0)
        .reg(0x40, 0x0110_0009, 0) // common, end
        .reg(0x44, 4, 0)
        .reg(0x48, 0, 0)
        .reg(0x4c, 0x1000, 0)
}
