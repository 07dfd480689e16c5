//! DMA bookkeeping for drivers, independent of the kernel.
//!
//! A device reads and writes physical memory. A driver's DMA memory comes
//! from rm regions (`RegionAlloc`); rm allocates a region whose size is a
//! power of two in pages as **one** buddy block and retypes its frames in
//! order, so such a region is physically contiguous. The driver does not
//! trust that reasoning blindly: it reads the physical addresses back
//! (`RegionPhys`) and [`contiguous`] checks them before the memory is used.
//!
//! Buffers handed to the device are translated through a [`DmaTable`] of
//! those regions (zero copy). A buffer outside every DMA region (a request
//! header on the stack, a descriptor list on the heap) is copied through a
//! slot of a [`Bounce`] arena, itself a DMA region.

use alloc::vec::Vec;

/// Bytes of a page.
pub const PAGE: u64 = 4096;

/// Why DMA memory cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaError {
    /// No pages, or page `index` is not at `first + index * 4096`.
    NotContiguous {
        /// The first page that breaks the run.
        index: usize,
    },
    /// A region's size is not a power of two in pages (rm gives physical
    /// contiguity only for those).
    NotPowerOfTwo,
}

/// Pages to ask rm for so that `pages` pages come out physically
/// contiguous: the next power of two.
pub fn contiguous_pages(pages: usize) -> usize {
    pages.max(1).next_power_of_two()
}

/// The physical address of a run of pages whose addresses are `phys`, if
/// they are consecutive.
///
/// # Errors
/// [`DmaError::NotContiguous`] naming the first page out of place (index
/// 0 for an empty list or a misaligned first page).
pub fn contiguous(phys: &[u64]) -> Result<u64, DmaError> {
    let first = *phys.first().ok_or(DmaError::NotContiguous { index: 0 })?;
    if !first.is_multiple_of(PAGE) {
        return Err(DmaError::NotContiguous { index: 0 });
    }
    for (i, &p) in phys.iter().enumerate() {
        if Some(p) != first.checked_add(i as u64 * PAGE) {
            return Err(DmaError::NotContiguous { index: i });
        }
    }
    Ok(first)
}

/// One physically contiguous DMA region: `bytes` at virtual `vaddr` and
/// physical `paddr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaRegion {
    /// Virtual address in the driver.
    pub vaddr: u64,
    /// Physical address.
    pub paddr: u64,
    /// Length in bytes.
    pub bytes: u64,
}

/// The driver's DMA regions, for translating buffers to bus addresses.
#[derive(Clone, Debug, Default)]
pub struct DmaTable {
    regions: Vec<DmaRegion>,
}

impl DmaTable {
    /// An empty table.
    pub const fn new() -> DmaTable {
        DmaTable { regions: Vec::new() }
    }

    /// Records region `r`.
    pub fn add(&mut self, r: DmaRegion) {
        self.regions.push(r);
    }

    /// Forgets the region at physical `paddr`; returns it.
    pub fn remove(&mut self, paddr: u64) -> Option<DmaRegion> {
        let i = self.regions.iter().position(|r| r.paddr == paddr)?;
        Some(self.regions.swap_remove(i))
    }

    /// The physical address of `len` bytes at `vaddr`, if they lie wholly
    /// inside one region (`len` 0 is never inside).
    pub fn translate(&self, vaddr: u64, len: u64) -> Option<u64> {
        let end = vaddr.checked_add(len)?;
        if len == 0 {
            return None;
        }
        self.regions.iter().find(|r| vaddr >= r.vaddr && end <= r.vaddr + r.bytes).map(|r| r.paddr + (vaddr - r.vaddr))
    }
}

/// Bytes of one bounce slot.
pub const BOUNCE_SLOT: u64 = 256;

/// A bounced buffer: where the original lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounced {
    /// The original buffer's address.
    pub orig: u64,
    /// Its length.
    pub len: u64,
}

/// An arena of [`BOUNCE_SLOT`]-byte slots in a DMA region, for small
/// buffers that live outside DMA memory.
#[derive(Clone, Debug)]
pub struct Bounce {
    region: DmaRegion,
    slots: Vec<Option<Bounced>>,
}

impl Bounce {
    /// The arena over `region` (its whole length, in slots).
    pub fn new(region: DmaRegion) -> Bounce {
        Bounce { region, slots: alloc::vec![None; (region.bytes / BOUNCE_SLOT) as usize] }
    }

