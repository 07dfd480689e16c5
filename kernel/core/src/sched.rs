//! The scheduler: 256 fixed priorities, round-robin within a priority,
//! scheduling contexts (MCS) for budget enforcement, and Benno scheduling:
//! the running thread is never in a ready queue, and a thread woken by IPC is
//! switched to directly when it should run next, so an IPC round trip never
//! touches the queues.
//!
//! Queue operations follow seL4: `enqueue` puts a thread at the head of its
//! priority's queue (it keeps its turn), `append` at the tail.

use crate::kernel::{Kernel, SchedAction};
use crate::machine::Machine;
use crate::object::{ScRef, TcbRef, ThreadState};

/// Number of priorities.
pub const PRIORITIES: usize = 256;

/// Per-priority FIFO queues of runnable threads plus a bitmap of non-empty
/// priorities.
pub struct ReadyQueues {
    head: [u64; PRIORITIES],
    tail: [u64; PRIORITIES],
    bitmap: [u64; 4],
    /// Bit `w` set if `bitmap[w]` is non-zero.
    top: u64,
}

impl Default for ReadyQueues {
    fn default() -> Self {
        Self::new()
    }
}

impl ReadyQueues {
    /// Empty queues.
    pub const fn new() -> Self {
        ReadyQueues { head: [0; PRIORITIES], tail: [0; PRIORITIES], bitmap: [0; 4], top: 0 }
    }

    /// Highest priority with a queued thread.
    #[inline(always)]
    pub fn highest(&self) -> Option<usize> {
        if self.top == 0 {
            return None;
        }
        let w = 63 - self.top.leading_zeros() as usize;
        Some(w * 64 + 63 - self.bitmap[w & 3].leading_zeros() as usize)
    }

    fn set_bit(&mut self, p: usize) {
        self.bitmap[p / 64] |= 1 << (p % 64);
        self.top |= 1 << (p / 64);
    }

    fn clear_bit(&mut self, p: usize) {
        self.bitmap[p / 64] &= !(1 << (p % 64));
        if self.bitmap[p / 64] == 0 {
            self.top &= !(1 << (p / 64));
        }
    }

    fn prio(t: TcbRef) -> usize {
        (t.priority() as usize).min(PRIORITIES - 1)
    }

    /// Inserts `t` at the head of its queue.
    pub fn enqueue(&mut self, t: TcbRef) {
        let g = t.get();
        if g.in_ready_queue.get() != 0 {
            return;
        }
        let p = Self::prio(t);
        g.sched_prev.set(0);
        g.sched_next.set(self.head[p]);
        if self.head[p] == 0 {
            self.tail[p] = t.0;
        } else {
            TcbRef(self.head[p]).get().sched_prev.set(t.0);
        }
        self.head[p] = t.0;
        self.set_bit(p);
        g.in_ready_queue.set(1);
    }

    /// Inserts `t` at the tail of its queue.
    pub fn append(&mut self, t: TcbRef) {
        let g = t.get();
        if g.in_ready_queue.get() != 0 {
            return;
        }
        let p = Self::prio(t);
        g.sched_next.set(0);
        g.sched_prev.set(self.tail[p]);
        if self.tail[p] == 0 {
            self.head[p] = t.0;
        } else {
            TcbRef(self.tail[p]).get().sched_next.set(t.0);
        }
        self.tail[p] = t.0;
        self.set_bit(p);
        g.in_ready_queue.set(1);
    }

    /// Removes `t` if it is queued.
    pub fn dequeue(&mut self, t: TcbRef) {
        let g = t.get();
        if g.in_ready_queue.get() == 0 {
            return;
        }
        let p = Self::prio(t);
        let (prev, next) = (g.sched_prev.get(), g.sched_next.get());
        if prev == 0 {
            self.head[p] = next;
        } else {
            TcbRef(prev).get().sched_next.set(next);
        }
        if next == 0 {
            self.tail[p] = prev;
        } else {
            TcbRef(next).get().sched_prev.set(prev);
        }
        if self.head[p] == 0 {
            self.clear_bit(p);
        }
        g.in_ready_queue.set(0);
        g.sched_next.set(0);
        g.sched_prev.set(0);
    }

