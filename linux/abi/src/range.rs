//! User-range checks: how the shim decides whether a pointer a Linux
//! program passes may be dereferenced (docs/linux-abi.md, "Bad pointers").
//!
//! The shim runs in the program's own address space, so a wild pointer
//! would fault the shim itself. Instead of catching that fault, every
//! buffer is checked *before* use against the shim's own record of the
//! program's mappings ([`MapTable`]: the ELF segments it loaded, the stack,
//! `brk` and every `mmap` it performed) and refused with `EFAULT`. The
//! shim's own memory is never in the table, so a program cannot make the
//! shim read or write it.

use crate::errno::EFAULT;
use alloc::vec::Vec;

/// Protection of a mapping (`PROT_READ` = 1, `PROT_WRITE` = 2,
/// `PROT_EXEC` = 4; mmap(2)).
pub type Prot = u32;
/// `PROT_READ`.
pub const PROT_READ: Prot = 1;
/// `PROT_WRITE`.
pub const PROT_WRITE: Prot = 2;
/// `PROT_EXEC`.
pub const PROT_EXEC: Prot = 4;

/// Lowest address a Linux program may use (the default
/// `vm.mmap_min_addr`, 64 KiB).
pub const MIN_ADDR: u64 = 0x1_0000;
/// End of the user half (canonical lower half).
pub const USER_END: u64 = 0x0000_8000_0000_0000;

/// One mapping `[start, end)` of the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// First byte (page aligned).
    pub start: u64,
    /// One past the last byte (page aligned).
    pub end: u64,
    /// `PROT_*` bits.
    pub prot: Prot,
}

/// The program's mappings, sorted and non-overlapping.
#[derive(Clone, Debug, Default)]
pub struct MapTable {
    maps: Vec<Mapping>,
}

impl MapTable {
    /// An empty table.
    pub const fn new() -> MapTable {
        MapTable { maps: Vec::new() }
    }

    /// The mappings, lowest first.
    pub fn mappings(&self) -> &[Mapping] {
        &self.maps
    }

    /// Records `[start, start + len)` with `prot`, replacing whatever part
    /// of older mappings it covers (as `MAP_FIXED` does).
    ///
    /// # Errors
    /// `EINVAL` (unaligned, empty, overflowing or outside
    /// `[MIN_ADDR, USER_END)`).
    pub fn insert(&mut self, start: u64, len: u64, prot: Prot) -> Result<(), i32> {
        let end = checked_end(start, len).ok_or(crate::errno::EINVAL)?;
        if !start.is_multiple_of(4096) || !end.is_multiple_of(4096) {
            return Err(crate::errno::EINVAL);
        }
        self.remove(start, len)?;
        let at = self.maps.partition_point(|m| m.start < start);
        self.maps.insert(at, Mapping { start, end, prot });
        Ok(())
    }

    /// Forgets `[start, start + len)` (munmap(2)); unmapped parts are fine.
    ///
    /// # Errors
    /// `EINVAL` as for [`MapTable::insert`].
    pub fn remove(&mut self, start: u64, len: u64) -> Result<(), i32> {
        let end = checked_end(start, len).ok_or(crate::errno::EINVAL)?;
        let mut out = Vec::with_capacity(self.maps.len() + 1);
        for m in self.maps.drain(..) {
            if m.end <= start || m.start >= end {
                out.push(m);
                continue;
            }
            if m.start < start {
                out.push(Mapping { end: start, ..m });
            }
            if m.end > end {
                out.push(Mapping { start: end, ..m });
            }
        }
        self.maps = out;
        Ok(())
    }

    /// First free range of `len` bytes at or above `hint` and below
    /// `limit` (page-aligned `len`), for mmap without `MAP_FIXED`.
    pub fn find_free(&self, hint: u64, limit: u64, len: u64) -> Option<u64> {
        let mut cand = hint.max(MIN_ADDR).next_multiple_of(4096);
        for m in &self.maps {
            if m.end <= cand {
                continue;
            }
            if m.start >= cand.checked_add(len)? {
                break;
            }
            cand = m.end;
        }
        (cand.checked_add(len)? <= limit).then_some(cand)
    }

