//! # rampart-fs-api — the file server protocol
//!
//! Requests and responses between clients (the library OS) and the file
//! server, following the user-level contract (docs/userland.md §3-§5):
//!
//! - Messages are [`Request`] / [`Response`] values encoded with postcard
//!   ([`encode_request`], [`decode_request`], ...) and packed into message
//!   registers by `rampart_uabi::codec`; one message carries at most
//!   [`MAX_MESSAGE`] (960) bytes.
//! - **Bulk data never travels in messages.** Each connection has a shared
//!   memory region with the server; `Read`, `Write`, `ReadDir`, `ReadLink`
//!   and long paths ([`PathArg::Shared`]) name a byte offset and length in
//!   it. Offsets and lengths are in bytes and are checked against the
//!   region (`EFAULT` when out of range).
//! - [`Handle`]s name server objects within one connection; a handle is
//!   passed to another task as a single-use token (`ShareHandle`,
//!   `AdoptToken`, docs/userland.md §4).
//! - Errors are `Response::Err(Errno)`, POSIX numbers ([`errno`]).
//! - Every operation is checked by the server against the mandatory policy
//!   with the connection's security context; a denial is `EACCES`.
//!
//! ## Units and shapes
//! Sizes, offsets and lengths: bytes. File offsets: `u64`. Region offsets
//! and transfer lengths: `u32` (a transfer is at most the region size).
//! Times: [`Timespec`] (Unix seconds + nanoseconds). Modes: POSIX bits
//! (`0o100644`). `Stat::blocks`: 512-byte units. Paths: absolute, at most
//! [`PATH_MAX`] bytes, components at most [`NAME_MAX`] bytes, at most
//! [`SYMLOOP_MAX`] symbolic links followed per resolution (`ELOOP`).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod dirent;
pub mod errno;
mod types;

use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

pub use errno::Errno;
pub use rampart_uabi::region::SharedRegion;
pub use types::{
    Credentials, FileType, Handle, OpenFlags, PathArg, SetAttr, Stat, StatFs, Target, Timespec, Whence, major, makedev,
    minor,
};

/// Longest path in bytes, including every component and separator.
pub const PATH_MAX: usize = 4096;
/// Longest file name (one path component) in bytes.
pub const NAME_MAX: usize = 255;
/// Most symbolic links followed while resolving one path.
pub const SYMLOOP_MAX: u32 = 40;
/// Most components (after symlink expansion) walked for one path.
pub const MAX_COMPONENTS: usize = 1024;
/// Largest encoded message in bytes (`rampart_uabi::codec::MAX_MESSAGE_BYTES`).
pub const MAX_MESSAGE: usize = rampart_uabi::codec::MAX_MESSAGE_BYTES;

