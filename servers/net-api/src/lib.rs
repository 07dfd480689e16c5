//! # rampart-net-api — the network server protocol
//!
//! Requests and responses between clients (the library OS's sockets) and
//! the network server, following the user-level contract
//! (docs/userland.md §3-§5; the architecture is in docs/network.md):
//!
//! - Messages are [`Request`] / [`Response`] values encoded with postcard
//!   ([`encode_request`], [`decode_request`], ...) and packed into message
//!   registers by `rampart_uabi::codec`; one message carries at most
//!   [`MAX_MESSAGE`] (960) bytes.
//! - **Payload never travels in messages.** Each connection has a shared
//!   memory region with the server (`AttachRegion`); `Send` and `Recv`
//!   name a byte offset and length in it, checked against the region
//!   (`EFAULT` when out of range).
//! - [`Handle`]s name sockets within one connection; a handle is passed to
//!   another task as a single-use token (`ShareHandle`, `AdoptToken`,
//!   docs/userland.md §4). Sharing gives the receiver the *same* socket
//!   (one open description: options, non-blocking mode and data are
//!   shared, as after `fork`).
//! - Errors are `Response::Err(Errno)`, POSIX numbers ([`errno`]).
//! - Every operation is checked by the server against the mandatory policy
//!   with the connection's security context (classes `tcp_socket` and
//!   `udp_socket`); a denial is `EACCES`.
//!
//! ## Blocking
//! A socket is blocking unless created with `nonblocking` or switched with
//! `SetNonBlocking`. A blocking `Accept`, `Connect`, `Send`, `Recv` or a
//! `Poll` with [`Wait::Block`] that cannot complete is *held* by the
//! server: the reply comes when it can complete (or its timeout passes);
//! the server itself never blocks and serves other clients meanwhile. In
//! non-blocking mode (or with [`MsgFlags::DONTWAIT`]) such calls answer
//! `EAGAIN` at once (`Connect`: `EINPROGRESS`, then `Events::OUT` and
//! `SockOpt::Error` report the outcome).
//!
//! ## Partial transfers
//! `Send` on a stream queues as many bytes as the socket's send buffer has
//! room for — at least one, waiting for room in blocking mode — and
//! answers `Len(n)`, `n <= len`; the library OS loops for `write_all`.
//! `Recv` on a stream answers with the bytes available (at least one,
//! waiting in blocking mode), at most `len`; `len: 0` from a stream means
//! end of stream. A datagram is sent whole or not at all and received
//! whole (truncated to `len`, flagged `truncated`).
//!
//! ## Units and shapes
//! Region offsets and lengths: bytes, `u32`. Times: milliseconds, `u32`.
//! Addresses: [`SockAddr`] (IPv4 bytes in network order, host-order
//! port). Readiness: [`Events`] (Linux `POLL*` bits). Flags: Linux values.
//! At most [`MAX_POLL_ITEMS`] sockets per `Poll`; datagrams at most
//! [`MAX_DATAGRAM`] bytes.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod errno;
mod types;

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

pub use errno::Errno;
pub use rampart_uabi::region::SharedRegion;
pub use types::{Domain, Events, Handle, How, IfInfo, MsgFlags, OptName, PollItem, SockAddr, SockOpt, SockType, Wait};

/// Largest encoded message in bytes (`rampart_uabi::codec::MAX_MESSAGE_BYTES`).
pub const MAX_MESSAGE: usize = rampart_uabi::codec::MAX_MESSAGE_BYTES;
/// Most sockets in one `Poll` (the request and its answer always fit in a
/// message).
pub const MAX_POLL_ITEMS: usize = 100;
/// Largest UDP payload in bytes: one Ethernet frame (1500-byte IP MTU
/// minus the IPv4 and UDP headers); IP fragmentation is not done.
pub const MAX_DATAGRAM: usize = 1472;

