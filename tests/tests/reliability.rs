//! Reliability drills of issue 21 (docs/reliability.md), each a finding
//! an operator or an ordinary user made on the running system, replayed
//! here so that it stays fixed:
//!
//! - `pipelined_gets_do_not_crash_httpd`: 200 `GET`s in one TCP write
//!   from the host all get their answer, and httpd still serves after.
//! - `a_user_filling_the_disk_gets_enospc_and_root_still_writes`: a user
//!   fills the root with `cat` appends; every refused write (`cat`, the
//!   shell's `echo` and `printf`, a redirection) fails with "No space left
//!   on device" and a non-zero status, the reserve stays free; in the
//!   next boot the administrator still writes; `e2fsck` finds the image
//!   clean.
//! - `long_arguments_reach_programs_and_past_arg_max_fail_with_e2big`:
//!   a native program and busybox (the Linux personality, also through
//!   its own execve) get arguments of over 100 KiB intact (byte counts,
//!   MD5 of 20,000 numbers), 10,000 arguments too; one string of
//!   `MAX_ARG_STRLEN` (128 KiB) or arguments past `ARG_MAX` (256 KiB)
//!   fail with "Argument list too long" (not "Input/output error"), also
//!   as the first stage of a pipeline, and the shell goes on; the batch
//!   script itself is over 30 KB (`images run -c` types it the same way).
//! - `hundred_concurrent_clients_all_get_answers` (ignored: a
//!   measurement until it passes): 100 connections to httpd opened at
//!   once from the host should all get `200`; then 1,000 requests one
//!   after the other, none failing.
//! - `ln_makes_hard_links_and_users_cannot_pin_shadow`: `ln a b` gives
//!   one file two names (a change through one shows through the other,
//!   removing one keeps the data); a user's `ln /etc/shadow /tmp/sh`
//!   fails with "Operation not permitted" (protected hard links);
//!   `e2fsck` finds the image clean.
//! - `a_corrupt_root_is_named_not_numbered`: a root disk whose
//!   superblock checksum is wrong gets the file server's message with the
//!   error's name and what to do, not `E?(117)`.
//! - `exit_unmounts_the_root_cleanly`: after a session that wrote a file
//!   and exited, the image's superblock says clean, no journal recovery
//!   is needed, `e2fsck -fn` (which does not replay) passes, and the file
//!   is there.

use images::qemu::{QemuConfig, Session, guest_exit_code};
use rampart_tests::harness::in_order;
use rampart_tests::{boot, disk, run_batch, run_batch_with, session_config};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(60);
/// The administrator's prompt.
const ADMIN: &str = "root:sysadm_t:/root$ ";
/// `/var/www/index.html` on the root image.
const INDEX: &[u8] = b"<!doctype html><title>Rampart</title><h1>It works</h1>\n";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An administrator's session on a private copy of the root disk.
fn admin_session(name: &str, extra: Vec<String>) -> Session {
    let d = disk(name);
    let mut cfg: QemuConfig = session_config(&d, false);
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    cfg.extra = extra;
    let mut s = boot(&cfg);
    s.expect(ADMIN, T).unwrap_or_else(|e| panic!("no prompt: {e:#}"));
    s
}

/// Reads HTTP responses from `c` until `n` complete ones (head and
/// `Content-Length` body) arrived, the peer closed, or `T` passed;
/// returns their status codes.
fn read_responses(c: &mut std::net::TcpStream, n: usize) -> Vec<u16> {
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let end = Instant::now() + T;
    let (mut buf, mut codes) = (Vec::new(), Vec::new());
    let mut chunk = [0u8; 16384];
    while codes.len() < n && Instant::now() < end {
        // Take every complete response off the front of `buf`.
        while let Some(h) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..h]).into_owned();
            let len: usize = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                .unwrap_or(0);
            if buf.len() < h + 4 + len {
                break;
            }
            let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
            codes.push(code);
            buf.drain(..h + 4 + len);
        }
        if codes.len() >= n {
            break;
        }
        match c.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break,
        }
    }
    codes
}

/// One `GET /` on a fresh connection: the body, or what went wrong.
fn get_index(port: u16) -> Result<Vec<u8>, String> {
    get_index_within(port, T)
}

