//! The operating-system interface the shell runs over.
//!
//! The shell never touches the system directly: everything it needs from the
//! library OS goes through the [`Os`] trait. On Rampart the `libos` crate
//! implements it with IPC to the resource manager (processes), the file
//! server (files, directories, pipes) and the console (terminal modes); in
//! the host tests a mock implements it over an in-memory world.
//!
//! ## File descriptors
//! The shell keeps its own table of *logical* descriptors (what a command
//! sees as 0, 1, 2, ...) mapping to the *raw* descriptors of the shell
//! process. Redirections such as `2>&1` only edit that table; the OS sees
//! them as the [`FdMapping`]s of a [`SpawnRequest`]. So the OS never needs
//! `dup2`: a spawned child gets exactly the descriptors listed in its
//! request, numbered as listed, and nothing else (no leaked pipe ends).
//!
//! ## Paths
//! The shell resolves every path it hands to the OS against its own
//! logical working directory, so paths passed to [`Os`] methods are
//! absolute (they begin with `/`). Arguments of spawned programs are passed
//! through untouched.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use rampart_uabi::Errno;

/// A raw file descriptor of the shell process (or a descriptor number in a child).
pub type Fd = u32;

/// A process identifier.
pub type Pid = u32;

/// An error reported by the OS, with POSIX meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OsError {
    /// `ENOENT`: no such file or directory.
    NotFound,
    /// `EACCES`/`EPERM`: denied by file permissions or by the security policy.
    PermissionDenied,
    /// `ENOTDIR`: a path component is not a directory.
    NotADirectory,
    /// `EISDIR`: the path is a directory.
    IsADirectory,
    /// `EEXIST`: the file exists.
    AlreadyExists,
    /// `ENOEXEC`: the file is not an executable image (the shell then runs it as a script).
    NotExecutable,
    /// `EBADF`: not an open descriptor.
    BadFd,
    /// `EINTR`: interrupted (for example by Ctrl-C while reading the terminal).
    Interrupted,
    /// `ECHILD`: no child to wait for.
    NoChild,
    /// `EPIPE`: the reading end of a pipe is closed.
    BrokenPipe,
    /// Any other error, by errno number.
    Other(i32),
}

impl OsError {
    /// The errno the error stands for (`EACCES` for a permission denial,
    /// `EIO` for an `Other` number no table names).
    pub fn errno(&self) -> Errno {
        match self {
            OsError::NotFound => Errno::ENOENT,
            OsError::PermissionDenied => Errno::EACCES,
            OsError::NotADirectory => Errno::ENOTDIR,
            OsError::IsADirectory => Errno::EISDIR,
            OsError::AlreadyExists => Errno::EEXIST,
            OsError::NotExecutable => Errno::ENOEXEC,
            OsError::BadFd => Errno::EBADF,
            OsError::Interrupted => Errno::EINTR,
            OsError::NoChild => Errno::ECHILD,
            OsError::BrokenPipe => Errno::EPIPE,
            OsError::Other(n) if Errno(*n).name() != "E?" => Errno(*n),
            OsError::Other(_) => Errno::EIO,
        }
    }

    /// The conventional message for the error (as `strerror` words it,
    /// from `rampart_uabi`'s errno table).
    pub fn message(&self) -> &'static str {
        self.errno().message()
    }
}

impl fmt::Display for OsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// How [`Os::open`] opens a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Read only; the file must exist (`<`).
    Read,
    /// Write only; created if missing, truncated if present (`>`).
    WriteTruncate,
    /// Write only; created if missing, every write appends (`>>`).
    Append,
    /// Read and write; created if missing, not truncated (`<>`).
    ReadWrite,
}

/// The type of a file system object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (only if the OS does not follow it in [`Os::stat`]).
    Symlink,
    /// Anything else (device, pipe, socket).
    Other,
}

/// What [`Os::stat`] reports about a path (links followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// The object's type.
    pub kind: FileKind,
    /// POSIX permission bits (`0o755` ...); the shell only looks at the execute bits.
    pub mode: u32,
    /// Size in bytes (for `test -s`).
    pub size: u64,
}

impl Metadata {
    /// Whether any execute bit is set.
    pub fn is_executable(&self) -> bool {
        self.mode & 0o111 != 0
    }
}

/// One descriptor of a child: descriptor `child` in the new process is the
/// shell's raw descriptor `parent` (the OS shares the underlying object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct FdMapping {
    /// The descriptor number in the child.
    pub child: Fd,
    /// The shell's raw descriptor it refers to.
    pub parent: Fd,
}