rampart_uabi::protocol! {
    /// A request from a client connection.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// The server's answer.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Success without a value.
        Ok,
        /// A new handle.
        Handle(Handle),
        /// A byte count (read, written, or stored in the region).
        Len(u32),
        /// A new file position in bytes.
        Offset(u64),
        /// File attributes.
        Stat(Stat),
        /// File-system statistics.
        StatFs(StatFs),
        /// The two ends of a new pipe.
        Pipe {
            /// Read end.
            read: Handle,
            /// Write end.
            write: Handle,
        },
        /// A token's badge (see [`Request::ShareHandle`]).
        Token(u64),
        /// A security context (`user:role:type[:level]`).
        Context(String),
        /// Failure.
        Err(Errno),
        /// The caller's identity.
        Credentials(Credentials),
        /// A sealed program image ([`Request::ExecImage`]).
        Image {
            /// The resource manager's token for it (`Image::Sealed`).
            token: u64,
            /// Its size in bytes.
            len: u64,
            /// The file is not a native Rampart program (no `Rampart` ELF
            /// note): the image sealed is the Linux personality's shim
            /// (`/bin/linux`), labelled as the file, and the caller runs the
            /// shim with the program's path (docs/linux-abi.md).
            linux: bool,
        },
    }

    /// Binds the connection's shared region (`len` bytes). In IPC the
    /// region token (docs/userland.md §5) travels as an extra capability
    /// and the server maps it through the resource manager. → `Ok`.
    AttachRegion {
        /// Region size in bytes.
        len: u32,
    } -> Ok => attach_region(region: give);
    /// Opens (and with `CREAT` creates) a file or directory. `mode`: the
    /// permission bits of a new file. Checked: `search` on every directory
    /// walked, `open` plus `read`/`write`/`append` by access mode,
    /// `add_name` + `create` for a new file. → `Handle`.
    Open {
        /// Path.
        path: PathArg,
        /// Flags.
        flags: OpenFlags,
        /// Permission bits for a created file (`0o644`).
        mode: u32,
    } -> Handle(Handle) => open;
    /// Closes a handle (voids its unadopted tokens). → `Ok`.
    Close {
        /// Handle.
        handle: Handle,
    } -> Ok => close;
    /// Reads up to `len` bytes into the region at `region_offset`, from file
    /// offset `offset`, or from the handle's position (then advanced) if
    /// `None`. Pipes: blocks are not modelled — an empty pipe with writers
    /// gives `EAGAIN`, with none `Len(0)` (EOF). → `Len(bytes read)`.
    Read {
        /// Handle opened for reading.
        handle: Handle,
        /// File offset, or `None` for the current position.
        offset: Option<u64>,
        /// Destination in the shared region.
        region_offset: u32,
        /// Maximum bytes.
        len: u32,
    } -> Len(u32) => read;
    /// Writes `len` bytes from the region at `region_offset`; as `Read` for
    /// `offset` (ignored with `APPEND`). Pipes without readers: `EPIPE`.
    /// → `Len(bytes written)`.
    Write {
        /// Handle opened for writing.
        handle: Handle,
        /// File offset, or `None` for the current position.
        offset: Option<u64>,
        /// Source in the shared region.
        region_offset: u32,
        /// Bytes to write.
        len: u32,
    } -> Len(u32) => write;
    /// Moves the handle's position. Pipes: `ESPIPE`. On a directory, only
    /// `Seek { offset: 0, whence: Set }` (rewind) is allowed. → `Offset`.
    Seek {
        /// Handle.
        handle: Handle,
        /// Signed offset in bytes.
        offset: i64,
        /// Reference point.
        whence: Whence,
    } -> Offset(u64) => seek;
    /// File attributes (`stat`, `lstat`, `fstat`); checked as `getattr`.
    /// → `Stat`.
    Stat {
        /// What to describe.
        target: Target,
    } -> Stat(Stat) => stat;
    /// Writes the next directory entries of a directory handle into the
    /// region ([`dirent`] layout), continuing where the previous call
    /// stopped; `Len(0)` at the end. Checked as `read` on the directory
    /// when opened. → `Len(bytes written)`.
    ReadDir {
        /// Directory handle.
        handle: Handle,
        /// Destination in the shared region.
        region_offset: u32,
        /// Bytes available there.
        len: u32,
    } -> Len(u32) => read_dir;
    /// Reads a symbolic link's target into the region (truncated to `len`,
    /// as POSIX `readlink`); checked as `lnk_file read`. → `Len`.
    ReadLink {
        /// Path of the link (not followed).
        path: PathArg,
        /// Destination in the shared region.
        region_offset: u32,
        /// Bytes available there.
        len: u32,
    } -> Len(u32) => read_link;
    /// Creates symbolic link `link` pointing at `target` (stored verbatim,
    /// at most [`PATH_MAX`] - 1 bytes). → `Ok`.
    Symlink {
        /// The link's contents.
        target: PathArg,
        /// Where to create the link.
        link: PathArg,
    } -> Ok => symlink;
    /// Creates a directory with permission bits `mode`. → `Ok`.
    Mkdir {
        /// Path of the new directory.
        path: PathArg,
        /// Permission bits (`0o755`).
        mode: u32,
    } -> Ok => mkdir;
    /// Removes an empty directory (`ENOTEMPTY` otherwise). → `Ok`.
    Rmdir {
        /// Path.
        path: PathArg,
    } -> Ok => rmdir;
    /// Removes a non-directory name (`EISDIR` for a directory). → `Ok`.
    Unlink {
        /// Path.
        path: PathArg,
    } -> Ok => unlink;
    /// Renames `from` to `to`, replacing a compatible `to` (POSIX rules).
    /// → `Ok`.
    Rename {
        /// Old path.
        from: PathArg,
        /// New path.
        to: PathArg,
    } -> Ok => rename;
    /// Sets a regular file's size in bytes (zero-filled growth); checked
    /// as `write`. → `Ok`.
    Truncate {
        /// The file.
        target: Target,
        /// New size in bytes.
        size: u64,
    } -> Ok => truncate;
    /// Changes mode, owner or times (`chmod`, `chown`, `utimens`); checked
    /// as `setattr`. → `Ok`.
    SetAttr {
        /// The object.
        target: Target,
        /// The changes.
        attr: SetAttr,
    } -> Ok => set_attr;
    /// Makes the handle's file (and every completed operation before it)
    /// durable on the disk. → `Ok`.
    Fsync {
        /// Handle.
        handle: Handle,
    } -> Ok => fsync;
    /// Makes every completed operation durable. → `Ok`.
    Sync -> Ok => sync;
    /// File-system statistics; checked as `filesystem getattr`. → `StatFs`.
    StatFs -> StatFs(StatFs) => stat_fs;
    /// Creates an anonymous pipe. → `Pipe { read, write }`.
    Pipe -> Pipe { read: Handle, write: Handle } => pipe;
    /// Asks for a single-use token for `handle`. In IPC the reply carries a
    /// badged endpoint capability; `Token` carries the badge for bookkeeping
    /// only (holding the capability is the authority). → `Token`.
    ShareHandle {
        /// Handle to share.
        handle: Handle,
    } -> Token(u64) => share_handle(slot: receive);
    /// Adopts a token: the token capability travels as an extra cap and the
    /// kernel unwraps it into its badge — the server never takes a token
    /// number from the payload. → `Handle` (same object and access mode).
    AdoptToken -> Handle(Handle) => adopt_token(token: give);
    /// The security context of a file (`getfilecon`); checked as `getattr`.
    /// → `Context`.
    GetCon {
        /// The object.
        target: Target,
    } -> Context(String) => get_con;
    /// Mounts the ext4 file system on block device `device` (a device
    /// manager name such as `blk1`; at most [`DEVICE_NAME_MAX`] bytes) on
    /// the directory `path`, which then shows the mounted root. Checked:
    /// `dir mounton` on the directory and `filesystem mount` on the file
    /// system context. A disk the server cannot mount gives its error
    /// (`EUCLEAN` for corrupt metadata, `ENODEV` for an unknown device,
    /// `EBUSY` for a device already in use or a directory already a mount
    /// point); the server keeps serving. → `Ok`.
    Mount {
        /// Device name.
        device: String,
        /// Mount point (an existing directory).
        path: PathArg,
        /// Mount read-only.
        read_only: bool,
    } -> Ok => mount;
    /// Unmounts the file system whose root is `path` (`EINVAL` if it is not
    /// a mount point, `EBUSY` while handles are open on it). Checked:
    /// `filesystem unmount`. → `Ok`.
    Unmount {
        /// The mounted root.
        path: PathArg,
    } -> Ok => unmount;
    /// Whether the token with badge `token` (see [`Response::Token`]),
    /// issued to this connection, still waits to be adopted. A parent that
    /// passed descriptors to a child asks this before it closes the handles
    /// the tokens were made from (closing voids them). → `Ok` while
    /// pending; `ENOENT` once adopted or voided, or if another connection
    /// issued it.
    TokenPending {
        /// The token's badge.
        token: u64,
    } -> Ok => token_pending;
    /// The caller's identity (`getuid`, `getgid`, `getgroups`): the uid
    /// and gids the server derives from the connection's security context
    /// and uses for discretionary checks; no permission needed.
    /// → `Credentials`.
    Credentials -> Credentials(Credentials) => credentials;
    /// Relabels an object (`chcon`, `setfilecon`): to `context`, or with
    /// `None` back to the label the policy's file contexts give the path
    /// (`restorecon`; `target` must be a path). Checked: ownership or uid
    /// 0 (`EPERM`), `relabelfrom` on the old label and `relabelto` on the
    /// new one (`EACCES`), the policy's `validatetrans` for the class
    /// (`EACCES`); `EINVAL` for a context the policy does not accept,
    /// `EROFS`, `ENOTSUP` for device nodes. → `Ok`.
    SetCon {
        /// The object.
        target: Target,
        /// The new security context, or `None` for the default.
        context: Option<String>,
    } -> Ok => set_con;
    /// Shuts the server down before power-off (init sends it when the
    /// first program ended, `shutdown -h` in Unix terms): every connection
    /// is closed (unlinked open files are freed), every volume is
    /// committed and unmounted, the root file system marked clean, so the
    /// next boot needs no journal recovery. Afterwards every request gets
    /// `EIO`. Needs uid 0 (`EPERM`) and `filesystem unmount` on the root
    /// file system (`EACCES`). → `Ok`, or the unmount's error (`EIO`).
    Shutdown -> Ok => shutdown;
    /// Seals the program open on `handle` for the caller to run
    /// (docs/resource-manager.md, "Sealed images"): the handle must have
    /// been opened with [`OpenFlags::EXEC`] (checked as `file execute`
    /// and the execute bit for the caller); both are checked again with
    /// the policy in force, the server reads the whole file into a region
    /// of its own and the resource manager seals it with the file's label
    /// for the caller. The caller names the image in `Spawn` as
    /// `Image::Sealed { token }`; it never holds the bytes. → `Image`;
    /// `EACCES` (no execute access), `EBADF` (not an executable handle),
    /// `ENOEXEC` (empty file), `E2BIG` (larger than the resource manager
    /// takes), the resource manager's errors.
    ExecImage {
        /// A handle opened with `EXEC`.
        handle: Handle,
    } -> Image { token: u64, len: u64, linux: bool } => exec_image;
    /// Makes `to` a new name (hard link) of the object `from` names, as
    /// `link(2)`: `from` is not followed if it is a symbolic link, the
    /// object's link count grows by one. Checked: DAC as Linux with
    /// `fs.protected_hardlinks` (the caller owns the object, or it is a
    /// regular file neither set-user-ID nor set-group-ID-executable that
    /// the caller may read and write; uid 0 always) → `EPERM`; write and
    /// search on `to`'s directory; the policy's `dir { search add_name }`
    /// on `to`'s directory and `link` on the object. → `Ok`; `EEXIST`,
    /// `EPERM` (a directory, or the check above), `EXDEV` (another
    /// volume), `EMLINK` (65,000 links), `EROFS`, `ENOSPC`.
    Link {
        /// Existing name.
        from: PathArg,
        /// New name.
        to: PathArg,
    } -> Ok => link;
}

