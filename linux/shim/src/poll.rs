//! `poll`, `ppoll`, `select` and `pselect6` (poll(2), select(2)) over the
//! runtime's `rampart_libos::poll`: sockets wait at the network server,
//! pipes and the terminal are probed (docs/linux-abi.md). A terminal is
//! readable when the console holds a line (canonical) or a byte (raw);
//! `vi` and `less` rely on the timeout to tell a lone ESC from an escape
//! sequence.
//!
//! Not done: the signal mask of `ppoll`/`pselect6` is not swapped in (the
//! call waits with the current mask), and a signal does not cut a wait
//! short with `EINTR`.

use crate::mem::{get_u64, user, user_mut};
use alloc::vec::Vec;
use core::time::Duration;
use rampart_libos::poll::{POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, PollFd};
use rampart_libos::sys::with;
use rampart_linux_abi::errno::*;

/// Most descriptors in one call (Linux's default `RLIMIT_NOFILE`).
const MAX_FDS: u64 = 1024;
/// `POLLPRI`, `POLLRDNORM`, `POLLWRNORM`: accepted, answered as their
/// plain counterparts (no urgent data on Rampart's descriptors).
const POLLRDNORM: u16 = 0x40;
const POLLWRNORM: u16 = 0x100;

/// Waits for `fds` (`fd < 0` entries are skipped, as poll(2) says) and
/// returns how many have events; `revents` per entry.
fn wait(fds: &[(i32, u16)], timeout: Option<Duration>) -> Result<Vec<u16>, i32> {
    let mut live: Vec<PollFd> = Vec::new();
    for &(fd, ev) in fds {
        if fd >= 0 {
            let mut e = ev & (POLLIN | POLLOUT | rampart_libos::poll::POLLRDHUP);
            if ev & POLLRDNORM != 0 {
                e |= POLLIN;
            }
            if ev & POLLWRNORM != 0 {
                e |= POLLOUT;
            }
            live.push(PollFd::new(fd as u32, e));
        }
    }
    rampart_libos::poll::poll(&mut live, timeout).map_err(|e| from_rampart(e.raw_os_error()))?;
    let mut it = live.into_iter();
    Ok(fds
        .iter()
        .map(|&(fd, ev)| {
            if fd < 0 {
                return 0;
            }
            let r = it.next().map_or(0, |p| p.revents);
            let mut out = r & (POLLIN | POLLOUT | POLLERR | POLLHUP | POLLNVAL | rampart_libos::poll::POLLRDHUP);
            if r & POLLIN != 0 && ev & POLLRDNORM != 0 {
                out |= POLLRDNORM;
            }
            if r & POLLOUT != 0 && ev & POLLWRNORM != 0 {
                out |= POLLWRNORM;
            }
            out
        })
        .collect())
}

/// A `struct timespec` or `struct timeval` at `addr` (`nsec_unit`: the
/// second field's unit in nanoseconds); `None` for a null pointer (no
/// limit).
fn time_at(addr: u64, nsec_unit: u64) -> Result<Option<Duration>, i32> {
    if addr == 0 {
        return Ok(None);
    }
    let (s, f) = (get_u64(addr)? as i64, get_u64(addr + 8)? as i64);
    if s < 0 || f < 0 || f as u64 * nsec_unit >= 1_000_000_000 {
        return Err(EINVAL);
    }
    Ok(Some(Duration::new(s as u64, (f as u64 * nsec_unit) as u32)))
}

