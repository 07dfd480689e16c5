//! The Multiple APIC Description Table (MADT, signature `APIC`; ACPI 6.4
//! §5.2.12): which processors the platform has and their local APIC IDs,
//! for the kernel's application-processor start-up (docs/kernel.md,
//! "Multicore").
//!
//! Read from untrusted firmware memory: the table's length was bounded and
//! checksummed by [`read_table`](crate::read_table); every entry's length
//! is checked against the table's end, a zero-length entry ends the walk
//! (it would loop forever otherwise), and at most [`MAX_CPUS`] processors
//! are returned (the rest are counted in [`Cpus::dropped`]).

use crate::{AcpiError, HEADER_LEN, PhysMem, Table};

/// Most processors [`Madt::cpus`] returns.
pub const MAX_CPUS: usize = 64;

/// Entry type 0: Processor Local APIC (§5.2.12.2).
const TYPE_LOCAL_APIC: u8 = 0;
/// Entry type 5: Local APIC Address Override (§5.2.12.8).
const TYPE_LAPIC_OVERRIDE: u8 = 5;
/// Entry type 9: Processor Local x2APIC (§5.2.12.12).
const TYPE_LOCAL_X2APIC: u8 = 9;
/// Local APIC flags bit 0: Enabled (§5.2.12.2, Table 5.23).
const FLAG_ENABLED: u32 = 1;

/// One processor the MADT lists as enabled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cpu {
    /// Local APIC ID (8 bits from a type 0 entry, 32 from type 9).
    pub apic_id: u32,
    /// ACPI processor UID (`_UID`; the type 0 entry's 8-bit processor ID).
    pub uid: u32,
}

/// The enabled processors, in table order, each APIC ID once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cpus {
    list: [Cpu; MAX_CPUS],
    len: usize,
    /// Enabled processors left out because [`MAX_CPUS`] were listed already.
    pub dropped: u32,
}

impl Cpus {
    /// The processors.
    pub fn as_slice(&self) -> &[Cpu] {
        &self.list[..self.len]
    }

    fn push(&mut self, c: Cpu) {
        if self.as_slice().iter().any(|x| x.apic_id == c.apic_id) {
            return; // listed twice (type 0 and type 9 for one CPU): once
        }
        if self.len == MAX_CPUS {
            self.dropped = self.dropped.saturating_add(1);
            return;
        }
        self.list[self.len] = c;
        self.len += 1;
    }
}

/// What the MADT says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Madt {
    /// Physical address of the local APIC registers (the 64-bit override
    /// when a type 5 entry gives one).
    pub lapic_paddr: u64,
    /// The enabled processors.
    pub cpus: Cpus,
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4).map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

impl Madt {
    /// Reads the MADT `t` (found with [`find_table`](crate::find_table)
    /// for signature `APIC`). Processors whose Enabled flag is clear are
    /// left out (ACPI: "the OS must not attempt to use" them; the
    /// Online Capable ones are hot-plug, which Rampart does not do).
    ///
    /// # Errors
    /// [`AcpiError::BadTable`] if the table is shorter than its fixed
    /// part (44 bytes) or is not an MADT; [`AcpiError::Unreadable`].
    pub fn read(mem: &mut dyn PhysMem, t: &Table) -> Result<Madt, AcpiError> {
        if t.signature != *b"APIC" || t.length < HEADER_LEN + 8 {
            return Err(AcpiError::BadTable(t.paddr));
        }
        let mut fixed = [0u8; 8];
        mem.read(t.paddr + u64::from(HEADER_LEN), &mut fixed)?;
        let mut m = Madt {
            lapic_paddr: u64::from(u32_at(&fixed, 0)),
            cpus: Cpus { list: [Cpu::default(); MAX_CPUS], len: 0, dropped: 0 },
        };
        let end = u64::from(t.length);
        let mut off = u64::from(HEADER_LEN) + 8;
        // Each entry is at least 2 bytes, so the walk is bounded by the
        // table length (at most MAX_TABLE_LEN / 2 entries).
        while off + 2 <= end {
            let mut e = [0u8; 16];
            mem.read(t.paddr + off, &mut e[..2])?;
            let (kind, len) = (e[0], u64::from(e[1]));
            if len < 2 || off + len > end {
                break; // malformed: stop, keep what was read
            }
            let body = (len as usize).min(e.len());
            mem.read(t.paddr + off, &mut e[..body])?;
            match kind {
                TYPE_LOCAL_APIC if len >= 8 && u32_at(&e, 4) & FLAG_ENABLED != 0 => {
                    m.cpus.push(Cpu { apic_id: u32::from(e[3]), uid: u32::from(e[2]) });
                }
                TYPE_LOCAL_X2APIC if len >= 16 && u32_at(&e, 8) & FLAG_ENABLED != 0 => {
                    m.cpus.push(Cpu { apic_id: u32_at(&e, 4), uid: u32_at(&e, 12) });
                }
                TYPE_LAPIC_OVERRIDE if len >= 12 => {
                    m.lapic_paddr = u64::from(u32_at(&e, 4)) | (u64::from(u32_at(&e, 8)) << 32);
                }
                _ => {}
            }
            off += len;
        }
        Ok(m)
    }
}

#[cfg(test)]
#[path = "madt_tests.rs"]
mod tests;
