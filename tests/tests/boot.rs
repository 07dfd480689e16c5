//! Boot paths: PVH on microvm and pc, the GRUB ISO under SeaBIOS and OVMF.
//! Each must start init in ring 3 (the test kernel echoes its greeting; the
//! release kernel prints only its own boot lines) and power off cleanly.

use images::qemu::{Boot, Machine, QemuConfig, guest_exit_code, smp_args};
use rampart_tests::{boot, iso};
use std::time::Duration;

const GREETING: &str = "init: hello from ring 3";
/// The release kernel's last boot line: it then prints nothing more.
const ROOT_TASK: &str = "root task \"init\"";

/// Boots `cfg` to `mark` and a clean power-off (init, with no first program,
/// asks rm to power off with status 0).
fn boots(cfg: QemuConfig, mark: &str, timeout: Duration) {
    let mut s = boot(&cfg);
    let out = s.expect(mark, timeout).unwrap_or_else(|e| panic!("{e:#}"));
    let t = s.elapsed();
    let status = s.wait_exit(timeout).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status; output:\n{}", s.output());
    assert!(out.contains("Rampart microkernel"), "kernel banner missing:\n{out}");
    println!(
        "{:?} {:?} (test kernel: {}): {mark:?} after {:.3} s",
        cfg.machine,
        cfg.boot,
        cfg.test_kernel,
        t.as_secs_f64()
    );
}

/// The test kernel echoes init's log lines: its greeting from ring 3.
fn test_kernel(machine: Machine) -> QemuConfig {
    QemuConfig { machine, test_kernel: true, ..Default::default() }
}

#[test]
fn pvh_microvm_reaches_ring3() {
    boots(test_kernel(Machine::Microvm), GREETING, Duration::from_secs(30));
}

#[test]
fn pvh_pc_reaches_ring3() {
    boots(test_kernel(Machine::Pc), GREETING, Duration::from_secs(30));
}

/// On `pc` (SeaBIOS's ACPI tables) and `microvm` (QEMU's own) with 2 and 4
/// vCPUs under MTTCG, the kernel starts every application processor
/// before init runs (docs/kernel.md, "Multicore").
#[test]
fn pvh_smp_brings_every_cpu_online() {
    for (machine, cpus) in [(Machine::Pc, 2), (Machine::Microvm, 4)] {
        let cfg = QemuConfig { extra: smp_args(cpus), ..test_kernel(machine) };
        let mut s = boot(&cfg);
        let out = s.expect(GREETING, Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
        let want = format!("smp: {cpus} CPUs online");
        assert!(out.contains(&want), "{machine:?}: {want:?} missing:\n{out}");
        let pings = format!("smp: {n} of {n} application processors answered NMI pings", n = cpus - 1);
        assert!(out.contains(&pings), "{machine:?}: {pings:?} missing:\n{out}");
        if let Some(l) = out.lines().find(|l| l.contains("NMI pings")) {
            println!("{machine:?} -smp {cpus}: {l}");
        }
        println!("{machine:?} -smp {cpus}: {GREETING:?} after {:.3} s", s.elapsed().as_secs_f64());
        let status = s.wait_exit(Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
        assert_eq!(guest_exit_code(status), Some(0), "guest exit status; output:\n{}", s.output());
    }
}

/// Hot-pluggable CPUs (`maxcpus` above `-smp`) are in the MADT without
/// the Enabled flag: the kernel starts the two present ones and does not
/// try the other two (no "did not start", no 100 ms waits).
#[test]
fn pvh_smp_skips_absent_hotplug_cpus() {
    let extra = vec!["-smp".to_string(), "2,maxcpus=4".to_string()];
    let cfg = QemuConfig { extra, ..test_kernel(Machine::Pc) };
    let mut s = boot(&cfg);
    let out = s.expect(GREETING, Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(out.contains("smp: 2 CPUs online"), "{out}");
    assert!(out.contains("smp: 1 of 1 application processors answered NMI pings"), "{out}");
    assert!(!out.contains("did not start"), "a disabled CPU was started:\n{out}");
    let status = s.wait_exit(Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status; output:\n{}", s.output());
}

/// The release kernel boots init, which runs with nothing to start and
/// powers off through rm; nothing reaches the console after the kernel's
/// boot lines (no console server runs to show the kernel log).
#[test]
fn pvh_release_kernel_boots_and_powers_off() {
    boots(QemuConfig { machine: Machine::Pc, ..Default::default() }, ROOT_TASK, Duration::from_secs(30));
}

#[test]
fn iso_boots_under_seabios() {
    boots(
        QemuConfig { machine: Machine::Pc, boot: Boot::IsoBios(iso().into()), ..Default::default() },
        ROOT_TASK,
        Duration::from_secs(60),
    );
}

#[test]
fn iso_boots_under_ovmf() {
    boots(
        QemuConfig { machine: Machine::Q35, boot: Boot::IsoUefi(iso().into()), ..Default::default() },
        ROOT_TASK,
        Duration::from_secs(120),
    );
}

#[test]
fn command_line_reaches_the_kernel() {
    let mut s = boot(&QemuConfig { cmdline: "quiet answer=42".into(), ..Default::default() });
    s.expect("cmdline \"quiet answer=42 loglevel=8\"", Duration::from_secs(30)).unwrap_or_else(|e| panic!("{e:#}"));
}

/// Without `loglevel=` (what `images run` boots) the kernel prints only its
/// banner: no boot lines, and no server's messages reach the console.
#[test]
fn quiet_boot_shows_only_the_banner() {
    let mut s = boot(&QemuConfig { machine: Machine::Pc, loglevel: None, ..Default::default() });
    let status = s.wait_exit(Duration::from_secs(30)).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status; output:\n{out}");
    assert!(out.contains(concat!("Rampart ", env!("CARGO_PKG_VERSION"), " \u{2014} booting...")), "banner:\n{out}");
    for noise in ["Rampart microkernel", "boot: protocol", "cpu: ", ROOT_TASK] {
        assert!(!out.contains(noise), "{noise:?} on a quiet console:\n{out}");
    }
}
