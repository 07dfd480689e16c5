//! Address spaces on x86_64: ASIDs, the paging-structure objects (PDPT, page
//! directory, page table), frames, and their invocations (seL4 Reference
//! Manual §7 and §10.4 "x86", plus `VSpaceMapFrames`/`VSpaceUnmapFrames`:
//! mapping several frames with one invocation on the address space, the
//! improvement proposed in the seL4 research update).
//!
//! A VSpace is usable once an ASID pool assigns it an ASID; the ASID (12
//! bits) doubles as the PCID when the CPU has PCIDs. Capabilities of mapped
//! frames and tables record the ASID and address they are mapped at; every
//! unmap re-walks the page tables and only clears an entry that still points
//! at the object, so stale capabilities can never remove someone else's
//! mapping.

use crate::cap::{Cap, POOL_ASIDS};
use crate::cspace;
use crate::invoke::{Inv, InvError, InvResult, expect};
use crate::kernel::Kernel;
use crate::kmem::{self, KernelObject};
use crate::machine::Machine;
use crate::slot::{self, SlotRef};
use core::cell::Cell;
use rampart_abi::object::{ASID_POOLS, vm_attr};
use rampart_abi::{CapType, Error, Label, Rights, USER_TOP};

/// Page-table entry bits (Intel SDM Vol. 3A §4.5).
pub mod pte {
    /// Present.
    pub const P: u64 = 1;
    /// Writable.
    pub const W: u64 = 2;
    /// User.
    pub const U: u64 = 4;
    /// Write-through.
    pub const PWT: u64 = 8;
    /// Cache disable.
    pub const PCD: u64 = 16;
    /// Large page.
    pub const PS: u64 = 0x80;
    /// No-execute.
    pub const NX: u64 = 1 << 63;
    /// Address bits.
    pub const ADDR: u64 = 0x000f_ffff_ffff_f000;
}

/// An ASID pool: 512 VSpace physical addresses.
#[repr(C, align(4096))]
pub struct AsidPool {
    entries: [Cell<u64>; 512],
}
// SAFETY: `Cell<u64>` only; zeroed = empty pool.
unsafe impl KernelObject for AsidPool {}

fn table_entry(table: u64, i: usize) -> u64 {
    table + 8 * i as u64
}

fn index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Level of the table a paging-structure capability maps into, and the
/// alignment of its address: (parent level, alignment bits).
fn table_level(t: CapType) -> Option<(u32, u32)> {
    match t {
        CapType::Pdpt => Some((4, 39)),
        CapType::PageDirectory => Some((3, 30)),
        CapType::PageTable => Some((2, 21)),
        _ => None,
    }
}

impl<M: Machine> Kernel<M> {
    /// The PML4 of the VSpace with `asid`, if assigned.
    pub fn find_vspace(&self, asid: u64) -> Option<u64> {
        if asid == 0 || asid >= ASID_POOLS * POOL_ASIDS {
            return None;
        }
        let pool = self.asid_table[(asid / POOL_ASIDS) as usize];
        if pool == 0 {
            return None;
        }
        let v = kmem::obj::<AsidPool>(pool).entries[(asid % POOL_ASIDS) as usize].get();
        (v != 0).then_some(v)
    }

    /// Validates a VSpace capability: assigned and still registered.
    fn vspace_of(&self, cap: Cap, arg: u64) -> Result<(u64, u64), InvError> {
        expect(cap, CapType::VSpace, arg)?;
        let asid = cap.mapped_asid();
        match self.find_vspace(asid) {
            Some(p) if p == cap.paddr() => Ok((p, asid)),
            _ => Err(InvError::with(Error::InvalidCapability, arg)),
        }
    }

    /// Walks from `pml4` down to the entry at `level` for `vaddr`.
    /// Err(level) names the first missing table (1 PT, 2 PD, 3 PDPT).
    fn walk(&self, pml4: u64, vaddr: u64, level: u32) -> Result<u64, u64> {
        let mut table = pml4;
        let mut l = 4;
        while l > level {
            let e = kmem::read_u64(table_entry(table, index(vaddr, l)));
            if e & pte::P == 0 || e & pte::PS != 0 {
                return Err(u64::from(l - 1));
            }
            table = e & pte::ADDR;
            l -= 1;
        }
        Ok(table_entry(table, index(vaddr, level)))
    }

    fn flush(&mut self, asid: u64, vaddr: Option<u64>) {
        self.m.tlb_flush(asid, vaddr);
    }

