//! The IPC fast path for `Call` and `ReplyRecv` (seL4 `fastpath_call`,
//! `fastpath_reply_recv`, MCS variants).
//!
//! The common case of client/server IPC — a message that fits in the four
//! register MRs, no capabilities, a receiver already waiting, nothing higher
//! priority ready — is handled by a short straight-line sequence that checks
//! only those preconditions and transfers the registers. The scheduler is not
//! consulted (Benno scheduling: the woken thread simply becomes current, the
//! blocked one is in no queue), so a round trip touches no ready queue. When
//! any precondition fails the function returns `false` having changed
//! nothing, and the general path handles the call with identical results
//! (host tests compare the two).

use crate::cspace;
use crate::kernel::{Kernel, SchedAction};
use crate::machine::Machine;
use crate::object::{EpRef, EpState, FaultLabel, NtfnRef, NtfnState, ReplyRef, TcbRef, ThreadState, tcb_slot};
use crate::regs::{MR_REGS, r};
use rampart_abi::msg::REGISTER_MRS;
use rampart_abi::{CapType, MessageInfo, Rights};

impl<M: Machine> Kernel<M> {
    /// True if scheduling context `sc` has budget to run now.
    #[inline(always)]
    fn fast_sc_ready(&self, sc: crate::object::ScRef) -> bool {
        let g = sc.get();
        g.budget.get() != 0 && (g.remaining.get() != 0 || self.now >= g.refill_at.get())
    }

    /// True if `t` may run on the CPU right away: its VSpace is valid and no
    /// ready thread has a higher priority.
    #[inline(always)]
    fn fast_can_switch_to(&self, t: TcbRef) -> bool {
        let vs = t.slot(tcb_slot::VSPACE).cap();
        if vs.cap_type() != CapType::VSpace || self.find_vspace(vs.mapped_asid()) != Some(vs.paddr()) {
            return false;
        }
        match self.ready.highest() {
            Some(p) => t.priority() >= p as u64,
            None => true,
        }
    }

    /// Copies MR0..MR`len` and delivers the message info and badge.
    #[inline(always)]
    fn fast_transfer(from: TcbRef, to: TcbRef, info: MessageInfo, badge: u64) {
        let (f, t) = (&from.get().regs, &to.get().regs);
        for &reg in MR_REGS.iter().take(info.length()) {
            t.set(reg, f.get(reg));
        }
        t.set(r::RSI, MessageInfo::new(info.label(), 0, 0, info.length() as u64).0);
        t.set(r::RDI, badge);
    }

    /// `Call` on an endpoint with a waiting receiver. Returns false (having
    /// changed nothing) if the general path must handle it.
    pub fn fastpath_call(&mut self) -> bool {
        let cur = self.cur;
        let g = cur.get();
        let info = MessageInfo(g.regs.get(r::RSI));
        if info.extra_caps() != 0 || info.length() > REGISTER_MRS || self.action != SchedAction::Resume {
            return false;
        }
        let Ok((_, cap)) = cspace::lookup_cap(self.cspace_root(cur), g.regs.get(r::RDI)) else { return false };
        if cap.cap_type() != CapType::Endpoint || !cap.rights().contains(Rights::WRITE) {
            return false;
        }
        let ep = EpRef(cap.paddr());
        if ep.state() != EpState::Recv {
            return false;
        }
        let dest = ep.head();
        let reply = ReplyRef(dest.get().reply.get());
        if reply.is_none() || !self.fast_can_switch_to(dest) {
            return false;
        }
        let dsc = dest.sc();
        if !dsc.is_none() && !self.fast_sc_ready(dsc) {
            return false;
        }
        // Commit: dequeue the receiver.
        let d = dest.get();
        let next = TcbRef(d.ep_next.get());
        if next.is_none() {
            ep.set_head(TcbRef::NONE, EpState::Idle);
            ep.get().tail.set(0);
        } else {
            next.get().ep_prev.set(0);
            ep.set_head(next, EpState::Recv);
        }
        d.ep_next.set(0);
        d.blocked_on.set(0);
        d.reply.set(0);
        // The caller waits on the reply object.
        let rg = reply.get();
        rg.receiver.set(0);
        rg.caller.set(cur.0);
        rg.can_grant.set(cap.rights().contains(Rights::GRANT_REPLY) as u64);
        g.reply.set(reply.0);
        cur.set_state(ThreadState::BlockedOnReply);
        // A passive server runs on the caller's scheduling context.
        if d.sc.get() == 0 {
            let sc = cur.sc();
            if !sc.is_none() {
                g.sc.set(0);
                d.sc.set(sc.0);
                sc.get().tcb.set(dest.0);
                sc.get().reply.set(reply.0);
                rg.donated_sc.set(sc.0);
            }
        }
        Self::fast_transfer(cur, dest, info, cap.badge());
        dest.set_state(ThreadState::Running);
        self.cur = dest;
        true
    }

