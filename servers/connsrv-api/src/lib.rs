//! The connection server's protocol (docs/security-architecture.md §4).
//!
//! connsrv hands out every channel to a service. A service registers a
//! name (permission `service register` from its context to the name's
//! context, `servicecon` in the policy) and receives a fresh endpoint to
//! serve on, of which connsrv keeps only a send-and-grant copy; a client
//! asks to connect to a name, connsrv checks `service connect` (client
//! context → service context) with the security server and, if allowed,
//! mints a badged capability to the service's endpoint for the client.
//!
//! **Connection badges** ([`ConnBadge`]) carry the client's SID, so a
//! service knows who is calling from the badge alone, with no extra IPC and
//! no call back into connsrv (servers never wait on each other in a cycle).
//! A service reserves badges with bit 63 set for connsrv; its own badges
//! (handle tokens, region tokens) keep bit 63 clear.
//!
//! **Client identity.** A service keys its per-client state by the whole
//! badge ([`clients::Clients`]) and forgets it when connsrv reports the
//! connection closed ([`Request::TakeClosed`]). connsrv never reuses a
//! connection number while a service may still hold state for it: a
//! closed connection's number stays reserved until its service has taken
//! the closure, and closures are never dropped (a service with
//! [`MAX_PENDING_CLOSED`] untaken closures gets no new connections until it
//! takes them: `EAGAIN`).
//!
//! Requests and responses are postcard messages (`rampart_uabi::codec`).
//! Trusted requests ([`Request::NewTask`] and the boot requests) are only
//! accepted over init's and rm's channels ([`TRUSTED`] badges).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod client;
pub mod clients;
#[cfg(feature = "rt")]
pub mod rt;
pub mod small;

use alloc::string::String;
use alloc::vec::Vec;
use rampart_uabi::Errno;
use serde::{Deserialize, Serialize};

/// Badge bit of every connection minted by connsrv (on a service's endpoint
/// or on connsrv's own: a task's channel to connsrv is a connection too).
pub const CONN: u64 = 1 << 63;
/// Badge bit of the trusted channels to connsrv (init and rm), with the
/// holder's id in the low bits ([`TRUSTED_INIT`], [`TRUSTED_RM`]).
pub const TRUSTED: u64 = 1 << 62;
/// init's channel to connsrv.
pub const TRUSTED_INIT: u64 = TRUSTED | 1;
/// rm's channel to connsrv.
pub const TRUSTED_RM: u64 = TRUSTED | 2;
/// Largest connection number (31 bits).
pub const MAX_CONN: u32 = (1 << 31) - 1;
/// Connection number of the channels init mints itself at boot (before
/// connsrv exists): they carry a SID but belong to no connection.
pub const BOOT_CONN: u32 = 0;
/// Longest service name in bytes.
pub const NAME_MAX: usize = 64;
/// Longest security context accepted in a request, in bytes.
pub const CONTEXT_MAX: usize = 256;
/// Most closed connections returned by one [`Request::TakeClosed`].
pub const CLOSED_PER_REPLY: usize = 64;
/// Closures a service may leave untaken: with this many pending,
/// [`Request::Connect`] to its services fails with `EAGAIN` until it takes
/// them (backpressure instead of dropping closures).
pub const MAX_PENDING_CLOSED: usize = 4096;
/// Badge bit of the task notification a service gives connsrv with
/// [`Request::WatchClosed`] (`rt::Channel::watch_closed_events`): its
/// connections were closed, take them with [`Request::TakeClosed`]. (Bit 0
/// is `EVENT_CHILD`, bit 1 secsrv's `EVENT_POLICY`.)
pub const EVENT_CLOSED: u64 = 1 << 3;
/// Fresh endpoints in connsrv's pool below which it asks for more (it
/// signals the notification of [`Request::WatchPool`]).
pub const POOL_LOW: usize = 8;

/// The security server's service name.
pub const SECURITY_SERVICE: &str = "security";

