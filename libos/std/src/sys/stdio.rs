//! Reading and writing descriptors, the standard streams and pipes.
//!
//! A read from an empty pipe (the file server answers `EAGAIN` while a
//! writer exists) and a write to a full one are retried after a pause
//! (`super::backoff`: a few yields, then 1 ms sleeps on the task's
//! timer); a terminal read blocks in the console server.

use super::backoff::Backoff;
use super::{Obj, State, console, fsys, netsys, with};
use crate::error::{Error, Result};
use crate::io::{Read, Write};
use rampart_console_api as con;
use rampart_rt::ipc::codec::{CallError, call};
use rampart_rt::signal::Interrupted;
use rampart_uabi::Errno;

/// Reads from descriptor `fd`.
///
/// A terminal read waits in the console interruptibly (the console lets only
/// the terminal's foreground process group read; a background job is
/// stopped by `SIGTTIN` until it is in the foreground, POSIX job control,
/// and a process of another session gets `EACCES`): a signal handler
/// that ran meanwhile makes it `EINTR` unless it asked for restarting; a
/// stop and continue is invisible. An empty pipe is waited for the same
/// way, pausing between attempts (`super::backoff`).
///
/// # Errors
/// `EBADF`, the server's error, `EINTR`, `EIO` (a background read that
/// cannot be stopped).
pub fn fd_read(fd: u32, buf: &mut [u8]) -> core::result::Result<usize, Errno> {
    let intr = Interrupted::start();
    let mut backoff = Backoff::new();
    loop {
        let r = with(|st: &mut State| match st.obj(fd)? {
            Obj::Fs(h) => fsys::read(st, h, buf).map(Some),
            Obj::Net(h) => netsys::recv(st, h, buf, rampart_net_api::MsgFlags(0)).map(|r| Some(r.0)),
            Obj::Tty(_) => Ok(None),
        });
        let r = match r {
            Ok(None) => return tty_read(fd, buf),
            Ok(Some(n)) => Ok(n),
            Err(e) => Err(e),
        };
        match r {
            // A pipe (the file server never waits); a socket's EAGAIN is
            // its non-blocking mode speaking.
            Err(Errno::EAGAIN) if !is_socket(fd) => {
                backoff.pause();
                if intr.eintr() {
                    return Err(Errno::EINTR);
                }
            }
            r => return r,
        }
    }
}

fn tty_read(fd: u32, buf: &mut [u8]) -> core::result::Result<usize, Errno> {
    let Obj::Tty(h) = with(|st| st.obj(fd))? else { return Err(Errno::EBADF) };
    let req = con::Request::Read { handle: h, max: buf.len().min(con::MAX_IO) as u32 };
    // The console asks rm whether this process is in the terminal's
    // foreground; a background reader's group is stopped (SIGTTIN) and the
    // call aborted, and is made again once continued.
    let mut intr = Interrupted::start();
    loop {
        let ep = with(|st| st.console())?;
        let r = rampart_rt::signal::interruptible(|| call::<_, con::Response>(ep, &req));
        match r {
            Ok(con::Response::Data(d)) => {
                let n = d.len().min(buf.len());
                buf[..n].copy_from_slice(&d[..n]);
                return Ok(n);
            }
            Ok(con::Response::Err(e)) => return Err(e),
            Ok(_) => return Err(Errno::EPROTO),
            Err(CallError::Aborted) => intr = intr.retry()?,
            Err(e) => return Err(e.errno()),
        }
    }
}

/// Writes to descriptor `fd` (some bytes; see [`Write::write_all`]).
///
/// # Errors
/// `EBADF`, `EPIPE`, the server's error.
pub fn fd_write(fd: u32, buf: &[u8]) -> core::result::Result<usize, Errno> {
    let mut backoff = Backoff::new();
    loop {
        let r = with(|st: &mut State| match st.obj(fd)? {
            Obj::Fs(h) => fsys::write(st, h, buf),
            Obj::Net(h) => netsys::send(st, h, buf, rampart_net_api::MsgFlags(0), None),
            Obj::Tty(h) => console(st)?.write(h, &buf[..buf.len().min(con::MAX_IO)]).map(|n| n as usize),
        });
        match r {
            // A pipe (the file server never waits); a socket's EAGAIN is
            // its non-blocking mode speaking.
            Err(Errno::EAGAIN) if !is_socket(fd) => backoff.pause(),
            // Nobody reads any more: SIGPIPE (which ends the program
            // unless it ignores or handles it), then EPIPE (`write(2)`).
            Err(Errno::EPIPE) => {
                let _ = rampart_rt::signal::raise(rampart_rt::signal::SIGPIPE);
                return Err(Errno::EPIPE);
            }
            r => return r,
        }
    }
}

