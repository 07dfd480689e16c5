//! A run of one's own (issue 22, the policy researcher's loop):
//!
//! - `images run --policy PATH`: a policy that is not a shipped variant —
//!   source files and directories (comma-separated) compiled on the host
//!   with the same compiler and refused with its diagnostics if it fails
//!   `polc check` (every `neverallow`), or a binary policy — packed into
//!   this run's boot-module archive as `policy.custom` and booted with
//!   `policy=custom`; the run's root disk is labelled by its file contexts.
//! - `images run --add HOST:GUEST` (repeatable): files or directories put
//!   on the run's root disk at `GUEST`, labelled by the policy like
//!   everything else (`setfiles`-style, at build time).
//! - `images cp [--disk IMG] GUEST HOST`: a file or directory read out of
//!   a root disk after a run (`debugfs dump`/`rdump`), e.g. the logs.
//!
//! The shipped artifacts are never changed: a run gets its own archive
//! (`target/images/bootfs-NAME.img`) and disk (`disk-NAME.img`).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use rampart_abi::bootfs::Bootfs;

use crate::build::{Artifacts, rootfs_links};
use crate::rootfs::{BOOT_DISK_MIB, RootfsOptions};

/// The boot-module name suffix (`policy.custom`) and `policy=` value of
/// a policy given by path.
pub const CUSTOM: &str = "custom";

/// What `--policy` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyArg {
    /// A shipped variant (`te`, `mls`, `biba`, `allow-all`).
    Shipped(String),
    /// Policy sources: `.pol` files and directories of them.
    Sources(Vec<PathBuf>),
    /// A compiled binary policy (`polc build -o FILE`).
    Binary(PathBuf),
}

/// Parses `--policy`: a shipped variant's name, else comma-separated
/// paths (one file holding a binary policy is [`PolicyArg::Binary`]).
///
/// # Errors
/// A path that does not exist (the message lists the variants).
pub fn parse_policy(arg: &str) -> Result<PolicyArg> {
    if crate::policies::check_name(arg).is_ok() {
        return Ok(PolicyArg::Shipped(arg.into()));
    }
    let paths: Vec<PathBuf> = arg.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect();
    for p in &paths {
        if !p.exists() {
            let names: Vec<&str> = crate::policies::VARIANTS.iter().map(|(n, _)| *n).collect();
            bail!("--policy {arg}: {} does not exist (shipped policies: {})", p.display(), names.join(", "));
        }
    }
    if let [one] = paths.as_slice()
        && one.is_file()
        && std::fs::read(one).is_ok_and(|b| rampart_policy::codec::is_binary_policy(&b))
    {
        return Ok(PolicyArg::Binary(one.clone()));
    }
    Ok(PolicyArg::Sources(paths))
}

/// A file or directory to put on the run's root disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Add {
    /// On the host.
    pub host: PathBuf,
    /// Absolute path in the guest.
    pub guest: String,
}

/// Parses `HOST:GUEST` (`GUEST` absolute, without `..`).
///
/// # Errors
/// A malformed argument or a missing host path.
pub fn parse_add(arg: &str) -> Result<Add> {
    let Some(i) = arg.find(":/") else { bail!("--add {arg}: expected HOST:/GUEST/PATH") };
    let (host, guest) = (PathBuf::from(&arg[..i]), arg[i + 1..].to_string());
    if guest.split('/').any(|c| c == "..") || guest == "/" {
        bail!("--add {arg}: the guest path must name something below / without `..`");
    }
    if !host.exists() {
        bail!("--add {arg}: {} does not exist", host.display());
    }
    Ok(Add { host, guest })
}

