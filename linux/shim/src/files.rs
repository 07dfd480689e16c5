//! Descriptors and paths: Linux descriptor N is the runtime's descriptor N
//! (`rampart_libos::sys`), so descriptors inherited from a native parent,
//! pipes and redirections behave alike for native and Linux programs.
//! Every operation is a request to the server behind the descriptor or
//! path (file server, console), checked there against this process's
//! security context — the shim adds no check and no authority.

use crate::mem::{cstr, put, user, user_mut};
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_fs_api::{FileType, OpenFlags, Whence};
use rampart_libos::sys::fsys::{self, PathOp};
use rampart_libos::sys::stdio::{fd_read, fd_write};
use rampart_libos::sys::{Obj, with};
use rampart_linux_abi::errno::*;
use rampart_linux_abi::nr;
use rampart_linux_abi::structs::{self, Stat, dtype, mode};
use spin::Mutex;

/// `AT_FDCWD` (fcntl.h): relative to the working directory.
const AT_FDCWD: u64 = (-100i64) as u64;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_EMPTY_PATH: u64 = 0x1000;
/// Largest single transfer (bytes); longer reads and writes are short, as
/// Linux allows.
const MAX_IO: usize = 1 << 20;

/// Per-descriptor state the runtime does not keep: the path a descriptor
/// was opened with (for `*at` calls and `getdents64`) and a directory's
/// listing with the next entry's index.
struct Fds {
    paths: BTreeMap<u32, String>,
    /// Descriptors with `FD_CLOEXEC` (not passed to an exec'ed program).
    cloexec: BTreeSet<u32>,
    dirs: BTreeMap<u32, (Vec<(String, u8)>, usize)>,
    exe: String,
}

static FDS: Mutex<Fds> =
    Mutex::new(Fds { paths: BTreeMap::new(), cloexec: BTreeSet::new(), dirs: BTreeMap::new(), exe: String::new() });

/// `O_CLOEXEC` (fcntl.h), also `pipe2`'s and `dup3`'s flag.
const O_CLOEXEC: u64 = 0o2_000_000;

/// Sets or clears `FD_CLOEXEC` on `fd`.
fn set_cloexec(fd: u32, on: bool) {
    let mut f = FDS.lock();
    if on {
        f.cloexec.insert(fd);
    } else {
        f.cloexec.remove(&fd);
    }
}

/// Whether `fd` has `FD_CLOEXEC` (execve leaves it out).
pub fn is_cloexec(fd: u32) -> bool {
    FDS.lock().cloexec.contains(&fd)
}

fn e(x: rampart_uabi::Errno) -> i32 {
    from_rampart(x.0)
}

/// Records the program's path (`/proc/self/exe`).
pub fn set_exe(path: &str) {
    FDS.lock().exe = String::from(path);
}

/// The paths descriptors were opened with and the program's path, for a
/// forked child ([`set_paths`]).
pub fn paths() -> (Vec<(u32, String)>, String) {
    let f = FDS.lock();
    (f.paths.iter().map(|(k, v)| (*k, v.clone())).collect(), f.exe.clone())
}

/// The descriptors with `FD_CLOEXEC` (a forked child inherits the flag).
pub fn cloexec_fds() -> Vec<u32> {
    FDS.lock().cloexec.iter().copied().collect()
}

/// Installs the parent's `FD_CLOEXEC` flags in a forked child.
pub fn set_cloexec_fds(v: &[u32]) {
    FDS.lock().cloexec = v.iter().copied().collect();
}

/// Installs what [`paths`] recorded in the parent (directory listings in
/// progress are not inherited: a child's `getdents64` starts over).
pub fn set_paths(p: Vec<(u32, String)>, exe: String) {
    let mut f = FDS.lock();
    f.paths = p.into_iter().collect();
    f.exe = exe;
}

fn fd32(fd: u64) -> Result<u32, i32> {
    u32::try_from(fd).map_err(|_| EBADF)
}

