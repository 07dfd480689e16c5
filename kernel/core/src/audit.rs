//! The capability-graph dump for auditors (`AuditDumpCapGraph`) and the
//! kernel's list of all threads it needs.
//!
//! Records are written into a frame the auditor supplies, never into
//! message registers, so a dump of any size needs only as many calls as
//! frames' worth of records; a cursor (the index of the next record in the
//! full enumeration) lets the auditor continue.

use crate::cap::Cap;
use crate::invoke::{Inv, InvError, InvResult, expect};
use crate::kernel::Kernel;
use crate::kmem;
use crate::machine::Machine;
use crate::object::{TcbRef, tcb_slot};
use crate::slot::SlotRef;
use rampart_abi::audit::{AuditEntry, HELD_CSPACE, HELD_FAULT, HELD_NESTED, HELD_TIMEOUT, KIND_CAP, KIND_THREAD};
use rampart_abi::{CapType, Error, Label, Rights};

impl<M: Machine> Kernel<M> {
    /// Adds a new TCB to the thread list.
    pub(crate) fn thread_list_add(&mut self, t: TcbRef) {
        let g = t.get();
        g.all_prev.set(0);
        g.all_next.set(self.threads.0);
        if !self.threads.is_none() {
            self.threads.get().all_prev.set(t.0);
        }
        self.threads = t;
    }

    /// Removes a destroyed TCB from the thread list.
    pub(crate) fn thread_list_remove(&mut self, t: TcbRef) {
        let g = t.get();
        let (p, n) = (TcbRef(g.all_prev.get()), TcbRef(g.all_next.get()));
        if p.is_none() {
            if self.threads == t {
                self.threads = n;
            }
        } else {
            p.get().all_next.set(n.0);
        }
        if !n.is_none() {
            n.get().all_prev.set(p.0);
        }
        g.all_next.set(0);
        g.all_prev.set(0);
    }

    /// Calls `f` with every record of the dump, in order; stops when `f`
    /// returns false.
    fn enumerate(&self, mut f: impl FnMut(AuditEntry) -> bool) {
        let mut t = self.threads;
        while !t.is_none() {
            let g = t.get();
            let root = t.slot(tcb_slot::CSPACE).cap();
            let vs = t.slot(tcb_slot::VSPACE).cap();
            let cspace = if root.cap_type() == CapType::CNode { root.paddr() } else { 0 };
            if !f(AuditEntry { kind: KIND_THREAD | (t.0 << 8), a: g.id.get(), b: cspace, c: vs.paddr() }) {
                return;
            }
            for (which, s) in [(HELD_FAULT, tcb_slot::FAULT_EP), (HELD_TIMEOUT, tcb_slot::TIMEOUT_EP)] {
                let c = t.slot(s).cap();
                if !c.is_null() && !f(cap_entry(c, which)) {
                    return;
                }
            }
            if cspace != 0 && !self.cspace_listed_before(t, cspace) && !self.walk_cspace(root, &mut f) {
                return;
            }
            t = TcbRef(g.all_next.get());
        }
    }

    fn cspace_listed_before(&self, t: TcbRef, cspace: u64) -> bool {
        let mut u = self.threads;
        while !u.is_none() && u != t {
            let c = u.slot(tcb_slot::CSPACE).cap();
            if c.cap_type() == CapType::CNode && c.paddr() == cspace {
                return true;
            }
            u = TcbRef(u.get().all_next.get());
        }
        false
    }

    /// Lists the CSpace rooted at `root` (one nested level); false if `f`
    /// asked to stop.
    fn walk_cspace(&self, root: Cap, f: &mut impl FnMut(AuditEntry) -> bool) -> bool {
        for i in 0..1u64 << root.size_bits() {
            let c = SlotRef::index(root.paddr(), i).cap();
            if c.is_null() || c.cap_type() == CapType::Zombie {
                continue;
            }
            if !f(cap_entry(c, HELD_CSPACE)) {
                return false;
            }
            if c.cap_type() == CapType::CNode && c.paddr() != root.paddr() {
                for j in 0..1u64 << c.size_bits() {
                    let d = SlotRef::index(c.paddr(), j).cap();
                    if !d.is_null() && d.cap_type() != CapType::Zombie && !f(cap_entry(d, HELD_NESTED)) {
                        return false;
                    }
                }
            }
        }
        true
    }

    pub(crate) fn inv_audit(&mut self, inv: &Inv) -> InvResult {
        if inv.label != Some(Label::AuditDumpCapGraph) {
            return Err(InvError::new(Error::IllegalOperation));
        }
        let cursor = inv.mr(0)?;
        let (_, frame) = inv.extra(self.cspace_root(inv.t), 0)?;
        expect(frame, CapType::Frame, 0)?;
        if !frame.rights().contains(Rights::WRITE) || frame.is_device() {
            return Err(InvError::with(Error::InvalidCapability, 0));
        }
        let capacity = (1u64 << frame.size_bits()) / core::mem::size_of::<AuditEntry>() as u64;
        let (mut index, mut written, mut more) = (0u64, 0u64, false);
        self.enumerate(|e| {
            if index >= cursor {
                if written == capacity {
                    more = true;
                    return false;
                }
                let p = frame.paddr() + written * 32;
                for (k, w) in [e.kind, e.a, e.b, e.c].into_iter().enumerate() {
                    kmem::write_u64(p + 8 * k as u64, w);
                }
                written += 1;
            }
            index += 1;
            true
        });
        inv.set_result(0, if more { index } else { 0 });
        inv.set_result(1, written);
        Ok(2)
    }
}

fn cap_entry(c: Cap, held_in: u64) -> AuditEntry {
    AuditEntry {
        kind: KIND_CAP | ((c.cap_type() as u64) << 8) | ((c.rights().0 & 0xf) << 16),
        a: c.paddr(),
        b: c.badge(),
        c: held_in,
    }
}
