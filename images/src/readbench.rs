//! `images bench read`: a sequential read of a 64 MiB file through
//! Rampart's file server against the Linux reference guest reading the
//! same file from the same image in the same QEMU (`q35`, TCG, 512 MiB,
//! the image on virtio-blk-pci), docs/performance.md.
//!
//! The image is the boot image's contents plus `/data/bench-64m`
//! ([`crate::rootfs::bench_bytes`]), 160 MiB. Rampart: an administrator's
//! batch session runs `fstest bench /data/bench-64m` (the library OS's
//! `File::read`, 56 KiB per file-server request). Linux: `dd bs=1M` after
//! mounting the disk read-only (`images linux --bench read`).
//!
//! Measurements: twice under `-icount shift=0,align=off,sleep=off` the
//! guest TSC ticks of the read and the instructions executed (the ticks
//! minus the kernel's idle ticks, `DebugIdleTicks`: under icount QEMU
//! skips the virtual clock ahead while the processor is halted, so raw
//! ticks over an I/O-bound interval vary between runs); then three
//! alternating TCG runs of each system, timed on the host between the
//! guest's start line and its result line (guest clocks are calibrated
//! differently at every boot), the best of each kept.

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::build::{Artifacts, ROOTFS_PROGRAMS, rootfs_links};
use crate::qemu::{Boot, Machine, QemuConfig, Session};

const T: Duration = Duration::from_secs(300);

/// One Rampart run.
#[derive(Clone, Copy, Debug)]
pub struct RampartRun {
    /// Guest TSC ticks over the read.
    pub ticks: u64,
    /// Of which the processor was halted.
    pub idle: u64,
    /// Host-measured milliseconds.
    pub ms: f64,
}

impl RampartRun {
    /// TSC ticks per KiB of the file (instructions plus skipped idle time
    /// under icount).
    pub fn ticks_per_kib(&self) -> u64 {
        self.ticks / (64 * 1024)
    }
    /// Instructions executed per KiB (under icount).
    pub fn busy_per_kib(&self) -> u64 {
        self.ticks.saturating_sub(self.idle) / (64 * 1024)
    }
}

/// Everything measured.
#[derive(Clone, Debug)]
pub struct ReadReport {
    /// The icount runs.
    pub icount: Vec<RampartRun>,
    /// The TCG runs.
    pub tcg: Vec<RampartRun>,
    /// Linux under TCG: (its own `/proc/uptime` milliseconds, host-measured
    /// milliseconds).
    pub linux: Vec<(u64, f64)>,
}

impl ReadReport {
    /// The fewest instructions executed per KiB over the icount runs.
    pub fn busy_per_kib(&self) -> u64 {
        self.icount.iter().map(RampartRun::busy_per_kib).min().unwrap_or(0)
    }
    /// The best Rampart wall time under TCG (ms).
    pub fn rampart_ms(&self) -> f64 {
        self.tcg.iter().map(|r| r.ms).fold(f64::MAX, f64::min)
    }
    /// The best Linux wall time under TCG (ms, host-measured).
    pub fn linux_ms(&self) -> f64 {
        self.linux.iter().map(|l| l.1).fold(f64::MAX, f64::min)
    }
}

/// Builds the benchmark image in `dir` from the built programs.
///
/// # Errors
/// Staging, `mke2fs`, labelling failures.
pub fn image(art: &Artifacts, dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let programs = art
        .programs
        .iter()
        .filter(|(n, _)| ROOTFS_PROGRAMS.iter().any(|(_, b, _)| b == n))
        .map(|(_, p)| p.clone())
        .collect();
    let opts = crate::rootfs::RootfsOptions {
        size_mib: 160,
        bench_file: true,
        programs,
        links: rootfs_links(),
        ..Default::default()
    };
    let staging = dir.join("staging");
    crate::rootfs::stage(&staging, &opts)?;
    let img = dir.join("bench-read.ext4");
    crate::rootfs::build_image(&staging, &img, &opts)?;
    let _ = std::fs::remove_dir_all(&staging);
    Ok(img)
}

fn number_after(line: &str, key: &str) -> Option<u64> {
    line.split(key).nth(1)?.split_whitespace().next()?.trim_matches(|c: char| !c.is_ascii_digit()).parse().ok()
}

/// Boots Rampart on `img` and reads the file once.
///
/// # Errors
/// Boot failures, a failed or wrong read.
pub fn rampart(art: &Artifacts, img: &Path, icount: bool) -> Result<RampartRun> {
    rampart_on(art, img, icount, false)
}