/// The absolute path for `path` relative to `dirfd`.
fn resolve(dirfd: u64, path: &str) -> Result<String, i32> {
    if path.is_empty() {
        return Err(ENOENT);
    }
    if path.starts_with('/') || dirfd == AT_FDCWD || dirfd as u32 as i32 == -100 {
        let cwd = rampart_libos::env::current_dir();
        return Ok(rampart_libos::path::absolute(&cwd, path));
    }
    let dir = FDS.lock().paths.get(&fd32(dirfd)?).cloned().ok_or(EBADF)?;
    Ok(rampart_libos::path::absolute(&dir, path))
}

fn fs_handle(fd: u32) -> Result<u32, i32> {
    match with(|st| st.obj(fd)).map_err(e)? {
        Obj::Fs(h) => Ok(h),
        Obj::Tty(_) | Obj::Net(_) => Err(ESPIPE),
    }
}

/// Reads `dst.len()` bytes of `fd` at `off` (mmap of a file), keeping the
/// descriptor's position; bytes past the end stay zero.
///
/// # Errors
/// Linux errno.
pub fn read_at(fd: u32, off: u64, dst: &mut [u8]) -> Result<usize, i32> {
    let h = fs_handle(fd).map_err(|_| EACCES)?;
    with(|st| {
        let pos = fsys::seek(st, h, 0, Whence::Cur)?;
        fsys::seek(st, h, off as i64, Whence::Set)?;
        let mut n = 0;
        let r = loop {
            if n == dst.len() {
                break Ok(n);
            }
            match fsys::read(st, h, &mut dst[n..]) {
                Ok(0) => break Ok(n),
                Ok(k) => n += k,
                Err(x) => break Err(x),
            }
        };
        fsys::seek(st, h, pos as i64, Whence::Set)?;
        r
    })
    .map_err(e)
}

fn convert(s: &rampart_fs_api::Stat) -> Stat {
    Stat {
        dev: 0x803,
        ino: s.ino,
        nlink: u64::from(s.nlink),
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
        rdev: s.rdev,
        size: s.size as i64,
        blksize: i64::from(s.blksize),
        blocks: s.blocks as i64,
        atime: (s.atime.sec, i64::from(s.atime.nsec)),
        mtime: (s.mtime.sec, i64::from(s.mtime.nsec)),
        ctime: (s.ctime.sec, i64::from(s.ctime.nsec)),
    }
}

fn fstat(fd: u32) -> Result<Stat, i32> {
    match with(|st| st.obj(fd)).map_err(e)? {
        Obj::Fs(h) => with(|st| fsys::stat(st, None, Some(h), true)).map(|s| convert(&s)).map_err(e),
        // A terminal: a character device owned by the user, as /dev/pts/N.
        Obj::Tty(_) => {
            let (uid, gid) = crate::misc::ids();
            Ok(Stat { mode: mode::S_IFCHR | 0o620, uid, gid, rdev: 0x8800, blksize: 1024, ..Stat::default() })
        }
        Obj::Net(_) => Ok(Stat { mode: 0o140_777, blksize: 4096, ..Stat::default() }),
    }
}

fn stat_path(path: &str, follow: bool) -> Result<Stat, i32> {
    with(|st| fsys::stat(st, Some(path), None, follow)).map(|s| convert(&s)).map_err(e)
}

fn open(path: String, flags: u64, mode: u64) -> Result<u64, i32> {
    let keep = OpenFlags::ACCMODE
        | OpenFlags::CREAT.0
        | OpenFlags::EXCL.0
        | OpenFlags::TRUNC.0
        | OpenFlags::APPEND.0
        | OpenFlags::DIRECTORY.0
        | OpenFlags::NOFOLLOW.0;
    let fl = OpenFlags(flags as u32 & keep);
    let fd = match with(|st| {
        let h = fsys::open(st, &path, fl, mode as u32 & 0o7777)?;
        Ok(st.install(Obj::Fs(h)))
    }) {
        // A terminal node (/dev/tty, /dev/console): the file server checked
        // the open and the console serves it, as for native programs
        // (`rampart_libos::fs::OpenOptions::open`).
        Err(rampart_uabi::Errno::ENXIO) if is_terminal_node(&path) => {
            rampart_libos::io::open_terminal().map_err(|x| from_rampart(x.raw_os_error()))?
        }
        r => r.map_err(e)?,
    };
    let mut f = FDS.lock();
    f.dirs.remove(&fd);
    f.paths.insert(fd, path);
    drop(f);
    set_cloexec(fd, flags & O_CLOEXEC != 0);
    Ok(u64::from(fd))
}

