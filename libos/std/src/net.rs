//! Sockets over the network server (docs/network.md): [`TcpListener`],
//! [`TcpStream`] and [`UdpSocket`] as in `std::net`, IPv4 only.
//!
//! Every socket is a descriptor (`as_raw_fd`), so it can be inherited by
//! a child, read and written with [`crate::io::fd_read`]/`fd_write`, and
//! waited for with [`crate::poll::poll`] together with pipes and the
//! terminal. Reads and writes are partial as in POSIX: `read` returns
//! what is there (at least one byte, waiting unless non-blocking), `write`
//! what fits in the send buffer; `write_all`/`read_exact` loop.
//! Non-blocking sockets answer [`ErrorKind::WouldBlock`]. Addresses are
//! `core::net` values; strings like `"10.0.2.2:80"` are parsed (there is
//! no resolver: host names are `InvalidInput`).
//!
//! The policy decides every call (classes `tcp_socket`, `udp_socket`): a
//! denial is `PermissionDenied`, with an audit record from the server.

use crate::error::{Error, ErrorKind, Result};
use crate::io::{Read, Write};
use crate::sys::{Obj, netsys, with};
use alloc::string::String;
use core::time::Duration;
use rampart_net_api::{How, MsgFlags, OptName, SockAddr, SockOpt, SockType, errno};
use rampart_uabi::Errno;

pub use core::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};

/// Which half of a connection [`TcpStream::shutdown`] closes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// No more reading.
    Read,
    /// No more writing (the peer reads end of stream after the data).
    Write,
    /// Both.
    Both,
}

/// Something that names one IPv4 socket address.
pub trait ToSocketAddr {
    /// The address.
    ///
    /// # Errors
    /// `InvalidInput` for text that is not `a.b.c.d:port`, and for IPv6.
    fn to_socket_addr(&self) -> Result<SocketAddrV4>;
}

impl ToSocketAddr for SocketAddrV4 {
    fn to_socket_addr(&self) -> Result<SocketAddrV4> {
        Ok(*self)
    }
}

impl ToSocketAddr for SocketAddr {
    fn to_socket_addr(&self) -> Result<SocketAddrV4> {
        match self {
            SocketAddr::V4(a) => Ok(*a),
            SocketAddr::V6(_) => Err(Error::from_errno(errno::EAFNOSUPPORT)),
        }
    }
}

impl ToSocketAddr for (Ipv4Addr, u16) {
    fn to_socket_addr(&self) -> Result<SocketAddrV4> {
        Ok(SocketAddrV4::new(self.0, self.1))
    }
}

impl ToSocketAddr for (&str, u16) {
    fn to_socket_addr(&self) -> Result<SocketAddrV4> {
        let ip: Ipv4Addr = self.0.parse().map_err(|_| Error::from(ErrorKind::InvalidInput))?;
        Ok(SocketAddrV4::new(ip, self.1))
    }
}

impl ToSocketAddr for str {
    fn to_socket_addr(&self) -> Result<SocketAddrV4> {
        self.parse::<SocketAddrV4>().map_err(|_| Error::from(ErrorKind::InvalidInput))
    }
}

impl ToSocketAddr for &str {
    fn to_socket_addr(&self) -> Result<SocketAddrV4> {
        (**self).to_socket_addr()
    }
}

impl ToSocketAddr for String {
    fn to_socket_addr(&self) -> Result<SocketAddrV4> {
        self.as_str().to_socket_addr()
    }
}

fn wire(a: SocketAddrV4) -> SockAddr {
    SockAddr { ip: a.ip().octets(), port: a.port() }
}

fn native(a: SockAddr) -> SocketAddr {
    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::from(a.ip), a.port))
}

fn ms(d: Option<Duration>) -> Result<Option<u32>> {
    match d {
        Some(d) if d.is_zero() => Err(ErrorKind::InvalidInput.into()),
        Some(d) => Ok(Some(d.as_millis().clamp(1, u128::from(u32::MAX)) as u32)),
        None => Ok(None),
    }
}

/// A socket descriptor: the handle behind it, closed with the value.
#[derive(Debug)]
struct Sock {
    fd: u32,
}

impl Sock {
    fn new(ty: SockType) -> Result<Sock> {
        with(|st| netsys::socket(st, ty, false).map(|h| Sock { fd: st.install(Obj::Net(h)) })).map_err(Error::from)
    }

    fn h(&self) -> core::result::Result<u32, Errno> {
        match with(|st| st.obj(self.fd))? {
            Obj::Net(h) => Ok(h),
            _ => Err(errno::ENOTSOCK),
        }
    }

