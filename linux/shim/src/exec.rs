//! execve(2), wait4(2) and kill(2) (docs/linux-abi.md, "execve" and
//! "wait4").
//!
//! **execve is spawn, wait and exit today.** The new program (static Linux
//! ELF, native Rampart program, or a `#!` script's interpreter) is started
//! by the runtime's ordinary `spawn`: the file server checks `file execute`
//! on it and seals its image (or the shim's, labelled as the Linux file),
//! rm decides the context with the policy's type transition, `entrypoint`
//! and `execute_no_trans` exactly as for a native exec, and the new
//! program gets this process's descriptors. This process then closes its
//! own descriptors (so a pipe's reader sees end of file when the program
//! ends), waits for the program and ends with its status (by the same
//! signal if a signal ended it). What the parent sees: its child (this
//! pid) ends with the program's status, as after a real exec. What
//! differs: the program runs under a new pid (`getpid` there is not the
//! pid the parent knows), signals sent to this pid do not reach it, and
//! the old image stays mapped until the program ends. Descriptors with
//! `FD_CLOEXEC` are not passed. Replacing the image
//! in place is the next step (docs/linux-abi.md).

use crate::mem::{cstr, cstr_within, get_u64, put, user_mut};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::rampart_rt::{self, rm};
use rampart_linux_abi::errno::*;
use rampart_rm_api::{ChildEvent, ExitStatus, WaitFor};

fn errno(e: rampart_uabi::Errno) -> i32 {
    from_rampart(e.0)
}

/// A NULL-terminated array of string pointers of the program, adding
/// each string's cost to `*cost`: `E2BIG` for a string of
/// `MAX_ARG_STRLEN` bytes or more or for arguments and environment past
/// `ARG_MAX` together (rm-api's limits, as Linux's execve(2) counts them).
fn strings(mut at: u64, cost: &mut usize) -> Result<Vec<String>, i32> {
    let mut v = Vec::new();
    if at == 0 {
        return Ok(v);
    }
    loop {
        let p = get_u64(at)?;
        if p == 0 {
            return Ok(v);
        }
        let s = cstr_within(p, rampart_rm_api::MAX_ARG_STRLEN, E2BIG)?;
        *cost += rampart_rm_api::arg_cost(s.len());
        if *cost > rampart_rm_api::ARG_MAX {
            return Err(E2BIG);
        }
        v.push(s);
        at = at.checked_add(8).ok_or(EFAULT)?;
    }
}

/// The whole program open on descriptor `fd` (the handle libos's spawn
/// passed: the file the file server checked), read from its start; the
/// descriptor is closed afterwards (the program does not inherit it).
///
/// # Errors
/// `EBADF`, the file server's read errors.
pub fn read_fd(fd: u32) -> Result<Vec<u8>, rampart_libos::Error> {
    use rampart_libos::fs::SeekFrom;
    use rampart_libos::io::Read;
    let mut f = rampart_libos::fs::File::from_raw_fd(fd);
    let mut v = Vec::new();
    let r = f.seek(SeekFrom::Start(0)).and_then(|_| f.read_to_end(&mut v));
    drop(f);
    r.map(|_| v)
}

/// execve(2): `path`, `argv`, `envp` are program pointers.
///
/// # Errors
/// Before the point of no return (the program could not be started):
/// `EFAULT`, `ENAMETOOLONG`, `E2BIG`, `ENOENT`, `EACCES`, `ENOEXEC`, and
/// the spawn's other errors. On success it does not return.
pub fn execve(path: u64, argv: u64, envp: u64) -> Result<u64, i32> {
    let path = cstr(path)?;
    let mut cost = 0;
    let mut argv = strings(argv, &mut cost)?;
    let envp = strings(envp, &mut cost)?;
    if argv.is_empty() {
        argv.push(path.clone());
    }
    let cwd = rampart_libos::env::current_dir();
    let abs = rampart_libos::path::absolute(&cwd, &path);
    run(&abs, &path, argv, envp).map(|never| match never {})
}

