//! [`NetServer`]: connections, handles, tokens, request dispatch, and the
//! operations held until they can complete.
//!
//! One value serves every client connection (the guest server is a
//! single-threaded loop: receive, [`NetServer::handle`], reply, and
//! [`NetServer::poll`] whenever a frame arrives, a request was handled or
//! [`NetServer::poll_at`] passes). A blocking operation that cannot
//! complete is never waited for: `handle` answers [`Outcome::Held`] and
//! the reply comes out of [`NetServer::take_replies`] after a later
//! `poll`, so the server keeps serving everyone else.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use rampart_net_api::{Errno, Handle, PollItem, Request, Response, SharedRegion, errno};
use smoltcp::time::Instant;

use crate::device::NetDevice;
use crate::security::{Mac, SecurityServer};
use crate::sock::{Ports, Sock, SockId};
use crate::stack::{IpConfig, Stack, StackError};

/// A client connection (the badge of its endpoint capability).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u32);

/// A held request, to be answered later (the guest main keeps the saved
/// reply capability under this number).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// The answer to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Reply now.
    Reply(Response),
    /// The reply comes later from [`NetServer::take_replies`].
    Held(Ticket),
}

/// Each connection's shared memory region (`AttachRegion`), seen only
/// through copies (`rampart_uabi::region`: the client may write it at any
/// moment, so the server never holds a reference into it). The guest main
/// maps regions through the resource manager; tests use [`MemRegions`].
pub trait Regions {
    /// The region of `conn` (empty if none is attached).
    fn region(&mut self, conn: ConnId) -> &mut dyn SharedRegion;
}

/// The region of a connection without one: no bytes.
pub fn no_region() -> &'static mut dyn SharedRegion {
    let e: &'static mut [u8; 0] = &mut [];
    e
}

/// Regions in host memory, one `Vec` per connection.
#[derive(Debug, Default)]
pub struct MemRegions(pub BTreeMap<ConnId, Vec<u8>>);

impl Regions for MemRegions {
    fn region(&mut self, conn: ConnId) -> &mut dyn SharedRegion {
        match self.0.get_mut(&conn) {
            Some(v) => v,
            None => no_region(),
        }
    }
}

/// Server configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// IPv4 configuration (static or DHCP).
    pub ip: IpConfig,
    /// Seed for TCP sequence numbers and the first ephemeral port.
    pub seed: u64,
    /// TCP receive buffer per connection in bytes (the advertised window;
    /// above 65535 window scaling is used).
    pub tcp_rx_buf: usize,
    /// TCP send buffer per connection in bytes.
    pub tcp_tx_buf: usize,
    /// UDP receive and send buffers per socket in bytes.
    pub udp_buf: usize,
    /// UDP datagrams buffered per direction per socket.
    pub udp_packets: usize,
    /// Sockets in the server at most (`ENOBUFS` beyond; lingering closes
    /// and listen pools count).
    pub max_sockets: usize,
    /// Handles per connection at most (`EMFILE` beyond).
    pub max_handles: usize,
    /// Largest listen backlog, connections (Linux's `net.core.somaxconn`
    /// default before 5.4); a larger `listen` backlog is clamped to it.
    /// Each pending connection holds a socket with its buffers, allocated
    /// when its SYN arrives (`backlog` module).
    pub max_backlog: usize,
    /// Held operations per connection at most (`ENOBUFS` beyond).
    pub max_held: usize,
    /// A TCP connection whose peer does not answer for this long is
    /// aborted (`ETIMEDOUT` for a connection attempt).
    pub tcp_timeout_ms: u64,
    /// A closed TCP connection still closing after this long is aborted.
    pub linger_ms: u64,
    /// Ephemeral port range (inclusive).
    pub ephemeral: (u16, u16),
}

