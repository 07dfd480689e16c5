//! `httpd`: the web server (`/bin/httpd`, domain `httpd_t` by the
//! policy's exec transition). Serves static files under a document root
//! with the request logic of `rampart-httpd`.
//!
//! ```text
//! httpd [-p PORT] [-r DOCROOT] [-v]     defaults: port 80, /var/www
//! ```
//!
//! One event loop over non-blocking sockets and [`poll`]: the listener and
//! up to [`MAX_CONNS`] connections, each reading a request head, then
//! sending the head and the file in chunks as the send buffer drains;
//! keep-alive and pipelined requests are served in order. A file the
//! policy forbids answers `403` (the file server audits the denial); the
//! server only ever asks the file server for paths under its root.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use rampart_httpd::{Body, SiteError, parse, respond};
use rampart_libos::fs::File;
use rampart_libos::io::{Read, Write};
use rampart_libos::net::{Shutdown, TcpListener, TcpStream};
use rampart_libos::poll::{POLLIN, POLLOUT, PollFd, poll};
use rampart_libos::time::Instant;
use rampart_libos::{ErrorKind, eprintln, println};

rampart_libos::main!(main);

/// Connections served at once; more wait in the listen backlog.
pub const MAX_CONNS: usize = 64;
/// Bytes read from a file per step (one file-server request).
const CHUNK: usize = 48 * 1024;
/// A connection that neither sends nor receives for this long is closed
/// (idle keep-alive clients, or clients that stall: they would hold one
/// of the [`MAX_CONNS`] places forever).
pub const IDLE: Duration = Duration::from_secs(30);

/// The file system as the site.
struct Fs;

impl rampart_httpd::Site for Fs {
    fn stat(&mut self, path: &str) -> Result<u64, SiteError> {
        match rampart_libos::fs::metadata(path) {
            Ok(m) if m.is_dir() => Err(SiteError::IsDir),
            Ok(m) if m.is_file() => Ok(m.len()),
            Ok(_) => Err(SiteError::NotFound),
            Err(e) => Err(match e.kind() {
                ErrorKind::NotFound | ErrorKind::NotADirectory => SiteError::NotFound,
                ErrorKind::PermissionDenied => SiteError::Forbidden,
                _ => SiteError::Io,
            }),
        }
    }
}

/// One client connection.
struct Conn {
    s: TcpStream,
    /// Received bytes not yet parsed.
    inbuf: Vec<u8>,
    /// Bytes to send (a head, an error page, a file chunk), from `sent`.
    out: Vec<u8>,
    sent: usize,
    /// The rest of the file being sent: (file, bytes left).
    file: Option<(File, u64)>,
    /// Keep the connection after the current response.
    keep: bool,
    /// The peer sent end of stream.
    eof: bool,
    /// When the connection last made progress (bytes in or out).
    active: Instant,
}

enum Step {
    Keep,
    Close,
}

impl Conn {
    fn sending(&self) -> bool {
        self.sent < self.out.len() || self.file.is_some()
    }

    /// Reads what is there and starts the response to a complete head.
    fn on_readable(&mut self, cx: &Cx) -> Step {
        let mut buf = [0u8; 4096];
        loop {
            match self.s.read(&mut buf) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.active = Instant::now();
                    self.inbuf.extend_from_slice(&buf[..n]);
                    if self.inbuf.len() > rampart_httpd::MAX_HEAD {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => return Step::Close,
            }
        }
        self.next_request(cx)
    }

    /// Starts the response to the next complete request in `inbuf`, if
    /// not busy sending.
    fn next_request(&mut self, cx: &Cx) -> Step {
        if self.sending() {
            return Step::Keep;
        }
        let (req, used) = match parse(&self.inbuf) {
            Ok(Some((r, n))) => (Ok(r), n),
            Ok(None) if self.eof => return Step::Close,
            Ok(None) => return Step::Keep,
            Err(e) => (Err(e), self.inbuf.len()),
        };
        let mut r = respond(req.as_ref().map_err(|e| *e), &mut Fs, &cx.root);
        if let Ok(q) = &req
            && cx.log
        {
            println!(
                "httpd: {} {} {}",
                q.target,
                r.status,
                self.s.peer_addr().map_or(String::new(), |a| alloc::format!("{a}"))
            );
        }
        self.inbuf.drain(..used);
        self.keep = r.keep_alive && !self.eof;
        self.out = core::mem::take(&mut r.head);
        self.sent = 0;
        match r.body {
            Body::None => {}
            Body::Bytes(b) => self.out.extend_from_slice(&b),
            Body::File { path, len } => match File::open(&path) {
                Ok(f) => self.file = Some((f, len)),
                Err(e) => {
                    // The head promised the file: all the client can learn
                    // now is that the connection ends early.
                    eprintln!("httpd: {path}: {}", e.message());
                    self.keep = false;
                    self.file = None;
                    self.out.clear();
                    return Step::Close;
                }
            },
        }
        self.on_writable(cx)
    }