    fn run<T>(&self, f: impl FnOnce(&mut crate::sys::State, u32) -> core::result::Result<T, Errno>) -> Result<T> {
        let h = self.h()?;
        with(|st| f(st, h)).map_err(Error::from)
    }

    fn local(&self) -> Result<SocketAddr> {
        self.run(netsys::sockname).map(native)
    }

    fn peer(&self) -> Result<SocketAddr> {
        self.run(netsys::peername).map(native)
    }

    fn nonblocking(&self, on: bool) -> Result<()> {
        self.run(|st, h| netsys::set_nonblocking(st, h, on))
    }

    fn opt(&self, o: SockOpt) -> Result<()> {
        self.run(|st, h| netsys::setopt(st, h, o))
    }

    fn take_error(&self) -> Result<Option<Error>> {
        match self.run(|st, h| netsys::getopt(st, h, OptName::Error))? {
            SockOpt::Error(e) => Ok(e.map(Error::from)),
            _ => Err(Error::from_errno(Errno::EPROTO)),
        }
    }

    fn recv(&self, buf: &mut [u8], flags: MsgFlags) -> Result<(usize, Option<SockAddr>, bool)> {
        self.run(|st, h| netsys::recv(st, h, buf, flags))
    }

    fn send(&self, buf: &[u8], to: Option<SockAddr>) -> Result<usize> {
        self.run(|st, h| netsys::send(st, h, buf, MsgFlags(0), to))
    }

    fn dup(&self) -> Result<Sock> {
        let h = self.h()?;
        Ok(Sock { fd: with(|st| st.install(Obj::Net(h))) })
    }

    fn into_fd(self) -> u32 {
        let fd = self.fd;
        core::mem::forget(self);
        fd
    }
}

impl Drop for Sock {
    fn drop(&mut self) {
        let _ = with(|st| st.close(self.fd));
    }
}

/// A listening TCP socket.
#[derive(Debug)]
pub struct TcpListener(Sock);

/// A TCP connection.
#[derive(Debug)]
pub struct TcpStream(Sock);

/// A UDP socket.
#[derive(Debug)]
pub struct UdpSocket(Sock);

/// Connections accepted from a listener, forever ([`TcpListener::incoming`]).
#[derive(Debug)]
pub struct Incoming<'a>(&'a TcpListener);

impl Iterator for Incoming<'_> {
    type Item = Result<TcpStream>;
    fn next(&mut self) -> Option<Result<TcpStream>> {
        Some(self.0.accept().map(|(s, _)| s))
    }
}

impl TcpListener {
    /// Binds `addr` (`"0.0.0.0:80"`; port 0 picks one) and listens, with
    /// `SO_REUSEADDR` so a restarted server gets its port back while old
    /// connections still close.
    ///
    /// # Errors
    /// `PermissionDenied` (the policy: `name_bind` on the port's type),
    /// `AddrInUse`, `AddrNotAvailable`.
    pub fn bind<A: ToSocketAddr + ?Sized>(addr: &A) -> Result<TcpListener> {
        let a = addr.to_socket_addr()?;
        let s = Sock::new(SockType::Stream)?;
        s.opt(SockOpt::ReuseAddr(true))?;
        s.run(|st, h| netsys::bind(st, h, wire(a)))?;
        s.run(|st, h| netsys::listen(st, h, 128))?;
        Ok(TcpListener(s))
    }

    /// Waits for a connection (unless non-blocking: `WouldBlock`).
    ///
    /// # Errors
    /// `WouldBlock`, `PermissionDenied`.
    pub fn accept(&self) -> Result<(TcpStream, SocketAddr)> {
        let h = self.0.h()?;
        with(|st| {
            let (nh, peer) = netsys::accept(st, h, false)?;
            Ok::<_, Errno>((TcpStream(Sock { fd: st.install(Obj::Net(nh)) }), native(peer)))
        })
        .map_err(Error::from)
    }

    /// Accepted connections, one per `next`.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming(self)
    }

    /// The bound address.
    ///
    /// # Errors
    /// The server's error.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.0.local()
    }

    /// Non-blocking mode for `accept`.
    ///
    /// # Errors
    /// The server's error.
    pub fn set_nonblocking(&self, on: bool) -> Result<()> {
        self.0.nonblocking(on)
    }

    /// A second descriptor for the same socket.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn try_clone(&self) -> Result<TcpListener> {
        self.0.dup().map(TcpListener)
    }

    /// The descriptor.
    pub fn as_raw_fd(&self) -> u32 {
        self.0.fd
    }

    /// The descriptor, which the caller now owns.
    pub fn into_raw_fd(self) -> u32 {
        self.0.into_fd()
    }

    /// A listener for an open socket descriptor (e.g. inherited).
    pub fn from_raw_fd(fd: u32) -> TcpListener {
        TcpListener(Sock { fd })
    }
}