    /// Checks that the program may access `[addr, addr + len)` with
    /// `want` (`PROT_READ` for a buffer the shim reads, `PROT_WRITE` for
    /// one it writes). A zero length is always fine (Linux does not touch
    /// the pointer).
    ///
    /// # Errors
    /// `EFAULT`: overflow, outside user space, or any byte not covered by
    /// a mapping with `want`.
    pub fn check(&self, addr: u64, len: u64, want: Prot) -> Result<(), i32> {
        if len == 0 {
            return Ok(());
        }
        let end = checked_end(addr, len).ok_or(EFAULT)?;
        let mut at = addr;
        let i = self.maps.partition_point(|m| m.end <= addr);
        for m in &self.maps[i..] {
            if m.start > at || m.prot & want != want {
                return Err(EFAULT);
            }
            at = m.end;
            if at >= end {
                return Ok(());
            }
        }
        Err(EFAULT)
    }
}

fn checked_end(start: u64, len: u64) -> Option<u64> {
    let end = start.checked_add(len)?;
    (len != 0 && start >= MIN_ADDR && end <= USER_END).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MapTable {
        let mut t = MapTable::new();
        t.insert(0x40_0000, 0x1000, PROT_READ | PROT_EXEC).unwrap();
        t.insert(0x40_1000, 0x2000, PROT_READ | PROT_WRITE).unwrap();
        t.insert(0x7fff_0000, 0x1_0000, PROT_READ | PROT_WRITE).unwrap();
        t
    }

    #[test]
    fn buffers_inside_mappings_pass() {
        let t = table();
        assert_eq!(t.check(0x40_0000, 0x3000, PROT_READ), Ok(()), "spans two adjacent mappings");
        assert_eq!(t.check(0x40_1ff8, 16, PROT_WRITE), Ok(()));
        assert_eq!(t.check(0, 0, PROT_WRITE), Ok(()), "empty buffers are not dereferenced");
    }

    #[test]
    fn attacker_pointers_are_efault() {
        let t = table();
        for (addr, len, want) in [
            (0, 1, PROT_READ),                          // NULL
            (0x40_0000, 8, PROT_WRITE),                 // read-only text
            (0x40_2ff8, 16, PROT_READ),                 // runs off the end
            (0x3f_fff8, 16, PROT_READ),                 // starts before
            (u64::MAX - 4, 16, PROT_READ),              // wraps around
            (0x40_0000, u64::MAX, PROT_READ),           // huge length
            (0xffff_8000_0000_0000, 8, PROT_READ),      // kernel half
            (0x0000_8000_0000_0000 - 8, 16, PROT_READ), // past the user half
            (0x50_0000, 1, PROT_READ),                  // hole
        ] {
            assert_eq!(t.check(addr, len, want), Err(EFAULT), "{addr:#x}+{len:#x}");
        }
    }

    #[test]
    fn munmap_splits_and_mmap_finds_holes() {
        let mut t = table();
        t.remove(0x40_1000, 0x1000).unwrap();
        assert_eq!(t.check(0x40_1000, 1, PROT_READ), Err(EFAULT));
        assert_eq!(t.check(0x40_2000, 1, PROT_READ), Ok(()));
        assert_eq!(t.find_free(0x40_0000, 0x7fff_0000, 0x1000), Some(0x40_1000));
        assert_eq!(t.find_free(0x40_0000, 0x7fff_0000, 0x2000), Some(0x40_3000));
        assert_eq!(t.find_free(0x7ff0_0000, 0x7fff_0000, 0x10_0000), None);
        assert_eq!(t.insert(0x40_0001, 0x1000, PROT_READ), Err(crate::errno::EINVAL));
        assert_eq!(t.insert(0, 0x1000, PROT_READ), Err(crate::errno::EINVAL));
    }
}
