//! Signals and job control (docs/signals.md): boots with `init.test=sig`,
//! where init starts the in-guest suite `userland/sigtest` first, and
//! requires every check to pass — handlers, masks, default actions, stop
//! and continue, interrupted and restarted waits, registers and SSE state
//! across 50 handlers, process groups and sessions, and the attacker's
//! cases (a forged signal block, a forged `sigreturn`, a handler entry in
//! kernel space).

use rampart_tests::harness::{assert_suite, run_test_kernel};
use std::time::Duration;

#[test]
fn signal_suite_passes() {
    let (out, status) = run_test_kernel("init.test=sig", false, Duration::from_secs(300));
    for l in out.lines().filter(|l| l.starts_with("sigtest:")) {
        println!("{l}");
    }
    assert_suite("sigtest", &out, status, 33);
}