    /// Takes a slot for a buffer of `len` bytes at `orig`; returns the
    /// slot's (virtual, physical) address. `None` if `len` is 0 or larger
    /// than a slot, or every slot is taken.
    pub fn alloc(&mut self, orig: u64, len: u64) -> Option<(u64, u64)> {
        if len == 0 || len > BOUNCE_SLOT {
            return None;
        }
        let i = self.slots.iter().position(Option::is_none)?;
        self.slots[i] = Some(Bounced { orig, len });
        let off = i as u64 * BOUNCE_SLOT;
        Some((self.region.vaddr + off, self.region.paddr + off))
    }

    /// The slot at physical `paddr` (as [`Bounce::alloc`] returned it):
    /// its virtual address and what it holds.
    pub fn find(&self, paddr: u64) -> Option<(u64, Bounced)> {
        let off = paddr.checked_sub(self.region.paddr)?;
        if !off.is_multiple_of(BOUNCE_SLOT) {
            return None;
        }
        let b = (*self.slots.get((off / BOUNCE_SLOT) as usize)?)?;
        Some((self.region.vaddr + off, b))
    }

    /// Frees the slot at physical `paddr`; returns what it held.
    pub fn free(&mut self, paddr: u64) -> Option<Bounced> {
        let off = paddr.checked_sub(self.region.paddr)?;
        if !off.is_multiple_of(BOUNCE_SLOT) {
            return None;
        }
        self.slots.get_mut((off / BOUNCE_SLOT) as usize)?.take()
    }

    /// Slots in use.
    pub fn used(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn contiguity() {
        assert_eq!(contiguous(&[0x10000, 0x11000, 0x12000]), Ok(0x10000));
        assert_eq!(contiguous(&[0x10000, 0x12000]), Err(DmaError::NotContiguous { index: 1 }));
        assert_eq!(contiguous(&[]), Err(DmaError::NotContiguous { index: 0 }));
        assert_eq!(contiguous(&[0x10010]), Err(DmaError::NotContiguous { index: 0 }));
        assert_eq!(contiguous(&[!0xfff, 0]), Err(DmaError::NotContiguous { index: 1 }));
        assert_eq!(contiguous_pages(3), 4);
        assert_eq!(contiguous_pages(0), 1);
        assert_eq!(contiguous_pages(16), 16);
    }

    #[test]
    fn translation_stays_inside_regions() {
        let mut t = DmaTable::new();
        t.add(DmaRegion { vaddr: 0x1000_0000, paddr: 0x20_0000, bytes: 0x4000 });
        assert_eq!(t.translate(0x1000_0010, 16), Some(0x20_0010));
        assert_eq!(t.translate(0x1000_3ff0, 16), Some(0x20_3ff0));
        assert_eq!(t.translate(0x1000_3ff0, 17), None, "straddles the end");
        assert_eq!(t.translate(0x0fff_fff0, 32), None, "starts before");
        assert_eq!(t.translate(0x1000_0000, 0), None);
        assert_eq!(t.translate(u64::MAX, 2), None);
        assert!(t.remove(0x20_0000).is_some());
        assert_eq!(t.translate(0x1000_0010, 16), None);
    }

    #[test]
    fn bounce_slots() {
        let mut b = Bounce::new(DmaRegion { vaddr: 0x5000, paddr: 0x9000, bytes: 512 });
        let (v0, p0) = b.alloc(0x100, 16).unwrap();
        assert_eq!((v0, p0), (0x5000, 0x9000));
        let (_, p1) = b.alloc(0x200, 256).unwrap();
        assert_eq!(p1, 0x9100);
        assert!(b.alloc(0x300, 1).is_none(), "full");
        assert!(b.alloc(0x300, 257).is_none() || b.used() == 2);
        assert_eq!(b.find(p1).map(|x| x.1), Some(Bounced { orig: 0x200, len: 256 }));
        assert_eq!(b.find(p1 + 8), None);
        assert_eq!(b.free(p0), Some(Bounced { orig: 0x100, len: 16 }));
        assert_eq!(b.free(p0), None);
        assert_eq!(b.free(0x1000), None);
        assert_eq!(b.used(), 1);
        let _ = vec![0u8; 1];
    }
}
