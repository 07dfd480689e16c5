//! Files and directories on the file server. Relative paths are joined
//! with the current directory ([`crate::env::current_dir`]).

use crate::error::{Error, Result};
use crate::io::{Read, Write};
use crate::sys::fsys::{self, PathOp};
use crate::sys::{Obj, with};
use alloc::string::String;
use alloc::vec::Vec;
pub use rampart_fs_api::{FileType, SetAttr, StatFs, Timespec, major, makedev, minor};
use rampart_fs_api::{OpenFlags, Stat, Whence};

fn abs(p: &str) -> String {
    with(|st| crate::path::absolute(&st.cwd, p))
}

fn e(x: rampart_uabi::Errno) -> Error {
    Error::from(x)
}

/// An open file (its descriptor is closed on drop).
#[derive(Debug)]
pub struct File {
    fd: u32,
}

/// How to open a file.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenOptions {
    read: bool,
    write: bool,
    append: bool,
    truncate: bool,
    create: bool,
    create_new: bool,
    mode: Option<u32>,
}

impl OpenOptions {
    /// Nothing set.
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }
    /// Open for reading.
    pub fn read(&mut self, v: bool) -> &mut Self {
        self.read = v;
        self
    }
    /// Open for writing.
    pub fn write(&mut self, v: bool) -> &mut Self {
        self.write = v;
        self
    }
    /// Every write appends.
    pub fn append(&mut self, v: bool) -> &mut Self {
        self.append = v;
        self
    }
    /// Truncate to zero length.
    pub fn truncate(&mut self, v: bool) -> &mut Self {
        self.truncate = v;
        self
    }
    /// Create if missing.
    pub fn create(&mut self, v: bool) -> &mut Self {
        self.create = v;
        self
    }
    /// Create; fail if it exists.
    pub fn create_new(&mut self, v: bool) -> &mut Self {
        self.create_new = v;
        self
    }
    /// Permission bits of a created file (default `0o644`).
    pub fn mode(&mut self, m: u32) -> &mut Self {
        self.mode = Some(m);
        self
    }

    fn flags(&self) -> OpenFlags {
        let acc = match (self.read, self.write || self.append) {
            (true, true) => OpenFlags::RDWR.0,
            (false, true) => OpenFlags::WRONLY.0,
            _ => OpenFlags::RDONLY.0,
        };
        let mut f = acc;
        if self.append {
            f |= OpenFlags::APPEND.0;
        }
        if self.truncate {
            f |= OpenFlags::TRUNC.0;
        }
        if self.create || self.create_new {
            f |= OpenFlags::CREAT.0;
        }
        if self.create_new {
            f |= OpenFlags::EXCL.0;
        }
        OpenFlags(f)
    }

    /// Opens `path`.
    ///
    /// A terminal node — a character device 5,0 (`/dev/tty`) or 5,1
    /// (`/dev/console`), Linux's numbers — opens the terminal at the
    /// console server ([`crate::io::open_terminal`]): the file server
    /// checks the open like any other (mode bits, the policy's `chr_file`
    /// permissions) and answers `ENXIO` because the console serves it.
    ///
    /// # Errors
    /// `NotFound`, `PermissionDenied` (also when the policy denies it), ...
    pub fn open(&self, path: &str) -> Result<File> {
        let p = abs(path);
        let (flags, mode) = (self.flags(), self.mode.unwrap_or(0o644));
        let r = with(|st| {
            let h = fsys::open(st, &p, flags, mode)?;
            Ok(File { fd: st.install(Obj::Fs(h)) })
        });
        match r {
            Err(x) if x == rampart_uabi::Errno::ENXIO && is_terminal_node(&p) => {
                crate::io::open_terminal().map(|fd| File { fd })
            }
            r => r.map_err(e),
        }
    }
}

/// True if `path` (absolute) is a terminal device node: a character
/// device with Linux's numbers for `/dev/tty` (5, 0) or `/dev/console`
/// (5, 1), wherever it is reached from (a symbolic link to it included).
fn is_terminal_node(path: &str) -> bool {
    const TERMINALS: [u64; 2] = [rampart_fs_api::makedev(5, 0), rampart_fs_api::makedev(5, 1)];
    with(|st| fsys::stat(st, Some(path), None, true))
        .is_ok_and(|s| s.kind == FileType::CharDev && TERMINALS.contains(&s.rdev))
}

impl File {
    /// Opens `path` for reading.
    ///
    /// # Errors
    /// As [`OpenOptions::open`].
    pub fn open(path: &str) -> Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    /// Creates or truncates `path` for writing.
    ///
    /// # Errors
    /// As [`OpenOptions::open`].
    pub fn create(path: &str) -> Result<File> {
        OpenOptions::new().write(true).create(true).truncate(true).open(path)
    }