impl Default for Config {
    fn default() -> Config {
        Config {
            ip: IpConfig::Dhcp,
            seed: 0x5eed,
            tcp_rx_buf: 64 * 1024,
            tcp_tx_buf: 64 * 1024,
            udp_buf: 16 * 1024,
            udp_packets: 32,
            max_sockets: 512,
            max_handles: 256,
            max_backlog: 128,
            max_held: 32,
            tcp_timeout_ms: 60_000,
            linger_ms: 60_000,
            ephemeral: (49152, 65535),
        }
    }
}

/// A client connection's state.
#[derive(Debug)]
pub(crate) struct Conn {
    pub sid: u32,
    pub handles: BTreeMap<u32, SockId>,
    next: u32,
    pub notify: bool,
    /// Items armed by `Poll { wait: Notify }`.
    pub armed: Option<Vec<PollItem>>,
    pub held: usize,
}

/// A held operation.
#[derive(Debug)]
pub(crate) struct Held {
    pub ticket: Ticket,
    pub conn: ConnId,
    pub req: Request,
    pub deadline: Option<Instant>,
    /// The policy generation its permission was checked under
    /// (`ObjectManager::generation`): checked again once it changes.
    pub generation: u64,
}

/// A closed TCP connection still closing in the background.
#[derive(Debug)]
pub(crate) struct Linger {
    pub h: smoltcp::iface::SocketHandle,
    pub port: u16,
    pub deadline: Instant,
}

/// The network server core.
pub struct NetServer<D: NetDevice, S: SecurityServer> {
    /// The TCP/IP stack.
    pub stack: Stack<D>,
    /// Mediation (security server, AVC, audit log).
    pub mac: Mac<S>,
    pub(crate) cfg: Config,
    pub(crate) conns: BTreeMap<ConnId, Conn>,
    next_conn: u32,
    pub(crate) socks: BTreeMap<SockId, Sock>,
    next_sock: u64,
    pub(crate) ports: Ports,
    pub(crate) tokens: BTreeMap<u64, (ConnId, Handle, SockId)>,
    next_token: u64,
    pub(crate) held: VecDeque<Held>,
    next_ticket: u64,
    pub(crate) replies: Vec<(Ticket, Response)>,
    signals: Vec<ConnId>,
    pub(crate) lingering: Vec<Linger>,
    /// When each listen-pool socket now in a half-open handshake got its
    /// SYN (the oldest is dropped first when a pool is full of them).
    pub(crate) half_open: BTreeMap<smoltcp::iface::SocketHandle, Instant>,
    /// Listening sockets (their pools are refilled after every frame).
    pub(crate) listeners: Vec<SockId>,
}

/// Why a server could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartError {
    /// The stack refused the device or the configuration.
    Stack(StackError),
    /// The policy lacks the vocabulary (see [`Mac::new`]).
    Policy(Errno),
}

impl<D: NetDevice, S: SecurityServer> NetServer<D, S> {
    /// A server on device `dev`, deciding through `sec`; `now_ms` is the
    /// current time in milliseconds.
    ///
    /// # Errors
    /// [`StartError`].
    pub fn new(dev: D, sec: S, cfg: Config, now_ms: u64) -> Result<NetServer<D, S>, StartError> {
        let mac = Mac::new(sec).map_err(StartError::Policy)?;
        let stack = Stack::new(dev, &cfg.ip, cfg.seed, now_ms).map_err(StartError::Stack)?;
        let ports = Ports::new(cfg.ephemeral, (cfg.seed >> 16) as u16);
        Ok(NetServer {
            stack,
            mac,
            cfg,
            conns: BTreeMap::new(),
            next_conn: 1,
            socks: BTreeMap::new(),
            next_sock: 1,
            ports,
            tokens: BTreeMap::new(),
            next_token: 1,
            held: VecDeque::new(),
            next_ticket: 1,
            replies: Vec::new(),
            signals: Vec::new(),
            lingering: Vec::new(),
            half_open: BTreeMap::new(),
            listeners: Vec::new(),
        })
    }

