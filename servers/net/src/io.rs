//! Operations that may have to wait: `Accept`, `Connect` (its
//! completion), `Send`, `Recv` and `Poll`.
//!
//! Each is a *try*: `Ok(Some(response))` when it completes now,
//! `Err(errno)` when it fails, `Ok(None)` when it would wait. The first
//! attempt (from [`NetServer::handle`]) checks the permission and turns a
//! wait into `EAGAIN` for non-blocking sockets; later attempts (from
//! [`NetServer::poll`]) retry held operations.

use alloc::vec::Vec;
use rampart_net_api::{Errno, Events, MAX_DATAGRAM, MsgFlags, PollItem, Request, Response, SockAddr, Wait, errno};
use smoltcp::socket::{tcp, udp};

use crate::device::NetDevice;
use crate::security::{Perm, Proto, SecurityServer};
use crate::server::{ConnId, NetServer, Regions};
use crate::sock::{Hold, Sock, SockId, St, acceptable, to_addr, to_ep};

/// The byte range `off..off+len` of a region of `region_len` bytes.
fn span(region_len: usize, off: u32, len: u32) -> Result<core::ops::Range<usize>, Errno> {
    let start = off as usize;
    let end = start.checked_add(len as usize).ok_or(Errno::EFAULT)?;
    if end > region_len {
        return Err(Errno::EFAULT);
    }
    Ok(start..end)
}

