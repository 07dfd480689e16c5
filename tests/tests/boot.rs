//! Boot paths: PVH on microvm and pc, the GRUB ISO under SeaBIOS and OVMF.
//! Each must reach init's greeting from ring 3 and power off cleanly.

use images::qemu::{Boot, Machine, QemuConfig, guest_exit_code};
use rampart_tests::{boot, iso};
use std::time::Duration;

const GREETING: &str = "init: hello from ring 3";

fn boots(cfg: QemuConfig, timeout: Duration) {
    let mut s = boot(&cfg);
    let out = s.expect(GREETING, timeout).unwrap_or_else(|e| panic!("{e:#}"));
    let t = s.elapsed();
    let status = s.wait_exit(timeout).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status; output:\n{}", s.output());
    assert!(out.contains("Rampart microkernel"), "kernel banner missing:\n{out}");
    println!("{:?} {:?}: greeting after {:.3} s", cfg.machine, cfg.boot, t.as_secs_f64());
}

#[test]
fn pvh_microvm_reaches_ring3() {
    boots(QemuConfig { machine: Machine::Microvm, ..Default::default() }, Duration::from_secs(30));
}

#[test]
fn pvh_pc_reaches_ring3() {
    boots(QemuConfig { machine: Machine::Pc, ..Default::default() }, Duration::from_secs(30));
}

#[test]
fn iso_boots_under_seabios() {
    boots(
        QemuConfig { machine: Machine::Pc, boot: Boot::IsoBios(iso().into()), ..Default::default() },
        Duration::from_secs(60),
    );
}

#[test]
fn iso_boots_under_ovmf() {
    boots(
        QemuConfig { machine: Machine::Q35, boot: Boot::IsoUefi(iso().into()), ..Default::default() },
        Duration::from_secs(120),
    );
}

#[test]
fn command_line_reaches_the_kernel() {
    let mut s = boot(&QemuConfig { cmdline: "quiet answer=42".into(), ..Default::default() });
    s.expect("cmdline \"quiet answer=42\"", Duration::from_secs(30)).unwrap_or_else(|e| panic!("{e:#}"));
}
