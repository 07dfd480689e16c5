//! Kernel hardening seen from outside the guest (issue 13): NMIs and
//! machine checks injected through QEMU's monitor, while the kernel idles
//! and while it is busy, leave the system running; the boot log reports
//! SMEP, SMAP and UMIP on under `-cpu max`.

use images::qemu::QemuConfig;
use images::qmp::{self, Qmp};
use rampart_tests::{PROMPT, boot, disk, session_config};
use serde_json::json;
use std::time::Duration;

#[test]
fn nmis_and_machine_checks_leave_the_system_running() {
    let d = disk("hardening-nmi");
    let sock = qmp::socket_path("nmi");
    let mut cfg = session_config(&d, false);
    cfg.extra.extend(qmp::args(&sock));
    let mut s = boot(&cfg);
    s.expect(PROMPT, Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
    let mut q = Qmp::connect(&sock, Duration::from_secs(10)).unwrap_or_else(|e| panic!("{e:#}"));
    // Idle at the prompt: the NMIs land in the kernel's halt loop.
    for _ in 0..50 {
        q.execute("inject-nmi", json!({})).unwrap_or_else(|e| panic!("{e:#}"));
    }
    s.send("echo alive-$((40+2))\n").expect("typing");
    s.expect("alive-42", Duration::from_secs(30)).unwrap_or_else(|e| panic!("after idle NMIs: {e:#}"));
    // Busy: file-system work (every kernel path: IPC, faults, interrupts)
    // with NMIs arriving throughout.
    s.send("ls -lR / > /tmp/all; cat /tmp/all /tmp/all > /tmp/twice; wc -l /tmp/twice; echo busy-$((6*7))\n")
        .expect("typing");
    for _ in 0..300 {
        q.execute("inject-nmi", json!({})).unwrap_or_else(|e| panic!("{e:#}"));
        std::thread::sleep(Duration::from_millis(2));
    }
    s.expect("busy-42", Duration::from_secs(120)).unwrap_or_else(|e| panic!("during busy NMIs: {e:#}"));
    // A machine check the CPU marks restartable (MCG_STATUS = RIPV|MCIP;
    // bank 1 status: valid, uncorrected, enabled).
    let out = q.hmp("mce 0 1 0xb000000000000000 0x5 0 0").unwrap_or_else(|e| panic!("{e:#}"));
    assert!(!out.to_lowercase().contains("error"), "QEMU refused the machine check: {out}");
    s.send("echo alive-after-mce\n").expect("typing");
    s.expect("alive-after-mce", Duration::from_secs(30)).unwrap_or_else(|e| panic!("after the machine check: {e:#}"));
    let output = s.output();
    assert!(!output.contains("KERNEL"), "kernel complained:\n{output}");
    s.kill();
}

#[test]
fn smep_smap_umip_are_on_under_cpu_max() {
    let mut s = boot(&QemuConfig { cmdline: "root=ktest only=seg_umip".into(), ..Default::default() });
    let out = s.expect("passed, ", Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
    let line = out.lines().find(|l| l.starts_with("cpu: ")).unwrap_or_else(|| panic!("no cpu line:\n{out}"));
    for f in ["smep=true", "smap=true", "umip=true"] {
        assert!(line.contains(f), "{f} missing from {line:?}");
    }
    assert!(out.contains("seg_umip_stops_user_sgdt ... ok"), "UMIP test did not pass:\n{out}");
    s.kill();
}