    /// Sends what fits; refills from the file; at the end of a response
    /// either closes or starts the next pipelined request.
    fn on_writable(&mut self, cx: &Cx) -> Step {
        loop {
            if self.sent == self.out.len() {
                self.out.clear();
                self.sent = 0;
                match self.file.as_mut() {
                    Some((f, left)) if *left > 0 => {
                        let want = (*left).min(CHUNK as u64) as usize;
                        self.out.resize(want, 0);
                        match f.read(&mut self.out) {
                            Ok(0) | Err(_) => return Step::Close,
                            Ok(n) => {
                                self.out.truncate(n);
                                *left -= n as u64;
                            }
                        }
                    }
                    Some(_) => self.file = None,
                    None => {}
                }
                if self.out.is_empty() {
                    if !self.keep {
                        let _ = self.s.shutdown(Shutdown::Write);
                        return Step::Close;
                    }
                    return self.next_request(cx);
                }
            }
            match self.s.write(&self.out[self.sent..]) {
                Ok(n) => {
                    self.sent += n;
                    self.active = Instant::now();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Step::Keep,
                Err(_) => return Step::Close,
            }
        }
    }
}

/// What every connection needs to know.
struct Cx {
    /// The document root (no trailing `/`).
    root: String,
    /// Print a line per request.
    log: bool,
}

fn usage() -> i32 {
    eprintln!("usage: httpd [-p PORT] [-r DOCROOT] [-v]");
    2
}

fn main() -> i32 {
    let args = rampart_libos::env::args();
    let (mut port, mut root, mut log) = (80u16, String::from("/var/www"), false);
    let mut i = 1;
    while i < args.len() {
        match (args[i].as_str(), args.get(i + 1)) {
            ("-p", Some(p)) => match p.parse() {
                Ok(p) => port = p,
                Err(_) => return usage(),
            },
            ("-r", Some(r)) => root = r.trim_end_matches('/').into(),
            ("-v", _) => {
                log = true;
                i += 1;
                continue;
            }
            _ => return usage(),
        }
        i += 2;
    }
    let l = match TcpListener::bind(&("0.0.0.0", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("httpd: cannot listen on port {port}: {}", e.message());
            return 1;
        }
    };
    if let Err(e) = l.set_nonblocking(true) {
        eprintln!("httpd: {e}");
        return 1;
    }
    println!("httpd: serving {root} on port {port}");
    let _ = rampart_libos::io::stdout().flush();
    serve(&l, &Cx { root, log })
}

fn serve(l: &TcpListener, cx: &Cx) -> i32 {
    let mut conns: Vec<Conn> = Vec::new();
    let mut fds: Vec<PollFd> = Vec::new();
    loop {
        fds.clear();
        if conns.len() < MAX_CONNS {
            fds.push(PollFd::new(l.as_raw_fd(), POLLIN));
        }
        for c in &conns {
            fds.push(PollFd::new(c.s.as_raw_fd(), if c.sending() { POLLOUT } else { POLLIN }));
        }
        // Wake up now and then while connections are open, to close the
        // idle ones.
        let wait = (!conns.is_empty()).then_some(Duration::from_secs(5));
        if let Err(e) = poll(&mut fds, wait) {
            eprintln!("httpd: poll: {e}");
            return 1;
        }
        let mut closed = Vec::new();
        for p in fds.iter().filter(|p| p.revents != 0) {
            if p.fd == l.as_raw_fd() {
                continue;
            }
            let Some(i) = conns.iter().position(|c| c.s.as_raw_fd() == p.fd) else { continue };
            let c = &mut conns[i];
            let step = if c.sending() { c.on_writable(cx) } else { c.on_readable(cx) };
            if matches!(step, Step::Close) {
                closed.push(p.fd);
            }
        }
        conns.retain(|c| !closed.contains(&c.s.as_raw_fd()) && c.active.elapsed() < IDLE);
        if fds.first().is_some_and(|p| p.fd == l.as_raw_fd() && p.revents != 0) {
            while conns.len() < MAX_CONNS {
                match l.accept() {
                    Ok((s, _)) => {
                        if s.set_nonblocking(true).is_err() {
                            continue;
                        }
                        let _ = s.set_nodelay(true);
                        conns.push(Conn {
                            s,
                            inbuf: Vec::new(),
                            out: Vec::new(),
                            sent: 0,
                            file: None,
                            keep: false,
                            eof: false,
                            active: Instant::now(),
                        });
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => {
                        eprintln!("httpd: accept: {e}");
                        break;
                    }
                }
            }
        }
    }
}
