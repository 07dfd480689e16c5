//! Runs the IPC micro-benchmarks (`root=ipcbench`, userland/ipcbench) under
//! `-icount shift=0`, where the guest TSC counts instructions, and prints
//! the figures. Checks that every benchmark reported a plausible line; it
//! asserts nothing about speed (targets are in docs/performance.md).

use images::qemu::{Machine, QemuConfig, guest_exit_code};
use rampart_tests::boot;
use std::time::Duration;

/// (median, min, max) from a line `ipcbench: NAME median=A min=B max=C ...`.
fn figures(out: &str, name: &str) -> (u64, u64, u64) {
    let prefix = format!("ipcbench: {name} ");
    let line = out.lines().find(|l| l.starts_with(&prefix)).unwrap_or_else(|| panic!("no {name} line:\n{out}"));
    let field = |k: &str| -> u64 {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {k} in {line:?}"))
    };
    (field("median="), field("min="), field("max="))
}

#[test]
fn ipcbench_reports_every_benchmark() {
    let cfg = QemuConfig {
        machine: Machine::Microvm,
        icount: true,
        cmdline: "root=ipcbench".into(),
        test_kernel: true,
        ..Default::default()
    };
    let mut s = boot(&cfg);
    s.expect("ipcbench: done", Duration::from_secs(120)).unwrap_or_else(|e| panic!("{e:#}"));
    let status = s.wait_exit(Duration::from_secs(30)).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status {status}; output:\n{out}");
    let mut medians = Vec::new();
    for name in
        ["rdtsc_overhead", "null_syscall", "call_replyrecv_0", "call_replyrecv_4", "signal_wait", "call_replyrecv_5"]
    {
        let (median, min, max) = figures(&out, name);
        println!("{name:>18}: median {median:>6}  min {min:>6}  max {max:>6}  (instructions)");
        assert!(min <= median && median <= max, "{name}: min {min} median {median} max {max}");
        medians.push(median);
    }
    let [rdtsc, null, rt0, rt4, signal, _rt5] = medians[..] else { unreachable!() };
    // Plausibility, not speed: a system call costs more than the timestamp
    // pair, and a round trip between address spaces more than a system call.
    assert!(rdtsc < null, "null syscall ({null}) not above the rdtsc overhead ({rdtsc})");
    assert!(null < rt0 && null < signal, "IPC ({rt0}, {signal}) not above a null syscall ({null})");
    assert!(rt0 <= rt4 + 100, "a 4-word round trip ({rt4}) far cheaper than an empty one ({rt0})");
}
