//! The hybrid BIOS+UEFI GRUB ISO for real x86 servers.
//!
//! `grub-mkrescue` (GRUB 2, packages grub-pc-bin and grub-efi-amd64-bin,
//! with xorriso and mtools) builds one image that boots from a CD or USB
//! stick under legacy BIOS and UEFI. GRUB loads the kernel through its
//! multiboot2 header and passes the boot-module archive as a module.

use anyhow::{Context, Result, bail};
use std::process::Command;

use crate::build::Artifacts;

/// Builds `target/images/rampart.iso` booting `art` with kernel command line
/// `cmdline`; returns its path.
///
/// # Errors
/// If `grub-mkrescue` fails.
pub fn build_iso(art: &Artifacts, cmdline: &str) -> Result<std::path::PathBuf> {
    let out = crate::images_dir();
    let root = out.join("iso-root");
    let boot = root.join("boot");
    std::fs::create_dir_all(boot.join("grub"))?;
    std::fs::copy(&art.kernel, boot.join("kernel.elf")).context("copying the kernel")?;
    std::fs::copy(&art.bootfs, boot.join("bootfs.img")).context("copying the bootfs")?;
    let cfg = format!(
        "set timeout=0\nset default=0\nset gfxpayload=text\n\
         serial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\n\
         menuentry \"Rampart\" {{\n    multiboot2 /boot/kernel.elf {cmdline}\n    module2 /boot/bootfs.img bootfs\n    boot\n}}\n"
    );
    std::fs::write(boot.join("grub/grub.cfg"), cfg)?;
    let iso = out.join("rampart.iso");
    let o =
        Command::new("grub-mkrescue").arg("-o").arg(&iso).arg(&root).output().context(
            "running grub-mkrescue (packages grub-common, grub-pc-bin, grub-efi-amd64-bin, xorriso, mtools)",
        )?;
    if !o.status.success() {
        bail!("grub-mkrescue failed:\n{}", String::from_utf8_lossy(&o.stderr));
    }
    Ok(iso)
}
