//! CNode invocations: copying, minting, moving, deleting and revoking
//! capabilities (`Label::CNode*`).
//!
//! The invoked CNode capability names the destination (or the slot operated
//! on) with an (index, depth) pair; source and pivot slots are
//! [`CapPath`]s relative to another CNode capability passed as an extra
//! capability.

use crate::cap::{CNode, Cap, CapPath};
use crate::invoke::invoke0;
use rampart_abi::{Error, Label, Rights};

/// Guard data for CNode capabilities (the `Mint`/`Mutate` argument and the
/// CSpace-root data of `TcbConfigure`/`TcbSetSpace`): `guard` is compared
/// with the next `guard_bits` bits of a capability pointer before the
/// CNode's radix bits are used.
pub const fn guard_data(guard: u64, guard_bits: u64) -> u64 {
    guard | (guard_bits << 58)
}

impl CNode {
    /// Copies the capability at `src` to (`index`, `depth`) here, with its
    /// rights masked by `rights`.
    ///
    /// # Errors
    /// `FailedLookup` (a slot; detail MR0 = 1 for the source),
    /// `DeleteFirst` (destination in use), `InvalidCapability`, `RangeError`.
    pub fn copy(self, index: u64, depth: u64, src: CapPath, rights: Rights) -> Result<(), Error> {
        invoke0(self, Label::CNodeCopy, &[index, depth, src.index, src.depth, rights.0], &[src.root.cptr()])
    }

    /// As [`CNode::copy`], and sets the badge (endpoints, notifications;
    /// only if the source is unbadged) or the guard data (CNodes, see
    /// [`guard_data`]) to `badge`.
    ///
    /// # Errors
    /// As [`CNode::copy`].
    pub fn mint(self, index: u64, depth: u64, src: CapPath, rights: Rights, badge: u64) -> Result<(), Error> {
        invoke0(self, Label::CNodeMint, &[index, depth, src.index, src.depth, rights.0, badge], &[src.root.cptr()])
    }

    /// Moves the capability at `src` to (`index`, `depth`) here.
    ///
    /// # Errors
    /// As [`CNode::copy`].
    pub fn move_(self, index: u64, depth: u64, src: CapPath) -> Result<(), Error> {
        invoke0(self, Label::CNodeMove, &[index, depth, src.index, src.depth], &[src.root.cptr()])
    }

    /// Moves the capability at `src` to (`index`, `depth`) here and sets
    /// its guard data (CNodes) to `guard`.
    ///
    /// # Errors
    /// As [`CNode::copy`].
    pub fn mutate(self, index: u64, depth: u64, src: CapPath, guard: u64) -> Result<(), Error> {
        invoke0(self, Label::CNodeMutate, &[index, depth, src.index, src.depth, guard], &[src.root.cptr()])
    }

    /// Atomically moves the capability at `pivot` to (`index`, `depth`)
    /// here and the capability at `src` into the `pivot` slot, as seL4's
    /// `seL4_CNode_Rotate` (and the kernel) do; when `src` is the
    /// destination the two capabilities swap. `pivot_badge` (MR6) is set on
    /// the capability leaving the pivot, `src_badge` (MR7) on the one
    /// leaving `src`; 0 leaves a badge unchanged, and an existing badge
    /// cannot be changed.
    ///
    /// # Errors
    /// `DeleteFirst` (destination in use and not `src`), `IllegalOperation`
    /// (pivot equal to source or destination; a badge change refused),
    /// `FailedLookup`.
    pub fn rotate(
        self,
        index: u64,
        depth: u64,
        src: CapPath,
        pivot: CapPath,
        pivot_badge: u64,
        src_badge: u64,
    ) -> Result<(), Error> {
        invoke0(
            self,
            Label::CNodeRotate,
            &[index, depth, src.index, src.depth, pivot.index, pivot.depth, pivot_badge, src_badge],
            &[src.root.cptr(), pivot.root.cptr()],
        )
    }

    /// Deletes the capability at (`index`, `depth`) (an empty slot is fine).
    ///
    /// # Errors
    /// `FailedLookup`, `RangeError`.
    pub fn delete(self, index: u64, depth: u64) -> Result<(), Error> {
        invoke0(self, Label::CNodeDelete, &[index, depth], &[])
    }

    /// Deletes every capability derived from the one at (`index`, `depth`);
    /// the capability itself stays.
    ///
    /// # Errors
    /// `FailedLookup`, `RangeError`.
    pub fn revoke(self, index: u64, depth: u64) -> Result<(), Error> {
        invoke0(self, Label::CNodeRevoke, &[index, depth], &[])
    }

    /// Aborts every pending send on the endpoint at (`index`, `depth`) that
    /// carries that capability's badge.
    ///
    /// # Errors
    /// `FailedLookup`, `IllegalOperation` (not a badged endpoint).
    pub fn cancel_badged_sends(self, index: u64, depth: u64) -> Result<(), Error> {
        invoke0(self, Label::CNodeCancelBadgedSends, &[index, depth], &[])
    }
}