/// Everything needed to start a program.
#[derive(Debug, Clone, Copy)]
pub struct SpawnRequest<'a> {
    /// Absolute path of the program file.
    pub path: &'a str,
    /// Arguments, `argv[0]` first (the name the user typed).
    pub argv: &'a [String],
    /// Environment as `NAME=value` strings.
    pub env: &'a [String],
    /// Absolute working directory of the child.
    pub cwd: &'a str,
    /// The child's complete descriptor table, sorted by `child`.
    pub fds: &'a [FdMapping],
    /// Its process group (`posix_spawn`'s `POSIX_SPAWN_SETPGROUP`): `None`
    /// the shell's, `Some(0)` a new group the child leads, `Some(g)` the
    /// existing group `g` (a later stage of a pipeline joins the first's).
    pub pgroup: Option<Pid>,
}

/// How a child ended or changed state (`waitpid(2)`'s status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    /// It called `exit(code)` (code in `0..=255`).
    Exited(i32),
    /// It was killed: POSIX signal number (2 = interrupted by Ctrl-C,
    /// 9 = killed, 11 = killed by a fault).
    Signaled(i32),
    /// A stop signal stopped it (`WIFSTOPPED`; 20 = `SIGTSTP`, Ctrl-Z;
    /// 21 = `SIGTTIN`, a background read of the terminal). Only reported
    /// with [`WaitFlags::untraced`].
    Stopped(i32),
    /// `SIGCONT` continued it (`WIFCONTINUED`). Only reported with
    /// [`WaitFlags::continued`].
    Continued,
}

impl WaitStatus {
    /// The value of `$?` for this status: the exit code, or 128 + signal
    /// (for a stopped process too: 148 after Ctrl-Z).
    pub fn shell_status(&self) -> i32 {
        match *self {
            WaitStatus::Exited(code) => code & 0xff,
            WaitStatus::Signaled(sig) | WaitStatus::Stopped(sig) => 128 + sig,
            WaitStatus::Continued => 0,
        }
    }

    /// Whether the process has ended (the status is final).
    pub fn is_final(&self) -> bool {
        matches!(self, WaitStatus::Exited(_) | WaitStatus::Signaled(_))
    }
}

/// `waitpid(2)`'s options for [`Os::waitpid`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaitFlags {
    /// `WNOHANG`: do not block; `Ok(None)` if nothing changed.
    pub nohang: bool,
    /// `WUNTRACED`: report a child that stopped.
    pub untraced: bool,
    /// `WCONTINUED`: report a stopped child that `SIGCONT` continued.
    pub continued: bool,
}

/// `ENOSYS`, what the optional job-control methods of [`Os`] report by default.
pub const ENOSYS: OsError = OsError::Other(38);

/// `ENOTTY`: not a terminal, or not the controlling one.
pub const ENOTTY: OsError = OsError::Other(25);

/// `ESRCH`: no such process or process group.
pub const ESRCH: OsError = OsError::Other(3);

