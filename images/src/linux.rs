//! A Linux reference guest for comparisons ("the same file, the same QEMU").
//!
//! Issues 6 and 7 compare Rampart with Linux reading the same file from the
//! same ext4 image and serving the same file over HTTP, in the same QEMU
//! under TCG. This module builds that guest from Debian packages, fetched
//! with `apt-get download` and unpacked (never installed on the host):
//! the cloud kernel (`linux-image-cloud-amd64`'s current image; ext4 built
//! in, virtio as modules) and `busybox-static`. The initramfs holds busybox,
//! the virtio modules and an `/init` script that mounts the virtio disk
//! read-only on `/mnt` and runs the benchmark named on the kernel command
//! line (`rampart.bench=read` or `rampart.bench=httpd`), printing lines that
//! start with `linux:`.

use anyhow::{Context, Result, bail};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Modules to load, in dependency order (paths relative to `kernel/`).
const MODULES: &[&str] = &[
    "drivers/virtio/virtio_ring.ko",
    "drivers/virtio/virtio.ko",
    "drivers/virtio/virtio_pci_legacy_dev.ko",
    "drivers/virtio/virtio_pci_modern_dev.ko",
    "drivers/virtio/virtio_pci.ko",
    "drivers/block/virtio_blk.ko",
    "net/core/failover.ko",
    "drivers/net/net_failover.ko",
    "drivers/net/virtio_net.ko",
];

/// The guest's `/init`.
const INIT: &str = r#"#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /sys /dev /mnt /tmp
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do $B insmod $m; done
$B --install -s /bin
bench=$(sed -n 's/.*rampart\.bench=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "linux: ready ($bench)"
case "$bench" in
read)
    mount -o ro /dev/vda /mnt || { echo "linux: no disk"; poweroff -f; }
    # /proc/uptime has centisecond resolution; the read takes seconds.
    echo "linux: read start"
    read u0 rest < /proc/uptime
    dd if=/mnt/data/bench-64m of=/dev/null bs=1M 2>/dev/null
    read u1 rest < /proc/uptime
    c0=${u0%.*}${u0#*.}; c1=${u1%.*}${u1#*.}
    echo "linux: read 67108864 bytes in $(( (c1 - c0) * 10 )) ms"
    ;;
httpd)
    ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up
    route add default gw 10.0.2.2
    mount -o ro /dev/vda /mnt || { echo "linux: no disk"; poweroff -f; }
    root=/mnt/www; [ -d $root ] || root=/mnt
    httpd -f -p 80 -h $root &
    echo "linux: httpd up (serving $root)"
    sleep 100000
    ;;
esac
poweroff -f
"#;

/// Kernel and initramfs of the reference guest.
#[derive(Clone, Debug)]
pub struct LinuxGuest {
    /// `vmlinuz`.
    pub kernel: PathBuf,
    /// The initramfs (newc cpio).
    pub initrd: PathBuf,
}

fn run(cmd: &mut Command) -> Result<String> {
    let o = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !o.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The versioned kernel image package behind `linux-image-cloud-amd64`.
fn kernel_package() -> Result<String> {
    let deps = run(Command::new("apt-cache").args(["depends", "linux-image-cloud-amd64"]))?;
    deps.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .find(|p| p.starts_with("linux-image-"))
        .map(str::to_string)
        .context("linux-image-cloud-amd64 has no kernel image dependency")
}

fn find(dir: &Path, pred: &dyn Fn(&Path) -> bool) -> Option<PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let p = e.path();
        if p.is_dir() {
            if let Some(f) = find(&p, pred) {
                return Some(f);
            }
        } else if pred(&p) {
            return Some(p);
        }
    }
    None
}

