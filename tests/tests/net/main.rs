//! Networking end to end (docs/network.md): the network server on the
//! virtio-net driver, the library OS's sockets, and the programs that use
//! them, in two boots of an administrator's session (the administrator
//! starts `httpd`, which runs in `httpd_t` by the policy's transition).
//!
//! 1. QEMU user networking with host forwards: httpd answers garbage
//!    with 400 and an oversized head with 431 while a stalled client
//!    stays connected; the host's `curl` fetches a page and a 10 MiB file
//!    and gets the exact bytes; a link out of the content type answers 403 with the file
//!    server's audit record; httpd may not bind a port outside
//!    `http_port_t` (the network server's audit record); `nc` in the guest
//!    talks both ways with a server the test runs on the host (10.0.2.2),
//!    from a pipe and from the terminal, and `nc -l` with a host client;
//!    `wget` fetches a file.
//! 2. A `dgram` backend whose other end is this test: a smoltcp peer at
//!    10.0.2.2 checks pings and HTTP, then thousands of malformed frames
//!    (random bytes, and real frames of that exchange mutated, some with
//!    repaired checksums so they reach TCP/UDP/ICMP) are sent at the
//!    guest, which must still answer pings and serve pages afterwards.

mod peer;

use images::qemu::{QemuConfig, Session, guest_exit_code};
use rampart_tests::{boot, disk, session_config};
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(60);
/// The administrator's prompt.
const PROMPT: &str = "root:sysadm_t:/root$ ";
/// `/var/www/index.html` on the root image.
const INDEX: &[u8] = b"<!doctype html><title>Rampart</title><h1>It works</h1>\n";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn admin_session(name: &str, extra: Vec<String>) -> Session {
    let d = disk(name);
    let mut cfg: QemuConfig = session_config(&d, false);
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    cfg.extra = extra;
    let mut s = boot(&cfg);
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("no prompt: {e:#}"));
    s
}

/// Starts httpd in the background and waits until it listens (its line
/// and the shell's next prompt come in either order).
fn start_httpd(s: &mut Session) {
    s.send("httpd &\r").unwrap();
    s.expect("httpd: serving /var/www on port 80", T).unwrap_or_else(|e| panic!("httpd did not start: {e:#}"));
}

/// Types `line` and waits for `want`, then the prompt.
fn run(s: &mut Session, line: &str, want: &str) -> String {
    s.send(&format!("{line}\r")).unwrap();
    let out = s.expect(want, T).unwrap_or_else(|e| panic!("{line:?} should print {want:?}: {e:#}"));
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("no prompt after {line:?}: {e:#}"));
    out
}

fn curl(url: &str, out: &std::path::Path) -> (u16, Duration) {
    let t = Instant::now();
    let o = std::process::Command::new("curl")
        .args(["-sS", "--max-time", "60", "-o"])
        .arg(out)
        .args(["-w", "%{http_code}", url])
        .output()
        .expect("curl (Debian package curl) runs");
    let code = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap_or(0);
    (code, t.elapsed())
}

