//! Plain data types of the file protocol: handles, flags, attributes.

use alloc::string::String;
use serde::{Deserialize, Serialize};

/// A handle: a server-side object (open file, directory, pipe end) named by
/// a number within one client connection (docs/userland.md §4). Numbers are
/// never reused while the connection lives, so a stale number gives
/// `EBADF`, never another object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Handle(pub u32);

/// `open` flags (the POSIX subset the server implements; values are the
/// Linux ones so the library OS can pass them through).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OpenFlags(pub u32);

impl OpenFlags {
    /// Open for reading only (access mode 0).
    pub const RDONLY: OpenFlags = OpenFlags(0);
    /// Open for writing only.
    pub const WRONLY: OpenFlags = OpenFlags(1);
    /// Open for reading and writing.
    pub const RDWR: OpenFlags = OpenFlags(2);
    /// Mask of the access mode bits.
    pub const ACCMODE: u32 = 3;
    /// Create the file if it does not exist (needs `mode`).
    pub const CREAT: OpenFlags = OpenFlags(0o100);
    /// With `CREAT`: fail with `EEXIST` if the name exists.
    pub const EXCL: OpenFlags = OpenFlags(0o200);
    /// Truncate a regular file to length 0 (needs write access).
    pub const TRUNC: OpenFlags = OpenFlags(0o1000);
    /// Every write goes to the end of the file (checked as `append`).
    pub const APPEND: OpenFlags = OpenFlags(0o2000);
    /// Fail with `ENOTDIR` unless the target is a directory.
    pub const DIRECTORY: OpenFlags = OpenFlags(0o200000);
    /// Do not follow a symbolic link in the last component (`ELOOP`).
    pub const NOFOLLOW: OpenFlags = OpenFlags(0o400000);
    /// Open a program to run it (Linux's internal `__FMODE_EXEC` value):
    /// a regular file only (`EACCES` otherwise), with read access, checked
    /// as `file execute` and the execute bit for the caller (the image
    /// travels through the caller, so an execute-only file cannot be run).
    pub const EXEC: OpenFlags = OpenFlags(0o40);
    /// Every flag the server understands; others give `EINVAL`.
    pub const KNOWN: u32 = 3 | 0o40 | 0o100 | 0o200 | 0o1000 | 0o2000 | 0o200000 | 0o400000;

    /// True if every bit of `other` is set.
    pub const fn contains(self, other: OpenFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// True if the access mode allows reading.
    pub const fn readable(self) -> bool {
        matches!(self.0 & Self::ACCMODE, 0 | 2)
    }

    /// True if the access mode allows writing.
    pub const fn writable(self) -> bool {
        matches!(self.0 & Self::ACCMODE, 1 | 2)
    }
}

impl core::ops::BitOr for OpenFlags {
    type Output = OpenFlags;
    fn bitor(self, rhs: OpenFlags) -> OpenFlags {
        OpenFlags(self.0 | rhs.0)
    }
}

/// The type of a file-system object (the `S_IFMT` part of a mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileType {
    /// Regular file.
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Character device node.
    CharDev,
    /// Block device node.
    BlockDev,
    /// Named pipe (FIFO) — also the type of anonymous pipe ends.
    Fifo,
    /// Unix-domain socket node.
    Socket,
}

impl FileType {
    /// The `S_IFMT` bits of this type (`0o100000` for a regular file).
    pub const fn mode_bits(self) -> u32 {
        match self {
            FileType::File => 0o100000,
            FileType::Dir => 0o040000,
            FileType::Symlink => 0o120000,
            FileType::CharDev => 0o020000,
            FileType::BlockDev => 0o060000,
            FileType::Fifo => 0o010000,
            FileType::Socket => 0o140000,
        }
    }

