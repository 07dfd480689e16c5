//! Starting programs: the file server checks that this process may
//! execute the program and has rm seal its image (the process never holds
//! the bytes nor names their label), the descriptors the child gets are
//! passed as handle tokens staged with rm, and rm creates the task from the
//! sealed image (docs/libos.md, "exec"; docs/resource-manager.md, "Sealed
//! images").

use super::{Obj, share, with};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_fs_api::OpenFlags;
use rampart_rm_api::{ExitStatus, Image, Request, Response, Spawn, Staged};
use rampart_rt::ipc::codec::call_with_caps;
use rampart_uabi::Errno;

/// Starts the program in file `path` (absolute) with `argv`, `envp` and
/// working directory `cwd`; descriptor `child` of the new process is this
/// process's `parent` for each `(child, parent)` in `fds`. Returns the pid.
///
/// # Errors
/// `ENOENT`, `EACCES` (no execute bit, or the policy refuses the read or
/// the transition), `ENOEXEC` (not an ELF image), `EBADF`, `E2BIG`
/// (arguments and environment past `rampart_rm_api::ARG_MAX` = 256 KiB or
/// a string of `MAX_ARG_STRLEN` = 128 KiB, as execve(2); a working
/// directory too long for rm's message), rm's errors.
pub fn spawn(path: &str, argv: &[String], envp: Vec<String>, cwd: &str, fds: &[(u32, u32)]) -> Result<u32, Errno> {
    spawn_with(path, argv, envp, cwd, fds, &SpawnOptions::default())
}

/// How a child starts besides its program, arguments and descriptors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpawnOptions<'a> {
    /// Its security context (`setexeccon`), see [`spawn_as`].
    pub context: Option<&'a str>,
    /// Its process group: `None` the caller's, `Some(0)` a new one it
    /// leads, `Some(g)` group `g` of the caller's session.
    pub pgroup: Option<u32>,
    /// It leads a new session without a controlling terminal.
    pub setsid: bool,
    /// It runs in this process's own security context, without the type
    /// transition (the Linux personality's `fork`, `Spawn::fork`).
    pub fork: bool,
}

/// As [`spawn`]; with `context`, the child runs in that security context
/// (`setexeccon`) if the policy grants the caller `process transition` to
/// it and the context `file entrypoint` on the program file.
///
/// # Errors
/// As [`spawn`]; `EACCES` for a refused context, `EINVAL` for an invalid one.
pub fn spawn_as(
    path: &str,
    argv: &[String],
    envp: Vec<String>,
    cwd: &str,
    fds: &[(u32, u32)],
    context: Option<&str>,
) -> Result<u32, Errno> {
    spawn_with(path, argv, envp, cwd, fds, &SpawnOptions { context, ..SpawnOptions::default() })
}

/// As [`spawn`], with [`SpawnOptions`].
///
/// # Errors
/// As [`spawn_as`]; `EPERM` for a group of another session.
pub fn spawn_with(
    path: &str,
    argv: &[String],
    envp: Vec<String>,
    cwd: &str,
    fds: &[(u32, u32)],
    opts: &SpawnOptions<'_>,
) -> Result<u32, Errno> {
    let h = with(|st| super::fsys::open(st, path, OpenFlags::RDONLY | OpenFlags::EXEC, 0))?;
    let r = spawn_open(h, path, argv, envp, cwd, fds, opts);
    let _ = with(|st| super::fsys::close(st, h));
    r
}

