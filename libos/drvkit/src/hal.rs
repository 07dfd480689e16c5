//! `virtio_drivers::Hal` over rm regions (docs/devices.md §8).
//!
//! - DMA memory: `RegionAlloc` of a power of two in pages (one buddy
//!   block in rm, hence physically contiguous), checked with `RegionPhys`
//!   and [`crate::dma::contiguous`] before use.
//! - MMIO: the pages of the driver's BARs, mapped uncached with
//!   `DeviceMap` by [`crate::device`] and registered here; only ranges
//!   wholly inside registered pages are translated.
//! - Sharing a buffer: buffers inside a DMA region are translated (zero
//!   copy); others are copied through bounce slots (request headers on the
//!   stack, indirect descriptor lists on the heap), or through a DMA
//!   region of their own when larger than a slot.
//!
//! The trait's functions are associated functions (no `self`), so the
//! state is one global, behind a spin lock (drivers are single-threaded;
//! the lock only makes the global sound).

use crate::dma::{Bounce, DmaRegion, DmaTable, PAGE, contiguous, contiguous_pages};
use alloc::vec::Vec;
use core::ptr::NonNull;
use rampart_rm_api::{PHYS_PER_REPLY, RegionId};
use rampart_uabi::Errno;
use spin::Mutex;
use virtio_drivers::{BufferDirection, Hal, PhysAddr};

struct State {
    table: DmaTable,
    /// (physical address, region id) of every DMA region.
    regions: Vec<(u64, RegionId)>,
    bounce: Option<Bounce>,
    /// Buffers copied through a region of their own: (physical address of
    /// the copy, its virtual address, the original, its length).
    big: Vec<(u64, u64, u64, u64)>,
    /// Mapped MMIO pages: (physical, virtual).
    mmio: Vec<(u64, u64)>,
}

static STATE: Mutex<State> =
    Mutex::new(State { table: DmaTable::new(), regions: Vec::new(), bounce: None, big: Vec::new(), mmio: Vec::new() });

/// Pages of the bounce arena.
const BOUNCE_PAGES: usize = 4;

/// A physically contiguous DMA region of at least `bytes` (rounded up to a
/// power of two in pages), zeroed, mapped in the driver and recorded for
/// translation. Returns (region, physical address).
///
/// # Errors
/// rm's errors; `EIO` if the pages rm returned are not contiguous (the
/// region is freed again).
pub fn dma_region(bytes: u64) -> Result<(rampart_rt::rm::Region, u64), Errno> {
    let pages = contiguous_pages(bytes.div_ceil(PAGE) as usize) as u64;
    let r = rampart_rt::rm::region_alloc(pages * PAGE)?;
    let mut phys = Vec::with_capacity(pages as usize);
    while (phys.len() as u64) < pages {
        let got = rampart_rt::rm::region_phys(r.id, phys.len() as u64)?;
        if got.is_empty() || got.len() > PHYS_PER_REPLY {
            let _ = rampart_rt::rm::region_free(r.id);
            return Err(Errno::EIO);
        }
        phys.extend(got);
    }
    phys.truncate(pages as usize);
    let paddr = match contiguous(&phys) {
        Ok(p) => p,
        Err(e) => {
            rampart_rt::pr_err!("drvkit: region {} of {pages} pages is not contiguous: {e:?}", r.id);
            let _ = rampart_rt::rm::region_free(r.id);
            return Err(Errno::EIO);
        }
    };
    let mut s = STATE.lock();
    s.table.add(DmaRegion { vaddr: r.vaddr, paddr, bytes: r.bytes });
    s.regions.push((paddr, r.id));
    Ok((r, paddr))
}

/// Frees a region made by [`dma_region`] (by its physical address).
pub fn dma_free(paddr: u64) {
    let id = {
        let mut s = STATE.lock();
        s.table.remove(paddr);
        let i = s.regions.iter().position(|r| r.0 == paddr);
        i.map(|i| s.regions.swap_remove(i).1)
    };
    if let Some(id) = id {
        let _ = rampart_rt::rm::region_free(id);
    }
}

/// Sets up the bounce arena (call once before the device is used).
///
/// # Errors
/// As [`dma_region`].
pub fn init() -> Result<(), Errno> {
    let (r, paddr) = dma_region(BOUNCE_PAGES as u64 * PAGE)?;
    STATE.lock().bounce = Some(Bounce::new(DmaRegion { vaddr: r.vaddr, paddr, bytes: r.bytes }));
    Ok(())
}

/// Records that the MMIO page at physical `paddr` is mapped at `vaddr`.
pub fn register_mmio(paddr: u64, vaddr: u64) {
    STATE.lock().mmio.push((paddr & !(PAGE - 1), vaddr & !(PAGE - 1)));
}

