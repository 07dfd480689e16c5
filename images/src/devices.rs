//! QEMU arguments for the devices devmgr hands to drivers
//! (docs/devices.md): virtio-blk disks, a virtio-net NIC on user
//! networking, and the display and input devices of the secure desktop.

use std::path::Path;

/// `-drive`/`-device` arguments attaching `disk` (a raw image) as
/// virtio-blk-pci number `index`.
pub fn disk_args(disk: &Path, index: usize) -> Vec<String> {
    vec![
        "-drive".into(),
        format!("file={},if=none,id=disk{index},format=raw", disk.display()),
        "-device".into(),
        format!("virtio-blk-pci,drive=disk{index}"),
    ]
}

/// `-drive`/`-device` arguments attaching `disk` (a raw image) as an NVMe
/// controller (QEMU's `nvme`, class 01/08/02) with namespace 1 on it;
/// devmgr starts `nvmedrv` for it and names it `blk<N>` in bus order with
/// the virtio-blk disks (docs/hardware.md). With no virtio-blk disk it is
/// `blk0`, the root file system.
pub fn nvme_disk_args(disk: &Path, index: usize) -> Vec<String> {
    vec![
        "-drive".into(),
        format!("file={},if=none,id=nvm{index},format=raw", disk.display()),
        "-device".into(),
        format!("nvme,serial=rampart{index},drive=nvm{index}"),
    ]
}

/// `-netdev`/`-device` arguments for a virtio-net-pci NIC on QEMU user
/// networking (guest 10.0.2.15/24, gateway 10.0.2.2), with `hostfwd`
/// rules such as `tcp::8080-:80` (each becomes `,hostfwd=...`).
pub fn net_args(hostfwd: &[String]) -> Vec<String> {
    let mut netdev = "user,id=n0".to_string();
    for h in hostfwd {
        netdev.push_str(",hostfwd=");
        netdev.push_str(h);
    }
    vec!["-netdev".into(), netdev, "-device".into(), "virtio-net-pci,netdev=n0".into()]
}

/// Width and height of the display [`display_args`] attaches (pixels).
pub const DISPLAY: (u32, u32) = (640, 480);

/// The `init.secure=` item that starts the GUI server in its domain.
pub const GUI_SERVER: &str = "gui@system_u:system_r:gui_t";

/// `-device` arguments for the secure desktop (docs/gui.md): a virtio-gpu
/// display of [`DISPLAY`] pixels, a virtio keyboard and a virtio tablet
/// (absolute pointer). devmgr names them `gpu0`, `input0` (keyboard) and
/// `input1` (tablet) in this order. Only runs that ask for a display add
/// them (`images run --display`, the GUI tests).
pub fn display_args() -> Vec<String> {
    vec![
        "-device".into(),
        format!("virtio-gpu-pci,xres={},yres={}", DISPLAY.0, DISPLAY.1),
        "-device".into(),
        "virtio-keyboard-pci".into(),
        "-device".into(),
        "virtio-tablet-pci".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(disk_args(Path::new("/x.img"), 1)[1], "file=/x.img,if=none,id=disk1,format=raw");
        assert_eq!(nvme_disk_args(Path::new("/x.img"), 0)[3], "nvme,serial=rampart0,drive=nvm0");
        assert_eq!(net_args(&["tcp::8080-:80".into()])[1], "user,id=n0,hostfwd=tcp::8080-:80");
        assert_eq!(display_args()[1], "virtio-gpu-pci,xres=640,yres=480");
    }
}
