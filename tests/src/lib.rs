//! Shared harness for the integration tests in `tests/tests/`.
//!
//! Every test binary calls [`artifacts`] once: it checks the host packages,
//! then builds the kernel and programs through `images` (the same pipeline
//! as the README's run command). [`boot`] starts QEMU under TCG with the
//! console on pipes.
//!
//! Guest test programs finish with a line `N passed, M failed`;
//! [`parse_summary`] reads it; [`differential`] runs busybox cases on
//! the host and the guest and compares them; [`harness`] has the checks the tests
//! share (typing at the shell, running a suite on the test kernel). [`pty`] drives interactive runs through a
//! real pseudo-terminal (tmux).

pub mod differential;
pub mod harness;
pub mod pty;

use images::build::{Artifacts, BuildOptions, build_all};
use images::qemu::{QemuConfig, Session};
use std::sync::OnceLock;

/// Builds everything once per test binary.
///
/// # Panics
/// If packages are missing (with the `apt-get` line) or the build fails.
pub fn artifacts() -> &'static Artifacts {
    static ART: OnceLock<Artifacts> = OnceLock::new();
    ART.get_or_init(|| {
        if let Err(e) = images::packages::ensure() {
            panic!("{e:#}");
        }
        build_all(&BuildOptions::default()).unwrap_or_else(|e| panic!("build failed: {e:#}"))
    })
}

/// Builds the GRUB ISO (command line `loglevel=8`: every system message on
/// the console, as [`QemuConfig`]'s default asks for PVH boots) once per
/// test binary.
///
/// # Panics
/// If `grub-mkrescue` fails.
pub fn iso() -> &'static std::path::Path {
    static ISO: OnceLock<std::path::PathBuf> = OnceLock::new();
    ISO.get_or_init(|| images::iso::build_iso(artifacts(), "loglevel=8").unwrap_or_else(|e| panic!("{e:#}")))
}

/// Boots `cfg` (TCG unless the config says otherwise).
///
/// # Panics
/// If QEMU cannot start.
pub fn boot(cfg: &QemuConfig) -> Session {
    boot_art(artifacts(), cfg)
}

/// As [`boot`], with artifacts of one's own (a run's own boot-module
/// archive: `images::custom::prepare`).
///
/// # Panics
/// If QEMU cannot start.
pub fn boot_art(art: &Artifacts, cfg: &QemuConfig) -> Session {
    let cmd = cfg.command(art).unwrap_or_else(|e| panic!("qemu command: {e:#}"));
    Session::spawn(cmd).unwrap_or_else(|e| panic!("{e:#}"))
}

/// The login session's prompt (`user:TYPE:CWD$ `) for the default user.
pub const PROMPT: &str = "user:user_t:/home/user$ ";

/// A private copy of the root disk image for one test (`NAME` keeps tests
/// that run in parallel apart).
///
/// # Panics
/// If the copy fails.
pub fn disk(name: &str) -> std::path::PathBuf {
    images::rootfs::disk_copy(&artifacts().rootfs, name).unwrap_or_else(|e| panic!("{e:#}"))
}

/// As [`disk`], the root labelled for boot policy `policy` (`mls`, `biba`;
/// the `te` disk otherwise).
///
/// # Panics
/// If the copy fails.
pub fn disk_for(name: &str, policy: &str) -> std::path::PathBuf {
    images::rootfs::disk_copy(artifacts().rootfs_for(policy), name).unwrap_or_else(|e| panic!("{e:#}"))
}

/// A machine booting into the login session on root disk `disk`
/// (`batch`: commands are read from the console, see [`run_batch`]).
pub fn session_config(disk: &std::path::Path, batch: bool) -> QemuConfig {
    let first = if batch { "login:batch" } else { "login" };
    QemuConfig { cmdline: format!("init.first={first}"), disk: Some(disk.into()), ..Default::default() }
}

/// Runs `script` in the booted shell (as `images run -c` does); returns
/// what the guest printed after login's marker and the shell's status.
///
/// # Panics
/// If the guest never asks for commands or does not power off in time.
pub fn run_batch(disk: &std::path::Path, script: &str) -> (String, i32) {
    run_batch_with(&session_config(disk, true), script)
}

/// [`run_batch`] on a machine of one's own (`cfg` must boot
/// `init.first=login:batch`: start from [`session_config`] with `batch`
/// and add to its command line, e.g. `policy=` or `init.context=`).
///
/// # Panics
/// As [`run_batch`].
pub fn run_batch_with(cfg: &QemuConfig, script: &str) -> (String, i32) {
    run_batch_art(artifacts(), cfg, script)
}

/// [`run_batch_with`] with artifacts of one's own (see [`boot_art`]).
///
/// # Panics
/// As [`run_batch`].
pub fn run_batch_art(art: &Artifacts, cfg: &QemuConfig, script: &str) -> (String, i32) {
    let mut s = boot_art(art, cfg);
    s.expect(images::batch::READY, std::time::Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));
    s.send(&images::batch::typed(script)).expect("typing the script");
    let status = s.wait_exit(std::time::Duration::from_secs(300)).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    let after = out.split_once(images::batch::READY).map_or(out.clone(), |(_, a)| a.to_string());
    let code = images::qemu::guest_exit_code(status).map_or(-1, |c| c as i32);
    (after, code)
}

/// Finds the last `N passed, M failed` line in `output`.
pub fn parse_summary(output: &str) -> Option<(u32, u32)> {
    output.lines().rev().find_map(|l| {
        let l = l.trim();
        let (p, rest) = l.split_once(" passed, ")?;
        let f = rest.strip_suffix(" failed")?;
        Some((p.rsplit(' ').next()?.parse().ok()?, f.parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::parse_summary;

    #[test]
    fn summary_parsing() {
        assert_eq!(parse_summary("x\nktest: 61 passed, 0 failed\n"), Some((61, 0)));
        assert_eq!(parse_summary("3 passed, 2 failed"), Some((3, 2)));
        assert_eq!(parse_summary("nothing here"), None);
    }
}
