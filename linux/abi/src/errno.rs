//! Linux error numbers (`include/uapi/asm-generic/errno-base.h`,
//! `include/uapi/asm-generic/errno.h`; errno(3)). A system call returns
//! `-errno` in `rax` on failure.

/// Operation not permitted.
pub const EPERM: i32 = 1;
/// No such file or directory.
pub const ENOENT: i32 = 2;
/// No such process.
pub const ESRCH: i32 = 3;
/// Interrupted system call.
pub const EINTR: i32 = 4;
/// I/O error.
pub const EIO: i32 = 5;
/// Argument list too long.
pub const E2BIG: i32 = 7;
/// Exec format error.
pub const ENOEXEC: i32 = 8;
/// Bad file number.
pub const EBADF: i32 = 9;
/// No child processes.
pub const ECHILD: i32 = 10;
/// Try again.
pub const EAGAIN: i32 = 11;
/// Out of memory.
pub const ENOMEM: i32 = 12;
/// Permission denied.
pub const EACCES: i32 = 13;
/// Bad address.
pub const EFAULT: i32 = 14;
/// File exists.
pub const EEXIST: i32 = 17;
/// Not a directory.
pub const ENOTDIR: i32 = 20;
/// Is a directory.
pub const EISDIR: i32 = 21;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// Too many open files.
pub const EMFILE: i32 = 24;
/// Not a typewriter (inappropriate ioctl for device).
pub const ENOTTY: i32 = 25;
/// No space left on device.
pub const ENOSPC: i32 = 28;
/// Illegal seek.
pub const ESPIPE: i32 = 29;
/// Read-only file system.
pub const EROFS: i32 = 30;
/// Broken pipe.
pub const EPIPE: i32 = 32;
/// Math result not representable.
pub const ERANGE: i32 = 34;
/// File name too long.
pub const ENAMETOOLONG: i32 = 36;
/// Function not implemented (invalid system call number).
pub const ENOSYS: i32 = 38;
/// Directory not empty.
pub const ENOTEMPTY: i32 = 39;
/// Too many symbolic links encountered.
pub const ELOOP: i32 = 40;
/// Operation not supported.
pub const EOPNOTSUPP: i32 = 95;

/// The `rax` value of a failed call: `-errno` as an unsigned register.
pub const fn ret_err(errno: i32) -> u64 {
    (-(errno as i64)) as u64
}

/// Linux `strerror` text for the numbers above (glibc's wording), for logs
/// and tests; `None` for others.
pub fn message(errno: i32) -> Option<&'static str> {
    Some(match errno {
        EPERM => "Operation not permitted",
        ENOENT => "No such file or directory",
        EBADF => "Bad file descriptor",
        ENOMEM => "Cannot allocate memory",
        EACCES => "Permission denied",
        EFAULT => "Bad address",
        EEXIST => "File exists",
        ENOTDIR => "Not a directory",
        EISDIR => "Is a directory",
        EINVAL => "Invalid argument",
        ENOTTY => "Inappropriate ioctl for device",
        ENOSYS => "Function not implemented",
        ENOTEMPTY => "Directory not empty",
        _ => return None,
    })
}

/// Maps a Rampart server error number (`rampart_uabi::errno`, which uses
/// the POSIX/Linux numbering) to the Linux one: identical for every number
/// Linux defines (1..=133), `EIO` for anything else, so a server bug never
/// reaches a Linux program as a number it cannot interpret.
pub const fn from_rampart(e: i32) -> i32 {
    if e >= 1 && e <= 133 { e } else { EIO }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_errno_in_rax() {
        assert_eq!(ret_err(ENOSYS), (-38i64) as u64);
        assert_eq!(ret_err(EFAULT) as i64, -14);
        // Linux reserves -4095..-1 for errors (syscall(2), "Return value").
        assert!((ret_err(EOPNOTSUPP) as i64) >= -4095);
    }

    #[test]
    fn foreign_numbers_become_eio() {
        assert_eq!(from_rampart(EACCES), EACCES);
        for bad in [0, -1, 134, i32::MAX, i32::MIN] {
            assert_eq!(from_rampart(bad), EIO);
        }
        assert_eq!(message(EACCES), Some("Permission denied"));
    }
}