/// Starts `abs` (as named `path`, `argv`, `envp`; a `#!` script through
/// its interpreter) with this process's descriptors but those with
/// `FD_CLOEXEC`, waits for it and ends this process with its status.
/// Returns only if the program could not be started.
///
/// The file is opened once (`OpenFlags::EXEC`: the file server checks
/// `file execute` and the execute bit on it) and everything after refers
/// to that open file: its `#!` line is read from the handle, and a
/// program is sealed from it and handed to the new process's shim as a
/// descriptor (libos `spawn_open`). Renaming a path component in between
/// cannot make the file run differ from the file checked. (A script's
/// interpreter gets the script's path, as on Linux; the interpreter's
/// domain is decided on the interpreter's own file, never the script's.)
///
/// # Errors
/// `ENOENT`, `EACCES`, `ENOEXEC`, `E2BIG` and the spawn's other errors.
pub fn run(abs: &str, path: &str, argv: Vec<String>, envp: Vec<String>) -> Result<core::convert::Infallible, i32> {
    use rampart_libos::sys::spawn;
    let h = spawn::open_exec(abs).map_err(errno)?;
    let mut head = [0u8; rampart_linux_abi::exec::SHEBANG_MAX];
    let n = spawn::read_head(h, &mut head);
    let line = match n {
        Ok(n) if head[..n].starts_with(b"#!") => match rampart_linux_abi::exec::shebang(&head[..n]) {
            Some((i, a)) => Some((String::from(i), a.map(String::from))),
            None => {
                let _ = rampart_libos::sys::with(|st| rampart_libos::sys::fsys::close(st, h));
                return Err(ENOEXEC);
            }
        },
        _ => None,
    };
    if let Some(line) = line {
        let _ = rampart_libos::sys::with(|st| rampart_libos::sys::fsys::close(st, h));
        return run_script(line, path, argv, envp);
    }
    let (cwd, all, fds) = inherited();
    let pid = spawn::spawn_open(h, abs, &argv, envp, &cwd, &fds, &spawn::SpawnOptions::default());
    let _ = rampart_libos::sys::with(|st| rampart_libos::sys::fsys::close(st, h));
    finish(pid.map_err(errno)?, &all)
}

/// Runs script `path` through the interpreter of its `#!` line (`line`:
/// interpreter, optional argument), read from the file the caller
/// checked: `INTERP [ARG] PATH ARGV[1..]`, as Linux does.
///
/// # Errors
/// As [`run`].
pub fn run_script(
    line: (String, Option<String>),
    path: &str,
    argv: Vec<String>,
    envp: Vec<String>,
) -> Result<core::convert::Infallible, i32> {
    let (interp, arg) = line;
    let mut a = alloc::vec![interp.clone()];
    a.extend(arg);
    a.push(String::from(path));
    a.extend(argv.iter().skip(1).cloned());
    let (cwd, all, fds) = inherited();
    let pid = rampart_libos::sys::spawn::spawn(&interp, &a, envp, &cwd, &fds).map_err(errno)?;
    finish(pid, &all)
}

/// The working directory, every descriptor, and those that pass to the
/// program (all but those with `FD_CLOEXEC`).
fn inherited() -> (String, Vec<u32>, Vec<(u32, u32)>) {
    let cwd = rampart_libos::env::current_dir();
    let all: Vec<u32> = rampart_libos::sys::with(|st| st.fds.keys().copied().collect());
    let fds: Vec<(u32, u32)> = all.iter().filter(|&&k| !crate::files::is_cloexec(k)).map(|&k| (k, k)).collect();
    (cwd, all, fds)
}

