//! The kernel side of rm's bookkeeping: buddy splits and merges as retypes
//! and deletes, and the [`Resources`] a build draws on (chunks charged to a
//! container, slots from rm's CNode), recording everything it hands out so
//! a failed build or a destroyed task gives it all back.

use rampart_abi::ObjectType;
use rampart_procbuild::build::{BuildError, Resources};
use rampart_rm_api::ContainerId;
use rampart_rm_core::buddy::{BlockId, Buddy, BuddyError, BuddyOps, SplitFailed};
use rampart_rm_core::container::Containers;
use rampart_rm_core::slots::Slots;
use rampart_rt::cap::{CNode, CPtr, Untyped};
use rampart_uabi::Errno;

/// rm's root CNode (slot = capability pointer, depth 64).
pub const CNODE: CNode = CNode(rampart_uabi::startup::slot::CNODE);

/// Buddy operations on rm's CNode.
pub struct KOps<'a> {
    /// Slot allocator.
    pub slots: &'a mut Slots,
}

impl BuddyOps for KOps<'_> {
    fn split(&mut self, slot: u64, child_bits: u8) -> Result<(u64, u64), SplitFailed> {
        let s = self.slots.alloc(2).ok_or(SplitFailed)?;
        match Untyped(slot).retype(ObjectType::Untyped, u64::from(child_bits), CNODE, 0, 0, s, 2) {
            Ok(()) => Ok((s, s + 1)),
            Err(e) => {
                rampart_rt::dprintln!("rm: splitting untyped {slot}: {e}");
                self.slots.free(s, 2);
                Err(SplitFailed)
            }
        }
    }

    fn merge(&mut self, low: u64, high: u64) {
        let _ = CNODE.delete(low, 64);
        let _ = CNODE.delete(high, 64);
        if high == low + 1 {
            self.slots.free(low, 2);
        } else {
            self.slots.free(low, 1);
            self.slots.free(high, 1);
        }
    }
}

/// Memory held on behalf of one owner (a task's objects, a region): the
/// buddy blocks and slot ranges, and the bytes charged.
#[derive(Debug, Default, Clone)]
pub struct Holdings {
    /// Buddy blocks (chunks).
    pub blocks: alloc::vec::Vec<BlockId>,
    /// Slot ranges (first, count) in rm's CNode.
    pub slots: alloc::vec::Vec<(CPtr, u64)>,
    /// Bytes charged to the container.
    pub charged: u64,
    /// Slot ranges holding capabilities not derived from the blocks (copies
    /// of shared frames): deleted one by one on release.
    pub copies: alloc::vec::Vec<(CPtr, u64)>,
}

/// Returns everything in `h`: revokes each chunk (destroying every object
/// made from it and every capability derived from those), frees the
/// blocks, frees the slots and uncharges the container.
pub fn release(h: &mut Holdings, buddy: &mut Buddy, slots: &mut Slots, containers: &mut Containers, c: ContainerId) {
    for &(s, n) in &h.copies {
        for i in 0..n {
            let _ = CNODE.delete(s + i, 64);
        }
    }
    for &b in &h.blocks {
        let _ = CNODE.revoke(buddy.slot(b), 64);
    }
    for &b in &h.blocks {
        buddy.free(b, &mut KOps { slots });
    }
    for &(s, n) in &h.slots {
        slots.free(s, n);
    }
    containers.uncharge(c, h.charged);
    *h = Holdings::default();
}

/// A build's resources: charged to `container`, recorded in `into`.
pub struct Res<'a> {
    /// Buddy allocator.
    pub buddy: &'a mut Buddy,
    /// Slots.
    pub slots: &'a mut Slots,
    /// Containers.
    pub containers: &'a mut Containers,
    /// The container charged.
    pub container: ContainerId,
    /// Where allocations are recorded.
    pub into: &'a mut Holdings,
    /// The precise reason of the last [`BuildError::NoMemory`].
    pub errno: Errno,
}

impl Resources for Res<'_> {
    fn chunk(&mut self, bits: u32) -> Result<Untyped, BuildError> {
        let bytes = 1u64 << bits;
        if let Err(e) = self.containers.charge(self.container, bytes) {
            self.errno = e;
            return Err(BuildError::NoMemory);
        }
        match self.buddy.alloc(bits as u8, &mut KOps { slots: self.slots }) {
            Ok((id, slot)) => {
                self.into.blocks.push(id);
                self.into.charged += bytes;
                Ok(Untyped(slot))
            }
            Err(e) => {
                self.containers.uncharge(self.container, bytes);
                self.errno = if e == BuddyError::BadSize { Errno::EINVAL } else { Errno::ENOMEM };
                Err(BuildError::NoMemory)
            }
        }
    }

    fn copies(&mut self, first: CPtr, n: u64) {
        self.into.copies.push((first, n));
    }

    fn slots(&mut self, n: u64) -> Result<CPtr, BuildError> {
        match self.slots.alloc(n) {
            Some(s) => {
                self.into.slots.push((s, n));
                Ok(s)
            }
            None => {
                self.errno = Errno::ENOMEM;
                Err(BuildError::NoSlots)
            }
        }
    }
}

/// The errno for a build error (`res_errno`: the resources' last reason).
pub fn build_errno(e: BuildError, res_errno: Errno) -> Errno {
    match e {
        BuildError::Image(_) => Errno::ENOEXEC,
        BuildError::Pack(_) => Errno::E2BIG,
        BuildError::Startup(_) => Errno::E2BIG,
        BuildError::NoMemory | BuildError::NoSlots => res_errno,
        BuildError::BadParameter => Errno::EINVAL,
        BuildError::Kernel(..) => Errno::EIO,
    }
}
