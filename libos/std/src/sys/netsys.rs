//! Calls to the network server ("net") over the process's connection
//! (docs/network.md §4): requests in messages, payload bytes in the
//! connection's shared region, readiness through the task notification.

use super::State;
use rampart_net_api::{
    Client, Domain, Events, Handle, How, MsgFlags, OptName, PollItem, Request, Response, SockAddr, SockOpt, SockType,
    Transport, Wait,
};
use rampart_rt::cap::{CNode, CPtr, Endpoint, Notification};
use rampart_rt::ipc::proto;
use rampart_rt::shared::SharedBytes;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// Size of the region shared with the network server: the most one
/// `Send` or `Recv` moves.
pub const NET_REGION: usize = 64 * 1024;
/// Badge bit the network server's readiness signals carry on the task
/// notification (bit 0 is rm's child events).
pub const EVENT_NET: u64 = 1 << 2;

/// The network-server connection.
pub struct NetConn {
    /// The badged endpoint.
    pub ep: Endpoint,
    /// The region shared with the server, through copies only (the server
    /// may write it at any time).
    pub region: SharedBytes,
    /// Whether the readiness notification is attached.
    pub notify: bool,
}

impl State {
    /// The network-server connection (made on first use).
    ///
    /// # Errors
    /// `EACCES` (the policy forbids the connection), `ENOENT` (no network
    /// server: no NIC, or not a login session), `ENOMEM`.
    pub fn net(&mut self) -> Result<&mut NetConn, Errno> {
        if self.net.is_none() {
            let s = self.slot();
            let ep = super::connect("net", s)?;
            let region = rampart_rt::rm::region_alloc(NET_REGION as u64)?;
            let t = self.slot();
            rampart_rt::rm::region_share(region.id, true, t)?;
            #[allow(unsafe_code)] // a view of the region (SharedBytes::new's contract)
            // SAFETY: the connection's region is never freed: it lives as
            // long as the process (and the view with it).
            let view = unsafe { region.shared() };
            let r = Client(NetEp(ep)).attach_region(NET_REGION as u32, t);
            self.free_slot(t);
            r?;
            self.net = Some(NetConn { ep, region: view, notify: false });
        }
        self.net.as_mut().ok_or(Errno::EIO)
    }
}

/// The network server channel as the transport of the generated client
/// (`rampart_net_api::Client`): requests and replies of at most 32 bytes
/// travel in registers only (`rampart_rt::ipc::proto`).
#[derive(Clone, Copy, Debug)]
pub struct NetEp(pub Endpoint);

impl Transport for NetEp {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        proto::call(self.0, req)
    }

    fn call_caps(&mut self, req: &Request, give: Option<u64>, receive: Option<u64>) -> Result<(Response, bool), Errno> {
        proto::call_caps(self.0, req, give, receive)
    }
}

/// The network server client on this process's connection.
///
/// # Errors
/// [`State::net`]'s (no network server, policy).
pub fn client(st: &mut State) -> Result<Client<NetEp>, Errno> {
    Ok(Client(NetEp(st.net()?.ep)))
}

/// Sends `req` as it is (tests that build hostile requests); an `Err`
/// response becomes `Err`.
///
/// # Errors
/// The server's or the transport's error.
pub fn call_net(st: &mut State, req: &Request) -> Result<Response, Errno> {
    match client(st)?.0.call(req)? {
        Response::Err(e) => Err(e),
        r => Ok(r),
    }
}

fn region(st: &mut State) -> Result<SharedBytes, Errno> {
    Ok(st.net()?.region)
}

/// A new socket.
///
/// # Errors
/// `EACCES` (policy: `create`), `ENOBUFS`, `EMFILE`.
pub fn socket(st: &mut State, ty: SockType, nonblocking: bool) -> Result<u32, Errno> {
    client(st)?.socket(Domain::Inet, ty, nonblocking).map(|h| h.0)
}

/// Binds `a`; returns the bound address (the port picked for port 0).
///
/// # Errors
/// `EACCES` (policy: `bind`, `name_bind`), `EADDRINUSE`, `EADDRNOTAVAIL`.
pub fn bind(st: &mut State, h: u32, a: SockAddr) -> Result<SockAddr, Errno> {
    client(st)?.bind(Handle(h), a)
}

/// Listens with room for `backlog` pending connections.
///
/// # Errors
/// `EACCES`, `EOPNOTSUPP` (datagram socket).
pub fn listen(st: &mut State, h: u32, backlog: u32) -> Result<(), Errno> {
    client(st)?.listen(Handle(h), backlog)
}

/// Accepts a connection: (handle, peer).
///
/// # Errors
/// `EAGAIN` (non-blocking, none pending), `EACCES`, `EINVAL` (not listening).
pub fn accept(st: &mut State, h: u32, nonblocking: bool) -> Result<(u32, SockAddr), Errno> {
    client(st)?.accept(Handle(h), nonblocking).map(|(handle, peer)| (handle.0, peer))
}

/// Connects (stream: waits for the handshake unless non-blocking).
///
/// # Errors
/// `ECONNREFUSED`, `ETIMEDOUT`, `ENETUNREACH`, `EINPROGRESS`, `EACCES`
/// (policy: `connect`, `name_connect`).
pub fn connect(st: &mut State, h: u32, a: SockAddr) -> Result<(), Errno> {
    client(st)?.connect(Handle(h), a)
}

