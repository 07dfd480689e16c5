//! SchedControl and SchedContext invocations (seL4 Reference Manual MCS
//! §6.1, §10.3.7-8). Time arguments are microseconds; the kernel enforces
//! budgets at its tick (`rampart_abi::bootinfo::BootInfo::tick_hz`).

use crate::invoke::{Inv, InvError, InvResult, expect};
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::{ScRef, TcbRef, ThreadState};
use rampart_abi::{CapType, Error, Label};

/// Microseconds per kernel tick.
pub const TICK_US: u64 = 1000;
/// Longest period accepted (one hour, in microseconds).
pub const MAX_PERIOD_US: u64 = 3_600_000_000;

impl<M: Machine> Kernel<M> {
    /// Configures scheduling context `sc` (also used at boot).
    pub fn sc_configure(&mut self, sc: ScRef, budget_us: u64, period_us: u64, badge: u64) {
        let g = sc.get();
        let budget = budget_us.div_ceil(TICK_US).max(1);
        let period = period_us.div_ceil(TICK_US).max(budget);
        self.release_remove(sc);
        g.budget.set(budget);
        g.period.set(period);
        g.remaining.set(budget);
        g.refill_at.set(self.now + period);
        g.badge.set(badge);
        let t = TcbRef(g.tcb.get());
        if !t.is_none() && t.state() == ThreadState::Running && t != self.cur {
            self.possible_switch_to(t);
        }
    }

    pub(crate) fn inv_sched(&mut self, inv: &Inv) -> InvResult {
        let root = self.cspace_root(inv.t);
        let label = inv.label.ok_or(InvError::new(Error::IllegalOperation))?;
        if inv.cap.cap_type() == CapType::SchedControl {
            if label != Label::SchedControlConfigure {
                return Err(InvError::new(Error::IllegalOperation));
            }
            let (_, c) = inv.extra(root, 0)?;
            expect(c, CapType::SchedContext, 0)?;
            let (budget, period, badge) = (inv.mr(0)?, inv.mr(1)?, inv.mr(3)?);
            if budget == 0 || budget > period || period > MAX_PERIOD_US {
                return Err(InvError::with2(Error::RangeError, 1, MAX_PERIOD_US));
            }
            self.sc_configure(ScRef(c.paddr()), budget, period, badge);
            return Ok(0);
        }
        let sc = ScRef(inv.cap.paddr());
        let g = sc.get();
        match label {
            Label::SchedContextBind => {
                let (_, c) = inv.extra(root, 0)?;
                // Only threads: Rampart gives a context bound to a
                // notification no meaning (seL4 lends it to a passive
                // server woken by the notification), so it refuses the
                // binding rather than keep a pointer nothing uses.
                expect(c, CapType::Tcb, 0)?;
                let t = TcbRef(c.paddr());
                if g.tcb.get() != 0 || !t.sc().is_none() {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                g.tcb.set(t.0);
                t.get().sc.set(sc.0);
                if t.state() == ThreadState::Running && t != self.cur {
                    self.possible_switch_to(t);
                }
                Ok(0)
            }
            Label::SchedContextUnbind | Label::SchedContextUnbindObject => {
                let t = TcbRef(g.tcb.get());
                if label == Label::SchedContextUnbindObject {
                    let (_, c) = inv.extra(root, 0)?;
                    if c.cap_type() != CapType::Tcb || c.paddr() != t.0 {
                        return Err(InvError::new(Error::IllegalOperation));
                    }
                }
                // A lent context stays with the borrower until the call
                // ends (seL4: unbinding refuses while lent).
                if !t.is_none() && g.reply.get() == 0 {
                    t.get().sc.set(0);
                    g.tcb.set(0);
                    self.ready.dequeue(t);
                    if t == self.cur {
                        self.reschedule_required();
                    }
                }
                Ok(0)
            }
            Label::SchedContextConsumed => {
                inv.set_result(0, g.consumed.get() * TICK_US);
                g.consumed.set(0);
                Ok(1)
            }
            Label::SchedContextYieldTo => {
                let t = TcbRef(g.tcb.get());
                if t.is_none() || t.priority() > inv.t.get().mcp.get() {
                    return Err(InvError::new(Error::IllegalOperation));
                }
                if self.schedulable(t) && t != inv.t {
                    self.ready.dequeue(t);
                    self.yield_current();
                    self.ready.enqueue(t);
                }
                inv.set_result(0, g.consumed.get() * TICK_US);
                Ok(1)
            }
            _ => Err(InvError::new(Error::IllegalOperation)),
        }
    }
}
