//! The wall clock: the one place a Rampart program learns the time of day
//! (the file server's timestamps, the security server's audit records).
//!
//! There is no RTC driver yet, so the clock is the fixed epoch [`EPOCH`]
//! (2026-01-01T00:00:00Z) plus the time since boot, from the TSC and the
//! frequency the kernel measured (`StartupHeader::tsc_hz`). A later RTC (or
//! a Linux personality's clock) replaces the body of [`unix_time_ms`]; every
//! caller goes through it.

/// Unix time the clock starts from at boot (no RTC yet): 2026-01-01, in
/// seconds.
pub const EPOCH: i64 = 1_767_225_600;

/// Milliseconds since the Unix epoch (`CLOCK_REALTIME` in ms, see
/// clock_gettime(2)): [`EPOCH`] plus the TSC's uptime. Without a known TSC
/// frequency the uptime counts as 0.
pub fn unix_time_ms() -> u64 {
    let hz = crate::startup::header().map_or(0, |h| h.tsc_hz);
    let t = crate::cpu::rdtsc();
    let up_ms = if hz == 0 { 0 } else { (u128::from(t) * 1000 / u128::from(hz)) as u64 };
    (EPOCH as u64 * 1000).saturating_add(up_ms)
}

/// Seconds since the Unix epoch (time(2)), [`unix_time_ms`] truncated.
pub fn unix_time() -> i64 {
    (unix_time_ms() / 1000) as i64
}