#[test]
fn web_server_and_tools_over_user_networking() {
    let (http, ncl) = (free_port(), free_port());
    let fwd = vec![format!("tcp:127.0.0.1:{http}-:80"), format!("tcp:127.0.0.1:{ncl}-:7000")];
    let mut s = admin_session("net-user", images::devices::net_args(&fwd));
    start_httpd(&mut s);
    let dir = images::images_dir().join("net-test");
    std::fs::create_dir_all(&dir).unwrap();

    // Hostile clients first: garbage, an oversized head, and one that
    // stalls half-way through its request (and stays connected while
    // the others are served).
    let mut stalled = std::net::TcpStream::connect(("127.0.0.1", http)).unwrap();
    stalled.write_all(b"GET /index.html HT").unwrap();
    let garbage: Vec<u8> = (0..3000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    assert!(raw_http(http, &garbage).starts_with("HTTP/1.1 400"), "garbage is a bad request");
    let mut huge = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 10_000));
    assert!(raw_http(http, &huge).starts_with("HTTP/1.1 431"), "an oversized head is refused");

    // The host's curl gets the exact bytes of a page and of 10 MiB.
    let f = dir.join("index.html");
    assert_eq!(curl(&format!("http://127.0.0.1:{http}/"), &f).0, 200, "{}", s.output());
    assert_eq!(std::fs::read(&f).unwrap(), INDEX);
    let f = dir.join("10m.bin");
    let (code, took) = curl(&format!("http://127.0.0.1:{http}/10m.bin"), &f);
    assert_eq!(code, 200, "{}", s.output());
    let got = std::fs::read(&f).unwrap();
    let want = images::rootfs::www_bytes(10 << 20, 2);
    assert!(got == want, "10 MiB download differs ({} bytes, checksum {:x} vs {:x})", got.len(), fnv(&got), fnv(&want));
    println!("10 MiB over user networking: {:.2} s ({:.1} MB/s)", took.as_secs_f64(), 10.48576 / took.as_secs_f64());

    drop(stalled);

    // A link out of the content type: 403, and the file server audits
    // the denied lookup.
    let (code, _) = curl(&format!("http://127.0.0.1:{http}/motd.txt"), &dir.join("motd"));
    assert_eq!(code, 403);
    s.expect(
        "avc: denied { search } for scontext=root:sysadm_r:httpd_t tcontext=system_u:object_r:etc_t tclass=dir",
        T,
    )
    .unwrap_or_else(|e| panic!("no audit record for the denied read: {e:#}"));
    // A port outside http_port_t: refused, audited by the network server.
    let out = run(&mut s, "httpd -p 8081; echo st=$?", "st=1");
    assert!(out.contains("httpd: cannot listen on port 8081: Permission denied"), "{out}");
    assert!(
        s.output().contains(
            "net: avc: denied { name_bind } for scontext=root:sysadm_r:httpd_t \
             tcontext=system_u:object_r:unreserved_port_t tclass=tcp_socket"
        ),
        "{}",
        s.output()
    );
    // ... and its record in the trail names the process that asked.
    let out = run(&mut s, "ausearch -m avc -d -c tcp_socket -p name_bind --raw; echo as=$?", "as=0");
    let rec = out
        .lines()
        .find(|l| l.contains("{ name_bind }") && l.contains("by=system_u:system_r:net_t"))
        .unwrap_or_else(|| panic!("no record of the network server's denial:\n{out}"));
    let pid: u32 =
        rec.split("pid=").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|p| p.parse().ok()).unwrap_or(0);
    assert!(pid > 1, "the network server's record names the client's pid: {rec}");

    // nc to a server on the host (10.0.2.2 is the host's loopback through
    // user networking): data both ways, then end of stream both ways.
    let host = TcpListener::bind("127.0.0.1:0").unwrap();
    let hp = host.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut c, _) = host.accept().unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        c.write_all(b"hello from the host\n").unwrap();
        got
    });
    run(&mut s, &format!("printf 'hello from rampart\\n' | nc 10.0.2.2 {hp}; echo st=$?"), "hello from the host");
    assert_eq!(server.join().unwrap(), b"hello from rampart\n");
    // nc with the terminal as input: the host speaks first, then the
    // line typed at the console goes out while nc also waits on the
    // socket (poll over the terminal and a socket).
    let host = TcpListener::bind("127.0.0.1:0").unwrap();
    let hp = host.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut c, _) = host.accept().unwrap();
        c.write_all(b"greeting from the host\n").unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(&c), &mut line).unwrap();
        c.write_all(format!("echo: {line}").as_bytes()).unwrap();
        line
    });
    s.send(&format!("nc 10.0.2.2 {hp}\r")).unwrap();
    s.expect("greeting from the host", T).unwrap_or_else(|e| panic!("nc did not print the greeting: {e:#}"));
    s.send("typed at the terminal\r").unwrap();
    s.expect("echo: typed at the terminal", T).unwrap_or_else(|e| panic!("no echo from the host: {e:#}"));
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("nc did not end with the connection: {e:#}"));
    assert_eq!(server.join().unwrap(), "typed at the terminal\n");
    // nc -l: a host client connects through a forward, sends, reads.
    s.send(": > /tmp/empty; nc -v -l 7000 < /tmp/empty > /tmp/got.txt &\r").unwrap();
    s.expect("nc: listening on 0.0.0.0:7000", T).unwrap_or_else(|e| panic!("nc -l: {e:#}"));
    let mut c = connect_retry(ncl);
    c.write_all(b"from the host to nc -l\n").unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let mut back = Vec::new();
    c.read_to_end(&mut back).unwrap();
    assert!(back.is_empty(), "nc -l sent {back:?} from an empty input");
    run(&mut s, "wait $!; cat /tmp/got.txt", "from the host to nc -l");

    // wget, through the host's forward back to httpd.
    let out = run(&mut s, &format!("wget -O /tmp/1m.bin http://10.0.2.2:{http}/1m.bin; echo st=$?"), "st=0");
    assert!(out.contains("wget: 200 OK, 1048576 bytes saved to /tmp/1m.bin"), "{out}");
    let out = run(&mut s, &format!("wget -O - http://10.0.2.2:{http}/nosuch; echo st=$?"), "st=8");
    assert!(out.contains("server answered 404 Not Found"), "{out}");

    s.send("exit\r").unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(st), Some(0), "{}", s.output());
    assert!(!s.output().contains("panicked"), "{}", s.output());
}

/// Sends `bytes` to the guest's httpd and returns what it answers before
/// closing.
fn raw_http(port: u16, bytes: &[u8]) -> String {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(T)).unwrap();
    let _ = c.write_all(bytes);
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn connect_retry(port: u16) -> std::net::TcpStream {
    let end = Instant::now() + T;
    loop {
        if let Ok(c) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            return c;
        }
        assert!(Instant::now() < end, "cannot connect to the guest's nc -l");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fnv(d: &[u8]) -> u64 {
    d.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3))
}

mod frames;

#[test]
fn the_stack_survives_malformed_frames() {
    let mine = UdpSocket::bind("127.0.0.1:0").unwrap();
    let qp = free_udp_port();
    let netdev = format!(
        "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port={qp},remote.type=inet,remote.host=127.0.0.1,remote.port={}",
        mine.local_addr().unwrap().port()
    );
    let extra = vec!["-netdev".into(), netdev, "-device".into(), "virtio-net-pci,netdev=n0".into()];
    let mut s = admin_session("net-frames", extra);
    start_httpd(&mut s);
    let mut p = peer::Peer::new(mine, format!("127.0.0.1:{qp}").parse().unwrap());
    match frames::storm(&mut p) {
        Ok(summary) => println!("{summary}"),
        Err(e) => {
            let _ = s.expect("never printed", Duration::from_secs(2));
            panic!("{e}; console:\n{}", s.output())
        }
    }
    s.send("exit\r").unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    assert_eq!(guest_exit_code(st), Some(0), "{out}");
    assert!(!out.contains("panicked") && !out.contains("faulted"), "{out}");
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
