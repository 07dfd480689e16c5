//! Calls to the file server over the process's connection and its shared
//! region (data and long paths travel in the region).

use super::{PATH_AREA, State};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_fs_api::{Client, Handle, OpenFlags, PathArg, Request, Response, Stat, Target, Transport, Whence};
use rampart_rt::cap::{CPtr, Endpoint};
use rampart_rt::ipc::proto;
use rampart_rt::shared::SharedBytes;
use rampart_uabi::Errno;

/// Largest transfer per request.
pub const CHUNK: usize = PATH_AREA;

/// The file server channel as the transport of the generated client
/// (`rampart_fs_api::Client`): requests and replies of at most 32 bytes
/// travel in registers only (`rampart_rt::ipc::proto`).
#[derive(Clone, Copy, Debug)]
pub struct FsEp(pub Endpoint);

impl Transport for FsEp {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        proto::call(self.0, req)
    }

    fn call_caps(&mut self, req: &Request, give: Option<u64>, receive: Option<u64>) -> Result<(Response, bool), Errno> {
        proto::call_caps(self.0, req, give, receive)
    }
}

/// The file server client on this process's connection.
///
/// # Errors
/// [`State::fs`]'s (no file server, policy).
pub fn client(st: &mut State) -> Result<Client<FsEp>, Errno> {
    Ok(Client(FsEp(st.fs()?.ep)))
}

/// Sends `req` as it is (tests that build hostile requests); an `Err`
/// response becomes `Err`.
///
/// # Errors
/// The server's or the transport's error.
pub fn call_fs(st: &mut State, req: &Request) -> Result<Response, Errno> {
    match client(st)?.0.call(req)? {
        Response::Err(e) => Err(e),
        r => Ok(r),
    }
}

/// Whether the file server token with badge `token`, issued to this
/// process, still waits to be adopted.
pub fn token_pending(st: &mut State, token: u64) -> bool {
    client(st).and_then(|mut c| c.token_pending(token)).is_ok()
}

/// Adopts the token in `token` from the file server at `ep`.
///
/// # Errors
/// The server's error.
pub fn adopt(ep: Endpoint, token: CPtr) -> Result<u32, Errno> {
    Client(FsEp(ep)).adopt_token(token).map(|h| h.0)
}

fn region(st: &mut State) -> Result<SharedBytes, Errno> {
    Ok(st.fs()?.region)
}

/// A path argument: inline when short, else in the region (`slot` 0 or 1).
fn path_arg(st: &mut State, p: &str, slot: usize) -> Result<PathArg, Errno> {
    if p.len() < 512 {
        return Ok(PathArg::Inline(p.into()));
    }
    if p.len() > rampart_fs_api::PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    let off = PATH_AREA + slot * 4096;
    region(st)?.write(off, p.as_bytes())?;
    Ok(PathArg::Shared { offset: off as u32, len: p.len() as u32 })
}

/// Opens `path` (absolute).
///
/// # Errors
/// The server's error (`ENOENT`, `EACCES`, ...).
pub fn open(st: &mut State, path: &str, flags: OpenFlags, mode: u32) -> Result<u32, Errno> {
    let path = path_arg(st, path, 0)?;
    client(st)?.open(path, flags, mode).map(|h| h.0)
}

/// Closes handle `h`.
///
/// # Errors
/// `EBADF`.
pub fn close(st: &mut State, h: u32) -> Result<(), Errno> {
    st.pushback.remove(&h);
    client(st)?.close(Handle(h))
}

/// Reads into `buf` (one request, at most [`CHUNK`] bytes); `EAGAIN` for an
/// empty pipe with writers.
///
/// # Errors
/// The server's error.
pub fn read(st: &mut State, h: u32, buf: &mut [u8]) -> Result<usize, Errno> {
    if !buf.is_empty()
        && let Some(b) = st.pushback.remove(&h)
    {
        buf[0] = b;
        return Ok(1);
    }
    let len = buf.len().min(CHUNK);
    let n = (client(st)?.read(Handle(h), None, 0, len as u32)? as usize).min(len);
    region(st)?.read(0, &mut buf[..n])?;
    Ok(n)
}

/// Writes from `buf` (one request, at most [`CHUNK`] bytes).
///
/// # Errors
/// The server's error (`EPIPE`, `ENOSPC`, ...).
pub fn write(st: &mut State, h: u32, buf: &[u8]) -> Result<usize, Errno> {
    let len = buf.len().min(CHUNK);
    region(st)?.write(0, &buf[..len])?;
    client(st)?.write(Handle(h), None, 0, len as u32).map(|n| n as usize)
}

