//! A service's per-client state, keyed by the identity connsrv guarantees
//! is not reused while the state exists.
//!
//! The key is the whole connection badge (connection number and client
//! SID), never the number alone: state made for one client is never
//! handed to a connection with another SID, whatever connsrv does with
//! numbers. connsrv in turn reserves a closed connection's number until
//! the service has taken the closure ([`crate::Request::TakeClosed`]), so
//! a service that forgets a connection's state in [`Clients::closed`]
//! before asking connsrv for anything else never sees a new client under
//! a key whose old state it still holds.
//!
//! ```
//! use rampart_connsrv_api::ConnBadge;
//! use rampart_connsrv_api::clients::Clients;
//! let mut c: Clients<u32> = Clients::new();
//! let a = ConnBadge { conn: 7, sid: 3 }.encode().unwrap();
//! *c.entry(a, |b| b.sid).unwrap() += 10;
//! // Another client with the same number (and another SID) is a stranger.
//! let b = ConnBadge { conn: 7, sid: 4 }.encode().unwrap();
//! assert_eq!(*c.entry(b, |b| b.sid).unwrap(), 4);
//! assert_eq!(c.closed(7), vec![13, 4]);
//! assert!(c.is_empty());
//! ```

use crate::{CONN, ConnBadge};
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// Per-client state `T`, keyed by connection badge.
#[derive(Clone, Debug)]
pub struct Clients<T> {
    map: BTreeMap<u64, T>,
}

impl<T> Default for Clients<T> {
    fn default() -> Clients<T> {
        Clients::new()
    }
}

/// The canonical badge word of `badge`, if it is a connection badge.
fn key(badge: u64) -> Option<(u64, ConnBadge)> {
    let b = ConnBadge::decode(badge)?;
    Some((b.encode()?, b))
}

impl<T> Clients<T> {
    /// No clients.
    pub const fn new() -> Clients<T> {
        Clients { map: BTreeMap::new() }
    }

    /// The state of the client behind `badge`, made by `make` (from the
    /// decoded badge, e.g. its SID) on its first request; `None` if
    /// `badge` is not a connection badge.
    pub fn entry(&mut self, badge: u64, make: impl FnOnce(ConnBadge) -> T) -> Option<&mut T> {
        let (k, b) = key(badge)?;
        Some(self.map.entry(k).or_insert_with(|| make(b)))
    }

    /// The state of the client behind `badge`, if it has any.
    pub fn get_mut(&mut self, badge: u64) -> Option<&mut T> {
        let (k, _) = key(badge)?;
        self.map.get_mut(&k)
    }

    /// The state of the client behind `badge`, if it has any.
    pub fn get(&self, badge: u64) -> Option<&T> {
        let (k, _) = key(badge)?;
        self.map.get(&k)
    }

    /// Connection `conn` was closed (a number from `TakeClosed`): removes
    /// and returns the state of every client seen under that number, for
    /// the caller to release (handles, sockets, regions).
    pub fn closed(&mut self, conn: u32) -> Vec<T> {
        let lo = CONN | u64::from(conn) << 32;
        let keys: Vec<u64> = self.map.range(lo..=lo | u64::from(u32::MAX)).map(|(k, _)| *k).collect();
        keys.into_iter().filter_map(|k| self.map.remove(&k)).collect()
    }

    /// Every client's state.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.map.values()
    }

    /// Every client's state, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.map.values_mut()
    }

    /// Removes every client's state and returns it.
    pub fn drain(&mut self) -> Vec<T> {
        core::mem::take(&mut self.map).into_values().collect()
    }

    /// Clients with state.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// No client has state.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_CONN;
    use alloc::vec;

    fn badge(conn: u32, sid: u32) -> u64 {
        ConnBadge { conn, sid }.encode().unwrap()
    }

    #[test]
    fn keyed_by_the_whole_badge() {
        let mut c: Clients<(u32, u32)> = Clients::new();
        assert!(c.entry(5, |_| (0, 0)).is_none(), "not a connection badge");
        assert!(c.entry(crate::TRUSTED_RM, |_| (0, 0)).is_none());
        c.entry(badge(MAX_CONN, 9), |b| (b.conn, b.sid)).unwrap();
        c.entry(badge(MAX_CONN - 1, 9), |b| (b.conn, b.sid)).unwrap();
        c.entry(badge(1, u32::MAX), |b| (b.conn, b.sid)).unwrap();
        assert_eq!(c.get(badge(MAX_CONN, 8)), None, "same number, other SID: no state");
        assert_eq!(c.closed(MAX_CONN), vec![(MAX_CONN, 9)]);
        assert_eq!(c.closed(MAX_CONN), vec![]);
        assert_eq!(c.closed(0), vec![]);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get_mut(badge(1, u32::MAX)).copied(), Some((1, u32::MAX)));
        assert_eq!(c.drain().len(), 2);
        assert!(c.is_empty());
    }
}
