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
//! keep-alive and pipelined requests are served in order, iteratively,
//! with at most [`MAX_PIPELINED`] bytes of unanswered requests buffered
//! per connection (more wait in the socket). A file the
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
/// Most bytes of pipelined requests buffered per connection (requests
/// read but not yet answered). Past it the server stops reading that
/// connection until its answers are sent: excess requests wait in the
/// socket, none is dropped. At least [`rampart_httpd::MAX_HEAD`] so any
/// valid head fits.
pub const MAX_PIPELINED: usize = 2 * rampart_httpd::MAX_HEAD;
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
    /// Keep the connection after the current response (the last
    /// request asked for keep-alive; true before the first).
    keep_going: bool,
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

    /// The connection wants to read: not busy sending and its buffer of
    /// pipelined request bytes not full (more waits in the socket).
    fn wants_input(&self) -> bool {
        !self.sending() && !self.eof && self.inbuf.len() < MAX_PIPELINED
    }

    /// Does all the work the connection can do now, iteratively (never by
    /// recursion: a client may pipeline any number of requests): sends
    /// what fits, refills from the file, and when a response is done
    /// reads what is there and starts the next complete request, until
    /// the socket would block or the connection ends.
    fn pump(&mut self, cx: &Cx) -> Step {
        loop {
            if self.sending() {
                match self.send_some() {
                    Some(step) => return step,
                    None => continue,
                }
            }
            // Between responses.
            if self.wants_input()
                && let Some(step) = self.fill()
            {
                return step;
            }
            match self.start_next(cx) {
                Some(step) => return step,
                None => continue,
            }
        }
    }

    /// Reads what is there into `inbuf`, up to [`MAX_PIPELINED`] bytes;
    /// `Some(Close)` on a socket error.
    fn fill(&mut self) -> Option<Step> {
        let mut buf = [0u8; 4096];
        while self.inbuf.len() < MAX_PIPELINED {
            let room = (MAX_PIPELINED - self.inbuf.len()).min(buf.len());
            match self.s.read(&mut buf[..room]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.active = Instant::now();
                    self.inbuf.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => return Some(Step::Close),
            }
        }
        None
    }

    /// Starts the response to the next complete request in `inbuf`:
    /// `None` when a response was started (the caller sends it),
    /// `Some(Keep)` when more bytes are needed, `Some(Close)` when the
    /// connection is done.
    fn start_next(&mut self, cx: &Cx) -> Option<Step> {
        if !self.keep_going {
            let _ = self.s.shutdown(Shutdown::Write);
            return Some(Step::Close);
        }
        let (req, used) = match parse(&self.inbuf) {
            Ok(Some((r, n))) => (Ok(r), n),
            Ok(None) if self.eof => return Some(Step::Close),
            Ok(None) => return Some(Step::Keep),
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
        // A client that half-closed after pipelining still gets every
        // answer: `start_next` closes once its bytes run out.
        self.keep_going = r.keep_alive;
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
                    self.file = None;
                    self.out.clear();
                    return Some(Step::Close);
                }
            },
        }
        None
    }

    /// Sends what fits and refills from the file: `None` when the
    /// response is completely sent, `Some(Keep)` when the socket would
    /// block, `Some(Close)` on an error.
    fn send_some(&mut self) -> Option<Step> {
        loop {
            if self.sent == self.out.len() {
                self.out.clear();
                self.sent = 0;
                match self.file.as_mut() {
                    Some((f, left)) if *left > 0 => {
                        let want = (*left).min(CHUNK as u64) as usize;
                        self.out.resize(want, 0);
                        match f.read(&mut self.out) {
                            Ok(0) | Err(_) => return Some(Step::Close),
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
                    return None;
                }
            }
            match self.s.write(&self.out[self.sent..]) {
                Ok(n) => {
                    self.sent += n;
                    self.active = Instant::now();
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Some(Step::Keep),
                Err(_) => return Some(Step::Close),
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
            // A connection whose pipelined bytes fill its buffer waits
            // for POLLOUT only: its client's further requests stay in the
            // socket (TCP flow control) until answers drain.
            let ev = if c.sending() {
                POLLOUT
            } else if c.wants_input() {
                POLLIN
            } else {
                0
            };
            fds.push(PollFd::new(c.s.as_raw_fd(), ev));
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
            let step = c.pump(cx);
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
                            keep_going: true,
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
