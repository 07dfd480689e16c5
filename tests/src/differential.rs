//! Differential runs of Debian's `busybox-static` (docs/linux-abi.md):
//! each case is a shell command line run on the build machine with
//! `sh -c` (the extracted busybox first on `PATH`) and typed at the Rampart
//! shell of one boot; output (stdout and stderr merged, as the terminal
//! shows them) and exit status must be equal.

use crate::harness::type_line;
use crate::{PROMPT, boot, disk, session_config};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The line typed for case `c`: the command, then its status after a
/// marker.
pub fn line(c: &str) -> String {
    format!("{c}; echo \"@E$?\"")
}

/// (output, status) from what a case printed: everything before the
/// marker, carriage returns removed (the serial line's), leading line
/// break of the echo dropped. `None` if the marker is missing.
pub fn parse(out: &str) -> Option<(String, String)> {
    let out = out.replace('\r', "");
    let (before, after) = out.rsplit_once("@E")?;
    let status: String = after.chars().take_while(char::is_ascii_digit).collect();
    Some((before.strip_prefix('\n').unwrap_or(before).to_string(), status))
}

/// Runs `cases` on the host (in `dir`, an empty scratch directory, where
/// the extracted busybox is linked) and in one guest booted from disk
/// image `disk_name` (waiting at most `timeout` for the first prompt),
/// prints `WHAT: N of M cases equal` and checks that every case printed
/// the same output and status on both.
///
/// # Panics
/// If busybox cannot be extracted, the host cannot run a case, the guest
/// gives no prompt, or any case differs (all differing cases are listed).
pub fn busybox_matches_the_host(dir: &Path, disk_name: &str, cases: &[&str], timeout: Duration, what: &str) {
    let bb = images::linux::busybox_static().expect("busybox-static");
    std::os::unix::fs::symlink(&bb, dir.join("busybox")).unwrap();
    let path = format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default());
    let host: Vec<_> = cases
        .iter()
        .map(|c| {
            let o = Command::new("sh")
                .arg("-c")
                .arg(format!("exec 2>&1; {}", line(c)))
                .env("PATH", &path)
                .current_dir(dir)
                .output()
                .expect("sh");
            parse(&String::from_utf8_lossy(&o.stdout))
        })
        .collect();
    let d = disk(disk_name);
    let mut s = boot(&session_config(&d, false));
    s.expect(PROMPT, timeout).unwrap_or_else(|e| panic!("no prompt: {e:#}"));
    let mut bad = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let guest = parse(&type_line(&mut s, PROMPT, &line(c), &["@E"]));
        assert!(host[i].is_some(), "the host ran case {i}");
        if host[i] != guest {
            bad.push(format!("case {i} `{c}`:\n  host:  {:?}\n  guest: {:?}", host[i], guest));
        }
    }
    println!("{what}: {} of {} cases equal", cases.len() - bad.len(), cases.len());
    assert!(bad.is_empty(), "{} cases differ:\n{}", bad.len(), bad.join("\n"));
}
