//! `sh` on Rampart: the shell library's [`Os`] over the library OS
//! (`rampart-libos`). Built only for the target (feature `guest`, through
//! `cargo run -p images -- build`); installed as `/bin/sh` on the root.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};
use rampart_libos::io;
use rampart_libos::rampart_rt::rm::{WaitOptions, wait_for};
use rampart_libos::sys::spawn as sp;
use rampart_libos::{Error, env, fs, jobs, process, signal};
use rampart_rm_api::{ChildEvent, WaitFor};
use rampart_uabi::Errno;
use shell::os::{FdMapping, FileKind, Metadata, OpenMode, Os, OsError, Pid, SpawnRequest, WaitFlags, WaitStatus};
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

/// A `SIGINT` reached the shell (see [`Os::take_interrupt`]).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The handler for the job-control signals: the shell neither stops nor
/// ends. A `SIGINT` reaches it only while it runs builtins, or in the
/// instant before a new job has the terminal: it is noted for the job.
fn on_job_signal(sig: signal::Signo) {
    if sig == signal::SIGINT {
        INTERRUPTED.store(true, Ordering::SeqCst);
    }
}

/// The signals job control keeps from ending or stopping the shell. They
/// are caught rather than ignored: rm (like `execve`) passes ignored
/// signals on to children, caught ones reset to the default, as a Unix
/// shell resets them between `fork` and `exec`. With `false` (no
/// `SA_RESTART`), a blocking call the signal interrupts fails with `EINTR`
/// rather than being made again: `SIGTTIN` (the shell read the terminal
/// while a job had it) and `SIGINT`.
const JOB_SIGNALS: [(signal::Signo, bool); 5] = [
    (signal::SIGINT, false),
    (signal::SIGQUIT, true),
    (signal::SIGTSTP, true),
    (signal::SIGTTIN, false),
    (signal::SIGTTOU, true),
];

fn child_status(e: ChildEvent) -> WaitStatus {
    match e {
        ChildEvent::Exited(s) => status(s),
        ChildEvent::Stopped(sig) => WaitStatus::Stopped(i32::from(sig)),
        ChildEvent::Continued => WaitStatus::Continued,
    }
}

/// A refused signal is `EPERM`, "Operation not permitted" (not a file's
/// "Permission denied").
fn signal_errno(e: rampart_libos::rampart_rt::errno::Errno) -> OsError {
    match errno(e) {
        OsError::PermissionDenied => OsError::Other(1),
        e => e,
    }
}

fn signo(sig: i32) -> Result<signal::Signo, OsError> {
    signal::Signo::try_from(sig).map_err(|_| OsError::Other(22))
}

impl Os for Rampart {
    fn spawn(&mut self, req: &SpawnRequest<'_>) -> Result<Pid, OsError> {
        let fds: Vec<(u32, u32)> = req.fds.iter().map(|m: &FdMapping| (m.child, m.parent)).collect();
        let opts = sp::SpawnOptions { pgroup: req.pgroup, ..sp::SpawnOptions::default() };
        sp::spawn_with(req.path, req.argv, req.env.to_vec(), req.cwd, &fds, &opts).map_err(errno)
    }

    fn waitpid(&mut self, pid: Pid, f: WaitFlags) -> Result<Option<(Pid, WaitStatus)>, OsError> {
        let o = WaitOptions { block: !f.nohang, stopped: f.untraced, continued: f.continued };
        Ok(wait_for(WaitFor::Pid(pid), o).map_err(errno)?.map(|(p, e)| (p, child_status(e))))
    }

    fn getpgrp(&mut self) -> Pid {
        jobs::group(0).map_or_else(|_| process::id(), |(pgid, _)| pgid)
    }

    fn setpgid(&mut self, pid: Pid, pgid: Pid) -> Result<(), OsError> {
        jobs::setpgid(pid, pgid).map_err(errno)
    }

    fn tcsetpgrp(&mut self, fd: u32, pgid: Pid) -> Result<(), OsError> {
        if !io::is_terminal(fd) {
            return Err(shell::os::ENOTTY);
        }
        // As every job-control shell: SIGTTOU blocked while it hands the
        // terminal over or takes it back from a background position.
        let ttou = signal::SigSet::EMPTY.with(signal::SIGTTOU);
        let old = signal::set_mask(signal::How::Block, ttou);
        let r = jobs::set_foreground(pgid).map_err(errno);
        signal::set_mask(signal::How::Set, old);
        r
    }

    fn tcgetpgrp(&mut self, fd: u32) -> Result<Pid, OsError> {
        if !io::is_terminal(fd) {
            return Err(shell::os::ENOTTY);
        }
        jobs::foreground().map(|(_, pgid)| pgid).map_err(errno)
    }

    fn kill(&mut self, pid: Pid, sig: i32) -> Result<(), OsError> {
        signal::kill(pid, signo(sig)?).map_err(signal_errno)
    }

    fn killpg(&mut self, pgid: Pid, sig: i32) -> Result<(), OsError> {
        signal::killpg(pgid, signo(sig)?).map_err(signal_errno)
    }

    fn take_interrupt(&mut self) -> bool {
        INTERRUPTED.swap(false, Ordering::SeqCst)
    }

    fn job_control_signals(&mut self, on: bool) -> Result<(), OsError> {
        for (sig, restart) in JOB_SIGNALS {
            let action = if on { signal::Action::Handle(on_job_signal) } else { signal::Action::Default };
            let opts = signal::Options { restart, ..signal::Options::default() };
            signal::set_action(sig, action, opts).map_err(errno)?;
        }
        Ok(())
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
}

fn main() -> i32 {
    let envp: Vec<String> = env::vars().into_iter().map(|(k, v)| alloc::format!("{k}={v}")).collect();
    let mut sh = Shell::new(Rampart, &envp, ShellConfig::default());
    sh.main(&env::args())
}