/// The point of no return: closes descriptors `all` (so a pipe's reader
/// sees end of file when the program ends), waits for program `pid` and
/// ends this process with its status.
fn finish(pid: u32, all: &[u32]) -> ! {
    for fd in all {
        let _ = rampart_libos::sys::with(|st| st.close(*fd));
    }
    let status = loop {
        match rm::wait(Some(pid), true) {
            Ok(Some((_, s))) => break s,
            Err(rampart_uabi::Errno::EINTR) | Ok(None) => continue,
            Err(_) => break ExitStatus::Exited(127),
        }
    };
    match status {
        ExitStatus::Exited(s) => rampart_libos::process::exit(s),
        ExitStatus::Signaled(sig) => {
            let _ = rampart_rt::signal::kill(crate::misc::pid() as u32, sig);
            rampart_libos::process::exit(128 + i32::from(sig))
        }
        ExitStatus::Faulted(_) => {
            let _ = rampart_rt::signal::kill(crate::misc::pid() as u32, rampart_uabi::signal::SIGSEGV);
            rampart_libos::process::exit(128 + 11)
        }
    }
}

/// `wait4` options (wait(2)).
const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WCONTINUED: u64 = 8;

/// The wait status word (wait(2)): `WIFEXITED`/`WEXITSTATUS` as
/// `status << 8`, `WIFSIGNALED`/`WTERMSIG` as the signal, a fault as
/// `SIGSEGV` with the core bit, stopped as `sig << 8 | 0x7f`, continued as
/// `0xffff`.
pub fn wait_status(ev: ChildEvent) -> u32 {
    match ev {
        ChildEvent::Exited(ExitStatus::Exited(s)) => ((s as u32) & 0xff) << 8,
        ChildEvent::Exited(ExitStatus::Signaled(sig)) => u32::from(sig) & 0x7f,
        ChildEvent::Exited(ExitStatus::Faulted(_)) => 11 | 0x80,
        ChildEvent::Stopped(sig) => (u32::from(sig) << 8) | 0x7f,
        ChildEvent::Continued => 0xffff,
    }
}

/// wait4(2): `pid` -1 any child, > 0 that child, 0 this group, < -1 group
/// `-pid`; `status` and `rusage` (zeroed: no accounting yet) may be 0.
///
/// # Errors
/// `ECHILD` (no such child: also a pid that is not this process's
/// child), `EINTR`, `EINVAL` (unknown options), `EFAULT`.
pub fn wait4(pid: u64, status: u64, options: u64) -> Result<u64, i32> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | 0x4000_0000 | 0x8000_0000) != 0 {
        return Err(EINVAL);
    }
    // The destination is checked before a child is reaped: its status is
    // never lost to a bad pointer.
    if status != 0 {
        user_mut(status, 4)?;
    }
    let pid = pid as i32;
    let target = match pid {
        -1 => WaitFor::Any,
        0 => WaitFor::Group(0),
        p if p > 0 => WaitFor::Pid(p as u32),
        p => WaitFor::Group(p.unsigned_abs()),
    };
    let o = rm::WaitOptions {
        block: options & WNOHANG == 0,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
    };
    // A child the shim already reaped while the program waited for a
    // signal (crate::signal) is reported first.
    let got = match crate::signal::take_reaped(target) {
        Some(ev) => Some(ev),
        None => rm::wait_for(target, o).map_err(errno)?,
    };
    match got {
        None => Ok(0),
        Some((p, ev)) => {
            if status != 0 {
                put(status, &wait_status(ev).to_le_bytes())?;
            }
            Ok(u64::from(p))
        }
    }
}

/// kill(2): `pid` > 0 that process, 0 this group, < -1 group `-pid`; -1
/// (every process the caller may signal) is `EPERM`. rm checks the
/// policy's `process signal`/`sigkill`/`sigstop`/`signull` as for native
/// `kill`.
///
/// # Errors
/// `EINVAL` (signal number), `ESRCH`, `EPERM`.
pub fn kill(pid: u64, sig: u64) -> Result<u64, i32> {
    let sig = u8::try_from(sig).ok().filter(|s| *s <= 64).ok_or(EINVAL)?;
    let pid = pid as i32;
    let r = match pid {
        -1 => return Err(EPERM),
        0 => rampart_rt::signal::killpg(0, sig),
        p if p > 0 => rampart_rt::signal::kill(p as u32, sig),
        p => rampart_rt::signal::killpg(p.unsigned_abs(), sig),
    };
    r.map(|()| 0).map_err(errno)
}
