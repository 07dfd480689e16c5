//! Kernel timers: block until a deadline (`Label::TimerControlGet`,
//! `Label::TimerSet`, `Label::TimerCancel`; docs/kernel.md, "Timers and
//! timeouts").
//!
//! A timer signals a notification once the time-stamp counter has passed
//! its deadline (checked at the kernel's 1 kHz tick: up to 1 ms late, never
//! early). Waiting with a timeout is: arm the timer on a notification the
//! thread waits on, wait, cancel.

use crate::cap::{CNode, Cap, Notification, Timer, TimerControl};
use crate::invoke::{invoke, invoke0};
use rampart_abi::{Error, Label};

impl TimerControl {
    /// Puts a capability to a free kernel timer into slot (`index`,
    /// `depth`) of `root`. Returns the timer's number.
    ///
    /// # Errors
    /// `RevokeFirst` (all `rampart_abi::invocation::TIMERS` timers are
    /// issued), `DeleteFirst`/`FailedLookup` (slot).
    pub fn get(self, root: CNode, index: u64, depth: u64) -> Result<u64, Error> {
        invoke(self, Label::TimerControlGet, &[index, depth], &[root.cptr()]).map(|r| r.mrs[0])
    }
}

impl Timer {
    /// Arms the timer: `ntfn` (which needs the Write right) is signalled
    /// with its badge at the first kernel tick at or after `deadline_tsc`
    /// (a time-stamp-counter value, `crate::cpu::rdtsc`). A deadline already
    /// passed signals at once; `u64::MAX` never fires. Replaces any earlier
    /// arming.
    ///
    /// # Errors
    /// `InvalidCapability` (the timer, or `ntfn` not a notification with
    /// Write).
    pub fn set(self, ntfn: Notification, deadline_tsc: u64) -> Result<(), Error> {
        invoke0(self, Label::TimerSet, &[deadline_tsc], &[ntfn.cptr()])
    }

    /// Disarms the timer. Returns true if it was armed (false: it had
    /// fired, so its signal is pending or was consumed, or it was never
    /// armed).
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn cancel(self) -> Result<bool, Error> {
        invoke(self, Label::TimerCancel, &[], &[]).map(|r| r.mrs[0] != 0)
    }
}

/// A timer armed on a notification only it signals: blocks the calling
/// thread until a deadline, letting every other thread run meanwhile (a
/// `yield` loop lets only threads of the same priority run; docs/kernel.md,
/// "Scheduling").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sleeper {
    /// The timer.
    pub timer: Timer,
    /// A notification with Write and Read that nothing else signals.
    pub ntfn: Notification,
}

impl Sleeper {
    /// Blocks until the time-stamp counter reaches `deadline_tsc` (at the
    /// first kernel tick at or after it: up to 1 ms late, never early).
    /// Returns at once if the deadline has passed.
    ///
    /// # Errors
    /// `InvalidCapability` (the timer or the notification); the caller
    /// then has not slept.
    pub fn sleep_until(self, deadline_tsc: u64) -> Result<(), Error> {
        if crate::cpu::rdtsc() >= deadline_tsc {
            return Ok(());
        }
        // A signal left over from an earlier arming (fired after a wait
        // ended some other way) must not end this sleep early.
        let _ = self.ntfn.poll();
        // Re-armed after any wake-up before the deadline (a timer fires
        // once), so a stray signal cannot leave the thread blocked forever.
        while crate::cpu::rdtsc() < deadline_tsc {
            self.timer.set(self.ntfn, deadline_tsc)?;
            self.ntfn.wait();
        }
        Ok(())
    }

    /// Blocks for `d` at `tsc_hz` time-stamp-counter ticks per second (see
    /// [`Sleeper::sleep_until`]).
    ///
    /// # Errors
    /// As [`Sleeper::sleep_until`].
    pub fn sleep(self, d: core::time::Duration, tsc_hz: u64) -> Result<(), Error> {
        let ticks = (d.as_nanos().saturating_mul(u128::from(tsc_hz)) / 1_000_000_000).min(u128::from(u64::MAX));
        self.sleep_until(crate::cpu::rdtsc().saturating_add(ticks as u64))
    }
}