    /// Maps the frame capability in `fslot` into VSpace `vs` at `vaddr`.
    fn map_frame(&mut self, fslot: SlotRef, vs: Cap, vaddr: u64, rights: Rights, attr: u64) -> Result<(), InvError> {
        let f = fslot.cap();
        expect(f, CapType::Frame, 0)?;
        let (pml4, asid) = self.vspace_of(vs, 0)?;
        let size = 1u64 << f.size_bits();
        if !vaddr.is_multiple_of(size) {
            return Err(InvError::new(Error::AlignmentError));
        }
        if vaddr.checked_add(size).is_none_or(|e| e > USER_TOP) {
            return Err(InvError::with(Error::InvalidArgument, 0));
        }
        if f.mapped_asid() != 0 {
            return Err(InvError::new(Error::InvalidCapability));
        }
        let r = f.rights().and(rights);
        if !r.contains(Rights::READ) {
            return Err(InvError::new(Error::InvalidArgument));
        }
        let level = if f.size_bits() == 21 { 2 } else { 1 };
        let entry = self.walk(pml4, vaddr, level).map_err(|l| InvError::with(Error::FailedLookup, l))?;
        if kmem::read_u64(entry) & pte::P != 0 {
            return Err(InvError::new(Error::DeleteFirst));
        }
        kmem::write_u64(entry, f.paddr() | leaf_bits(r, attr, level == 2, self.nx));
        fslot.set_cap(f.with_mapping(asid, vaddr));
        Ok(())
    }

    /// Removes the mapping recorded in frame capability `f`, if it is still
    /// in place.
    pub(crate) fn unmap_frame_cap(&mut self, f: Cap) {
        let asid = f.mapped_asid();
        if asid == 0 {
            return;
        }
        let Some(pml4) = self.find_vspace(asid) else { return };
        let vaddr = f.mapped_vaddr();
        let level = if f.size_bits() == 21 { 2 } else { 1 };
        if let Ok(entry) = self.walk(pml4, vaddr, level) {
            let e = kmem::read_u64(entry);
            let large = e & pte::PS != 0;
            if e & pte::P != 0 && e & pte::ADDR == f.paddr() && large == (level == 2) {
                kmem::write_u64(entry, 0);
                self.flush(asid, Some(vaddr));
            }
        }
    }

    fn unmap_frame(&mut self, fslot: SlotRef) {
        let f = fslot.cap();
        self.unmap_frame_cap(f);
        fslot.set_cap(f.with_mapping(0, 0));
    }

    /// Removes the mapping of the paging structure named by `c`, if it is
    /// still in place, and clears the structure so stale entries can never
    /// reappear.
    pub(crate) fn unmap_table_cap(&mut self, c: Cap) {
        let asid = c.mapped_asid();
        let Some((level, _)) = table_level(c.cap_type()) else { return };
        if asid == 0 {
            return;
        }
        if let Some(pml4) = self.find_vspace(asid)
            && let Ok(entry) = self.walk(pml4, c.mapped_vaddr(), level)
        {
            let e = kmem::read_u64(entry);
            if e & pte::P != 0 && e & pte::PS == 0 && e & pte::ADDR == c.paddr() {
                kmem::write_u64(entry, 0);
                self.flush(asid, None);
            }
        }
        kmem::zero(c.paddr(), 4096);
    }

    /// A VSpace is being destroyed: release its ASID.
    pub(crate) fn vspace_destroyed(&mut self, c: Cap) {
        let asid = c.mapped_asid();
        if self.find_vspace(asid) == Some(c.paddr()) {
            let pool = self.asid_table[(asid / POOL_ASIDS) as usize];
            kmem::obj::<AsidPool>(pool).entries[(asid % POOL_ASIDS) as usize].set(0);
            self.flush(asid, None);
        }
    }

    /// An ASID pool is being destroyed: every VSpace in it loses its ASID.
    pub(crate) fn asid_pool_destroyed(&mut self, c: Cap) {
        self.vspace_epoch += 1;
        let hi = (c.asid_base() / POOL_ASIDS) as usize;
        if hi < self.asid_table.len() && self.asid_table[hi] == c.paddr() {
            self.asid_table[hi] = 0;
            for i in 0..POOL_ASIDS {
                if kmem::obj::<AsidPool>(c.paddr()).entries[i as usize].get() != 0 {
                    self.flush(c.asid_base() + i, None);
                }
            }
        }
    }

    /// Registers a new ASID pool at `paddr` (boot and MakePool); returns its
    /// capability, or `None` if all pools exist.
    pub fn make_asid_pool(&mut self, paddr: u64) -> Option<Cap> {
        let hi = self.asid_table.iter().position(|&p| p == 0)?;
        kmem::zero(paddr, 4096);
        self.asid_table[hi] = paddr;
        Some(Cap::asid_pool(paddr, hi as u64 * POOL_ASIDS))
    }

