//! Under `-icount shift=0,align=off,sleep=off` the guest TSC counts retired
//! instructions, so a measurement must repeat exactly across boots. This is
//! how kernel-path costs are reported (docs/performance.md).

use images::qemu::{Machine, QemuConfig};
use rampart_tests::boot;
use std::time::Duration;

fn measure() -> u64 {
    // The test kernel echoes init's measurement line.
    let cfg = QemuConfig { machine: Machine::Microvm, icount: true, test_kernel: true, ..Default::default() };
    let mut s = boot(&cfg);
    let out = s.expect(" cycles", Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
    let line = out.lines().rev().find(|l| l.contains("init: measure:")).expect("measurement line");
    line.split_whitespace().rev().nth(1).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad line {line:?}"))
}

#[test]
fn icount_measurement_repeats_exactly() {
    let a = measure();
    let b = measure();
    println!("1000 yield syscalls: {a} instructions (boot 1), {b} (boot 2)");
    assert!(a > 1000, "measurement too small to be real: {a}");
    assert_eq!(a, b, "icount measurement differs between boots");
}