/// Copies from `src` into a ring buffer through smoltcp's closure API,
/// twice so a wrap-around is filled too.
fn tcp_send(t: &mut tcp::Socket<'_>, src: &[u8]) -> Result<usize, tcp::SendError> {
    let mut done = 0;
    for _ in 0..2 {
        let n = match t.send(|buf| {
            let n = buf.len().min(src.len() - done);
            buf[..n].copy_from_slice(&src[done..done + n]);
            (n, n)
        }) {
            Ok(n) => n,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        done += n;
        if n == 0 || done == src.len() {
            break;
        }
    }
    Ok(done)
}

fn tcp_recv(t: &mut tcp::Socket<'_>, dst: &mut [u8]) -> Result<usize, tcp::RecvError> {
    let mut done = 0;
    for _ in 0..2 {
        // Once bytes were taken, a later end of stream or reset is left
        // for the next call to report.
        let n = match t.recv(|buf| {
            let n = buf.len().min(dst.len() - done);
            dst[done..done + n].copy_from_slice(&buf[..n]);
            (n, n)
        }) {
            Ok(n) => n,
            Err(_) if done > 0 => break,
            Err(e) => return Err(e),
        };
        done += n;
        if n == 0 || done == dst.len() {
            break;
        }
    }
    Ok(done)
}

impl<D: NetDevice, S: SecurityServer> NetServer<D, S> {
    /// A held operation's permission decided again after a policy change
    /// (reload, boolean, mode): a blocked `accept`, `recv`, `send` or
    /// `connect` the new policy denies fails with `EACCES` instead of
    /// completing under the old decision.
    pub(crate) fn recheck_held(&mut self, h: &mut crate::server::Held) -> Result<(), Errno> {
        let now = self.mac.om.generation();
        if h.generation == now {
            return Ok(());
        }
        use crate::security::Perm;
        let (handle, perm) = match h.req {
            Request::Accept { handle, .. } => (handle, Perm::Accept),
            Request::Connect { handle, .. } => (handle, Perm::Connect),
            Request::Send { handle, .. } => (handle, Perm::Send),
            Request::Recv { handle, .. } => (handle, Perm::Recv),
            _ => return Ok(()),
        };
        self.checked(h.conn, handle, &[perm])?;
        h.generation = now;
        Ok(())
    }

    /// One attempt at an operation that may wait.
    pub(crate) fn try_io<R: Regions>(
        &mut self,
        conn: ConnId,
        req: &Request,
        regions: &mut R,
        first: bool,
    ) -> Result<Option<Response>, Errno> {
        let (handle, dontwait, perm) = match *req {
            Request::Poll { ref items, wait } => return self.try_poll(conn, items, wait, first),
            Request::Accept { handle, .. } => (handle, false, Perm::Accept),
            Request::Connect { handle, .. } => (handle, false, Perm::Connect),
            Request::Send { handle, flags, .. } => (handle, flags.contains(MsgFlags::DONTWAIT), Perm::Send),
            Request::Recv { handle, flags, .. } => (handle, flags.contains(MsgFlags::DONTWAIT), Perm::Recv),
            _ => return Err(Errno::EINVAL),
        };
        let id = if first { self.checked(conn, handle, &[perm])? } else { self.handle_sock(conn, handle)? };
        let r = match *req {
            Request::Accept { nonblocking, .. } => self.try_accept(conn, id, nonblocking)?,
            Request::Connect { .. } => self.try_connected(id)?,
            Request::Send { region_offset, len, flags: _, to, .. } => {
                // Copied out of the region first: the client may change it.
                let src = regions.region(conn).copy_out(region_offset as usize, len as usize)?;
                self.try_send(id, &src, to, first)?
            }
            Request::Recv { region_offset, len, flags, .. } => {
                let region = regions.region(conn);
                span(region.len(), region_offset, len)?;
                let mut dst = alloc::vec![0; len as usize];
                let r = self.try_recv(id, &mut dst, flags.contains(MsgFlags::PEEK))?;
                if let Some(Response::Received { len: n, .. }) = &r {
                    let n = (*n as usize).min(dst.len());
                    regions.region(conn).write_at(region_offset as usize, &dst[..n])?;
                }
                r
            }
            _ => return Err(Errno::EINVAL),
        };
        match r {
            Some(r) => Ok(Some(r)),
            None if first && (dontwait || self.sock(id)?.nonblocking) => Err(Errno::EAGAIN),
            None => Ok(None),
        }
    }

    fn try_accept(&mut self, conn: ConnId, id: SockId, nonblocking: bool) -> Result<Option<Response>, Errno> {
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        let St::Listening { pool, .. } = &s.st else { return Err(Errno::EINVAL) };
        let Some(i) = pool.iter().position(|h| acceptable(self.stack.sockets.get::<tcp::Socket>(*h))) else {
            return Ok(None);
        };
        let (th, sid, opts, local) = (pool[i], s.sid, s.opts, s.local.unwrap_or_default());
        // Out of the pool (which gets its place back), so the port keeps
        // listening whatever happens to this connection.
        if let St::Listening { pool, .. } = &mut self.sock(id)?.st {
            pool.swap_remove(i);
        }
        self.refill_pools();
        let t = self.stack.sockets.get::<tcp::Socket>(th);
        let (Some(l), Some(peer)) = (t.local_endpoint(), t.remote_endpoint()) else {
            self.stack.sockets.remove(th);
            return Ok(None);
        };
        let mut ns = Sock::new(sid, Proto::Tcp, nonblocking);
        ns.opts = opts;
        ns.local = Some(to_addr(l));
        ns.peer = Some(to_addr(peer));
        ns.st = St::Stream(th);
        ns.hold = Some((local.port, Hold::Conn));
        let nid = match self.new_sock(ns) {
            Ok(n) => n,
            Err(e) => {
                self.stack.sockets.get_mut::<tcp::Socket>(th).abort();
                self.stack.sockets.remove(th);
                return Err(e);
            }
        };
        self.ports.take(Proto::Tcp, local.port, Hold::Conn);
        let handle = self.insert_handle(conn, nid)?;
        Ok(Some(Response::Accepted { handle, peer: to_addr(peer) }))
    }

    fn try_connected(&mut self, id: SockId) -> Result<Option<Response>, Errno> {
        let s = self.sock(id)?;
        match s.st {
            St::Connecting { .. } => Ok(None),
            St::Stream(_) => Ok(Some(Response::Ok)),
            _ => Err(s.error.take().unwrap_or(errno::ECONNABORTED)),
        }
    }

    fn try_send(
        &mut self,
        id: SockId,
        src: &[u8],
        to: Option<SockAddr>,
        first: bool,
    ) -> Result<Option<Response>, Errno> {
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        if s.proto == Proto::Udp {
            return self.try_send_dgram(id, src, to, first);
        }
        if to.is_some() && !matches!(s.st, St::Stream(_)) {
            return Err(errno::ENOTCONN);
        }
        let th = match s.st {
            St::Connecting { .. } => return Ok(None),
            St::Stream(th) => th,
            _ => return Err(errno::ENOTCONN),
        };
        if s.shut_wr {
            return Err(errno::EPIPE);
        }
        let t = self.stack.sockets.get_mut::<tcp::Socket>(th);
        if !t.may_send() {
            let s = self.sock(id)?;
            return Err(if core::mem::replace(&mut s.reset, true) { errno::EPIPE } else { errno::ECONNRESET });
        }
        if src.is_empty() {
            return Ok(Some(Response::Len(0)));
        }
        match tcp_send(t, src) {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(Response::Len(n as u32))),
            Err(_) => Err(errno::EPIPE),
        }
    }

    fn try_send_dgram(
        &mut self,
        id: SockId,
        src: &[u8],
        to: Option<SockAddr>,
        first: bool,
    ) -> Result<Option<Response>, Errno> {
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        let (sid, peer, shut_wr) = (s.sid, s.peer, s.shut_wr);
        if shut_wr {
            return Err(errno::EPIPE);
        }
        let dst = to.or(peer).ok_or(errno::EDESTADDRREQ)?;
        if src.len() > MAX_DATAGRAM {
            return Err(errno::EMSGSIZE);
        }
        self.check_dst(dst)?;
        if first && to.is_some() {
            let tsid = self.mac.port_sid(Proto::Udp, dst.port)?;
            self.mac.check(sid, tsid, Proto::Udp, &[Perm::NameConnect])?;
        }
        if matches!(self.sock(id)?.st, St::Idle) {
            self.bind_sock(id, SockAddr::UNSPECIFIED, false)?;
        }
        let St::Dgram(uh) = self.sock(id)?.st else { return Err(Errno::EINVAL) };
        match self.stack.sockets.get_mut::<udp::Socket>(uh).send(src.len(), to_ep(dst)) {
            Ok(buf) => {
                buf.copy_from_slice(src);
                Ok(Some(Response::Len(src.len() as u32)))
            }
            Err(udp::SendError::BufferFull) => Ok(None),
            Err(udp::SendError::Unaddressable) => Err(Errno::EINVAL),
        }
    }

    fn try_recv(&mut self, id: SockId, dst: &mut [u8], peek: bool) -> Result<Option<Response>, Errno> {
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        let eof = Response::Received { len: 0, from: None, truncated: false };
        if s.proto == Proto::Udp {
            return self.try_recv_dgram(id, dst, peek);
        }
        let th = match s.st {
            St::Connecting { .. } => return Ok(None),
            St::Stream(th) => th,
            _ => return Err(errno::ENOTCONN),
        };
        if s.shut_rd {
            return Ok(Some(eof));
        }
        let t = self.stack.sockets.get_mut::<tcp::Socket>(th);
        let r = if peek {
            t.peek(dst.len()).map(|b| {
                dst[..b.len()].copy_from_slice(b);
                b.len()
            })
        } else {
            tcp_recv(t, dst)
        };
        match r {
            Ok(0) if dst.is_empty() => Ok(Some(eof)),
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(Response::Received { len: n as u32, from: None, truncated: false })),
            Err(tcp::RecvError::Finished) => Ok(Some(eof)),
            Err(tcp::RecvError::InvalidState) => {
                let s = self.sock(id)?;
                if core::mem::replace(&mut s.reset, true) { Ok(Some(eof)) } else { Err(errno::ECONNRESET) }
            }
        }
    }

    fn try_recv_dgram(&mut self, id: SockId, dst: &mut [u8], peek: bool) -> Result<Option<Response>, Errno> {
        let s = self.socks.get(&id).ok_or(Errno::EBADF)?;
        if s.shut_rd {
            return Ok(Some(Response::Received { len: 0, from: None, truncated: false }));
        }
        let St::Dgram(uh) = s.st else { return Ok(None) };
        let peer = s.peer;
        let u = self.stack.sockets.get_mut::<udp::Socket>(uh);
        loop {
            let (from, data) = match u.peek() {
                Ok((data, meta)) => (to_addr(meta.endpoint), data),
                Err(_) => return Ok(None),
            };
            // A connected datagram socket only hears its peer.
            if peer.is_some_and(|p| p != from) {
                let _ = u.recv();
                continue;
            }
            let n = data.len().min(dst.len());
            dst[..n].copy_from_slice(&data[..n]);
            let truncated = data.len() > dst.len();
            if !peek {
                let _ = u.recv();
            }
            return Ok(Some(Response::Received { len: n as u32, from: Some(from), truncated }));
        }
    }

    fn try_poll(
        &mut self,
        conn: ConnId,
        items: &[PollItem],
        wait: Wait,
        first: bool,
    ) -> Result<Option<Response>, Errno> {
        let ready = self.readiness(conn, items);
        let any = ready.iter().any(|e| !e.is_empty());
        if any {
            return Ok(Some(Response::Ready(ready)));
        }
        match wait {
            Wait::Now | Wait::Block { timeout_ms: Some(0) } => Ok(Some(Response::Ready(ready))),
            Wait::Notify if first => {
                let c = self.conn(conn)?;
                if !c.notify {
                    return Err(Errno::EINVAL);
                }
                c.armed = Some(items.to_vec());
                Ok(Some(Response::Ready(ready)))
            }
            Wait::Notify => Ok(Some(Response::Ready(ready))),
            Wait::Block { .. } => Ok(None),
        }
    }

    /// The readiness of each item (`NVAL` for a handle not open).
    pub(crate) fn readiness(&self, conn: ConnId, items: &[PollItem]) -> Vec<Events> {
        items
            .iter()
            .map(|it| {
                let sock = self.handle_sock(conn, it.handle).ok().and_then(|id| self.socks.get(&id));
                match sock {
                    None => Events::NVAL,
                    Some(s) => s.readiness(&self.stack.sockets) & (it.events | Events::ALWAYS),
                }
            })
            .collect()
    }
}
