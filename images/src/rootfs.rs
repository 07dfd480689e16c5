//! The root file system image: a standard ext4 image made with
//! `mke2fs -t ext4 -d STAGING`, then labelled like `setfiles` would.
//!
//! [`stage`] fills a staging directory (programs, `/etc`, the compiled
//! policy, sample files, optionally the 64 MiB benchmark file); [`build`]
//! turns it into `target/images/rootfs.ext4` and stores every file's
//! security context (from the policy's file contexts) in its
//! `security.selinux` extended attribute with `debugfs ea_set`, so the
//! file server finds the labels on the disk (docs/storage.md,
//! "Labelling"), and gives every object its owner, group and mode
//! ([`ownership`]: whatever the staging's owners and the builder's umask
//! were). The result is checked with `e2fsck -fn`.
//!
//! The accounts come from one table, [`USERS`]: `/etc/passwd`,
//! `/etc/group`, `/etc/shadow` (locked passwords) and the file server's
//! identity table `/etc/identities` (SELinux user to uid and gid,
//! docs/security-architecture.md §1) are written from it, so they agree.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use rampart_policy::{FileKind, ModelRegistry, Policy};

/// What goes on the root file system.
#[derive(Clone, Debug)]
pub struct RootfsOptions {
    /// Image size in MiB.
    pub size_mib: u32,
    /// Add `/data/bench-64m` (64 MiB, deterministic bytes) for the
    /// sequential-read benchmark.
    pub bench_file: bool,
    /// Programs to install in `/bin` (host paths; copied under their file name).
    pub programs: Vec<PathBuf>,
    /// Symbolic links in `/bin`: (name, target), e.g. `("ls", "coreutils")`
    /// for the multi-call binary's programs.
    pub links: Vec<(String, String)>,
    /// Policy source directories compiled into `/etc/policy/policy.bin`
    /// and used for labelling (default: base + assertions + te).
    pub policy_dirs: Vec<PathBuf>,
    /// A compiled policy to use instead of `policy_dirs` (`images run
    /// --policy FILE`).
    pub policy_binary: Option<Vec<u8>>,
}

impl Default for RootfsOptions {
    fn default() -> RootfsOptions {
        let m = crate::workspace_root().join("policy").join("modules");
        RootfsOptions {
            size_mib: 128,
            bench_file: false,
            programs: Vec::new(),
            links: Vec::new(),
            policy_dirs: vec![m.join("base"), m.join("assertions"), m.join("te")],
            policy_binary: None,
        }
    }
}

/// The bytes of the benchmark file: 64 MiB of a fixed pattern, so a guest
/// can check what it read (byte `i` = `(i * 2654435761) >> 24`, as u8).
pub fn bench_bytes() -> Vec<u8> {
    (0..64u64 << 20).map(|i| ((i.wrapping_mul(2_654_435_761)) >> 24) as u8).collect()
}

/// Files the web server serves in the tests and the benchmark
/// (`/var/www/NAME`, `www_bytes(len, seed)`): a 1 MiB file for requests
/// per second and MB/s, a 10 MiB file for a checksummed download.
pub const WWW_FILES: &[(&str, usize, u64)] = &[("1m.bin", 1 << 20, 1), ("10m.bin", 10 << 20, 2)];

/// Deterministic bytes for the web server's files: byte `i` is the top
/// byte of `(i + seed) * 2654435761` (as u32 arithmetic would wrap it).
pub fn www_bytes(len: usize, seed: u64) -> Vec<u8> {
    (0..len as u64).map(|i| ((i.wrapping_add(seed << 32).wrapping_mul(2_654_435_761)) >> 24) as u8).collect()
}

/// The accounts of the image: (SELinux user, login name, uid, gid, home).
/// `system_u` (system services) shares root's ids and has no login.
pub const USERS: &[(&str, &str, u32, u32, &str)] =
    &[("root", "root", 0, 0, "/root"), ("system_u", "", 0, 0, ""), ("user_u", "user", 1000, 1000, "/home/user")];