impl TcpStream {
    /// Connects to `addr`, waiting for the handshake.
    ///
    /// # Errors
    /// `ConnectionRefused`, `TimedOut`, `NetworkUnreachable`,
    /// `PermissionDenied` (the policy: `name_connect` on the port's type).
    pub fn connect<A: ToSocketAddr + ?Sized>(addr: &A) -> Result<TcpStream> {
        let a = addr.to_socket_addr()?;
        let s = Sock::new(SockType::Stream)?;
        s.run(|st, h| netsys::connect(st, h, wire(a)))?;
        Ok(TcpStream(s))
    }

    /// Connects to `addr`, giving up after `timeout`.
    ///
    /// # Errors
    /// As [`TcpStream::connect`]; `TimedOut` after `timeout`.
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> Result<TcpStream> {
        let a = addr.to_socket_addr()?;
        let s = Sock::new(SockType::Stream)?;
        s.opt(SockOpt::SendTimeout(ms(Some(timeout))?))?;
        match s.run(|st, h| netsys::connect(st, h, wire(a))) {
            Err(e) if e.errno() == errno::EINPROGRESS => return Err(Error::from_errno(errno::ETIMEDOUT)),
            r => r?,
        }
        s.opt(SockOpt::SendTimeout(None))?;
        Ok(TcpStream(s))
    }

    /// The peer's address.
    ///
    /// # Errors
    /// `NotConnected`.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        self.0.peer()
    }

    /// The local address.
    ///
    /// # Errors
    /// The server's error.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.0.local()
    }

    /// Shuts down a half: `Write` sends end of stream after the queued
    /// data.
    ///
    /// # Errors
    /// `NotConnected`.
    pub fn shutdown(&self, how: Shutdown) -> Result<()> {
        let how = match how {
            Shutdown::Read => How::Read,
            Shutdown::Write => How::Write,
            Shutdown::Both => How::Both,
        };
        self.0.run(|st, h| netsys::shutdown(st, h, how))
    }

    /// Reads without consuming.
    ///
    /// # Errors
    /// As `read`.
    pub fn peek(&self, buf: &mut [u8]) -> Result<usize> {
        self.0.recv(buf, MsgFlags::PEEK).map(|r| r.0)
    }

    /// Non-blocking mode: `read`, `write` answer `WouldBlock`.
    ///
    /// # Errors
    /// The server's error.
    pub fn set_nonblocking(&self, on: bool) -> Result<()> {
        self.0.nonblocking(on)
    }

    /// How long a blocking `read` waits (`None`: forever); then
    /// `WouldBlock`.
    ///
    /// # Errors
    /// `InvalidInput` for a zero duration.
    pub fn set_read_timeout(&self, d: Option<Duration>) -> Result<()> {
        self.0.opt(SockOpt::RecvTimeout(ms(d)?))
    }

    /// How long a blocking `write` waits for room (`None`: forever).
    ///
    /// # Errors
    /// `InvalidInput` for a zero duration.
    pub fn set_write_timeout(&self, d: Option<Duration>) -> Result<()> {
        self.0.opt(SockOpt::SendTimeout(ms(d)?))
    }

    /// `TCP_NODELAY`: send small writes at once (no Nagle).
    ///
    /// # Errors
    /// The server's error.
    pub fn set_nodelay(&self, on: bool) -> Result<()> {
        self.0.opt(SockOpt::NoDelay(on))
    }

    /// The pending asynchronous error (`SO_ERROR`), cleared by reading.
    ///
    /// # Errors
    /// The server's error.
    pub fn take_error(&self) -> Result<Option<Error>> {
        self.0.take_error()
    }

    /// A second descriptor for the same connection.
    ///
    /// # Errors
    /// `EBADF`.
    pub fn try_clone(&self) -> Result<TcpStream> {
        self.0.dup().map(TcpStream)
    }

    /// The descriptor.
    pub fn as_raw_fd(&self) -> u32 {
        self.0.fd
    }

    /// The descriptor, which the caller now owns.
    pub fn into_raw_fd(self) -> u32 {
        self.0.into_fd()
    }

    /// A stream for an open socket descriptor (e.g. inherited).
    pub fn from_raw_fd(fd: u32) -> TcpStream {
        TcpStream(Sock { fd })
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.0.recv(buf, MsgFlags(0)).map(|r| r.0)
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.0.send(buf, None)
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        (&*self).write(buf)
    }
}

