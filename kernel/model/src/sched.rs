//! Scheduling contexts (MCS): binding to threads, donation through Call
//! and Reply with the seL4 MCS call stack, and the SchedControl and
//! SchedContext invocations.
//!
//! A thread runs only on a configured scheduling context bound to it
//! ([`State::schedulable`]); a *passive* thread has none and runs only on
//! one lent to it. A caller with a context that calls a passive server lends
//! it through the reply object: the reply is pushed onto the context's call
//! stack and the context moves to the server ([`State::lend`]). Taking a
//! reply object out of the stack ([`State::reply_remove`]: a reply, an
//! aborted or cancelled call, a deleted reply object) splices it out; if it
//! was the top, the context returns to that reply's caller (when the caller
//! has none of its own, as in seL4's `reply_pop`). Deleting a context
//! unbinds its thread and empties its stack. A context is bound to at most
//! one thread, and `tcb.sc` and `sc.tcb` always agree (`ipc` invariant).
//!
//! Time is not modelled: budgets never run out (no timer ticks), so
//! `SchedContextConsumed` and `SchedContextYieldTo` report 0 µs.

use crate::inv::Args;
use crate::state::{Addr, Cap, CapKind, Object, Outcome, State, ThreadState};
use rampart_abi::{Error, Label};

/// A scheduling context (MCS): its parameters, the thread it is bound or
/// lent to, and its call stack of reply objects (bottom first): when a
/// caller lends the context to a passive server through a reply object,
/// that reply is pushed; replying through the top one pops it and the
/// context returns to its caller (seL4 MCS `reply_push`/`reply_pop`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Sc {
    /// Budget in ticks (0: not configured, cannot run).
    pub budget: u64,
    /// Period in ticks.
    pub period: u64,
    /// Badge for timeout faults.
    pub badge: u64,
    /// The thread it is bound or lent to.
    pub tcb: Option<Addr>,
    /// Reply objects it was lent through, bottom first.
    pub stack: Vec<Addr>,
}

/// Microseconds per kernel tick.
pub const TICK_US: u64 = 1000;
/// Longest period accepted (µs).
pub const MAX_PERIOD_US: u64 = 3_600_000_000;

impl State {
    /// The scheduling context at `a`, if live.
    pub fn sc(&self, a: Addr) -> Option<&Sc> {
        match self.objects.get(&a) {
            Some(Object::SchedContext(x)) => Some(x),
            _ => None,
        }
    }

    /// The scheduling context at `a` (which must be live).
    pub fn sc_mut(&mut self, a: Addr) -> &mut Sc {
        match self.objects.get_mut(&a) {
            Some(Object::SchedContext(x)) => x,
            _ => panic!("model: no scheduling context at {a:#x}"),
        }
    }

    /// Can `t` run: running, with a configured scheduling context.
    pub fn schedulable(&self, t: Addr) -> bool {
        self.tcb(t).is_some_and(|x| {
            x.state == ThreadState::Running && x.sc.and_then(|c| self.sc(c)).is_some_and(|c| c.budget != 0)
        })
    }

    /// Binds `sc` to `to`, taking it from the thread that had it (seL4
    /// `schedContext_donate`).
    pub fn donate(&mut self, sc: Addr, to: Addr) {
        if let Some(h) = self.sc_mut(sc).tcb.take()
            && self.tcb(h).is_some()
        {
            self.tcb_mut(h).sc = None;
        }
        self.sc_mut(sc).tcb = Some(to);
        self.tcb_mut(to).sc = Some(sc);
    }

    /// Unbinds `t`'s scheduling context (its call stack stays).
    pub fn unbind_sc(&mut self, t: Addr) {
        if let Some(x) = self.tcb_mut(t).sc.take() {
            self.sc_mut(x).tcb = None;
        }
    }

    /// The scheduling context whose call stack holds reply object `r`.
    pub fn reply_sc(&self, r: Addr) -> Option<Addr> {
        self.objects.iter().find_map(|(&a, o)| match o {
            Object::SchedContext(x) if x.stack.contains(&r) => Some(a),
            _ => None,
        })
    }

