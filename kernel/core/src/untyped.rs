//! Untyped memory and Retype (seL4 Reference Manual §2.4, §10.3.9).
//!
//! Objects are carved from an Untyped at its watermark, each aligned to its
//! own size. If the Untyped has no children when Retype is called, the
//! watermark is reset first, so memory is reusable once Revoke has destroyed
//! everything made from it. New objects are zeroed (except device frames)
//! and their capabilities become CDT children of the Untyped.

use crate::cap::Cap;
use crate::invoke::{Inv, InvError, InvResult};
use crate::kernel::Kernel;
use crate::kmem;
use crate::machine::Machine;
use crate::object::TcbRef;
use crate::slot::{self, SlotRef};
use rampart_abi::object::{MAX_UNTYPED_BITS, ObjectType};
use rampart_abi::{CapType, Error, Label, Rights};

/// Largest number of objects one Retype may create (seL4's fan-out limit).
pub const RETYPE_FAN_OUT: u64 = 256;

impl<M: Machine> Kernel<M> {
    pub(crate) fn inv_untyped(&mut self, inv: &Inv) -> InvResult {
        if inv.label != Some(Label::UntypedRetype) {
            return Err(InvError::new(Error::IllegalOperation));
        }
        let ty = ObjectType::from_u64(inv.mr(0)?).ok_or(InvError::with(Error::InvalidArgument, 0))?;
        let size_arg = inv.mr(1)?;
        let (node_index, node_depth, offset, count) = (inv.mr(2)?, inv.mr(3)?, inv.mr(4)?, inv.mr(5)?);
        let root = self.cspace_root(inv.t);
        let (_, dest_root) = inv.extra(root, 0)?;
        let obj_bits = ty.size_bits(size_arg).ok_or(InvError::with(Error::InvalidArgument, 1))?;
        let ut = inv.cap;
        if obj_bits > ut.size_bits() || obj_bits > MAX_UNTYPED_BITS {
            return Err(InvError::with(Error::InvalidArgument, 1));
        }
        if ut.is_device() && !matches!(ty, ObjectType::Untyped | ObjectType::Frame4K | ObjectType::Frame2M) {
            return Err(InvError::with(Error::InvalidArgument, 0));
        }
        // The destination CNode: the root itself (depth 0) or a CNode in it.
        let node = if node_depth == 0 { dest_root } else { self.slot_at(dest_root, node_index, node_depth)?.cap() };
        if node.cap_type() != CapType::CNode {
            return Err(InvError::new(Error::FailedLookup));
        }
        let slots = 1u64 << node.size_bits();
        if count == 0 || count > RETYPE_FAN_OUT {
            return Err(InvError::with2(Error::RangeError, 1, RETYPE_FAN_OUT));
        }
        if offset >= slots || count > slots - offset {
            return Err(InvError::with2(Error::RangeError, 0, slots - 1));
        }
        for i in 0..count {
            if !SlotRef::index(node.paddr(), offset + i).cap().is_null() {
                return Err(InvError::new(Error::DeleteFirst));
            }
        }
        let base = ut.paddr();
        let size = 1u64 << ut.size_bits();
        let free = if slot::has_children(inv.slot) { ut.free_index() } else { 0 };
        let obj_size = 1u64 << obj_bits;
        let start = (base + free).next_multiple_of(obj_size);
        let total = count.checked_mul(obj_size).ok_or(InvError::new(Error::RangeError))?;
        let end = start.checked_add(total).ok_or(InvError::new(Error::RangeError))?;
        if end > base + size {
            return Err(InvError::with(Error::NotEnoughMemory, (base + size).saturating_sub(base + free)));
        }
        inv.slot.set_cap(ut.with_free_index(end - base));
        for i in 0..count {
            let paddr = start + i * obj_size;
            let cap = self.create_object(ty, paddr, obj_bits, ut.is_device());
            slot::insert_new(cap, inv.slot, SlotRef::index(node.paddr(), offset + i));
        }
        Ok(0)
    }

    /// Initialises a new object of type `ty` at `paddr` and returns its
    /// capability (also used at boot for the root task's objects).
    pub fn create_object(&mut self, ty: ObjectType, paddr: u64, bits: u32, device: bool) -> Cap {
        if !device && ty != ObjectType::Untyped {
            kmem::zero(paddr, 1u64 << bits);
        }
        match ty {
            ObjectType::Untyped => Cap::untyped(paddr, bits, device, 0),
            ObjectType::Tcb => {
                let t = TcbRef(paddr);
                t.get().regs.init_user();
                t.get().id.set(self.next_tcb_id);
                self.next_tcb_id += 1;
                self.thread_list_add(t);
                self.m.init_fpu_area(t.fpu_area());
                Cap::tcb(paddr)
            }
            ObjectType::Endpoint => Cap::endpoint(paddr, 0, Rights::ALL),
            ObjectType::Notification => Cap::notification(paddr, 0, Rights::ALL),
            ObjectType::Reply => Cap::reply(paddr, true),
            ObjectType::CNode => Cap::cnode(paddr, bits - rampart_abi::object::SLOT_BITS, 0, 0),
            ObjectType::SchedContext => Cap::sched_context(paddr),
            ObjectType::Frame4K => Cap::frame(paddr, false, Rights::RW, device),
            ObjectType::Frame2M => Cap::frame(paddr, true, Rights::RW, device),
            ObjectType::PageTable => Cap::paging(CapType::PageTable, paddr),
            ObjectType::PageDirectory => Cap::paging(CapType::PageDirectory, paddr),
            ObjectType::Pdpt => Cap::paging(CapType::Pdpt, paddr),
            ObjectType::VSpace => {
                let k = self.m.kernel_pml4();
                if k != 0 {
                    kmem::copy(paddr + 2048, k + 2048, 2048);
                }
                Cap::vspace(paddr, 0)
            }
        }
    }
}
