//! QEMU arguments for the devices devmgr hands to drivers
//! (docs/devices.md): virtio-blk disks and a virtio-net NIC on user
//! networking.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(disk_args(Path::new("/x.img"), 1)[1], "file=/x.img,if=none,id=disk1,format=raw");
        assert_eq!(net_args(&["tcp::8080-:80".into()])[1], "user,id=n0,hostfwd=tcp::8080-:80");
    }
}
