//! The terminal as a Linux program sees it (ioctl_tty(2), termios(3)):
//! `TCGETS`/`TCSETS*` over the console's line discipline, the window
//! size, the foreground process group, `O_NONBLOCK` and the `VMIN`/`VTIME`
//! rules of non-canonical reads.
//!
//! The console models three settings of a terminal — canonical or raw,
//! echo, signal keys (`rampart_console_api::Mode`); the rest of a
//! `termios` image is kept here, per process, as the program last set it,
//! and `TCGETS` overlays the console's current settings on it
//! (`rampart_linux_abi::termios`). The settings are the terminal's, shared
//! with every other process on it, as on Linux: a program that dies in raw
//! mode leaves the terminal raw until someone resets it, and the native
//! shell does, before each command and around its own line editor
//! (docs/console.md, "stty").
//!
//! Every request goes to the console, which checks it against this
//! process's security context; nothing here adds authority.

use crate::mem::{put, user};
use alloc::collections::BTreeSet;
use core::time::Duration;
use rampart_libos::io::{self, TerminalMode};
use rampart_libos::poll::{POLLIN, PollFd};
use rampart_libos::rampart_rt::jobs;
use rampart_libos::sys::{Obj, with};
use rampart_linux_abi::errno::*;
use rampart_linux_abi::structs::{self, Termios};
use rampart_linux_abi::termios::{self as t, LineMode, RawRead};
use spin::Mutex;

/// The `termios` image this process last set (`None`: Linux's defaults).
static IMAGE: Mutex<Option<Termios>> = Mutex::new(None);
/// Terminal descriptors with `O_NONBLOCK` (`fcntl(F_SETFL)`).
static NONBLOCK: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// `O_NONBLOCK` (fcntl.h).
pub const O_NONBLOCK: u64 = 0o4000;

fn errno(e: rampart_uabi::Errno) -> i32 {
    from_rampart(e.0)
}

fn io_errno(e: rampart_libos::io::IoError) -> i32 {
    from_rampart(e.raw_os_error())
}

/// Whether `fd` is a terminal.
pub fn is_tty(fd: u32) -> bool {
    matches!(with(|st| st.obj(fd)), Ok(Obj::Tty(_)))
}

/// The console's settings as termios flags.
pub fn line_mode(m: TerminalMode) -> LineMode {
    LineMode { canonical: !m.raw, echo: m.echo, isig: m.isig }
}

/// The console settings a termios image asks for.
pub fn console_mode(m: LineMode) -> TerminalMode {
    TerminalMode { raw: !m.canonical, echo: m.echo, isig: m.isig }
}

/// The terminal's current `termios`: this process's last image (or the
/// default cooked one) with the console's current settings.
fn current(fd: u32) -> Result<Termios, i32> {
    let mode = io::terminal_mode(fd).map_err(io_errno)?;
    let base = IMAGE.lock().unwrap_or_else(Termios::cooked);
    Ok(base.with_line_mode(line_mode(mode)))
}

/// `TCSETS`, `TCSETSW` (output is written synchronously: nothing to
/// drain) and `TCSETSF` (pending input is discarded, as Linux does).
fn set(fd: u32, arg: u64, flush: bool) -> Result<u64, i32> {
    let src: &[u8; 36] = user(arg, 36)?.try_into().map_err(|_| EFAULT)?;
    let img = Termios::from_bytes(src);
    io::set_terminal_mode(fd, console_mode(img.line_mode())).map_err(io_errno)?;
    *IMAGE.lock() = Some(img);
    if flush {
        discard_input(fd);
    }
    Ok(0)
}

/// Reads and drops what input is ready (bounded: a fast typist cannot keep
/// the call going).
fn discard_input(fd: u32) {
    let mut buf = [0u8; 256];
    for _ in 0..64 {
        if !readable(fd, Duration::ZERO) || io::fd_read(fd, &mut buf).is_err() {
            break;
        }
    }
}