/// [`get_index`], waiting up to `patience` for the answer.
fn get_index_within(port: u16, patience: Duration) -> Result<Vec<u8>, String> {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    c.set_read_timeout(Some(patience)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    c.read_to_end(&mut out).map_err(|e| e.to_string())?;
    let h = out.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no head")?;
    if !out.starts_with(b"HTTP/1.1 200") {
        return Err(String::from_utf8_lossy(&out).into_owned());
    }
    Ok(out[h + 4..].to_vec())
}

#[test]
fn pipelined_gets_do_not_crash_httpd() {
    let http = free_port();
    let mut s = admin_session("rel-pipeline", images::devices::net_args(&[format!("tcp:127.0.0.1:{http}-:80")]));
    s.send("httpd &\r").unwrap();
    s.expect("httpd: serving /var/www on port 80", T).unwrap_or_else(|e| panic!("httpd did not start: {e:#}"));
    assert_eq!(get_index(http).as_deref(), Ok(INDEX), "{}", s.output());

    // 200 requests (~7 KB) in one write, keep-alive: 200 answers, in
    // order, none dropped (the server buffers a bounded number and reads
    // the rest as answers drain).
    const N: usize = 200;
    let mut c = std::net::TcpStream::connect(("127.0.0.1", http)).unwrap();
    let reqs = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(N);
    c.write_all(&reqs).unwrap();
    let codes = read_responses(&mut c, N);
    let ok = codes.iter().filter(|&&c| c == 200).count();
    println!("pipelined: {N} requests in one write, {ok} answered 200 ({} answers)", codes.len());
    assert_eq!(ok, N, "codes {codes:?}; console:\n{}", s.output());
    drop(c);

    // Twice more, with the client half-closing after its burst (every
    // answer still comes), then the server still serves new clients.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", http)).unwrap();
    c.write_all(&reqs).unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(read_responses(&mut c, N).len(), N, "{}", s.output());
    assert_eq!(get_index(http).as_deref(), Ok(INDEX), "{}", s.output());

    let out = s.output();
    assert!(!out.contains("faulted") && !out.contains("panicked"), "{out}");
    s.send("exit\r").unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(st), Some(0), "{}", s.output());
}

/// `e2fsck -fn` on a copy of `img` after replaying its journal (what the
/// next mount does); returns (exit code, output).
fn e2fsck_replayed(img: &std::path::Path) -> (i32, String) {
    let copy = img.with_extension("fsck");
    std::fs::copy(img, &copy).unwrap();
    let _ = std::process::Command::new("e2fsck").args(["-E", "journal_only", "-y"]).arg(&copy).output();
    let out = std::process::Command::new("e2fsck").arg("-fn").arg(&copy).output().expect("e2fsck (e2fsprogs)");
    let _ = std::fs::remove_file(&copy);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_user_filling_the_disk_gets_enospc_and_root_still_writes() {
    let d = disk("rel-full");
    let script = "\
i=0; st=0; while [ $i -lt 12 ]; do cat /var/www/10m.bin >> big || { st=$?; break; }; i=$((i+1)); done; echo cat-st=$st i=$i
echo hello > small; echo echo-st=$?
printf more >> big; echo printf-st=$?
echo again >> big && echo not-reached
wc -c small
df /
exit 0";
    let (out, code) = run_batch(&d, script);
    println!("{out}");
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "cat: write error: No space left on device",
            "cat-st=1",
            "sh: echo: write error: No space left on device",
            "echo-st=1",
            "sh: printf: write error: No space left on device",
            "printf-st=1",
            "sh: echo: write error: No space left on device",
        ],
    );
    assert!(!out.contains("not-reached"), "{out}");
    assert!(out.lines().any(|l| l.trim() == "0 small"), "the refused echo left bytes: {out}");
    // df: nothing available to users, but the reserve is still free.
    let l = out.lines().find(|l| l.starts_with("/dev/blk0")).unwrap_or_else(|| panic!("no df line:\n{out}"));
    let f: Vec<u64> = l.split_whitespace().skip(1).take(3).map(|v| v.parse().unwrap()).collect();
    assert_eq!(f[2], 0, "available: {l}");
    assert!(f[0] - f[1] >= 1024, "the user took the reserve: {l}");

    // The administrator, next boot on the same disk, still writes.
    let mut cfg = session_config(&d, true);
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    let (out, code) = run_batch_with(&cfg, "echo admin-note > /root/note; echo st=$?; cat /root/note; exit 0");
    assert_eq!(code, 0, "{out}");
    in_order(&out, &["st=0", "admin-note"]);
    let (code, fsck) = e2fsck_replayed(&d);
    assert_eq!(code, 0, "{fsck}");
    let _ = std::fs::remove_file(&d);
}