/// Whether `path` is a character device with Linux's numbers for
/// `/dev/tty` (5, 0) or `/dev/console` (5, 1).
fn is_terminal_node(path: &str) -> bool {
    const TERMINALS: [u64; 2] = [rampart_fs_api::makedev(5, 0), rampart_fs_api::makedev(5, 1)];
    with(|st| fsys::stat(st, Some(path), None, true))
        .is_ok_and(|s| s.kind == FileType::CharDev && TERMINALS.contains(&s.rdev))
}

fn close(fd: u32) -> Result<u64, i32> {
    with(|st| st.close(fd)).map_err(e)?;
    crate::tty::closed(fd);
    let mut f = FDS.lock();
    f.paths.remove(&fd);
    f.dirs.remove(&fd);
    f.cloexec.remove(&fd);
    Ok(0)
}

fn dup_to(old: u32, new: Option<u32>, min: u32) -> Result<u64, i32> {
    let new = with(|st| {
        let o = st.obj(old)?;
        let n = match new {
            Some(n) => {
                if n != old && st.fds.contains_key(&n) {
                    st.close(n)?;
                }
                n
            }
            None => (min..).find(|n| !st.fds.contains_key(n)).ok_or(rampart_uabi::Errno::EMFILE)?,
        };
        st.fds.insert(n, o);
        Ok(n)
    })
    .map_err(e)?;
    let mut f = FDS.lock();
    if let Some(p) = f.paths.get(&old).cloned() {
        f.paths.insert(new, p);
    } else {
        f.paths.remove(&new);
    }
    f.dirs.remove(&new);
    // dup(2): the new descriptor's FD_CLOEXEC is off.
    f.cloexec.remove(&new);
    Ok(u64::from(new))
}

fn read(fd: u32, buf: u64, len: u64) -> Result<u64, i32> {
    let dst = user_mut(buf, (len as usize).min(MAX_IO))?;
    if let Some(r) = crate::tty::read(fd, dst) {
        return r.map(|n| n as u64);
    }
    fd_read(fd, dst).map(|n| n as u64).map_err(e)
}

fn write(fd: u32, buf: u64, len: u64) -> Result<u64, i32> {
    let src = user(buf, (len as usize).min(MAX_IO))?;
    let mut done = 0;
    while done < src.len() {
        match fd_write(fd, &src[done..]) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(x) if done == 0 => return Err(e(x)),
            Err(_) => break,
        }
    }
    Ok(done as u64)
}

/// readv/writev: `iov` points at `cnt` (base, len) pairs.
fn vector(fd: u32, iov: u64, cnt: u64, writing: bool) -> Result<u64, i32> {
    if cnt > 1024 {
        return Err(EINVAL);
    }
    let v = user(iov, cnt as usize * 16)?;
    let mut total = 0u64;
    for pair in v.chunks_exact(16) {
        let base = u64::from_le_bytes(pair[0..8].try_into().map_err(|_| EFAULT)?);
        let len = u64::from_le_bytes(pair[8..16].try_into().map_err(|_| EFAULT)?);
        if len == 0 {
            continue;
        }
        let r = if writing { write(fd, base, len) } else { read(fd, base, len) };
        match r {
            Ok(n) => {
                total += n;
                if n < len {
                    break;
                }
            }
            Err(x) if total == 0 => return Err(x),
            Err(_) => break,
        }
    }
    Ok(total)
}

fn positioned(fd: u32, buf: u64, len: u64, off: u64, writing: bool) -> Result<u64, i32> {
    if (off as i64) < 0 {
        return Err(EINVAL);
    }
    let h = fs_handle(fd)?;
    let pos = with(|st| fsys::seek(st, h, 0, Whence::Cur)).map_err(e)?;
    with(|st| fsys::seek(st, h, off as i64, Whence::Set)).map_err(e)?;
    let r = if writing { write(fd, buf, len) } else { read(fd, buf, len) };
    with(|st| fsys::seek(st, h, pos as i64, Whence::Set)).map_err(e)?;
    r
}