/// The files written from [`USERS`]: `/etc/passwd`, `/etc/group`,
/// `/etc/shadow`, `/etc/identities`.
pub fn account_files() -> [(&'static str, String); 4] {
    let logins = || USERS.iter().filter(|u| !u.1.is_empty());
    let passwd = logins().map(|(_, l, u, g, h)| format!("{l}:x:{u}:{g}:{l}:{h}:/bin/sh\n")).collect();
    let group = logins().map(|(_, l, _, g, _)| format!("{l}:x:{g}:\n")).collect();
    let shadow = logins().map(|(_, l, ..)| format!("{l}:!:20454::::::\n")).collect();
    let mut ids = String::from(
        "# The file server's identity table (docs/security-architecture.md §1):\n\
         # SELinux user:uid:gid:supplementary gids (comma-separated).\n\
         # Trusted only while owned by root and not writable by group or others.\n",
    );
    for (se, _, u, g, _) in USERS {
        ids += &format!("{se}:{u}:{g}:\n");
    }
    [("etc/passwd", passwd), ("etc/group", group), ("etc/shadow", shadow), ("etc/identities", ids)]
}

/// Owner, group and permission bits (`0o7777` mask) of the staged object
/// at `path` (absolute in the image) of kind `kind`: everything is
/// root's, `0755` for directories and programs, `0644` for files, except
/// `/root` (`0700`), the users' homes (theirs, `0700` at the top), `/tmp`
/// (`1777`), the secrets `/etc/shadow` and `/secret/*` (`0600`).
/// Symbolic links keep `0777`. (The image builder also keeps a staged
/// file executable: `0755` instead of `0644`.)
pub fn ownership(path: &str, kind: FileKind) -> (u32, u32, u32) {
    let (mut uid, mut gid) = (0, 0);
    for (_, login, u, g, home) in USERS {
        if !login.is_empty() && *u != 0 && (path == *home || path.starts_with(&format!("{home}/"))) {
            (uid, gid) = (*u, *g);
        }
    }
    let is_home = USERS.iter().any(|u| !u.1.is_empty() && u.4 == path);
    let mode = match (path, kind) {
        (_, FileKind::Symlink) => 0o777,
        // The persistent audit trail (auditd): root's only.
        ("/root" | "/lost+found" | "/var/log/audit", _) => 0o700,
        _ if is_home => 0o700,
        ("/tmp", _) => 0o1777,
        (_, FileKind::Dir) => 0o755,
        ("/etc/shadow", _) => 0o600,
        _ if path.starts_with("/secret/") => 0o600,
        _ if path.starts_with("/bin/") => 0o755,
        _ => 0o644,
    };
    (uid, gid, mode)
}

/// Compiles the policy of `opts`; returns the binary and the loaded policy.
fn compile_policy(opts: &RootfsOptions) -> Result<(Vec<u8>, Policy)> {
    if let Some(bin) = &opts.policy_binary {
        let policy = Policy::load(bin).map_err(|e| anyhow::anyhow!("the policy does not load: {e}"))?;
        return Ok((bin.clone(), policy));
    }
    let files = policy_compiler::expand_inputs(&opts.policy_dirs).context("reading policy sources")?;
    let out = policy_compiler::compile_files(&files).map_err(|e| anyhow::anyhow!("policy does not compile: {e:?}"))?;
    let bin = rampart_policy::encode(&out.db).map_err(|e| anyhow::anyhow!("encoding policy: {e}"))?;
    let policy = Policy::from_db(out.db, &ModelRegistry::builtin()).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((bin, policy))
}

/// `/etc/profile`: what every login shell (`login` starts `/bin/sh -l`)
/// reads before `~/.profile` (docs/shell.md, "Start files"). It must not
/// print anything or change the prompt: the tests read both.
pub const PROFILE: &str = "\
# /etc/profile: read by login shells (sh -l) before ~/.profile.
PATH=/bin:/usr/bin
[ -f /etc/hostname ] && read -r HOSTNAME < /etc/hostname
EDITOR=edit
export PATH HOSTNAME EDITOR
";

/// Fills `dir` (emptied first) with the root file system's contents.
///
/// # Errors
/// I/O errors, or a policy that does not compile.
pub fn stage(dir: &Path, opts: &RootfsOptions) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let (policy_bin, _) = compile_policy(opts)?;
    let files: &[(&str, &[u8])] = &[
        ("etc/motd", b"Welcome to Rampart.\n"),
        ("etc/hostname", b"rampart\n"),
        ("etc/profile", PROFILE.as_bytes()),
        ("home/user/hello.txt", b"Hello from the ext4 root file system.\n"),
        ("var/www/index.html", b"<!doctype html><title>Rampart</title><h1>It works</h1>\n"),
        ("usr/share/doc/README", b"Sample data for the file server tests.\n"),
        ("secret/plans", b"This file is labelled secret_t: nobody reads it.\n"),
    ];
    let accounts = account_files();
    let accounts = accounts.iter().map(|(p, t)| (*p, t.as_bytes()));
    for (path, data) in files.iter().copied().chain(accounts) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("staged paths have parents"))?;
        std::fs::write(&p, data)?;
    }
    for d in ["tmp", "root", "var/log", "var/log/audit", "bin", "dev"] {
        std::fs::create_dir_all(dir.join(d))?;
    }
    std::fs::create_dir_all(dir.join("etc/policy"))?;
    std::fs::write(dir.join("etc/policy/policy.bin"), policy_bin)?;
    std::fs::create_dir_all(dir.join("etc/policy/modules"))?;
    if opts.policy_binary.is_none() {
        install_sources(dir, &opts.policy_dirs)?;
    }
    std::os::unix::fs::symlink("hello.txt", dir.join("home/user/hello.link"))?;
    // Web content: sample files, and a link out of the content type that
    // the policy must stop the server from following (tests/tests/net.rs).
    for (name, len, seed) in WWW_FILES {
        std::fs::write(dir.join("var/www").join(name), www_bytes(*len, *seed))?;
    }
    std::os::unix::fs::symlink("/etc/motd", dir.join("var/www/motd.txt"))?;
    for prog in &opts.programs {
        let name = prog.file_name().with_context(|| format!("{} has no file name", prog.display()))?;
        std::fs::copy(prog, dir.join("bin").join(name)).with_context(|| format!("copying {}", prog.display()))?;
    }
    for (name, target) in &opts.links {
        std::os::unix::fs::symlink(target, dir.join("bin").join(name))
            .with_context(|| format!("linking /bin/{name} to {target}"))?;
    }
    if opts.bench_file {
        std::fs::create_dir_all(dir.join("data"))?;
        std::fs::write(dir.join("data/bench-64m"), bench_bytes())?;
    }
    Ok(())
}

