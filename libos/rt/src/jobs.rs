//! Process groups, sessions and terminals (POSIX job control,
//! docs/signals.md): the resource manager's requests, as functions.

use crate::rm::request;
use rampart_rm_api::{Pid, Request, Response};
use rampart_uabi::Errno;

fn unexpected<T>(_: Response) -> Result<T, Errno> {
    Err(Errno::EPROTO)
}

/// `setpgid(2)`: puts `pid` (0: the caller; itself or a child) into group
/// `pgid` (0: `pid`).
///
/// # Errors
/// `ESRCH`, `EPERM`.
pub fn setpgid(pid: Pid, pgid: Pid) -> Result<(), Errno> {
    request(&Request::SetPgid { pid, pgid }).map(|_| ())
}

/// `setsid(2)`: the caller leads a new session (and group) with no
/// controlling terminal; returns the session id.
///
/// # Errors
/// `EPERM` (already a group leader).
pub fn setsid() -> Result<Pid, Errno> {
    match request(&Request::SetSid)? {
        Response::Group { sid, .. } => Ok(sid),
        r => unexpected(r),
    }
}

/// `(pgid, sid)` of `pid` (0: the caller): `getpgid(2)`, `getsid(2)`.
///
/// # Errors
/// `ESRCH`.
pub fn group(pid: Pid) -> Result<(Pid, Pid), Errno> {
    match request(&Request::GetGroup { pid })? {
        Response::Group { pgid, sid } => Ok((pgid, sid)),
        r => unexpected(r),
    }
}

/// The caller serves a terminal; its id at rm.
///
/// # Errors
/// rm's transport errors.
pub fn register_terminal() -> Result<u32, Errno> {
    match request(&Request::RegisterTerminal)? {
        Response::Terminal(id) => Ok(id),
        r => unexpected(r),
    }
}

/// The caller (a session leader) takes terminal `id` as its controlling
/// terminal (`TIOCSCTTY`).
///
/// # Errors
/// `EPERM`, `ENXIO`, `EBUSY`, `EACCES`.
pub fn set_controlling_terminal(id: u32) -> Result<(), Errno> {
    request(&Request::SetControllingTerminal { terminal: id }).map(|_| ())
}

/// `tcsetpgrp(3)` on the caller's controlling terminal. From a
/// background group rm stops the group with `SIGTTOU` (unless the caller
/// ignores or blocks it) and answers `EINTR`; once continued, the call is
/// made again, as Linux restarts it after a stop.
///
/// # Errors
/// `ENOTTY`, `EPERM`, `EACCES`, `EIO` (a background orphaned group).
pub fn set_foreground(pgid: Pid) -> Result<(), Errno> {
    loop {
        match request(&Request::SetForeground { pgid }) {
            Err(Errno::EINTR) => continue,
            r => return r.map(|_| ()),
        }
    }
}

/// `tcgetpgrp(3)`: (terminal id, foreground group; 0 none).
///
/// # Errors
/// `ENOTTY`.
pub fn foreground() -> Result<(u32, Pid), Errno> {
    match request(&Request::GetForeground)? {
        Response::Foreground { terminal, pgid } => Ok((terminal, pgid)),
        r => unexpected(r),
    }
}

/// From a terminal's server: signal its foreground group.
///
/// # Errors
/// `EPERM` (not its server), `EINVAL`.
pub fn terminal_signal(id: u32, sig: u8) -> Result<(), Errno> {
    request(&Request::TerminalSignal { terminal: id, sig }).map(|_| ())
}

/// From a terminal's server: may task `pid` read terminal `id` now (see
/// `rampart_rm_api::Request::TerminalAccess`)?
///
/// # Errors
/// `EACCES` (not in the terminal's session), `EINTR` (a background reader:
/// its group was sent `SIGTTIN`), `EIO` (a background reader that cannot be
/// stopped), `EPERM` (the caller does not serve the terminal).
pub fn terminal_access(id: u32, pid: Pid) -> Result<(), Errno> {
    request(&Request::TerminalAccess { terminal: id, pid }).map(|_| ())
}
