//! Device memory: carving the naturally aligned block behind a BAR out of
//! the device untyped capabilities devmgr received, by binary splitting.
//!
//! The kernel carves objects at an untyped's watermark, so an untyped of
//! 2^n bytes at `base` cannot directly yield a frame at an arbitrary
//! address inside it. Splitting it into two halves (one retype of two
//! untyped children) and keeping the half that holds the target, until the
//! half is the target block, reaches any aligned block in at most n - 12
//! splits (2 slots each). The other halves stay available for later
//! blocks. PCI BARs are naturally aligned powers of two (PCI Local Bus 3.0
//! §6.2.5.1), so one carve per BAR suffices.

use alloc::vec::Vec;

/// A split failed (out of slots, or the kernel refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitFailed;

/// Kernel operations the allocator needs.
pub trait UntypedOps {
    /// Retypes untyped `slot` into two untyped children of `child_bits`
    /// (the lower half first); returns their slots.
    ///
    /// # Errors
    /// Any failure (out of slots, kernel error).
    fn split(&mut self, slot: u64, child_bits: u8) -> Result<(u64, u64), SplitFailed>;
}

/// An untyped capability without children.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Slot.
    pub slot: u64,
    /// Physical address.
    pub paddr: u64,
    /// log2 size in bytes.
    pub bits: u8,
}

impl Piece {
    fn end(&self) -> u64 {
        self.paddr.saturating_add(1u64 << self.bits)
    }
}

/// Why a block cannot be carved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CarveError {
    /// Not aligned to its size, or smaller than a page.
    BadBlock,
    /// No free piece covers it (RAM, the local APIC or IOAPIC, or already
    /// carved).
    NotAvailable,
    /// A split failed.
    SplitFailed,
}

/// The free device untyped pieces.
#[derive(Clone, Debug, Default)]
pub struct DeviceMemory {
    free: Vec<Piece>,
}

impl DeviceMemory {
    /// An empty allocator.
    pub fn new() -> DeviceMemory {
        DeviceMemory::default()
    }

    /// Adds a device untyped capability.
    pub fn add(&mut self, slot: u64, paddr: u64, bits: u8) {
        if bits < 64 {
            self.free.push(Piece { slot, paddr, bits });
        }
    }

    /// Free pieces.
    pub fn pieces(&self) -> &[Piece] {
        &self.free
    }

    /// Carves the block `[paddr, paddr + 2^bits)` (`bits` ≥ 12, `paddr`
    /// aligned); returns the slot of an untyped covering exactly it.
    ///
    /// # Errors
    /// [`CarveError`].
    pub fn carve(&mut self, ops: &mut dyn UntypedOps, paddr: u64, bits: u8) -> Result<u64, CarveError> {
        if !(12..64).contains(&bits) || paddr & ((1u64 << bits) - 1) != 0 {
            return Err(CarveError::BadBlock);
        }
        let end = paddr + (1u64 << bits);
        let i = self
            .free
            .iter()
            .position(|p| p.paddr <= paddr && end <= p.end() && p.bits >= bits)
            .ok_or(CarveError::NotAvailable)?;
        let mut p = self.free.swap_remove(i);
        while p.bits > bits {
            let half = p.bits - 1;
            let (lo, hi) = match ops.split(p.slot, half) {
                Ok(s) => s,
                Err(SplitFailed) => {
                    self.free.push(p);
                    return Err(CarveError::SplitFailed);
                }
            };
            let mid = p.paddr + (1u64 << half);
            let (keep, other) = if paddr < mid {
                (Piece { slot: lo, paddr: p.paddr, bits: half }, Piece { slot: hi, paddr: mid, bits: half })
            } else {
                (Piece { slot: hi, paddr: mid, bits: half }, Piece { slot: lo, paddr: p.paddr, bits: half })
            };
            self.free.push(other);
            p = keep;
        }
        Ok(p.slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ops {
        next: u64,
        splits: u32,
    }
    impl UntypedOps for Ops {
        fn split(&mut self, _slot: u64, _bits: u8) -> Result<(u64, u64), SplitFailed> {
            self.splits += 1;
            self.next += 2;
            Ok((self.next - 2, self.next - 1))
        }
    }

    #[test]
    fn carves_and_keeps_the_rest() {
        let mut m = DeviceMemory::new();
        m.add(100, 0xc000_0000, 30); // 1 GiB hole
        let mut ops = Ops { next: 1000, splits: 0 };
        let s = m.carve(&mut ops, 0xfe00_0000, 14).unwrap();
        assert_eq!(ops.splits, 16);
        assert!(s >= 1000);
        // The rest of the hole is still there, in pieces, disjoint.
        let total: u64 = m.pieces().iter().map(|p| 1u64 << p.bits).sum();
        assert_eq!(total, (1 << 30) - (1 << 14));
        for (i, a) in m.pieces().iter().enumerate() {
            for b in &m.pieces()[i + 1..] {
                assert!(a.end() <= b.paddr || b.end() <= a.paddr);
            }
            assert!(a.end() <= 0xfe00_0000 || a.paddr >= 0xfe00_4000);
        }
        // A neighbour can still be carved; the same block cannot.
        assert!(m.carve(&mut ops, 0xfe00_4000, 12).is_ok());
        assert_eq!(m.carve(&mut ops, 0xfe00_0000, 12), Err(CarveError::NotAvailable));
        assert_eq!(m.carve(&mut ops, 0xfe00_0800, 12), Err(CarveError::BadBlock));
        assert_eq!(m.carve(&mut ops, 0x1000, 12), Err(CarveError::NotAvailable));
    }
}