rampart_uabi::by_value!(Handle, OpenFlags, PathArg, Target, SetAttr, Whence);

/// Longest device name in a [`Request::Mount`], in bytes.
pub const DEVICE_NAME_MAX: usize = 32;

fn to_vec<T: Serialize>(v: &T) -> Result<Vec<u8>, Errno> {
    rampart_uabi::codec::encode_bytes(v).map_err(|e| e.errno())
}

/// Encodes a request as message bytes.
///
/// # Errors
/// `E2BIG` if it exceeds [`MAX_MESSAGE`] (put long paths in the region).
pub fn encode_request(r: &Request) -> Result<Vec<u8>, Errno> {
    to_vec(r)
}

/// Decodes request bytes; hostile input gives `EBADMSG`, never a panic.
///
/// # Errors
/// `EBADMSG` (malformed, trailing bytes) or `E2BIG` (too long).
pub fn decode_request(bytes: &[u8]) -> Result<Request, Errno> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Errno::E2BIG);
    }
    rampart_uabi::codec::decode_bytes(bytes).map_err(|e| e.errno())
}

/// Encodes a response as message bytes.
///
/// # Errors
/// `E2BIG` if it exceeds [`MAX_MESSAGE`] (no response the server builds does).
pub fn encode_response(r: &Response) -> Result<Vec<u8>, Errno> {
    to_vec(r)
}

/// Decodes response bytes.
///
/// # Errors
/// As [`decode_request`].
pub fn decode_response(bytes: &[u8]) -> Result<Response, Errno> {
    if bytes.len() > MAX_MESSAGE {
        return Err(Errno::E2BIG);
    }
    rampart_uabi::codec::decode_bytes(bytes).map_err(|e| e.errno())
}