impl UdpSocket {
    /// Binds `addr` (port 0 picks one).
    ///
    /// # Errors
    /// `PermissionDenied` (policy), `AddrInUse`.
    pub fn bind<A: ToSocketAddr + ?Sized>(addr: &A) -> Result<UdpSocket> {
        let a = addr.to_socket_addr()?;
        let s = Sock::new(SockType::Dgram)?;
        s.run(|st, h| netsys::bind(st, h, wire(a)))?;
        Ok(UdpSocket(s))
    }

    /// Sends one datagram to `addr` (at most 1472 bytes).
    ///
    /// # Errors
    /// `EMSGSIZE`, `PermissionDenied` (`name_connect`), `WouldBlock`.
    pub fn send_to<A: ToSocketAddr + ?Sized>(&self, buf: &[u8], addr: &A) -> Result<usize> {
        let a = addr.to_socket_addr()?;
        self.0.send(buf, Some(wire(a)))
    }

    /// Receives one datagram (the rest of a longer one is discarded) and
    /// its sender.
    ///
    /// # Errors
    /// `WouldBlock` (non-blocking or after the read timeout).
    pub fn recv_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr)> {
        let (n, from, _) = self.0.recv(buf, MsgFlags(0))?;
        Ok((n, native(from.unwrap_or_default())))
    }

    /// As [`UdpSocket::recv_from`] without consuming the datagram.
    ///
    /// # Errors
    /// As `recv_from`.
    pub fn peek_from(&self, buf: &mut [u8]) -> Result<(usize, SocketAddr)> {
        let (n, from, _) = self.0.recv(buf, MsgFlags::PEEK)?;
        Ok((n, native(from.unwrap_or_default())))
    }

    /// Sets the default peer (and receives only from it).
    ///
    /// # Errors
    /// `PermissionDenied` (`name_connect`).
    pub fn connect<A: ToSocketAddr + ?Sized>(&self, addr: &A) -> Result<()> {
        let a = addr.to_socket_addr()?;
        self.0.run(|st, h| netsys::connect(st, h, wire(a)))
    }

    /// Sends one datagram to the default peer.
    ///
    /// # Errors
    /// `EDESTADDRREQ` without a peer; as `send_to`.
    pub fn send(&self, buf: &[u8]) -> Result<usize> {
        self.0.send(buf, None)
    }

    /// Receives one datagram from the default peer.
    ///
    /// # Errors
    /// As `recv_from`.
    pub fn recv(&self, buf: &mut [u8]) -> Result<usize> {
        self.0.recv(buf, MsgFlags(0)).map(|r| r.0)
    }

    /// The bound address.
    ///
    /// # Errors
    /// The server's error.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.0.local()
    }

    /// The default peer.
    ///
    /// # Errors
    /// `NotConnected`.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        self.0.peer()
    }

    /// Non-blocking mode.
    ///
    /// # Errors
    /// The server's error.
    pub fn set_nonblocking(&self, on: bool) -> Result<()> {
        self.0.nonblocking(on)
    }

    /// How long a blocking receive waits (`None`: forever).
    ///
    /// # Errors
    /// `InvalidInput` for a zero duration.
    pub fn set_read_timeout(&self, d: Option<Duration>) -> Result<()> {
        self.0.opt(SockOpt::RecvTimeout(ms(d)?))
    }

    /// How long a blocking send waits (`None`: forever).
    ///
    /// # Errors
    /// `InvalidInput` for a zero duration.
    pub fn set_write_timeout(&self, d: Option<Duration>) -> Result<()> {
        self.0.opt(SockOpt::SendTimeout(ms(d)?))
    }

    /// The descriptor.
    pub fn as_raw_fd(&self) -> u32 {
        self.0.fd
    }
}

/// The interface's IPv4 address and prefix length, if configured.
///
/// # Errors
/// `NotFound` (no network server), the server's error.
pub fn interface_addr() -> Result<Option<(Ipv4Addr, u8)>> {
    with(|st| netsys::client(st)?.interface_info())
        .map(|i| i.addr.map(|(a, p)| (Ipv4Addr::from(a), p)))
        .map_err(Error::from)
}
