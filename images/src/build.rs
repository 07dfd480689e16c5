//! Building the freestanding components (docs/build.md).
//!
//! The kernel and user programs are members of the workspace but are only
//! built here, each kind with its own RUSTFLAGS and target directory and
//! always with an explicit `--target x86_64-unknown-linux-gnu`, so the flags
//! never reach build scripts or proc-macros (they are host code).

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::workspace_root;

/// The only target installed on the build machines.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// User programs: (cargo package, binary name). Every one is packed into the
/// boot-module archive under its binary name.
pub const USER_PROGRAMS: &[(&str, &str)] = &[
    ("init", "init"),
    ("ktest", "ktest"),
    ("ipcbench", "ipcbench"),
    ("rm", "rm"),
    ("rmtest", "rmtest"),
    ("rmchild", "rmchild"),
    ("sigtest", "sigtest"),
    ("secsrv", "secsrv"),
    ("connsrv", "connsrv"),
    ("sectest", "sectest"),
    ("devmgr", "devmgr"),
    ("console", "console"),
    ("fs", "fs"),
    ("login", "login"),
    ("syslogd", "syslogd"),
    ("auditd", "auditd"),
    ("blkdrv", "blkdrv"),
    ("nvmedrv", "nvmedrv"),
    ("drvtest", "drvtest"),
    ("serialdrv", "serialdrv"),
    ("netdrv", "netdrv"),
    ("net", "net"),
    ("capaudit", "capaudit"),
    ("probe", "probe"),
    ("gpudrv", "gpudrv"),
    ("inputdrv", "inputdrv"),
    ("gui", "gui"),
    ("winfill", "winfill"),
];

/// Programs installed in `/bin` of the ext4 root (not in the boot archive,
/// unless also in [`USER_PROGRAMS`]):
/// (cargo package, binary name, cargo feature that enables the binary).
pub const ROOTFS_PROGRAMS: &[(&str, &str, &str)] = &[
    ("shell", "sh", "shell/guest"),
    ("coreutils", "coreutils", "coreutils/guest"),
    ("rampart-httpd", "httpd", "rampart-httpd/guest"),
    ("nettools", "nc", ""),
    ("nettools", "wget", ""),
    ("fstest", "fstest", ""),
    ("linux-shim", "linux", ""),
    ("semodule", "semodule", "semodule/guest"),
    ("winfill", "winfill", ""),
];

/// Symbolic links in `/bin` of the ext4 root: every program of the
/// multi-call `/bin/coreutils` (`ls`, `cat`, ... `runcon`) under its name.
/// Then the busybox applets of [`crate::linux::BUSYBOX_APPLETS`] (Linux
/// programs, run through the Linux personality; none shadows a native
/// program).
pub fn rootfs_links() -> Vec<(String, String)> {
    let native = coreutils::PROGRAMS.iter().map(|p| (p.to_string(), "coreutils".to_string()));
    let linux = crate::linux::BUSYBOX_APPLETS
        .iter()
        .filter(|a| !coreutils::PROGRAMS.contains(a))
        .map(|a| (a.to_string(), "busybox".to_string()));
    native.chain(linux).collect()
}

/// What a build produced.
#[derive(Clone, Debug, Default)]
pub struct Artifacts {
    /// The release kernel ELF (multiboot2 + PVH): what `images run` and the
    /// ISO boot. No debug system calls; silent after boot.
    pub kernel: PathBuf,
    /// The test kernel ELF (feature `test-kernel`): the `Debug*` system
    /// calls, fault traces and every kernel-log record echoed to the serial
    /// console, for the in-guest test programs (docs/kernel.md, "Kernel
    /// flavours").
    pub test_kernel: PathBuf,
    /// The boot-module archive.
    pub bootfs: PathBuf,
    /// User program ELFs by binary name.
    pub programs: Vec<(String, PathBuf)>,
    /// The ext4 root file system image (`/bin` holds [`ROOTFS_PROGRAMS`]),
    /// labelled for the `te` policy (also what `allow-all` boots on).
    pub rootfs: PathBuf,
    /// The same root labelled for each lattice policy ([`ROOTFS_VARIANTS`]).
    pub rootfs_variants: Vec<(String, PathBuf)>,
}