    /// `ReplyRecv` where the caller waits for the reply and no sender is
    /// queued on the endpoint. Returns false (having changed nothing) if the
    /// general path must handle it.
    pub fn fastpath_reply_recv(&mut self) -> bool {
        let cur = self.cur;
        let g = cur.get();
        let info = MessageInfo(g.regs.get(r::RSI));
        if info.extra_caps() != 0 || info.length() > REGISTER_MRS || self.action != SchedAction::Resume {
            return false;
        }
        let root = self.cspace_root(cur);
        let Ok((_, rcap)) = cspace::lookup_cap(root, g.regs.get(r::R12)) else { return false };
        let Ok((_, cap)) = cspace::lookup_cap(root, g.regs.get(r::RDI)) else { return false };
        if rcap.cap_type() != CapType::Reply
            || cap.cap_type() != CapType::Endpoint
            || !cap.rights().contains(Rights::READ)
        {
            return false;
        }
        let reply = ReplyRef(rcap.paddr());
        let ep = EpRef(cap.paddr());
        let caller = TcbRef(reply.get().caller.get());
        if caller.is_none()
            || caller.state() != ThreadState::BlockedOnReply
            || caller.get().fault.get() != FaultLabel::None as u64
            || ep.state() == EpState::Send
        {
            return false;
        }
        let bound = NtfnRef(g.bound_ntfn.get());
        if !bound.is_none() && bound.state() == NtfnState::Active {
            return false;
        }
        let rg = reply.get();
        let sc = crate::object::ScRef(rg.donated_sc.get());
        // After the reply the caller runs on its own (returned) context.
        let csc = if sc.is_none() { caller.sc() } else { sc };
        if csc.is_none() || !self.fast_sc_ready(csc) || !self.fast_can_switch_to(caller) {
            return false;
        }
        // Commit: the server waits on the endpoint (at the tail).
        g.blocked_on.set(ep.0);
        g.reply.set(reply.0);
        cur.set_state(ThreadState::BlockedOnReceive);
        let tail = TcbRef(ep.get().tail.get());
        g.ep_next.set(0);
        g.ep_prev.set(tail.0);
        if tail.is_none() {
            ep.set_head(cur, EpState::Recv);
        } else {
            tail.get().ep_next.set(cur.0);
        }
        ep.get().tail.set(cur.0);
        // Unbind the caller and give back its scheduling context.
        rg.caller.set(0);
        rg.receiver.set(cur.0);
        caller.get().reply.set(0);
        if !sc.is_none() {
            rg.donated_sc.set(0);
            if cur.sc() == sc {
                g.sc.set(0);
            }
            sc.get().reply.set(0);
            sc.get().tcb.set(caller.0);
            caller.get().sc.set(sc.0);
        }
        Self::fast_transfer(cur, caller, info, 0);
        caller.set_state(ThreadState::Running);
        self.cur = caller;
        true
    }
}