    /// The descriptor number.
    pub fn as_raw_fd(&self) -> u32 {
        self.fd
    }

    /// Takes the descriptor (it is not closed on drop).
    pub fn into_raw_fd(self) -> u32 {
        let fd = self.fd;
        core::mem::forget(self);
        fd
    }

    /// A file for an open descriptor.
    pub fn from_raw_fd(fd: u32) -> File {
        File { fd }
    }

    fn handle(&self) -> Result<u32> {
        match with(|st| st.obj(self.fd)).map_err(e)? {
            Obj::Fs(h) => Ok(h),
            Obj::Tty(_) | Obj::Net(_) => Err(Error::from_errno(rampart_uabi::Errno::ESPIPE)),
        }
    }

    /// Attributes.
    ///
    /// # Errors
    /// The server's error.
    pub fn metadata(&self) -> Result<Metadata> {
        let h = self.handle()?;
        with(|st| fsys::stat(st, None, Some(h), true)).map(Metadata).map_err(e)
    }

    /// Moves the position; returns the new one.
    ///
    /// # Errors
    /// `ESPIPE` for pipes.
    pub fn seek(&mut self, pos: SeekFrom) -> Result<u64> {
        let h = self.handle()?;
        let (o, w) = match pos {
            SeekFrom::Start(o) => (o as i64, Whence::Set),
            SeekFrom::Current(o) => (o, Whence::Cur),
            SeekFrom::End(o) => (o, Whence::End),
        };
        with(|st| fsys::seek(st, h, o, w)).map_err(e)
    }

    /// Sets the length.
    ///
    /// # Errors
    /// The server's error.
    pub fn set_len(&self, size: u64) -> Result<()> {
        let h = self.handle()?;
        with(|st| fsys::truncate(st, h, size)).map_err(e)
    }
}

/// A seek position.
#[derive(Clone, Copy, Debug)]
pub enum SeekFrom {
    /// From the start.
    Start(u64),
    /// From the current position.
    Current(i64),
    /// From the end.
    End(i64),
}

impl Read for File {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        crate::sys::stdio::fd_read(self.fd, buf).map_err(e)
    }
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        crate::sys::stdio::fd_write(self.fd, buf).map_err(e)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = with(|st| st.close(self.fd));
    }
}

/// File attributes.
#[derive(Clone, Debug)]
pub struct Metadata(pub Stat);

impl Metadata {
    /// The type.
    pub fn file_type(&self) -> FileType {
        self.0.kind
    }
    /// A directory?
    pub fn is_dir(&self) -> bool {
        self.0.kind == FileType::Dir
    }
    /// A regular file?
    pub fn is_file(&self) -> bool {
        self.0.kind == FileType::File
    }
    /// A symbolic link (from [`symlink_metadata`])?
    pub fn is_symlink(&self) -> bool {
        self.0.kind == FileType::Symlink
    }
    /// Size in bytes.
    pub fn len(&self) -> u64 {
        self.0.size
    }
    /// Empty?
    pub fn is_empty(&self) -> bool {
        self.0.size == 0
    }
    /// Mode bits (type and permissions).
    pub fn mode(&self) -> u32 {
        self.0.mode
    }
    /// The device a device node stands for (`st_rdev`, Linux's encoding:
    /// `rampart_fs_api::major`/`minor` split it); 0 for other objects.
    pub fn rdev(&self) -> u64 {
        self.0.rdev
    }
}

/// Attributes of `path` (symbolic links followed).
///
/// # Errors
/// The server's error.
pub fn metadata(path: &str) -> Result<Metadata> {
    let p = abs(path);
    with(|st| fsys::stat(st, Some(&p), None, true)).map(Metadata).map_err(e)
}

/// Attributes of `path` itself (a final symbolic link not followed).
///
/// # Errors
/// The server's error.
pub fn symlink_metadata(path: &str) -> Result<Metadata> {
    let p = abs(path);
    with(|st| fsys::stat(st, Some(&p), None, false)).map(Metadata).map_err(e)
}

/// The security context of `path` (`getfilecon`).
///
/// # Errors
/// The server's error.
pub fn security_context(path: &str) -> Result<String> {
    let p = abs(path);
    with(|st| fsys::getcon(st, &p, false)).map_err(e)
}

