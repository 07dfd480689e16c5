//! Socket objects, their readiness, and the local port table.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use rampart_net_api::{Errno, Events, SockAddr};
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{IpAddress, IpEndpoint, IpListenEndpoint};

use crate::security::Proto;

/// A socket's number in the server (never reused).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SockId(pub u64);

/// Options set with `SetSockOpt`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Opts {
    pub reuse_addr: bool,
    pub nodelay: bool,
    pub keepalive_ms: Option<u32>,
    pub rcvtimeo_ms: Option<u32>,
    pub sndtimeo_ms: Option<u32>,
}

/// Where a socket is in its life.
#[derive(Debug)]
pub(crate) enum St {
    /// TCP created or bound, or a connection attempt failed; UDP unbound.
    Idle,
    /// TCP handshake in progress (since `since`).
    Connecting { h: SocketHandle, since: Instant },
    /// TCP connection (established or closing).
    Stream(SocketHandle),
    /// TCP listening: a pool of at most `backlog` smoltcp sockets on the
    /// port, pending connections and a few waiting in `LISTEN`
    /// (`crate::backlog`); `accept` takes an established one out.
    Listening { pool: Vec<SocketHandle>, backlog: usize },
    /// UDP, bound.
    Dgram(SocketHandle),
}

/// How a socket uses its local port (see [`Ports`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hold {
    /// Bound, listening, or UDP: excludes every other bind.
    Bound,
    /// A connection (client, accepted, or lingering after close): excludes
    /// binds without `ReuseAddr`.
    Conn,
}

/// A socket.
#[derive(Debug)]
pub(crate) struct Sock {
    /// Security context (the creator's, or the listener's for accepted
    /// connections).
    pub sid: u32,
    pub proto: Proto,
    pub nonblocking: bool,
    pub opts: Opts,
    /// Bound local address (`ip` may be unspecified).
    pub local: Option<SockAddr>,
    /// Connected peer (TCP remote, UDP default destination).
    pub peer: Option<SockAddr>,
    pub st: St,
    /// Handles naming this socket (over every connection).
    pub refs: u32,
    /// Pending asynchronous error (`SO_ERROR`).
    pub error: Option<Errno>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    /// The connection was reset (reported once as `ECONNRESET`).
    pub reset: bool,
    /// The port entry this socket holds.
    pub hold: Option<(u16, Hold)>,
}

impl Sock {
    /// A fresh socket.
    pub fn new(sid: u32, proto: Proto, nonblocking: bool) -> Sock {
        Sock {
            sid,
            proto,
            nonblocking,
            opts: Opts::default(),
            local: None,
            peer: None,
            st: St::Idle,
            refs: 1,
            error: None,
            shut_rd: false,
            shut_wr: false,
            reset: false,
            hold: None,
        }
    }

    /// Readiness of the socket now.
    pub fn readiness(&self, set: &SocketSet<'_>) -> Events {
        let mut ev = Events::NONE;
        if self.error.is_some() {
            ev = ev | Events::ERR;
        }
        match &self.st {
            St::Idle => {
                if self.proto == Proto::Tcp {
                    ev = ev | Events::HUP;
                    if self.error.is_some() {
                        // A failed connection attempt: wake writers.
                        ev = ev | Events::OUT;
                    }
                } else {
                    ev = ev | Events::OUT;
                }
            }
            St::Connecting { .. } => {}
            St::Stream(h) => {
                let s = set.get::<tcp::Socket>(*h);
                if s.can_recv() || !s.may_recv() || self.shut_rd {
                    ev = ev | Events::IN;
                }
                if !s.may_recv() && !s.can_recv() {
                    ev = ev | Events::RDHUP;
                }
                if s.can_send() || !s.may_send() {
                    ev = ev | Events::OUT;
                }
                if !s.is_open() || (!s.may_send() && !s.may_recv()) {
                    ev = ev | Events::HUP;
                }
            }
            St::Listening { pool, .. } => {
                if pool.iter().any(|h| acceptable(set.get::<tcp::Socket>(*h))) {
                    ev = ev | Events::IN;
                }
            }
            St::Dgram(h) => {
                let s = set.get::<udp::Socket>(*h);
                if s.can_recv() || self.shut_rd {
                    ev = ev | Events::IN;
                }
                if s.can_send() {
                    ev = ev | Events::OUT;
                }
            }
        }
        ev
    }
}

