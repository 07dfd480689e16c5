//! Waiting for several descriptors at once (`poll(2)`): sockets, pipes,
//! files and the terminal.
//!
//! Sockets are asked in one `Poll` request to the network server. When
//! only sockets are waited for, the server holds that request until one
//! is ready or the timeout passes (no time is spent here). When pipes or
//! the terminal are involved too, the network server is armed to signal
//! the task notification ([`crate::sys::netsys::EVENT_NET`]) and the
//! pipes and the terminal are probed between pauses ([`crate::sys::backoff`]:
//! a few yields, then 1 ms sleeps on the task's timer), as pipe reads
//! already do (the file and console servers have no readiness signal
//! yet).
//!
//! Readiness rules: a pipe is readable when it holds data or has no
//! writer left (then also `POLLHUP`); probing an empty pipe may take one
//! byte out, which the next read returns first. Regular files and
//! directories are always ready. The terminal is readable when the
//! console holds a line (cooked mode) or input (raw), or end of input;
//! always writable. Unknown descriptors give `POLLNVAL`.

use crate::error::{Error, ErrorKind, Result};
use crate::sys::{Obj, State, fsys, netsys, with};
use crate::time::Instant;
use alloc::vec::Vec;
use core::time::Duration;
use rampart_fs_api::FileType;
use rampart_net_api::{Events, MAX_POLL_ITEMS, Wait};
use rampart_uabi::Errno;

/// Data to read (or a connection to accept, or end of stream).
pub const POLLIN: u16 = 0x1;
/// Room to write.
pub const POLLOUT: u16 = 0x4;
/// An error (always reported).
pub const POLLERR: u16 = 0x8;
/// Hung up: the other end is gone (always reported).
pub const POLLHUP: u16 = 0x10;
/// Not an open descriptor (always reported).
pub const POLLNVAL: u16 = 0x20;
/// The peer shut down its sending half (sockets).
pub const POLLRDHUP: u16 = 0x2000;

/// One descriptor to wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollFd {
    /// The descriptor.
    pub fd: u32,
    /// Events of interest (`POLLIN`, `POLLOUT`, `POLLRDHUP`).
    pub events: u16,
    /// Events that happened (set by [`poll`]).
    pub revents: u16,
}