/// `poll(fds, nfds, timeout_ms)` (negative: no limit) and `ppoll(fds,
/// nfds, tmo_p, ..)` (`ms` is `None` there and `tmo` the timespec's
/// address).
pub fn poll(fds: u64, n: u64, timeout: Option<Duration>) -> Result<u64, i32> {
    if n > MAX_FDS {
        return Err(EINVAL);
    }
    let v = user(fds, n as usize * 8)?;
    let list: Vec<(i32, u16)> = v
        .chunks_exact(8)
        .map(|p| (i32::from_le_bytes([p[0], p[1], p[2], p[3]]), u16::from_le_bytes([p[4], p[5]])))
        .collect();
    let rev = wait(&list, timeout)?;
    let out = user_mut(fds, n as usize * 8)?;
    for (p, r) in out.chunks_exact_mut(8).zip(&rev) {
        p[6..8].copy_from_slice(&r.to_le_bytes());
    }
    Ok(rev.iter().filter(|r| **r != 0).count() as u64)
}

/// `poll`'s timeout argument (an `int` in milliseconds).
pub fn poll_ms(ms: u64) -> Option<Duration> {
    let ms = ms as i32;
    (ms >= 0).then(|| Duration::from_millis(ms as u64))
}

/// `ppoll`'s timeout (a `struct timespec *`).
///
/// # Errors
/// `EFAULT`, `EINVAL` (negative or unnormalised).
pub fn ppoll_timeout(tmo: u64) -> Result<Option<Duration>, i32> {
    time_at(tmo, 1)
}

/// `select(nfds, readfds, writefds, exceptfds, timeout)` with a `struct
/// timeval` (`usec`) or, for `pselect6`, a `struct timespec`. The sets
/// are rewritten with the ready descriptors; the count of set bits is
/// returned.
///
/// # Errors
/// `EINVAL` (`nfds` out of range, bad timeout), `EFAULT`, `EBADF` (a
/// descriptor in a set is not open).
pub fn select(nfds: u64, sets: [u64; 3], timeout: Option<Duration>) -> Result<u64, i32> {
    if nfds > MAX_FDS {
        return Err(EINVAL);
    }
    let bytes = (nfds as usize).div_ceil(64) * 8;
    let read_set = |a: u64| -> Result<Vec<u8>, i32> {
        if a == 0 { Ok(alloc::vec![0; bytes]) } else { user(a, bytes).map(|s| s.to_vec()) }
    };
    let (r, w, x) = (read_set(sets[0])?, read_set(sets[1])?, read_set(sets[2])?);
    let bit = |s: &[u8], fd: usize| s[fd / 8] & (1 << (fd % 8)) != 0;
    let mut list = Vec::new();
    for fd in 0..nfds as usize {
        let mut ev = 0;
        if bit(&r, fd) {
            ev |= POLLIN;
        }
        if bit(&w, fd) {
            ev |= POLLOUT;
        }
        if ev != 0 || bit(&x, fd) {
            if with(|st| st.obj(fd as u32)).is_err() {
                return Err(EBADF);
            }
            list.push((fd as i32, ev));
        }
    }
    let rev = wait(&list, timeout)?;
    let (mut ro, mut wo) = (alloc::vec![0u8; bytes], alloc::vec![0u8; bytes]);
    let mut count = 0;
    for (&(fd, ev), &got) in list.iter().zip(&rev) {
        let fd = fd as usize;
        // select(2): end of file and errors count as readable.
        if ev & POLLIN != 0 && got & (POLLIN | POLLHUP | POLLERR) != 0 {
            ro[fd / 8] |= 1 << (fd % 8);
            count += 1;
        }
        if ev & POLLOUT != 0 && got & (POLLOUT | POLLERR) != 0 {
            wo[fd / 8] |= 1 << (fd % 8);
            count += 1;
        }
    }
    for (a, v) in [(sets[0], &ro), (sets[1], &wo), (sets[2], &alloc::vec![0u8; bytes])] {
        if a != 0 {
            user_mut(a, bytes)?.copy_from_slice(v);
        }
    }
    Ok(count)
}

/// `select`'s timeout (a `struct timeval *`).
///
/// # Errors
/// `EFAULT`, `EINVAL`.
pub fn select_timeout(tv: u64) -> Result<Option<Duration>, i32> {
    time_at(tv, 1000)
}
