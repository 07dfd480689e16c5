//! Deleting capabilities, destroying objects, and Revoke (seL4 Reference
//! Manual §3.2; seL4 `cteDelete`, `finaliseCap`, `cteRevoke`).
//!
//! Deleting a capability that is not the last one to its object only
//! unlinks it from the CDT. Deleting the last one *finalises* the object:
//! threads blocked on it are released, mappings are removed, and so on.
//! CNodes and TCBs contain capability slots that must be emptied first; that
//! nesting is unbounded (a CNode may hold the last capability to another
//! CNode, and so on), so it is walked iteratively with *zombies*: the slot
//! holding the last capability to a container becomes a zombie capability
//! recording how many of the container's slots remain, and its CDT words hold
//! the zombie of the enclosing container, forming an explicit stack in the
//! objects being destroyed. The kernel stack never grows with the nesting.
//!
//! Deletion is not preemptible in Rampart (seL4's is); `docs/kernel.md`
//! discusses the bound.

use crate::cap::{Cap, ZOMBIE_TCB};
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{EpRef, NtfnRef, ReplyRef, ScRef, TcbRef, ThreadState, tcb_slot};
use crate::slot::{self, SlotRef};
use rampart_abi::CapType;

impl<M: Machine> Kernel<M> {
    /// Deletes the capability in `slot` (seL4 `cteDelete`).
    pub fn delete_slot(&mut self, slot: SlotRef) {
        let cap = slot.cap();
        if cap.is_null() {
            return;
        }
        if cap.is(CapType::VSpace) || cap.is(CapType::Tcb) || cap.is(CapType::CNode) {
            self.vspace_epoch += 1;
        }
        if cap.cap_type() == CapType::Zombie {
            return;
        }
        if !slot::is_final(slot) {
            self.delete_copy(cap);
            slot::remove(slot);
            return;
        }
        match cap.cap_type() {
            CapType::CNode => self.destroy_container(slot, cap.paddr(), cap.size_bits() as u64),
            CapType::Tcb => {
                self.finalise_tcb(TcbRef(cap.paddr()));
                self.destroy_container(slot, cap.paddr(), ZOMBIE_TCB);
            }
            _ => {
                self.finalise(cap);
                slot::remove(slot);
            }
        }
    }

    /// Empties every slot of the container whose last capability is in
    /// `top`, iteratively (see the module docs), then empties `top`.
    fn destroy_container(&mut self, top: SlotRef, paddr: u64, kind: u64) {
        slot::remove_links_keep_cap(top);
        top.set_cap(Cap::zombie(paddr, kind, container_slots(kind)));
        top.set_raw_links(0, 0);
        let mut cur = top;
        loop {
            let z = cur.cap();
            let remaining = z.zombie_remaining();
            if remaining == 0 {
                let parent = SlotRef(cur.raw_links().0);
                if z.zombie_kind() == ZOMBIE_TCB {
                    self.m.tcb_destroyed(z.paddr());
                    self.thread_list_remove(TcbRef(z.paddr()));
                }
                cur.set_raw_links(0, 0);
                cur.set_cap(Cap::NULL);
                if parent.is_none() {
                    return;
                }
                cur = parent;
                continue;
            }
            cur.set_cap(z.with_zombie_remaining(remaining - 1));
            let s = container_slot(z.paddr(), z.zombie_kind(), remaining - 1);
            if s == cur {
                continue; // a container holding the last cap to itself
            }
            let c = s.cap();
            if c.is_null() || c.cap_type() == CapType::Zombie {
                continue;
            }
            if c.is(CapType::VSpace) || c.is(CapType::Tcb) || c.is(CapType::CNode) {
                self.vspace_epoch += 1;
            }
            if !slot::is_final(s) {
                self.delete_copy(c);
                slot::remove(s);
                continue;
            }
            match c.cap_type() {
                CapType::CNode | CapType::Tcb => {
                    let kind = if c.cap_type() == CapType::Tcb {
                        self.finalise_tcb(TcbRef(c.paddr()));
                        ZOMBIE_TCB
                    } else {
                        c.size_bits() as u64
                    };
                    slot::remove_links_keep_cap(s);
                    s.set_cap(Cap::zombie(c.paddr(), kind, container_slots(kind)));
                    s.set_raw_links(cur.0, 0);
                    cur = s;
                }
                _ => {
                    self.finalise(c);
                    slot::remove(s);
                }
            }
        }
    }

