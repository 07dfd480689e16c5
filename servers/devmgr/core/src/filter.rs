//! The configuration space a driver sees: its own function only, readable
//! in full (256 bytes), writable only where that cannot widen its
//! authority.
//!
//! - BAR registers are virtualised: writing all ones starts a size probe
//!   (the next read returns the size mask, [`crate::bars::size_mask`]);
//!   writing the original value back ends it. Any other value is refused,
//!   so a driver can never move its BARs over memory it was not given.
//! - The command register: only bus mastering and INTx disable change; the
//!   decode enables stay as devmgr set them (drivers that turn decoding
//!   off around a size probe get the probe virtually).
//! - Everything else (MSI and MSI-X capabilities, interrupt line, status,
//!   vendor capabilities) is read-only: interrupts are devmgr's to program,
//!   and an MSI address is a DMA write the driver must not aim.

use crate::bars::size_mask;
use crate::pci::{ConfigSpace, command, reg};
use rampart_devmgr_api::{Bar, BarKind, Bdf};

/// Why a driver's access was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterError {
    /// Not 4-aligned or beyond the 256-byte configuration header.
    BadOffset,
    /// A register the driver may not change (or a BAR value other than a
    /// size probe or its restoration).
    Denied,
}

/// Command bits a driver may change.
pub const DRIVER_COMMAND_BITS: u32 = (command::BUS_MASTER | command::INTX_DISABLE) as u32;

/// One driver's view of its function.
#[derive(Clone, Debug)]
pub struct DriverView {
    bdf: Bdf,
    bars: alloc::vec::Vec<Bar>,
    probing: [bool; 6],
}

impl DriverView {
    /// The view of `bdf`, whose sized BARs are `bars`.
    pub fn new(bdf: Bdf, bars: &[Bar]) -> DriverView {
        DriverView { bdf, bars: bars.to_vec(), probing: [false; 6] }
    }

    /// The function.
    pub fn bdf(&self) -> Bdf {
        self.bdf
    }

    /// (BAR, upper half) decoding register `i`, if a BAR does.
    fn bar_of(&self, i: u8) -> Option<(&Bar, bool)> {
        self.bars.iter().find_map(|b| {
            if b.index == i {
                Some((b, false))
            } else if b.kind == BarKind::Mem64 && b.index + 1 == i {
                Some((b, true))
            } else {
                None
            }
        })
    }

    /// Reads register `offset`.
    ///
    /// # Errors
    /// [`FilterError::BadOffset`].
    pub fn read(&mut self, cs: &mut dyn ConfigSpace, offset: u16) -> Result<u32, FilterError> {
        if !offset.is_multiple_of(4) || offset >= 256 {
            return Err(FilterError::BadOffset);
        }
        if (reg::BAR0..reg::BAR0 + 24).contains(&offset) {
            let i = ((offset - reg::BAR0) / 4) as u8;
            if self.probing[i as usize] {
                return Ok(self.bar_of(i).map_or(0, |(b, hi)| size_mask(b, hi)));
            }
            if self.bar_of(i).is_none() {
                return Ok(0);
            }
        }
        Ok(cs.read(self.bdf, offset))
    }

    /// Writes register `offset` (see the module documentation).
    ///
    /// # Errors
    /// [`FilterError`].
    pub fn write(&mut self, cs: &mut dyn ConfigSpace, offset: u16, value: u32) -> Result<(), FilterError> {
        if !offset.is_multiple_of(4) || offset >= 256 {
            return Err(FilterError::BadOffset);
        }
        if (reg::BAR0..reg::BAR0 + 24).contains(&offset) {
            let i = ((offset - reg::BAR0) / 4) as usize;
            if value == 0xffff_ffff {
                self.probing[i] = true;
                return Ok(());
            }
            let current = if self.bar_of(i as u8).is_some() { cs.read(self.bdf, offset) } else { 0 };
            if value == current {
                self.probing[i] = false;
                return Ok(());
            }
            return Err(FilterError::Denied);
        }
        if offset == reg::COMMAND {
            let cur = cs.read(self.bdf, reg::COMMAND) & 0xffff;
            let new = (cur & !DRIVER_COMMAND_BITS) | (value & DRIVER_COMMAND_BITS);
            if new != cur {
                cs.write(self.bdf, reg::COMMAND, new);
            }
            return Ok(());
        }
        Err(FilterError::Denied)
    }
}