/// As [`spawn_with`], for the program already open on file-server handle
/// `h` (opened with `OpenFlags::EXEC`, by [`open_exec`]), named `path`:
/// the file checked, sealed and (for a Linux program) loaded is the one
/// open on `h`, whatever `path` names by then. The caller closes `h`
/// afterwards.
///
/// A Linux program's image is the personality's shim, which loads the
/// program: it gets `h` as descriptor [`exec_fd`] of `fds` and the
/// arguments `linux -0 ARGV0 -F FD PATH ARG...`, and reads the program
/// from that descriptor, never from `path` (a path component renamed
/// between the file server's check and the shim's read would otherwise
/// run another file in the domain decided for this one).
///
/// # Errors
/// As [`spawn_with`].
pub fn spawn_open(
    h: u32,
    path: &str,
    argv: &[String],
    envp: Vec<String>,
    cwd: &str,
    fds: &[(u32, u32)],
    opts: &SpawnOptions<'_>,
) -> Result<u32, Errno> {
    let mut tokens = Vec::new();
    with(|st| {
        // The file server checks `file execute` with this process's SID on
        // the file's real label and seals the image for it. A program
        // without Rampart's native ELF note is a Linux program: the file
        // server seals the personality's shim instead, labelled as the
        // Linux file (so the transition is the Linux program's), and the
        // shim loads the program open on the descriptor it is given
        // (docs/linux-abi.md).
        let (token, _len, linux) = super::fsys::exec_image_open(st, h)?;
        let mut argv: Vec<String> = argv.to_vec();
        let mut objs: Vec<(u32, Obj)> = Vec::with_capacity(fds.len() + 1);
        for &(child, parent) in fds {
            objs.push((child, st.obj(parent)?));
        }
        if linux {
            let fd = exec_fd(fds);
            objs.push((fd, Obj::Fs(h)));
            argv = rampart_linux_abi::exec::shim_argv(path, fd, &argv);
        }
        let mut req = Spawn {
            image: Some(Image::Sealed { token }),
            argv,
            envp,
            cwd: cwd.into(),
            context: opts.context.map(String::from),
            pgroup: opts.pgroup,
            setsid: opts.setsid,
            fork: opts.fork,
            ..Default::default()
        };
        // Arguments and environment that do not fit rm's message go in an
        // argument block in a region of this process, freed once rm has
        // answered (rm copies it). Past the limits (`ARG_MAX`, also a
        // working directory or context too long for the message) the
        // spawn fails here, before any descriptor is staged: a staged pipe
        // end would otherwise stay with rm, its reader never seeing end of
        // file (a pipeline hung). (The unused seal is replaced by this
        // process's next ones.)
        let block = if fits_one_message(&req) { None } else { Some(ArgRegion::new(&mut req)?) };
        if !fits_one_message(&req) {
            return Err(Errno::E2BIG);
        }
        let mut r = Ok(());
        for &(child, o) in &objs {
            r = (|| {
                let shared = share(st, o)?;
                tokens.extend(shared.fs_token);
                let s = shared.slot;
                let req = Request::StageCap(Staged { fd: Some(child), name: shared.service.into() });
                let res = call_with_caps::<_, Response>(rampart_rt::rm::channel(), &req, &[s]);
                st.free_slot(s);
                match res.map_err(|e| e.errno())?.0 {
                    Response::Ok => Ok(()),
                    Response::Err(e) => Err(e),
                    _ => Err(Errno::EPROTO),
                }
            })();
            if r.is_err() {
                break;
            }
        }
        // A seal is used once, by this spawn or by nobody: rm frees it
        // when the spawn is refused, and one this process never presents
        // is replaced by its next ones.
        let r = r.and_then(|()| rampart_rt::rm::spawn(req));
        drop(block);
        r
    })
    .inspect(|&pid| {
        if !fds.is_empty() || !tokens.is_empty() {
            await_adoption(pid, &tokens);
        }
    })
}

/// An argument block (`rampart_rm_api::ArgBlock`) in a region of this
/// process, freed when dropped.
struct ArgRegion(rampart_rt::rm::Region);

impl ArgRegion {
    /// Moves `req`'s arguments and environment into a new region and names
    /// it in `req.args`.
    ///
    /// # Errors
    /// `E2BIG` (past `ARG_MAX` or `MAX_ARG_STRLEN`), rm's `EDQUOT`,
    /// `ENOMEM`.
    fn new(req: &mut Spawn) -> Result<ArgRegion, Errno> {
        let bytes = rampart_rm_api::encode_args(&req.argv, &req.envp)?;
        let r = ArgRegion(rampart_rt::rm::region_alloc(bytes.len() as u64)?);
        #[allow(unsafe_code)] // a view of the region (SharedBytes::new's contract)
        // SAFETY: the region stays mapped until `r` is dropped, after this
        // view is gone.
        let view = unsafe { r.0.shared() };
        view.write(0, &bytes)?;
        req.argv = Vec::new();
        req.envp = Vec::new();
        req.args = Some(rampart_rm_api::ArgBlock { region: r.0.id, len: bytes.len() as u64 });
        Ok(r)
    }
}

