//! Reply objects and the scheduling-context call stack (seL4 MCS
//! `object/reply.c`, `schedContext_donate`).
//!
//! A `Call` binds the caller to the receiver's reply object; the reply
//! through that object (or its abort) unbinds it. When the receiver is
//! passive (no scheduling context of its own), the caller's context is lent
//! to it for the duration of the call, and the reply object is pushed on the
//! context's call stack ([`crate::object::Reply`] documents the layout). A
//! server that makes a call while running on a lent context lends it again
//! (nested donation) and pushes another reply object.
//!
//! One rule covers every way a call ends — reply, abort (the reply object is
//! reused or deleted, the endpoint vanished), cancellation of the caller: the
//! reply object leaves its stack wherever it is ([`stack_remove`]); if it was
//! the top, the context goes back to the reply's caller (unless that caller
//! has meanwhile been given a context of its own, as in seL4's `reply_pop`),
//! taken from whichever thread holds it. Deleting a context clears the one
//! pointer to it (the top's `sc`); deleting a thread that holds a lent
//! context unbinds it and leaves the stack to return it later. So a context
//! is bound to at most one thread and no object refers to a deleted one —
//! the properties whose violation let the review reach freed memory (issue
//! 13, findings 2 and 3); `Kernel::check_sc_invariants` checks them.

use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{FaultLabel, ReplyRef, ScRef, TcbRef, ThreadState};
use rampart_abi::MessageInfo;
use rampart_abi::msg::LABEL_IPC_ABORTED;

/// Pushes `r` (which must be in no stack) on top of `sc`'s call stack.
#[inline(always)]
pub fn stack_push(sc: ScRef, r: ReplyRef) {
    let (sg, rg) = (sc.get(), r.get());
    let top = sg.reply.get();
    rg.below.set(top);
    rg.above.set(0);
    if top != 0 {
        let tg = ReplyRef(top).get();
        tg.above.set(r.0);
        tg.sc.set(0);
    }
    rg.sc.set(sc.0);
    sg.reply.set(r.0);
}

/// Takes `r` out of its call stack, wherever it is (a no-op if it is in
/// none), and returns the context whose stack it topped (NONE otherwise).
/// The reply object below it, if any, becomes the new top.
#[inline(always)]
pub fn stack_remove(r: ReplyRef) -> ScRef {
    let rg = r.get();
    let (above, below, sc) = (rg.above.get(), rg.below.get(), ScRef(rg.sc.get()));
    if above != 0 {
        ReplyRef(above).get().below.set(below);
    }
    if below != 0 {
        let bg = ReplyRef(below).get();
        bg.above.set(above);
        if !sc.is_none() {
            bg.sc.set(sc.0);
        }
    }
    if !sc.is_none() {
        sc.get().reply.set(below);
    }
    rg.above.set(0);
    rg.below.set(0);
    rg.sc.set(0);
    sc
}

impl<M: Machine> Kernel<M> {
    /// Binds `caller` to `reply` (held by `server`) and lends the caller's
    /// scheduling context to a passive server (seL4 `reply_push`).
    pub(crate) fn reply_push(&mut self, caller: TcbRef, server: TcbRef, reply: ReplyRef, can_grant: bool) {
        let rg = reply.get();
        let old = TcbRef(rg.caller.get());
        if !old.is_none() && old != caller {
            // Not reachable (a receiver's reply object is unbound when it
            // starts receiving); kept so that a mistake cannot link one
            // reply object into two stacks.
            self.abort_call(old);
        }
        rg.caller.set(caller.0);
        rg.can_grant.set(can_grant as u64);
        caller.get().reply.set(reply.0);
        self.set_thread_state(caller, ThreadState::BlockedOnReply);
        let sc = caller.sc();
        if !sc.is_none() && server.sc().is_none() {
            // The caller is blocked, so it is in no ready queue.
            caller.get().sc.set(0);
            server.get().sc.set(sc.0);
            sc.get().tcb.set(server.0);
            stack_push(sc, reply);
        }
    }

