//! Kernel timers: a fixed table of deadlines that signal notifications
//! (docs/kernel.md, "Timers and timeouts").
//!
//! TimerControl hands out one Timer capability per free slot of the table,
//! like IRQControl hands out interrupt lines (seL4 Reference Manual §9.3
//! for the pattern; seL4 itself has no kernel timers). `TimerSet` arms a
//! timer with a notification and a deadline in time-stamp-counter units;
//! the 1 kHz tick signals every timer whose deadline has passed and
//! disarms it. The kernel stores the notification's address, cleared when
//! the notification is destroyed (`finalise_notification`), so no timer
//! ever refers to freed memory.
//!
//! Tick cost: one compare against `timer_next` (the earliest armed
//! deadline, a lower bound) when nothing is due; a scan of the [`TIMERS`]
//! entries when something may be.

use crate::cap::Cap;
use crate::invoke::{Inv, InvError, InvResult, expect};
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::NtfnRef;
use crate::slot;
use rampart_abi::{CapType, Error, Label, Rights};

pub use rampart_abi::invocation::TIMERS;

/// `timer_next` when no timer is armed.
pub const NO_DEADLINE: u64 = u64::MAX;

/// One kernel timer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimerEntry {
    /// A Timer capability exists.
    pub active: bool,
    /// Notification to signal (physical address; 0: disarmed).
    pub ntfn: u64,
    /// Badge of the notification capability given to `TimerSet`.
    pub badge: u64,
    /// Deadline (TSC) while armed.
    pub deadline: u64,
}

/// Storage of the kernel's timers (a static in the kernel binary).
pub struct TimerTable(pub [TimerEntry; TIMERS]);

impl TimerTable {
    /// Every timer free.
    pub const fn new() -> TimerTable {
        TimerTable([TimerEntry { active: false, ntfn: 0, badge: 0, deadline: 0 }; TIMERS])
    }
}

impl Default for TimerTable {
    fn default() -> Self {
        Self::new()
    }
}

/// Violation codes of [`Kernel::check_timers`] (DebugCheckInvariants).
pub mod code {
    /// An armed timer has no Timer capability.
    pub const ARMED_INACTIVE: u64 = 140;
    /// `timer_next` is later than an armed deadline (it would be missed).
    pub const NEXT_TOO_LATE: u64 = 141;
}

impl<M: Machine> Kernel<M> {
    /// Gives the kernel its timers (before any is issued; until then
    /// `TimerControlGet` fails with `RevokeFirst`).
    pub fn attach_timers(&mut self, table: &'static mut TimerTable) {
        self.timers = &mut table.0;
    }

    /// Tick hook: signals every armed timer whose deadline is at or before
    /// the current TSC. O(1) unless the earliest deadline has passed, then
    /// O([`TIMERS`]).
    pub(crate) fn timers_tick(&mut self) {
        if self.timer_next == NO_DEADLINE {
            return;
        }
        let now = self.m.tsc();
        if now < self.timer_next {
            return;
        }
        let mut next = NO_DEADLINE;
        for i in 0..self.timers.len() {
            let e = self.timers[i];
            if e.ntfn == 0 {
                continue;
            }
            if e.deadline <= now {
                self.timers[i].ntfn = 0;
                self.timers[i].deadline = 0;
                self.signal(NtfnRef(e.ntfn), e.badge);
            } else {
                next = next.min(e.deadline);
            }
        }
        self.timer_next = next;
    }

    /// The last capability to timer `n` was deleted: disarm and free it.
    pub(crate) fn timer_destroyed(&mut self, n: usize) {
        if n < self.timers.len() {
            self.timers[n] = TimerEntry::default();
        }
    }

    /// Notification `n` is being destroyed: disarm every timer aimed at it.
    pub(crate) fn timers_ntfn_destroyed(&mut self, n: NtfnRef) {
        for t in self.timers.iter_mut() {
            if t.ntfn == n.0 {
                t.ntfn = 0;
                t.deadline = 0;
            }
        }
    }

    /// Checks the timer table. Returns 0 or a [`code`].
    pub fn check_timers(&self) -> u64 {
        for t in self.timers.iter() {
            if t.ntfn != 0 {
                if !t.active {
                    return code::ARMED_INACTIVE;
                }
                if t.deadline < self.timer_next {
                    return code::NEXT_TOO_LATE;
                }
            }
        }
        0
    }

    /// TimerControl and Timer invocations.
    pub(crate) fn inv_timer(&mut self, inv: &Inv) -> InvResult {
        let root = self.cspace_root(inv.t);
        match (inv.cap.cap_type(), inv.label) {
            (CapType::TimerControl, Some(Label::TimerControlGet)) => {
                let (_, dest_root) = inv.extra(root, 0)?;
                let dest = self.empty_slot_at(dest_root, inv.mr(0)?, inv.mr(1)?)?;
                let n = (0..self.timers.len())
                    .find(|&i| !self.timers[i].active)
                    .ok_or(InvError::new(Error::RevokeFirst))?;
                self.timers[n] = TimerEntry { active: true, ..TimerEntry::default() };
                slot::insert(Cap::timer(n as u64), inv.slot, dest);
                inv.set_result(0, n as u64);
                Ok(1)
            }
            (CapType::Timer, Some(l)) => {
                let n = inv.cap.timer_num() as usize;
                if n >= self.timers.len() || !self.timers[n].active {
                    return Err(InvError::new(Error::InvalidCapability));
                }
                match l {
                    Label::TimerSet => {
                        let (_, c) = inv.extra(root, 0)?;
                        expect(c, CapType::Notification, 0)?;
                        if !c.rights().contains(Rights::WRITE) {
                            return Err(InvError::with(Error::InvalidCapability, 0));
                        }
                        let deadline = inv.mr(0)?;
                        if deadline <= self.m.tsc() {
                            self.timers[n].ntfn = 0;
                            self.timers[n].deadline = 0;
                            self.signal(NtfnRef(c.paddr()), c.badge());
                        } else {
                            self.timers[n].ntfn = c.paddr();
                            self.timers[n].badge = c.badge();
                            self.timers[n].deadline = deadline;
                            self.timer_next = self.timer_next.min(deadline);
                        }
                        Ok(0)
                    }
                    Label::TimerCancel => {
                        let was = self.timers[n].ntfn != 0;
                        self.timers[n].ntfn = 0;
                        self.timers[n].deadline = 0;
                        inv.set_result(0, was as u64);
                        Ok(1)
                    }
                    _ => Err(InvError::new(Error::IllegalOperation)),
                }
            }
            _ => Err(InvError::new(Error::IllegalOperation)),
        }
    }
}
