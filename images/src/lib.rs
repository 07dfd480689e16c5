//! The Rampart image builder and runner (host tool).
//!
//! `images` is the one entry point users and tests go through:
//! - [`packages`]: checks for the Debian packages the build and run need and
//!   installs them (as root) or prints the exact `apt-get` line;
//! - [`build`]: builds the freestanding kernel and user programs with their
//!   own flags and target directories (docs/build.md);
//! - [`bootfs`]: packs boot modules into the archive the kernel loads init from;
//! - [`policies`]: compiles the shipped policies into boot modules;
//! - [`iso`]: makes a hybrid BIOS+UEFI GRUB ISO with `grub-mkrescue`;
//! - [`rootfs`]: the ext4 root file system image (`mke2fs -d`, labelled);
//! - [`bench`]: same-QEMU comparisons with the Linux reference guest
//!   (`images bench httpd`);
//! - [`qemu`]: runs QEMU with the serial console on a pipe, for people
//!   (`images run`) and for tests (captured output, timeouts, exit status);
//! - [`terminal`]: interactive runs, the user's terminal in raw mode as the
//!   guest's terminal, with QEMU's `Ctrl-A` keys and window-size reports.
//!
//! Design: every step is a plain function returning paths, so the CLI and
//! the integration tests share exactly the same pipeline.

pub mod batch;
pub mod bench;
pub mod bootfs;
pub mod build;
pub mod custom;
pub mod devices;
pub mod iso;
pub mod linux;
pub mod packages;
pub mod policies;
pub mod qemu;
pub mod qmp;
pub mod readbench;
pub mod rootfs;
pub mod stats;
// `Command::pre_exec` (the parent-death signal for QEMU) is `unsafe`.
#[allow(unsafe_code)]
pub mod terminal;

use std::path::PathBuf;

/// The workspace root (the directory holding the top-level `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("images/ has a parent").to_path_buf()
}

/// Directory for generated images (`target/images`).
pub fn images_dir() -> PathBuf {
    workspace_root().join("target").join("images")
}
