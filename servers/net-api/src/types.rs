//! Plain data types of the socket protocol: handles, addresses, flags,
//! options, readiness.

use alloc::vec::Vec;
use core::fmt;
use serde::{Deserialize, Serialize};

/// A socket handle: a server-side socket named by a number within one
/// client connection (docs/userland.md §4). Numbers are never reused while
/// the connection lives, so a stale number gives `EBADF`, never another
/// socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Handle(pub u32);

/// Address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Domain {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`): not served yet, `EAFNOSUPPORT`.
    Inet6,
}

/// Socket type; the protocol follows from it (TCP or UDP).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SockType {
    /// A TCP stream (`SOCK_STREAM`), class `tcp_socket`.
    Stream,
    /// UDP datagrams (`SOCK_DGRAM`), class `udp_socket`.
    Dgram,
}

/// An IPv4 socket address. `ip` is in network order (`[10, 0, 2, 15]`),
/// `port` a host-order number. `0.0.0.0` means "any address" when binding;
/// port 0 means "pick an ephemeral port".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct SockAddr {
    /// The four address bytes, most significant first.
    pub ip: [u8; 4],
    /// Port number.
    pub port: u16,
}

impl SockAddr {
    /// `0.0.0.0:0`.
    pub const UNSPECIFIED: SockAddr = SockAddr { ip: [0; 4], port: 0 };

    /// `a.b.c.d:port`.
    pub const fn new(a: u8, b: u8, c: u8, d: u8, port: u16) -> SockAddr {
        SockAddr { ip: [a, b, c, d], port }
    }

    /// True for `0.0.0.0`.
    pub const fn is_unspecified_ip(&self) -> bool {
        u32::from_be_bytes(self.ip) == 0
    }
}

impl fmt::Display for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.ip;
        write!(f, "{a}.{b}.{c}.{d}:{}", self.port)
    }
}

impl fmt::Debug for SockAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Which half of a stream `Shutdown` closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum How {
    /// No more receiving (`SHUT_RD`): buffered and later data is discarded.
    Read,
    /// No more sending (`SHUT_WR`): a FIN follows the queued data.
    Write,
    /// Both (`SHUT_RDWR`).
    Both,
}

/// Per-call flags of `Send`/`Recv` (Linux `MSG_*` values).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MsgFlags(pub u32);

impl MsgFlags {
    /// Return data without consuming it (`Recv` only).
    pub const PEEK: MsgFlags = MsgFlags(0x2);
    /// Do not wait for this call, whatever the socket's mode (`EAGAIN`).
    pub const DONTWAIT: MsgFlags = MsgFlags(0x40);
    /// Every flag the server understands; others give `EINVAL`.
    pub const KNOWN: u32 = 0x2 | 0x40;

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: MsgFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for MsgFlags {
    type Output = MsgFlags;
    fn bitor(self, rhs: MsgFlags) -> MsgFlags {
        MsgFlags(self.0 | rhs.0)
    }
}

/// Readiness bits of `Poll` (Linux `POLL*` values, so the library OS
/// passes them through).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Events(pub u16);

impl Events {
    /// Nothing.
    pub const NONE: Events = Events(0);
    /// Data to receive, a connection to accept, or end of stream (a
    /// receive would not wait).
    pub const IN: Events = Events(0x1);
    /// Room to send, or a non-blocking connection attempt finished (a send
    /// would not wait).
    pub const OUT: Events = Events(0x4);
    /// A pending error (`SockOpt::Error`). Always reported.
    pub const ERR: Events = Events(0x8);
    /// The connection is closed in both directions (or reset). Always
    /// reported.
    pub const HUP: Events = Events(0x10);
    /// The handle is not open. Always reported.
    pub const NVAL: Events = Events(0x20);
    /// The peer shut down its sending half (`POLLRDHUP`).
    pub const RDHUP: Events = Events(0x2000);
    /// Bits reported whether asked for or not.
    pub const ALWAYS: Events = Events(0x8 | 0x10 | 0x20);
    /// Every bit the server understands; others are ignored.
    pub const KNOWN: u16 = 0x1 | 0x4 | 0x8 | 0x10 | 0x20 | 0x2000;

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: Events) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if any bit of `other` is set.
    pub const fn intersects(self, other: Events) -> bool {
        self.0 & other.0 != 0
    }

