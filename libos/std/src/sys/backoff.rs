//! Waiting for something that cannot signal: yield a few times, then
//! sleep on the task's kernel timer.
//!
//! A pipe's reader finds it empty and a writer finds it full by asking the
//! file server, which answers `EAGAIN` at once and does not call back
//! (docs/storage.md, pipes). Polling by `yield` alone keeps the processor
//! busy for as long as the wait lasts and lets only tasks of the waiter's
//! own priority run (docs/reliability.md §5): `sleep 10 | cat` had `cat`
//! spin for ten seconds. [`Backoff::pause`] yields for the first
//! [`QUICK_TRIES`] attempts — a producer of the same priority usually
//! answers within them, so streaming pipelines lose nothing — and then
//! sleeps [`SLEEP`] per attempt on the task's timer (`super::timer`), so
//! an idle waiter costs about one wake-up per millisecond and lets every
//! priority run. The added latency is bounded by [`SLEEP`] plus the
//! kernel tick (up to 1 ms).

use core::time::Duration;

/// Attempts answered by `yield` before the waiter starts sleeping.
pub const QUICK_TRIES: u32 = 64;

/// Sleep between two later attempts.
pub const SLEEP: Duration = Duration::from_millis(1);

/// The attempts made so far in one wait.
#[derive(Debug, Default, Clone, Copy)]
pub struct Backoff {
    tries: u32,
}

impl Backoff {
    /// A new wait.
    pub const fn new() -> Backoff {
        Backoff { tries: 0 }
    }

    /// Waits before the next attempt: a `yield` for the first
    /// [`QUICK_TRIES`], then [`SLEEP`] on the task's timer (a `yield` loop
    /// of that length when the task has no timer).
    pub fn pause(&mut self) {
        if self.tries < QUICK_TRIES {
            self.tries += 1;
            rampart_rt::syscall::yield_now();
        } else {
            crate::time::sleep(SLEEP);
        }
    }
}
