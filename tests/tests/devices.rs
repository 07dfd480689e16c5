//! The device layer (docs/devices.md): boots QEMU `q35` with a scratch
//! virtio-blk disk and a virtio-net NIC on user networking and checks that
//! init hands devmgr the device untyped memory and that devmgr enumerates
//! both virtio functions (with their MSI-X capabilities) through
//! configuration space.

use images::devices::{disk_args, net_args};
use images::qemu::{Machine, QemuConfig};
use rampart_tests::boot;
use std::time::Duration;

#[test]
fn devmgr_enumerates_virtio_devices() {
    let disk = std::env::temp_dir().join(format!("rampart-scratch-{}.img", std::process::id()));
    std::fs::write(&disk, vec![0u8; 8 << 20]).expect("scratch disk");
    let mut extra = disk_args(&disk, 0);
    extra.extend(net_args(&[]));
    let cfg = QemuConfig {
        machine: Machine::Q35,
        cmdline: "init.first=rmchild:spin".into(),
        extra,
        test_kernel: true,
        ..Default::default()
    };
    let mut s = boot(&cfg);
    let r = s.expect("devmgr: ready", Duration::from_secs(60));
    let out = s.output();
    s.kill();
    let _ = std::fs::remove_file(&disk);
    r.unwrap_or_else(|e| panic!("{e:#}"));
    assert!(out.contains("init: started devmgr"), "{out}");
    let blk = out.lines().find(|l| l.contains("devmgr: pci") && l.contains("1af4:1001")).expect("virtio-blk found");
    assert!(blk.contains("class 010000") && blk.contains("msi-x"), "{blk}");
    let net = out.lines().find(|l| l.contains("devmgr: pci") && l.contains("1af4:1000")).expect("virtio-net found");
    assert!(net.contains("class 020000") && net.contains("msi-x"), "{net}");
    println!("boot to devmgr ready: {:.2} s", s.elapsed().as_secs_f64());
}