    /// Removes and returns the first thread of the highest priority.
    pub fn pop_highest(&mut self) -> TcbRef {
        match self.highest() {
            Some(p) => {
                let t = TcbRef(self.head[p]);
                self.dequeue(t);
                t
            }
            None => TcbRef::NONE,
        }
    }

    /// Checks queue consistency (links, bitmap, flags). Returns 0 or a
    /// violation code.
    pub fn check(&self) -> u64 {
        for w in 0..4 {
            if (self.top >> w) & 1 != u64::from(self.bitmap[w] != 0) {
                return 104;
            }
        }
        for p in 0..PRIORITIES {
            let bit = self.bitmap[p / 64] & (1 << (p % 64)) != 0;
            if bit != (self.head[p] != 0) {
                return 100;
            }
            let mut prev = 0;
            let mut t = self.head[p];
            let mut n = 0;
            while t != 0 {
                let g = TcbRef(t).get();
                if g.sched_prev.get() != prev || g.in_ready_queue.get() != 1 || Self::prio(TcbRef(t)) != p {
                    return 101;
                }
                prev = t;
                t = g.sched_next.get();
                n += 1;
                if n > 1 << 24 {
                    return 102;
                }
            }
            if self.tail[p] != prev {
                return 103;
            }
        }
        0
    }
}

impl<M: Machine> Kernel<M> {
    /// Refills `sc` if one or more period boundaries have passed.
    pub(crate) fn sc_refresh(&mut self, sc: ScRef) {
        let g = sc.get();
        let period = g.period.get();
        if period != 0 && self.now >= g.refill_at.get() {
            let late = self.now - g.refill_at.get();
            g.refill_at.set(g.refill_at.get() + (late / period + 1) * period);
            g.remaining.set(g.budget.get());
        }
    }

    /// True if `t` can run now: running state, a configured scheduling
    /// context with budget left.
    #[inline]
    pub fn schedulable(&self, t: TcbRef) -> bool {
        if t.is_none() || t.state() != ThreadState::Running {
            return false;
        }
        let sc = t.sc();
        if sc.is_none() {
            return false;
        }
        let g = sc.get();
        g.budget.get() != 0 && (g.remaining.get() != 0 || self.now >= g.refill_at.get())
    }

    /// Requests a new scheduling decision (seL4 `rescheduleRequired`).
    pub fn reschedule_required(&mut self) {
        if let SchedAction::SwitchTo(t) = self.action
            && self.schedulable(t)
        {
            self.ready.enqueue(t);
        }
        self.action = SchedAction::ChooseNew;
    }

    /// `t` became runnable: run it next if it should preempt, else queue it
    /// (seL4 `possibleSwitchTo`).
    pub fn possible_switch_to(&mut self, t: TcbRef) {
        if !self.schedulable(t) {
            return;
        }
        if self.action != SchedAction::Resume {
            self.reschedule_required();
            self.ready.enqueue(t);
        } else {
            self.action = SchedAction::SwitchTo(t);
        }
    }

    /// Makes `t` runnable and lets the scheduler consider it.
    pub fn wake(&mut self, t: TcbRef) {
        t.set_state(ThreadState::Running);
        self.possible_switch_to(t);
    }

    /// Sets `t`'s state; if the current thread stops being runnable the next
    /// scheduling decision picks another (seL4 `setThreadState`).
    pub fn set_thread_state(&mut self, t: TcbRef, s: ThreadState) {
        t.set_state(s);
        if s != ThreadState::Running {
            self.ready.dequeue(t);
            if t == self.cur && self.action == SchedAction::Resume {
                self.action = SchedAction::ChooseNew;
            }
        }
    }