/// Moves the position of `h`.
///
/// # Errors
/// `ESPIPE` (pipes), `EINVAL`.
pub fn seek(st: &mut State, h: u32, offset: i64, whence: Whence) -> Result<u64, Errno> {
    client(st)?.seek(Handle(h), offset, whence)
}

/// Attributes of a path (`follow`: follow a final symlink) or a handle.
///
/// # Errors
/// The server's error.
pub fn stat(st: &mut State, path: Option<&str>, handle: Option<u32>, follow: bool) -> Result<Stat, Errno> {
    let target = match (path, handle) {
        (Some(p), _) => Target::Path { path: path_arg(st, p, 0)?, follow },
        (None, Some(h)) => Target::Handle(Handle(h)),
        _ => return Err(Errno::EINVAL),
    };
    client(st)?.stat(target)
}

/// The security context of `path`.
///
/// # Errors
/// The server's error.
pub fn getcon(st: &mut State, path: &str, follow: bool) -> Result<String, Errno> {
    let target = Target::Path { path: path_arg(st, path, 0)?, follow };
    client(st)?.get_con(target)
}

/// Relabels `path` to `context`, or (`None`) to its file-context label.
///
/// # Errors
/// The server's error (`EPERM`, `EACCES`, `EINVAL`, ...).
pub fn setcon(st: &mut State, path: &str, follow: bool, context: Option<&str>) -> Result<(), Errno> {
    let target = Target::Path { path: path_arg(st, path, 0)?, follow };
    client(st)?.set_con(target, context)
}

/// The entries of directory `path` (name, kind), without `.` and `..`.
///
/// # Errors
/// The server's error.
pub fn read_dir(st: &mut State, path: &str) -> Result<Vec<(String, Option<rampart_fs_api::FileType>)>, Errno> {
    let h = open(st, path, OpenFlags(OpenFlags::RDONLY.0 | OpenFlags::DIRECTORY.0), 0)?;
    let mut out = Vec::new();
    let r = loop {
        match client(st).and_then(|mut c| c.read_dir(Handle(h), 0, CHUNK as u32)) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                let buf = region(st)?.to_vec(0, (n as usize).min(CHUNK))?;
                for d in rampart_fs_api::dirent::Dirents::new(&buf) {
                    if d.name != b"." && d.name != b".." {
                        out.push((String::from_utf8_lossy(d.name).into_owned(), d.kind));
                    }
                }
            }
            Err(e) => break Err(e),
        }
    };
    let _ = close(st, h);
    r.map(|()| out)
}

/// Path operations without results.
#[derive(Clone, Copy, Debug)]
pub enum PathOp {
    /// `mkdir` with permission bits.
    Mkdir(u32),
    /// `rmdir`.
    Rmdir,
    /// `unlink`.
    Unlink,
}

/// Runs `op` on `path`.
///
/// # Errors
/// The server's error.
pub fn path_op(st: &mut State, path: &str, op: PathOp) -> Result<(), Errno> {
    let p = path_arg(st, path, 0)?;
    let mut c = client(st)?;
    match op {
        PathOp::Mkdir(mode) => c.mkdir(p, mode),
        PathOp::Rmdir => c.rmdir(p),
        PathOp::Unlink => c.unlink(p),
    }
}

/// `rename(from, to)`, or with `symlink`, creates `to` pointing at `from`.
///
/// # Errors
/// The server's error.
pub fn two_paths(st: &mut State, from: &str, to: &str, symlink: bool) -> Result<(), Errno> {
    let (a, b) = (path_arg(st, from, 0)?, path_arg(st, to, 1)?);
    let mut c = client(st)?;
    if symlink { c.symlink(a, b) } else { c.rename(a, b) }
}

/// `link(from, to)`: `to` becomes a new name of the object `from` names
/// (not followed if it is a symbolic link).
///
/// # Errors
/// The server's error (`EEXIST`, `EPERM`, `EXDEV`, `EACCES`, ...).
pub fn link(st: &mut State, from: &str, to: &str) -> Result<(), Errno> {
    let (a, b) = (path_arg(st, from, 0)?, path_arg(st, to, 1)?);
    client(st)?.link(a, b)
}

/// The target of symbolic link `path`.
///
/// # Errors
/// The server's error.
pub fn readlink(st: &mut State, path: &str) -> Result<String, Errno> {
    let p = path_arg(st, path, 0)?;
    let n = client(st)?.read_link(p, 0, 4096)?;
    Ok(String::from_utf8_lossy(&region(st)?.to_vec(0, (n as usize).min(4096))?).into_owned())
}