/// A decoded connection badge: `CONN | conn << 32 | sid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConnBadge {
    /// The connection number (31 bits): unique among live connections and
    /// never reused while the service may hold state for an earlier
    /// connection with that number (until it has taken the closure).
    pub conn: u32,
    /// The client's security identifier.
    pub sid: u32,
}

impl ConnBadge {
    /// The badge word; `None` if `conn` exceeds [`MAX_CONN`].
    pub const fn encode(self) -> Option<u64> {
        if self.conn > MAX_CONN {
            return None;
        }
        Some(CONN | (self.conn as u64) << 32 | self.sid as u64)
    }

    /// Decodes a badge; `None` if it is not a connection badge.
    #[inline(always)]
    pub const fn decode(badge: u64) -> Option<ConnBadge> {
        if badge & CONN == 0 {
            return None;
        }
        Some(ConnBadge { conn: ((badge >> 32) as u32) & MAX_CONN, sid: badge as u32 })
    }
}

/// Who holds a connection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    /// Connection number.
    pub conn: u32,
    /// Client pid (0 if unknown).
    pub pid: u32,
    /// Client SID.
    pub sid: u32,
    /// Client context.
    pub context: String,
}

/// connsrv's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Registered services.
    pub services: u32,
    /// Live connections (task channels included).
    pub connections: u32,
    /// Connects granted since boot.
    pub granted: u64,
    /// Connects denied since boot.
    pub denied: u64,
    /// Connections revoked since boot.
    pub revoked: u64,
    /// Of those, connections revoked because a policy change (reload,
    /// boolean, enforcing mode) no longer grants their `service connect`.
    pub policy_revoked: u64,
    /// AVC hits / misses in connsrv.
    pub avc_hits: u64,
    /// AVC misses.
    pub avc_misses: u64,
    /// Fresh endpoints in the pool.
    pub endpoints: u32,
    /// Closed connections whose services have not taken them yet (their
    /// numbers are reserved until then).
    pub pending_closed: u32,
}

