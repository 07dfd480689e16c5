//! `nc`: copies standard input to a connection and the connection to
//! standard output, as a client or a listener (TCP or UDP).
//!
//! ```text
//! nc [-v] [-u] HOST PORT        connect to HOST:PORT (an IPv4 address)
//! nc [-v] [-u] -l [-p] PORT     wait for one connection (UDP: the first
//!                               datagram's sender becomes the peer)
//! ```
//!
//! TCP: at end of standard input the sending half is shut down and `nc`
//! keeps printing until the peer closes. UDP: each read of standard input
//! is one datagram; `nc` ends at end of standard input. Exit status 0, or
//! 1 with a message when the connection fails (e.g. refused, or denied
//! by the policy).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::io::{self, Write};
use rampart_libos::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use rampart_libos::poll::{POLLIN, PollFd, poll};
use rampart_libos::{Error, eprintln};

rampart_libos::main!(main);

struct Opts {
    listen: bool,
    udp: bool,
    verbose: bool,
    host: Option<String>,
    port: u16,
}

fn usage() -> i32 {
    eprintln!("usage: nc [-v] [-u] HOST PORT | nc [-v] [-u] -l [-p] PORT");
    2
}

fn parse(args: &[String]) -> Option<Opts> {
    let mut o = Opts { listen: false, udp: false, verbose: false, host: None, port: 0 };
    let mut pos: Vec<&str> = Vec::new();
    for a in args.iter().skip(1) {
        match a.as_str() {
            "-l" => o.listen = true,
            "-u" => o.udp = true,
            "-v" => o.verbose = true,
            "-p" => {}
            s if s.starts_with('-') && s.len() > 1 => return None,
            s => pos.push(s),
        }
    }
    match (o.listen, pos.as_slice()) {
        (true, [p]) => o.port = p.parse().ok()?,
        (false, [h, p]) => {
            o.host = Some((*h).into());
            o.port = p.parse().ok()?;
        }
        _ => return None,
    }
    Some(o)
}

fn out(data: &[u8]) -> Result<(), Error> {
    let mut o = io::stdout();
    o.write_all(data)?;
    o.flush()
}

/// Relays between standard input and a TCP connection until the peer
/// closes.
fn relay_tcp(s: &TcpStream) -> Result<(), Error> {
    let mut buf = alloc::vec![0u8; 16 * 1024];
    let mut stdin_open = true;
    loop {
        let mut fds = Vec::new();
        fds.push(PollFd::new(s.as_raw_fd(), POLLIN));
        if stdin_open {
            fds.push(PollFd::new(0, POLLIN));
        }
        poll(&mut fds, None)?;
        if fds.get(1).is_some_and(|p| p.revents != 0) {
            match io::fd_read(0, &mut buf) {
                Ok(0) | Err(_) => {
                    stdin_open = false;
                    s.shutdown(Shutdown::Write)?;
                }
                Ok(n) => io::Write::write_all(&mut &*s, &buf[..n])?,
            }
        }
        if fds[0].revents != 0 {
            match io::Read::read(&mut &*s, &mut buf)? {
                0 => return Ok(()),
                n => out(&buf[..n])?,
            }
        }
    }
}

/// Relays between standard input and a UDP peer until end of input.
fn relay_udp(u: &UdpSocket, mut peer: Option<SocketAddr>, verbose: bool) -> Result<(), Error> {
    let mut buf = alloc::vec![0u8; 2048];
    loop {
        let mut fds = alloc::vec![PollFd::new(u.as_raw_fd(), POLLIN)];
        if peer.is_some() {
            fds.push(PollFd::new(0, POLLIN));
        }
        poll(&mut fds, None)?;
        if fds[0].revents != 0 {
            let (n, from) = u.recv_from(&mut buf)?;
            if peer.is_none() {
                if verbose {
                    eprintln!("nc: datagram from {from}");
                }
                u.connect(&from)?;
                peer = Some(from);
            }
            out(&buf[..n])?;
        }
        if fds.get(1).is_some_and(|p| p.revents != 0) {
            match io::fd_read(0, &mut buf[..1472]) {
                Ok(0) | Err(_) => return Ok(()),
                Ok(n) => {
                    u.send(&buf[..n])?;
                }
            }
        }
    }
}

fn run(o: &Opts) -> Result<(), Error> {
    let target = o.host.as_deref().map(|h| alloc::format!("{h}:{}", o.port));
    match (o.udp, o.listen) {
        (false, true) => {
            let l = TcpListener::bind(&("0.0.0.0", o.port))?;
            if o.verbose {
                eprintln!("nc: listening on {}", l.local_addr()?);
            }
            let (s, peer) = l.accept()?;
            drop(l);
            if o.verbose {
                eprintln!("nc: connection from {peer}");
            }
            relay_tcp(&s)
        }
        (false, false) => {
            let t = target.unwrap_or_default();
            let s = TcpStream::connect(t.as_str())?;
            if o.verbose {
                eprintln!("nc: connected to {t}");
            }
            relay_tcp(&s)
        }
        (true, true) => {
            let u = UdpSocket::bind(&("0.0.0.0", o.port))?;
            if o.verbose {
                eprintln!("nc: listening on {} (udp)", u.local_addr()?);
            }
            relay_udp(&u, None, o.verbose)
        }
        (true, false) => {
            let t = target.unwrap_or_default();
            let u = UdpSocket::bind("0.0.0.0:0")?;
            u.connect(t.as_str())?;
            relay_udp(&u, u.peer_addr().ok(), o.verbose)
        }
    }
}

fn main() -> i32 {
    let args = rampart_libos::env::args();
    let Some(o) = parse(&args) else { return usage() };
    match run(&o) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("nc: {}", e.message());
            1
        }
    }
}
