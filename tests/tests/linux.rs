//! The Linux personality (docs/linux-abi.md): Debian's unmodified
//! `busybox-static` on Rampart, differentially against the very same binary
//! run on the build machine.
//!
//! Every case is a shell command line using busybox applets (by
//! `busybox APPLET`, or through the applet links in `/bin`), alone, in
//! pipelines with Rampart's native programs, and with its exit status. The
//! guest runs them typed one by one at the shell of one boot (a batch
//! script travels as one `sh -c` argument, which must fit in one message);
//! the host runs each with `sh -c`, the extracted busybox first on
//! `PATH`. Standard output and standard error (merged, as the terminal
//! shows them) and the status of each case must be equal.

use rampart_tests::{differential, disk, run_batch, session_config};
use std::time::Duration;

const T: Duration = Duration::from_secs(60);

/// The command lines. Each must behave the same on a Linux host.
const CASES: &[&str] = &[
    "busybox echo hello world",
    "busybox echo -n abc; echo",
    "busybox printf '%s-%d\\n' a 5",
    "busybox printf '%x %o\\n' 255 8",
    "echo 'b a' | busybox tr ' ' '\\n'",
    "echo Hello | busybox tr a-z A-Z",
    "echo hello | busybox sed 's/l/L/g'",
    "printf 'l1\\nl2\\nl3\\n' | busybox sed -n 2p",
    "printf 'a 1\\nb 2\\n' | busybox awk '{print $2, $1}'",
    "printf '5\\n10\\n' | busybox awk '{s += $1} END {print s}'",
    "echo a,b,c | busybox awk -F, '{print NF}'",
    "echo x y z | busybox awk '{print toupper($3)}'",
    "printf '3\\n1\\n2\\n' | busybox sort",
    "printf 'b\\na\\nc\\n' | busybox sort -r",
    "printf 'a\\na\\nb\\n' | busybox uniq",
    "printf 'a\\na\\nb\\n' | busybox uniq -c",
    "echo a:b:c | busybox cut -d: -f2",
    "echo abcdef | busybox cut -c 2-4",
    "printf '1\\n2\\n3\\n4\\n' | busybox head -n 2",
    "printf '1\\n2\\n3\\n4\\n' | busybox tail -n 2",
    "printf 'a b\\nc\\n' | busybox wc",
    "busybox echo one two three | busybox wc -w",
    "busybox seq 1 5",
    "busybox seq -s , 1 10",
    "busybox expr 3 + 4",
    "busybox expr length hello",
    "echo abc | busybox md5sum",
    "echo abc | busybox sha256sum",
    "echo AB | busybox od -c",
    "echo hello | busybox rev",
    "printf 'a\\nb\\n' | busybox nl",
    "printf 'a\\nb\\n' | busybox paste -s -d,",
    "busybox basename /usr/lib/x.txt .txt",
    "busybox dirname /usr/lib/x.txt",
    "printf 'x\\ny\\nx\\n' | busybox grep -c x",
    "printf 'abc\\n' | busybox fold -w 1",
    "printf '1\\n2\\n3\\n' | busybox tac",
    "busybox factor 12",
    "echo hi | busybox base64",
    "echo b a | busybox tr ' ' '\\n' | sort | busybox sed 's/a/x/'",
    "printf 'pear\\napple\\nfig\\n' | busybox sort | grep p",
    "echo data > /tmp/lx1; busybox cat /tmp/lx1",
    "echo hello > /tmp/lx2; busybox wc -c /tmp/lx2",
    "busybox cmp /tmp/lx1 /tmp/lx1; echo $?",
    "busybox cmp /tmp/lx1 /tmp/lx2 >/dev/null; echo $?",
    "busybox true; echo $?",
    "busybox false; echo $?",
    "echo abc | busybox grep zzz; echo $?",
    "echo abc | sed s/b/B/",
    "awk 'BEGIN { print 1 + 2 }'",
    "printf 'b\\nc\\n' > /tmp/lx3; printf 'a\\nc\\n' | diff /tmp/lx3 - >/dev/null; echo $?",
    "printf 'a\\tb\\n' | expand | busybox od -c",
    "echo hello | sha1sum",
    "printf 'abc' | base64 | base64 -d; echo",
    "busybox mkdir /tmp/lxd; busybox ls /tmp/lxd; busybox rmdir /tmp/lxd; echo $?",
    "busybox ls /nonexistent-lx 2>&1; echo $?",
    "busybox sleep 0.01; echo slept $?",
    "echo hello > /tmp/lx4; busybox truncate -s 2 /tmp/lx4; busybox cat /tmp/lx4; echo",
];

