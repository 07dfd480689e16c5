//! Processes: starting programs (`Command`), waiting, exit, kill.

use crate::error::{Error, Result};
use crate::sys::with;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::ExitStatus as RmStatus;

/// Ends this process with `status`.
pub fn exit(status: i32) -> ! {
    crate::io::flush_all();
    rampart_rt::exit(status)
}

/// This process's id.
pub fn id() -> u32 {
    rampart_rt::process::pid()
}

/// This process's identity for file access: user id, primary group id and
/// supplementary group ids. The file server derives it from the process's
/// security context (its SELinux user, through `/etc/identities`); nothing
/// the process does changes it (docs/security-architecture.md §1).
pub use rampart_fs_api::Credentials;

/// This process's [`Credentials`] (`getuid`, `getgid`, `getgroups`).
///
/// # Errors
/// The file server's errors (`EACCES` without a connection to it).
pub fn credentials() -> Result<Credentials> {
    with(crate::sys::fsys::credentials).map_err(Error::from)
}

/// Ends process `pid`: a descendant, or another process on whose context
/// the policy grants `process signal` (not an ancestor).
///
/// # Errors
/// `ESRCH`, `EPERM`.
pub fn kill(pid: u32) -> Result<()> {
    rampart_rt::rm::kill(pid).map_err(Error::from)
}

/// A process as [`list`] reports it (pid, parent, name, security context).
pub use rampart_rm_api::TaskEntry as ProcessInfo;

/// What a process holds (memory charged, ...): [`info`].
pub use rampart_rm_api::TaskInfo;

/// The processes this one may see: itself, its descendants, and those on
/// whose context the policy grants it `process getattr` (`ps`).
///
/// # Errors
/// rm's errors.
pub fn list() -> Result<Vec<ProcessInfo>> {
    rampart_rt::rm::task_list().map_err(Error::from)
}

/// A mapping of one process's shared region into another: [`mappings`].
pub use rampart_rm_api::MappingEntry as Mapping;

/// The mappings of shared regions whose owner and mapping process this one
/// may both see (as [`list`]), by region (`ipcs`).
///
/// # Errors
/// rm's errors.
pub fn mappings() -> Result<Vec<Mapping>> {
    rampart_rt::rm::region_mappings().map_err(Error::from)
}

/// What process `pid` holds (as [`list`], the policy's `process getattr`
/// decides which may be asked about).
///
/// # Errors
/// `ESRCH`, `EPERM`.
pub fn info(pid: u32) -> Result<TaskInfo> {
    rampart_rt::rm::task_info(pid).map_err(Error::from)
}

/// Stops the machine (`poweroff`, `reboot`: an administrator's right by
/// the policy's `system halt`/`reboot`); returns only on failure.
///
/// # Errors
/// `PermissionDenied`, `Unsupported` (no security server or no way to
/// stop this machine), `Other` (the machine did not stop).
pub fn power_off(reboot: bool) -> Result<()> {
    rampart_rt::rm::power_off(reboot, 0).map_err(Error::from)
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitStatus(pub RmStatus);

impl ExitStatus {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.0 == RmStatus::Exited(0)
    }
    /// The exit code, if it exited.
    pub fn code(&self) -> Option<i32> {
        match self.0 {
            RmStatus::Exited(c) => Some(c),
            _ => None,
        }
    }
    /// The POSIX signal that ended it (11 for a fault).
    pub fn signal(&self) -> Option<i32> {
        match self.0 {
            RmStatus::Exited(_) => None,
            RmStatus::Signaled(s) => Some(i32::from(s)),
            RmStatus::Faulted(_) => Some(11),
        }
    }
    /// The shell's `$?` for it.
    pub fn shell_code(&self) -> i32 {
        self.0.code()
    }
}

/// What a child's standard stream is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stdio {
    /// The parent's same descriptor.
    Inherit,
    /// Nothing (the descriptor is not passed).
    Null,
    /// A new pipe to the parent ([`Child::stdout`], ...).
    Piped,
    /// The parent's descriptor `n`.
    Fd(u32),
}

