//! Address spaces on x86_64: VSpaces (PML4s) with ASIDs from an ASID pool,
//! paging structures (PDPT, page directory, page table) and 4 KiB frames,
//! mapped explicitly by user space (seL4 Reference Manual §7).
//!
//! A paging structure is a [`Table`] of entries by index. A VSpace is usable
//! once an ASID pool assigned it an ASID; a frame or table capability
//! records the one mapping made through it (ASID and address). Unmapping,
//! through the capability or because it is deleted, re-walks the tables
//! from the VSpace and clears the entry only if it still points at the
//! object, so a stale capability never removes another mapping; deleting
//! the last capability of a mapped table also empties the table (its
//! entries can never reappear). Deleting a frame capability that is not the
//! last one removes the mapping made through it.

use crate::inv::Args;
use crate::state::{Addr, Cap, CapKind, Object, Outcome, SlotId, State};
use rampart_abi::{Error, Label, Rights};
use std::collections::BTreeMap;

/// A page-table entry: the object it points at and the entry's flag bits
/// (present, writable, user, no-execute, cache bits), as the kernel writes
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pte {
    /// The next table or the frame.
    pub target: Addr,
    /// Flag bits (the entry is `target | bits` in the kernel).
    pub bits: u64,
}

/// A paging structure: its level (4 VSpace/PML4, 3 PDPT, 2 page directory,
/// 1 page table) and its present entries.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    /// Level.
    pub level: u8,
    /// Present entries by index.
    pub entries: BTreeMap<u16, Pte>,
}

/// Entry bits: present, writable, user.
pub const PTE_TABLE: u64 = 1 | 2 | 4;
/// No-execute.
pub const PTE_NX: u64 = 1 << 63;
/// First user address the kernel refuses.
pub const USER_TOP: u64 = rampart_abi::USER_TOP;
/// ASIDs per pool.
pub const POOL_ASIDS: u64 = 512;

fn index(vaddr: u64, level: u8) -> u16 {
    ((vaddr >> (12 + 9 * (u32::from(level) - 1))) & 0x1ff) as u16
}

/// Leaf entry bits for a 4 KiB mapping with `rights` and attributes `attr`
/// (no-execute unless EXECUTE; PCD|PWT for UNCACHED, PWT for WRITE_THROUGH).
pub fn leaf_bits(rights: Rights, attr: u64) -> u64 {
    let mut b = 1 | 4;
    if rights.contains(Rights::WRITE) {
        b |= 2;
    }
    if attr & 1 == 0 {
        b |= PTE_NX;
    }
    if attr & 2 != 0 {
        b |= 16 | 8;
    } else if attr & 4 != 0 {
        b |= 8;
    }
    b
}

impl State {
    /// The paging structure at `a`, if live.
    pub fn table(&self, a: Addr) -> Option<&Table> {
        match self.objects.get(&a) {
            Some(Object::Table(t)) => Some(t),
            _ => None,
        }
    }

    fn table_mut(&mut self, a: Addr) -> &mut Table {
        match self.objects.get_mut(&a) {
            Some(Object::Table(t)) => t,
            _ => panic!("model: no table at {a:#x}"),
        }
    }

    /// The VSpace with ASID `asid`, if assigned.
    pub fn find_vspace(&self, asid: u64) -> Option<Addr> {
        let pool = *self.asid_pools.get(&(asid / POOL_ASIDS))?;
        match self.objects.get(&pool) {
            Some(Object::AsidPool(e)) if asid != 0 => e.get(&((asid % POOL_ASIDS) as u16)).copied(),
            _ => None,
        }
    }

    /// The level of the first paging structure missing on the way to the
    /// page-table entry for `vaddr` in VSpace `vs` (3 PDPT, 2 page
    /// directory, 1 page table), or None if the path is complete.
    pub fn missing_level(&self, vs: Addr, vaddr: u64) -> Option<u8> {
        self.walk(vs, vaddr, 1).err().map(|l| l as u8)
    }