fn getdents64(fd: u32, buf: u64, cap: u64) -> Result<u64, i32> {
    let cap = (cap as usize).min(MAX_IO);
    let out_buf = user_mut(buf, cap)?;
    if !FDS.lock().dirs.contains_key(&fd) {
        let path = FDS.lock().paths.get(&fd).cloned().ok_or(ENOTDIR)?;
        let list = with(|st| fsys::read_dir(st, &path)).map_err(e)?;
        let mut entries = alloc::vec![(String::from("."), dtype::DT_DIR), (String::from(".."), dtype::DT_DIR)];
        for (n, k) in list {
            let t = match k {
                Some(FileType::Dir) => dtype::DT_DIR,
                Some(FileType::File) => dtype::DT_REG,
                Some(FileType::Symlink) => dtype::DT_LNK,
                _ => dtype::DT_UNKNOWN,
            };
            entries.push((n, t));
        }
        FDS.lock().dirs.insert(fd, (entries, 0));
    }
    let mut f = FDS.lock();
    let (entries, next) = f.dirs.get_mut(&fd).ok_or(EBADF)?;
    let mut out = Vec::new();
    while *next < entries.len() {
        let (name, t) = &entries[*next];
        if !structs::push_dirent64(&mut out, cap, *next as u64 + 1, *next as i64 + 1, *t, name.as_bytes()) {
            if out.is_empty() {
                return Err(EINVAL);
            }
            break;
        }
        *next += 1;
    }
    out_buf[..out.len()].copy_from_slice(&out);
    Ok(out.len() as u64)
}

fn readlink(path: String, buf: u64, size: u64) -> Result<u64, i32> {
    if (size as i64) <= 0 {
        return Err(EINVAL);
    }
    let target = if path == "/proc/self/exe" {
        FDS.lock().exe.clone()
    } else {
        with(|st| fsys::readlink(st, &path)).map_err(e)?
    };
    let n = target.len().min(size as usize);
    put(buf, &target.as_bytes()[..n])?;
    Ok(n as u64)
}

fn access(path: String, _mode: u64) -> Result<u64, i32> {
    // Existence only: the file server decides every actual access.
    stat_path(&path, true).map(|_| 0)
}

fn fcntl(fd: u32, cmd: u64, arg: u64) -> Result<u64, i32> {
    match cmd {
        0 => dup_to(fd, None, u32::try_from(arg).map_err(|_| EINVAL)?), // F_DUPFD
        1030 => {
            // F_DUPFD_CLOEXEC
            let n = dup_to(fd, None, u32::try_from(arg).map_err(|_| EINVAL)?)?;
            set_cloexec(n as u32, true);
            Ok(n)
        }
        1 => with(|st| st.obj(fd)).map(|_| u64::from(is_cloexec(fd))).map_err(e), // F_GETFD
        2 => with(|st| st.obj(fd)).map(|_| set_cloexec(fd, arg & 1 != 0)).map(|()| 0).map_err(e), // F_SETFD
        // F_GETFL: O_RDWR, and O_NONBLOCK as a terminal has it.
        3 => with(|st| st.obj(fd))
            .map(|_| 2 | if crate::tty::is_nonblock(fd) { crate::tty::O_NONBLOCK } else { 0 })
            .map_err(e),
        // F_SETFL: only a terminal's O_NONBLOCK changes anything.
        4 => with(|st| st.obj(fd))
            .map(|_| crate::tty::set_nonblock(fd, arg & crate::tty::O_NONBLOCK != 0))
            .map(|()| 0)
            .map_err(e),
        _ => Err(EINVAL),
    }
}