/// [`rampart`] with the image on an NVMe controller (`nvmedrv`) instead of
/// virtio-blk when `nvme` (docs/hardware.md).
///
/// # Errors
/// As [`rampart`].
pub fn rampart_on(art: &Artifacts, img: &Path, icount: bool, nvme: bool) -> Result<RampartRun> {
    // /data has no file context (unlabeled_t): the administrator reads it.
    // The test kernel: fstest reads its idle ticks (`DebugIdleTicks`).
    let cfg = QemuConfig {
        machine: Machine::Q35,
        icount,
        test_kernel: true,
        cmdline: "init.first=login:batch init.context=root:sysadm_r:sysadm_t".into(),
        disk: if nvme { None } else { Some(img.to_path_buf()) },
        extra: if nvme { crate::devices::nvme_disk_args(img, 0) } else { Vec::new() },
        ..Default::default()
    };
    let mut s = Session::spawn(cfg.command(art)?)?;
    s.expect(crate::batch::READY, T)?;
    s.send(&crate::batch::typed("fstest bench /data/bench-64m"))?;
    s.expect("fstest: bench start", T)?;
    let t0 = Instant::now();
    let line = s.expect(" bad samples", T)?;
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    let _ = s.wait_exit(T);
    if !line.contains(", 0 bad samples") || !line.contains("read 67108864 bytes") {
        bail!("fstest read the wrong bytes: {line}");
    }
    let ticks = number_after(&line, "bytes in ").context("no tick count")?;
    let idle = number_after(&line, "idle ").context("no idle count")?;
    Ok(RampartRun { ticks, idle, ms })
}

/// Boots the Linux guest on `img` and reads the file once; returns (its
/// own milliseconds, host-measured milliseconds).
///
/// # Errors
/// Building or booting the guest.
pub fn linux(img: &Path) -> Result<(u64, f64)> {
    let g = crate::linux::linux_guest()?;
    let cfg = QemuConfig {
        machine: Machine::Q35,
        boot: Boot::Linux { kernel: g.kernel, initrd: g.initrd },
        cmdline: "console=ttyS0 quiet panic=-1 rampart.bench=read".into(),
        extra: crate::devices::disk_args(img, 0),
        ..Default::default()
    };
    let stub = Artifacts::default();
    let mut s = Session::spawn(cfg.command(&stub)?)?;
    s.expect("linux: read start", T)?;
    let t0 = Instant::now();
    let line = s.expect(" ms", T)?;
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    let _ = s.wait_exit(T);
    Ok((number_after(&line, "bytes in").with_context(|| format!("no time in {line:?}"))?, ms))
}

/// The whole benchmark; prints each run as it ends.
///
/// # Errors
/// As [`image`], [`rampart`], [`linux`].
pub fn run(art: &Artifacts, with_linux: bool) -> Result<ReadReport> {
    let dir = crate::images_dir().join("bench-read");
    let img = image(art, &dir)?;
    let mut r = ReadReport { icount: Vec::new(), tcg: Vec::new(), linux: Vec::new() };
    for _ in 0..2 {
        let x = rampart(art, &img, true)?;
        println!(
            "icount: {} TSC ticks ({} per KiB), {} idle: {} instructions executed per KiB",
            x.ticks,
            x.ticks_per_kib(),
            x.idle,
            x.busy_per_kib()
        );
        r.icount.push(x);
    }
    for i in 0..3 {
        let x = rampart(art, &img, false)?;
        println!("TCG run {i}: Rampart {:.0} ms", x.ms);
        r.tcg.push(x);
        if with_linux {
            let l = linux(&img)?;
            println!("TCG run {i}: Linux {:.0} ms (its own clock: {} ms)", l.1, l.0);
            r.linux.push(l);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(r)
}

/// The summary line.
pub fn summary(r: &ReadReport) -> String {
    let mut s = format!(
        "64 MiB sequential read: Rampart {} instructions executed per KiB (icount); best of {} under TCG: Rampart {:.0} ms",
        r.busy_per_kib(),
        r.tcg.len(),
        r.rampart_ms()
    );
    if !r.linux.is_empty() {
        s.push_str(&format!(
            ", Linux {:.0} ms; ratio Rampart/Linux {:.2}",
            r.linux_ms(),
            r.rampart_ms() / r.linux_ms()
        ));
    }
    s
}
