//! A slot and kernel-object allocator for a root task.
//!
//! The root task owns a CNode whose guard makes a slot number a valid cptr
//! (init's root CNode, `rampart_abi::bootinfo::INIT_CNODE_RADIX`), a range
//! of empty slots and untyped memory. [`Allocator`] hands out slots in order
//! (a bump pointer that can be reset to a [`Allocator::mark`]), creates
//! objects by retyping one untyped capability, and maps frames while
//! creating the paging structures they need. It never frees: callers reclaim
//! memory by revoking the untyped and reset the slot pointer (as ktest does
//! after every test).

use crate::cap::{
    CNode, CPtr, CapPath, Endpoint, Frame, Notification, PageDirectory, PageTable, Pdpt, Reply, SchedContext, Tcb,
    Untyped, VSpace,
};
use crate::invoke::error_detail;
use rampart_abi::bootinfo::SlotRegion;
use rampart_abi::{Error, ObjectType, Rights};

/// Depth of a slot number in the root CNode (full 64-bit cptrs).
pub const ROOT_DEPTH: u64 = 64;

const GIB: u64 = 1 << 30;
const PDPT_SPAN: u64 = 512 * GIB;
const PD_SPAN: u64 = GIB;
const PT_SPAN: u64 = 2 << 20;

/// Bump allocator of slots in the root CNode plus an untyped to carve from.
#[derive(Debug)]
pub struct Allocator {
    cnode: CNode,
    next: u64,
    end: u64,
    untyped: Untyped,
}

impl Allocator {
    /// An allocator handing out slots `free.start..free.end` of root CNode
    /// `cnode` and creating objects from `untyped`.
    pub const fn new(cnode: CNode, free: SlotRegion, untyped: Untyped) -> Allocator {
        Allocator { cnode, next: free.start, end: free.end, untyped }
    }

    /// The root CNode.
    pub const fn cnode(&self) -> CNode {
        self.cnode
    }

    /// The path to `slot` in the root CNode.
    pub const fn path(&self, slot: CPtr) -> CapPath {
        CapPath::new(self.cnode, slot, ROOT_DEPTH)
    }

    /// The untyped objects are created from.
    pub const fn untyped(&self) -> Untyped {
        self.untyped
    }

    /// Creates objects from `ut` from now on.
    pub fn set_untyped(&mut self, ut: Untyped) {
        self.untyped = ut;
    }

    /// The next slot to be handed out (for [`Allocator::reset_to`]).
    pub const fn mark(&self) -> u64 {
        self.next
    }

    /// Slots not handed out yet.
    pub const fn free_slots(&self) -> u64 {
        self.end.saturating_sub(self.next)
    }

    /// Hands slots out again from `mark` on. The caller must have emptied
    /// them (deleted or revoked their capabilities).
    pub fn reset_to(&mut self, mark: u64) {
        self.next = mark;
    }

    /// `n` consecutive empty slots; returns the first.
    ///
    /// # Errors
    /// `RangeError` if the free region is used up.
    pub fn slots(&mut self, n: u64) -> Result<CPtr, Error> {
        if self.free_slots() < n {
            return Err(Error::RangeError);
        }
        let s = self.next;
        self.next += n;
        Ok(s)
    }

    /// One empty slot.
    ///
    /// # Errors
    /// `RangeError` if the free region is used up.
    pub fn slot(&mut self) -> Result<CPtr, Error> {
        self.slots(1)
    }

    /// Creates `n` objects of type `ty` (size argument `size_bits`, see
    /// [`Untyped::retype`]) in consecutive new slots; returns the first.
    ///
    /// # Errors
    /// The retype's error (the slots are given back).
    pub fn retype_n(&mut self, ty: ObjectType, size_bits: u64, n: u64) -> Result<CPtr, Error> {
        let s = self.slots(n)?;
        let r = self.untyped.retype(ty, size_bits, self.cnode, self.cnode.0, ROOT_DEPTH, s, n);
        if let Err(e) = r {
            self.next = s;
            return Err(e);
        }
        Ok(s)
    }

    /// Creates one object of type `ty`; returns its slot.
    ///
    /// # Errors
    /// The retype's error.
    pub fn retype(&mut self, ty: ObjectType, size_bits: u64) -> Result<CPtr, Error> {
        self.retype_n(ty, size_bits, 1)
    }

    /// Copies the capability in `src` (a root slot) into a new slot with
    /// rights masked by `rights`.
    ///
    /// # Errors
    /// The copy's error.
    pub fn copy(&mut self, src: CPtr, rights: Rights) -> Result<CPtr, Error> {
        let s = self.slot()?;
        if let Err(e) = self.cnode.copy(s, ROOT_DEPTH, self.path(src), rights) {
            self.next = s;
            return Err(e);
        }
        Ok(s)
    }

