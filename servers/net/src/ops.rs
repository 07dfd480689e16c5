//! Operations that complete at once: creating, binding, listening,
//! starting connections, shutting down, closing, options; and the
//! per-poll bookkeeping of socket states and lingering closes.

use alloc::vec;
use rampart_net_api::{Domain, Errno, Handle, How, OptName, SockAddr, SockOpt, SockType, errno};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::{tcp, udp};
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::Ipv4Address;

use crate::device::NetDevice;
use crate::security::{Perm, Proto, SecurityServer};
use crate::server::{ConnId, Linger, NetServer};
use crate::sock::{Hold, Sock, SockId, St, listen_ep, to_addr, to_ep};

impl<D: NetDevice, S: SecurityServer> NetServer<D, S> {
    /// A new smoltcp TCP socket with the configured buffers and timeout
    /// and the socket's options.
    pub(crate) fn tcp_socket(&mut self, opts: crate::sock::Opts) -> SocketHandle {
        crate::backlog::tcp_socket(&mut self.stack, &self.cfg, opts)
    }

    fn udp_socket(&mut self) -> SocketHandle {
        let (n, b) = (self.cfg.udp_packets, self.cfg.udp_buf);
        let buf = || udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; n], vec![0; b]);
        self.stack.sockets.add(udp::Socket::new(buf(), buf()))
    }

    /// `Socket`: checked as `create` on the new socket's own context.
    pub(crate) fn socket(&mut self, ssid: u32, domain: Domain, ty: SockType, nb: bool) -> Result<SockId, Errno> {
        if domain != Domain::Inet {
            return Err(errno::EAFNOSUPPORT);
        }
        let proto = match ty {
            SockType::Stream => Proto::Tcp,
            SockType::Dgram => Proto::Udp,
        };
        self.mac.check(ssid, ssid, proto, &[Perm::Create])?;
        self.new_sock(Sock::new(ssid, proto, nb))
    }

    /// Binds `id` to `addr` (port 0: an ephemeral port). `name_bind` is
    /// checked on the port when `server` (an explicit `Bind`, or `Listen`
    /// on an unbound socket); a client's implicit bind (`Connect`, `Send`)
    /// is not, its destination is checked with `name_connect` instead.
    pub(crate) fn bind_sock(&mut self, id: SockId, addr: SockAddr, server: bool) -> Result<SockAddr, Errno> {
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        if s.local.is_some() || !matches!(s.st, St::Idle) {
            return Err(Errno::EINVAL);
        }
        let (proto, sid, reuse) = (s.proto, s.sid, s.opts.reuse_addr);
        if !addr.is_unspecified_ip() && self.stack.ipv4() != Some(Ipv4Address::from(addr.ip)) {
            return Err(errno::EADDRNOTAVAIL);
        }
        let port = match addr.port {
            0 => self.ports.ephemeral(proto).ok_or(errno::EADDRNOTAVAIL)?,
            p => p,
        };
        if server {
            let tsid = self.mac.port_sid(proto, port)?;
            self.mac.check(sid, tsid, proto, &[Perm::NameBind])?;
        }
        if addr.port != 0 && !self.ports.can_bind(proto, port, reuse) {
            return Err(errno::EADDRINUSE);
        }
        let local = SockAddr { ip: addr.ip, port };
        let st = match proto {
            Proto::Tcp => St::Idle,
            Proto::Udp => {
                let h = self.udp_socket();
                if self.stack.sockets.get_mut::<udp::Socket>(h).bind(listen_ep(local)).is_err() {
                    self.stack.sockets.remove(h);
                    return Err(Errno::EINVAL);
                }
                St::Dgram(h)
            }
        };
        self.ports.take(proto, port, Hold::Bound);
        let s = self.sock(id)?;
        s.local = Some(local);
        s.hold = Some((port, Hold::Bound));
        s.st = st;
        Ok(local)
    }

    /// `Bind`: checked as `bind`, plus `name_bind` on the port.
    pub(crate) fn bind(&mut self, conn: ConnId, h: Handle, addr: SockAddr) -> Result<SockAddr, Errno> {
        let id = self.checked(conn, h, &[Perm::Bind])?;
        self.bind_sock(id, addr, true)
    }

    /// `Listen`: checked as `listen`.
    pub(crate) fn listen(&mut self, conn: ConnId, h: Handle, backlog: u32) -> Result<(), Errno> {
        let id = self.checked(conn, h, &[Perm::Listen])?;
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        if s.proto != Proto::Tcp {
            return Err(errno::EOPNOTSUPP);
        }
        match s.st {
            St::Listening { .. } => return Ok(()),
            St::Idle => {}
            _ => return Err(Errno::EINVAL),
        }
        if s.local.is_none() {
            self.bind_sock(id, SockAddr::UNSPECIFIED, true)?;
        }
        let backlog = (backlog as usize).clamp(1, self.cfg.max_backlog.max(1));
        self.sock(id)?.st = St::Listening { pool: vec![], backlog };
        self.listeners.push(id);
        self.refill_pools();
        Ok(())
    }

    /// Checks a destination: `EINVAL` for port 0 or `0.0.0.0`, `EACCES` for
    /// broadcast and multicast (no `SO_BROADCAST`; Linux's answer),
    /// `ENETUNREACH` for loopback (not served) and for destinations
    /// without a route, `ENETDOWN` without an address.
    pub(crate) fn check_dst(&self, a: SockAddr) -> Result<(), Errno> {
        if a.port == 0 || a.is_unspecified_ip() {
            return Err(Errno::EINVAL);
        }
        let dst = Ipv4Address::from(a.ip);
        let subnet_bcast = self.stack.iface.ip_addrs().iter().any(|c| match c {
            smoltcp::wire::IpCidr::Ipv4(c) => c.broadcast() == Some(dst),
        });
        if dst.is_broadcast() || dst.is_multicast() || subnet_bcast {
            return Err(Errno::EACCES);
        }
        if dst.is_loopback() || a.ip[0] == 0 {
            return Err(errno::ENETUNREACH);
        }
        if self.stack.ipv4().is_none() {
            return Err(errno::ENETDOWN);
        }
        if !self.routable(dst) {
            return Err(errno::ENETUNREACH);
        }
        Ok(())
    }

    /// True if `dst` is on the interface's network or a gateway exists.
    fn routable(&self, dst: Ipv4Address) -> bool {
        let on_link = self.stack.iface.ip_addrs().iter().any(|c| match c {
            smoltcp::wire::IpCidr::Ipv4(c) => c.contains_addr(&dst) && c.address() != dst,
        });
        on_link || self.stack.info().gateway.is_some_and(|_| self.stack.ipv4() != Some(dst))
    }

    /// `Connect`: checked as `connect`, plus `name_connect` on the remote
    /// port. Returns true if done (datagram), false if a TCP handshake
    /// started.
    pub(crate) fn connect_start(&mut self, conn: ConnId, h: Handle, addr: SockAddr) -> Result<bool, Errno> {
        let id = self.checked(conn, h, &[Perm::Connect])?;
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        let (proto, sid, opts) = (s.proto, s.sid, s.opts);
        match s.st {
            St::Stream(_) => return Err(errno::EISCONN),
            St::Connecting { .. } => return Err(errno::EALREADY),
            St::Listening { .. } => return Err(Errno::EINVAL),
            St::Idle | St::Dgram(_) => {}
        }
        self.check_dst(addr)?;
        let tsid = self.mac.port_sid(proto, addr.port)?;
        self.mac.check(sid, tsid, proto, &[Perm::NameConnect])?;
        if proto == Proto::Udp {
            if self.socks.get(&id).is_some_and(|s| s.local.is_none()) {
                self.bind_sock(id, SockAddr::UNSPECIFIED, false)?;
            }
            self.sock(id)?.peer = Some(addr);
            return Ok(true);
        }
        let local = self.socks.get(&id).and_then(|s| s.local);
        let port = match local {
            Some(l) => l.port,
            None => self.ports.ephemeral(proto).ok_or(errno::EADDRNOTAVAIL)?,
        };
        let th = self.tcp_socket(opts);
        let lep = listen_ep(SockAddr { ip: local.map_or([0; 4], |l| l.ip), port });
        let cx = self.stack.iface.context();
        if self.stack.sockets.get_mut::<tcp::Socket>(th).connect(cx, to_ep(addr), lep).is_err() {
            self.stack.sockets.remove(th);
            return Err(errno::ENETUNREACH);
        }
        if local.is_some() {
            self.ports.release(proto, port, Hold::Bound);
        }
        self.ports.take(proto, port, Hold::Conn);
        let since = self.stack.now();
        let s = self.sock(id)?;
        s.hold = Some((port, Hold::Conn));
        s.local = Some(SockAddr { ip: local.map_or([0; 4], |l| l.ip), port });
        s.peer = Some(addr);
        s.error = None;
        s.st = St::Connecting { h: th, since };
        Ok(false)
    }

    /// `Shutdown`: checked as `shutdown`.
    pub(crate) fn shutdown(&mut self, conn: ConnId, h: Handle, how: How) -> Result<(), Errno> {
        let id = self.checked(conn, h, &[Perm::Shutdown])?;
        let s = self.socks.get_mut(&id).ok_or(Errno::EBADF)?;
        let th = match s.st {
            St::Stream(th) => Some(th),
            St::Dgram(_) if s.peer.is_some() => None,
            _ => return Err(errno::ENOTCONN),
        };
        if matches!(how, How::Read | How::Both) {
            s.shut_rd = true;
        }
        if matches!(how, How::Write | How::Both) {
            s.shut_wr = true;
            if let Some(th) = th {
                self.stack.sockets.get_mut::<tcp::Socket>(th).close();
            }
        }
        Ok(())
    }

    /// `Close`: drops the handle, voids its tokens, fails its held
    /// operations with `EBADF`, and releases the socket with its last
    /// handle.
    pub(crate) fn close(&mut self, conn: ConnId, h: Handle) -> Result<(), Errno> {
        let id = self.conn(conn)?.handles.remove(&h.0).ok_or(Errno::EBADF)?;
        self.tokens.retain(|_, t| (t.0, t.1) != (conn, h));
        self.fail_held(conn, h, Errno::EBADF);
        self.unref(id);
        Ok(())
    }

    /// Drops one reference to `id`; the last one destroys the socket (a
    /// connection closes gracefully in the background).
    pub(crate) fn unref(&mut self, id: SockId) {
        let Some(s) = self.socks.get_mut(&id) else { return };
        s.refs = s.refs.saturating_sub(1);
        if s.refs > 0 {
            return;
        }
        let Some(s) = self.socks.remove(&id) else { return };
        self.tokens.retain(|_, t| t.2 != id);
        let release = |srv: &mut Self| {
            if let Some((port, how)) = s.hold {
                srv.ports.release(s.proto, port, how);
            }
        };
        match s.st {
            St::Idle => release(self),
            St::Connecting { h, .. } => {
                self.stack.sockets.remove(h);
                release(self);
            }
            St::Stream(h) => {
                self.stack.sockets.get_mut::<tcp::Socket>(h).close();
                let deadline = self.stack.now() + Duration::from_millis(self.cfg.linger_ms);
                match s.hold {
                    Some((port, _)) => self.lingering.push(Linger { h, port, deadline }),
                    None => {
                        self.stack.sockets.remove(h);
                    }
                }
            }
            St::Listening { ref pool, .. } => {
                for &h in pool {
                    self.stack.sockets.get_mut::<tcp::Socket>(h).abort();
                    self.stack.sockets.remove(h);
                }
                release(self);
            }
            St::Dgram(h) => {
                self.stack.sockets.remove(h);
                release(self);
            }
        }
    }

    /// `GetSockName`: checked as `getattr`.
    pub(crate) fn sockname(&mut self, conn: ConnId, h: Handle) -> Result<SockAddr, Errno> {
        let id = self.checked(conn, h, &[Perm::Getattr])?;
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        let from_tcp = match s.st {
            St::Stream(th) | St::Connecting { h: th, .. } => {
                self.stack.sockets.get::<tcp::Socket>(th).local_endpoint().map(to_addr)
            }
            _ => None,
        };
        Ok(from_tcp.or(s.local).unwrap_or_default())
    }

    /// `GetPeerName`: checked as `getattr`.
    pub(crate) fn peername(&mut self, conn: ConnId, h: Handle) -> Result<SockAddr, Errno> {
        let id = self.checked(conn, h, &[Perm::Getattr])?;
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        match s.st {
            St::Stream(_) | St::Dgram(_) => s.peer.ok_or(errno::ENOTCONN),
            _ => Err(errno::ENOTCONN),
        }
    }

    /// `SetSockOpt`: checked as `setattr`.
    pub(crate) fn setopt(&mut self, conn: ConnId, h: Handle, opt: SockOpt) -> Result<(), Errno> {
        let id = self.checked(conn, h, &[Perm::Setattr])?;
        let s = self.socks.get_mut(&id).ok_or(Errno::EBADF)?;
        let tcp_only = matches!(opt, SockOpt::NoDelay(_) | SockOpt::KeepAlive(_));
        if tcp_only && s.proto != Proto::Tcp {
            return Err(errno::ENOPROTOOPT);
        }
        match opt {
            SockOpt::ReuseAddr(on) => s.opts.reuse_addr = on,
            SockOpt::NoDelay(on) => s.opts.nodelay = on,
            SockOpt::KeepAlive(ms) => s.opts.keepalive_ms = ms,
            SockOpt::RecvTimeout(ms) => s.opts.rcvtimeo_ms = ms,
            SockOpt::SendTimeout(ms) => s.opts.sndtimeo_ms = ms,
            _ => return Err(errno::ENOPROTOOPT),
        }
        let opts = s.opts;
        if let St::Stream(th) | St::Connecting { h: th, .. } = s.st {
            let t = self.stack.sockets.get_mut::<tcp::Socket>(th);
            t.set_nagle_enabled(!opts.nodelay);
            t.set_keep_alive(opts.keepalive_ms.map(|ms| Duration::from_millis(u64::from(ms))));
        }
        Ok(())
    }

    /// `GetSockOpt`: checked as `getattr`. Reading `Error` clears it.
    pub(crate) fn getopt(&mut self, conn: ConnId, h: Handle, name: OptName) -> Result<SockOpt, Errno> {
        let id = self.checked(conn, h, &[Perm::Getattr])?;
        let (rx, tx) = (self.cfg.tcp_rx_buf, self.cfg.tcp_tx_buf);
        let udp = self.cfg.udp_buf;
        let s = self.socks.get_mut(&id).ok_or(Errno::EBADF)?;
        let tcp = s.proto == Proto::Tcp;
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(match name {
            OptName::ReuseAddr => SockOpt::ReuseAddr(s.opts.reuse_addr),
            OptName::NoDelay if tcp => SockOpt::NoDelay(s.opts.nodelay),
            OptName::KeepAlive if tcp => SockOpt::KeepAlive(s.opts.keepalive_ms),
            OptName::NoDelay | OptName::KeepAlive => return Err(errno::ENOPROTOOPT),
            OptName::RecvTimeout => SockOpt::RecvTimeout(s.opts.rcvtimeo_ms),
            OptName::SendTimeout => SockOpt::SendTimeout(s.opts.sndtimeo_ms),
            OptName::RecvBuf => SockOpt::RecvBuf(clamp(if tcp { rx } else { udp })),
            OptName::SendBuf => SockOpt::SendBuf(clamp(if tcp { tx } else { udp })),
            OptName::Error => SockOpt::Error(s.error.take()),
            OptName::Type => SockOpt::Type(if tcp { SockType::Stream } else { SockType::Dgram }),
            OptName::AcceptConn => SockOpt::AcceptConn(matches!(s.st, St::Listening { .. })),
        })
    }

    /// After the stack ran: finishes or fails connection attempts, and
    /// puts listen-pool sockets whose handshake failed back to listening.
    pub(crate) fn update_sockets(&mut self) {
        let now = self.stack.now();
        let timeout = Duration::from_millis(self.cfg.tcp_timeout_ms);
        let mut seen = vec![];
        for s in self.socks.values_mut() {
            match s.st {
                St::Connecting { h, since } => {
                    let t = self.stack.sockets.get::<tcp::Socket>(h);
                    match t.state() {
                        tcp::State::SynSent | tcp::State::SynReceived => {}
                        tcp::State::Closed | tcp::State::TimeWait => {
                            s.error = Some(if now >= since + timeout { errno::ETIMEDOUT } else { errno::ECONNREFUSED });
                            self.stack.sockets.remove(h);
                            if let Some((port, how)) = s.hold.take() {
                                self.ports.release(s.proto, port, how);
                            }
                            s.local = None;
                            s.st = St::Idle;
                        }
                        _ => {
                            s.local = t.local_endpoint().map(to_addr).or(s.local);
                            s.st = St::Stream(h);
                        }
                    }
                }
                St::Listening { ref pool, .. } => {
                    let ep = listen_ep(s.local.unwrap_or_default());
                    let (mut listening, mut oldest) = (0, None::<(Instant, SocketHandle)>);
                    for &h in pool {
                        let t = self.stack.sockets.get_mut::<tcp::Socket>(h);
                        match t.state() {
                            tcp::State::Closed => {
                                listening += usize::from(t.listen(ep).is_ok());
                            }
                            tcp::State::Listen => listening += 1,
                            tcp::State::SynReceived => {
                                seen.push(h);
                                let since = *self.half_open.entry(h).or_insert(now);
                                if oldest.is_none_or(|(t, _)| since < t) {
                                    oldest = Some((since, h));
                                }
                                continue;
                            }
                            _ => {}
                        }
                    }
                    // A pool full of half-open handshakes (a SYN flood, or
                    // forged segments) would refuse every new client until
                    // they time out: drop the oldest so the port keeps
                    // listening (honest handshakes finish in a round trip).
                    if listening == 0
                        && let Some((_, h)) = oldest
                    {
                        let t = self.stack.sockets.get_mut::<tcp::Socket>(h);
                        t.abort();
                        let _ = t.listen(ep);
                        seen.retain(|x| *x != h);
                    }
                }
                _ => {}
            }
        }
        self.half_open.retain(|h, _| seen.contains(h));
    }

    /// Removes lingering closes that finished (closed, or in TIME-WAIT);
    /// aborts those past their deadline.
    pub(crate) fn reap(&mut self) {
        let now = self.stack.now();
        let mut i = 0;
        while i < self.lingering.len() {
            let l = &self.lingering[i];
            let t = self.stack.sockets.get_mut::<tcp::Socket>(l.h);
            // TIME-WAIT only guards the closed connection's four-tuple
            // against late duplicates; keeping the whole socket (and its
            // buffers) for it would let a busy server run out of sockets
            // (the peer's late segments get a reset instead).
            let done = matches!(t.state(), tcp::State::Closed | tcp::State::TimeWait);
            if done || now >= l.deadline {
                t.abort();
                let l = self.lingering.swap_remove(i);
                self.stack.sockets.remove(l.h);
                self.ports.release(Proto::Tcp, l.port, Hold::Conn);
            } else {
                i += 1;
            }
        }
    }
}
