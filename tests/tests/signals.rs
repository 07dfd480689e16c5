//! Signals and job control (docs/signals.md): boots with `init.test=sig`,
//! where init starts the in-guest suite `userland/sigtest` first, and
//! requires every check to pass — handlers, masks, default actions, stop
//! and continue, interrupted and restarted waits, registers and SSE state
//! across 50 handlers, process groups and sessions, and the attacker's
//! cases (a forged signal block, a forged `sigreturn`, a handler entry in
//! kernel space).

use images::qemu::{Machine, QemuConfig, guest_exit_code};
use rampart_tests::{boot, parse_summary};
use std::time::Duration;

#[test]
fn signal_suite_passes() {
    let cfg = QemuConfig {
        machine: Machine::Microvm,
        cmdline: "init.test=sig".into(),
        test_kernel: true,
        ..Default::default()
    };
    let mut s = boot(&cfg);
    let status = s.wait_exit(Duration::from_secs(300)).unwrap_or_else(|e| panic!("{e:#}\n{}", s.output()));
    let out = s.output();
    println!("init.test=sig: {:.2} s", s.elapsed().as_secs_f64());
    for l in out.lines().filter(|l| l.starts_with("sigtest:")) {
        println!("{l}");
    }
    let (passed, failed) = parse_summary(&out).unwrap_or_else(|| panic!("no summary line:\n{out}"));
    assert_eq!(failed, 0, "failing sigtest checks:\n{out}");
    assert!(passed >= 33, "only {passed} sigtest checks ran:\n{out}");
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status {status}; output:\n{out}");
}