impl Drop for ArgRegion {
    fn drop(&mut self) {
        let _ = rampart_rt::rm::region_free(self.0.id);
    }
}

/// The descriptor a Linux program's shim gets the program on: the lowest
/// number from 3 up that none of the child's descriptors `fds` uses.
pub fn exec_fd(fds: &[(u32, u32)]) -> u32 {
    (3..).find(|n| !fds.iter().any(|(c, _)| c == n)).unwrap_or(3)
}

/// Opens program `path` to run it (`OpenFlags::EXEC`: the file server
/// checks `file execute` and the execute bit for this process at the
/// open); returns the file-server handle for [`spawn_open`], which the
/// caller closes.
///
/// # Errors
/// `ENOENT`, `EACCES`, the file server's other errors.
pub fn open_exec(path: &str) -> Result<u32, Errno> {
    with(|st| super::fsys::open(st, path, OpenFlags::RDONLY | OpenFlags::EXEC, 0))
}

/// Reads up to `buf.len()` bytes at offset 0 of the file open on
/// file-server handle `h` (a program opened by [`open_exec`]: its `#!`
/// line), leaving the handle at that position.
///
/// # Errors
/// The file server's.
pub fn read_head(h: u32, buf: &mut [u8]) -> Result<usize, Errno> {
    with(|st| {
        super::fsys::seek(st, h, 0, rampart_fs_api::Whence::Set)?;
        let mut done = 0;
        while done < buf.len() {
            match super::fsys::read(st, h, &mut buf[done..])? {
                0 => break,
                n => done += n,
            }
        }
        Ok(done)
    })
}

/// Whether `req` encodes into one IPC message to rm
/// ([`rampart_uabi::codec::MAX_MESSAGE_BYTES`]: program arguments,
/// environment, working directory and contexts together; docs/reliability.md
/// §1).
fn fits_one_message(req: &Spawn) -> bool {
    let mut words = [0u64; rampart_uabi::codec::MAX_WORDS];
    rampart_uabi::codec::encode(&Request::Spawn(req.clone()), &mut words).is_ok()
}

/// The Linux personality's shim (linux/shim, docs/linux-abi.md); the file
/// server seals it for programs that are not native
/// (`rampart_fs::exec::LINUX_SHIM`).
pub const LINUX_SHIM: &str = "/bin/linux";

/// Most yields a parent spends waiting for its child to adopt descriptors.
const ADOPT_YIELDS: u32 = 200_000;

/// Waits until child `pid` has adopted the file server tokens `tokens`
/// (closing a handle voids the tokens made from it, so the caller must not
/// close them earlier), the child has ended, or [`ADOPT_YIELDS`] yields
/// passed. Console tokens outlive their handles. Network tokens are voided
/// by a close like file tokens but the network server has no pending query
/// yet: for sockets only the first yield (the child, same priority, is next
/// in the run queue) orders adoption before a close.
fn await_adoption(pid: u32, tokens: &[u64]) {
    rampart_rt::syscall::yield_now();
    for i in 0..ADOPT_YIELDS {
        if !tokens.iter().any(|&t| with(|st| super::fsys::token_pending(st, t))) {
            return;
        }
        if i % 64 == 63 && rampart_rt::rm::task_info(pid).is_err() {
            return;
        }
        rampart_rt::syscall::yield_now();
    }
}

/// How a child ended, as a shell status: the exit code, 128 + 9 if killed
/// (Ctrl-C too), 128 + 11 for a fault.
pub fn status_code(s: ExitStatus) -> i32 {
    s.code()
}

/// Waits for child `pid` (or any); `None` if `block` is false and none ended.
///
/// # Errors
/// `ECHILD`.
pub fn wait(pid: Option<u32>, block: bool) -> Result<Option<(u32, ExitStatus)>, Errno> {
    rampart_rt::rm::wait(pid, block)
}

/// Whether descriptor `fd` is open.
pub fn fd_open(fd: u32) -> bool {
    with(|st| st.obj(fd).is_ok())
}

/// The object behind `fd` (for programs that pass descriptors around).
///
/// # Errors
/// `EBADF`.
pub fn obj(fd: u32) -> Result<Obj, Errno> {
    with(|st| st.obj(fd))
}
