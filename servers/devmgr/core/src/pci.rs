//! Configuration space and enumeration (PCI Local Bus 3.0 §6.1-6.2).

use crate::bars::{BarError, size_bars};
use crate::caps::{CapList, parse_caps};
use alloc::vec::Vec;
use rampart_devmgr_api::{Bar, Bdf};

/// Register offsets of the type 0/1 header (§6.1).
pub mod reg {
    /// Vendor id (low 16 bits), device id (high 16 bits).
    pub const ID: u16 = 0x00;
    /// Command (low 16 bits), status (high 16 bits).
    pub const COMMAND: u16 = 0x04;
    /// Revision, programming interface, subclass, class (low to high).
    pub const CLASS: u16 = 0x08;
    /// Cache line, latency, header type (bits 16..23), BIST.
    pub const HEADER: u16 = 0x0c;
    /// BAR 0; BAR i is at `BAR0 + 4 * i`.
    pub const BAR0: u16 = 0x10;
    /// Capabilities pointer (low 8 bits).
    pub const CAP_PTR: u16 = 0x34;
    /// Interrupt line (bits 0..7) and pin (bits 8..15).
    pub const INTERRUPT: u16 = 0x3c;
}

/// Command register bits (§6.2.2).
pub mod command {
    /// Respond to I/O space accesses.
    pub const IO: u16 = 1 << 0;
    /// Respond to memory space accesses.
    pub const MEMORY: u16 = 1 << 1;
    /// May master the bus (DMA, and MSI writes).
    pub const BUS_MASTER: u16 = 1 << 2;
    /// INTx# disabled.
    pub const INTX_DISABLE: u16 = 1 << 10;
}

/// Status register bit: the function has a capability list (§6.2.3).
pub const STATUS_CAP_LIST: u32 = 1 << 20;

/// 32-bit access to configuration space; implemented over ports
/// 0xCF8/0xCFC (mechanism #1, §3.2.2.3.2) in the guest and over memory
/// images in tests. Offsets are 4-aligned and below 256.
pub trait ConfigSpace {
    /// Reads the register at `offset` of `bdf` (0xffff_ffff if absent).
    fn read(&mut self, bdf: Bdf, offset: u16) -> u32;
    /// Writes the register at `offset` of `bdf`.
    fn write(&mut self, bdf: Bdf, offset: u16, value: u32);
}

/// The mechanism #1 address for a register (bit 31 enable, bus, device,
/// function, register with the low two bits clear).
pub const fn cf8_address(bdf: Bdf, offset: u16) -> u32 {
    0x8000_0000
        | (bdf.bus as u32) << 16
        | ((bdf.device & 0x1f) as u32) << 11
        | ((bdf.function & 7) as u32) << 8
        | (offset & 0xfc) as u32
}

/// One enumerated function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    /// Its address.
    pub bdf: Bdf,
    /// Vendor id.
    pub vendor: u16,
    /// Device id.
    pub device: u16,
    /// Class, subclass, programming interface.
    pub class: [u8; 3],
    /// Revision.
    pub revision: u8,
    /// Header type (low 7 bits; 0 = device, 1 = PCI bridge).
    pub header_type: u8,
    /// Interrupt line register (the firmware's legacy routing).
    pub irq_line: u8,
    /// Interrupt pin (0 none, 1..4 INTA#..INTD#).
    pub irq_pin: u8,
    /// Sized BARs (type 0 headers only).
    pub bars: Vec<Bar>,
    /// The capability list.
    pub caps: CapList,
    /// Why BAR sizing stopped early, if it did.
    pub bar_error: Option<BarError>,
}

/// Reads one function's header, sizes its BARs and parses its capability
/// list. `None` if no function answers at `bdf`.
pub fn probe(cs: &mut dyn ConfigSpace, bdf: Bdf) -> Option<Function> {
    let id = cs.read(bdf, reg::ID);
    let vendor = id as u16;
    if vendor == 0xffff || vendor == 0 {
        return None;
    }
    let class = cs.read(bdf, reg::CLASS);
    let header = cs.read(bdf, reg::HEADER);
    let int = cs.read(bdf, reg::INTERRUPT);
    let header_type = ((header >> 16) & 0x7f) as u8;
    let (bars, bar_error) = if header_type == 0 {
        match size_bars(cs, bdf) {
            Ok(b) => (b, None),
            Err((b, e)) => (b, Some(e)),
        }
    } else {
        (Vec::new(), None)
    };
    let status = cs.read(bdf, reg::COMMAND);
    let caps = if status & STATUS_CAP_LIST != 0 { parse_caps(cs, bdf) } else { CapList::default() };
    Some(Function {
        bdf,
        vendor,
        device: (id >> 16) as u16,
        class: [(class >> 24) as u8, (class >> 16) as u8, (class >> 8) as u8],
        revision: class as u8,
        header_type,
        irq_line: int as u8,
        irq_pin: (int >> 8) as u8,
        bars,
        caps,
        bar_error,
    })
}

/// Enumerates every function on buses `0..=last_bus` by brute force
/// (every bus/device; functions 1..8 only for multi-function devices).
/// Brute force finds devices behind bridges the firmware configured
/// without walking bridges, and `last_bus` bounds the work (255 for a full
/// scan; QEMU's `pc` and `q35` put their devices on bus 0).
pub fn enumerate(cs: &mut dyn ConfigSpace, last_bus: u8) -> Vec<Function> {
    let mut out = Vec::new();
    for bus in 0..=last_bus {
        for device in 0..32u8 {
            let Some(f0) = probe(cs, Bdf { bus, device, function: 0 }) else { continue };
            let multi = cs.read(f0.bdf, reg::HEADER) & (0x80 << 16) != 0;
            out.push(f0);
            if multi {
                for function in 1..8u8 {
                    if let Some(f) = probe(cs, Bdf { bus, device, function }) {
                        out.push(f);
                    }
                }
            }
        }
    }
    out
}