    /// Deletes every capability derived from the one in `slot` (seL4
    /// `cteRevoke`).
    pub fn revoke(&mut self, slot: SlotRef) {
        loop {
            let next = slot.next();
            if next.is_none() || !slot::is_parent_of(slot, next) {
                return;
            }
            self.delete_slot(next);
        }
    }

    /// Side effects of deleting a capability that is not the last one: a
    /// frame capability's own mapping goes with it (every frame capability
    /// records at most one mapping of its own).
    fn delete_copy(&mut self, cap: Cap) {
        if cap.cap_type() == CapType::Frame {
            self.unmap_frame_cap(cap);
        }
    }

    /// Destroys the object named by the last capability `cap` (not a
    /// container).
    fn finalise(&mut self, cap: Cap) {
        match cap.cap_type() {
            CapType::Endpoint => self.cancel_all_ipc(EpRef(cap.paddr())),
            CapType::Notification => self.finalise_notification(NtfnRef(cap.paddr())),
            CapType::Reply => self.reply_destroyed(ReplyRef(cap.paddr())),
            CapType::SchedContext => self.finalise_sc(ScRef(cap.paddr())),
            CapType::Frame => self.unmap_frame_cap(cap),
            CapType::PageTable | CapType::PageDirectory | CapType::Pdpt => self.unmap_table_cap(cap),
            CapType::VSpace => self.vspace_destroyed(cap),
            CapType::AsidPool => self.asid_pool_destroyed(cap),
            CapType::IrqHandler => self.irq_handler_destroyed(cap.irq() as usize),
            CapType::IoPort => self.io_ports_released(cap.io_range()),
            CapType::Timer => self.timer_destroyed(cap.timer_num() as usize),
            _ => {}
        }
    }

    fn finalise_notification(&mut self, n: NtfnRef) {
        self.cancel_all_signals(n);
        let t = TcbRef(n.get().bound_tcb.get());
        if !t.is_none() {
            t.get().bound_ntfn.set(0);
        }
        for irq in self.irqs.iter_mut() {
            if irq.ntfn == n.0 {
                irq.ntfn = 0;
            }
        }
        self.timers_ntfn_destroyed(n);
        self.log_ntfn_destroyed(n);
    }

    /// Stops a thread whose TCB is being destroyed: out of every queue,
    /// notification and scheduling context unbound.
    fn finalise_tcb(&mut self, t: TcbRef) {
        self.cancel_ipc(t);
        self.set_thread_state(t, ThreadState::Inactive);
        self.ready.dequeue(t);
        let g = t.get();
        let n = NtfnRef(g.bound_ntfn.get());
        if !n.is_none() {
            n.get().bound_tcb.set(0);
            g.bound_ntfn.set(0);
        }
        let sc = t.sc();
        if !sc.is_none() {
            sc.get().tcb.set(0);
            g.sc.set(0);
        }
        if let crate::kernel::SchedAction::SwitchTo(x) = self.action
            && x == t
        {
            self.action = crate::kernel::SchedAction::ChooseNew;
        }
        if self.cur == t {
            self.cur = TcbRef::NONE;
            // Queues another thread this entry chose to switch to, instead
            // of dropping it with the decision (`RUNNABLE_LOST`).
            self.reschedule_required();
        }
    }

    fn finalise_sc(&mut self, sc: ScRef) {
        let g = sc.get();
        self.release_remove(sc);
        let t = TcbRef(g.tcb.get());
        if !t.is_none() && t.sc() == sc {
            t.get().sc.set(0);
            self.ready.dequeue(t);
            if t == self.cur {
                self.reschedule_required();
            }
        }
        // Only the top of the call stack refers to the context.
        let r = ReplyRef(g.reply.get());
        if !r.is_none() && r.get().sc.get() == sc.0 {
            r.get().sc.set(0);
        }
        g.tcb.set(0);
        g.reply.set(0);
    }
}

/// Number of capability slots in a container of zombie `kind`.
fn container_slots(kind: u64) -> u64 {
    if kind == ZOMBIE_TCB { tcb_slot::COUNT } else { 1u64 << kind }
}

/// Slot `i` of a container.
fn container_slot(paddr: u64, kind: u64, i: u64) -> SlotRef {
    if kind == ZOMBIE_TCB { TcbRef(paddr).slot(i) } else { SlotRef::index(paddr, i) }
}