/// True if a listen-pool socket holds a connection ready to accept.
pub(crate) fn acceptable(s: &tcp::Socket<'_>) -> bool {
    !matches!(s.state(), tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed)
}

/// A protocol address as an API address (IPv4 only is configured).
pub(crate) fn to_addr(ep: IpEndpoint) -> SockAddr {
    match ep.addr {
        IpAddress::Ipv4(a) => SockAddr { ip: a.octets(), port: ep.port },
    }
}

/// An API address as a listen endpoint (`0.0.0.0`: any local address).
pub(crate) fn listen_ep(a: SockAddr) -> IpListenEndpoint {
    let addr = if a.is_unspecified_ip() { None } else { Some(IpAddress::Ipv4(a.ip.into())) };
    IpListenEndpoint { addr, port: a.port }
}

/// An API address as a smoltcp endpoint.
pub(crate) fn to_ep(a: SockAddr) -> IpEndpoint {
    IpEndpoint::new(IpAddress::Ipv4(a.ip.into()), a.port)
}

#[derive(Clone, Copy, Debug, Default)]
struct Use {
    bound: u32,
    conns: u32,
}

/// Local ports in use, per protocol.
///
/// A bind succeeds if no socket holds the port as [`Hold::Bound`], and —
/// unless the binding socket has `ReuseAddr` — no connection
/// ([`Hold::Conn`], including closing ones) uses it. Addresses are not
/// distinguished: a port is bound on every local address at once (the
/// interface has one).
#[derive(Debug)]
pub(crate) struct Ports {
    map: BTreeMap<(Proto, u16), Use>,
    next: u16,
    range: (u16, u16),
}

impl Ports {
    /// A table whose ephemeral ports are `range` (inclusive).
    pub fn new(range: (u16, u16), start: u16) -> Ports {
        let (lo, hi) = (range.0.max(1), range.1.max(range.0.max(1)));
        Ports { map: BTreeMap::new(), next: lo + start % (hi - lo + 1), range: (lo, hi) }
    }

    /// True if `port` may be bound.
    pub fn can_bind(&self, proto: Proto, port: u16, reuse: bool) -> bool {
        match self.map.get(&(proto, port)) {
            None => true,
            Some(u) => u.bound == 0 && (reuse || u.conns == 0),
        }
    }

    /// A free ephemeral port (no use at all).
    pub fn ephemeral(&mut self, proto: Proto) -> Option<u16> {
        let (lo, hi) = self.range;
        let n = u32::from(hi - lo) + 1;
        for _ in 0..n {
            let p = self.next;
            self.next = if p >= hi { lo } else { p + 1 };
            if !self.map.contains_key(&(proto, p)) {
                return Some(p);
            }
        }
        None
    }

    /// Records a use of `port`.
    pub fn take(&mut self, proto: Proto, port: u16, how: Hold) {
        let u = self.map.entry((proto, port)).or_default();
        match how {
            Hold::Bound => u.bound += 1,
            Hold::Conn => u.conns += 1,
        }
    }

    /// Drops a use of `port`.
    pub fn release(&mut self, proto: Proto, port: u16, how: Hold) {
        if let Some(u) = self.map.get_mut(&(proto, port)) {
            match how {
                Hold::Bound => u.bound = u.bound.saturating_sub(1),
                Hold::Conn => u.conns = u.conns.saturating_sub(1),
            }
            if u.bound == 0 && u.conns == 0 {
                self.map.remove(&(proto, port));
            }
        }
    }

    /// Ports in use.
    pub fn len(&self) -> usize {
        self.map.len()
    }
}
