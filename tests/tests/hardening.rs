//! Kernel hardening seen from outside the guest (issue 13): NMIs and
//! machine checks injected through QEMU's monitor, while the kernel idles
//! and while it is busy, leave the system running; the boot log reports
//! SMEP, SMAP and UMIP on under `-cpu max`; the images users boot carry
//! the release kernel, whose `Debug*` system calls do not exist.

use images::qemu::QemuConfig;
use images::qmp::{self, Qmp};
use rampart_tests::{PROMPT, artifacts, boot, disk, run_batch, session_config};
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
    let mut s =
        boot(&QemuConfig { cmdline: "root=ktest only=seg_umip".into(), test_kernel: true, ..Default::default() });
    let out = s.expect("passed, ", Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
    let line = out.lines().find(|l| l.starts_with("cpu: ")).unwrap_or_else(|| panic!("no cpu line:\n{out}"));
    for f in ["smep=true", "smap=true", "umip=true"] {
        assert!(line.contains(f), "{f} missing from {line:?}");
    }
    assert!(out.contains("seg_umip_stops_user_sgdt ... ok"), "UMIP test did not pass:\n{out}");
    s.kill();
}

#[test]
fn images_users_boot_carry_the_release_kernel() {
    let art = artifacts();
    let release = std::fs::read(&art.kernel).expect("reading the kernel");
    assert_eq!(
        images::build::kernel_is_test(&release),
        Some(false),
        "{} is not the release kernel",
        art.kernel.display()
    );
    let test = std::fs::read(&art.test_kernel).expect("reading the test kernel");
    assert_eq!(
        images::build::kernel_is_test(&test),
        Some(true),
        "{} is not the test kernel",
        art.test_kernel.display()
    );
    // `images run` (a default configuration) boots the release kernel.
    let cmd = QemuConfig::default().command(art).expect("command");
    let args: Vec<String> = cmd.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
    let k = args.iter().position(|a| a == "-kernel").expect("-kernel");
    assert_eq!(std::path::Path::new(&args[k + 1]), art.kernel.as_path());
    // The ISO for real servers carries the release kernel's bytes.
    let iso = std::fs::read(rampart_tests::iso()).expect("reading the ISO");
    assert_eq!(images::build::kernel_is_test(&iso), Some(false), "the ISO does not carry the release kernel");
}

#[test]
fn debug_system_calls_do_not_exist_in_the_release_kernel() {
    let script = "for n in 64 66 67 68; do fstest debug-syscall $n; echo \"call $n status $?\"; done";
    let (out, code) = run_batch(&disk("hardening-debug"), script);
    assert_eq!(code, 0, "{out}");
    for n in [64, 66, 67, 68] {
        // An unknown system call is a fault: rm ends the program (128 + 11).
        assert!(out.contains(&format!("call {n} status 139")), "system call {n} did not fault:\n{out}");
    }
    assert!(!out.contains("returned rdi"), "a debug system call returned:\n{out}");
}