/// Relabels `path` (`setfilecon`; symbolic links not followed) to
/// `context`, or with `None` to the label the policy's file contexts give
/// it (`restorecon`).
///
/// # Errors
/// The server's error: `PermissionDenied` (not the owner: `EPERM`; the
/// policy: `EACCES`), `InvalidInput` (not a valid context).
pub fn set_security_context(path: &str, context: Option<&str>) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::setcon(st, &p, false, context)).map_err(e)
}

/// A directory entry.
#[derive(Clone, Debug)]
pub struct DirEntry {
    /// The directory's absolute path.
    dir: String,
    /// The name.
    name: String,
    kind: Option<FileType>,
}

impl DirEntry {
    /// The name.
    pub fn file_name(&self) -> &str {
        &self.name
    }
    /// The absolute path.
    pub fn path(&self) -> String {
        crate::path::absolute(&self.dir, &self.name)
    }
    /// The type, if the directory records it.
    pub fn file_type(&self) -> Option<FileType> {
        self.kind
    }
    /// Attributes (not following a symbolic link).
    ///
    /// # Errors
    /// The server's error.
    pub fn metadata(&self) -> Result<Metadata> {
        symlink_metadata(&self.path())
    }
}

/// The entries of directory `path` (without `.` and `..`).
///
/// # Errors
/// The server's error.
pub fn read_dir(path: &str) -> Result<Vec<DirEntry>> {
    let p = abs(path);
    let v = with(|st| fsys::read_dir(st, &p)).map_err(e)?;
    Ok(v.into_iter().map(|(name, kind)| DirEntry { dir: p.clone(), name, kind }).collect())
}

/// Creates directory `path`.
///
/// # Errors
/// `AlreadyExists`, `NotFound` (parent), `PermissionDenied`.
pub fn create_dir(path: &str) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::path_op(st, &p, PathOp::Mkdir(0o755))).map_err(e)
}

/// Creates `path` and its missing parents.
///
/// # Errors
/// As [`create_dir`], except that existing directories are fine.
pub fn create_dir_all(path: &str) -> Result<()> {
    let p = abs(path);
    let mut cur = String::new();
    for part in p.split('/').filter(|s| !s.is_empty()) {
        cur.push('/');
        cur.push_str(part);
        match create_dir(&cur) {
            Ok(()) => {}
            Err(x)
                if x.errno() == rampart_uabi::Errno::EEXIST && metadata(&cur).map(|m| m.is_dir()).unwrap_or(false) => {}
            Err(x) => return Err(x),
        }
    }
    Ok(())
}

/// Removes a file or symbolic link.
///
/// # Errors
/// `NotFound`, `IsADirectory`, `PermissionDenied`.
pub fn remove_file(path: &str) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::path_op(st, &p, PathOp::Unlink)).map_err(e)
}

/// Removes an empty directory.
///
/// # Errors
/// `DirectoryNotEmpty`, `NotFound`, `PermissionDenied`.
pub fn remove_dir(path: &str) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::path_op(st, &p, PathOp::Rmdir)).map_err(e)
}

/// Removes `path` and, for a directory, everything below it.
///
/// # Errors
/// The first failure.
pub fn remove_dir_all(path: &str) -> Result<()> {
    let p = abs(path);
    if symlink_metadata(&p)?.is_dir() {
        for ent in read_dir(&p)? {
            remove_dir_all(&ent.path())?;
        }
        remove_dir(&p)
    } else {
        remove_file(&p)
    }
}

/// Renames `from` to `to`.
///
/// # Errors
/// The server's error.
pub fn rename(from: &str, to: &str) -> Result<()> {
    let (f, t) = (abs(from), abs(to));
    with(|st| fsys::two_paths(st, &f, &t, false)).map_err(e)
}

/// Makes `link` a new name (hard link) of the file `original` names, as
/// Rust's `std::fs::hard_link` and `link(2)`.
///
/// # Errors
/// The server's error: `AlreadyExists`, `PermissionDenied` (`EPERM`: a
/// directory, or a file the caller neither owns nor may read and write;
/// `EACCES`), `EXDEV` across volumes.
pub fn hard_link(original: &str, link: &str) -> Result<()> {
    let (o, l) = (abs(original), abs(link));
    with(|st| fsys::link(st, &o, &l)).map_err(e)
}

/// Creates symbolic link `link` pointing at `target` (stored as given).
///
/// # Errors
/// The server's error.
pub fn symlink(target: &str, link: &str) -> Result<()> {
    let l = abs(link);
    with(|st| fsys::two_paths(st, target, &l, true)).map_err(e)
}