    /// Mints the capability in `src` into a new slot with `rights` and
    /// badge (or CNode guard data) `badge`.
    ///
    /// # Errors
    /// The mint's error.
    pub fn mint(&mut self, src: CPtr, rights: Rights, badge: u64) -> Result<CPtr, Error> {
        let s = self.slot()?;
        if let Err(e) = self.cnode.mint(s, ROOT_DEPTH, self.path(src), rights, badge) {
            self.next = s;
            return Err(e);
        }
        Ok(s)
    }

    /// A new endpoint.
    ///
    /// # Errors
    /// The retype's error.
    pub fn endpoint(&mut self) -> Result<Endpoint, Error> {
        self.retype(ObjectType::Endpoint, 0).map(Endpoint)
    }

    /// A new notification.
    ///
    /// # Errors
    /// The retype's error.
    pub fn notification(&mut self) -> Result<Notification, Error> {
        self.retype(ObjectType::Notification, 0).map(Notification)
    }

    /// A new reply object.
    ///
    /// # Errors
    /// The retype's error.
    pub fn reply(&mut self) -> Result<Reply, Error> {
        self.retype(ObjectType::Reply, 0).map(Reply)
    }

    /// A new TCB.
    ///
    /// # Errors
    /// The retype's error.
    pub fn tcb(&mut self) -> Result<Tcb, Error> {
        self.retype(ObjectType::Tcb, 0).map(Tcb)
    }

    /// A new (unconfigured) scheduling context.
    ///
    /// # Errors
    /// The retype's error.
    pub fn sched_context(&mut self) -> Result<SchedContext, Error> {
        self.retype(ObjectType::SchedContext, 0).map(SchedContext)
    }

    /// A new 4 KiB frame (zeroed).
    ///
    /// # Errors
    /// The retype's error.
    pub fn frame(&mut self) -> Result<Frame, Error> {
        self.retype(ObjectType::Frame4K, 0).map(Frame)
    }

    /// A new CNode of `2^radix` slots.
    ///
    /// # Errors
    /// The retype's error.
    pub fn cnode_object(&mut self, radix: u64) -> Result<CNode, Error> {
        self.retype(ObjectType::CNode, radix).map(CNode)
    }

    /// A new untyped of `2^size_bits` bytes.
    ///
    /// # Errors
    /// The retype's error.
    pub fn untyped_object(&mut self, size_bits: u64) -> Result<Untyped, Error> {
        self.retype(ObjectType::Untyped, size_bits).map(Untyped)
    }

    /// Maps `frame` into `vspace` at `vaddr`, first creating and mapping any
    /// missing paging structure (the kernel reports which one is missing).
    ///
    /// # Errors
    /// The mapping's error, or the error creating a structure.
    pub fn map_frame(
        &mut self,
        vspace: VSpace,
        frame: Frame,
        vaddr: u64,
        rights: Rights,
        attrs: u64,
    ) -> Result<(), Error> {
        for _ in 0..4 {
            match frame.map(vspace, vaddr, rights, attrs) {
                Err(Error::FailedLookup) => {
                    let level = error_detail()[0];
                    self.map_table(vspace, vaddr, level)?;
                }
                r => return r,
            }
        }
        Err(Error::FailedLookup)
    }

    /// Creates and maps the paging structure of `level` (1 PT, 2 PD,
    /// 3 PDPT) that covers `vaddr` in `vspace`, and any missing structure
    /// above it.
    ///
    /// # Errors
    /// `FailedLookup` for an unknown level, or the retype/map error.
    pub fn map_table(&mut self, vspace: VSpace, vaddr: u64, level: u64) -> Result<(), Error> {
        let (ty, span) = match level {
            1 => (ObjectType::PageTable, PT_SPAN),
            2 => (ObjectType::PageDirectory, PD_SPAN),
            3 => (ObjectType::Pdpt, PDPT_SPAN),
            _ => return Err(Error::FailedLookup),
        };
        let cap = self.retype(ty, 0)?;
        let base = vaddr & !(span - 1);
        let map = |cap| match level {
            1 => PageTable(cap).map(vspace, base),
            2 => PageDirectory(cap).map(vspace, base),
            _ => Pdpt(cap).map(vspace, base),
        };
        match map(cap) {
            Err(Error::FailedLookup) if level < 3 => {
                self.map_table(vspace, vaddr, level + 1)?;
                map(cap)
            }
            r => r,
        }
    }
}
