//! The system's authority against its policy (docs/assurance.md §8): the
//! full system as `images run` boots it — `-M pc`, init, rm, secsrv,
//! connsrv, devmgr with its block, network and serial drivers, the console,
//! the file server on the virtio-blk root disk, the network server, the
//! login session and its shell — under the default
//! policy, with the auditor started by `init.audit=sh`. Once the shell
//! waits at its prompt (the auditor runs at the lowest priority, so only
//! when every other thread is blocked), it dumps the kernel's capability
//! graph and checks every channel against the policy's `service connect`
//! rules, every control edge against the short trusted list, and that no
//! endpoint can be received on by two tasks. A second
//! boot plants one channel the policy does not allow (`init.audit.plant=1`:
//! login gets a send capability to the security server's endpoint), which
//! the auditor must report.

use images::devices::net_args;
use images::qemu::QemuConfig;
use rampart_tests::{PROMPT, boot, disk};
use std::time::Duration;

const T: Duration = Duration::from_secs(120);

fn audited(name: &str, extra_cmdline: &str) -> String {
    let cfg = QemuConfig {
        cmdline: format!("init.first=login init.audit=sh {extra_cmdline}").trim().to_string(),
        // The auditor is a test program: its report goes to the kernel log,
        // which the test kernel echoes.
        test_kernel: true,
        disk: Some(disk(name)),
        extra: net_args(&[]),
        ..Default::default()
    };
    let mut s = boot(&cfg);
    // The summary, then the verdict line; the shell's prompt came first
    // (the auditor waits for the shell to be idle) or comes soon.
    let mut r =
        s.expect("capaudit: summary: ", T).and_then(|_| s.expect("\ncapaudit: ", T)).and_then(|_| s.expect("\n", T));
    if r.is_ok() && !s.output().contains(PROMPT) {
        r = s.expect(PROMPT, T);
    }
    s.kill();
    let out = s.output();
    r.unwrap_or_else(|e| panic!("no prompt or no audit result: {e:#}\n{out}"));
    println!("{name}: {:.2} s", s.elapsed().as_secs_f64());
    for l in out.lines().filter(|l| l.contains("capaudit: ")) {
        println!("{l}");
    }
    out
}

fn summary(out: &str) -> &str {
    out.lines()
        .find_map(|l| l.split_once("capaudit: summary: ").map(|x| x.1))
        .unwrap_or_else(|| panic!("no summary:\n{out}"))
}

/// The number just before `what` in the summary line.
fn count(summary: &str, what: &str) -> u64 {
    let i = summary.find(what).unwrap_or_else(|| panic!("{what:?} not in {summary}"));
    let n = summary[..i].rsplit([' ', '(']).next().and_then(|n| n.parse().ok());
    n.unwrap_or_else(|| panic!("no number before {what:?} in {summary}"))
}

fn edge(out: &str, holder: &str, receiver: &str) -> bool {
    out.lines().any(|l| {
        l.contains("capaudit: ok   channel ")
            && l.contains(&format!("channel {holder}["))
            && l.contains(&format!("-> {receiver}["))
    })
}

#[test]
fn full_system_authority_is_within_the_default_policy() {
    let out = audited("capaudit-full", "");
    let s = summary(&out);
    assert!(out.contains("capaudit: PASS"), "{out}");
    assert_eq!(count(s, " violations, "), 0, "{s}");
    assert_eq!(count(s, " undecided"), 0, "{s}");
    assert_eq!(count(s, " unidentified threads"), 0, "{s}");
    // Every component of the boot is a subject, and the graph is not
    // trivially small.
    for who in [
        "init",
        "rm",
        "secsrv",
        "connsrv",
        "console",
        "fs",
        "devmgr",
        "blkdrv",
        "netdrv",
        "serialdrv",
        "net",
        "login",
        "/bin/sh",
        "capaudit",
    ] {
        assert!(out.contains(&format!(" {who}[")), "{who} missing from the audit:\n{out}");
    }
    assert!(count(s, " edges checked") >= 40, "{s}");
    assert!(count(s, " allowed by policy") >= 30, "{s}");
    // The channels a login session needs, each granted by the policy.
    for (h, r) in [("/bin/sh", "console"), ("/bin/sh", "rm"), ("login", "fs"), ("login", "connsrv"), ("fs", "secsrv")] {
        assert!(edge(&out, h, r), "no allowed channel {h} -> {r}:\n{out}");
    }
    // No endpoint has two receivers: in particular connsrv keeps only
    // send-only copies of service endpoints (before issue 19 it could
    // receive on secsrv's, the console's, fs's and net's).
    assert!(!out.contains("VIOLATION receive endpoint"), "{out}");
    // After boot init keeps no receive right on another task's endpoint:
    // no channel ends at init (only fault edges, from rm).
    assert!(
        !out.lines().any(|l| l.contains("capaudit: ") && l.contains(" channel ") && l.contains("-> init[")),
        "{out}"
    );
}

#[test]
fn a_planted_channel_is_reported() {
    let out = audited("capaudit-plant", "init.audit.plant=1");
    let s = summary(&out);
    assert!(out.contains("capaudit: FAIL"), "{out}");
    assert_eq!(count(s, " violations, "), 1, "{s}");
    let v: Vec<&str> = out.lines().filter(|l| l.contains("capaudit: VIOLATION")).collect();
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].contains("channel login[")
            && v[0].contains("(user_u:user_r:user_t) -> secsrv[")
            && v[0].contains("rights W badges [0xbad]"),
        "{}",
        v[0]
    );
}