/// The target of symbolic link `path`.
///
/// # Errors
/// The server's error.
pub fn read_link(path: &str) -> Result<String> {
    let p = abs(path);
    with(|st| fsys::readlink(st, &p)).map_err(e)
}

/// The absolute path with every symbolic link resolved.
///
/// # Errors
/// `NotFound`; `ELOOP` after 40 links.
pub fn canonicalize(path: &str) -> Result<String> {
    let mut p = abs(path);
    for _ in 0..40 {
        let mut out = String::from("/");
        let mut changed = false;
        let parts: Vec<String> = p.split('/').filter(|s| !s.is_empty()).map(String::from).collect();
        for (i, part) in parts.iter().enumerate() {
            let cand = crate::path::absolute(&out, part);
            if symlink_metadata(&cand)?.is_symlink() {
                let t = read_link(&cand)?;
                let mut rest = crate::path::absolute(&out, &t);
                for r in &parts[i + 1..] {
                    rest.push('/');
                    rest.push_str(r);
                }
                p = crate::path::absolute("/", &rest);
                changed = true;
                break;
            }
            out = cand;
        }
        if !changed {
            return Ok(out);
        }
    }
    Err(Error::from_errno(rampart_uabi::Errno::ELOOP))
}

/// The whole file as bytes.
///
/// # Errors
/// As [`File::open`] and reading.
pub fn read(path: &str) -> Result<Vec<u8>> {
    let mut v = Vec::new();
    File::open(path)?.read_to_end(&mut v)?;
    Ok(v)
}

/// The whole file as text.
///
/// # Errors
/// As [`read`]; `InvalidInput` for bytes that are not UTF-8.
pub fn read_to_string(path: &str) -> Result<String> {
    let mut s = String::new();
    File::open(path)?.read_to_string(&mut s)?;
    Ok(s)
}

/// Creates or truncates `path` with `data`.
///
/// # Errors
/// As [`File::create`] and writing.
pub fn write(path: &str, data: &[u8]) -> Result<()> {
    File::create(path)?.write_all(data)
}

/// Statistics of the file system (`statvfs`; `df`).
///
/// # Errors
/// The server's error.
pub fn statfs() -> Result<StatFs> {
    with(fsys::statfs).map_err(e)
}

/// Sets the permission bits of `path` (`chmod`).
///
/// # Errors
/// The server's error.
pub fn set_permissions(path: &str, mode: u32) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::setattr(st, &p, SetAttr { mode: Some(mode & 0o7777), ..Default::default() })).map_err(e)
}

/// Sets the owner and/or group of `path` (`chown`, `chgrp`; `None` leaves
/// one unchanged; a symbolic link is followed).
///
/// # Errors
/// The server's error: `PermissionDenied` (`EPERM`: only uid 0 gives a
/// file away; its owner may change its group to one of their own).
pub fn chown(path: &str, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::setattr(st, &p, SetAttr { uid, gid, ..Default::default() })).map_err(e)
}

/// As [`chown`] on a symbolic link itself (`lchown`).
///
/// # Errors
/// As [`chown`].
pub fn lchown(path: &str, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::setattr_at(st, &p, false, SetAttr { uid, gid, ..Default::default() })).map_err(e)
}

/// Sets the access and modification times of `path` (`touch`; `None`
/// leaves a time unchanged).
///
/// # Errors
/// The server's error.
pub fn set_times(path: &str, atime: Option<Timespec>, mtime: Option<Timespec>) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::setattr(st, &p, SetAttr { atime, mtime, ..Default::default() })).map_err(e)
}

/// Makes every completed file operation durable (`sync`; the file server
/// already commits each request before it answers, docs/storage.md).
///
/// # Errors
/// The server's error.
pub fn sync() -> Result<()> {
    with(fsys::sync).map_err(e)
}

/// Mounts the ext4 file system on block device `device` (a device
/// manager name such as `blk1`) on the directory `path` (`mount`; the
/// policy's `dir mounton` and `filesystem mount`).
///
/// # Errors
/// The server's error: `PermissionDenied`, `ENODEV` for an unknown device,
/// `EBUSY` for a device or directory in use, `EUCLEAN` for a corrupt disk.
pub fn mount(device: &str, path: &str, read_only: bool) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::mount(st, device, &p, read_only)).map_err(e)
}

/// Unmounts the file system mounted on `path` (`umount`).
///
/// # Errors
/// The server's error: `EINVAL` if `path` is not a mount point, `EBUSY`
/// while files on it are open, `PermissionDenied`.
pub fn unmount(path: &str) -> Result<()> {
    let p = abs(path);
    with(|st| fsys::unmount(st, &p)).map_err(e)
}
