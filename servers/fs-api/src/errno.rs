//! The error numbers the file protocol uses.
//!
//! [`Errno`] is `rampart_uabi::Errno` (POSIX numbers, Linux values). The
//! numbers `rampart-uabi` does not name yet are defined here with the same
//! values; they are candidates to move into `rampart_uabi::errno`.

pub use rampart_uabi::Errno;

/// No such device or address (6): opening a device, FIFO or socket node
/// the file server does not serve.
pub const ENXIO: Errno = Errno(6);
/// Not a directory (20).
pub const ENOTDIR: Errno = Errno(20);
/// Is a directory (21).
pub const EISDIR: Errno = Errno(21);
/// Invalid cross-device link (18).
pub const EXDEV: Errno = Errno(18);
/// Too many open files (24): the connection's handle table is full.
pub const EMFILE: Errno = Errno(24);
/// File too large (27).
pub const EFBIG: Errno = Errno(27);
/// Illegal seek (29): seek on a pipe.
pub const ESPIPE: Errno = Errno(29);
/// Read-only file system (30).
pub const EROFS: Errno = Errno(30);
/// Too many links (31).
pub const EMLINK: Errno = Errno(31);
/// Broken pipe (32): write to a pipe with no reader.
pub const EPIPE: Errno = Errno(32);
/// File name too long (36): a component over 255 bytes or a path over
/// [`crate::PATH_MAX`].
pub const ENAMETOOLONG: Errno = Errno(36);
/// Directory not empty (39).
pub const ENOTEMPTY: Errno = Errno(39);
/// Too many levels of symbolic links (40), after [`crate::SYMLOOP_MAX`].
pub const ELOOP: Errno = Errno(40);
/// No data available (61): a file without a stored label, for example.
pub const ENODATA: Errno = Errno(61);
/// Operation not supported (95).
pub const ENOTSUP: Errno = Errno(95);
/// Structure needs cleaning (117): the file system's metadata is corrupt.
pub const EUCLEAN: Errno = Errno(117);