    /// Registers a client connection whose security context is `sid`.
    /// Identifiers are never those of a live connection (after 2^32 - 1
    /// connections they wrap, skipping live ones).
    pub fn connect(&mut self, sid: u32) -> ConnId {
        let mut n = self.next_conn;
        while self.conns.contains_key(&ConnId(n)) {
            n = n.wrapping_add(1).max(1);
        }
        self.next_conn = n.wrapping_add(1).max(1);
        let id = ConnId(n);
        self.conns.insert(id, Conn { sid, handles: BTreeMap::new(), next: 1, notify: false, armed: None, held: 0 });
        id
    }

    /// Ends a connection: closes its handles and drops its held operations
    /// (returned, so the caller can free their saved replies).
    pub fn disconnect(&mut self, conn: ConnId) -> Vec<Ticket> {
        let mut dropped = Vec::new();
        self.held.retain(|h| {
            if h.conn == conn {
                dropped.push(h.ticket);
                false
            } else {
                true
            }
        });
        if let Some(c) = self.conns.remove(&conn) {
            for (h, id) in c.handles {
                self.tokens.retain(|_, t| (t.0, t.1) != (conn, Handle(h)));
                self.unref(id);
            }
        }
        dropped
    }

    /// Handles one request of `conn`. `badge` is the badge the kernel
    /// unwrapped from a capability transferred with the request (a token
    /// for `AdoptToken`).
    pub fn handle<R: Regions>(&mut self, conn: ConnId, req: Request, badge: Option<u64>, regions: &mut R) -> Outcome {
        let Some(c) = self.conns.get(&conn) else { return Outcome::Reply(Response::Err(Errno::EBADF)) };
        let held = c.held;
        // Audit entries of this request name its connection (the guest
        // turns it into the client's pid).
        self.mac.om.set_subject(u64::from(conn.0));
        match self.dispatch(conn, &req, badge, regions) {
            Ok(Some(r)) => Outcome::Reply(r),
            Err(e) => Outcome::Reply(Response::Err(e)),
            Ok(None) => {
                if held >= self.cfg.max_held {
                    return Outcome::Reply(Response::Err(errno::ENOBUFS));
                }
                let deadline = self.deadline_of(conn, &req);
                let ticket = Ticket(self.next_ticket);
                self.next_ticket += 1;
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.held += 1;
                }
                let generation = self.mac.om.generation();
                self.held.push_back(Held { ticket, conn, req, deadline, generation });
                Outcome::Held(ticket)
            }
        }
    }

    /// Withdraws held operation `t` without answering it (the guest
    /// server could not keep its caller waiting, e.g. it ran out of saved
    /// reply objects, and answers it itself). Returns whether `t` was held.
    pub fn cancel(&mut self, t: Ticket) -> bool {
        let Some(i) = self.held.iter().position(|h| h.ticket == t) else { return false };
        if let Some(h) = self.held.remove(i)
            && let Some(c) = self.conns.get_mut(&h.conn)
        {
            c.held = c.held.saturating_sub(1);
        }
        true
    }

    /// Runs the stack (frames in and out, timers), then completes held
    /// operations that can complete or whose time is up, reaps closed
    /// connections and raises armed notifications. Returns true if a
    /// reply or a signal is waiting.
    pub fn poll<R: Regions>(&mut self, now_ms: u64, regions: &mut R) -> bool {
        self.run_stack(now_ms);
        self.update_sockets();
        self.retry_held(regions);
        // Completing held operations may queue data (or free window):
        // send it now rather than at the next event.
        self.run_stack(now_ms);
        self.reap();
        self.raise_signals();
        !self.replies.is_empty() || !self.signals.is_empty()
    }

    /// Takes the replies to held requests completed since the last call.
    pub fn take_replies(&mut self) -> Vec<(Ticket, Response)> {
        core::mem::take(&mut self.replies)
    }

    /// Takes the connections whose notification must be signalled.
    pub fn take_signals(&mut self) -> Vec<ConnId> {
        core::mem::take(&mut self.signals)
    }

    /// When [`NetServer::poll`] should run next at the latest, in
    /// milliseconds (stack timers, held operations' timeouts, lingering
    /// closes); `None`: only on the next frame or request.
    pub fn poll_at(&mut self) -> Option<u64> {
        let mut t = self.stack.poll_at();
        let mut at = |i: Instant| {
            let ms = i.total_millis().max(0) as u64;
            t = Some(t.map_or(ms, |x: u64| x.min(ms)));
        };
        for h in &self.held {
            if let Some(d) = h.deadline {
                at(d);
            }
        }
        for l in &self.lingering {
            at(l.deadline);
        }
        t
    }

    /// Sockets alive in the server (client sockets; not listen pools or
    /// lingering closes).
    pub fn socket_count(&self) -> usize {
        self.socks.len()
    }

    /// Closed connections still closing in the background.
    pub fn lingering_count(&self) -> usize {
        self.lingering.len()
    }

    /// The security context (SID) of the socket `h` names in `conn`.
    pub fn socket_sid(&self, conn: ConnId, h: Handle) -> Option<u32> {
        self.socks.get(&self.handle_sock(conn, h).ok()?).map(|s| s.sid)
    }

    /// Local ports in use (bound, listening, connected or closing).
    pub fn ports_in_use(&self) -> usize {
        self.ports.len()
    }

    /// Operations held.
    pub fn held_count(&self) -> usize {
        self.held.len()
    }

    fn dispatch<R: Regions>(
        &mut self,
        conn: ConnId,
        req: &Request,
        badge: Option<u64>,
        regions: &mut R,
    ) -> Result<Option<Response>, Errno> {
        let ssid = self.conns.get(&conn).ok_or(Errno::EBADF)?.sid;
        let r = match *req {
            Request::AttachRegion { .. } => Response::Ok,
            Request::AttachNotification => {
                self.conn(conn)?.notify = true;
                Response::Ok
            }
            Request::Socket { domain, ty, nonblocking } => {
                let id = self.socket(ssid, domain, ty, nonblocking)?;
                self.insert_handle(conn, id).map(Response::Handle)?
            }
            Request::Bind { handle, addr } => self.bind(conn, handle, addr).map(Response::Addr)?,
            Request::Listen { handle, backlog } => self.listen(conn, handle, backlog).map(|()| Response::Ok)?,
            Request::Connect { handle, addr } => match self.connect_start(conn, handle, addr)? {
                true => Response::Ok,
                false => return self.wait_or(conn, handle, false, errno::EINPROGRESS),
            },
            Request::Shutdown { handle, how } => self.shutdown(conn, handle, how).map(|()| Response::Ok)?,
            Request::Close { handle } => self.close(conn, handle).map(|()| Response::Ok)?,
            Request::SetNonBlocking { handle, on } => {
                let id = self.checked(conn, handle, &[crate::security::Perm::Setattr])?;
                self.sock(id)?.nonblocking = on;
                Response::Ok
            }
            Request::GetSockName { handle } => self.sockname(conn, handle).map(Response::Addr)?,
            Request::GetPeerName { handle } => self.peername(conn, handle).map(Response::Addr)?,
            Request::SetSockOpt { handle, opt } => self.setopt(conn, handle, opt).map(|()| Response::Ok)?,
            Request::GetSockOpt { handle, name } => self.getopt(conn, handle, name).map(Response::Opt)?,
            Request::ShareHandle { handle } => {
                let id = self.handle_sock(conn, handle)?;
                let badge = (2u64 << 40) | self.next_token;
                self.next_token += 1;
                self.tokens.insert(badge, (conn, handle, id));
                Response::Token(badge)
            }
            Request::AdoptToken => self.adopt(conn, badge.ok_or(Errno::EINVAL)?).map(Response::Handle)?,
            Request::InterfaceInfo => Response::Interface(self.stack.info()),
            Request::Accept { .. } | Request::Send { .. } | Request::Recv { .. } | Request::Poll { .. } => {
                return self.try_io(conn, req, regions, true);
            }
        };
        Ok(Some(r))
    }

    /// For an operation that would wait: `Ok(None)` (hold it) on a blocking
    /// socket, `Err(nb)` on a non-blocking one.
    fn wait_or(&mut self, conn: ConnId, h: Handle, dontwait: bool, nb: Errno) -> Result<Option<Response>, Errno> {
        let id = self.handle_sock(conn, h)?;
        if dontwait || self.sock(id)?.nonblocking { Err(nb) } else { Ok(None) }
    }

    fn deadline_of(&self, conn: ConnId, req: &Request) -> Option<Instant> {
        let now = self.stack.now();
        let ms = match req {
            Request::Poll { wait: rampart_net_api::Wait::Block { timeout_ms }, .. } => *timeout_ms,
            Request::Accept { handle, .. } | Request::Recv { handle, .. } => {
                self.peek_sock(conn, *handle).and_then(|s| s.opts.rcvtimeo_ms)
            }
            Request::Send { handle, .. } | Request::Connect { handle, .. } => {
                self.peek_sock(conn, *handle).and_then(|s| s.opts.sndtimeo_ms)
            }
            _ => None,
        }?;
        Some(now + smoltcp::time::Duration::from_millis(u64::from(ms)))
    }

    /// Tries every held operation again, in arrival order; answers those
    /// that complete, fail, or time out.
    fn retry_held<R: Regions>(&mut self, regions: &mut R) {
        let now = self.stack.now();
        let mut keep = VecDeque::with_capacity(self.held.len());
        while let Some(mut h) = self.held.pop_front() {
            // Decided for this connection even though no request of its is
            // being handled: its audit entries name it.
            self.mac.om.set_subject(u64::from(h.conn.0));
            let r = match self.recheck_held(&mut h).and_then(|()| self.try_io(h.conn, &h.req, regions, false)) {
                Ok(Some(r)) => Some(r),
                Err(e) => Some(Response::Err(e)),
                Ok(None) if h.deadline.is_some_and(|d| d <= now) => Some(self.timed_out(&h.req)),
                Ok(None) => None,
            };
            match r {
                Some(r) => {
                    if let Some(c) = self.conns.get_mut(&h.conn) {
                        c.held = c.held.saturating_sub(1);
                    }
                    self.replies.push((h.ticket, r));
                }
                None => keep.push_back(h),
            }
        }
        self.held = keep;
    }

    fn timed_out(&self, req: &Request) -> Response {
        match req {
            Request::Poll { items, .. } => Response::Ready(alloc::vec![rampart_net_api::Events::NONE; items.len()]),
            Request::Connect { .. } => Response::Err(errno::EINPROGRESS),
            _ => Response::Err(Errno::EAGAIN),
        }
    }

    /// Answers every held operation of `conn` on `h` with `e` (the handle
    /// was closed under them).
    pub(crate) fn fail_held(&mut self, conn: ConnId, h: Handle, e: Errno) {
        let mut keep = VecDeque::with_capacity(self.held.len());
        while let Some(x) = self.held.pop_front() {
            if x.conn == conn && req_handle(&x.req) == Some(h) {
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.held = c.held.saturating_sub(1);
                }
                self.replies.push((x.ticket, Response::Err(e)));
            } else {
                keep.push_back(x);
            }
        }
        self.held = keep;
    }

    fn raise_signals(&mut self) {
        let ids: Vec<ConnId> = self.conns.iter().filter(|(_, c)| c.armed.is_some()).map(|(id, _)| *id).collect();
        for id in ids {
            let items = self.conns.get(&id).and_then(|c| c.armed.clone()).unwrap_or_default();
            if self.readiness(id, &items).iter().any(|e| !e.is_empty()) {
                if let Some(c) = self.conns.get_mut(&id) {
                    c.armed = None;
                }
                self.signals.push(id);
            }
        }
    }

    pub(crate) fn conn(&mut self, conn: ConnId) -> Result<&mut Conn, Errno> {
        self.conns.get_mut(&conn).ok_or(Errno::EBADF)
    }

    pub(crate) fn sock(&mut self, id: SockId) -> Result<&mut Sock, Errno> {
        self.socks.get_mut(&id).ok_or(Errno::EBADF)
    }

    /// The socket `h` names in `conn`.
    pub(crate) fn handle_sock(&self, conn: ConnId, h: Handle) -> Result<SockId, Errno> {
        self.conns.get(&conn).ok_or(Errno::EBADF)?.handles.get(&h.0).copied().ok_or(Errno::EBADF)
    }

    fn peek_sock(&self, conn: ConnId, h: Handle) -> Option<&Sock> {
        self.socks.get(&self.handle_sock(conn, h).ok()?)
    }

    /// The socket `h` names, after checking `perms` for the connection.
    pub(crate) fn checked(
        &mut self,
        conn: ConnId,
        h: Handle,
        perms: &[crate::security::Perm],
    ) -> Result<SockId, Errno> {
        let ssid = self.conns.get(&conn).ok_or(Errno::EBADF)?.sid;
        let id = self.handle_sock(conn, h)?;
        let (tsid, proto) = self.socks.get(&id).map(|s| (s.sid, s.proto)).ok_or(Errno::EBADF)?;
        self.mac.check(ssid, tsid, proto, perms)?;
        Ok(id)
    }

    /// Adds a socket to the server's table (one reference).
    pub(crate) fn new_sock(&mut self, s: Sock) -> Result<SockId, Errno> {
        if crate::backlog::in_use(&self.socks, self.lingering.len(), &self.listeners) >= self.cfg.max_sockets {
            return Err(errno::ENOBUFS);
        }
        let id = SockId(self.next_sock);
        self.next_sock += 1;
        self.socks.insert(id, s);
        Ok(id)
    }

    /// Names socket `id` in `conn` (the caller has counted the reference).
    pub(crate) fn insert_handle(&mut self, conn: ConnId, id: SockId) -> Result<Handle, Errno> {
        let max = self.cfg.max_handles;
        let c = self.conns.get_mut(&conn).ok_or(Errno::EBADF)?;
        let h = match c.next.checked_add(1) {
            Some(next) if c.handles.len() < max => core::mem::replace(&mut c.next, next),
            _ => {
                self.unref(id);
                return Err(errno::EMFILE);
            }
        };
        c.handles.insert(h, id);
        Ok(Handle(h))
    }

    fn adopt(&mut self, conn: ConnId, badge: u64) -> Result<Handle, Errno> {
        use crate::security::Perm;
        let ssid = self.conns.get(&conn).ok_or(Errno::EBADF)?.sid;
        let &(_, _, id) = self.tokens.get(&badge).ok_or(Errno::EBADF)?;
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        let perms: &[Perm] = match s.st {
            crate::sock::St::Listening { .. } => &[Perm::Getattr, Perm::Accept],
            _ => &[Perm::Getattr, Perm::Send, Perm::Recv],
        };
        let (tsid, proto) = (s.sid, s.proto);
        self.mac.check(ssid, tsid, proto, perms)?;
        self.tokens.remove(&badge);
        self.sock(id)?.refs += 1;
        self.insert_handle(conn, id)
    }
}

/// The handle a request operates on.
pub(crate) fn req_handle(r: &Request) -> Option<Handle> {
    match *r {
        Request::Accept { handle, .. }
        | Request::Connect { handle, .. }
        | Request::Send { handle, .. }
        | Request::Recv { handle, .. } => Some(handle),
        _ => None,
    }
}