/// A program to start.
#[derive(Clone, Debug)]
pub struct Command {
    program: String,
    args: Vec<String>,
    env: Vec<(String, Option<String>)>,
    clear_env: bool,
    cwd: Option<String>,
    stdio: [Stdio; 3],
    context: Option<String>,
    pgroup: Option<u32>,
    setsid: bool,
}

/// A started child.
#[derive(Debug)]
pub struct Child {
    pid: u32,
    /// The parent's end of a piped stdin.
    pub stdin: Option<crate::io::PipeWriter>,
    /// The parent's end of a piped stdout.
    pub stdout: Option<crate::io::PipeReader>,
    /// The parent's end of a piped stderr.
    pub stderr: Option<crate::io::PipeReader>,
}

/// A finished child's status and captured output.
#[derive(Debug)]
pub struct Output {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error.
    pub stderr: Vec<u8>,
}

/// Finds `name` in `PATH` (names with a `/` are taken as paths).
pub fn find_program(name: &str) -> Option<String> {
    if name.contains('/') {
        return Some(with(|st| crate::path::absolute(&st.cwd, name)));
    }
    let path = crate::env::var("PATH").unwrap_or_else(|| String::from("/bin"));
    path.split(':')
        .filter(|d| !d.is_empty())
        .map(|d| crate::path::absolute(d, name))
        .find(|p| crate::fs::metadata(p).map(|m| m.is_file()).unwrap_or(false))
}

