//! The checks the integration tests share: typing at a shell and waiting
//! for its answer, booting an in-guest suite on the test kernel, reading
//! its summary and the figures it prints.

use crate::{boot, parse_summary};
use images::qemu::{Machine, QemuConfig, Session, guest_exit_code};
use std::time::Duration;

/// How long a typed line may take to echo, answer and prompt again.
pub const LINE_TIMEOUT: Duration = Duration::from_secs(60);

/// Types `line` (and Enter) at the shell in `s`, waits for its echo (the
/// last line of it, for a multi-line input), then for each of `want` in
/// order, then for `prompt`; returns what was printed.
///
/// # Panics
/// If any of them does not come within [`LINE_TIMEOUT`].
pub fn type_line(s: &mut Session, prompt: &str, line: &str, want: &[&str]) -> String {
    s.send(line).unwrap();
    s.send("\r").unwrap();
    let echo = line.rsplit('\n').next().unwrap_or(line);
    s.expect(echo, LINE_TIMEOUT).unwrap_or_else(|e| panic!("echo of {line:?}: {e:#}"));
    let mut out = String::new();
    for w in want {
        out += &s.expect(w, LINE_TIMEOUT).unwrap_or_else(|e| panic!("{line:?} should print {w:?}: {e:#}"));
    }
    out += &s.expect(prompt, LINE_TIMEOUT).unwrap_or_else(|e| panic!("no prompt after {line:?}: {e:#}"));
    out
}

/// Asserts every line of `want` appears in `out`, in order.
///
/// # Panics
/// Naming the first one missing.
pub fn in_order(out: &str, want: &[&str]) {
    let mut rest = out;
    for w in want {
        let i = rest.find(w).unwrap_or_else(|| panic!("{w:?} missing (in order) from:\n{out}"));
        rest = &rest[i + w.len()..];
    }
}

/// The number after `key` on the first line containing `key`.
pub fn number_after(out: &str, key: &str) -> Option<u64> {
    let l = out.lines().find(|l| l.contains(key))?;
    l.split(key).nth(1)?.split_whitespace().next()?.parse().ok()
}

/// Boots the test kernel on `microvm` with `cmdline` (`icount`: under
/// `-icount`), waits up to `timeout` for the guest to power off and prints
/// how long it took; returns the output and QEMU's status.
///
/// # Panics
/// If QEMU does not exit in time (with the output so far).
pub fn run_test_kernel(cmdline: &str, icount: bool, timeout: Duration) -> (String, i32) {
    let cfg = QemuConfig {
        machine: Machine::Microvm,
        cmdline: cmdline.into(),
        icount,
        test_kernel: true,
        ..Default::default()
    };
    let mut s = boot(&cfg);
    let status = s.wait_exit(timeout).unwrap_or_else(|e| panic!("{e:#}\n{}", s.output()));
    println!("{cmdline}: {:.2} s", s.elapsed().as_secs_f64());
    (s.output(), status)
}

/// Checks an in-guest suite's run: its summary line says nothing failed and
/// at least `at_least` checks passed, and the guest powered off with 0.
/// Returns the number passed.
///
/// # Panics
/// If any of that does not hold (with the output).
pub fn assert_suite(name: &str, out: &str, status: i32, at_least: u32) -> u32 {
    let (passed, failed) = parse_summary(out).unwrap_or_else(|| panic!("no summary line:\n{out}"));
    assert_eq!(failed, 0, "failing {name} checks:\n{out}");
    assert!(passed >= at_least, "only {passed} {name} checks ran:\n{out}");
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status {status}; output:\n{out}");
    passed
}