/// `dumpe2fs -h` of `img`.
fn superblock(img: &std::path::Path) -> String {
    let out = std::process::Command::new("dumpe2fs").arg("-h").arg(img).output().expect("dumpe2fs (e2fsprogs)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn exit_unmounts_the_root_cleanly() {
    let d = disk("rel-clean");
    let cfg = session_config(&d, true);
    let mut s = boot(&cfg);
    s.expect(images::batch::READY, T).unwrap_or_else(|e| panic!("{e:#}"));
    s.send(&images::batch::typed("echo kept across the power-off > note; exit 0")).unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    assert_eq!(guest_exit_code(st), Some(0), "{out}");
    let sb = superblock(&d);
    let state = sb.lines().find(|l| l.starts_with("Filesystem state:")).unwrap_or_default();
    assert_eq!(state.split(':').nth(1).map(str::trim), Some("clean"), "{sb}\nconsole:\n{out}");
    assert!(!sb.contains("needs_recovery"), "{sb}");
    let out = std::process::Command::new("e2fsck").arg("-fn").arg(&d).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("journal recovery"), "{text}");
    let got = std::process::Command::new("debugfs").args(["-R", "cat /home/user/note"]).arg(&d).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&got.stdout), "kept across the power-off\n");
    let _ = std::fs::remove_file(&d);
}