/// The binary of a policy given by path, compiled and checked.
///
/// # Errors
/// Compiler diagnostics, or the `neverallow` violations (as `polc check`
/// reports them), or a binary that does not decode.
pub fn compile(arg: &PolicyArg) -> Result<Vec<u8>> {
    let db = match arg {
        PolicyArg::Shipped(name) => bail!("{name} is a shipped policy"),
        PolicyArg::Binary(p) => {
            let bytes = std::fs::read(p)?;
            rampart_policy::decode(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        PolicyArg::Sources(paths) => match policy_compiler::compile_files(paths) {
            Ok(out) => out.db,
            Err(Ok(diags)) => {
                let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
                bail!("the policy does not compile:\n{}", text.join("\n"))
            }
            Err(Err(e)) => bail!("reading the policy: {e}"),
        },
    };
    let model = policy_analysis::ModelGrants::builtin(&db)
        .map_err(|r| anyhow::anyhow!("refusing the policy: its model cannot be checked: {r}"))?;
    let v = policy_analysis::check(&db, &model);
    if !v.is_empty() {
        let text: Vec<String> = v.iter().map(|x| policy_analysis::check::report(&db, x)).collect();
        bail!("the policy fails `polc check` ({} violation(s)):\n{}", v.len(), text.join("\n"));
    }
    rampart_policy::encode(&db).map_err(|e| anyhow::anyhow!("encoding the policy: {e}"))
}

/// This run's boot-module archive: the shipped one plus `policy.custom`.
///
/// # Errors
/// I/O errors or a corrupt shipped archive.
pub fn bootfs_with(art: &Artifacts, policy: &[u8], name: &str) -> Result<PathBuf> {
    bootfs_plus(art, &[(crate::policies::module_name(CUSTOM), policy.to_vec())], name)
}

/// This run's boot-module archive (`target/images/bootfs-NAME.img`): the
/// shipped one plus (or with replaced) `modules`.
///
/// # Errors
/// I/O errors or a corrupt shipped archive.
pub fn bootfs_plus(art: &Artifacts, modules: &[(String, Vec<u8>)], name: &str) -> Result<PathBuf> {
    let bytes = std::fs::read(&art.bootfs)?;
    let fs = Bootfs::parse(&bytes).map_err(|e| anyhow::anyhow!("{}: {e:?}", art.bootfs.display()))?;
    let mut files: Vec<(String, Vec<u8>)> = fs
        .iter()
        .filter(|e| !modules.iter().any(|(n, _)| n == e.name))
        .map(|e| (e.name.to_string(), e.data.to_vec()))
        .collect();
    files.extend(modules.iter().cloned());
    let p = crate::images_dir().join(format!("bootfs-{name}.img"));
    std::fs::write(&p, crate::bootfs::pack(&files)?)?;
    Ok(p)
}

fn copy_tree(from: &Path, to: &Path) -> Result<u64> {
    let meta = std::fs::symlink_metadata(from)?;
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if meta.file_type().is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(from)?, to)?;
        return Ok(0);
    }
    if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        let mut n = 0;
        for e in std::fs::read_dir(from)? {
            let e = e?;
            n += copy_tree(&e.path(), &to.join(e.file_name()))?;
        }
        return Ok(n);
    }
    std::fs::copy(from, to).with_context(|| format!("copying {}", from.display()))
}

/// The run's root disk: the shipped programs and files, `adds`, the
/// policy (`policy_dirs` sources or `policy_binary`) in
/// `/etc/policy/policy.bin`, labelled by its file contexts.
///
/// # Errors
/// Staging, `mke2fs`, `debugfs` or `e2fsck` failures.
pub fn disk_with(art: &Artifacts, mut opts: RootfsOptions, adds: &[Add], name: &str) -> Result<PathBuf> {
    opts.programs = crate::build::rootfs_programs(&art.programs)?;
    opts.links = rootfs_links();
    let staging = crate::images_dir().join(format!("staging-{name}"));
    crate::rootfs::stage(&staging, &opts)?;
    let mut bytes = 0;
    for a in adds {
        bytes += copy_tree(&a.host, &staging.join(a.guest.trim_start_matches('/')))?;
    }
    // Room for what was added, plus half again for the run's writes.
    opts.size_mib = opts.size_mib.max(BOOT_DISK_MIB + u32::try_from((bytes * 3 / 2) >> 20).unwrap_or(u32::MAX));
    let img = crate::images_dir().join(format!("disk-{name}.img"));
    crate::rootfs::build_image(&staging, &img, &opts)?;
    Ok(img)
}