/// The policy variants besides `te` that get a root disk of their own:
/// their file contexts carry levels (`mls`) or integrity labels (`biba`).
pub const ROOTFS_VARIANTS: &[&str] = &["mls", "biba"];

impl Artifacts {
    /// The root disk labelled for boot policy `policy` (the `te` disk for
    /// `te`, `allow-all` and any policy without a disk of its own).
    pub fn rootfs_for(&self, policy: &str) -> &Path {
        self.rootfs_variants.iter().find(|(v, _)| v == policy).map_or(&self.rootfs, |(_, p)| p)
    }
}

/// Build choices.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Show cargo's progress output.
    pub verbose: bool,
}

/// RUSTFLAGS for the kernel (docs/architecture.md, "Workspace and toolchain").
pub fn kernel_rustflags(root: &Path) -> Vec<String> {
    let mut f: Vec<String> = [
        "-Crelocation-model=static",
        "-Ccode-model=kernel",
        "-Ctarget-feature=-sse,-sse2,-sse3,-ssse3,-sse4.1,-sse4.2,-avx,-avx2",
        "-Cno-redzone=yes",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for a in link_args(&root.join("kernel/link.ld")) {
        f.push(format!("-Clink-arg={a}"));
    }
    f
}

/// RUSTFLAGS for user programs: static, linked at 4 MiB; SSE allowed.
pub fn user_rustflags(root: &Path) -> Vec<String> {
    let mut f = vec!["-Crelocation-model=static".to_string()];
    for a in link_args(&root.join("libos/rt/user.ld")) {
        f.push(format!("-Clink-arg={a}"));
    }
    f
}

fn link_args(script: &Path) -> Vec<String> {
    vec![
        "-nostartfiles".into(),
        "-nostdlib".into(),
        "-static".into(),
        "-Wl,--build-id=none".into(),
        "-Wl,-z,max-page-size=0x1000".into(),
        format!("-Wl,-T,{}", script.display()),
    ]
}

fn cargo_build(
    packages: &[&str],
    features: &[&str],
    no_default: bool,
    flags: &[String],
    target_dir: &Path,
    verbose: bool,
) -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace_root()).args(["build", "--release", "--target", TARGET, "--target-dir"]).arg(target_dir);
    if !verbose {
        cmd.arg("--quiet");
    }
    for p in packages {
        cmd.args(["-p", p]);
    }
    if no_default {
        cmd.arg("--no-default-features");
    }
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    // Our flags replace anything inherited from the environment.
    for v in ["RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_TARGET_DIR", "CARGO_BUILD_TARGET"] {
        cmd.env_remove(v);
    }
    cmd.env("CARGO_ENCODED_RUSTFLAGS", flags.join("\x1f"));
    let status = cmd.status().context("running cargo")?;
    if !status.success() {
        bail!("cargo build of {} failed", packages.join(", "));
    }
    Ok(())
}

/// Directory holding freestanding build outputs of one kind.
pub fn target_dir(kind: &str) -> PathBuf {
    workspace_root().join("target").join(kind)
}

/// Builds the release kernel (`test`: the test kernel); returns the ELF
/// path.
///
/// # Errors
/// If cargo fails.
pub fn build_kernel(test: bool, opts: &BuildOptions) -> Result<PathBuf> {
    let root = workspace_root();
    let dir = target_dir(if test { "kernel-test" } else { "kernel" });
    let features: &[&str] = if test { &["test-kernel"] } else { &[] };
    cargo_build(&["kernel"], features, true, &kernel_rustflags(&root), &dir, opts.verbose)?;
    Ok(dir.join(TARGET).join("release").join("kernel"))
}

