//! Unprivileged processor instructions behind safe functions, so that
//! programs need no `unsafe` of their own for them.

/// The time-stamp counter (`RDTSC`): cycles at the rate in the startup
/// information (`tsc_hz`), or retired instructions under `--icount`.
#[inline(always)]
pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC is allowed in ring 3 and only reads the counter.
    unsafe { core::arch::x86_64::_rdtsc() }
}
