//! CNode invocations: Copy, Mint, Move, Mutate, Rotate, Delete, Revoke,
//! CancelBadgedSends (seL4 Reference Manual §3.1, §10.3.1).

use crate::cap::Cap;
use crate::cspace::{self, LookupFault};
use crate::invoke::{Inv, InvError, InvResult};
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::EpRef;
use crate::slot::{self, SlotRef};
use rampart_abi::{CapType, Error, Label, Rights};

/// Converts a lookup failure into the invocation error seL4 reports.
pub fn lookup_err(f: LookupFault) -> InvError {
    match f {
        LookupFault::InvalidRoot => InvError::with(Error::FailedLookup, 0),
        LookupFault::GuardMismatch { bits_left } => InvError::with2(Error::FailedLookup, 1, bits_left as u64),
        LookupFault::DepthMismatch { bits_left } => InvError::with2(Error::FailedLookup, 2, bits_left as u64),
        LookupFault::MissingCapability { bits_left } => InvError::with2(Error::FailedLookup, 3, bits_left as u64),
    }
}

/// seL4 `deriveCap`: the capability a copy of `cap` (in `src`) may be, or
/// `None` if it may not be copied: zombies, control capabilities that must
/// stay unique, untyped memory, unmapped paging structures and VSpaces
/// without an ASID. Frame copies start unmapped.
///
/// Untyped capabilities are never copied in Rampart (seL4 allows copies of
/// an untyped without children): two copies would each keep their own
/// watermark over the same memory. Retype into a smaller Untyped and Move
/// it instead; this keeps "untyped children are disjoint" true by
/// construction.
pub fn derive(cap: Cap, _src: SlotRef) -> Option<Cap> {
    match cap.cap_type() {
        CapType::Null | CapType::Zombie | CapType::IrqControl | CapType::IoPortControl | CapType::Untyped => None,
        CapType::Frame => Some(cap.with_mapping(0, 0)),
        CapType::PageTable | CapType::PageDirectory | CapType::Pdpt if cap.mapped_asid() == 0 => None,
        CapType::VSpace if cap.mapped_asid() == 0 => None,
        _ => Some(cap),
    }
}

/// seL4 `updateCapData`: apply badge or guard `data` to `cap`. `preserve`
/// (Mutate) forbids changing an existing badge. `None`: not allowed.
pub fn update_cap_data(cap: Cap, preserve: bool, data: u64) -> Option<Cap> {
    match cap.cap_type() {
        CapType::Endpoint | CapType::Notification | CapType::Log => {
            if preserve || cap.badge() != 0 {
                // A badge, once set, is permanent.
                if data == 0 { Some(cap) } else { None }
            } else {
                Some(cap.with_badge(data))
            }
        }
        CapType::CNode => {
            if data == 0 {
                Some(cap)
            } else {
                cap.with_guard_data(data)
            }
        }
        _ => Some(cap),
    }
}

impl<M: Machine> Kernel<M> {
    /// Looks up an exact slot relative to CNode cap `root`.
    pub fn slot_at(&self, root: Cap, index: u64, depth: u64) -> Result<SlotRef, InvError> {
        cspace::lookup_slot_exact(root, index, depth).map_err(lookup_err)
    }

    /// Looks up an empty destination slot.
    pub fn empty_slot_at(&self, root: Cap, index: u64, depth: u64) -> Result<SlotRef, InvError> {
        let s = self.slot_at(root, index, depth)?;
        if s.cap().is_null() { Ok(s) } else { Err(InvError::new(Error::DeleteFirst)) }
    }

