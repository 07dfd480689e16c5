//! Time: a monotonic clock from the TSC (its frequency comes in the
//! startup information) and a wall clock.
//!
//! The wall clock has no real-time source yet (the device manager's "time"
//! service is not running): it counts from 2026-01-01T00:00:00Z at boot.

use core::time::Duration;
use rampart_rt::cpu::rdtsc as tsc;

/// Unix time the wall clock starts from at boot (`rampart_rt::clock`).
pub const BOOT_EPOCH: u64 = rampart_rt::clock::EPOCH as u64;

fn hz() -> u64 {
    rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1)
}

/// The time-stamp counter's frequency in Hz (1 if unknown).
pub(crate) fn tsc_hz() -> u64 {
    hz()
}

fn to_duration(ticks: u64) -> Duration {
    let hz = hz();
    Duration::new(ticks / hz, ((u128::from(ticks % hz) * 1_000_000_000) / u128::from(hz)) as u32)
}

/// A point on the monotonic clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(u64);

impl Instant {
    /// Now.
    pub fn now() -> Instant {
        Instant(tsc())
    }
    /// Time since `self`.
    pub fn elapsed(&self) -> Duration {
        to_duration(tsc().saturating_sub(self.0))
    }
    /// Time from `earlier` to `self` (zero if negative).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        to_duration(self.0.saturating_sub(earlier.0))
    }
    /// Raw TSC ticks.
    pub fn ticks(&self) -> u64 {
        self.0
    }
}

/// A wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SystemTime(Duration);

/// 1970-01-01T00:00:00Z.
pub const UNIX_EPOCH: SystemTime = SystemTime(Duration::ZERO);

impl SystemTime {
    /// Now.
    pub fn now() -> SystemTime {
        SystemTime(rampart_rt::clock::since_unix_epoch())
    }
    /// Time since `earlier` (zero if negative).
    pub fn duration_since(&self, earlier: SystemTime) -> Duration {
        self.0.saturating_sub(earlier.0)
    }
}

/// Waits `d`: blocked on the task's kernel timer (`crate::sys::timer`),
/// so every other task runs meanwhile; woken up to 1 ms after `d`, never
/// before. Without a timer (none free) it yields the processor in a loop.
pub fn sleep(d: Duration) {
    let start = Instant::now();
    let hz = u128::from(hz());
    let ticks = (d.as_nanos().saturating_mul(hz) / 1_000_000_000).min(u128::from(u64::MAX)) as u64;
    if crate::sys::timer::sleep_until(start.0.saturating_add(ticks)) {
        return;
    }
    while start.elapsed() < d {
        rampart_rt::syscall::yield_now();
    }
}