/// The file and descriptor calls; `None` for other numbers.
pub fn handle(n: u64, a: u64, b: u64, c: u64, d: u64, a5: u64) -> Option<Result<u64, i32>> {
    Some(match n {
        nr::READ => fd32(a).and_then(|fd| read(fd, b, c)),
        nr::WRITE => fd32(a).and_then(|fd| write(fd, b, c)),
        nr::READV => fd32(a).and_then(|fd| vector(fd, b, c, false)),
        nr::WRITEV => fd32(a).and_then(|fd| vector(fd, b, c, true)),
        nr::PREAD64 => fd32(a).and_then(|fd| positioned(fd, b, c, d, false)),
        nr::PWRITE64 => fd32(a).and_then(|fd| positioned(fd, b, c, d, true)),
        nr::OPEN => cstr(a).and_then(|p| resolve(AT_FDCWD, &p)).and_then(|p| open(p, b, c)),
        nr::CREAT => cstr(a).and_then(|p| resolve(AT_FDCWD, &p)).and_then(|p| open(p, 0o1101, b)),
        nr::OPENAT => cstr(b).and_then(|p| resolve(a, &p)).and_then(|p| open(p, c, d)),
        nr::CLOSE => fd32(a).and_then(close),
        nr::LSEEK => fd32(a).and_then(|fd| {
            let w = match c {
                0 => Whence::Set,
                1 => Whence::Cur,
                2 => Whence::End,
                _ => return Err(EINVAL),
            };
            let h = fs_handle(fd)?;
            with(|st| fsys::seek(st, h, b as i64, w)).map_err(e)
        }),
        nr::FSTAT => fd32(a).and_then(fstat).and_then(|s| put(b, &s.to_bytes()).map(|()| 0)),
        nr::STAT | nr::LSTAT => cstr(a)
            .and_then(|p| resolve(AT_FDCWD, &p))
            .and_then(|p| stat_path(&p, n == nr::STAT))
            .and_then(|s| put(b, &s.to_bytes()).map(|()| 0)),
        nr::NEWFSTATAT => cstr(b).and_then(|p| {
            let s = if p.is_empty() && d & AT_EMPTY_PATH != 0 {
                fstat(fd32(a)?)?
            } else {
                stat_path(&resolve(a, &p)?, d & AT_SYMLINK_NOFOLLOW == 0)?
            };
            put(c, &s.to_bytes()).map(|()| 0)
        }),
        nr::GETDENTS64 => fd32(a).and_then(|fd| getdents64(fd, b, c)),
        nr::ACCESS => cstr(a).and_then(|p| resolve(AT_FDCWD, &p)).and_then(|p| access(p, b)),
        nr::FACCESSAT | nr::FACCESSAT2 => cstr(b).and_then(|p| resolve(a, &p)).and_then(|p| access(p, c)),
        nr::GETCWD => {
            let cwd = rampart_libos::env::current_dir();
            if (b as usize) < cwd.len() + 1 {
                Err(ERANGE)
            } else {
                let mut v = Vec::from(cwd.as_bytes());
                v.push(0);
                put(a, &v).map(|()| v.len() as u64)
            }
        }
        nr::CHDIR => cstr(a).and_then(|p| {
            rampart_libos::env::set_current_dir(&p).map(|()| 0).map_err(|x| from_rampart(x.raw_os_error()))
        }),
        nr::FCHDIR => fd32(a).and_then(|fd| {
            let p = FDS.lock().paths.get(&fd).cloned().ok_or(EBADF)?;
            rampart_libos::env::set_current_dir(&p).map(|()| 0).map_err(|x| from_rampart(x.raw_os_error()))
        }),
        nr::DUP => fd32(a).and_then(|fd| dup_to(fd, None, 0)),
        nr::DUP2 => fd32(a).and_then(|fd| dup_to(fd, Some(fd32(b)?), 0)),
        nr::DUP3 => fd32(a).and_then(|fd| {
            let new = fd32(b)?;
            if new == fd || c & !O_CLOEXEC != 0 {
                return Err(EINVAL);
            }
            let n = dup_to(fd, Some(new), 0)?;
            set_cloexec(new, c & O_CLOEXEC != 0);
            Ok(n)
        }),
        nr::FCNTL => fd32(a).and_then(|fd| fcntl(fd, b, c)),
        nr::PIPE | nr::PIPE2 => {
            // Check the destination first: never leak two descriptors.
            user_mut(a, 8).and_then(|_| {
                let (r, w) = with(|st| {
                    let (r, w) = fsys::pipe(st)?;
                    Ok((st.install(Obj::Fs(r)), st.install(Obj::Fs(w))))
                })
                .map_err(e)?;
                let cloexec = n == nr::PIPE2 && b & O_CLOEXEC != 0;
                set_cloexec(r, cloexec);
                set_cloexec(w, cloexec);
                let mut v = [0u8; 8];
                v[..4].copy_from_slice(&(r as i32).to_le_bytes());
                v[4..].copy_from_slice(&(w as i32).to_le_bytes());
                put(a, &v).map(|()| 0)
            })
        }
        nr::IOCTL => fd32(a).and_then(|fd| crate::tty::ioctl(fd, b, c)),
        nr::READLINK => cstr(a).and_then(|p| {
            let p = if p == "/proc/self/exe" { p } else { resolve(AT_FDCWD, &p)? };
            readlink(p, b, c)
        }),
        nr::READLINKAT => cstr(b).and_then(|p| {
            let p = if p == "/proc/self/exe" { p } else { resolve(a, &p)? };
            readlink(p, c, d)
        }),
        nr::MKDIR => {
            cstr(a).and_then(|p| resolve(AT_FDCWD, &p)).and_then(|p| path_op(&p, PathOp::Mkdir(b as u32 & 0o7777)))
        }
        nr::MKDIRAT => cstr(b).and_then(|p| resolve(a, &p)).and_then(|p| path_op(&p, PathOp::Mkdir(c as u32 & 0o7777))),
        nr::UNLINK => cstr(a).and_then(|p| resolve(AT_FDCWD, &p)).and_then(|p| path_op(&p, PathOp::Unlink)),
        nr::RMDIR => cstr(a).and_then(|p| resolve(AT_FDCWD, &p)).and_then(|p| path_op(&p, PathOp::Rmdir)),
        nr::UNLINKAT => cstr(b)
            .and_then(|p| resolve(a, &p))
            .and_then(|p| path_op(&p, if c & AT_REMOVEDIR != 0 { PathOp::Rmdir } else { PathOp::Unlink })),
        nr::RENAME => cstr(a).and_then(|f| {
            let t = cstr(b)?;
            rename(&resolve(AT_FDCWD, &f)?, &resolve(AT_FDCWD, &t)?)
        }),
        nr::RENAMEAT | nr::RENAMEAT2 => cstr(b).and_then(|f| {
            if n == nr::RENAMEAT2 && a5 != 0 {
                return Err(EINVAL);
            }
            let t = cstr(d)?;
            rename(&resolve(a, &f)?, &resolve(c, &t)?)
        }),
        nr::POLL => crate::poll::poll(a, b, crate::poll::poll_ms(c)),
        nr::PPOLL => crate::poll::ppoll_timeout(c).and_then(|t| crate::poll::poll(a, b, t)),
        nr::SELECT => crate::poll::select_timeout(a5).and_then(|t| crate::poll::select(a, [b, c, d], t)),
        nr::PSELECT6 => crate::poll::ppoll_timeout(a5).and_then(|t| crate::poll::select(a, [b, c, d], t)),
        nr::FTRUNCATE => fd32(a).and_then(|fd| {
            if (b as i64) < 0 {
                return Err(EINVAL);
            }
            let h = fs_handle(fd).map_err(|_| EINVAL)?;
            with(|st| fsys::truncate(st, h, b)).map(|()| 0).map_err(e)
        }),
        // Every change is durable when the file server answers
        // (docs/storage.md): nothing left to flush.
        nr::FSYNC | nr::FDATASYNC => fd32(a).and_then(|fd| with(|st| st.obj(fd)).map(|_| 0).map_err(e)),
        _ => return None,
    })
}

fn path_op(p: &str, op: PathOp) -> Result<u64, i32> {
    with(|st| fsys::path_op(st, p, op)).map(|()| 0).map_err(e)
}

fn rename(from: &str, to: &str) -> Result<u64, i32> {
    with(|st| fsys::two_paths(st, from, to, false)).map(|()| 0).map_err(e)
}