    /// Assigns a free ASID of `pool` to the VSpace capability in `vslot`.
    pub fn asid_assign(&mut self, pool: Cap, vslot: SlotRef) -> Result<u64, InvError> {
        let v = vslot.cap();
        expect(v, CapType::VSpace, 0)?;
        if v.mapped_asid() != 0 {
            return Err(InvError::with(Error::InvalidCapability, 0));
        }
        let hi = (pool.asid_base() / POOL_ASIDS) as usize;
        if hi >= self.asid_table.len() || self.asid_table[hi] != pool.paddr() {
            return Err(InvError::new(Error::FailedLookup));
        }
        let p = kmem::obj::<AsidPool>(pool.paddr());
        let first = if pool.asid_base() == 0 { 1 } else { 0 }; // ASID 0 is never used
        let i =
            (first..POOL_ASIDS as usize).find(|&i| p.entries[i].get() == 0).ok_or(InvError::new(Error::DeleteFirst))?;
        p.entries[i].set(v.paddr());
        let asid = pool.asid_base() + i as u64;
        vslot.set_cap(Cap::vspace(v.paddr(), asid));
        Ok(asid)
    }

    pub(crate) fn inv_vspace(&mut self, inv: &Inv) -> InvResult {
        let root = self.cspace_root(inv.t);
        let label = inv.label.ok_or(InvError::new(Error::IllegalOperation))?;
        let cap = inv.cap;
        match (cap.cap_type(), label) {
            (CapType::AsidControl, Label::AsidControlMakePool) => {
                let (uslot, ut) = inv.extra(root, 0)?;
                let (_, dest_root) = inv.extra(root, 1)?;
                expect(ut, CapType::Untyped, 0)?;
                if ut.size_bits() != 12 || ut.is_device() {
                    return Err(InvError::with(Error::InvalidCapability, 0));
                }
                if slot::has_children(uslot) {
                    return Err(InvError::new(Error::RevokeFirst));
                }
                let dest = self.empty_slot_at(dest_root, inv.mr(0)?, inv.mr(1)?)?;
                let pool = self.make_asid_pool(ut.paddr()).ok_or(InvError::new(Error::DeleteFirst))?;
                uslot.set_cap(ut.with_free_index(4096));
                slot::insert_new(pool, uslot, dest);
                Ok(0)
            }
            (CapType::AsidPool, Label::AsidPoolAssign) => {
                let (vslot, _) = inv.extra(root, 0)?;
                let asid = self.asid_assign(cap, vslot)?;
                inv.set_result(0, asid);
                Ok(1)
            }
            (CapType::Pdpt | CapType::PageDirectory | CapType::PageTable, _) => self.inv_table(inv, root),
            (CapType::Frame, Label::FrameMap) => {
                let (_, vs) = inv.extra(root, 0)?;
                self.map_frame(inv.slot, vs, inv.mr(0)?, Rights(inv.mr(1)?), inv.mr(2)?)?;
                Ok(0)
            }
            (CapType::Frame, Label::FrameUnmap) => {
                self.unmap_frame(inv.slot);
                Ok(0)
            }
            (CapType::Frame, Label::FrameRemap) => self.remap(inv, Rights(inv.mr(0)?), inv.mr(1)?),
            (CapType::Frame, Label::FrameGetAddress) => {
                inv.set_result(0, cap.paddr());
                Ok(1)
            }
            (CapType::VSpace, Label::VSpaceMapFrames) => {
                let (vaddr, rights, attr, n) = (inv.mr(0)?, Rights(inv.mr(1)?), inv.mr(2)?, inv.mr(3)?);
                let mut done = 0u64;
                let mut va = vaddr;
                while done < n {
                    let cptr = inv.mr(4 + done as usize)?;
                    let r = cspace::lookup_cap(root, cptr)
                        .map_err(|_| InvError::new(Error::FailedLookup))
                        .and_then(|(s, _)| self.map_frame(s, cap, va, rights, attr).map(|_| s));
                    match r {
                        Ok(s) => {
                            va += 1u64 << s.cap().size_bits();
                            done += 1;
                        }
                        Err(e) => return Err(InvError::with2(e.err, done, e.detail[0])),
                    }
                }
                inv.set_result(0, done);
                Ok(1)
            }
            (CapType::VSpace, Label::VSpaceUnmapFrames) => {
                let n = inv.mr(0)?;
                for i in 0..n {
                    let cptr = inv.mr(1 + i as usize)?;
                    let (s, f) = cspace::lookup_cap(root, cptr).map_err(|_| InvError::with(Error::FailedLookup, i))?;
                    expect(f, CapType::Frame, i)?;
                    if f.mapped_asid() != cap.mapped_asid() || f.mapped_asid() == 0 {
                        return Err(InvError::with(Error::InvalidArgument, i));
                    }
                    self.unmap_frame(s);
                }
                Ok(0)
            }
            _ => Err(InvError::new(Error::IllegalOperation)),
        }
    }