    /// Decides which thread runs next (seL4 `schedule`).
    pub fn schedule(&mut self) {
        let action = core::mem::replace(&mut self.action, SchedAction::Resume);
        let cur = self.cur;
        let cur_ok = self.schedulable(cur);
        match action {
            SchedAction::Resume => {
                if cur_ok {
                    return;
                }
            }
            SchedAction::SwitchTo(cand) => {
                if cur_ok {
                    self.ready.enqueue(cur);
                }
                if self.schedulable(cand) {
                    let best = self.ready.highest().unwrap_or(0) as u64;
                    let fastfail = (cur_ok && cand.priority() < cur.priority()) || cand.priority() < best;
                    if !(fastfail || cur_ok && cand.priority() == cur.priority()) {
                        self.ready.dequeue(cand);
                        self.cur = cand;
                        return;
                    }
                    if fastfail {
                        self.ready.enqueue(cand);
                    } else {
                        self.ready.append(cand);
                    }
                }
            }
            SchedAction::ChooseNew => {
                if cur_ok {
                    self.ready.enqueue(cur);
                }
            }
        }
        self.cur = self.choose_thread();
    }

    /// Picks the best queued thread (refreshing depleted contexts first).
    fn choose_thread(&mut self) -> TcbRef {
        loop {
            let t = self.ready.pop_highest();
            if t.is_none() || self.schedulable(t) {
                return t;
            }
        }
    }

    /// The current thread gives up the rest of its time slice.
    pub fn yield_current(&mut self) {
        let cur = self.cur;
        if self.schedulable(cur) {
            self.ready.append(cur);
        }
        self.reschedule_required();
    }

    /// One kernel timer tick: advance time, refill depleted scheduling
    /// contexts that are due, charge the current thread, and preempt it at
    /// the end of its budget.
    pub fn timer_tick(&mut self) {
        self.now += 1;
        self.release_due();
        self.timers_tick();
        let cur = self.cur;
        if cur.is_none() {
            return;
        }
        let sc = cur.sc();
        if sc.is_none() {
            return;
        }
        let g = sc.get();
        if g.budget.get() < g.period.get() {
            self.sc_refresh(sc);
        }
        g.consumed.set(g.consumed.get() + 1);
        let left = g.remaining.get().saturating_sub(1);
        g.remaining.set(left);
        if left != 0 {
            return;
        }
        if g.budget.get() >= g.period.get() {
            // Round robin: new time slice, back of the queue.
            g.remaining.set(g.budget.get());
            g.refill_at.set(self.now + g.period.get());
            self.ready.append(cur);
            // Not `action = ChooseNew`: a timer that fired in this tick
            // (`timers_tick` above) may have made a woken thread the
            // `SwitchTo` candidate, which is in no queue; overwriting the
            // action lost it — runnable, never scheduled again (the
            // stop-28 hangs of sleepers on kernel timers).
            self.reschedule_required();
        } else {
            // Depleted before the period ends: wait for the refill.
            self.release_enqueue(sc);
            self.reschedule_required();
            self.send_timeout_fault(cur);
        }
    }

    fn release_enqueue(&mut self, sc: ScRef) {
        let g = sc.get();
        if g.in_release_queue.get() == 0 {
            g.in_release_queue.set(1);
            g.release_next.set(self.release_head.0);
            self.release_head = sc;
        }
    }

    /// Removes `sc` from the release queue if present.
    pub(crate) fn release_remove(&mut self, sc: ScRef) {
        let g = sc.get();
        if g.in_release_queue.get() == 0 {
            return;
        }
        let mut prev = ScRef::NONE;
        let mut it = self.release_head;
        while !it.is_none() {
            let next = ScRef(it.get().release_next.get());
            if it == sc {
                if prev.is_none() {
                    self.release_head = next;
                } else {
                    prev.get().release_next.set(next.0);
                }
                break;
            }
            prev = it;
            it = next;
        }
        g.in_release_queue.set(0);
        g.release_next.set(0);
    }

    fn release_due(&mut self) {
        let mut it = self.release_head;
        while !it.is_none() {
            let next = ScRef(it.get().release_next.get());
            if self.now >= it.get().refill_at.get() {
                self.release_remove(it);
                self.sc_refresh(it);
                let t = crate::object::TcbRef(it.get().tcb.get());
                if !t.is_none() && t != self.cur {
                    self.possible_switch_to(t);
                }
            }
            it = next;
        }
    }
}