rampart_uabi::protocol! {
    /// A request from a client connection.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// The server's answer.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Success without a value.
        Ok,
        /// A new socket handle.
        Handle(Handle),
        /// An address.
        Addr(SockAddr),
        /// An accepted connection.
        Accepted {
            /// Its handle.
            handle: Handle,
            /// The peer's address.
            peer: SockAddr,
        },
        /// Bytes queued by `Send`.
        Len(u32),
        /// The result of `Recv`.
        Received {
            /// Bytes stored in the region (0 from a stream: end of stream).
            len: u32,
            /// Datagram sender (`None` for streams).
            from: Option<SockAddr>,
            /// The datagram was longer than `len` (the rest is discarded).
            truncated: bool,
        },
        /// An option's value.
        Opt(SockOpt),
        /// Readiness per `Poll` item, in order.
        Ready(Vec<Events>),
        /// A token's badge (see [`Request::ShareHandle`]).
        Token(u64),
        /// The interface's configuration.
        Interface(IfInfo),
        /// Failure.
        Err(Errno),
    }

    /// Binds the connection's shared region (`len` bytes). In IPC the
    /// region token (docs/userland.md §5) travels as an extra capability
    /// and the server maps it through the resource manager. → `Ok`.
    AttachRegion {
        /// Region size in bytes.
        len: u32,
    } -> Ok => attach_region(region: give);
    /// Binds the connection's readiness notification: in IPC a
    /// notification capability travels as an extra capability; the server
    /// signals it for [`Wait::Notify`]. → `Ok`.
    AttachNotification -> Ok => attach_notification(ntfn: give);
    /// Creates a socket labelled with the caller's context. Checked:
    /// `create`. → `Handle`.
    Socket {
        /// Address family.
        domain: Domain,
        /// Stream (TCP) or datagram (UDP).
        ty: SockType,
        /// Start in non-blocking mode (`SOCK_NONBLOCK`).
        nonblocking: bool,
    } -> Handle(Handle) => socket;
    /// Binds a local address; port 0 picks an ephemeral port. Checked:
    /// `bind`, and `name_bind` (by the socket) on the port's context — the
    /// picked port's too. → `Addr` (the bound address).
    Bind {
        /// Socket.
        handle: Handle,
        /// Local address (`0.0.0.0` or the interface's address).
        addr: SockAddr,
    } -> Addr(SockAddr) => bind;
    /// Listens for connections with room for `backlog` (at least 1, at
    /// most the server's limit) not yet accepted. An unbound socket gets
    /// an ephemeral port (checked with `name_bind`). Checked: `listen`.
    /// → `Ok`.
    Listen {
        /// Stream socket.
        handle: Handle,
        /// Pending connections.
        backlog: u32,
    } -> Ok => listen;
    /// Takes an established connection from a listening socket; the new
    /// socket has the listening socket's context. Checked: `accept`.
    /// → `Accepted`.
    Accept {
        /// Listening socket.
        handle: Handle,
        /// Non-blocking mode of the new socket (`accept4(SOCK_NONBLOCK)`).
        nonblocking: bool,
    } -> Accepted { handle: Handle, peer: SockAddr } => accept;
    /// Connects a stream (waits for the handshake) or sets a datagram
    /// socket's default peer. Checked: `connect`, and `name_connect` on
    /// the remote port's context. → `Ok`.
    Connect {
        /// Socket.
        handle: Handle,
        /// Remote address.
        addr: SockAddr,
    } -> Ok => connect;
    /// Sends `len` bytes from the region at `region_offset` (see the crate
    /// docs for partial sends). `to` is only for datagram sockets
    /// (`sendto`; checked as `name_connect` on that port too). Checked:
    /// `send`. → `Len(bytes queued)`.
    Send {
        /// Socket.
        handle: Handle,
        /// Source in the shared region.
        region_offset: u32,
        /// Bytes to send.
        len: u32,
        /// `DONTWAIT`.
        flags: MsgFlags,
        /// Datagram destination (`None`: the connected peer).
        to: Option<SockAddr>,
    } -> Len(u32) => send;
    /// Receives at most `len` bytes into the region at `region_offset`.
    /// Checked: `recv`. → `Received`.
    Recv {
        /// Socket.
        handle: Handle,
        /// Destination in the shared region.
        region_offset: u32,
        /// Bytes available there.
        len: u32,
        /// `PEEK`, `DONTWAIT`.
        flags: MsgFlags,
    } -> Received { len: u32, from: Option<SockAddr>, truncated: bool } => recv;
    /// Shuts down one or both halves of a stream. Checked: `shutdown`.
    /// → `Ok`.
    Shutdown {
        /// Socket.
        handle: Handle,
        /// Which half.
        how: How,
    } -> Ok => shutdown;
    /// Closes a handle (voids its unadopted tokens). The socket goes away
    /// with its last handle; a stream then closes gracefully (queued data
    /// is still sent, then FIN) in the background. Operations of this
    /// connection held on the handle answer `EBADF`. → `Ok`.
    Close {
        /// Socket.
        handle: Handle,
    } -> Ok => close;
    /// Switches non-blocking mode (`O_NONBLOCK`). Checked: `setattr`.
    /// → `Ok`.
    SetNonBlocking {
        /// Socket.
        handle: Handle,
        /// On or off.
        on: bool,
    } -> Ok => set_non_blocking;
    /// The local address (`getsockname`). Checked: `getattr`. → `Addr`.
    GetSockName {
        /// Socket.
        handle: Handle,
    } -> Addr(SockAddr) => get_sock_name;
    /// The peer's address (`getpeername`; `ENOTCONN`). Checked: `getattr`.
    /// → `Addr`.
    GetPeerName {
        /// Socket.
        handle: Handle,
    } -> Addr(SockAddr) => get_peer_name;
    /// Sets an option. Checked: `setattr`. → `Ok`.
    SetSockOpt {
        /// Socket.
        handle: Handle,
        /// Option and value.
        opt: SockOpt,
    } -> Ok => set_sock_opt;
    /// Reads an option. Checked: `getattr`. → `Opt`.
    GetSockOpt {
        /// Socket.
        handle: Handle,
        /// Which option.
        name: OptName,
    } -> Opt(SockOpt) => get_sock_opt;
    /// Readiness of several sockets (`poll`). Not checked (readiness of
    /// the caller's own handles). → `Ready`, one entry per item in order.
    Poll {
        /// At most [`MAX_POLL_ITEMS`] sockets.
        items: Vec<PollItem>,
        /// Whether and how to wait.
        wait: Wait,
    } -> Ready(Vec<Events>) => poll;
    /// Asks for a single-use token for `handle`. In IPC the reply carries a
    /// badged endpoint capability; `Token` carries the badge for
    /// bookkeeping only (holding the capability is the authority).
    /// → `Token`.
    ShareHandle {
        /// Handle to share.
        handle: Handle,
    } -> Token(u64) => share_handle(slot: receive);
    /// Adopts a token: the token capability travels as an extra cap and the
    /// kernel unwraps it into its badge — the server never takes a token
    /// number from the payload. Checked for the adopter on the socket:
    /// `getattr accept` for a listening socket, else `getattr send recv`.
    /// → `Handle`.
    AdoptToken -> Handle(Handle) => adopt_token(token: give);
    /// The interface's configuration (address, gateway, DNS servers). Not
    /// checked (a client that may connect to the server may know it).
    /// → `Interface`.
    InterfaceInfo -> Interface(IfInfo) => interface_info;
}

