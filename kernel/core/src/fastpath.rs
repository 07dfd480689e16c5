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

/// The thread the fast path switched to, with what the hardware layer needs
/// to run it (already validated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FastSwitch {
    /// The TCB (physical address).
    pub tcb: u64,
    /// Its VSpace root (physical address).
    pub pml4: u64,
    /// Its ASID.
    pub asid: u64,
    /// Its FS base.
    pub fs_base: u64,
}
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{EpRef, EpState, FaultLabel, NtfnRef, NtfnState, ReplyRef, ScRef, TcbRef, ThreadState};
use crate::regs::{MR_REGS, r};
use rampart_abi::msg::REGISTER_MRS;
use rampart_abi::{CapType, Rights};

impl<M: Machine> Kernel<M> {
    /// The slot `cptr` names in `t`'s CSpace when that is a single-level
    /// CNode (cached per thread under the kernel epoch), or `None` to use the
    /// general lookup (always for a thread in foreign-ABI mode).
    #[inline(always)]
    fn fast_lookup(&self, t: TcbRef, cptr: u64) -> Option<crate::slot::SlotRef> {
        let g = t.get();
        if g.cs_epoch.get() != self.vspace_epoch {
            let root = self.cspace_root(t);
            let (slots, radix, gsize, guard) = if root.is(CapType::CNode) { root.cnode_fields() } else { (0, 0, 0, 0) };
            // A thread in foreign-ABI mode (TcbSetSyscallDispatch) never
            // takes the fast path: its `syscall` must first be checked
            // against its native range, on the general path only.
            let single = radix != 0 && radix + gsize == 64 && g.dispatch_entry.get() == 0;
            g.cs_slots.set(if single { slots } else { 0 });
            g.cs_radix.set(u64::from(radix));
            g.cs_guard.set(guard);
            g.cs_epoch.set(self.vspace_epoch);
        }
        let slots = g.cs_slots.get();
        let radix = g.cs_radix.get();
        if slots == 0 || cptr >> radix != g.cs_guard.get() {
            return None;
        }
        Some(crate::slot::SlotRef::index(slots, cptr ^ (g.cs_guard.get() << radix)))
    }

    /// True if scheduling context `sc` has budget left in this period (a
    /// configured context has `remaining > 0` until it is depleted; one that
    /// is depleted or due for a refill takes the general path).
    #[inline(always)]
    fn fast_sc_ready(&self, sc: ScRef) -> bool {
        sc.get().remaining.get() != 0
    }

    /// The switch to `t` if it may run on the CPU right away: its VSpace is
    /// valid and no ready thread has a higher priority.
    #[inline(always)]
    fn fast_can_switch_to(&self, t: TcbRef) -> Option<FastSwitch> {
        let (pml4, asid) = self.thread_vspace(t)?;
        if let Some(p) = self.ready.highest()
            && t.priority() < p as u64
        {
            return None;
        }
        Some(FastSwitch { tcb: t.0, pml4, asid, fs_base: t.get().fs_base.get() })
    }

    /// Copies MR0..MR`len` and delivers the message info and badge.
    #[inline(always)]
    fn fast_transfer(from: TcbRef, to: TcbRef, info: u64, badge: u64) {
        let (f, t) = (&from.get().regs, &to.get().regs);
        let len = (info & 0x7f) as usize;
        for &reg in MR_REGS.iter().take(len) {
            t.set(reg, f.get(reg));
        }
        // Same label and length; no capabilities, none unwrapped.
        t.set(r::RSI, info & !0xf80);
        t.set(r::RDI, badge);
    }

