//! Errors: an errno with a kind and POSIX messages.

use core::fmt;
use rampart_uabi::Errno;

/// A result with [`Error`].
pub type Result<T> = core::result::Result<T, Error>;

/// Broad categories of errors (as `std::io::ErrorKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `ENOENT`.
    NotFound,
    /// `EACCES`, `EPERM`.
    PermissionDenied,
    /// `EEXIST`.
    AlreadyExists,
    /// `EAGAIN`.
    WouldBlock,
    /// `EINVAL`.
    InvalidInput,
    /// `EINTR`.
    Interrupted,
    /// `EPIPE`.
    BrokenPipe,
    /// `ENOTDIR`.
    NotADirectory,
    /// `EISDIR`.
    IsADirectory,
    /// `ENOTEMPTY`.
    DirectoryNotEmpty,
    /// `EROFS`.
    ReadOnlyFilesystem,
    /// `ENOSPC`, `EDQUOT`.
    StorageFull,
    /// `ENOSYS`, `ENOTSUP`.
    Unsupported,
    /// Short read or write.
    UnexpectedEof,
    /// `ENOMEM`.
    OutOfMemory,
    /// `ECONNREFUSED`.
    ConnectionRefused,
    /// `ECONNRESET`.
    ConnectionReset,
    /// `ECONNABORTED`.
    ConnectionAborted,
    /// `ENOTCONN`.
    NotConnected,
    /// `EADDRINUSE`.
    AddrInUse,
    /// `EADDRNOTAVAIL`.
    AddrNotAvailable,
    /// `ETIMEDOUT`.
    TimedOut,
    /// `ENETDOWN`.
    NetworkDown,
    /// `ENETUNREACH`.
    NetworkUnreachable,
    /// `EHOSTUNREACH`.
    HostUnreachable,
    /// Anything else.
    Other,
}

/// An error: the errno a server (or the library) reported.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Error {
    errno: Errno,
    /// A kind no errno expresses (`UnexpectedEof`).
    eof: bool,
}

/// The message `strerror` gives for errno `e` (`rampart_uabi`'s table).
pub fn message(e: i32) -> &'static str {
    Errno(e).message()
}

impl Error {
    /// The error for errno `e`.
    pub const fn from_errno(e: Errno) -> Error {
        Error { errno: e, eof: false }
    }

    /// The error for raw errno number `n`.
    pub const fn from_raw_os_error(n: i32) -> Error {
        Error { errno: Errno(n), eof: false }
    }

    /// The errno number.
    pub const fn raw_os_error(&self) -> i32 {
        self.errno.0
    }

    /// The errno.
    pub const fn errno(&self) -> Errno {
        self.errno
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        if self.eof {
            return ErrorKind::UnexpectedEof;
        }
        match self.errno {
            Errno::ENOENT => ErrorKind::NotFound,
            Errno::EPERM | Errno::EACCES => ErrorKind::PermissionDenied,
            Errno::EEXIST => ErrorKind::AlreadyExists,
            Errno::EAGAIN => ErrorKind::WouldBlock,
            Errno::EINVAL => ErrorKind::InvalidInput,
            Errno::EINTR => ErrorKind::Interrupted,
            Errno::EPIPE => ErrorKind::BrokenPipe,
            Errno::ENOTDIR => ErrorKind::NotADirectory,
            Errno::EISDIR => ErrorKind::IsADirectory,
            Errno::ENOTEMPTY => ErrorKind::DirectoryNotEmpty,
            Errno::EROFS => ErrorKind::ReadOnlyFilesystem,
            Errno::ENOSPC | Errno::EDQUOT => ErrorKind::StorageFull,
            Errno::ENOSYS | Errno::ENOTSUP => ErrorKind::Unsupported,
            Errno::ENOMEM => ErrorKind::OutOfMemory,
            Errno::ECONNREFUSED => ErrorKind::ConnectionRefused,
            Errno::ECONNRESET => ErrorKind::ConnectionReset,
            Errno::ECONNABORTED => ErrorKind::ConnectionAborted,
            Errno::ENOTCONN => ErrorKind::NotConnected,
            Errno::EADDRINUSE => ErrorKind::AddrInUse,
            Errno::EADDRNOTAVAIL => ErrorKind::AddrNotAvailable,
            Errno::ETIMEDOUT => ErrorKind::TimedOut,
            Errno::ENETDOWN => ErrorKind::NetworkDown,
            Errno::ENETUNREACH => ErrorKind::NetworkUnreachable,
            Errno::EHOSTUNREACH => ErrorKind::HostUnreachable,
            _ => ErrorKind::Other,
        }
    }

    /// The message alone ("Permission denied").
    pub fn message(&self) -> &'static str {
        message(self.errno.0)
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Error {
        Error { errno: e, eof: false }
    }
}

impl From<ErrorKind> for Error {
    fn from(k: ErrorKind) -> Error {
        let n = match k {
            ErrorKind::NotFound => Errno::ENOENT,
            ErrorKind::PermissionDenied => Errno::EACCES,
            ErrorKind::AlreadyExists => Errno::EEXIST,
            ErrorKind::WouldBlock => Errno::EAGAIN,
            ErrorKind::InvalidInput => Errno::EINVAL,
            ErrorKind::Interrupted => Errno::EINTR,
            ErrorKind::BrokenPipe => Errno::EPIPE,
            ErrorKind::NotADirectory => Errno::ENOTDIR,
            ErrorKind::IsADirectory => Errno::EISDIR,
            ErrorKind::DirectoryNotEmpty => Errno::ENOTEMPTY,
            ErrorKind::ReadOnlyFilesystem => Errno::EROFS,
            ErrorKind::StorageFull => Errno::ENOSPC,
            ErrorKind::Unsupported => Errno::ENOTSUP,
            ErrorKind::OutOfMemory => Errno::ENOMEM,
            ErrorKind::ConnectionRefused => Errno::ECONNREFUSED,
            ErrorKind::ConnectionReset => Errno::ECONNRESET,
            ErrorKind::ConnectionAborted => Errno::ECONNABORTED,
            ErrorKind::NotConnected => Errno::ENOTCONN,
            ErrorKind::AddrInUse => Errno::EADDRINUSE,
            ErrorKind::AddrNotAvailable => Errno::EADDRNOTAVAIL,
            ErrorKind::TimedOut => Errno::ETIMEDOUT,
            ErrorKind::NetworkDown => Errno::ENETDOWN,
            ErrorKind::NetworkUnreachable => Errno::ENETUNREACH,
            ErrorKind::HostUnreachable => Errno::EHOSTUNREACH,
            ErrorKind::UnexpectedEof => return Error { errno: Errno::EIO, eof: true },
            ErrorKind::Other => Errno::EIO,
        };
        Error::from_errno(n)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (os error {})", self.message(), self.errno.0)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error {{ kind: {:?}, errno: {}, message: {:?} }}", self.kind(), self.errno.0, self.message())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn display_and_kinds() {
        let e = Error::from_raw_os_error(13);
        assert_eq!(format!("{e}"), "Permission denied (os error 13)");
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert_eq!(Error::from(ErrorKind::NotFound).raw_os_error(), 2);
        assert_eq!(Error::from_raw_os_error(9999).message(), "Unknown error");
        for n in 0..200 {
            let e = Error::from_raw_os_error(n);
            if e.kind() != ErrorKind::Other {
                assert_eq!(Error::from(e.kind()).kind(), e.kind());
            }
        }
    }
}