#[test]
fn busybox_matches_the_host() {
    differential::busybox_matches_the_host(&tempfile_dir(), "linux-busybox", CASES, T, "linux differential");
}

#[test]
fn busybox_is_denied_what_native_programs_are() {
    // The policy's example (README): user_t may not read the compiled
    // policy. busybox cat, run through the personality in the caller's
    // context, gets the same refusal as native cat.
    let script = "busybox cat /etc/policy/policy.bin; echo \"bb=$?\"\ncat /etc/policy/policy.bin; echo \"native=$?\"\n";
    let (out, _) = run_batch(&disk("linux-mac"), script);
    let out = out.replace('\r', "");
    assert!(out.contains("cat: can't open '/etc/policy/policy.bin': Permission denied"), "{out}");
    assert!(out.contains("bb=1"), "{out}");
    assert!(out.contains("native=1"), "{out}");
}

/// `getppid` round trip through the personality, in instructions
/// (`-icount shift=0`: the guest TSC counts instructions). Prints the
/// figure; asserts only that it is plausible (targets in
/// docs/performance.md).
#[test]
fn getppid_round_trip_benchmark() {
    let d = disk("linux-bench");
    let mut cfg = session_config(&d, true);
    cfg.icount = true;
    let (out, code) = rampart_tests::run_batch_with(&cfg, "linux --bench-getppid");
    let out = out.replace('\r', "");
    let line = out.lines().find(|l| l.starts_with("linux-bench: getppid")).unwrap_or_else(|| panic!("{out}"));
    println!("{line}");
    let median = rampart_tests::harness::number_after(line, "median=").expect("median");
    assert_eq!(code, 0, "{out}");
    assert!((100..100_000).contains(&median), "{line}");
}

/// 100,000 random Linux system calls with hostile arguments from code
/// outside the shim (`linux --fuzz`): the process survives every one with
/// an error code or a result, and the system keeps serving (native and
/// Linux programs run afterwards).
#[test]
fn syscall_fuzz_100k() {
    let script =
        "linux --fuzz 100000 12345; echo fuzz=$?\nls / > /dev/null; echo native=$?\nbusybox echo linux still runs\n";
    let (out, code) = run_batch(&disk("linux-fuzz"), script);
    let out = out.replace('\r', "");
    let line = out.lines().find(|l| l.starts_with("linux-fuzz:")).unwrap_or_else(|| panic!("{out}"));
    println!("{line}");
    let calls = rampart_tests::harness::number_after(line, "linux-fuzz:").expect("count");
    assert!(calls >= 100_000, "{line}");
    assert!(out.contains("fuzz=0") && out.contains("native=0") && out.contains("linux still runs"), "{out}");
    assert_eq!(code, 0, "{out}");
}

/// Debugging aid (ignored): prints the personality's trace of a few
/// commands (`cargo test --test linux trace -- --ignored --nocapture`).
#[test]
#[ignore]
fn trace() {
    let script = "echo data > /tmp/lx1; LINUX_TRACE=1 busybox cat /tmp/lx1\nLINUX_TRACE=1 busybox sh -c 'exit 3' 2>&1 | tail -n 25\n";
    let (out, _) = run_batch(&disk("linux-trace"), script);
    println!("{out}");
}

