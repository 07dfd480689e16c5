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

/// POSIX messages (as `strerror` words them) for the numbers Rampart uses.
pub fn message(e: i32) -> &'static str {
    match e {
        1 => "Operation not permitted",
        2 => "No such file or directory",
        3 => "No such process",
        4 => "Interrupted system call",
        5 => "Input/output error",
        6 => "No such device or address",
        7 => "Argument list too long",
        8 => "Exec format error",
        9 => "Bad file descriptor",
        10 => "No child processes",
        11 => "Resource temporarily unavailable",
        12 => "Cannot allocate memory",
        13 => "Permission denied",
        14 => "Bad address",
        16 => "Device or resource busy",
        17 => "File exists",
        18 => "Invalid cross-device link",
        20 => "Not a directory",
        21 => "Is a directory",
        22 => "Invalid argument",
        24 => "Too many open files",
        25 => "Inappropriate ioctl for device",
        27 => "File too large",
        28 => "No space left on device",
        29 => "Illegal seek",
        30 => "Read-only file system",
        31 => "Too many links",
        32 => "Broken pipe",
        34 => "Numerical result out of range",
        36 => "File name too long",
        38 => "Function not implemented",
        39 => "Directory not empty",
        40 => "Too many levels of symbolic links",
        71 => "Protocol error",
        74 => "Bad message",
        75 => "Value too large for defined data type",
        88 => "Socket operation on non-socket",
        89 => "Destination address required",
        90 => "Message too long",
        92 => "Protocol not available",
        95 => "Operation not supported",
        97 => "Address family not supported by protocol",
        98 => "Address already in use",
        99 => "Cannot assign requested address",
        100 => "Network is down",
        101 => "Network is unreachable",
        103 => "Software caused connection abort",
        104 => "Connection reset by peer",
        105 => "No buffer space available",
        106 => "Transport endpoint is already connected",
        107 => "Transport endpoint is not connected",
        110 => "Connection timed out",
        111 => "Connection refused",
        113 => "No route to host",
        114 => "Operation already in progress",
        115 => "Operation now in progress",
        117 => "Structure needs cleaning",
        122 => "Disk quota exceeded",
        _ => "Unknown error",
    }
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
        match self.errno.0 {
            2 => ErrorKind::NotFound,
            1 | 13 => ErrorKind::PermissionDenied,
            17 => ErrorKind::AlreadyExists,
            11 => ErrorKind::WouldBlock,
            22 => ErrorKind::InvalidInput,
            4 => ErrorKind::Interrupted,
            32 => ErrorKind::BrokenPipe,
            20 => ErrorKind::NotADirectory,
            21 => ErrorKind::IsADirectory,
            39 => ErrorKind::DirectoryNotEmpty,
            30 => ErrorKind::ReadOnlyFilesystem,
            28 | 122 => ErrorKind::StorageFull,
            38 | 95 => ErrorKind::Unsupported,
            12 => ErrorKind::OutOfMemory,
            111 => ErrorKind::ConnectionRefused,
            104 => ErrorKind::ConnectionReset,
            103 => ErrorKind::ConnectionAborted,
            107 => ErrorKind::NotConnected,
            98 => ErrorKind::AddrInUse,
            99 => ErrorKind::AddrNotAvailable,
            110 => ErrorKind::TimedOut,
            100 => ErrorKind::NetworkDown,
            101 => ErrorKind::NetworkUnreachable,
            113 => ErrorKind::HostUnreachable,
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
            ErrorKind::NotFound => 2,
            ErrorKind::PermissionDenied => 13,
            ErrorKind::AlreadyExists => 17,
            ErrorKind::WouldBlock => 11,
            ErrorKind::InvalidInput => 22,
            ErrorKind::Interrupted => 4,
            ErrorKind::BrokenPipe => 32,
            ErrorKind::NotADirectory => 20,
            ErrorKind::IsADirectory => 21,
            ErrorKind::DirectoryNotEmpty => 39,
            ErrorKind::ReadOnlyFilesystem => 30,
            ErrorKind::StorageFull => 28,
            ErrorKind::Unsupported => 95,
            ErrorKind::OutOfMemory => 12,
            ErrorKind::ConnectionRefused => 111,
            ErrorKind::ConnectionReset => 104,
            ErrorKind::ConnectionAborted => 103,
            ErrorKind::NotConnected => 107,
            ErrorKind::AddrInUse => 98,
            ErrorKind::AddrNotAvailable => 99,
            ErrorKind::TimedOut => 110,
            ErrorKind::NetworkDown => 100,
            ErrorKind::NetworkUnreachable => 101,
            ErrorKind::HostUnreachable => 113,
            ErrorKind::UnexpectedEof => return Error { errno: Errno(5), eof: true },
            ErrorKind::Other => 5,
        };
        Error::from_raw_os_error(n)
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