    /// The type of a full mode (`None` for an unknown `S_IFMT` value).
    pub const fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & 0o170000 {
            0o100000 => FileType::File,
            0o040000 => FileType::Dir,
            0o120000 => FileType::Symlink,
            0o020000 => FileType::CharDev,
            0o060000 => FileType::BlockDev,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            _ => return None,
        })
    }

    /// The `d_type` byte of a directory entry (Linux `DT_*` values).
    pub const fn dtype(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDev => 2,
            FileType::Dir => 4,
            FileType::BlockDev => 6,
            FileType::File => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }

    /// The type of a `DT_*` byte (`None` for `DT_UNKNOWN` and others).
    pub const fn from_dtype(d: u8) -> Option<FileType> {
        Some(match d {
            1 => FileType::Fifo,
            2 => FileType::CharDev,
            4 => FileType::Dir,
            6 => FileType::BlockDev,
            8 => FileType::File,
            10 => FileType::Symlink,
            12 => FileType::Socket,
            _ => return None,
        })
    }
}

/// A point in time: seconds since the Unix epoch (UTC) and nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Timespec {
    /// Seconds since 1970-01-01T00:00:00Z (negative before).
    pub sec: i64,
    /// Nanoseconds, `0..1_000_000_000`.
    pub nsec: u32,
}

/// File attributes (`stat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    /// Inode number (unique per file system; pipes get numbers above 2^32).
    pub ino: u64,
    /// Object type.
    pub kind: FileType,
    /// Full mode: type bits | set-id/sticky | permission bits (`0o100644`).
    pub mode: u32,
    /// Number of hard links.
    pub nlink: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Size in bytes (symlinks: target length; pipes: bytes buffered).
    pub size: u64,
    /// Storage used, in 512-byte units.
    pub blocks: u64,
    /// Preferred I/O size in bytes (the file-system block size).
    pub blksize: u32,
    /// Last access.
    pub atime: Timespec,
    /// Last data modification.
    pub mtime: Timespec,
    /// Last status change.
    pub ctime: Timespec,
    /// Creation, if the file system records it.
    pub btime: Option<Timespec>,
}

/// File-system statistics (`statvfs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatFs {
    /// Block size in bytes.
    pub bsize: u32,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks available to unprivileged users.
    pub bavail: u64,
    /// Total inodes.
    pub files: u64,
    /// Free inodes.
    pub ffree: u64,
    /// Longest file name in bytes ([`crate::NAME_MAX`]).
    pub namemax: u32,
    /// True if the server refuses every modification (`EROFS`).
    pub read_only: bool,
}

/// A caller's identity ([`crate::Request::Credentials`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Supplementary group ids (at most 16).
    pub groups: alloc::vec::Vec<u32>,
}

/// Attribute changes for [`crate::Request::SetAttr`]; `None` leaves a field
/// unchanged. Checked as `setattr` on the object; a new mode or times need
/// the owner or uid 0, a new owner uid 0, a new group the owner and a
/// member of it, or uid 0 (`EPERM`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAttr {
    /// New permission bits (`0o7777` mask; the type bits are ignored).
    pub mode: Option<u32>,
    /// New owner user id.
    pub uid: Option<u32>,
    /// New owner group id.
    pub gid: Option<u32>,
    /// New access time.
    pub atime: Option<Timespec>,
    /// New modification time.
    pub mtime: Option<Timespec>,
}

/// Where a seek offset is measured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Whence {
    /// From the start of the file (`SEEK_SET`).
    Set,
    /// From the current position (`SEEK_CUR`).
    Cur,
    /// From the end of the file (`SEEK_END`).
    End,
}

/// A path argument. Paths are absolute (`/`-rooted; the library OS joins
/// its current directory), bytes not necessarily UTF-8 on disk but UTF-8
/// in the protocol. Short paths travel in the message; a path that does not
/// fit (the message limit is 960 bytes) is put in the connection's shared
/// region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PathArg {
    /// The path itself.
    Inline(String),
    /// `len` bytes at `offset` in the shared region (UTF-8, no NUL).
    Shared {
        /// Byte offset in the region.
        offset: u32,
        /// Length in bytes (at most [`crate::PATH_MAX`]).
        len: u32,
    },
}

impl From<&str> for PathArg {
    fn from(s: &str) -> PathArg {
        PathArg::Inline(String::from(s))
    }
}

/// The object an attribute request is about: a path or an open handle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// Resolve this path; `follow`: follow a symlink in the last component
    /// (`stat`) or not (`lstat`).
    Path {
        /// The path.
        path: PathArg,
        /// Follow a final symbolic link.
        follow: bool,
    },
    /// An open handle of this connection (`fstat`, `fchmod`, ...).
    Handle(Handle),
}