/// Debian's `busybox-static` binary for Rampart's root file system (the
/// Linux personality runs it; docs/linux-abi.md), fetched with `apt-get
/// download` and unpacked with `dpkg-deb -x` under `target/busybox` on
/// first use — never installed on the host. The same file is the host side
/// of the differential tests (`tests/tests/linux.rs`).
///
/// # Errors
/// If the package cannot be downloaded or unpacked.
pub fn busybox_static() -> Result<PathBuf> {
    let dir = crate::workspace_root().join("target").join("busybox");
    let bin = dir.join("unpacked/bin/busybox");
    if bin.exists() {
        return Ok(bin);
    }
    let debs = dir.join("debs");
    std::fs::create_dir_all(&debs)?;
    run(Command::new("apt-get").current_dir(&debs).args(["download", "busybox-static"]))?;
    for e in std::fs::read_dir(&debs)?.flatten() {
        run(Command::new("dpkg-deb").arg("-x").arg(e.path()).arg(dir.join("unpacked")))?;
    }
    if !bin.exists() {
        bail!("busybox-static has no bin/busybox");
    }
    Ok(bin)
}

/// Busybox applets linked into `/bin` (symbolic links to `busybox`, which
/// dispatches on `argv[0]`): the text tools Rampart's own `/bin` lacks that
/// run with the system calls the personality supports today
/// (docs/linux-abi.md lists them).
pub const BUSYBOX_APPLETS: &[&str] = &[
    "sed", "awk", "od", "expr", "nl", "rev", "paste", "cmp", "fold", "tac", "expand", "factor", "sha1sum", "base64",
    "strings", "diff", "unexpand", "vi", "less",
];

/// Builds (or reuses) the reference guest under `target/linux`.
///
/// # Errors
/// If the packages cannot be downloaded or unpacked.
pub fn linux_guest() -> Result<LinuxGuest> {
    let dir = crate::workspace_root().join("target").join("linux");
    let (kernel, initrd) = (dir.join("vmlinuz"), dir.join("initrd.cpio"));
    // The initramfs is rebuilt when /init changes (stamp: its text).
    let stamp = dir.join("init.stamp");
    if kernel.exists() && initrd.exists() && std::fs::read_to_string(&stamp).is_ok_and(|s| s == INIT) {
        return Ok(LinuxGuest { kernel, initrd });
    }
    let debs = dir.join("debs");
    let root = dir.join("unpacked");
    if !root.join("bin/busybox").exists() {
        std::fs::create_dir_all(&debs)?;
        let pkg = kernel_package()?;
        run(Command::new("apt-get").current_dir(&debs).args(["download", &pkg, "busybox-static"]))?;
        for e in std::fs::read_dir(&debs)?.flatten() {
            run(Command::new("dpkg-deb").arg("-x").arg(e.path()).arg(&root))?;
        }
    }
    let vmlinuz =
        find(&root.join("boot"), &|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz")))
            .context("no vmlinuz in the kernel package")?;
    std::fs::copy(&vmlinuz, &kernel)?;
    // lib/modules/<version>/kernel (the package has no modules.dep: depmod
    // runs at install time).
    let modules = std::fs::read_dir(root.join("lib/modules"))?
        .flatten()
        .map(|e| e.path().join("kernel"))
        .find(|p| p.is_dir())
        .context("no modules in the kernel package")?;

    // The initramfs: directories, busybox, modules (numbered so the shell glob
    // loads them in dependency order) and /init.
    let mut files: Vec<(String, u32, Vec<u8>)> = Vec::new();
    for d in ["bin", "lib", "lib/modules", "dev", "proc", "sys", "mnt", "tmp"] {
        files.push((d.to_string(), 0o040_755, Vec::new()));
    }
    files.push(("bin/busybox".into(), 0o100_755, std::fs::read(root.join("bin/busybox")).context("busybox")?));
    for (i, m) in MODULES.iter().enumerate() {
        let data = std::fs::read(modules.join(m)).with_context(|| format!("module {m}"))?;
        let name = Path::new(m).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        files.push((format!("lib/modules/{i:02}-{name}"), 0o100_644, data));
    }
    files.push(("init".into(), 0o100_755, INIT.as_bytes().to_vec()));
    let inputs =
        files.into_iter().map(|(name, mode, data)| (cpio::NewcBuilder::new(&name).mode(mode), Cursor::new(data)));
    let out = cpio::write_cpio(inputs, Vec::new()).context("writing the initramfs")?;
    std::fs::write(&initrd, out)?;
    std::fs::write(&stamp, INIT)?;
    Ok(LinuxGuest { kernel, initrd })
}
