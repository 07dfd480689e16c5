//! POSIX error numbers (Linux numbering), the error type of every server
//! protocol (`Response::Err(Errno)`, docs/userland.md §3).
//!
//! `Errno` is a number, not a closed enum, so a newer server's codes still
//! decode; it serialises as a postcard varint of the number.

use core::fmt;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A POSIX error number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(pub i32);

macro_rules! errnos {
    ($($name:ident = $n:expr, $msg:expr;)*) => {
        impl Errno {
            $(#[doc = $msg] pub const $name: Errno = Errno($n);)*

            /// The conventional message for this number ("unknown error" if unknown).
            pub const fn as_str(self) -> &'static str {
                match self.0 {
                    $($n => $msg,)*
                    _ => "unknown error",
                }
            }

            /// The symbolic name, e.g. `"ENOMEM"` (`"E?"` if unknown).
            pub const fn name(self) -> &'static str {
                match self.0 {
                    $($n => stringify!($name),)*
                    _ => "E?",
                }
            }
        }
    };
}

errnos! {
    EPERM = 1, "operation not permitted";
    ENOENT = 2, "no such file or directory";
    ESRCH = 3, "no such process";
    EINTR = 4, "interrupted";
    EIO = 5, "input/output error";
    ENXIO = 6, "no such device or address";
    E2BIG = 7, "argument list too long";
    ENOEXEC = 8, "exec format error";
    EBADF = 9, "bad handle";
    ECHILD = 10, "no child processes";
    EAGAIN = 11, "resource temporarily unavailable";
    ENOMEM = 12, "out of memory";
    EACCES = 13, "permission denied";
    EFAULT = 14, "bad address";
    EBUSY = 16, "resource busy";
    EEXIST = 17, "already exists";
    ENODEV = 19, "no such device";
    EINVAL = 22, "invalid argument";
    ENOTTY = 25, "inappropriate ioctl for device";
    ENOSPC = 28, "no space left";
    EROFS = 30, "read-only device";
    EPIPE = 32, "broken pipe";
    ERANGE = 34, "out of range";
    ENOSYS = 38, "function not implemented";
    EPROTO = 71, "protocol error";
    EBADMSG = 74, "bad message";
    EOVERFLOW = 75, "value too large";
    ENOTSUP = 95, "operation not supported";
    EDQUOT = 122, "quota exceeded";
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.as_str(), self.name())
    }
}

impl Serialize for Errno {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.0)
    }
}

impl<'de> Deserialize<'de> for Errno {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        i32::deserialize(d).map(Errno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_round_trip() {
        assert_eq!(Errno::ENOMEM.0, 12);
        assert_eq!(Errno::EDQUOT.name(), "EDQUOT");
        assert_eq!(Errno(9999).as_str(), "unknown error");
        let b = postcard::to_allocvec(&Errno::ENOEXEC).unwrap();
        assert_eq!(postcard::from_bytes::<Errno>(&b).unwrap(), Errno::ENOEXEC);
        let b = postcard::to_allocvec(&Errno(-77)).unwrap();
        assert_eq!(postcard::from_bytes::<Errno>(&b).unwrap(), Errno(-77));
    }
}
