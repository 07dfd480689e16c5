//! `wget`: fetches one URL over HTTP/1.0 and saves the body.
//!
//! ```text
//! wget [-q] [-O FILE] http://A.B.C.D[:PORT]/PATH
//! ```
//!
//! The body goes to `FILE` (`-` for standard output; default: the last
//! path segment, or `index.html`). A `Content-Length` is checked against
//! what arrived. Exit status: 0 on `200`, 8 when the server answers
//! another status (as GNU wget), 4 for a network failure, 1 for a local
//! one, 2 for usage.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::io::{self, Read, Write};
use rampart_libos::net::TcpStream;
use rampart_libos::{eprintln, fs};

rampart_libos::main!(main);

/// Largest response head accepted, in bytes.
const MAX_HEAD: usize = 16 * 1024;

struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(u: &str) -> Option<Url> {
    let rest = u.strip_prefix("http://")?;
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().ok()?),
        None => (hostport, 80),
    };
    if host.is_empty() || path.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return None;
    }
    Some(Url { host: host.into(), port, path: path.into() })
}

fn default_name(path: &str) -> String {
    let p = path.split(['?', '#']).next().unwrap_or("");
    match p.rsplit('/').next() {
        Some(n) if !n.is_empty() => n.into(),
        _ => "index.html".into(),
    }
}

enum Fail {
    Usage,
    Local(String),
    Net(String),
    Status(u16, String),
}

/// Where the body goes.
enum Sink {
    Stdout(io::Stdout),
    File(fs::File),
}

impl Sink {
    fn write_all(&mut self, b: &[u8]) -> rampart_libos::Result<()> {
        match self {
            Sink::Stdout(o) => o.write_all(b),
            Sink::File(f) => f.write_all(b),
        }
    }
}

fn fetch(url: &Url, out: &str, quiet: bool) -> Result<u64, Fail> {
    let net = |e: rampart_libos::Error| Fail::Net(String::from(e.message()));
    let mut s = TcpStream::connect(&(url.host.as_str(), url.port)).map_err(net)?;
    let req = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: rampart-wget\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path, url.host
    );
    s.write_all(req.as_bytes()).map_err(net)?;
    // The head.
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = alloc::vec![0u8; 64 * 1024];
    let (status, reason, len, body_start) = loop {
        let n = s.read(&mut chunk).map_err(net)?;
        if n == 0 {
            return Err(Fail::Net("connection closed before the response head".into()));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Response::new(&mut headers);
        match r.parse(&buf) {
            Ok(httparse::Status::Complete(h)) => {
                let len = r
                    .headers
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case("content-length"))
                    .and_then(|x| core::str::from_utf8(x.value).ok()?.trim().parse::<u64>().ok());
                break (r.code.unwrap_or(0), String::from(r.reason.unwrap_or("")), len, h);
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            _ => return Err(Fail::Net("malformed response head".into())),
        }
    };
    if status != 200 {
        return Err(Fail::Status(status, reason));
    }
    let mut sink = if out == "-" {
        Sink::Stdout(io::stdout())
    } else {
        Sink::File(fs::File::create(out).map_err(|e| Fail::Local(format!("{out}: {}", e.message())))?)
    };
    let local = |e: rampart_libos::Error| Fail::Local(format!("{out}: {}", e.message()));
    let mut got = (buf.len() - body_start) as u64;
    sink.write_all(&buf[body_start..]).map_err(local)?;
    loop {
        if len.is_some_and(|l| got >= l) {
            break;
        }
        let n = s.read(&mut chunk).map_err(net)?;
        if n == 0 {
            break;
        }
        got += n as u64;
        sink.write_all(&chunk[..n]).map_err(local)?;
    }
    if let Sink::Stdout(o) = &mut sink {
        let _ = o.flush();
    }
    match len {
        Some(l) if got != l => Err(Fail::Net(format!("short body: {got} of {l} bytes"))),
        _ => {
            if !quiet {
                eprintln!("wget: {status} {reason}, {got} bytes saved to {out}");
            }
            Ok(got)
        }
    }
}

fn run(args: &[String]) -> Result<u64, Fail> {
    let (mut out, mut quiet, mut url) = (None, false, None);
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-O" => {
                out = Some(args.get(i + 1).ok_or(Fail::Usage)?.clone());
                i += 1;
            }
            "-q" => quiet = true,
            a if url.is_none() && !a.starts_with('-') => url = Some(String::from(a)),
            _ => return Err(Fail::Usage),
        }
        i += 1;
    }
    let raw = url.ok_or(Fail::Usage)?;
    let url = parse_url(&raw).ok_or_else(|| Fail::Local(format!("{raw}: not an http://ADDRESS[:PORT]/PATH URL")))?;
    let out = out.unwrap_or_else(|| default_name(&url.path));
    fetch(&url, &out, quiet)
}

fn main() -> i32 {
    let args = rampart_libos::env::args();
    match run(&args) {
        Ok(_) => 0,
        Err(Fail::Usage) => {
            eprintln!("usage: wget [-q] [-O FILE] http://ADDRESS[:PORT]/PATH");
            2
        }
        Err(Fail::Local(m)) => {
            eprintln!("wget: {m}");
            1
        }
        Err(Fail::Net(m)) => {
            eprintln!("wget: {m}");
            4
        }
        Err(Fail::Status(c, r)) => {
            eprintln!("wget: server answered {c} {r}");
            8
        }
    }
}
