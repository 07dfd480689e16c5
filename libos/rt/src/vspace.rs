//! Address spaces: frames, paging structures, VSpace roots and ASIDs
//! (`Label::Frame*`, `*Map`/`*Unmap`, `VSpace*`, `Asid*`).
//!
//! A VSpace (PML4) needs an ASID (`AsidPool::assign`) before anything can be
//! mapped into it. Paging structures are mapped top-down: a PDPT covers
//! 512 GiB, a page directory 1 GiB, a page table 2 MiB. Mapping a frame
//! where a structure is missing fails with `FailedLookup` and detail MR0 =
//! the missing level (1 PT, 2 PD, 3 PDPT). A frame capability maps once;
//! copy the capability to map a frame twice.

use crate::cap::{AsidControl, AsidPool, CNode, CPtr, Cap, Frame, PageDirectory, PageTable, Pdpt, Untyped, VSpace};
use crate::invoke::{invoke, invoke0};
use rampart_abi::{Error, Label, Rights};

impl Frame {
    /// Maps the frame into `vspace` at `vaddr` (aligned to the frame size)
    /// with `rights` (masked by the capability's rights; `Rights::READ` =
    /// read-only, `Rights::RW` = writable) and `attrs`
    /// (`rampart_abi::object::vm_attr`; mappings are no-execute unless
    /// `EXECUTE` is given).
    ///
    /// # Errors
    /// `FailedLookup` (a paging structure is missing: detail MR0 = level),
    /// `DeleteFirst` (something is mapped there), `AlignmentError`,
    /// `InvalidArgument` (not a user address), `InvalidCapability` (already
    /// mapped, or `vspace` has no ASID).
    pub fn map(self, vspace: VSpace, vaddr: u64, rights: Rights, attrs: u64) -> Result<(), Error> {
        invoke0(self, Label::FrameMap, &[vaddr, rights.0, attrs], &[vspace.cptr()])
    }

    /// Unmaps the frame (a no-op if it is not mapped).
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn unmap(self) -> Result<(), Error> {
        invoke0(self, Label::FrameUnmap, &[], &[])
    }

    /// Changes the rights and attributes of the frame's existing mapping.
    ///
    /// # Errors
    /// `IllegalOperation` (not mapped).
    pub fn remap(self, rights: Rights, attrs: u64) -> Result<(), Error> {
        invoke0(self, Label::FrameRemap, &[rights.0, attrs], &[])
    }

    /// The frame's physical address.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn get_address(self) -> Result<u64, Error> {
        invoke(self, Label::FrameGetAddress, &[], &[]).map(|r| r.mrs[0])
    }
}

impl PageTable {
    /// Maps the page table into `vspace` at `vaddr` (2 MiB aligned).
    ///
    /// # Errors
    /// `FailedLookup` (page directory missing), `DeleteFirst` (a table is
    /// there), `InvalidCapability` (already mapped).
    pub fn map(self, vspace: VSpace, vaddr: u64) -> Result<(), Error> {
        invoke0(self, Label::PageTableMap, &[vaddr], &[vspace.cptr()])
    }

    /// Unmaps the page table.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn unmap(self) -> Result<(), Error> {
        invoke0(self, Label::PageTableUnmap, &[], &[])
    }
}

impl PageDirectory {
    /// Maps the page directory into `vspace` at `vaddr` (1 GiB aligned).
    ///
    /// # Errors
    /// As [`PageTable::map`].
    pub fn map(self, vspace: VSpace, vaddr: u64) -> Result<(), Error> {
        invoke0(self, Label::PageDirectoryMap, &[vaddr], &[vspace.cptr()])
    }

    /// Unmaps the page directory.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn unmap(self) -> Result<(), Error> {
        invoke0(self, Label::PageDirectoryUnmap, &[], &[])
    }
}

impl Pdpt {
    /// Maps the PDPT into `vspace` at `vaddr` (512 GiB aligned).
    ///
    /// # Errors
    /// As [`PageTable::map`].
    pub fn map(self, vspace: VSpace, vaddr: u64) -> Result<(), Error> {
        invoke0(self, Label::PdptMap, &[vaddr], &[vspace.cptr()])
    }

    /// Unmaps the PDPT.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn unmap(self) -> Result<(), Error> {
        invoke0(self, Label::PdptUnmap, &[], &[])
    }
}

/// Most frames one [`VSpace::map_frames`] call can name (the message holds
/// 120 words, four of them are the other arguments).
pub const MAP_FRAMES_MAX: usize = rampart_abi::msg::MSG_MAX_LENGTH - 4;

impl VSpace {
    /// Maps `frames` at consecutive addresses from `vaddr` (each frame's own
    /// size apart) with `rights` and `attrs`, stopping at the first error.
    /// Returns the number mapped.
    ///
    /// # Errors
    /// The first frame's error; detail MR0 = frames mapped before it, MR1 =
    /// that error's own detail.
    ///
    /// # Panics
    /// If more than [`MAP_FRAMES_MAX`] frames are given, or the caller has
    /// no IPC buffer.
    pub fn map_frames(self, vaddr: u64, rights: Rights, attrs: u64, frames: &[CPtr]) -> Result<u64, Error> {
        assert!(frames.len() <= MAP_FRAMES_MAX);
        let mut args = [0u64; rampart_abi::msg::MSG_MAX_LENGTH];
        args[..4].copy_from_slice(&[vaddr, rights.0, attrs, frames.len() as u64]);
        args[4..4 + frames.len()].copy_from_slice(frames);
        invoke(self, Label::VSpaceMapFrames, &args[..4 + frames.len()], &[]).map(|r| r.mrs[0])
    }

    /// Unmaps `frames` (frames that are not mapped are skipped).
    ///
    /// # Errors
    /// `InvalidCapability` (not a frame).
    ///
    /// # Panics
    /// If more than 119 frames are given, or the caller has no IPC buffer.
    pub fn unmap_frames(self, frames: &[CPtr]) -> Result<(), Error> {
        assert!(frames.len() < rampart_abi::msg::MSG_MAX_LENGTH);
        let mut args = [0u64; rampart_abi::msg::MSG_MAX_LENGTH];
        args[0] = frames.len() as u64;
        args[1..1 + frames.len()].copy_from_slice(frames);
        invoke0(self, Label::VSpaceUnmapFrames, &args[..1 + frames.len()], &[])
    }
}

impl AsidPool {
    /// Assigns an ASID from this pool to `vspace`.
    ///
    /// # Errors
    /// `InvalidCapability` (not a VSpace, or it already has an ASID),
    /// `DeleteFirst` (the pool is full).
    pub fn assign(self, vspace: VSpace) -> Result<(), Error> {
        invoke0(self, Label::AsidPoolAssign, &[], &[vspace.cptr()])
    }
}

impl AsidControl {
    /// Turns the 4 KiB untyped `ut` (which must have no children) into an
    /// ASID pool in slot (`index`, `depth`) of `root`.
    ///
    /// # Errors
    /// `InvalidCapability` (`ut` not a 4 KiB untyped), `DeleteFirst` (no
    /// pool left or slot in use), `RevokeFirst` (`ut` has children).
    pub fn make_pool(self, ut: Untyped, root: CNode, index: u64, depth: u64) -> Result<(), Error> {
        invoke0(self, Label::AsidControlMakePool, &[index, depth], &[ut.cptr(), root.cptr()])
    }
}