    /// Gives `sc` to `to`, taking it from the thread that holds it (seL4
    /// `schedContext_donate`).
    fn sc_give_back(&mut self, sc: ScRef, to: TcbRef) {
        let holder = TcbRef(sc.get().tcb.get());
        if !holder.is_none() && holder.sc() == sc {
            holder.get().sc.set(0);
            self.ready.dequeue(holder);
            if holder == self.cur {
                self.reschedule_required();
            }
        }
        sc.get().tcb.set(to.0);
        to.get().sc.set(sc.0);
    }

    /// Unbinds the caller of `reply` and takes `reply` out of its call
    /// stack, returning a lent scheduling context to the caller if `reply`
    /// was the top. Returns the caller (NONE if the reply object was not in
    /// use).
    pub(crate) fn reply_pop(&mut self, reply: ReplyRef) -> TcbRef {
        let rg = reply.get();
        let caller = TcbRef(rg.caller.get());
        if caller.is_none() {
            return caller;
        }
        rg.caller.set(0);
        caller.get().reply.set(0);
        let sc = stack_remove(reply);
        if !sc.is_none() && caller.sc().is_none() {
            self.sc_give_back(sc, caller);
        }
        caller
    }

    /// Replies through `reply` with the message in `t`'s registers (seL4
    /// `doReplyTransfer`). `cap_grant`: the reply capability used has the
    /// Grant right; capabilities are transferred only if it has and the
    /// caller's endpoint capability had GrantReply. Returns whether a
    /// caller took the answer: with no caller (it was never bound, already
    /// answered, or aborted — suspended, interrupted for a signal,
    /// destroyed) nothing happens and `false` is returned, so a server can
    /// keep what it would have handed over (`docs/kernel.md`, "Reply
    /// delivery").
    pub fn do_reply(&mut self, t: TcbRef, reply: ReplyRef, cap_grant: bool) -> bool {
        let grant = cap_grant && reply.get().can_grant.get() != 0;
        let caller = self.reply_pop(reply);
        if caller.is_none() || caller.state() != ThreadState::BlockedOnReply {
            return false;
        }
        let fault = caller.get().fault.get();
        if fault == FaultLabel::None as u64 {
            self.transfer(t, caller, 0, grant);
            self.wake(caller);
        } else {
            let resume = self.handle_fault_reply(caller, t);
            caller.get().fault.set(FaultLabel::None as u64);
            if resume {
                self.wake(caller);
            } else {
                self.set_thread_state(caller, ThreadState::Inactive);
            }
        }
        true
    }

    /// Ends a call that can never be answered: the caller resumes with
    /// [`LABEL_IPC_ABORTED`] (a faulted caller stays stopped).
    pub fn abort_call(&mut self, caller: TcbRef) {
        let reply = ReplyRef(caller.get().reply.get());
        if !reply.is_none() && reply.get().caller.get() == caller.0 {
            self.reply_pop(reply);
        }
        caller.get().reply.set(0);
        if caller.get().fault.get() != FaultLabel::None as u64 {
            self.set_thread_state(caller, ThreadState::Inactive);
            return;
        }
        crate::ipc::set_recv_result(caller, 0, MessageInfo::new(LABEL_IPC_ABORTED, 0, 0, 0));
        self.wake(caller);
    }

    /// `reply` is being destroyed: abort its caller (which takes it out of
    /// its call stack), and stop a receiver that would have bound a caller
    /// to it.
    pub fn reply_destroyed(&mut self, reply: ReplyRef) {
        let caller = TcbRef(reply.get().caller.get());
        if !caller.is_none() {
            self.abort_call(caller);
        }
        // A stack member always has a caller; this only guards the rule.
        stack_remove(reply);
        let receiver = TcbRef(reply.get().receiver.get());
        if !receiver.is_none() && receiver.state() == ThreadState::BlockedOnReceive {
            self.cancel_ipc(receiver);
            self.wake(receiver);
        }
        reply.get().receiver.set(0);
    }
}