    /// True if no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl core::ops::BitOr for Events {
    type Output = Events;
    fn bitor(self, rhs: Events) -> Events {
        Events(self.0 | rhs.0)
    }
}

impl core::ops::BitAnd for Events {
    type Output = Events;
    fn bitand(self, rhs: Events) -> Events {
        Events(self.0 & rhs.0)
    }
}

/// One socket of a `Poll` and the events asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PollItem {
    /// The socket.
    pub handle: Handle,
    /// Events of interest ([`Events::ALWAYS`] are added by the server).
    pub events: Events,
}

/// How `Poll` waits when nothing is ready.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Wait {
    /// Answer at once (`poll(..., 0)`).
    Now,
    /// Answer when something is ready or after `timeout_ms` milliseconds
    /// (`None`: no timeout). The server holds the reply; it never blocks.
    Block {
        /// Timeout in milliseconds.
        timeout_ms: Option<u32>,
    },
    /// Answer at once, and if nothing is ready, signal the connection's
    /// notification (see `AttachNotification`) once when one of the items
    /// becomes ready. This is how the library OS waits on sockets and
    /// files together: it arms every server involved, waits on its
    /// notification, then polls again with `Now`. One armed set per
    /// connection; a new `Poll` replaces it.
    Notify,
}

/// A socket option with its value (`SetSockOpt`, and the answer of
/// `GetSockOpt`). Times are milliseconds; `None` is "off"/"forever".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SockOpt {
    /// `SO_REUSEADDR`: bind a port still held by closing (lingering)
    /// connections. Default off.
    ReuseAddr(bool),
    /// `TCP_NODELAY`: disable Nagle's algorithm. Default off (Nagle on).
    /// Stream sockets only.
    NoDelay(bool),
    /// `SO_KEEPALIVE` with its interval in milliseconds. Stream only.
    KeepAlive(Option<u32>),
    /// `SO_RCVTIMEO`: how long a blocking `Recv`/`Accept` waits before
    /// `EAGAIN`. Default `None`.
    RecvTimeout(Option<u32>),
    /// `SO_SNDTIMEO`: how long a blocking `Send`/`Connect` waits before
    /// `EAGAIN`. Default `None`.
    SendTimeout(Option<u32>),
    /// `SO_RCVBUF` in bytes (read-only: buffers are sized by the server).
    RecvBuf(u32),
    /// `SO_SNDBUF` in bytes (read-only).
    SendBuf(u32),
    /// `SO_ERROR` (read-only; reading it clears it): the result of a
    /// non-blocking connection attempt, or an asynchronous error.
    Error(Option<crate::Errno>),
    /// `SO_TYPE` (read-only).
    Type(SockType),
    /// `SO_ACCEPTCONN` (read-only): true while listening.
    AcceptConn(bool),
}

/// The name of a socket option (`GetSockOpt`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(missing_docs)]
pub enum OptName {
    ReuseAddr,
    NoDelay,
    KeepAlive,
    RecvTimeout,
    SendTimeout,
    RecvBuf,
    SendBuf,
    Error,
    Type,
    AcceptConn,
}

impl SockOpt {
    /// The option's name.
    pub const fn name(&self) -> OptName {
        match self {
            SockOpt::ReuseAddr(_) => OptName::ReuseAddr,
            SockOpt::NoDelay(_) => OptName::NoDelay,
            SockOpt::KeepAlive(_) => OptName::KeepAlive,
            SockOpt::RecvTimeout(_) => OptName::RecvTimeout,
            SockOpt::SendTimeout(_) => OptName::SendTimeout,
            SockOpt::RecvBuf(_) => OptName::RecvBuf,
            SockOpt::SendBuf(_) => OptName::SendBuf,
            SockOpt::Error(_) => OptName::Error,
            SockOpt::Type(_) => OptName::Type,
            SockOpt::AcceptConn(_) => OptName::AcceptConn,
        }
    }
}

/// The interface configuration (`InterfaceInfo`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IfInfo {
    /// Hardware (MAC) address.
    pub mac: [u8; 6],
    /// IPv4 address and prefix length; `None` while DHCP has no lease.
    pub addr: Option<([u8; 4], u8)>,
    /// Default gateway.
    pub gateway: Option<[u8; 4]>,
    /// DNS servers, preferred first.
    pub dns: Vec<[u8; 4]>,
    /// IP MTU in bytes (1500 on Ethernet).
    pub mtu: u16,
    /// True if the address came from DHCP.
    pub dhcp: bool,
}