/// The policy's sources under `/etc/policy/src` for the guest's
/// `semodule` (userland/semodule), which links installed modules with
/// them: a directory `D` becomes `/etc/policy/src/D/*.pol`, a single
/// file `F.pol` goes to `/etc/policy/src/local/F.pol`.
fn install_sources(dir: &Path, inputs: &[PathBuf]) -> Result<()> {
    let src = dir.join("etc/policy/src");
    for input in inputs {
        let (sub, files) = if input.is_dir() {
            let name = input.file_name().with_context(|| format!("{} has no name", input.display()))?;
            (name.to_os_string(), policy_compiler::expand_inputs(&[input]).context("reading policy sources")?)
        } else {
            ("local".into(), vec![input.clone()])
        };
        let to = src.join(sub);
        std::fs::create_dir_all(&to)?;
        for f in files {
            let name = f.file_name().with_context(|| format!("{} has no file name", f.display()))?;
            if to.join(name).exists() {
                bail!("two policy sources named {} in {}", name.to_string_lossy(), to.display());
            }
            std::fs::copy(&f, to.join(name)).with_context(|| format!("copying {}", f.display()))?;
        }
    }
    Ok(())
}

/// The `debugfs` script that stores every staged object's context, owner,
/// group and mode.
fn label_script(staging: &Path, policy: &mut Policy) -> Result<String> {
    let mut script = String::new();
    let mut stack = vec![staging.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p)?;
        let rel = p.strip_prefix(staging)?.to_string_lossy().into_owned();
        let path = format!("/{rel}");
        let kind = if meta.is_dir() {
            FileKind::Dir
        } else if meta.file_type().is_symlink() {
            FileKind::Symlink
        } else {
            FileKind::File
        };
        if let Ok(Some(sid)) = policy.file_context(&path, kind) {
            let ctx = policy.sid_to_context(sid).map_err(|e| anyhow::anyhow!("{e}"))?;
            writeln!(script, "ea_set \"{path}\" security.selinux \"{ctx}\"")?;
        }
        let (uid, gid, mut mode) = ownership(&path, kind);
        // A program staged executable (added with `--add`, copied out of
        // a disk with `images cp`) stays executable for everyone who may
        // read it.
        if kind == FileKind::File && meta.permissions().mode() & 0o111 != 0 && mode == 0o644 {
            mode = 0o755;
        }
        let ifmt = match kind {
            FileKind::Dir => 0o040000,
            FileKind::Symlink => 0o120000,
            _ => 0o100000,
        };
        writeln!(script, "sif \"{path}\" uid {uid}\nsif \"{path}\" gid {gid}\nsif \"{path}\" mode 0{:o}", ifmt | mode)?;
        if meta.is_dir() {
            for e in std::fs::read_dir(&p)? {
                stack.push(e?.path());
            }
        }
    }
    Ok(script)
}

