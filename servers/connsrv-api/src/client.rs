//! Transport-independent client calls. A [`Transport`] carries one request
//! and returns the response: IPC in programs ([`crate::rt`]), a direct call
//! into the server's logic in host tests. The typed calls are the
//! generated [`Client`]'s (`rampart_uabi::protocol!`); the functions here
//! are the ones services use on any transport.

use crate::{Peer, Response, Stats};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_uabi::Errno;

pub use crate::{Client, Transport};

/// Turns `Response::Err` into `Err`.
///
/// # Errors
/// The error the server returned.
pub fn check(r: Response) -> Result<Response, Errno> {
    match r {
        Response::Err(e) => Err(e),
        r => Ok(r),
    }
}

/// Connections to the caller's services closed since the last call
/// ([`crate::Request::TakeClosed`]).
///
/// # Errors
/// Transport errors; `EPROTO` for a wrong response.
pub fn take_closed(t: &mut impl Transport) -> Result<Vec<u32>, Errno> {
    Client(t).take_closed()
}

/// Takes every pending closure ([`take_closed`] until a reply is not full),
/// calling `forget` on each number as it arrives; returns how many there
/// were. The service must forget its state for a number in `forget`: from
/// the reply on, connsrv may give the number to a new connection.
///
/// # Errors
/// Transport errors; `EPROTO` for a wrong response (numbers already
/// delivered to `forget` stay taken).
pub fn drain_closed(t: &mut impl Transport, mut forget: impl FnMut(u32)) -> Result<usize, Errno> {
    let mut n = 0;
    loop {
        let v = take_closed(t)?;
        let full = v.len() >= crate::CLOSED_PER_REPLY;
        n += v.len();
        v.into_iter().for_each(&mut forget);
        if !full {
            return Ok(n);
        }
    }
}

/// Who holds `badge` (a connection to one of the caller's services).
///
/// # Errors
/// `ENOENT`, `EPERM`, transport errors.
pub fn who_is(t: &mut impl Transport, badge: u64) -> Result<Peer, Errno> {
    Client(t).who_is(badge)
}

/// The context service `name` is registered under.
///
/// # Errors
/// `ENOENT`, transport errors.
pub fn lookup(t: &mut impl Transport, name: &str) -> Result<String, Errno> {
    Client(t).lookup(name)
}

/// Closes connection `conn`.
///
/// # Errors
/// `ENOENT`, transport errors.
pub fn disconnect(t: &mut impl Transport, conn: u32) -> Result<(), Errno> {
    Client(t).disconnect(conn)
}

/// connsrv's counters.
///
/// # Errors
/// Transport errors.
pub fn stats(t: &mut impl Transport) -> Result<Stats, Errno> {
    Client(t).stats()
}