rampart_uabi::protocol! {
    /// Requests to connsrv.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// Responses from connsrv.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Done.
        Ok,
        /// A service was registered (the endpoint travels with the message).
        Registered,
        /// A connection was made (the badged capability travels with it).
        Connected {
            /// Connection number (for [`Request::Disconnect`]).
            conn: u32,
            /// The service's SID (the target of its own checks).
            service_sid: u32,
        },
        /// Closed connections.
        Closed(Vec<u32>),
        /// A connection's holder.
        Peer(Peer),
        /// A service's context.
        Context(String),
        /// Counters.
        Stats(Stats),
        /// A new task channel (the capability travels with the message).
        Channel {
            /// Its connection number.
            conn: u32,
            /// The task's SID.
            sid: u32,
        },
        /// The request failed.
        Err(Errno),
    }

    /// Registers service `name` under the caller's context (permission
    /// `service register` from the caller's context to the name's,
    /// `servicecon`). Reply [`Response::Registered`] with one capability: a
    /// fresh endpoint (all rights) to serve on; connsrv keeps only a copy
    /// with Write, Grant and GrantReply (it cannot receive on it). `EEXIST`
    /// (name taken), `EINVAL` (empty, longer than [`NAME_MAX`] or not
    /// printable ASCII), `EACCES` (denied, audited; also for a name the
    /// policy gives no context), `EAGAIN` (no fresh endpoint right now; a
    /// refill was asked for: try again), `ENOSPC` (connsrv's slots).
    Register {
        /// Service name.
        name: String,
    } -> Registered => register(slot: receive);
    /// Removes one of the caller's services; every connection to it is
    /// revoked. `ENOENT`, `EPERM` (not the caller's).
    Unregister {
        /// Service name.
        name: String,
    } -> Ok => unregister;
    /// Connects to service `name` (permission `service connect` from the
    /// caller's context to the service's). Reply [`Response::Connected`]
    /// with one capability: the badged endpoint (Write, Grant,
    /// GrantReply). `ENOENT`, `EACCES` (denied, audited), `EAGAIN` (the
    /// service has [`MAX_PENDING_CLOSED`] closures it has not taken yet),
    /// `ENOSPC`.
    Connect {
        /// Service name.
        name: String,
    } -> Connected { conn: u32, service_sid: u32 } => connect(slot: receive);
    /// Closes one of the caller's connections (its capability is revoked).
    /// `ENOENT`.
    Disconnect {
        /// Connection number from [`Response::Connected`].
        conn: u32,
    } -> Ok => disconnect;
    /// For services: the connections to the caller's services closed since
    /// the last call, oldest first (at most [`CLOSED_PER_REPLY`]; a full
    /// reply means more may be waiting). A number returned here may be
    /// given to a new connection from now on, so the caller must forget
    /// its state for it first. Reply [`Response::Closed`].
    TakeClosed -> Closed(Vec<u32>) => take_closed;
    /// For services: who holds a connection badge of one of the caller's
    /// services. Reply [`Response::Peer`]; `ENOENT`, `EPERM`.
    WhoIs {
        /// The badge the service received.
        badge: u64,
    } -> Peer(Peer) => who_is;
    /// The context a service is registered under. Reply
    /// [`Response::Context`]; `ENOENT`.
    Lookup {
        /// Service name.
        name: String,
    } -> Context(String) => lookup;
    /// Counters. Reply [`Response::Stats`].
    Stats -> Stats(Stats) => stats;
    /// Trusted (init, rm): a channel to connsrv for a new task running in
    /// `context`. Reply [`Response::Channel`] with one capability (slot 3 of
    /// the task). `EINVAL` (bad context), `EPERM` (untrusted caller).
    NewTask {
        /// The task's pid (0: not known yet; see [`Request::BindPid`]).
        pid: u32,
        /// Its security context.
        context: String,
    } -> Channel { conn: u32, sid: u32 } => new_task(slot: receive);
    /// Trusted: records the pid of a channel made before the task existed.
    BindPid {
        /// Channel (connection number) from [`Response::Channel`].
        conn: u32,
        /// The task's pid.
        pid: u32,
    } -> Ok => bind_pid;
    /// Trusted: task `pid` ended; its channel and every connection it made
    /// are revoked and its services unregistered. Reply [`Response::Ok`]
    /// (also for an unknown pid).
    TaskExited {
        /// The pid.
        pid: u32,
    } -> Ok => task_exited;
    /// Trusted, boot: registers a core service started before connsrv; the
    /// message carries a send capability to its endpoint (connsrv keeps a
    /// copy with Write, Grant and GrantReply only). `service register`
    /// from `context` to the name's context is checked. Core services get
    /// no closures (they keep no per-connection state). `EEXIST`,
    /// `EINVAL`, `EACCES`.
    RegisterCore {
        /// Service name.
        name: String,
        /// The service's context.
        context: String,
    } -> Ok => register_core(endpoint: give);
    /// Trusted, boot: the message carries connsrv's own channel to the
    /// security server (badged with connsrv's SID by init).
    SetSecurity {
        /// connsrv's SID.
        sid: u32,
    } -> Ok => set_security(channel: give);
    /// Trusted: the message carries a fresh endpoint for connsrv's pool;
    /// each [`Request::Register`] takes one. (Untyped memory cannot travel
    /// in messages, so init creates the endpoints.)
    GiveEndpoint -> Ok => give_endpoint(endpoint: give);
    /// For services: the message carries a notification capability (badged
    /// as the caller likes) that connsrv signals whenever closures become
    /// pending for the caller's services (none pending before). Replaces
    /// an earlier one. Reply [`Response::Ok`]; `EINVAL` (no capability).
    WatchClosed -> Ok => watch_closed(ntfn: give);
    /// Trusted: the message carries a notification capability that connsrv
    /// signals when its pool of fresh endpoints falls below [`POOL_LOW`]
    /// (once, until the next [`Request::GiveEndpoint`]). Reply
    /// [`Response::Ok`]; `EINVAL` (no capability).
    WatchPool -> Ok => watch_pool(ntfn: give);
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use rampart_uabi::codec::{MAX_WORDS, PROTOCOL_POSTCARD, decode, encode};

    fn rt<T: Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug>(v: T) {
        let mut w = [0u64; MAX_WORDS];
        let (l, n) = encode(&v, &mut w).unwrap();
        assert_eq!(decode::<T>(l, &w[..n]).unwrap(), v);
    }

    #[test]
    fn round_trips() {
        rt(Request::Register { name: "fs".into() });
        rt(Request::Connect { name: "security".into() });
        rt(Request::NewTask { pid: 7, context: "user_u:user_r:user_t".into() });
        rt(Request::WhoIs { badge: u64::MAX });
        rt(Request::WatchClosed);
        rt(Request::WatchPool);
        rt(Response::Connected { conn: MAX_CONN, service_sid: u32::MAX });
        rt(Response::Closed(alloc::vec![1; CLOSED_PER_REPLY]));
        rt(Response::Peer(Peer { conn: 1, pid: 2, sid: 3, context: "a:b:c".into() }));
        rt(Response::Err(Errno::EACCES));
    }

    /// The wire bytes the hand-written enums gave (variant index, then the
    /// fields): declaring the protocol with `protocol!` changed none.
    #[test]
    fn wire_bytes_unchanged_by_the_declaration() {
        use rampart_uabi::codec::encode_bytes;
        assert_eq!(encode_bytes(&Request::Register { name: "fs".into() }).unwrap(), [0, 2, b'f', b's']);
        assert_eq!(encode_bytes(&Request::Connect { name: "x".into() }).unwrap(), [2, 1, b'x']);
        assert_eq!(encode_bytes(&Request::TakeClosed).unwrap(), [4]);
        assert_eq!(encode_bytes(&Request::WatchPool).unwrap(), [15]);
        assert_eq!(encode_bytes(&Response::Connected { conn: 1, service_sid: 2 }).unwrap(), [2, 1, 2]);
        assert_eq!(encode_bytes(&Response::Channel { conn: 3, sid: 4 }).unwrap(), [7, 3, 4]);
        assert_eq!(encode_bytes(&Response::Err(Errno::EACCES)).unwrap(), [8, 26]);
    }

    #[test]
    fn badges() {
        let b = ConnBadge { conn: 5, sid: 9 };
        let w = b.encode().unwrap();
        assert_eq!(w & CONN, CONN);
        assert_eq!(ConnBadge::decode(w), Some(b));
        assert_eq!(ConnBadge::decode(TRUSTED_INIT), None);
        assert_eq!(ConnBadge::decode(0), None);
        assert_eq!(ConnBadge { conn: MAX_CONN + 1, sid: 0 }.encode(), None);
    }

    /// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
    /// (docs/assurance.md §10).
    fn cases(ci: u32) -> u32 {
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(3000)))]
        #[test]
        fn hostile_requests_never_panic(words in proptest::collection::vec(any::<u64>(), 0..16), len in 0u64..200) {
            let _ = decode::<Request>(PROTOCOL_POSTCARD | len, &words);
            let _ = decode::<Response>(PROTOCOL_POSTCARD | len, &words);
        }

        #[test]
        fn mutated_requests_never_panic(name in "[a-z]{0,20}", flip in 0usize..64, bit in 0u8..8) {
            let mut w = [0u64; MAX_WORDS];
            let (l, n) = encode(&Request::NewTask { pid: 3, context: name }, &mut w).unwrap();
            let mut bytes: std::vec::Vec<u8> = w[..n].iter().flat_map(|x| x.to_le_bytes()).collect();
            let i = flip % bytes.len().max(1);
            if let Some(b) = bytes.get_mut(i) { *b ^= 1 << bit; }
            let _ = rampart_uabi::codec::decode_bytes::<Request>(&bytes[..(l & 0xffff) as usize]);
        }

        #[test]
        fn badge_round_trip(conn in 0u32..=MAX_CONN, sid: u32) {
            let b = ConnBadge { conn, sid };
            prop_assert_eq!(ConnBadge::decode(b.encode().unwrap()), Some(b));
        }
    }
}
