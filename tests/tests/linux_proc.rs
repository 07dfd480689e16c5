//! The Linux process model (docs/linux-abi.md, "fork", "execve", "wait4"):
//! busybox `sh` scripts with pipelines, command substitution, subshells
//! and external commands, differentially against the same busybox on the
//! build machine; the attacker's view of fork; fork and exec costs.

use rampart_tests::{disk, run_batch};

/// Debugging aid: runs a script and prints what the guest printed.
#[test]
#[ignore]
fn smoke() {
    let script =
        std::env::var("SMOKE").unwrap_or_else(|_| "busybox sh -c 'echo $(busybox echo hi)'; echo st=$?\n".into());
    let (out, code) = run_batch(&disk("linux-proc-smoke"), &script);
    println!("{out}\ncode={code}");
}
