//! The everyday programs and policy tools (`/bin/coreutils`, one symbolic
//! link per name) on the ext4 root, driven through the serial console: one
//! interactive boot as the ordinary user (files, text, processes, the
//! editor typed key by key, denials), one batch boot as the administrator
//! (enforcement, the audit trail, `runcon`, `poweroff`), and one short
//! batch boot in which the administrator's `reboot` resets the machine.

use images::qemu::{Session, guest_exit_code};
use rampart_tests::harness::type_line;
use rampart_tests::{PROMPT, boot, disk, session_config};
use std::time::Duration;

const T: Duration = Duration::from_secs(60);

/// Types `line`, waits for its echo, then for each of `want` in order, then
/// for the prompt; returns what was printed.
fn run(s: &mut Session, line: &str, want: &[&str]) -> String {
    type_line(s, PROMPT, line, want)
}

/// `sha256sum` of `data` as the host's own `sha256sum` prints it.
fn host_sha256(data: &str) -> String {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut c = Command::new("sha256sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("sha256sum");
    c.stdin.take().unwrap().write_all(data.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim_end().to_string()
}

#[test]
fn user_session() {
    let d = disk("coreutils-user");
    let mut s = boot(&session_config(&d, false));
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("no prompt: {e:#}"));

    // ls: long format with owners and sizes, contexts, a symbolic link.
    run(&mut s, "ls -l", &["total ", "hello.link -> hello.txt", "-rw-r--r-- 1 user user 38 ", "hello.txt"]);
    run(&mut s, "ls -Z hello.txt", &["user_u:object_r:user_home_t hello.txt"]);
    run(&mut s, "ls -a", &[".", "..", "hello.txt"]);
    // mkdir -p, cp -r, mv, find, rm -r.
    run(&mut s, "mkdir -p a/b/c && echo deep > a/b/c/f", &[]);
    run(&mut s, "cp -r a copy && mv copy moved", &[]);
    run(&mut s, "find moved -type f", &["moved/b/c/f"]);
    run(&mut s, "find . -name 'f*' -type f | sort", &["./a/b/c/f", "./moved/b/c/f"]);
    run(&mut s, "cat moved/b/c/f", &["deep"]);
    run(&mut s, "rm -r a moved; ls -d a moved", &["cannot access 'a': No such file", "cannot access 'moved'"]);
    run(&mut s, "rm -r /; echo st=$?", &["dangerous to operate recursively", "st=1"]);
    // head, tail, wc, grep, sort | uniq.
    run(&mut s, "head -n 1 /etc/passwd", &["root:x:0:0:"]);
    run(&mut s, "tail -n 1 /etc/passwd", &["user:x:1000:1000:"]);
    run(&mut s, "wc -l /etc/passwd", &["2 /etc/passwd"]);
    run(&mut s, "grep -n user /etc/passwd", &["2:user:x:1000"]);
    run(&mut s, "grep -c nobody /etc/passwd; echo st=$?", &["0", "st=1"]);
    run(&mut s, "printf 'b\\na\\nb\\n' | sort | uniq -c", &["      1 a", "      2 b"]);
    // stat, df, hexdump.
    run(&mut s, "stat -c '%n %s %A %C' hello.txt", &["hello.txt 38 -rw-r--r-- user_u:object_r:user_home_t"]);
    run(&mut s, "stat hello.txt", &["  File: hello.txt", "regular file", "Context: user_u:object_r:user_home_t"]);
    run(&mut s, "df", &["Filesystem", "1K-blocks", "/dev/blk0", "% /"]);
    run(&mut s, "hexdump -C /etc/hostname", &["00000000  72 61 6d 70 61 72 74 0a", "|rampart.|"]);
    // Processes and contexts: ps -Z, id -Z, kill of a background job.
    run(&mut s, "ps -Z", &["LABEL", "user_u:user_r:user_t", "/bin/sh", "ps"]);
    run(&mut s, "id -Z", &["user_u:user_r:user_t"]);
    run(&mut s, "id", &["uid=1000(user) gid=1000(user)", "context=user_u:user_r:user_t"]);
    run(&mut s, "sleep 100 &", &["[1]"]);
    run(&mut s, "kill $!; wait $!; echo st=$?", &["st=143"]);
    run(&mut s, "kill -l 143; kill -l | head -n 1", &["TERM", " 1) SIGHUP"]);
    run(&mut s, "sleep 100 & kill -s KILL $!; wait $!; echo st=$?", &["st=137"]);
    // The editor: a new file typed key by key, edited with the arrow keys
    // and Delete, saved and read back.
    s.send("edit notes.txt\r").unwrap();
    s.expect("new file", T).unwrap_or_else(|e| panic!("the editor did not start: {e:#}"));
    s.send("hello wrld\rsecond line").unwrap();
    s.expect("line 2/2, col 12", T).unwrap_or_else(|e| panic!("typing: {e:#}"));
    // Up, End, Left three times, insert the missing 'o'; Down, Home, Delete
    // the 's', type 'S'.
    s.send("\x1b[A\x1b[F\x1b[D\x1b[D\x1b[Do\x1b[B\x1b[H\x1b[3~S").unwrap();
    s.expect("line 2/2, col 2", T).unwrap_or_else(|e| panic!("editing: {e:#}"));
    s.send("\x13").unwrap();
    s.expect("bytes written", T).unwrap_or_else(|e| panic!("saving: {e:#}"));
    s.send("\x11").unwrap();
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("quitting: {e:#}"));
    run(&mut s, "cat notes.txt", &["hello world\r\nSecond line\r\n"]);
    run(&mut s, "wc -c notes.txt", &["24 notes.txt"]);
    // The text tools, checksums and system information (issue 20).
    run(&mut s, "printf 'a b\\n' | tr ' ' '\\n' | sort", &["a\r\nb\r\n"]);
    run(&mut s, "seq 3 | xargs -n1 echo", &["1\r\n2\r\n3\r\n"]);
    run(&mut s, "cut -d: -f1,7 /etc/passwd", &["root:/bin/sh\r\nuser:/bin/sh"]);
    run(&mut s, "echo abc | sha256sum", &[&host_sha256("abc\n")]);
    run(
        &mut s,
        "echo abc > f; md5sum f > f.md5; md5sum -c f.md5; echo x >> f; md5sum -c f.md5; echo st=$?",
        &["f: OK", "f: FAILED", "WARNING: 1 computed checksum did NOT match", "st=1"],
    );
    run(&mut s, "yes | head -n 2", &["y\r\ny\r\n"]);
    run(&mut s, "whoami; hostname; which ls", &["user\r\nrampart\r\n/bin/ls"]);
    run(&mut s, "uptime; free", &[" up ", "total", "Mem:"]);
    run(&mut s, "mount", &["/dev/blk0 on / type ext4"]);
    // Denials for the ordinary user: the secret directory, the security
    // server (only administrators and policy tools may connect).
    run(&mut s, "ls /secret", &["ls: cannot access '/secret': Permission denied"]);
    run(&mut s, "getenforce", &["getenforce: cannot reach the security server: Permission denied"]);
    run(&mut s, "poweroff", &["poweroff: cannot stop the machine: Permission denied"]);
    run(&mut s, "reboot", &["reboot: cannot stop the machine: Permission denied"]);
    s.send("exit 0\r").unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(st), Some(0), "{}", s.output());
}

