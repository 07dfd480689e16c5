//! The wall clock: the one place a Rampart program learns the time of day
//! (the file server's timestamps, the security server's audit records,
//! libos's `SystemTime`).
//!
//! There is no RTC driver yet, so the clock is the fixed epoch [`EPOCH`]
//! (2026-01-01T00:00:00Z) plus the time since boot, from the TSC and the
//! frequency the kernel measured (`StartupHeader::tsc_hz`). A later RTC (or
//! a Linux personality's clock) replaces the body of [`since_unix_epoch`];
//! every caller goes through it.

use core::time::Duration;

/// Unix time the clock starts from at boot (no RTC yet): 2026-01-01, in
/// seconds.
pub const EPOCH: i64 = 1_767_225_600;

/// Time since the Unix epoch (`CLOCK_REALTIME`, clock_gettime(2)):
/// [`EPOCH`] plus the TSC's uptime, in nanoseconds' precision. Without a
/// known TSC frequency the uptime counts as 0.
pub fn since_unix_epoch() -> Duration {
    let hz = crate::startup::header().map_or(0, |h| h.tsc_hz);
    let t = crate::cpu::rdtsc();
    let up = match (t.checked_div(hz), t.checked_rem(hz)) {
        (Some(s), Some(r)) => Duration::new(s, ((u128::from(r) * 1_000_000_000) / u128::from(hz)) as u32),
        _ => Duration::ZERO,
    };
    Duration::from_secs(EPOCH as u64) + up
}

/// Milliseconds since the Unix epoch ([`since_unix_epoch`]).
pub fn unix_time_ms() -> u64 {
    since_unix_epoch().as_millis() as u64
}

/// Seconds since the Unix epoch (time(2)), [`since_unix_epoch`] truncated.
pub fn unix_time() -> i64 {
    since_unix_epoch().as_secs() as i64
}