impl PollFd {
    /// `fd` with `events` of interest.
    pub const fn new(fd: u32, events: u16) -> PollFd {
        PollFd { fd, events, revents: 0 }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sock(u32),
    Pipe(u32),
    Tty(u32),
    Ready,
    Bad,
}

fn kind(st: &mut State, fd: u32) -> Kind {
    match st.obj(fd) {
        Ok(Obj::Net(h)) => Kind::Sock(h),
        Ok(Obj::Tty(h)) => Kind::Tty(h),
        Ok(Obj::Fs(h)) => match fsys::stat(st, None, Some(h), true) {
            Ok(s) if s.kind == FileType::Fifo => Kind::Pipe(h),
            Ok(_) => Kind::Ready,
            Err(_) => Kind::Bad,
        },
        Err(_) => Kind::Bad,
    }
}

/// Readiness of pipe handle `h` for `events`.
fn pipe_ready(st: &mut State, h: u32, events: u16) -> u16 {
    let mut r = 0;
    if events & POLLIN != 0 {
        if st.pushback.contains_key(&h) {
            r |= POLLIN;
        } else {
            let mut b = [0u8; 1];
            match fsys::read(st, h, &mut b) {
                Ok(0) => r |= POLLIN | POLLHUP,
                Ok(_) => {
                    st.pushback.insert(h, b[0]);
                    r |= POLLIN;
                }
                Err(Errno::EAGAIN) | Err(Errno::EBADF) => {}
                Err(_) => r |= POLLERR,
            }
        }
    }
    if events & POLLOUT != 0
        && let Ok(s) = fsys::stat(st, None, Some(h), true)
        && s.size < u64::from(s.blksize.max(1))
    {
        r |= POLLOUT;
    }
    r
}

/// Readiness of terminal handle `h`: output always; input when the
/// console has a line (cooked) or bytes (raw), or end of input, waiting.
fn tty_ready(st: &mut State, h: u32, events: u16) -> u16 {
    let mut r = events & POLLOUT;
    if events & POLLIN != 0 {
        match crate::sys::console(st).and_then(|mut c| c.readable(h)) {
            Ok(n) if n > 0 => r |= POLLIN,
            Ok(_) => {}
            // A console without the query: say readable (a read may wait).
            Err(_) => r |= POLLIN,
        }
    }
    r
}

/// Sets `revents` of the non-socket entries; returns whether a pipe may
/// still become ready.
fn scan_files(st: &mut State, fds: &mut [PollFd], kinds: &[Kind]) -> bool {
    let mut waiting = false;
    for (p, k) in fds.iter_mut().zip(kinds) {
        p.revents = match *k {
            Kind::Sock(_) => continue,
            Kind::Bad => POLLNVAL,
            Kind::Ready => p.events & (POLLIN | POLLOUT),
            Kind::Pipe(h) => {
                let r = pipe_ready(st, h, p.events);
                waiting |= r == 0;
                r
            }
            Kind::Tty(h) => {
                let r = tty_ready(st, h, p.events);
                waiting |= r == 0;
                r
            }
        };
    }
    waiting
}

fn scan_sockets(st: &mut State, fds: &mut [PollFd], kinds: &[Kind], wait: Wait) -> core::result::Result<(), Errno> {
    let items: Vec<(usize, u32, Events)> = fds
        .iter()
        .zip(kinds)
        .enumerate()
        .filter_map(|(i, (p, k))| match *k {
            Kind::Sock(h) => Some((i, h, Events(p.events & (POLLIN | POLLOUT | POLLRDHUP)))),
            _ => None,
        })
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    if wait == Wait::Notify {
        netsys::attach_notification(st)?;
    }
    let q: Vec<(u32, Events)> = items.iter().map(|&(_, h, e)| (h, e)).collect();
    let ready = netsys::poll(st, &q, wait)?;
    for ((i, _, _), e) in items.iter().zip(ready) {
        fds[*i].revents = e.0;
    }
    Ok(())
}

fn count(fds: &[PollFd]) -> usize {
    fds.iter().filter(|p| p.revents != 0).count()
}

/// Waits until at least one of `fds` is ready or `timeout` passes
/// (`None`: no limit; zero: just look); returns how many are ready, each
/// with its `revents` set.
///
/// # Errors
/// `InvalidInput` for more than 100 sockets in one call; the servers'
/// errors.
pub fn poll(fds: &mut [PollFd], timeout: Option<Duration>) -> Result<usize> {
    if fds.is_empty() {
        crate::time::sleep(timeout.unwrap_or(Duration::MAX));
        return Ok(0);
    }
    let start = Instant::now();
    let left = |d: Duration| d.saturating_sub(start.elapsed());
    let kinds: Vec<Kind> = with(|st| fds.iter().map(|p| kind(st, p.fd)).collect());
    let socks = kinds.iter().filter(|k| matches!(k, Kind::Sock(_))).count();
    if socks > MAX_POLL_ITEMS {
        return Err(ErrorKind::InvalidInput.into());
    }
    loop {
        let pipes_waiting = with(|st| scan_files(st, fds, &kinds));
        let files_ready = count(fds) > 0;
        let now = files_ready || timeout.is_some_and(|t| left(t).is_zero());
        let wait = if now {
            Wait::Now
        } else if !pipes_waiting {
            Wait::Block { timeout_ms: timeout.map(|t| left(t).as_millis().clamp(1, u128::from(u32::MAX)) as u32) }
        } else {
            Wait::Notify
        };
        with(|st| scan_sockets(st, fds, &kinds, wait)).map_err(Error::from)?;
        let n = count(fds);
        if n > 0 || now || !pipes_waiting {
            return Ok(n);
        }
        // Pipes (and perhaps armed sockets) to wait for: probe the pipes
        // between pauses (a few yields, then 1 ms sleeps on the task's
        // timer: `crate::sys::backoff`) until one is ready, the sockets
        // signal, or time is up.
        let mut backoff = crate::sys::backoff::Backoff::new();
        loop {
            backoff.pause();
            if timeout.is_some_and(|t| left(t).is_zero()) || netsys::poll_signal() & netsys::EVENT_NET != 0 {
                break;
            }
            let mut probe: Vec<PollFd> = fds.to_vec();
            with(|st| scan_files(st, &mut probe, &kinds));
            if count(&probe) > 0 {
                break;
            }
        }
    }
}
