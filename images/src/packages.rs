//! Host package prerequisites (Debian).

use anyhow::{Context, Result, bail};
use std::process::Command;

/// Debian packages the build, images and tests need.
pub const REQUIRED: &[&str] = &[
    "qemu-system-x86",
    "grub-pc-bin",
    "grub-efi-amd64-bin",
    "grub-common",
    "xorriso",
    "mtools",
    "ovmf",
    "e2fsprogs",
    "binutils",
    "curl",
    // The pseudo-terminal tests of interactive runs (tests/tests/terminal.rs).
    "tmux",
];

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// Ensures every package in [`REQUIRED`] is installed. As root, installs the
/// missing ones with `apt-get`; otherwise fails with the exact command to run.
///
/// # Errors
/// If packages are missing and cannot be installed.
pub fn ensure() -> Result<()> {
    let missing: Vec<&str> = REQUIRED.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let line = format!("apt-get install -y {}", missing.join(" "));
    if !is_root() {
        bail!("missing Debian packages; run as root:\n    sudo apt-get update && sudo {line}");
    }
    eprintln!("images: installing {}", missing.join(" "));
    let ok = Command::new("sh")
        .arg("-c")
        .arg(format!("apt-get update -qq && DEBIAN_FRONTEND=noninteractive {line} -qq"))
        .status()
        .context("running apt-get")?
        .success();
    if !ok {
        bail!("apt-get failed; run by hand:\n    apt-get update && {line}");
    }
    Ok(())
}