    /// The entry slot for `vaddr` in the table at `level` under VSpace
    /// `vs`: (table, index), or the level of the first missing table.
    fn walk(&self, vs: Addr, vaddr: u64, level: u8) -> Result<(Addr, u16), u64> {
        let mut t = vs;
        let mut l = 4;
        while l > level {
            match self.table(t).and_then(|x| x.entries.get(&index(vaddr, l))) {
                Some(e) if self.table(e.target).is_some() => t = e.target,
                _ => return Err(u64::from(l - 1)),
            }
            l -= 1;
        }
        Ok((t, index(vaddr, level)))
    }

    /// Removes the mapping `mapped` of the object at `obj` (at `level`), if
    /// the tables still hold it.
    fn unmap(&mut self, obj: Addr, level: u8, mapped: Option<(u64, u64)>) {
        let Some((asid, vaddr)) = mapped else { return };
        let Some(vs) = self.find_vspace(asid) else { return };
        if let Ok((t, i)) = self.walk(vs, vaddr, level)
            && self.table(t).and_then(|x| x.entries.get(&i)).is_some_and(|e| e.target == obj)
        {
            self.table_mut(t).entries.remove(&i);
        }
    }

    /// The capability `c` (not the last one) is deleted: a frame's own
    /// mapping goes with it.
    pub fn vspace_copy_deleted(&mut self, c: Cap) {
        if let CapKind::Frame { obj, mapped } = c.kind {
            self.unmap(obj, 1, mapped);
        }
    }

    /// The last capability `c` to a frame, paging structure, VSpace or ASID
    /// pool is deleted.
    pub fn vspace_destroyed(&mut self, c: Cap) {
        match c.kind {
            CapKind::Frame { obj, mapped } => self.unmap(obj, 1, mapped),
            CapKind::Table { obj, level, mapped } => {
                self.unmap(obj, level + 1, mapped);
                self.table_mut(obj).entries.clear();
            }
            CapKind::VSpace { obj, asid } if self.find_vspace(asid) == Some(obj) => {
                let pool = self.asid_pools[&(asid / POOL_ASIDS)];
                if let Some(Object::AsidPool(e)) = self.objects.get_mut(&pool) {
                    e.remove(&((asid % POOL_ASIDS) as u16));
                }
            }
            CapKind::AsidPool { obj, base } if self.asid_pools.get(&(base / POOL_ASIDS)) == Some(&obj) => {
                self.asid_pools.remove(&(base / POOL_ASIDS));
            }
            _ => {}
        }
    }

    /// The VSpace a capability names, if it has a registered ASID.
    fn vspace_of(&self, c: Option<Cap>) -> Result<(Addr, u64), Error> {
        match c.map(|c| c.kind) {
            Some(CapKind::VSpace { obj, asid }) if self.find_vspace(asid) == Some(obj) => Ok((obj, asid)),
            _ => Err(Error::InvalidCapability),
        }
    }