fn is_socket(fd: u32) -> bool {
    with(|st| matches!(st.obj(fd), Ok(Obj::Net(_))))
}

/// Whether `fd` is a terminal.
pub fn is_terminal(fd: u32) -> bool {
    with(|st| matches!(st.obj(fd), Ok(Obj::Tty(_))))
}

/// Switches the terminal on `fd` to raw (no echo, no editing) or cooked.
///
/// # Errors
/// `ENOTTY` (25) if `fd` is not a terminal.
pub fn set_raw_mode(fd: u32, raw: bool) -> Result<()> {
    with(|st| match st.obj(fd)? {
        Obj::Tty(h) => {
            let mode = if raw { con::Mode::RAW } else { con::Mode::COOKED };
            console(st)?.set_mode(h, mode)
        }
        Obj::Fs(_) | Obj::Net(_) => Err(Errno::ENOTTY),
    })
    .map_err(Error::from)
}

/// The line-discipline settings of the terminal on `fd` (`tcgetattr`).
///
/// # Errors
/// `ENOTTY` (25) if `fd` is not a terminal; `EACCES` if the policy no
/// longer lets this process read it.
pub fn terminal_mode(fd: u32) -> Result<con::Mode> {
    with(|st| match st.obj(fd)? {
        Obj::Tty(h) => console(st)?.get_mode(h),
        Obj::Fs(_) | Obj::Net(_) => Err(Errno::ENOTTY),
    })
    .map_err(Error::from)
}

/// Sets the line-discipline settings of the terminal on `fd`
/// (`tcsetattr`); they are the terminal's, shared by every handle.
///
/// # Errors
/// `ENOTTY` (25) if `fd` is not a terminal; `EACCES` (policy).
pub fn set_terminal_mode(fd: u32, mode: con::Mode) -> Result<()> {
    with(|st| match st.obj(fd)? {
        Obj::Tty(h) => console(st)?.set_mode(h, mode),
        Obj::Fs(_) | Obj::Net(_) => Err(Errno::ENOTTY),
    })
    .map_err(Error::from)
}

/// The size of the terminal on `fd` in character cells (`TIOCGWINSZ`):
/// what the terminal last reported (docs/console.md, "Window size"),
/// 24 × 80 until it reports one.
///
/// # Errors
/// `ENOTTY` (25) if `fd` is not a terminal; `EACCES` (policy).
pub fn terminal_size(fd: u32) -> Result<crate::io::TerminalSize> {
    with(|st| match st.obj(fd)? {
        Obj::Tty(h) => console(st)?.get_win_size(h).map(|(rows, cols)| crate::io::TerminalSize { rows, cols }),
        Obj::Fs(_) | Obj::Net(_) => Err(Errno::ENOTTY),
    })
    .map_err(Error::from)
}

/// Makes the processes `pids` the foreground of the controlling terminal
/// (the terminal on `fd`): they are put into one process group led by
/// `pids[0]` (they must be the caller's children) and that group gets the
/// terminal's signal keys; with no pids the caller's own group becomes the
/// foreground again. A bridge for programs written before process groups
/// existed; new code starts jobs in their group (`Spawn::pgroup`) and uses
/// `rampart_rt::jobs::set_foreground`.
///
/// # Errors
/// `ENOTTY` (`fd` is not a terminal, or it is not the controlling one),
/// `EPERM`, `EACCES`.
pub fn set_foreground(fd: u32, pids: &[u32]) -> Result<()> {
    if !is_terminal(fd) {
        return Err(Error::from(Errno::ENOTTY));
    }
    let pgid = match pids.first() {
        Some(&leader) => {
            for &p in pids {
                // A process that already ended cannot move; its group
                // does not matter any more.
                let _ = rampart_rt::jobs::setpgid(p, leader);
            }
            leader
        }
        None => rampart_rt::jobs::group(0).map_err(Error::from)?.0,
    };
    rampart_rt::jobs::set_foreground(pgid).map_err(Error::from)
}

/// The id at rm of the terminal on `fd` (for
/// `rampart_rt::jobs::set_controlling_terminal`).
///
/// # Errors
/// `ENOTTY`, `EACCES`.
pub fn terminal_id(fd: u32) -> Result<u32> {
    with(|st| match st.obj(fd)? {
        Obj::Tty(h) => console(st)?.get_terminal(h),
        Obj::Fs(_) | Obj::Net(_) => Err(Errno::ENOTTY),
    })
    .map_err(Error::from)
}