#[test]
fn long_arguments_reach_programs_and_past_arg_max_fail_with_e2big() {
    let d = disk("rel-args");
    // The script itself is long too (over 900 bytes failed before: login
    // runs it with `sh -c SCRIPT`): 2,000 numbered lines at the end,
    // over 30 KB.
    let mut script = String::from(
        "\
a=$(head -c 131071 /dev/zero | tr '\\0' a)
echo len=${#a}
/bin/echo \"$a\" | wc -c
/bin/echo \"${a}b\" | cat; echo st=$?
x=$(seq 1 20000)
echo xlen=${#x}
/bin/echo \"$x\" | md5sum
seq 1 20000 | md5sum
/bin/echo $(seq 1 10000) | wc -c
busybox echo \"$x\" | wc -c
busybox echo $(seq 1 10000) | wc -c
busybox sh -c '/bin/echo \"$1\" | wc -c' sh \"$x\"
busybox sh -c '/bin/echo \"$1$1\"; echo bst=$?' sh \"$x\"
/bin/echo $(seq 1 20000) | cat; echo st2=$?
/bin/echo short | cat
",
    );
    for i in 0..2000 {
        script.push_str(&format!("echo line-{i:04}\n"));
    }
    script.push_str("exit 0");
    assert!(script.len() > 30_000, "{}", script.len());
    let (out, code) = run_batch(&d, &script);
    assert_eq!(code, 0, "{out}");
    // `seq 1 20000`: 88,894 digits and 19,999 newlines.
    let md5 = out.lines().filter(|l| l.ends_with("  -")).take(2).collect::<Vec<_>>();
    assert_eq!(md5.len(), 2, "{out}");
    assert_eq!(md5[0], md5[1], "the arguments arrived changed: {out}");
    in_order(
        &out,
        &[
            "len=131071",
            "131072",
            "sh: /bin/echo: Argument list too long",
            "st=0",
            "xlen=108893",
            // 10,000 arguments: 38,894 digits, 9,999 spaces, a newline.
            "48894",
            "108894",
            "48894",
            "108894",
            "Argument list too long",
            "bst=",
            "sh: /bin/echo: Argument list too long",
            "st2=0",
            "short",
            "line-0000",
            "line-1000",
            "line-1999",
        ],
    );
    assert!(!out.contains("Input/output error"), "{out}");
    let _ = std::fs::remove_file(&d);
}

#[test]
fn ln_makes_hard_links_and_users_cannot_pin_shadow() {
    let d = disk("rel-ln");
    let script = "\
echo one > a; ln a b; echo ln-st=$?
cat b
echo two >> b; cat a
rm a; echo rm-st=$?
cat b
ln /etc/shadow /tmp/sh; echo shadow-st=$?
ln /etc/passwd /tmp/pw; echo passwd-st=$?
ln /tmp /tmp/dir; echo dir-st=$?
exit 0";
    let (out, code) = run_batch(&d, script);
    assert_eq!(code, 0, "{out}");
    in_order(
        &out,
        &[
            "ln-st=0",
            "rm-st=0",
            "two",
            "ln: failed to create hard link '/tmp/sh' => '/etc/shadow': Operation not permitted",
            "shadow-st=1",
            "ln: failed to create hard link '/tmp/pw' => '/etc/passwd': Operation not permitted",
            "passwd-st=1",
            "dir-st=1",
        ],
    );
    let (code, fsck) = e2fsck_replayed(&d);
    assert_eq!(code, 0, "{fsck}");
    let cat = |p: &str| {
        let o = std::process::Command::new("debugfs").args(["-R", &format!("cat {p}")]).arg(&d).output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(cat("/home/user/b"), "one\ntwo\n");
    assert_eq!(cat("/tmp/sh"), "", "a user linked /etc/shadow");
    let _ = std::fs::remove_file(&d);
}

#[test]
fn a_corrupt_root_is_named_not_numbered() {
    let d = disk("rel-corrupt");
    // One byte of the volume name: the superblock checksum no longer
    // matches (metadata_csum).
    let mut img = std::fs::read(&d).unwrap();
    img[1024 + 0x78] ^= 0xff;
    std::fs::write(&d, &img).unwrap();
    let mut s = boot(&session_config(&d, true));
    let want = "fs: cannot mount the root file system (blk0): Structure needs cleaning (EUCLEAN): \
                the file system is corrupt; check the disk with e2fsck";
    s.expect(want, T).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(!s.output().contains("E?("), "{}", s.output());
    drop(s);
    let _ = std::fs::remove_file(&d);
}

#[test]
#[ignore = "issue 21's listen-backlog drill, not yet passing on a loaded host: 69 of 100 answered with the growing backlog (docs/reliability.md §5)"]
fn hundred_concurrent_clients_all_get_answers() {
    const N: usize = 100;
    let http = free_port();
    let mut s = admin_session("rel-concurrent", images::devices::net_args(&[format!("tcp:127.0.0.1:{http}-:80")]));
    s.send("httpd &\r").unwrap();
    s.expect("httpd: serving /var/www on port 80", T).unwrap_or_else(|e| panic!("httpd did not start: {e:#}"));
    assert_eq!(get_index(http).as_deref(), Ok(INDEX), "{}", s.output());
    let start = std::sync::Arc::new(std::sync::Barrier::new(N));
    let clients: Vec<_> = (0..N)
        .map(|_| {
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                let t = Instant::now();
                // As patient as a client whose SYNs are retransmitted
                // (Linux gives up after about 2 minutes, tcp_syn_retries).
                (get_index_within(http, Duration::from_secs(180)), t.elapsed())
            })
        })
        .collect();
    let timed: Vec<(Result<Vec<u8>, String>, Duration)> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    let slowest = timed.iter().map(|(_, t)| *t).max().unwrap_or_default();
    let results: Vec<Result<Vec<u8>, String>> = timed.into_iter().map(|(r, _)| r).collect();
    let ok = results.iter().filter(|r| r.as_deref() == Ok(INDEX)).count();
    println!("concurrent: {N} connections at once, {ok} answered 200, slowest {:.1} s", slowest.as_secs_f64());
    let errors: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(ok, N, "errors: {errors:?}");
    // Then 1,000 requests one after the other, each on a new connection:
    // every listen-pool socket taken is replaced, none leaks.
    const SEQ: usize = 1000;
    let t = Instant::now();
    let failed: Vec<(usize, String)> = (0..SEQ)
        .filter_map(|i| match get_index(http) {
            Ok(b) if b == INDEX => None,
            Ok(b) => Some((i, String::from_utf8_lossy(&b).into_owned())),
            Err(e) => Some((i, e)),
        })
        .collect();
    println!("sequential: {SEQ} requests, {} failed, {:.1} s", failed.len(), t.elapsed().as_secs_f64());
    assert!(failed.is_empty(), "{} failed, first: {:?}", failed.len(), failed.first());
    s.send("exit\r").unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(st), Some(0), "{}", s.output());
}
