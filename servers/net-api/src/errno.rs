//! The error numbers the socket protocol uses.
//!
//! [`Errno`] is `rampart_uabi::Errno` (POSIX numbers, Linux values). The
//! numbers `rampart-uabi` does not name yet are defined here with the same
//! values (as `rampart-fs-api` does for its own); they are candidates to
//! move into `rampart_uabi::errno`.

pub use rampart_uabi::Errno;

/// Too many open files (24): the connection's handle table is full.
pub const EMFILE: Errno = Errno(24);
/// Broken pipe (32): sending on a stream whose sending half is shut down
/// or reset.
pub const EPIPE: Errno = Errno(32);
/// Socket operation on a non-socket (88).
pub const ENOTSOCK: Errno = Errno(88);
/// Destination address required (89): `Send` on an unconnected datagram
/// socket without `to`.
pub const EDESTADDRREQ: Errno = Errno(89);
/// Message too long (90): a datagram larger than [`crate::MAX_DATAGRAM`].
pub const EMSGSIZE: Errno = Errno(90);
/// Protocol not available (92): an unknown or read-only socket option.
pub const ENOPROTOOPT: Errno = Errno(92);
/// Operation not supported (95): e.g. `Listen` on a datagram socket.
pub const EOPNOTSUPP: Errno = Errno(95);
/// Address family not supported (97): `Domain::Inet6`.
pub const EAFNOSUPPORT: Errno = Errno(97);
/// Address in use (98): the port is bound by another socket.
pub const EADDRINUSE: Errno = Errno(98);
/// Cannot assign requested address (99): binding an address the
/// interface does not have, or no free ephemeral port.
pub const EADDRNOTAVAIL: Errno = Errno(99);
/// Network is down (100): the interface has no address yet (DHCP pending).
pub const ENETDOWN: Errno = Errno(100);
/// Network is unreachable (101): no route to the destination.
pub const ENETUNREACH: Errno = Errno(101);
/// Connection aborted (103): an operation waiting on a socket that was
/// closed under it.
pub const ECONNABORTED: Errno = Errno(103);
/// Connection reset by peer (104).
pub const ECONNRESET: Errno = Errno(104);
/// No buffer space (105): the server's socket limit is reached.
pub const ENOBUFS: Errno = Errno(105);
/// Already connected (106).
pub const EISCONN: Errno = Errno(106);
/// Not connected (107).
pub const ENOTCONN: Errno = Errno(107);
/// Timed out (110): a receive/send timeout, or a connection attempt.
pub const ETIMEDOUT: Errno = Errno(110);
/// Connection refused (111): the peer answered the SYN with a reset.
pub const ECONNREFUSED: Errno = Errno(111);
/// Operation already in progress (114): a second `Connect` while a
/// non-blocking connection attempt is pending.
pub const EALREADY: Errno = Errno(114);
/// Operation now in progress (115): a non-blocking `Connect` started.
pub const EINPROGRESS: Errno = Errno(115);
