//! The resource manager and process lifecycle (docs/resource-manager.md):
//! boots with `init.test=rm`, where init starts the in-guest suite
//! `userland/rmtest` as the first program, and requires every check to pass
//! (1,000 processes created and destroyed with free memory equal to the
//! byte, quotas, faults, malformed ELF images, regions, argument blocks) and a clean
//! power-off with status 0. A second boot checks that init restarts a
//! faulting server a bounded number of times.

use images::qemu::guest_exit_code;
use rampart_tests::harness::{number_after, run_test_kernel as run};
use rampart_tests::parse_summary;
use std::time::Duration;

#[test]
fn rm_suite_passes() {
    let (out, status) = run("init.test=rm", false, Duration::from_secs(300));
    let (passed, failed) = parse_summary(&out).unwrap_or_else(|| panic!("no summary line:\n{out}"));
    for l in out.lines().filter(|l| l.contains("FAIL") || l.contains("measure") || l.contains("free memory")) {
        println!("{l}");
    }
    assert_eq!(failed, 0, "failing rmtest checks:\n{out}");
    assert!(passed >= 55, "only {passed} rmtest checks ran:\n{out}");
    // Argument blocks sent straight to rm (`userland/rmtest/src/t_args.rs`).
    for check in [
        "a 100 KiB argument block reaches the child intact",
        "a block longer than its region is EINVAL",
        "ARG_MAX counts empty strings' pointers: E2BIG",
        "rm serves on after hostile argument blocks",
    ] {
        assert!(out.contains(&format!("rmtest: ok   {check}")), "{check}:\n{out}");
    }
    let before = number_after(&out, "free memory before ").expect("free memory line");
    let after = number_after(&out, "bytes, after ").expect("free memory line");
    assert_eq!(before, after, "free memory differs after 1000 processes");
    assert!(
        out.lines().any(|l| l.starts_with("init: first program (pid ") && l.ends_with("ended: exit status 0")),
        "{out}"
    );
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status {status}; output:\n{out}");
}

#[test]
fn init_restarts_a_faulting_server_a_bounded_number_of_times() {
    let (out, status) = run("init.servers=rmchild:null init.first=rmchild:exit", false, Duration::from_secs(120));
    let faults =
        out.lines().filter(|l| l.contains("init: server rmchild") && l.contains("faulted: page fault (read)")).count();
    assert_eq!(faults, 4, "one start and three restarts should fault:\n{out}");
    assert_eq!(out.matches("init: restarting rmchild").count(), 3, "{out}");
    assert!(out.contains("init: giving up on rmchild after 3 restarts"), "{out}");
    assert!(out.contains("ended: exit status 0"), "{out}");
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status {status}; output:\n{out}");
}

/// Process creation and destruction costs under `-icount` (instructions;
/// docs/performance.md). They repeat exactly across boots.
#[test]
fn rm_costs_under_icount() {
    let (out, status) = run("init.test=rm", true, Duration::from_secs(600));
    assert_eq!(guest_exit_code(status), Some(0), "{out}");
    let create = number_after(&out, "create process median ").expect("create line");
    let destroy = number_after(&out, "destroy process median ").expect("destroy line");
    for l in out.lines().filter(|l| l.contains("measure")) {
        println!("{l}");
    }
    assert!(create > 10_000 && destroy > 1_000, "implausible: {create} / {destroy}");
}