/// Sends some of `buf` (at most [`NET_REGION`] bytes per call); returns
/// how many were queued.
///
/// # Errors
/// `EAGAIN`, `EPIPE`, `ECONNRESET`, `EMSGSIZE`, `EDESTADDRREQ`, `EACCES`.
pub fn send(st: &mut State, h: u32, buf: &[u8], flags: MsgFlags, to: Option<SockAddr>) -> Result<usize, Errno> {
    let n = buf.len().min(NET_REGION);
    region(st)?.write(0, &buf[..n])?;
    client(st)?.send(Handle(h), 0, n as u32, flags, to).map(|k| (k as usize).min(n))
}

/// Receives into `buf` (at most [`NET_REGION`] bytes per call): (bytes,
/// sender of a datagram, datagram truncated). 0 bytes from a stream: end
/// of stream.
///
/// # Errors
/// `EAGAIN`, `ECONNRESET`, `ENOTCONN`, `EACCES`.
pub fn recv(st: &mut State, h: u32, buf: &mut [u8], flags: MsgFlags) -> Result<(usize, Option<SockAddr>, bool), Errno> {
    let len = buf.len().min(NET_REGION);
    let (n, from, truncated) = client(st)?.recv(Handle(h), 0, len as u32, flags)?;
    let n = (n as usize).min(len);
    region(st)?.read(0, &mut buf[..n])?;
    Ok((n, from, truncated))
}

/// Shuts down a half (or both) of a stream.
///
/// # Errors
/// `ENOTCONN`, `EACCES`.
pub fn shutdown(st: &mut State, h: u32, how: How) -> Result<(), Errno> {
    client(st)?.shutdown(Handle(h), how)
}

/// Closes handle `h`.
///
/// # Errors
/// `EBADF`.
pub fn close(st: &mut State, h: u32) -> Result<(), Errno> {
    client(st)?.close(Handle(h))
}

/// Switches non-blocking mode.
///
/// # Errors
/// `EBADF`, `EACCES`.
pub fn set_nonblocking(st: &mut State, h: u32, on: bool) -> Result<(), Errno> {
    client(st)?.set_non_blocking(Handle(h), on)
}

/// The local address.
///
/// # Errors
/// `EBADF`, `EACCES`.
pub fn sockname(st: &mut State, h: u32) -> Result<SockAddr, Errno> {
    client(st)?.get_sock_name(Handle(h))
}

/// The peer's address.
///
/// # Errors
/// `ENOTCONN`, `EBADF`, `EACCES`.
pub fn peername(st: &mut State, h: u32) -> Result<SockAddr, Errno> {
    client(st)?.get_peer_name(Handle(h))
}

/// Sets an option.
///
/// # Errors
/// `ENOPROTOOPT`, `EACCES`.
pub fn setopt(st: &mut State, h: u32, opt: SockOpt) -> Result<(), Errno> {
    client(st)?.set_sock_opt(Handle(h), opt)
}

/// Reads an option.
///
/// # Errors
/// `ENOPROTOOPT`, `EACCES`.
pub fn getopt(st: &mut State, h: u32, name: OptName) -> Result<SockOpt, Errno> {
    client(st)?.get_sock_opt(Handle(h), name)
}

/// Attaches the task notification (badge [`EVENT_NET`]) for
/// [`Wait::Notify`], once per process.
///
/// # Errors
/// The server's error.
pub fn attach_notification(st: &mut State) -> Result<(), Errno> {
    if st.net()?.notify {
        return Ok(());
    }
    let s = st.slot();
    let cn = CNode(slot::CNODE);
    cn.mint(s, 64, cn.path(slot::NOTIFICATION, 64), rampart_abi::Rights::WRITE, EVENT_NET).map_err(|_| Errno::EIO)?;
    let r = client(st).and_then(|mut c| c.attach_notification(s));
    st.free_slot(s);
    r?;
    st.net()?.notify = true;
    Ok(())
}

/// Readiness of `items` (handle, events of interest), one entry each.
///
/// # Errors
/// The server's error; `EINVAL` for more than
/// [`rampart_net_api::MAX_POLL_ITEMS`] items.
pub fn poll(st: &mut State, items: &[(u32, Events)], wait: Wait) -> Result<alloc::vec::Vec<Events>, Errno> {
    let items: alloc::vec::Vec<PollItem> =
        items.iter().map(|&(h, events)| PollItem { handle: Handle(h), events }).collect();
    client(st)?.poll(&items, wait)
}

/// Waits for the network server's readiness signal (or any other event on
/// the task notification, such as a child's exit).
pub fn wait_signal() -> u64 {
    Notification(slot::NOTIFICATION).wait()
}

/// Takes pending signals without waiting (0: none).
pub fn poll_signal() -> u64 {
    Notification(slot::NOTIFICATION).poll()
}

/// Adopts the token in `token` from the network server at `ep`.
///
/// # Errors
/// The server's error.
pub fn adopt(ep: Endpoint, token: CPtr) -> Result<u32, Errno> {
    Client(NetEp(ep)).adopt_token(token).map(|h| h.0)
}
