//! Shared harness for the integration tests in `tests/tests/`.
//!
//! Every test binary calls [`artifacts`] once: it checks the host packages,
//! then builds the kernel and programs through `images` (the same pipeline
//! as the README's run command). [`boot`] starts QEMU under TCG with the
//! console on pipes.
//!
//! Guest test programs finish with a line `N passed, M failed`;
//! [`parse_summary`] reads it.

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

/// Builds the GRUB ISO (empty command line) once per test binary.
///
/// # Panics
/// If `grub-mkrescue` fails.
pub fn iso() -> &'static std::path::Path {
    static ISO: OnceLock<std::path::PathBuf> = OnceLock::new();
    ISO.get_or_init(|| images::iso::build_iso(artifacts(), "").unwrap_or_else(|e| panic!("{e:#}")))
}

/// Boots `cfg` (TCG unless the config says otherwise).
///
/// # Panics
/// If QEMU cannot start.
pub fn boot(cfg: &QemuConfig) -> Session {
    let cmd = cfg.command(artifacts()).unwrap_or_else(|e| panic!("qemu command: {e:#}"));
    Session::spawn(cmd).unwrap_or_else(|e| panic!("{e:#}"))
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