    pub(crate) fn inv_cnode(&mut self, inv: &Inv) -> InvResult {
        let root_t = self.cspace_root(inv.t);
        let label = inv.label.ok_or(InvError::new(Error::IllegalOperation))?;
        match label {
            Label::CNodeRevoke | Label::CNodeDelete | Label::CNodeCancelBadgedSends => {
                let s = self.slot_at(inv.cap, inv.mr(0)?, inv.mr(1)?)?;
                match label {
                    Label::CNodeRevoke => self.revoke(s),
                    Label::CNodeDelete => self.delete_slot(s),
                    _ => {
                        // seL4 `hasCancelSendRights`: only a holder of every
                        // right on the endpoint (the server's own capability)
                        // may abort other threads' sends.
                        let c = s.cap();
                        if c.cap_type() != CapType::Endpoint || c.rights() != Rights::ALL {
                            return Err(InvError::new(Error::IllegalOperation));
                        }
                        if c.badge() != 0 {
                            self.cancel_badged_sends(EpRef(c.paddr()), c.badge());
                        }
                    }
                }
                Ok(0)
            }
            Label::CNodeCopy | Label::CNodeMint | Label::CNodeMove | Label::CNodeMutate => {
                let (di, dd, si, sd) = (inv.mr(0)?, inv.mr(1)?, inv.mr(2)?, inv.mr(3)?);
                let (_, src_root) = inv.extra(root_t, 0)?;
                if src_root.cap_type() != CapType::CNode {
                    return Err(InvError::with(Error::FailedLookup, 1));
                }
                let dest = self.empty_slot_at(inv.cap, di, dd)?;
                let src = self.slot_at(src_root, si, sd)?;
                let cap = src.cap();
                if cap.is_null() {
                    return Err(InvError::with(Error::FailedLookup, 1));
                }
                if src == dest {
                    return Err(InvError::new(Error::DeleteFirst));
                }
                match label {
                    Label::CNodeCopy | Label::CNodeMint => {
                        let rights = Rights(inv.mr(4)?).sanitize();
                        let mut new = cap.masked(rights);
                        if label == Label::CNodeMint {
                            new = update_cap_data(new, false, inv.mr(5)?)
                                .ok_or(InvError::new(Error::IllegalOperation))?;
                        }
                        let derived = derive(new, src).ok_or(InvError::new(Error::IllegalOperation))?;
                        slot::insert(derived, src, dest);
                    }
                    Label::CNodeMove => slot::move_cap(cap, src, dest),
                    _ => {
                        let new =
                            update_cap_data(cap, true, inv.mr(4)?).ok_or(InvError::new(Error::IllegalOperation))?;
                        slot::move_cap(new, src, dest);
                    }
                }
                Ok(0)
            }
            Label::CNodeRotate => {
                // (dest index, depth), (pivot index, depth) of cap1, (src
                // index, depth) of cap0, pivot badge, dest badge.
                let (di, dd) = (inv.mr(0)?, inv.mr(1)?);
                let (si, sd) = (inv.mr(2)?, inv.mr(3)?);
                let (pi, pd) = (inv.mr(4)?, inv.mr(5)?);
                let (pivot_data, dest_data) = (inv.mr(6)?, inv.mr(7)?);
                let (_, src_root) = inv.extra(root_t, 0)?;
                let (_, pivot_root) = inv.extra(root_t, 1)?;
                if src_root.cap_type() != CapType::CNode || pivot_root.cap_type() != CapType::CNode {
                    return Err(InvError::with(Error::FailedLookup, 1));
                }
                let dest = self.slot_at(inv.cap, di, dd)?;
                let src = self.slot_at(src_root, si, sd)?;
                let pivot = self.slot_at(pivot_root, pi, pd)?;
                if pivot == src || pivot == dest {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                if src != dest && !dest.cap().is_null() {
                    return Err(InvError::new(Error::DeleteFirst));
                }
                let (scap, pcap) = (src.cap(), pivot.cap());
                if scap.is_null() || pcap.is_null() {
                    return Err(InvError::with(Error::FailedLookup, 1));
                }
                let new_src = update_cap_data(scap, true, dest_data).ok_or(InvError::new(Error::IllegalOperation))?;
                let new_pivot =
                    update_cap_data(pcap, true, pivot_data).ok_or(InvError::new(Error::IllegalOperation))?;
                if src == dest {
                    slot::swap(new_pivot, pivot, new_src, src);
                } else {
                    slot::move_cap(new_pivot, pivot, dest);
                    slot::move_cap(new_src, src, pivot);
                }
                Ok(0)
            }
            _ => Err(InvError::new(Error::IllegalOperation)),
        }
    }
}
