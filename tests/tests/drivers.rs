//! The drivers in the guest (docs/devices.md): QEMU `q35` with two
//! virtio-blk disks — an ext4 image made by `mke2fs` and a scratch disk —
//! and a virtio-net NIC. devmgr starts `blkdrv` for each disk; the in-guest
//! client `userland/drvtest`, running in the file server's domain, attaches
//! through devmgr and the block queues, reads the ext4 superblock, writes
//! and reads back the scratch disk, and measures a sequential read. The
//! drivers report their own capability census, which must hold only their
//! device's resources. One boot serves every check.

use images::devices::disk_args;
use images::qemu::{Machine, QemuConfig, guest_exit_code};
use rampart_tests::{boot, parse_summary};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("rampart-{name}-{}.img", std::process::id()))
}

/// A 48 MiB ext4 image with one file, made by mke2fs (as the root image is).
fn ext4_image() -> PathBuf {
    let dir = scratch("ext4-staging");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("staging");
    std::fs::write(dir.join("hello.txt"), b"hello from the host\n").expect("file");
    let img = scratch("ext4");
    let _ = std::fs::remove_file(&img);
    let st = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-d"])
        .arg(&dir)
        .arg(&img)
        .arg("48M")
        .status()
        .expect("mke2fs");
    assert!(st.success(), "mke2fs failed");
    let _ = std::fs::remove_dir_all(&dir);
    img
}

fn run(icount: bool) -> String {
    let root = ext4_image();
    let disk = scratch("scratch");
    std::fs::write(&disk, vec![0u8; 4 << 20]).expect("scratch disk");
    let mut extra = disk_args(&root, 0);
    extra.extend(disk_args(&disk, 1));
    let cmdline = "init.first=drvtest:measure init.context=system_u:system_r:fs_t".to_string();
    let cfg = QemuConfig { machine: Machine::Q35, cmdline, icount, extra, test_kernel: true, ..Default::default() };
    let mut s = boot(&cfg);
    let status = s.wait_exit(Duration::from_secs(300));
    let out = s.output();
    let _ = std::fs::remove_file(&root);
    let _ = std::fs::remove_file(&disk);
    let status = status.unwrap_or_else(|e| panic!("{e:#}\n{out}"));
    for l in out.lines().filter(|l| l.contains("blkdrv") || l.contains("FAIL") || l.contains("measure")) {
        println!("{l}");
    }
    let (passed, failed) = parse_summary(&out).unwrap_or_else(|| panic!("no summary line:\n{out}"));
    assert_eq!(failed, 0, "failing drvtest checks:\n{out}");
    assert!(passed >= 10, "only {passed} drvtest checks ran:\n{out}");
    assert_eq!(guest_exit_code(status), Some(0), "guest exit status {status}; output:\n{out}");
    out
}

/// The census a driver prints of its own CSpace: `type=count` pairs.
fn census(out: &str, who: &str) -> Vec<(String, u32)> {
    let l =
        out.lines().find(|l| l.contains(who) && l.contains("cspace:")).unwrap_or_else(|| panic!("no census:\n{out}"));
    l.split("cspace:")
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|p| p.split_once('=').map(|(k, v)| (k.to_string(), v.parse().unwrap_or(0))))
        .collect()
}

#[test]
fn blk_driver_serves_ext4_and_scratch_disks() {
    let out = run(true);
    assert!(out.contains("drvtest: ok   blk0: ext4 superblock magic 0xEF53 at byte 1080"), "{out}");
    assert!(out.contains("drvtest: ok   blk1: read back the same bytes"), "{out}");
    // Least privilege, from inside the driver: no untyped, no control
    // capabilities, no frames (device frames moved to rm when mapped), one
    // interrupt handler, no I/O ports (virtio modern needs none).
    for who in ["blkdrv: blk0", "blkdrv: blk1"] {
        // Started by devmgr in the driver's own domain (policy transition).
        assert!(out.contains(&format!("{who}: domain system_u:system_r:blkdrv_t")), "{out}");
        let c = census(&out, who);
        let get = |k: &str| c.iter().find(|x| x.0 == k).map_or(0, |x| x.1);
        for forbidden in
            ["untyped", "irqcontrol", "ioportcontrol", "asidcontrol", "schedcontrol", "frame", "audit", "ioport"]
        {
            assert_eq!(get(forbidden), 0, "{who} holds {forbidden}: {c:?}");
        }
        assert_eq!(get("irqhandler"), 1, "{who}: {c:?}");
        assert_eq!(get("tcb"), 1, "{who}: {c:?}");
    }
}

/// The 16550 driver: devmgr starts `serialdrv` (`devmgr.serial`) with
/// COM1's ports and IRQ 4; `drvtest` in the console's domain attaches to
/// its byte rings and echoes what the host types on the serial line.
#[test]
fn serial_driver_echoes_typed_input() {
    let cmdline = "init.first=drvtest:serial init.context=system_u:system_r:console_t devmgr.serial".to_string();
    let cfg = QemuConfig { machine: Machine::Q35, cmdline, test_kernel: true, ..Default::default() };
    let mut s = boot(&cfg);
    let ready = s.expect("drvtest: serial echo ready", Duration::from_secs(120));
    if let Err(e) = ready {
        let out = s.output();
        s.kill();
        panic!("{e:#}\n{out}");
    }
    s.send("ping-4711\r").expect("typing");
    let echoed = s.expect("ping-4711", Duration::from_secs(30));
    s.send("q\r").expect("typing");
    let status = s.wait_exit(Duration::from_secs(60));
    let out = s.output();
    echoed.unwrap_or_else(|e| panic!("no echo: {e:#}\n{out}"));
    let status = status.unwrap_or_else(|e| panic!("{e:#}\n{out}"));
    let (passed, failed) = parse_summary(&out).unwrap_or_else(|| panic!("no summary line:\n{out}"));
    assert_eq!((passed, failed), (2, 0), "{out}");
    assert_eq!(guest_exit_code(status), Some(0), "{out}");
    assert!(out.contains("serialdrv: serial0: domain system_u:system_r:serial_t"), "{out}");
    let c = census(&out, "serialdrv: serial0");
    let get = |k: &str| c.iter().find(|x| x.0 == k).map_or(0, |x| x.1);
    assert_eq!((get("ioport"), get("irqhandler"), get("untyped"), get("frame")), (1, 1, 0, 0), "{c:?}");
}