/// The audit trail: the administrator sees the same AVC denial for
/// busybox `cat` as for native `cat` of a `secret_t` file (same subject,
/// object, class and permission; records normalised for the serial number,
/// time and process identity).
#[test]
fn busybox_denials_are_audited_like_native_ones() {
    let d = disk("linux-audit");
    let mut cfg = session_config(&d, true);
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    let script = "busybox cat /secret/plans; echo bb=$?\nausearch -d -t secret_t\necho @@@\ncat /secret/plans; echo native=$?\nausearch -d -t secret_t\n";
    let (out, _) = rampart_tests::run_batch_with(&cfg, script);
    let out = out.replace('\r', "");
    assert!(out.contains("cat: can't open '/secret/plans': Permission denied") && out.contains("bb=1"), "{out}");
    assert!(out.contains("native=1"), "{out}");
    let (first, second) = out.split_once("@@@").expect("marker");
    let avc = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("type=AVC") && l.contains("secret_t"))
            .map(|l| {
                l.split_whitespace()
                    .filter(|w| {
                        !w.starts_with("msg=audit(")
                            && !w.starts_with("pid=")
                            && !w.starts_with("comm=")
                            && !w.starts_with("exe=")
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let (bb, both) = (avc(first), avc(second));
    assert!(!bb.is_empty(), "busybox's denial is in the audit trail:\n{out}");
    let native: Vec<_> = both[bb.len()..].to_vec();
    assert!(!native.is_empty(), "native cat's denial is in the audit trail:\n{out}");
    assert_eq!(bb.last(), native.last(), "same record for the same denial:\n{out}");
}

/// Issue 19 (exec TOCTOU): a Linux program runs from the file the file
/// server checked, never from its path read again. libos's spawn hands the
/// shim the checked `EXEC` handle as a descriptor (`linux -F FD PATH`) and
/// the shim loads that descriptor: started by hand with `-F 3` and a path
/// that does not exist, it runs the program open on descriptor 3 (before,
/// it opened the path and failed with status 127), and the descriptor is
/// not left to the program. Spawns from the shell, from a Linux program
/// (`execve` through the shim) and of a `#!` script (read once, from the
/// handle checked) still run, and a file without the execute bit is still
/// refused.
#[test]
fn linux_programs_run_from_the_checked_file_not_the_path() {
    // In the user's home: the shipped policy lets users run programs there
    // (not in /tmp, `user_exec_tmp`).
    let script = "cd; cp /bin/busybox busybox; chmod 755 busybox\n\
                  linux -0 echo -F 3 /tmp/no-such-file from-fd 3< busybox; echo fd=$?\n\
                  linux -0 sh -F 3 /tmp/no-such-file -c 'read x <&3; echo rd=$?' 3< busybox\n\
                  ./busybox echo via-spawn; echo spawn=$?\n\
                  echo \"#!$PWD/busybox sh\" > s.sh; echo 'echo script-ran' >> s.sh; chmod 755 s.sh\n\
                  ./busybox sh -c './busybox echo via-execve; ./s.sh'; echo execve=$?\n\
                  cp /bin/busybox noexec; chmod 644 noexec\n\
                  ./busybox sh -c ./noexec; echo noexec=$?\n";
    let (out, code) = run_batch(&disk("linux-exec-fd"), script);
    let out = out.replace('\r', "");
    println!("{out}");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("from-fd\nfd=0"), "the shim did not load descriptor 3:\n{out}");
    assert!(out.contains("via-spawn\nspawn=0"), "{out}");
    assert!(out.contains("via-execve") && out.contains("script-ran") && out.contains("execve=0"), "{out}");
    assert!(out.contains("noexec=126"), "{out}");
    assert!(out.contains("rd=1") && !out.contains("rd=0"), "the program inherited descriptor 3:\n{out}");
}

/// The attacker's race on exec (issue 19): a user swaps, in a tight loop,
/// which file the name `busybox` denotes: an executable busybox, or a
/// non-executable script (mode 644) whose `#!` line would print
/// `INJECTED` (each swap an atomic rename of a hard link over the name;
/// a rename onto a link of the same file does nothing, as POSIX says, so
/// each file has its own temporary name).
/// Meanwhile `./busybox echo ran` runs 60 times. Each run either starts
/// the file checked at that moment or fails (a non-executable file); the
/// script is never executed, whatever
/// the timing: the file server checks the open `EXEC` handle and the shim
/// loads that same handle. (Before, the shim reopened the path after
/// the check, so a swap in that window ran the non-executable script.)
#[test]
fn renaming_the_program_during_exec_never_runs_the_unchecked_file() {
    let script = "cd; cp /bin/busybox good; chmod 755 good\n\
                  echo '#!/bin/busybox sh' > bad; echo 'echo INJECTED' >> bad; chmod 644 bad\n\
                  ln good busybox; (while :; do ln good tg; mv tg busybox; ln bad tb; mv tb busybox; done) 2>/dev/null &\n\
                  i=0; ok=0; while [ $i -lt 60 ]; do ./busybox echo ran >> log 2>&1 && ok=$((ok+1)); i=$((i+1)); done\n\
                  kill $!\n\
                  echo ok=$ok\n\
                  sort log | uniq -c\n\
                  grep -c INJECTED log; grep -c '^ran$' log\n";
    let (out, code) = run_batch(&disk("linux-exec-race"), script);
    let out = out.replace('\r', "");
    println!("{out}");
    assert_eq!(code, 0, "{out}");
    let counts: Vec<u32> = out.lines().filter_map(|l| l.trim().parse().ok()).collect();
    assert!(counts.len() >= 2, "{out}");
    let (injected, ran) = (counts[counts.len() - 2], counts[counts.len() - 1]);
    assert_eq!(injected, 0, "the non-executable script ran:\n{out}");
    assert!(ran > 0, "the checked program never ran:\n{out}");
    assert!(out.contains("Permission denied"), "the swap never had the script under the name:\n{out}");
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("rampart-linux-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