    fn remap(&mut self, inv: &Inv, rights: Rights, attr: u64) -> InvResult {
        let f = inv.cap;
        let asid = f.mapped_asid();
        let pml4 = self.find_vspace(asid).ok_or(InvError::new(Error::IllegalOperation))?;
        let r = f.rights().and(rights);
        if !r.contains(Rights::READ) {
            return Err(InvError::new(Error::InvalidArgument));
        }
        let level = if f.size_bits() == 21 { 2 } else { 1 };
        let entry = self.walk(pml4, f.mapped_vaddr(), level).map_err(|_| InvError::new(Error::IllegalOperation))?;
        let e = kmem::read_u64(entry);
        if e & pte::P == 0 || e & pte::ADDR != f.paddr() {
            return Err(InvError::new(Error::IllegalOperation));
        }
        kmem::write_u64(entry, f.paddr() | leaf_bits(r, attr, level == 2, self.nx));
        self.flush(asid, Some(f.mapped_vaddr()));
        Ok(0)
    }

    fn inv_table(&mut self, inv: &Inv, root: Cap) -> InvResult {
        let c = inv.cap;
        let (level, align) = table_level(c.cap_type()).ok_or(InvError::new(Error::IllegalOperation))?;
        let map = matches!(inv.label, Some(Label::PdptMap | Label::PageDirectoryMap | Label::PageTableMap));
        let unmap = matches!(inv.label, Some(Label::PdptUnmap | Label::PageDirectoryUnmap | Label::PageTableUnmap));
        let right_kind = match inv.label {
            Some(Label::PdptMap | Label::PdptUnmap) => c.cap_type() == CapType::Pdpt,
            Some(Label::PageDirectoryMap | Label::PageDirectoryUnmap) => c.cap_type() == CapType::PageDirectory,
            Some(Label::PageTableMap | Label::PageTableUnmap) => c.cap_type() == CapType::PageTable,
            _ => false,
        };
        if !right_kind || !(map || unmap) {
            return Err(InvError::new(Error::IllegalOperation));
        }
        if unmap {
            if c.mapped_asid() != 0 {
                // Only the last capability may clear the table (others would
                // see their table emptied underneath them).
                if !slot::is_final(inv.slot) {
                    return Err(InvError::new(Error::RevokeFirst));
                }
                self.unmap_table_cap(c);
                inv.slot.set_cap(c.with_mapping(0, 0));
            }
            return Ok(0);
        }
        let (_, vs) = inv.extra(root, 0)?;
        let (pml4, asid) = self.vspace_of(vs, 0)?;
        // As seL4: any address inside the region the table will cover.
        let vaddr = inv.mr(0)? & !((1u64 << align) - 1);
        if vaddr >= USER_TOP {
            return Err(InvError::with(Error::InvalidArgument, 0));
        }
        if c.mapped_asid() != 0 {
            return Err(InvError::new(Error::InvalidCapability));
        }
        let entry = self.walk(pml4, vaddr, level).map_err(|l| InvError::with(Error::FailedLookup, l))?;
        if kmem::read_u64(entry) & pte::P != 0 {
            return Err(InvError::new(Error::DeleteFirst));
        }
        kmem::write_u64(entry, c.paddr() | pte::P | pte::W | pte::U);
        inv.slot.set_cap(c.with_mapping(asid, vaddr));
        Ok(0)
    }
}

/// Leaf entry bits for a mapping with `rights` and attributes.
fn leaf_bits(rights: Rights, attr: u64, large: bool, nx: bool) -> u64 {
    let mut b = pte::P | pte::U;
    if rights.contains(Rights::WRITE) {
        b |= pte::W;
    }
    if attr & vm_attr::EXECUTE == 0 && nx {
        b |= pte::NX;
    }
    if attr & vm_attr::UNCACHED != 0 {
        b |= pte::PCD | pte::PWT;
    } else if attr & vm_attr::WRITE_THROUGH != 0 {
        b |= pte::PWT;
    }
    if large {
        b |= pte::PS;
    }
    b
}