/// Builds `target/images/rootfs.ext4` from a fresh staging directory.
///
/// # Errors
/// Staging, `mke2fs`, `debugfs` or `e2fsck` failures.
pub fn build(opts: &RootfsOptions) -> Result<PathBuf> {
    let out = crate::images_dir();
    std::fs::create_dir_all(&out)?;
    let staging = out.join("rootfs-staging");
    stage(&staging, opts)?;
    let img = out.join("rootfs.ext4");
    build_image(&staging, &img, opts)?;
    Ok(img)
}

/// `mke2fs -t ext4 -d staging` into `img`, then labels and checks it.
///
/// # Errors
/// As [`build`].
pub fn build_image(staging: &Path, img: &Path, opts: &RootfsOptions) -> Result<()> {
    let _ = std::fs::remove_file(img);
    let st = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-b", "4096", "-L", "rampart-root", "-d"])
        .arg(staging)
        .arg(img)
        .arg(format!("{}M", opts.size_mib))
        .status()
        .context("running mke2fs (Debian package e2fsprogs)")?;
    if !st.success() {
        bail!("mke2fs failed for {}", img.display());
    }
    let (_, mut policy) = compile_policy(opts)?;
    let script_path = img.with_extension("labels");
    std::fs::write(&script_path, label_script(staging, &mut policy)?)?;
    let o = Command::new("debugfs").arg("-w").arg("-f").arg(&script_path).arg(img).output()?;
    if !o.status.success() {
        bail!("debugfs labelling failed: {}", String::from_utf8_lossy(&o.stderr));
    }
    let o = Command::new("e2fsck").arg("-fn").arg(img).output()?;
    if !o.status.success() {
        bail!("e2fsck reports problems in {}:\n{}", img.display(), String::from_utf8_lossy(&o.stdout));
    }
    Ok(())
}

/// Size of the boot disk's file system (MiB).
pub const BOOT_DISK_MIB: u32 = 64;

/// Builds `target/images/root.ext4` (policy variant `te`) or
/// `root-VARIANT.ext4` (`mls`, `biba`), the boot disk with `programs` and
/// the symbolic `links` in `/bin`, labelled by that variant's file
/// contexts (so `/secret` is `s3:c0.c15` on the MLS disk) and holding its
/// compiled policy in `/etc/policy/policy.bin`, unless an image made from
/// the same inputs exists (a stamp of the programs' and policy sources'
/// sizes and times is kept beside it).
///
/// # Errors
/// As [`build`].
pub fn build_cached(programs: &[PathBuf], links: &[(String, String)], variant: &str) -> Result<PathBuf> {
    let out = crate::images_dir();
    std::fs::create_dir_all(&out)?;
    let img = out.join(if variant == "te" { "root.ext4".to_string() } else { format!("root-{variant}.ext4") });
    let m = crate::workspace_root().join("policy").join("modules");
    let opts = RootfsOptions {
        size_mib: BOOT_DISK_MIB,
        programs: programs.to_vec(),
        links: links.to_vec(),
        policy_dirs: vec![m.join("base"), m.join("assertions"), m.join(variant)],
        ..Default::default()
    };
    let mut stamp = format!("v1 {} {links:?}\n", opts.size_mib);
    let mut inputs: Vec<PathBuf> = programs.to_vec();
    for d in &opts.policy_dirs {
        for e in std::fs::read_dir(d)? {
            inputs.push(e?.path());
        }
    }
    inputs.push(crate::workspace_root().join("images/src/rootfs.rs"));
    for p in &inputs {
        let m = std::fs::metadata(p).with_context(|| format!("{}", p.display()))?;
        let t = m.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).unwrap_or_default();
        writeln!(stamp, "{} {} {}", p.display(), m.len(), t.as_nanos())?;
    }
    let stamp_path = img.with_extension("stamp");
    if img.exists() && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
        return Ok(img);
    }
    let staging = out.join(format!("root-staging-{variant}"));
    stage(&staging, &opts)?;
    build_image(&staging, &img, &opts)?;
    std::fs::write(&stamp_path, stamp)?;
    Ok(img)
}

/// A private, writable copy of the boot disk for one run (the image itself
/// stays pristine): `target/images/disk-NAME.img`.
///
/// # Errors
/// I/O errors.
pub fn disk_copy(rootfs: &Path, name: &str) -> Result<PathBuf> {
    let p = crate::images_dir().join(format!("disk-{name}.img"));
    std::fs::copy(rootfs, &p).with_context(|| format!("copying {}", rootfs.display()))?;
    Ok(p)
}
