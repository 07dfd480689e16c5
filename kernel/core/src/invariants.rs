//! Kernel invariants over threads, scheduling contexts and reply objects,
//! checked by walking the list of all threads (`DebugCheckInvariants`, the
//! host tests after every step, the refinement harness).
//!
//! These are the properties whose violation turned the review's findings
//! 2 and 3 (issue 13) into use-after-free: a scheduling context bound to
//! two threads, and reply objects pointing at a context or at each other
//! inconsistently. Every pointer checked here is one the kernel follows
//! later; a violation is reported as a code, never a panic.

use crate::kernel::{Kernel, SchedAction};
use crate::machine::Machine;
use crate::object::{ReplyRef, ScRef, TcbRef, ThreadState};

/// Violation codes of [`Kernel::check_threads`] (DebugCheckInvariants
/// results 120..=139).
pub mod code {
    /// A thread's context is bound to another thread (`t.sc.tcb != t`).
    pub const SC_BOUND_ELSEWHERE: u64 = 120;
    /// A thread blocked on a reply is not that reply object's caller.
    pub const REPLY_CALLER: u64 = 121;
    /// A context's call-stack top does not point back at the context.
    pub const STACK_TOP_SC: u64 = 122;
    /// A context's call-stack top has a reply object above it.
    pub const STACK_TOP_ABOVE: u64 = 123;
    /// A reply object in a call stack has no caller blocked on it.
    pub const STACK_NO_CALLER: u64 = 124;
    /// Call-stack neighbours do not point at each other.
    pub const STACK_LINKS: u64 = 125;
    /// A reply object below the top refers to a context.
    pub const STACK_SC_BELOW_TOP: u64 = 126;
    /// A call stack is longer than the number of threads (a cycle).
    pub const STACK_CYCLE: u64 = 127;
    /// The thread list is longer than the bound (a cycle).
    pub const THREAD_LIST_CYCLE: u64 = 128;
    /// A reply object refers to a context whose stack top is another.
    pub const REPLY_SC_NOT_TOP: u64 = 129;
    /// A context's holder does not have it bound.
    pub const SC_HOLDER: u64 = 130;
    /// A runnable thread with a configured scheduling context that is not
    /// current, not queued, not waiting for a refill and not the pending
    /// `SwitchTo` candidate: nothing will ever run it again.
    pub const RUNNABLE_LOST: u64 = 131;
}

/// Longest thread list walked (a bound for the cycle check).
const MAX_THREADS: u64 = 1 << 20;

impl<M: Machine> Kernel<M> {
    /// Checks every thread, its scheduling context and the call stacks it
    /// takes part in. Returns 0 or a [`code`].
    pub fn check_threads(&self) -> u64 {
        let mut n = 0u64;
        let mut t = self.threads;
        while !t.is_none() {
            n += 1;
            if n > MAX_THREADS {
                return code::THREAD_LIST_CYCLE;
            }
            let c = self.check_thread(t);
            if c != 0 {
                return c;
            }
            t = TcbRef(t.get().all_next.get());
        }
        0
    }

    /// Checks that no runnable thread is lost to the scheduler: every
    /// `Running` thread with a configured scheduling context is current,
    /// queued, waiting for its refill or the pending `SwitchTo` candidate.
    /// Returns 0 or [`code::RUNNABLE_LOST`]. Holds between kernel entries
    /// of a kernel whose threads only run when scheduled (the machine, the
    /// host tests); not in the refinement harness, which steps any thread
    /// it likes without scheduling it.
    pub fn check_scheduling(&self) -> u64 {
        let mut n = 0u64;
        let mut t = self.threads;
        while !t.is_none() && n <= MAX_THREADS {
            n += 1;
            let g = t.get();
            let sc = t.sc();
            if !sc.is_none()
                && t.state() == ThreadState::Running
                && sc.get().budget.get() != 0
                && t != self.cur
                && g.in_ready_queue.get() == 0
                && sc.get().in_release_queue.get() == 0
                && self.action != SchedAction::SwitchTo(t)
            {
                return code::RUNNABLE_LOST;
            }
            t = TcbRef(g.all_next.get());
        }
        0
    }

    fn check_thread(&self, t: TcbRef) -> u64 {
        let g = t.get();
        let sc = t.sc();
        if !sc.is_none() {
            if sc.get().tcb.get() != t.0 {
                return code::SC_BOUND_ELSEWHERE;
            }

            let top = ReplyRef(sc.get().reply.get());
            if !top.is_none() {
                let c = check_stack(sc, top);
                if c != 0 {
                    return c;
                }
            }
        }
        if t.state() == ThreadState::BlockedOnReply {
            let r = ReplyRef(g.reply.get());
            if !r.is_none() {
                let rg = r.get();
                if rg.caller.get() != t.0 {
                    return code::REPLY_CALLER;
                }
                let above = ReplyRef(rg.above.get());
                if !above.is_none() && above.get().below.get() != r.0 {
                    return code::STACK_LINKS;
                }
                let below = ReplyRef(rg.below.get());
                if !below.is_none() && below.get().above.get() != r.0 {
                    return code::STACK_LINKS;
                }
                let s = ScRef(rg.sc.get());
                if !s.is_none() {
                    if !above.is_none() {
                        return code::STACK_SC_BELOW_TOP;
                    }
                    if s.get().reply.get() != r.0 {
                        return code::REPLY_SC_NOT_TOP;
                    }
                    let holder = TcbRef(s.get().tcb.get());
                    if !holder.is_none() && holder.sc() != s {
                        return code::SC_HOLDER;
                    }
                }
            }
        }
        0
    }
}

/// Walks the call stack of `sc` from its top `top` down.
fn check_stack(sc: ScRef, top: ReplyRef) -> u64 {
    let tg = top.get();
    if tg.sc.get() != sc.0 {
        return code::STACK_TOP_SC;
    }
    if tg.above.get() != 0 {
        return code::STACK_TOP_ABOVE;
    }
    let mut r = top;
    let mut n = 0u64;
    while !r.is_none() {
        n += 1;
        if n > MAX_THREADS {
            return code::STACK_CYCLE;
        }
        let rg = r.get();
        let caller = TcbRef(rg.caller.get());
        if caller.is_none() || caller.state() != ThreadState::BlockedOnReply || caller.get().reply.get() != r.0 {
            return code::STACK_NO_CALLER;
        }
        if r != top && rg.sc.get() != 0 {
            return code::STACK_SC_BELOW_TOP;
        }
        let below = ReplyRef(rg.below.get());
        if !below.is_none() && below.get().above.get() != r.0 {
            return code::STACK_LINKS;
        }
        r = below;
    }
    0
}