/// The services the shell needs from the library OS.
///
/// Every path argument is absolute. Methods with default bodies are
/// optional refinements.
pub trait Os {
    /// Start a program as a child of the shell. Errors: `NotFound` (no such
    /// file), `PermissionDenied` (not executable for us, or the policy
    /// refuses the transition), `NotExecutable` (not a loadable image: the
    /// shell then runs the file as a script with [`crate::ShellConfig::shell_path`]).
    fn spawn(&mut self, req: &SpawnRequest<'_>) -> Result<Pid, OsError>;

    /// Block until the child `pid` (or, with `None`, any child) ends, and
    /// reap it. `NoChild` if there is no such child.
    fn wait(&mut self, pid: Option<Pid>) -> Result<(Pid, WaitStatus), OsError>;

    /// Like [`Os::wait`] but without blocking: `Ok(None)` if the child is
    /// still running. Used to report finished background jobs.
    fn try_wait(&mut self, pid: Option<Pid>) -> Result<Option<(Pid, WaitStatus)>, OsError>;

    /// Create a pipe: `(read end, write end)`.
    fn pipe(&mut self) -> Result<(Fd, Fd), OsError>;

    /// Open a file; returns a new raw descriptor.
    fn open(&mut self, path: &str, mode: OpenMode) -> Result<Fd, OsError>;

    /// Close a raw descriptor.
    fn close(&mut self, fd: Fd) -> Result<(), OsError>;

    /// Read up to `buf.len()` bytes; `Ok(0)` at end of file.
    fn read(&mut self, fd: Fd, buf: &mut [u8]) -> Result<usize, OsError>;

    /// Write bytes; returns how many were written (at least one unless `buf` is empty).
    fn write(&mut self, fd: Fd, buf: &[u8]) -> Result<usize, OsError>;

    /// Change the shell process's working directory (the shell calls it from
    /// `cd`, so the OS checks that the target is a searchable directory).
    fn chdir(&mut self, path: &str) -> Result<(), OsError>;

    /// The shell process's working directory at startup.
    fn getcwd(&mut self) -> Result<String, OsError>;

    /// File type and permission bits of a path (symbolic links followed).
    fn stat(&mut self, path: &str) -> Result<Metadata, OsError>;

    /// The names in a directory, without `.` and `..`, in any order.
    fn read_dir(&mut self, path: &str) -> Result<Vec<String>, OsError>;

    /// The shell's own security context, `user:role:type[:level]`.
    fn security_context(&mut self) -> Result<String, OsError>;

    /// The shell's own process id (`$$`).
    fn pid(&mut self) -> Pid;

    /// Whether `fd` is a terminal (decides interactive mode).
    fn is_terminal(&mut self, _fd: Fd) -> bool {
        false
    }

    /// Switch the terminal on `fd` between raw mode (no echo, no line
    /// discipline: the shell's line editor does both) and cooked mode
    /// (what programs get).
    fn set_raw_mode(&mut self, _fd: Fd, _raw: bool) -> Result<(), OsError> {
        Ok(())
    }

    /// `waitpid(pid, flags)`: the next change of child `pid`: it ended (and
    /// is reaped), or with `flags.untraced` it stopped, or with
    /// `flags.continued` it was continued. `Ok(None)` only with
    /// `flags.nohang`. The default reports only ends, through
    /// [`Os::wait`] and [`Os::try_wait`].
    fn waitpid(&mut self, pid: Pid, flags: WaitFlags) -> Result<Option<(Pid, WaitStatus)>, OsError> {
        if flags.nohang { self.try_wait(Some(pid)) } else { self.wait(Some(pid)).map(Some) }
    }

    /// `getpgrp(2)`: the shell's process group.
    fn getpgrp(&mut self) -> Pid {
        self.pid()
    }

    /// `setpgid(2)`: put process `pid` (0: the shell) into group `pgid`
    /// (0: a new group led by `pid`).
    fn setpgid(&mut self, _pid: Pid, _pgid: Pid) -> Result<(), OsError> {
        Err(ENOSYS)
    }

    /// `tcsetpgrp(3)`: make group `pgid` the foreground process group of
    /// the terminal on `fd` (the shell's controlling terminal): the one its
    /// signal keys (Ctrl-C, Ctrl-Z, Ctrl-\) reach and the only one that may
    /// read it.
    fn tcsetpgrp(&mut self, _fd: Fd, _pgid: Pid) -> Result<(), OsError> {
        Err(ENOTTY)
    }

    /// `tcgetpgrp(3)`: the foreground process group of the terminal on `fd`.
    fn tcgetpgrp(&mut self, _fd: Fd) -> Result<Pid, OsError> {
        Err(ENOTTY)
    }

    /// `kill(2)`: send signal `sig` (0: only check) to process `pid`.
    fn kill(&mut self, _pid: Pid, _sig: i32) -> Result<(), OsError> {
        Err(ENOSYS)
    }

    /// `killpg(3)`: send signal `sig` to every process of group `pgid`.
    fn killpg(&mut self, _pgid: Pid, _sig: i32) -> Result<(), OsError> {
        Err(ENOSYS)
    }

    /// Job control on (`set -m` in an interactive shell) or off: when on,
    /// the terminal's job-control signals (`SIGINT`, `SIGQUIT`, `SIGTSTP`,
    /// `SIGTTIN`, `SIGTTOU`) neither end nor stop the shell itself, while
    /// the programs it starts from then on still get their default actions
    /// (as a Unix shell resets them between `fork` and `exec`).
    fn job_control_signals(&mut self, _on: bool) -> Result<(), OsError> {
        Ok(())
    }

    /// Whether a `SIGINT` reached the shell since the last call (with job
    /// control on): Ctrl-C typed while a foreground job was being started,
    /// before it had the terminal, which the shell then passes on to it.
    fn take_interrupt(&mut self) -> bool {
        false
    }
}