#[test]
fn administrator_session() {
    let d = disk("coreutils-admin");
    let mut cfg = session_config(&d, true);
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    // rm's "power off requested" line is written to the kernel log just
    // before the machine stops, too late for the console to show it: the
    // test kernel echoes it as it is written.
    cfg.test_kernel = true;
    let mut s = boot(&cfg);
    s.expect(images::batch::READY, T).unwrap_or_else(|e| panic!("{e:#}"));
    let script = "\
        id -Z\n\
        getenforce\n\
        setenforce 0; getenforce; setenforce 1; getenforce\n\
        getsebool -a\n\
        setsebool user_exec_tmp on; getsebool user_exec_tmp no_such_bool; echo getsebool=$?\n\
        cat /secret/plans\n\
        ausearch -d -t secret_t\n\
        ps -eZ\n\
        runcon -t user_t id -Z; echo runcon=$?\n\
        poweroff\n\
        echo not reached\n";
    s.send(&images::batch::typed(script)).unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    let out = out.split_once(images::batch::READY).map_or(out.as_str(), |(_, a)| a).to_string();
    assert_eq!(guest_exit_code(st), Some(0), "poweroff stops the machine:\n{out}");
    let mut rest = out.as_str();
    for want in [
        "root:sysadm_r:sysadm_t",
        "Enforcing",
        "Permissive",
        "Enforcing",
        "allow_user_network --> on",
        "user_exec_tmp --> off",
        "user_exec_tmp --> on",
        "getsebool: Error getting active value for no_such_bool",
        "getsebool=1",
        "cat: /secret/plans: Permission denied",
        // The audit reader shows the file server's denial from the trail,
        // in auditd's format, with its time and the subject's pid.
        "type=AVC msg=audit(17672",
        "avc:  denied  { search } for  pid=",
        "scontext=root:sysadm_r:sysadm_t tcontext=system_u:object_r:secret_t tclass=dir permissive=0",
        "by=system_u:system_r:fs_t",
        // Every process, with its context.
        "LABEL",
        "system_u:system_r:secsrv_t",
        "system_u:system_r:fs_t",
        "root:sysadm_r:sysadm_t",
        // The policy has no transition from sysadm_t to user_t.
        "runcon: 'id' in 'root:sysadm_r:user_t': Permission denied",
        "runcon=126",
        "rm: power off requested by pid",
    ] {
        let i = rest.find(want).unwrap_or_else(|| panic!("{want:?} missing (in order) from:\n{out}"));
        rest = &rest[i + want.len()..];
    }
    assert!(!out.contains("not reached"), "{out}");
}

/// The administrator's `reboot` resets the machine through the reset
/// register rm holds (docs/resource-manager.md, "Power"): the runner's QEMU
/// (`-no-reboot`) then exits with status 0, which `isa-debug-exit` never
/// produces (its statuses are odd), and nothing after `reboot` runs.
#[test]
fn administrator_reboot_resets_the_machine() {
    let d = disk("coreutils-reboot");
    let mut cfg = session_config(&d, true);
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    // As in `administrator_session`: the test kernel shows rm's last line.
    cfg.test_kernel = true;
    let mut s = boot(&cfg);
    s.expect(images::batch::READY, T).unwrap_or_else(|e| panic!("{e:#}"));
    s.send(&images::batch::typed("reboot\necho not reached\n")).unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    assert_eq!(st, 0, "a reset, not a power-off through isa-debug-exit:\n{out}");
    assert!(out.contains("rm: reboot requested by pid"), "{out}");
    let after = out.split_once(images::batch::READY).map_or(out.as_str(), |(_, a)| a);
    assert!(!after.contains("not reached"), "{out}");
}