    /// `Call` on an endpoint with a waiting receiver. Returns `None` (having
    /// changed nothing) if the general path must handle it.
    #[inline(always)]
    pub fn fastpath_call(&mut self) -> Option<FastSwitch> {
        let cur = self.cur;
        let g = cur.get();
        let info = g.regs.get(r::RSI);
        // No extra capabilities and at most the register MRs: one compare.
        if info & 0x1ff > REGISTER_MRS as u64 {
            return None;
        }
        let cap = self.fast_lookup(cur, g.regs.get(r::RDI))?.cap();
        if !cap.is(CapType::Endpoint) || !cap.ep_rights().contains(Rights::WRITE) {
            return None;
        }
        let ep = EpRef(cap.obj_paddr());
        let eg = ep.get();
        let head = eg.head.get();
        if head & 3 != EpState::Recv as u64 {
            return None;
        }
        let dest = TcbRef(head & !3);
        let d = dest.get();
        let reply = ReplyRef(d.reply.get());
        if reply.is_none() {
            return None;
        }
        let dsc = ScRef(d.sc.get());
        if !dsc.is_none() && !self.fast_sc_ready(dsc) {
            return None;
        }
        // A context that is itself lent (nested donation) takes the general
        // path, which stacks the reply objects.
        let csc = ScRef(g.sc.get());
        let lend = if dsc.is_none() && !csc.is_none() {
            if csc.get().reply.get() != 0 {
                return None;
            }
            Some(csc)
        } else {
            None
        };
        let switch = self.fast_can_switch_to(dest)?;
        // Commit: dequeue the receiver.
        let next = d.ep_next.get();
        if next == 0 {
            eg.head.set(0);
            eg.tail.set(0);
        } else {
            TcbRef(next).get().ep_prev.set(0);
            eg.head.set(next | EpState::Recv as u64);
        }
        d.ep_next.set(0);
        d.blocked_on.set(0);
        d.reply.set(0);
        // The caller waits on the reply object.
        let rg = reply.get();
        rg.receiver.set(0);
        rg.caller.set(cur.0);
        rg.can_grant.set(cap.ep_rights().contains(Rights::GRANT_REPLY) as u64);
        g.reply.set(reply.0);
        g.state.set(ThreadState::BlockedOnReply as u64);
        // A passive server runs on the caller's scheduling context, lent
        // through the reply object, which starts the context's call stack.
        if let Some(sc) = lend {
            g.sc.set(0);
            d.sc.set(sc.0);
            let sg = sc.get();
            sg.tcb.set(dest.0);
            sg.reply.set(reply.0);
            rg.sc.set(sc.0);
        }
        Self::fast_transfer(cur, dest, info, cap.ep_badge());
        d.state.set(ThreadState::Running as u64);
        self.cur = dest;
        Some(switch)
    }

    /// `ReplyRecv` where the caller waits for the reply and no sender is
    /// queued on the endpoint. Returns `None` (having changed nothing) if the
    /// general path must handle it.
    #[inline(always)]
    pub fn fastpath_reply_recv(&mut self) -> Option<FastSwitch> {
        let cur = self.cur;
        let g = cur.get();
        let info = g.regs.get(r::RSI);
        if info & 0x1ff > REGISTER_MRS as u64 {
            return None;
        }
        let rcap = self.fast_lookup(cur, g.regs.get(r::R12))?.cap();
        let cap = self.fast_lookup(cur, g.regs.get(r::RDI))?.cap();
        if !rcap.is(CapType::Reply) || !cap.is(CapType::Endpoint) || !cap.ep_rights().contains(Rights::READ) {
            return None;
        }
        let reply = ReplyRef(rcap.obj_paddr());
        let rg = reply.get();
        let ep = EpRef(cap.obj_paddr());
        let eg = ep.get();
        let caller = TcbRef(rg.caller.get());
        if caller.is_none() || eg.head.get() & 3 == EpState::Send as u64 {
            return None;
        }
        let cg = caller.get();
        if cg.state.get() != ThreadState::BlockedOnReply as u64 || cg.fault.get() != FaultLabel::None as u64 {
            return None;
        }
        let bound = g.bound_ntfn.get();
        if bound != 0 && NtfnRef(bound).state() == NtfnState::Active {
            return None;
        }
        // Only a reply object alone in its call stack (or in none) is
        // handled here; nested donation takes the general path, which
        // splices it out.
        if rg.above.get() | rg.below.get() != 0 {
            return None;
        }
        let sc = ScRef(rg.sc.get());
        if !sc.is_none() && (sc.get().tcb.get() != cur.0 || cg.sc.get() != 0) {
            // The context returns from its holder, which must be this
            // thread, to a caller without one (else: general path).
            return None;
        }
        // After the reply the caller runs on its own (returned) context.
        let csc = if sc.is_none() { ScRef(cg.sc.get()) } else { sc };
        if csc.is_none() || !self.fast_sc_ready(csc) {
            return None;
        }
        let switch = self.fast_can_switch_to(caller)?;
        // Commit: the server waits on the endpoint (at the tail).
        g.blocked_on.set(ep.0);
        g.reply.set(reply.0);
        g.state.set(ThreadState::BlockedOnReceive as u64);
        let tail = eg.tail.get();
        g.ep_next.set(0);
        g.ep_prev.set(tail);
        if tail == 0 {
            eg.head.set(cur.0 | EpState::Recv as u64);
        } else {
            TcbRef(tail).get().ep_next.set(cur.0);
        }
        eg.tail.set(cur.0);
        // Unbind the caller and give back its scheduling context.
        rg.caller.set(0);
        rg.receiver.set(cur.0);
        cg.reply.set(0);
        if !sc.is_none() {
            // Pop the only reply object: the context goes from this thread
            // back to the caller.
            let sg = sc.get();
            sg.reply.set(0);
            rg.sc.set(0);
            g.sc.set(0);
            sg.tcb.set(caller.0);
            cg.sc.set(sc.0);
        }
        Self::fast_transfer(cur, caller, info, 0);
        cg.state.set(ThreadState::Running as u64);
        self.cur = caller;
        Some(switch)
    }
}