    /// Frame, paging-structure and ASID-pool invocations of the capability
    /// `cap` in `slot`.
    ///
    /// # Errors
    /// As the ABI describes.
    pub fn invoke_vspace(&mut self, slot: SlotId, cap: Cap, label: Label, a: &Args) -> Result<Outcome, Error> {
        match (cap.kind, label) {
            (CapKind::AsidPool { obj, base }, Label::AsidPoolAssign) => {
                let (vslot, v) = a.extra(0)?;
                let Some(Cap { kind: CapKind::VSpace { obj: vs, asid }, .. }) = v else {
                    return Err(Error::InvalidCapability);
                };
                if asid != 0 {
                    return Err(Error::InvalidCapability);
                }
                if self.asid_pools.get(&(base / POOL_ASIDS)) != Some(&obj) {
                    return Err(Error::FailedLookup);
                }
                let Some(Object::AsidPool(e)) = self.objects.get_mut(&obj) else { return Err(Error::FailedLookup) };
                let first = if base == 0 { 1 } else { 0 };
                let i = (first..POOL_ASIDS as u16).find(|i| !e.contains_key(i)).ok_or(Error::DeleteFirst)?;
                e.insert(i, vs);
                let asid = base + u64::from(i);
                let c = self.cap(vslot).expect("VSpace capability");
                self.set_cap(vslot, Some(Cap { kind: CapKind::VSpace { obj: vs, asid }, ..c }));
                Ok(Outcome::Words { n: 1, w: [asid, 0] })
            }
            (CapKind::Frame { obj, mapped }, Label::FrameMap) => {
                let (_, vs) = a.extra(0)?;
                let (vaddr, rights, attr) = (a.mr(0)?, Rights(a.mr(1)?), a.mr(2)?);
                let (v, asid) = self.vspace_of(vs)?;
                if !vaddr.is_multiple_of(4096) {
                    return Err(Error::AlignmentError);
                }
                if vaddr.checked_add(4096).is_none_or(|e| e > USER_TOP) {
                    return Err(Error::InvalidArgument);
                }
                if mapped.is_some() {
                    return Err(Error::InvalidCapability);
                }
                let r = cap.rights.and(rights);
                if !r.contains(Rights::READ) {
                    return Err(Error::InvalidArgument);
                }
                let (t, i) = self.walk(v, vaddr, 1).map_err(|_| Error::FailedLookup)?;
                if self.table(t).is_some_and(|x| x.entries.contains_key(&i)) {
                    return Err(Error::DeleteFirst);
                }
                self.table_mut(t).entries.insert(i, Pte { target: obj, bits: leaf_bits(r, attr) });
                let kind = CapKind::Frame { obj, mapped: Some((asid, vaddr)) };
                self.set_cap(slot, Some(Cap { kind, ..cap }));
                Ok(Outcome::Ok)
            }
            (CapKind::Frame { obj, mapped }, Label::FrameUnmap) => {
                self.unmap(obj, 1, mapped);
                self.set_cap(slot, Some(Cap { kind: CapKind::Frame { obj, mapped: None }, ..cap }));
                Ok(Outcome::Ok)
            }
            (CapKind::Table { obj, level, mapped }, _) => {
                let (map, unmap) = match (level, label) {
                    (3, Label::PdptMap) | (2, Label::PageDirectoryMap) | (1, Label::PageTableMap) => (true, false),
                    (3, Label::PdptUnmap) | (2, Label::PageDirectoryUnmap) | (1, Label::PageTableUnmap) => {
                        (false, true)
                    }
                    _ => (false, false),
                };
                if unmap {
                    if mapped.is_some() {
                        if !self.is_final(slot) {
                            return Err(Error::RevokeFirst);
                        }
                        self.unmap(obj, level + 1, mapped);
                        self.table_mut(obj).entries.clear();
                        self.set_cap(slot, Some(Cap { kind: CapKind::Table { obj, level, mapped: None }, ..cap }));
                    }
                    return Ok(Outcome::Ok);
                }
                if !map {
                    return Err(Error::IllegalOperation);
                }
                let (_, vs) = a.extra(0)?;
                let (v, asid) = self.vspace_of(vs)?;
                let vaddr = a.mr(0)? & !((1u64 << (12 + 9 * u32::from(level))) - 1);
                if vaddr >= USER_TOP {
                    return Err(Error::InvalidArgument);
                }
                if mapped.is_some() {
                    return Err(Error::InvalidCapability);
                }
                let (t, i) = self.walk(v, vaddr, level + 1).map_err(|_| Error::FailedLookup)?;
                if self.table(t).is_some_and(|x| x.entries.contains_key(&i)) {
                    return Err(Error::DeleteFirst);
                }
                self.table_mut(t).entries.insert(i, Pte { target: obj, bits: PTE_TABLE });
                let kind = CapKind::Table { obj, level, mapped: Some((asid, vaddr)) };
                self.set_cap(slot, Some(Cap { kind, ..cap }));
                Ok(Outcome::Ok)
            }
            _ => Err(Error::IllegalOperation),
        }
    }
}