/// The marker the kernel embeds in its read-only data (`FLAVOUR` in
/// `kernel/src/main.rs`): `Some(true)` for a test kernel, `Some(false)`
/// for a release kernel, `None` if `elf` is neither.
pub fn kernel_is_test(elf: &[u8]) -> Option<bool> {
    let has = |m: &[u8]| elf.windows(m.len()).any(|w| w == m);
    match (has(b"RAMPART_KERNEL_FLAVOUR=test"), has(b"RAMPART_KERNEL_FLAVOUR=release")) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    }
}

/// Builds every user program; returns (binary name, path) pairs.
///
/// # Errors
/// If cargo fails.
pub fn build_programs(opts: &BuildOptions) -> Result<Vec<(String, PathBuf)>> {
    let root = workspace_root();
    let dir = target_dir("user");
    let mut pkgs: Vec<&str> = USER_PROGRAMS.iter().map(|(p, _)| *p).collect();
    pkgs.extend(ROOTFS_PROGRAMS.iter().map(|(p, _, _)| *p));
    pkgs.dedup();
    let features: Vec<&str> = ROOTFS_PROGRAMS.iter().map(|(_, _, f)| *f).filter(|f| !f.is_empty()).collect();
    cargo_build(&pkgs, &features, false, &user_rustflags(&root), &dir, opts.verbose)?;
    // A program in both lists (a boot module the shell also runs from
    // `/bin`, e.g. `winfill`) is built and listed once.
    let user = USER_PROGRAMS.iter().map(|(_, b)| *b);
    let rootfs_only = ROOTFS_PROGRAMS.iter().map(|(_, b, _)| *b).filter(|b| !USER_PROGRAMS.iter().any(|(_, u)| u == b));
    let bins = user.chain(rootfs_only);
    Ok(bins.map(|bin| (bin.to_string(), dir.join(TARGET).join("release").join(bin))).collect())
}

/// Builds everything and packs the boot-module archive.
///
/// # Errors
/// If any build or packing step fails.
pub fn build_all(opts: &BuildOptions) -> Result<Artifacts> {
    let kernel = build_kernel(false, opts)?;
    let test_kernel = build_kernel(true, opts)?;
    let programs = build_programs(opts)?;
    let mut files = Vec::new();
    for (name, path) in programs.iter().filter(|(n, _)| USER_PROGRAMS.iter().any(|(_, b)| b == n)) {
        files.push((name.clone(), std::fs::read(path).with_context(|| format!("reading {}", path.display()))?));
    }
    files.extend(crate::policies::compile_all()?);
    let archive = crate::bootfs::pack(&files)?;
    let out = crate::images_dir();
    std::fs::create_dir_all(&out)?;
    let bootfs = out.join("bootfs.img");
    write_if_changed(&bootfs, &archive)?;
    let rootfs_programs = rootfs_programs(&programs)?;
    let rootfs = crate::rootfs::build_cached(&rootfs_programs, &rootfs_links(), "te")?;
    let mut rootfs_variants = Vec::new();
    for v in ROOTFS_VARIANTS {
        rootfs_variants.push((v.to_string(), crate::rootfs::build_cached(&rootfs_programs, &rootfs_links(), v)?));
    }
    Ok(Artifacts { kernel, test_kernel, bootfs, programs, rootfs, rootfs_variants })
}

/// The files of the root's `/bin` among built `programs`
/// ([`ROOTFS_PROGRAMS`]), plus Debian's busybox-static as `/bin/busybox`
/// (a Linux program, fetched on first use).
///
/// # Errors
/// If busybox cannot be fetched.
pub fn rootfs_programs(programs: &[(String, PathBuf)]) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = programs
        .iter()
        .filter(|(n, _)| ROOTFS_PROGRAMS.iter().any(|(_, b, _)| b == n))
        .map(|(_, p)| p.clone())
        .collect();
    v.push(crate::linux::busybox_static()?);
    Ok(v)
}

/// Writes `data` to `path` unless it already holds exactly that.
pub fn write_if_changed(path: &Path, data: &[u8]) -> Result<()> {
    if std::fs::read(path).map(|d| d == data).unwrap_or(false) {
        return Ok(());
    }
    std::fs::write(path, data).with_context(|| format!("writing {}", path.display()))
}