/// The virtual address of `size` bytes of MMIO at `paddr`, if every page
/// of the range is mapped, consecutively.
pub fn mmio_virt(paddr: u64, size: u64) -> Option<u64> {
    let s = STATE.lock();
    let first = paddr & !(PAGE - 1);
    let base = s.mmio.iter().find(|m| m.0 == first)?.1;
    let end = paddr.checked_add(size.max(1))?;
    let mut p = first;
    while p < end {
        let v = s.mmio.iter().find(|m| m.0 == p)?.1;
        if v != base + (p - first) {
            return None;
        }
        p += PAGE;
    }
    Some(base + (paddr - first))
}

/// The physical address of `len` bytes at `vaddr` inside a DMA region.
pub fn dma_phys(vaddr: u64, len: u64) -> Option<u64> {
    STATE.lock().table.translate(vaddr, len)
}

/// Copies `len` bytes.
///
/// # Safety
/// Both ranges must be valid for `len` bytes and not overlap.
unsafe fn copy(src: u64, dst: u64, len: u64) {
    // SAFETY: the caller's contract.
    unsafe { core::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, len as usize) };
}

/// The HAL type handed to `virtio-drivers`.
pub struct RampartHal;

// SAFETY: `dma_alloc` returns zeroed (fresh from rm), page-aligned,
// physically contiguous memory that nothing else references until
// `dma_dealloc`; `mmio_phys_to_virt` returns only mappings of the driver's
// own BAR pages; `share` returns addresses of memory the device may use
// for the buffer for as long as it is shared.
unsafe impl Hal for RampartHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        match dma_region(pages as u64 * PAGE) {
            Ok((r, paddr)) => match NonNull::new(r.vaddr as *mut u8) {
                Some(v) => (paddr, v),
                None => (0, NonNull::dangling()),
            },
            // virtio-drivers turns physical address 0 into `Error::DmaError`.
            Err(_) => (0, NonNull::dangling()),
        }
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, _pages: usize) -> i32 {
        dma_free(paddr);
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, size: usize) -> NonNull<u8> {
        // The driver checks every virtio structure against its mapped pages
        // before creating the transport (`device::check_structures`), so a
        // miss here means a device changed its capabilities underneath: the
        // driver cannot continue safely.
        match mmio_virt(paddr, size as u64).and_then(|v| NonNull::new(v as *mut u8)) {
            Some(v) => v,
            None => {
                rampart_rt::pr_err!("drvkit: MMIO {paddr:#x}+{size:#x} is not among the driver's pages");
                rampart_rt::rm::exit(70)
            }
        }
    }

    unsafe fn share(buffer: NonNull<[u8]>, direction: BufferDirection) -> PhysAddr {
        let (vaddr, len) = (buffer.as_ptr() as *mut u8 as u64, buffer.len() as u64);
        if let Some(p) = dma_phys(vaddr, len) {
            return p;
        }
        let slot = STATE.lock().bounce.as_mut().and_then(|b| b.alloc(vaddr, len));
        let (copy_v, copy_p) = match slot {
            Some(s) => s,
            None => match dma_region(len) {
                Ok((r, p)) => {
                    STATE.lock().big.push((p, r.vaddr, vaddr, len));
                    (r.vaddr, p)
                }
                Err(_) => {
                    // Handing the device any other address would let it
                    // write where it must not: stop instead.
                    rampart_rt::pr_err!("drvkit: no DMA memory to bounce {len} bytes");
                    rampart_rt::rm::exit(71)
                }
            },
        };
        if direction != BufferDirection::DeviceToDriver {
            // SAFETY: `buffer` is valid for `len` bytes (the caller's
            // contract); the copy target is a bounce slot or fresh region of
            // at least `len` bytes that only this buffer uses.
            unsafe { copy(vaddr, copy_v, len) };
        }
        copy_p
    }

    unsafe fn unshare(paddr: PhysAddr, buffer: NonNull<[u8]>, direction: BufferDirection) {
        let (vaddr, len) = (buffer.as_ptr() as *mut u8 as u64, buffer.len() as u64);
        let mut s = STATE.lock();
        let bounced = s.bounce.as_ref().and_then(|b| b.find(paddr));
        if let Some((copy_v, b)) = bounced {
            if direction != BufferDirection::DriverToDevice && b.orig == vaddr {
                // SAFETY: the slot holds the device's data for this buffer
                // (`b.len` ≤ the slot); `buffer` is valid for `len` bytes.
                unsafe { copy(copy_v, vaddr, b.len.min(len)) };
            }
            if let Some(b) = s.bounce.as_mut() {
                b.free(paddr);
            }
            return;
        }
        if let Some(i) = s.big.iter().position(|x| x.0 == paddr) {
            let (_, copy_v, orig, blen) = s.big.swap_remove(i);
            drop(s);
            if direction != BufferDirection::DriverToDevice && orig == vaddr {
                // SAFETY: the region holds at least `blen` bytes; `buffer`
                // is valid for `len` bytes.
                unsafe { copy(copy_v, vaddr, blen.min(len)) };
            }
            dma_free(paddr);
        }
    }
}
