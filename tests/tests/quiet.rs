//! The quiet console (docs/console.md, "System messages"): a boot without
//! `loglevel=` (what `images run` boots) shows the kernel's banner and the
//! session, no server lines and no AVC denials; the messages are in the
//! kernel log (`dmesg`, for the administrator) and the denials in the
//! security server's audit trail (`ausearch`, for the administrator), and
//! `syslogd` copies the log to `/var/log/messages`; users get "Operation
//! not permitted" / "Permission denied" from all three.

use images::batch::{READY, typed};
use images::qemu::{LOGLEVEL_VERBOSE, QemuConfig, guest_exit_code};
use rampart_tests::{boot, disk, session_config};
use std::time::Duration;

/// Runs `script` in a batch session of `cfg`; returns what the console
/// showed up to login's marker (the boot), what it showed after (the
/// session) and the session's status.
fn session(cfg: &QemuConfig, script: &str) -> (String, String, i32) {
    let mut s = boot(cfg);
    s.expect(READY, Duration::from_secs(120)).unwrap_or_else(|e| panic!("{e:#}"));
    s.send(&typed(script)).expect("typing the script");
    let st = s.wait_exit(Duration::from_secs(300)).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    let (boot, after) = out.split_once(READY).unwrap_or_else(|| panic!("{out}"));
    (boot.to_string(), after.to_string(), guest_exit_code(st).map_or(-1, |c| c as i32))
}

/// Lines of `out` a system component wrote (`name: ...`).
fn server_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| {
            ["secsrv:", "netdrv:", "init:", "rm:", "fs:", "net:", "connsrv:", "devmgr:", "console:", "blkdrv:"]
                .iter()
                .any(|p| l.trim_start().starts_with(p))
        })
        .collect()
}

const BANNER: &str = concat!("Rampart ", env!("CARGO_PKG_VERSION"), " \u{2014} booting...");

#[test]
fn user_sees_only_the_listing_and_may_not_read_the_logs() {
    let d = disk("quiet-user");
    let cfg = QemuConfig { loglevel: None, ..session_config(&d, true) };
    let (boot, out, code) = session(
        &cfg,
        "ls -la /\necho ls=$?\ndmesg\necho dmesg=$?\nausearch -m avc -ts recent\necho ausearch=$?\ncat /var/log/messages\necho end\n",
    );
    assert!(boot.contains(BANNER), "banner missing:\n{boot}");
    assert!(server_lines(&boot).is_empty(), "server lines on a quiet console:\n{boot}");
    assert!(!boot.contains("Rampart microkernel"), "{boot}");
    assert_eq!(code, 0, "{out}");
    // The listing and ls's own errors, nothing else before its status.
    let listing = out.split("ls=").next().unwrap_or("");
    for want in ["ls: cannot access '/secret': Permission denied", "bin", "etc", "tmp"] {
        assert!(listing.contains(want), "{want:?} missing:\n{out}");
    }
    for l in listing.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let ok = l.starts_with("ls: ")
            || l.starts_with("total ")
            || l.starts_with('d')
            || l.starts_with('-')
            || l.starts_with('l');
        assert!(ok, "not a listing line: {l:?}\n{out}");
    }
    assert!(!out.contains("avc:"), "denials on the user's terminal:\n{out}");
    assert!(out.contains("dmesg: read kernel buffer failed: Operation not permitted"), "{out}");
    assert!(out.contains("dmesg=1"), "{out}");
    assert!(out.contains("ausearch: ") && out.contains("Permission denied") && out.contains("ausearch=1"), "{out}");
    assert!(out.contains("cat: /var/log/messages: Permission denied"), "{out}");
    let _ = std::fs::remove_file(&d);
}

#[test]
fn administrator_finds_messages_in_dmesg_and_denials_with_ausearch() {
    let d = disk("quiet-admin");
    let mut cfg = QemuConfig { loglevel: None, ..session_config(&d, true) };
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    let script = "\
        ls -la /\n\
        echo ls=$?\n\
        dmesg | grep -c 'secsrv: loaded policy'\n\
        dmesg -l debug | grep 'avc: denied' | grep -c secret_t\n\
        dmesg -r | grep -c '^<6>init: '\n\
        grep -c 'secsrv: loaded policy' /var/log/messages\n\
        ausearch -m avc -ts recent -t secret_t --raw\n\
        ausearch -m avc -t secret_t | grep -c '^----'\n";
    let (boot, out, code) = session(&cfg, script);
    assert_eq!(code, 0, "{out}");
    assert!(boot.contains(BANNER) && server_lines(&boot).is_empty(), "{boot}");
    let (listing, rest) = out.split_once("ls=").unwrap_or_else(|| panic!("{out}"));
    assert!(listing.contains("ls: cannot access '/secret': Permission denied"), "{out}");
    assert!(!listing.contains("avc:"), "denials on the terminal:\n{out}");
    assert!(server_lines(&out).is_empty(), "server lines on a quiet console:\n{out}");
    let mut lines = rest.lines().skip(1).map(str::trim);
    // dmesg has the servers' lines, the file server's denial at debug
    // level, and keeps levels with -r.
    // syslogd copied the log to /var/log/messages.
    for what in ["secsrv line", "debug denial", "raw init line", "secsrv line in /var/log/messages"] {
        let n: u32 = lines.next().and_then(|l| l.parse().ok()).unwrap_or_else(|| panic!("{what}: {out}"));
        assert!(n >= 1, "{what}: {out}");
    }
    // The denial of `ls` is in the audit trail, in auditd's format.
    let avc = lines.next().unwrap_or_else(|| panic!("{out}"));
    assert!(avc.starts_with("type=AVC msg=audit(17672"), "{avc}\n{out}");
    assert!(avc.contains("): avc:  denied  { getattr } for  pid="), "{avc}\n{out}");
    assert!(
        avc.contains("scontext=root:sysadm_r:sysadm_t tcontext=system_u:object_r:secret_t tclass=dir permissive=0"),
        "{avc}\n{out}"
    );
    assert!(out.contains("by=system_u:system_r:fs_t"), "{out}");
    let _ = std::fs::remove_file(&d);
}

/// `images run --verbose` (`loglevel=7`): the servers' lines are on the
/// console as before, the AVC denials (debug) are not.
#[test]
fn verbose_shows_server_lines_but_not_denials() {
    let d = disk("quiet-verbose");
    let cfg = QemuConfig { loglevel: Some(LOGLEVEL_VERBOSE), ..session_config(&d, true) };
    let (boot, after, code) = session(&cfg, "ls -la /\necho done\n");
    assert_eq!(code, 0, "{after}");
    let out = boot + &after;
    for want in
        ["Rampart microkernel", "secsrv: loaded policy", "init: security server up", "ls: cannot access '/secret'"]
    {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
    assert!(!out.contains("avc: denied"), "debug records on a loglevel=7 console:\n{out}");
    let _ = std::fs::remove_file(&d);
}