/// Nothing is buffered in the library: present for programs that flush
/// before exiting.
pub fn flush_all() {}

macro_rules! stream {
    ($name:ident, $ctor:ident, $fd:expr, $doc:expr) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug)]
        pub struct $name;

        #[doc = $doc]
        pub fn $ctor() -> $name {
            $name
        }

        impl Read for $name {
            fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
                fd_read($fd, buf).map_err(Error::from)
            }
        }

        impl Write for $name {
            fn write(&mut self, buf: &[u8]) -> Result<usize> {
                fd_write($fd, buf).map_err(Error::from)
            }

            /// Formats first, then writes once: a line printed with
            /// `println!` reaches the terminal in one piece, not split
            /// by other programs' output (and costs one request).
            fn write_fmt(&mut self, args: core::fmt::Arguments<'_>) -> Result<()> {
                match args.as_str() {
                    Some(s) => self.write_all(s.as_bytes()),
                    None => self.write_all(alloc::fmt::format(args).as_bytes()),
                }
            }
        }
    };
}

stream!(Stdin, stdin, 0, "Standard input (descriptor 0).");
stream!(Stdout, stdout, 1, "Standard output (descriptor 1).");
stream!(Stderr, stderr, 2, "Standard error (descriptor 2).");

impl Stdin {
    /// Reads one line (with its `\n`) into `line`; returns the bytes read.
    ///
    /// # Errors
    /// As [`fd_read`]; `InvalidInput` for bytes that are not UTF-8.
    pub fn read_line(&mut self, line: &mut alloc::string::String) -> Result<usize> {
        let mut bytes = alloc::vec::Vec::new();
        let mut b = [0u8; 1];
        loop {
            match self.read(&mut b)? {
                0 => break,
                _ => {
                    bytes.push(b[0]);
                    if b[0] == b'\n' {
                        break;
                    }
                }
            }
        }
        line.push_str(core::str::from_utf8(&bytes).map_err(|_| Error::from(crate::ErrorKind::InvalidInput))?);
        Ok(bytes.len())
    }
}

/// The read end of a pipe (closed on drop).
#[derive(Debug)]
pub struct PipeReader(pub u32);
/// The write end of a pipe (closed on drop).
#[derive(Debug)]
pub struct PipeWriter(pub u32);

/// A new pipe (a file-server object).
///
/// # Errors
/// The file server's error.
pub fn pipe() -> Result<(PipeReader, PipeWriter)> {
    with(|st| {
        let (r, w) = fsys::pipe(st)?;
        Ok::<_, Errno>((PipeReader(st.install(Obj::Fs(r))), PipeWriter(st.install(Obj::Fs(w)))))
    })
    .map_err(Error::from)
}

impl Read for PipeReader {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        fd_read(self.0, buf).map_err(Error::from)
    }
}

impl Write for PipeWriter {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        fd_write(self.0, buf).map_err(Error::from)
    }
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        let _ = with(|st| st.close(self.0));
    }
}

impl Drop for PipeWriter {
    fn drop(&mut self) {
        let _ = with(|st| st.close(self.0));
    }
}

/// Opens the console terminal; returns its descriptor.
///
/// # Errors
/// `EACCES` (policy), `ENOENT` (no console server).
pub fn open_terminal() -> Result<u32> {
    with(|st| {
        let h = console(st)?.open()?;
        Ok::<_, Errno>(st.install(Obj::Tty(h)))
    })
    .map_err(Error::from)
}

/// Makes descriptor `new` refer to what `old` refers to (closing `new`
/// first if it was open).
///
/// # Errors
/// `EBADF`.
pub fn dup2(old: u32, new: u32) -> Result<u32> {
    with(|st| {
        let o = st.obj(old)?;
        if old != new {
            if st.fds.contains_key(&new) {
                st.close(new)?;
            }
            st.fds.insert(new, o);
        }
        Ok::<_, Errno>(new)
    })
    .map_err(Error::from)
}

/// Closes descriptor `fd`.
///
/// # Errors
/// `EBADF`.
pub fn close(fd: u32) -> Result<()> {
    with(|st| st.close(fd)).map_err(Error::from)
}

/// Sets the terminal on `fd` to cooked mode with or without echo.
///
/// # Errors
/// `ENOTTY`.
pub fn set_echo(fd: u32, echo: bool) -> Result<()> {
    with(|st| match st.obj(fd)? {
        Obj::Tty(h) => {
            let mode = con::Mode { raw: false, echo, isig: true };
            console(st)?.set_mode(h, mode)
        }
        Obj::Fs(_) | Obj::Net(_) => Err(Errno::ENOTTY),
    })
    .map_err(Error::from)
}