/// What a run boots: its artifacts (the archive may be its own), its root
/// disk and the `policy=` value, if any.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Artifacts, with this run's boot-module archive.
    pub art: Artifacts,
    /// The run's root disk.
    pub disk: PathBuf,
    /// `policy=` for the command line.
    pub policy: Option<String>,
}

/// Prepares run `name` (disk and archive names) with `policy` and `adds`.
///
/// # Errors
/// As [`compile`], [`bootfs_with`] and [`disk_with`].
pub fn prepare(art: &Artifacts, policy: Option<&PolicyArg>, adds: &[Add], name: &str) -> Result<Prepared> {
    let m = crate::workspace_root().join("policy").join("modules");
    match policy {
        None | Some(PolicyArg::Shipped(_)) => {
            let variant = match policy {
                Some(PolicyArg::Shipped(v)) => v.as_str(),
                _ => crate::policies::DEFAULT,
            };
            let disk = if adds.is_empty() {
                crate::rootfs::disk_copy(art.rootfs_for(variant), name)?
            } else {
                let dirs = crate::policies::VARIANTS
                    .iter()
                    .find(|(n, _)| *n == variant)
                    .map(|(_, d)| d.iter().map(|d| m.join(d)).collect())
                    .unwrap_or_default();
                // allow-all labels like te (its disk is te's).
                let dirs =
                    if variant == "allow-all" { crate::rootfs::RootfsOptions::default().policy_dirs } else { dirs };
                disk_with(art, RootfsOptions { policy_dirs: dirs, ..Default::default() }, adds, name)?
            };
            Ok(Prepared { art: art.clone(), disk, policy: policy.map(|_| variant.to_string()) })
        }
        Some(arg) => {
            let bin = compile(arg)?;
            let mut art2 = art.clone();
            art2.bootfs = bootfs_with(art, &bin, name)?;
            // From sources, the disk is built (and labelled) from the same
            // sources, which it also carries for the guest's `semodule`.
            let opts = match arg {
                PolicyArg::Sources(paths) => RootfsOptions { policy_dirs: paths.clone(), ..Default::default() },
                _ => RootfsOptions { policy_binary: Some(bin), ..Default::default() },
            };
            let disk = disk_with(art, opts, adds, name)?;
            Ok(Prepared { art: art2, disk, policy: Some(CUSTOM.into()) })
        }
    }
}

/// `images cp`: copies `guest` (a file or directory) out of root disk
/// image `disk` to `host`, after replaying the disk's journal in place.
///
/// # Errors
/// `debugfs` failures, or `guest` not found.
pub fn copy_out(disk: &Path, guest: &str, host: &Path) -> Result<()> {
    // A run that was cut short leaves its last writes in the journal:
    // replay it first, as the next mount would (`debugfs` reads the file
    // system as it is).
    let o = Command::new("e2fsck").args(["-E", "journal_only", "-y"]).arg(disk).output()?;
    if !matches!(o.status.code(), Some(0..=1)) {
        bail!("e2fsck -E journal_only {}: {}", disk.display(), String::from_utf8_lossy(&o.stdout));
    }
    let stat = Command::new("debugfs").arg("-R").arg(format!("stat \"{guest}\"")).arg(disk).output()?;
    let text = String::from_utf8_lossy(&stat.stdout);
    if !text.contains("Inode:") {
        bail!("{guest}: not found on {}: {}", disk.display(), String::from_utf8_lossy(&stat.stderr).trim());
    }
    let cmd = if text.contains("Type: directory") {
        std::fs::create_dir_all(host)?;
        format!("rdump \"{guest}\" \"{}\"", host.display())
    } else {
        format!("dump -p \"{guest}\" \"{}\"", host.display())
    };
    let o = Command::new("debugfs").arg("-R").arg(&cmd).arg(disk).output()?;
    if !o.status.success() {
        bail!("debugfs {cmd}: {}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(())
}