/// Sets the size of an open file.
///
/// # Errors
/// The server's error.
pub fn truncate(st: &mut State, h: u32, size: u64) -> Result<(), Errno> {
    client(st)?.truncate(Target::Handle(Handle(h)), size)
}

/// A new pipe: (read handle, write handle).
///
/// # Errors
/// The server's error.
pub fn pipe(st: &mut State) -> Result<(u32, u32), Errno> {
    client(st)?.pipe().map(|(read, write)| (read.0, write.0))
}

/// Has the file server seal program `path` for this process to run
/// (docs/resource-manager.md, "Sealed images"): the server checks `file
/// execute` and the execute bits for this process, reads the file and has
/// rm seal it with the file's label. Returns rm's token for
/// `Image::Sealed`, the image's length, and whether the program is a Linux
/// program (the sealed image is then the personality's shim, to be run
/// with the program's path); this process never holds the bytes.
///
/// # Errors
/// The server's errors: `ENOENT`, `EACCES` (no execute bit for this
/// process, the policy's `file execute`, a directory), `ENOEXEC` (an empty
/// file), `E2BIG`; rm's.
pub fn exec_image(st: &mut State, path: &str) -> Result<(u64, u64, bool), Errno> {
    let h = open(st, path, OpenFlags::RDONLY | OpenFlags::EXEC, 0)?;
    let r = exec_image_open(st, h);
    let _ = close(st, h);
    r
}

/// [`exec_image`] of the program open on handle `h` (opened with
/// `OpenFlags::EXEC`): the object checked and sealed is the one open, not
/// whatever a path names by now.
///
/// # Errors
/// As [`exec_image`]; `EBADF` if `h` was not opened with `EXEC`.
pub fn exec_image_open(st: &mut State, h: u32) -> Result<(u64, u64, bool), Errno> {
    client(st).and_then(|mut c| c.exec_image(Handle(h)))
}

/// True if the `len`-byte image in region `img` carries the native mark
/// (`rampart_elf::is_rampart_native`); anything else is started through
/// the Linux personality (docs/linux-abi.md, "Starting a Linux program").
/// Reads only the headers and note segments.
pub fn image_is_native(img: &rampart_rt::rm::Region, len: usize) -> bool {
    #[allow(unsafe_code)] // a view of the region (SharedBytes::new's contract)
    // SAFETY: the caller's live region; only read here.
    let b = unsafe { img.shared() };
    rampart_elf::is_rampart_native_by(&mut |off, buf| {
        off.checked_add(buf.len()).is_some_and(|end| end <= len) && b.read(off, buf).is_ok()
    })
}

/// File-system statistics.
///
/// # Errors
/// The server's error (`EACCES` without `filesystem getattr`).
pub fn statfs(st: &mut State) -> Result<rampart_fs_api::StatFs, Errno> {
    client(st)?.stat_fs()
}

/// The identity the file server gives this process (`getuid`, ...).
///
/// # Errors
/// The server's error.
pub fn credentials(st: &mut State) -> Result<rampart_fs_api::Credentials, Errno> {
    client(st)?.credentials()
}

/// Changes mode, owner or times of `path` (`chmod`, `chown`, `utimensat`).
///
/// # Errors
/// The server's error.
pub fn setattr(st: &mut State, path: &str, attr: rampart_fs_api::SetAttr) -> Result<(), Errno> {
    setattr_at(st, path, true, attr)
}

/// As [`setattr`]; `follow`: follow a symbolic link in the last component
/// (`false`: `lchown`).
///
/// # Errors
/// The server's error.
pub fn setattr_at(st: &mut State, path: &str, follow: bool, attr: rampart_fs_api::SetAttr) -> Result<(), Errno> {
    let target = Target::Path { path: path_arg(st, path, 0)?, follow };
    client(st)?.set_attr(target, attr)
}

/// Makes every completed operation durable (`sync`).
///
/// # Errors
/// The server's error.
pub fn sync(st: &mut State) -> Result<(), Errno> {
    client(st)?.sync()
}

/// Mounts block device `device` on directory `path`.
///
/// # Errors
/// The server's error (`EACCES`, `ENODEV`, `EBUSY`, `EUCLEAN`, ...).
pub fn mount(st: &mut State, device: &str, path: &str, read_only: bool) -> Result<(), Errno> {
    let p = path_arg(st, path, 0)?;
    client(st)?.mount(device, p, read_only)
}

/// Unmounts the file system whose root is `path`.
///
/// # Errors
/// The server's error (`EINVAL` if not a mount point, `EBUSY`, `EACCES`).
pub fn unmount(st: &mut State, path: &str) -> Result<(), Errno> {
    let p = path_arg(st, path, 0)?;
    client(st)?.unmount(p)
}