/// Whether input is ready on terminal `fd` within `wait`.
fn readable(fd: u32, wait: Duration) -> bool {
    let mut p = [PollFd::new(fd, POLLIN)];
    rampart_libos::poll::poll(&mut p, Some(wait)).is_ok_and(|n| n > 0 && p[0].revents & POLLIN != 0)
}

/// `ioctl` on a terminal (ioctl_tty(2)); `ENOTTY` for anything else.
///
/// # Errors
/// `ENOTTY` (not a terminal, or a request the console does not offer),
/// `EFAULT`, and the console's or rm's refusals (`EACCES`, `EPERM`...).
pub fn ioctl(fd: u32, req: u64, arg: u64) -> Result<u64, i32> {
    if !is_tty(fd) {
        return Err(ENOTTY);
    }
    match req {
        structs::TCGETS => put(arg, &current(fd)?.to_bytes()).map(|()| 0),
        structs::TCSETS | t::TCSETSW => set(fd, arg, false),
        t::TCSETSF => set(fd, arg, true),
        // 24 × 80 until the terminal reports its size (docs/console.md).
        structs::TIOCGWINSZ => {
            let s = io::terminal_size(fd).map_err(io_errno)?;
            put(arg, &structs::winsize(s.rows, s.cols)).map(|()| 0)
        }
        t::TIOCGPGRP => {
            let (_, pgid) = jobs::foreground().map_err(errno)?;
            put(arg, &pgid.to_le_bytes()).map(|()| 0)
        }
        t::TIOCSPGRP => {
            let b: [u8; 4] = user(arg, 4)?.try_into().map_err(|_| EFAULT)?;
            let pgid = i32::from_le_bytes(b);
            if pgid <= 0 {
                return Err(EINVAL);
            }
            jobs::set_foreground(pgid as u32).map(|()| 0).map_err(errno)
        }
        t::TIOCGSID => {
            let (_, sid) = jobs::group(0).map_err(errno)?;
            put(arg, &sid.to_le_bytes()).map(|()| 0)
        }
        _ => Err(ENOTTY),
    }
}

/// Records `O_NONBLOCK` for a terminal descriptor (`F_SETFL`); other
/// descriptors keep their blocking behaviour.
pub fn set_nonblock(fd: u32, on: bool) {
    if !is_tty(fd) {
        return;
    }
    let mut n = NONBLOCK.lock();
    if on {
        n.insert(fd);
    } else {
        n.remove(&fd);
    }
}

/// Whether `fd` has `O_NONBLOCK`.
pub fn is_nonblock(fd: u32) -> bool {
    NONBLOCK.lock().contains(&fd)
}

/// `fd` was closed (its flags go with it).
pub fn closed(fd: u32) {
    NONBLOCK.lock().remove(&fd);
}

/// `read(2)` on a terminal: with `O_NONBLOCK`, `EAGAIN` when nothing is
/// ready; in non-canonical mode `VMIN`/`VTIME` as termios(3) says (0 bytes
/// when a `VMIN == 0` read finds nothing in time); otherwise the
/// console's blocking read. `None` if `fd` is not a terminal.
pub fn read(fd: u32, dst: &mut [u8]) -> Option<Result<usize, i32>> {
    if !is_tty(fd) {
        return None;
    }
    if dst.is_empty() {
        return Some(Ok(0));
    }
    let nonblock = is_nonblock(fd);
    let img = IMAGE.lock().unwrap_or_else(Termios::cooked);
    let raw = io::terminal_mode(fd).is_ok_and(|m| m.raw);
    let wait = match (nonblock, raw, img.raw_read()) {
        (true, _, _) => Some((Duration::ZERO, Err(EAGAIN))),
        (false, true, RawRead::Poll) => Some((Duration::ZERO, Ok(0))),
        (false, true, RawRead::Timeout(ms)) => Some((Duration::from_millis(u64::from(ms)), Ok(0))),
        _ => None,
    };
    if let Some((d, none)) = wait
        && !readable(fd, d)
    {
        return Some(none);
    }
    Some(io::fd_read(fd, dst).map_err(errno))
}