rampart_uabi::by_value!(Handle, Domain, SockType, SockAddr, MsgFlags, How, SockOpt, OptName, Wait);
rampart_uabi::plain!(SockAddr, PollItem);

impl Request {
    /// Checks what the encoding cannot: known flag bits and the poll
    /// size. [`decode_request`] applies it.
    ///
    /// # Errors
    /// `EINVAL`.
    pub fn validate(&self) -> Result<(), Errno> {
        match self {
            Request::Send { flags, .. } | Request::Recv { flags, .. } if flags.0 & !MsgFlags::KNOWN != 0 => {
                Err(Errno::EINVAL)
            }
            Request::Send { flags, .. } if flags.contains(MsgFlags::PEEK) => Err(Errno::EINVAL),
            Request::Poll { items, .. } if items.len() > MAX_POLL_ITEMS => Err(Errno::EINVAL),
            _ => Ok(()),
        }
    }
}

fn to_vec<T: Serialize>(v: &T) -> Result<Vec<u8>, Errno> {
    rampart_uabi::codec::encode_bytes(v).map_err(|e| e.errno())
}

/// Encodes a request as message bytes.
///
/// # Errors
/// `E2BIG` if it exceeds [`MAX_MESSAGE`] (a `Poll` over
/// [`MAX_POLL_ITEMS`] never does).
pub fn encode_request(r: &Request) -> Result<Vec<u8>, Errno> {
    to_vec(r)
}

/// Decodes and validates request bytes; hostile input gives an error,
/// never a panic.
///
/// # Errors
/// `EBADMSG` (malformed, trailing bytes), `E2BIG` (too long), `EINVAL`
/// (see [`Request::validate`]).
pub fn decode_request(bytes: &[u8]) -> Result<Request, Errno> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Errno::E2BIG);
    }
    let r: Request = rampart_uabi::codec::decode_bytes(bytes).map_err(|e| e.errno())?;
    r.validate()?;
    Ok(r)
}

/// Encodes a response as message bytes.
///
/// # Errors
/// `E2BIG` if it exceeds [`MAX_MESSAGE`] (no response the server builds
/// does).
pub fn encode_response(r: &Response) -> Result<Vec<u8>, Errno> {
    to_vec(r)
}

/// Decodes response bytes.
///
/// # Errors
/// `EBADMSG` (malformed, trailing bytes), `E2BIG` (too long).
pub fn decode_response(bytes: &[u8]) -> Result<Response, Errno> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Errno::E2BIG);
    }
    rampart_uabi::codec::decode_bytes(bytes).map_err(|e| e.errno())
}
