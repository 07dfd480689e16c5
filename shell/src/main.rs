//! `sh` on Rampart: the shell library's [`Os`] over the library OS
//! (`rampart-libos`). Built only for the target (feature `guest`, through
//! `cargo run -p images -- build`); installed as `/bin/sh` on the root.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::io;
use rampart_libos::sys::spawn as sp;
use rampart_libos::{Error, env, fs, process};
use rampart_uabi::Errno;
use shell::os::{FdMapping, FileKind, Metadata, OpenMode, Os, OsError, Pid, SpawnRequest, WaitStatus};
use shell::{Shell, ShellConfig};

rampart_libos::main!(main);

/// The shell's OS.
struct Rampart;

fn err(e: Error) -> OsError {
    match e.errno() {
        Errno::ENOENT => OsError::NotFound,
        Errno::EPERM | Errno::EACCES => OsError::PermissionDenied,
        Errno::ENOTDIR => OsError::NotADirectory,
        Errno::EISDIR => OsError::IsADirectory,
        Errno::EEXIST => OsError::AlreadyExists,
        Errno::ENOEXEC => OsError::NotExecutable,
        Errno::EBADF => OsError::BadFd,
        Errno::EINTR => OsError::Interrupted,
        Errno::ECHILD => OsError::NoChild,
        Errno::EPIPE => OsError::BrokenPipe,
        n => OsError::Other(n.0),
    }
}

fn errno(e: Errno) -> OsError {
    err(Error::from(e))
}

fn status(s: rampart_rm_api::ExitStatus) -> WaitStatus {
    match s {
        rampart_rm_api::ExitStatus::Exited(c) => WaitStatus::Exited(c),
        rampart_rm_api::ExitStatus::Signaled(s) => WaitStatus::Signaled(i32::from(s)),
        rampart_rm_api::ExitStatus::Faulted(_) => WaitStatus::Signaled(11),
    }
}

impl Os for Rampart {
    fn spawn(&mut self, req: &SpawnRequest<'_>) -> Result<Pid, OsError> {
        let fds: Vec<(u32, u32)> = req.fds.iter().map(|m: &FdMapping| (m.child, m.parent)).collect();
        sp::spawn(req.path, req.argv, req.env.to_vec(), req.cwd, &fds).map_err(errno)
    }

    fn wait(&mut self, pid: Option<Pid>) -> Result<(Pid, WaitStatus), OsError> {
        match sp::wait(pid, true).map_err(errno)? {
            Some((p, s)) => Ok((p, status(s))),
            None => Err(OsError::NoChild),
        }
    }

    fn try_wait(&mut self, pid: Option<Pid>) -> Result<Option<(Pid, WaitStatus)>, OsError> {
        Ok(sp::wait(pid, false).map_err(errno)?.map(|(p, s)| (p, status(s))))
    }

    fn pipe(&mut self) -> Result<(u32, u32), OsError> {
        let (r, w) = io::pipe().map_err(err)?;
        let fds = (r.0, w.0);
        core::mem::forget(r);
        core::mem::forget(w);
        Ok(fds)
    }

    fn open(&mut self, path: &str, mode: OpenMode) -> Result<u32, OsError> {
        let mut o = fs::OpenOptions::new();
        match mode {
            OpenMode::Read => o.read(true),
            OpenMode::WriteTruncate => o.write(true).create(true).truncate(true),
            OpenMode::Append => o.append(true).create(true),
            OpenMode::ReadWrite => o.read(true).write(true).create(true),
        };
        o.open(path).map(fs::File::into_raw_fd).map_err(err)
    }

    fn close(&mut self, fd: u32) -> Result<(), OsError> {
        io::close(fd).map_err(err)
    }

    fn read(&mut self, fd: u32, buf: &mut [u8]) -> Result<usize, OsError> {
        io::fd_read(fd, buf).map_err(errno)
    }

    fn write(&mut self, fd: u32, buf: &[u8]) -> Result<usize, OsError> {
        io::fd_write(fd, buf).map_err(errno)
    }

    fn chdir(&mut self, path: &str) -> Result<(), OsError> {
        env::set_current_dir(path).map_err(err)
    }

    fn getcwd(&mut self) -> Result<String, OsError> {
        Ok(env::current_dir())
    }

    fn stat(&mut self, path: &str) -> Result<Metadata, OsError> {
        let m = fs::metadata(path).map_err(err)?;
        let kind = match m.file_type() {
            fs::FileType::File => FileKind::File,
            fs::FileType::Dir => FileKind::Dir,
            fs::FileType::Symlink => FileKind::Symlink,
            _ => FileKind::Other,
        };
        Ok(Metadata { kind, mode: m.mode() & 0o7777, size: m.len() })
    }

    fn read_dir(&mut self, path: &str) -> Result<Vec<String>, OsError> {
        Ok(fs::read_dir(path).map_err(err)?.into_iter().map(|e| String::from(e.file_name())).collect())
    }

    fn security_context(&mut self) -> Result<String, OsError> {
        Ok(env::security_context())
    }

    fn pid(&mut self) -> Pid {
        process::id()
    }

    fn is_terminal(&mut self, fd: u32) -> bool {
        io::is_terminal(fd)
    }

    fn set_raw_mode(&mut self, fd: u32, raw: bool) -> Result<(), OsError> {
        io::set_raw_mode(fd, raw).map_err(err)
    }

    fn set_foreground(&mut self, pids: &[Pid]) {
        let _ = io::set_foreground(0, pids);
    }
}

fn main() -> i32 {
    let envp: Vec<String> = env::vars().into_iter().map(|(k, v)| alloc::format!("{k}={v}")).collect();
    let mut sh = Shell::new(Rampart, &envp, ShellConfig::default());
    sh.main(&env::args())
}