    /// `caller` was bound to reply object `r` for a call `server` took: a
    /// caller with a context calling a passive server lends it (seL4
    /// `reply_push`).
    pub fn lend(&mut self, caller: Addr, server: Addr, r: Addr) {
        let Some(x) = self.tcb(caller).and_then(|t| t.sc) else { return };
        if self.tcb(server).is_some_and(|t| t.sc.is_none()) {
            self.sc_mut(x).stack.push(r);
            self.donate(x, server);
        }
    }

    /// Reply object `r` no longer binds `caller`: it leaves its context's
    /// call stack; if it was the top, the context goes back to `caller`
    /// (if `caller` has none of its own).
    pub fn reply_remove(&mut self, r: Addr, caller: Addr) {
        let Some(x) = self.reply_sc(r) else { return };
        let top = self.sc(x).and_then(|c| c.stack.last().copied()) == Some(r);
        self.sc_mut(x).stack.retain(|&y| y != r);
        if top && self.tcb(caller).is_some_and(|t| t.sc.is_none()) {
            self.donate(x, caller);
        }
    }

    /// Scheduling context `x` is being destroyed.
    pub fn sc_destroyed(&mut self, x: Addr) {
        if let Some(t) = self.sc(x).and_then(|c| c.tcb)
            && self.tcb(t).is_some()
        {
            self.tcb_mut(t).sc = None;
        }
        let c = self.sc_mut(x);
        c.tcb = None;
        c.stack.clear();
    }

    /// SchedControl and SchedContext invocations by `t` of `cap`.
    ///
    /// # Errors
    /// As the ABI describes for each label.
    pub fn invoke_sched(&mut self, t: Addr, cap: Cap, label: Label, a: &Args) -> Result<Outcome, Error> {
        if cap.kind == CapKind::SchedControl {
            if label != Label::SchedControlConfigure {
                return Err(Error::IllegalOperation);
            }
            let (_, c) = a.extra(0)?;
            let Some(CapKind::SchedContext(x)) = c.map(|c| c.kind) else { return Err(Error::InvalidCapability) };
            let (budget, period, badge) = (a.mr(0)?, a.mr(1)?, a.mr(3)?);
            if budget == 0 || budget > period || period > MAX_PERIOD_US {
                return Err(Error::RangeError);
            }
            let b = budget.div_ceil(TICK_US).max(1);
            let sc = self.sc_mut(x);
            sc.budget = b;
            sc.period = period.div_ceil(TICK_US).max(b);
            sc.badge = badge;
            return Ok(Outcome::Ok);
        }
        let CapKind::SchedContext(x) = cap.kind else { return Err(Error::IllegalOperation) };
        match label {
            Label::SchedContextBind => {
                // Only threads (the kernel refuses notifications: a context
                // bound to one would mean nothing in Rampart).
                let (_, c) = a.extra(0)?;
                let Some(CapKind::Tcb(b)) = c.map(|c| c.kind) else { return Err(Error::InvalidCapability) };
                if self.sc_mut(x).tcb.is_some() || self.tcb(b).is_some_and(|b| b.sc.is_some()) {
                    return Err(Error::IllegalOperation);
                }
                self.donate(x, b);
                Ok(Outcome::Ok)
            }
            Label::SchedContextUnbind | Label::SchedContextUnbindObject => {
                let sc = self.sc_mut(x).clone();
                if label == Label::SchedContextUnbindObject {
                    let (_, c) = a.extra(0)?;
                    if !matches!(c.map(|c| c.kind), Some(CapKind::Tcb(b)) if Some(b) == sc.tcb) {
                        return Err(Error::IllegalOperation);
                    }
                }
                // A lent context stays with the thread it is lent to until
                // the call ends.
                if sc.stack.is_empty()
                    && let Some(b) = sc.tcb
                {
                    self.unbind_sc(b);
                }
                Ok(Outcome::Ok)
            }
            Label::SchedContextConsumed => Ok(Outcome::Words { n: 1, w: [0, 0] }),
            Label::SchedContextYieldTo => {
                let mcp = self.tcb(t).map_or(0, |x| x.mcp);
                match self.sc_mut(x).tcb.and_then(|b| self.tcb(b)) {
                    Some(b) if b.prio <= mcp => Ok(Outcome::Words { n: 1, w: [0, 0] }),
                    _ => Err(Error::IllegalOperation),
                }
            }
            _ => Err(Error::IllegalOperation),
        }
    }
}
