//! Reading the firmware's ACPI tables from init (docs/resource-manager.md,
//! "Power"): a [`PhysMem`] over device memory. The tables lie outside
//! usable RAM, so the kernel handed them to init as device untyped
//! memory; each page read is carved out of it (binary splitting,
//! `rampart_devmgr_core::devmem`), retyped into a frame and mapped
//! read-only in a window of init's address space. [`AcpiMem::release`]
//! revokes every device untyped afterwards, which deletes the frames
//! (unmapping them) and the split pieces, so devmgr receives the device
//! untyped memory exactly as the kernel made it.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use rampart_abi::bootinfo::{BootInfo, slot};
use rampart_abi::{ObjectType, Rights};
use rampart_acpi::{AcpiError, PhysMem};
use rampart_devmgr_core::devmem::{DeviceMemory, SplitFailed, UntypedOps};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{CNode, CPtr, Frame, Untyped, VSpace};

/// Where the pages are mapped (one page table's worth).
const WINDOW: u64 = 0x200_0000_0000;
/// Most pages mapped at once (bytes of tables read: 2 MiB).
const WINDOW_PAGES: u64 = 512;

struct Split<'a>(&'a mut Allocator);

impl UntypedOps for Split<'_> {
    fn split(&mut self, ut: u64, child_bits: u8) -> Result<(u64, u64), SplitFailed> {
        let s = self.0.slots(2).map_err(|_| SplitFailed)?;
        let cn = self.0.cnode();
        Untyped(ut).retype(ObjectType::Untyped, u64::from(child_bits), cn, cn.0, 64, s, 2).map_err(|_| SplitFailed)?;
        Ok((s, s + 1))
    }
}

/// Physical memory reads through temporarily mapped device frames.
pub struct AcpiMem<'a> {
    alloc: &'a mut Allocator,
    devmem: DeviceMemory,
    originals: Vec<CPtr>,
    pages: BTreeMap<u64, u64>,
    mark: u64,
}

impl<'a> AcpiMem<'a> {
    /// A reader over the device untyped memory in `bi`; `None` if the
    /// window's page table cannot be made.
    pub fn new(bi: &BootInfo, alloc: &'a mut Allocator) -> Option<AcpiMem<'a>> {
        alloc.map_table(VSpace(slot::VSPACE), WINDOW, 1).ok()?;
        let mut devmem = DeviceMemory::new();
        let mut originals = Vec::new();
        for (i, u) in bi.untypeds().iter().enumerate() {
            if u.is_device == 1 {
                let s = bi.untyped.start + i as u64;
                devmem.add(s, u.paddr, u.size_bits);
                originals.push(s);
            }
        }
        let mark = alloc.mark();
        Some(AcpiMem { alloc, devmem, originals, pages: BTreeMap::new(), mark })
    }

    /// The address in init of the page at `page` (physical, aligned).
    fn page(&mut self, page: u64) -> Result<u64, AcpiError> {
        if let Some(&v) = self.pages.get(&page) {
            return Ok(v);
        }
        let bad = AcpiError::Unreadable(page);
        if self.pages.len() as u64 >= WINDOW_PAGES {
            return Err(bad);
        }
        let ut = self.devmem.carve(&mut Split(self.alloc), page, 12).map_err(|_| bad)?;
        let f = self.alloc.slot().map_err(|_| bad)?;
        let cn = self.alloc.cnode();
        Untyped(ut).retype(ObjectType::Frame4K, 0, cn, cn.0, 64, f, 1).map_err(|_| bad)?;
        let vaddr = WINDOW + self.pages.len() as u64 * 4096;
        Frame(f).map(VSpace(slot::VSPACE), vaddr, Rights::READ, 0).map_err(|_| bad)?;
        self.pages.insert(page, vaddr);
        Ok(vaddr)
    }

    /// Deletes every frame and split piece made (by revoking the original
    /// device untyped capabilities) and gives their slots back.
    pub fn release(self) {
        for &s in &self.originals {
            let _ = CNode(slot::CNODE).revoke(s, 64);
        }
        self.alloc.reset_to(self.mark);
    }
}

impl PhysMem for AcpiMem<'_> {
    fn read(&mut self, paddr: u64, buf: &mut [u8]) -> Result<(), AcpiError> {
        let mut done = 0usize;
        while done < buf.len() {
            let pa = paddr.checked_add(done as u64).ok_or(AcpiError::Unreadable(paddr))?;
            let off = (pa & 0xfff) as usize;
            let n = (4096 - off).min(buf.len() - done);
            let v = self.page(pa & !0xfff)?;
            // SAFETY: `page` mapped this frame read-only at `v` for 4096
            // bytes, and it stays mapped until `release` consumes `self`;
            // `off + n <= 4096`.
            let src = unsafe { core::slice::from_raw_parts((v + off as u64) as *const u8, n) };
            buf[done..done + n].copy_from_slice(src);
            done += n;
        }
        Ok(())
    }
}