impl Command {
    /// Runs `program` (a path, or a name looked up in `PATH`).
    pub fn new(program: &str) -> Command {
        Command {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            clear_env: false,
            cwd: None,
            stdio: [Stdio::Inherit; 3],
            context: None,
            pgroup: None,
            setsid: false,
        }
    }
    /// Starts the child in process group `pgid`, 0 for a new group it
    /// leads (Rust std's `CommandExt::process_group`; a shell's job).
    pub fn process_group(&mut self, pgid: u32) -> &mut Self {
        self.pgroup = Some(pgid);
        self
    }
    /// Starts the child as the leader of a new session with no controlling
    /// terminal (`setsid(1)`).
    pub fn new_session(&mut self) -> &mut Self {
        self.setsid = true;
        self
    }
    /// Runs the child in security context `ctx` (SELinux's `setexeccon`,
    /// what `runcon` uses) instead of the policy's type transition; rm
    /// refuses it (`PermissionDenied`) unless the policy grants `process
    /// transition` to it and `file entrypoint` on the program file.
    pub fn security_context(&mut self, ctx: &str) -> &mut Self {
        self.context = Some(ctx.into());
        self
    }
    /// Adds an argument.
    pub fn arg(&mut self, a: &str) -> &mut Self {
        self.args.push(a.into());
        self
    }
    /// Adds arguments.
    pub fn args<'a>(&mut self, a: impl IntoIterator<Item = &'a str>) -> &mut Self {
        self.args.extend(a.into_iter().map(String::from));
        self
    }
    /// Sets an environment variable for the child.
    pub fn env(&mut self, k: &str, v: &str) -> &mut Self {
        self.env.push((k.into(), Some(v.into())));
        self
    }
    /// Removes an environment variable for the child.
    pub fn env_remove(&mut self, k: &str) -> &mut Self {
        self.env.push((k.into(), None));
        self
    }
    /// Starts from an empty environment.
    pub fn env_clear(&mut self) -> &mut Self {
        self.clear_env = true;
        self
    }
    /// The child's working directory.
    pub fn current_dir(&mut self, d: &str) -> &mut Self {
        self.cwd = Some(d.into());
        self
    }
    /// Standard input.
    pub fn stdin(&mut self, s: Stdio) -> &mut Self {
        self.stdio[0] = s;
        self
    }
    /// Standard output.
    pub fn stdout(&mut self, s: Stdio) -> &mut Self {
        self.stdio[1] = s;
        self
    }
    /// Standard error.
    pub fn stderr(&mut self, s: Stdio) -> &mut Self {
        self.stdio[2] = s;
        self
    }

    /// Starts the program.
    ///
    /// # Errors
    /// `NotFound`, `PermissionDenied`, `ENOEXEC`, rm's errors.
    pub fn spawn(&mut self) -> Result<Child> {
        let path = find_program(&self.program).ok_or_else(|| Error::from_errno(rampart_uabi::Errno::ENOENT))?;
        let mut env = if self.clear_env { Vec::new() } else { crate::env::vars() };
        for (k, v) in &self.env {
            env.retain(|(n, _)| n != k);
            if let Some(v) = v {
                env.push((k.clone(), v.clone()));
            }
        }
        let envp: Vec<String> = env.iter().map(|(k, v)| alloc::format!("{k}={v}")).collect();
        let mut argv = alloc::vec![self.program.clone()];
        argv.extend(self.args.iter().cloned());
        let cwd = match &self.cwd {
            Some(d) => with(|st| crate::path::absolute(&st.cwd, d)),
            None => crate::env::current_dir(),
        };
        let mut child = Child { pid: 0, stdin: None, stdout: None, stderr: None };
        let mut fds = Vec::new();
        let (mut keep_r, mut keep_w) = (Vec::new(), Vec::new());
        for (n, s) in self.stdio.iter().enumerate() {
            let n = n as u32;
            match *s {
                Stdio::Inherit => {
                    if crate::sys::spawn::fd_open(n) {
                        fds.push((n, n));
                    }
                }
                Stdio::Null => {}
                Stdio::Fd(p) => fds.push((n, p)),
                Stdio::Piped => {
                    let (r, w) = crate::io::pipe()?;
                    if n == 0 {
                        fds.push((0, r.0));
                        child.stdin = Some(w);
                        keep_r.push(r);
                    } else {
                        fds.push((n, w.0));
                        if n == 1 {
                            child.stdout = Some(r);
                        } else {
                            child.stderr = Some(r);
                        }
                        keep_w.push(w);
                    }
                }
            }
        }
        // The child's pipe ends stay open until the spawn passed them on.
        let opts = crate::sys::spawn::SpawnOptions {
            context: self.context.as_deref(),
            pgroup: self.pgroup,
            setsid: self.setsid,
            fork: false,
        };
        let r = crate::sys::spawn::spawn_with(&path, &argv, envp, &cwd, &fds, &opts).map_err(Error::from);
        drop((keep_r, keep_w));
        child.pid = r?;
        Ok(child)
    }

    /// Starts the program and waits for it.
    ///
    /// # Errors
    /// As [`Command::spawn`].
    pub fn status(&mut self) -> Result<ExitStatus> {
        self.spawn()?.wait()
    }

    /// Starts the program with stdout and stderr captured, and waits.
    ///
    /// # Errors
    /// As [`Command::spawn`].
    pub fn output(&mut self) -> Result<Output> {
        self.stdout(Stdio::Piped).stderr(Stdio::Piped);
        let mut c = self.spawn()?;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        if let Some(mut r) = c.stdout.take() {
            crate::io::Read::read_to_end(&mut r, &mut stdout)?;
        }
        if let Some(mut r) = c.stderr.take() {
            crate::io::Read::read_to_end(&mut r, &mut stderr)?;
        }
        Ok(Output { status: c.wait()?, stdout, stderr })
    }
}

impl Child {
    /// The child's pid.
    pub fn id(&self) -> u32 {
        self.pid
    }
    /// Waits for it to end.
    ///
    /// # Errors
    /// `ECHILD`.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        self.stdin = None;
        match crate::sys::spawn::wait(Some(self.pid), true).map_err(Error::from)? {
            Some((_, s)) => Ok(ExitStatus(s)),
            None => Err(Error::from_errno(rampart_uabi::Errno::ECHILD)),
        }
    }
    /// Its status if it ended.
    ///
    /// # Errors
    /// `ECHILD`.
    pub fn try_wait(&mut self) -> Result<Option<ExitStatus>> {
        crate::sys::spawn::wait(Some(self.pid), false).map(|r| r.map(|(_, s)| ExitStatus(s))).map_err(Error::from)
    }
    /// Ends it.
    ///
    /// # Errors
    /// `ESRCH`.
    pub fn kill(&mut self) -> Result<()> {
        kill(self.pid)
    }
}
