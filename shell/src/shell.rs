//! The shell's state and the services the rest of the executor builds on:
//! output to logical descriptors, path resolution, subshell contexts, and
//! the [`ExpandContext`] the expander uses.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ast::{Command, List, ParamName};
use crate::expand::{ExpandContext, ExpandError};
use crate::glob::GlobFs;
use crate::history::History;
use crate::jobs::Jobs;
use crate::os::{Fd, FileKind, Os, OsError, Pid};
use crate::redirect::{FdTable, Target};
use crate::vars::Vars;
use rampart_uabi::Errno;

/// Deepest nesting of function calls, `source` and `eval`.
pub const MAX_CALL_DEPTH: usize = 40;

/// Fixed settings of a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellConfig {
    /// The name used in messages (`sh: foo: command not found`).
    pub name: String,
    /// The shell's own program file: used to run background compound
    /// commands (`sh -c`) and files that are not executable images.
    pub shell_path: String,
    /// `PATH` when the environment has none.
    pub default_path: String,
    /// How many lines the history keeps.
    pub history_size: usize,
    /// Terminal width assumed by the line editor.
    pub terminal_width: usize,
}

impl Default for ShellConfig {
    fn default() -> Self {
        ShellConfig {
            name: "sh".into(),
            shell_path: "/bin/sh".into(),
            default_path: "/bin:/usr/bin".into(),
            history_size: 500,
            terminal_width: 80,
        }
    }
}

/// Shell options set with `set -e`, `set -o pipefail` ... or on the command line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// `-e`: exit when a command fails (outside conditions).
    pub errexit: bool,
    /// `-x`: print each command to standard error (after `PS4`) before running it.
    pub xtrace: bool,
    /// `-i`: interactive (prompts, job notices, no exit on errors).
    pub interactive: bool,
    /// `-u`: expanding an unset parameter is an error.
    pub nounset: bool,
    /// `-f`: no pathname expansion.
    pub noglob: bool,
    /// `-o pipefail`: a pipeline's status is its last failing stage's.
    pub pipefail: bool,
    /// `-m` (`monitor`): job control; on in an interactive shell whose
    /// input is its controlling terminal.
    pub monitor: bool,
}

/// A non-local exit from running commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// `exit n` (or a fatal error): leave the shell or the subshell.
    Exit(i32),
    /// `break n`.
    Break(usize),
    /// `continue n`.
    Continue(usize),
    /// `return n` from a function or sourced file.
    Return(i32),
}

/// The status of a command, or a non-local exit.
pub type ExecResult = Result<i32, Flow>;

/// A shell: its variables, functions, descriptors, jobs and history, over an [`Os`].
pub struct Shell<O: Os> {
    pub(crate) os: O,
    pub(crate) config: ShellConfig,
    pub(crate) vars: Vars,
    pub(crate) functions: BTreeMap<String, Rc<Command>>,
    pub(crate) positional: Vec<String>,
    pub(crate) arg0: String,
    pub(crate) status: i32,
    pub(crate) last_bg: Option<Pid>,
    pub(crate) jobs: Jobs,
    pub(crate) fds: FdTable,
    /// Raw descriptors opened by `exec` redirections (owned by `fds`).
    pub(crate) exec_owned: Vec<Fd>,
    pub(crate) cwd: String,
    pub(crate) opts: Options,
    pub(crate) captures: Vec<Vec<u8>>,
    pub(crate) history: History,
    pub(crate) loop_depth: usize,
    pub(crate) call_depth: usize,
    pub(crate) func_depth: usize,
    /// Inside a condition (`if`, `while`, `&&`/`||` left side, `!`): `set -e` does not apply.
    pub(crate) cond_depth: usize,
    pub(crate) context: Option<String>,
    /// The trap table.
    pub(crate) traps: crate::trap::Traps,
    /// Running a trap action (no `ERR` trap inside).
    pub(crate) in_trap: bool,
    /// One frame per running function: the variables `local` saved.
    pub(crate) locals: Vec<Vec<(String, Option<crate::vars::Var>)>>,
    /// Remembered program locations: name to (path, times used) (`hash`).
    pub(crate) hashed: BTreeMap<String, (String, usize)>,
    /// The `PATH` the remembered locations were found in.
    pub(crate) hash_path: String,
    /// `getopts`: the position in the current option word, and the
    /// `OPTIND` value it belongs to.
    pub(crate) getopts_pos: (usize, String),
    /// An expansion error that ends a non-interactive shell
    /// (`${x?}`, `set -u`) happened.
    pub(crate) fatal_expansion: bool,
    /// `command -p`: look programs up in the default `PATH`.
    pub(crate) default_path_lookup: bool,
    /// Job control: the terminal, process groups of jobs being started.
    pub(crate) jc: crate::jobctl::JobCtl,
}

impl<O: Os> Shell<O> {
    /// A shell over `os` with environment `env` (`NAME=value` strings, all
    /// exported). The working directory comes from [`Os::getcwd`].
    pub fn new(os: O, env: &[String], config: ShellConfig) -> Self {
        let mut sh = Shell {
            os,
            vars: Vars::from_env(env),
            functions: BTreeMap::new(),
            positional: Vec::new(),
            arg0: config.name.clone(),
            status: 0,
            last_bg: None,
            jobs: Jobs::default(),
            fds: FdTable::standard(),
            exec_owned: Vec::new(),
            cwd: String::from("/"),
            opts: Options::default(),
            captures: Vec::new(),
            history: History::new(config.history_size),
            loop_depth: 0,
            call_depth: 0,
            func_depth: 0,
            cond_depth: 0,
            context: None,
            traps: crate::trap::Traps::default(),
            in_trap: false,
            locals: Vec::new(),
            hashed: BTreeMap::new(),
            hash_path: String::new(),
            getopts_pos: (0, String::new()),
            fatal_expansion: false,
            default_path_lookup: false,
            jc: crate::jobctl::JobCtl::default(),
            config,
        };
        sh.cwd = sh.os.getcwd().unwrap_or_else(|_| "/".into());
        let cwd = sh.cwd.clone();
        sh.vars.export("PWD", Some(&cwd));
        if sh.vars.get("PATH").is_none() {
            let path = sh.config.default_path.clone();
            sh.vars.set("PATH", &path);
        }
        if sh.vars.get("IFS").is_none() {
            sh.vars.set("IFS", " \t\n");
        }
        sh.vars.set("OPTIND", "1");
        sh
    }

    /// The OS the shell runs over.
    pub fn os(&self) -> &O {
        &self.os
    }

    /// The OS the shell runs over, mutably.
    pub fn os_mut(&mut self) -> &mut O {
        &mut self.os
    }

    /// The status of the last command (`$?`).
    pub fn status(&self) -> i32 {
        self.status
    }

    /// The value of a shell variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name)
    }

    /// Set a shell variable (not exported unless it already was).
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.vars.set(name, value);
    }

    /// The shell's logical working directory.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// The options in effect.
    pub fn options(&self) -> Options {
        self.opts
    }

    /// Change the options.
    pub fn set_options(&mut self, opts: Options) {
        self.opts = opts;
    }

    /// Set `$0` and the positional parameters `$1`...
    pub fn set_args(&mut self, arg0: &str, args: &[String]) {
        self.arg0 = arg0.into();
        self.positional = args.to_vec();
    }

    /// The command history.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// Write bytes to logical descriptor `fd` (through redirections and
    /// command-substitution captures). Errors are ignored: for the shell's
    /// own messages (prompts, diagnostics), where nothing better can be
    /// done; builtins whose output is their result use
    /// [`Shell::write_fd_checked`].
    pub fn write_fd(&mut self, fd: u32, bytes: &[u8]) {
        let _ = self.write_fd_checked(fd, bytes);
    }

    /// As [`Shell::write_fd`], but reports the first failed write (a
    /// full disk's `ENOSPC`, `EIO`, `EPIPE`, a descriptor that is not
    /// open: `EBADF`), as POSIX `write(2)` does, so that a builtin such
    /// as `echo` fails with a message instead of losing its output.
    ///
    /// # Errors
    /// The OS's error for the first write that fails; a write of 0 bytes
    /// for a non-empty buffer is `EIO`.
    pub fn write_fd_checked(&mut self, fd: u32, bytes: &[u8]) -> Result<(), OsError> {
        match self.fds.get(fd) {
            Some(Target::Raw(raw)) => {
                let mut rest = bytes;
                while !rest.is_empty() {
                    match self.os.write(raw, rest)? {
                        0 => return Err(OsError::Other(Errno::EIO.0)),
                        n => rest = &rest[n.min(rest.len())..],
                    }
                }
                Ok(())
            }
            Some(Target::Capture(i)) => {
                if let Some(buf) = self.captures.get_mut(i) {
                    buf.extend_from_slice(bytes);
                }
                Ok(())
            }
            None => Err(OsError::BadFd),
        }
    }

    /// Writes a builtin's output to standard output; on failure prints
    /// `sh: NAME: write error: MESSAGE` (as bash does; no message for a
    /// reader that went away, `EPIPE`) and returns status 1.
    pub(crate) fn builtin_output(&mut self, name: &str, bytes: &[u8]) -> i32 {
        match self.write_fd_checked(1, bytes) {
            Ok(()) => 0,
            Err(OsError::BrokenPipe) => 1,
            Err(e) => {
                self.error(&format!("{name}: write error: {}", e.message()));
                1
            }
        }
    }

    /// Write a string to standard output.
    pub(crate) fn out(&mut self, s: &str) {
        self.write_fd(1, s.as_bytes());
    }

    /// Write `sh: message\n` to standard error.
    pub(crate) fn error(&mut self, msg: &str) {
        let line = format!("{}: {msg}\n", self.config.name);
        self.write_fd(2, line.as_bytes());
    }

    /// `path` made absolute against the working directory, with `.`, `..`
    /// and repeated slashes resolved lexically.
    pub fn abs_path(&self, path: &str) -> String {
        let mut parts: Vec<&str> = Vec::new();
        let joined;
        let full = if path.starts_with('/') {
            path
        } else {
            joined = format!("{}/{path}", self.cwd);
            &joined
        };
        for comp in full.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
        let mut out = String::new();
        for p in &parts {
            out.push('/');
            out.push_str(p);
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }

    /// Run `f` in a copy of the shell's state (a subshell): variables,
    /// functions, parameters, options, descriptors and the working
    /// directory are restored afterwards, and `exit` only leaves the copy.
    pub(crate) fn subshell(&mut self, f: impl FnOnce(&mut Self) -> ExecResult) -> i32 {
        let vars = self.vars.clone();
        let functions = self.functions.clone();
        let positional = self.positional.clone();
        let arg0 = self.arg0.clone();
        let cwd = self.cwd.clone();
        let fds = self.fds.clone();
        let owned = self.exec_owned.clone();
        let opts = self.opts;
        let depths = (self.loop_depth, self.func_depth);
        let traps = self.traps.for_subshell();
        let traps = core::mem::replace(&mut self.traps, traps);
        let locals = core::mem::take(&mut self.locals);
        self.loop_depth = 0;
        self.func_depth = 0;
        let status = match f(self) {
            Ok(s) => s,
            Err(Flow::Exit(s) | Flow::Return(s)) => s,
            Err(Flow::Break(_) | Flow::Continue(_)) => self.status,
        };
        self.status = status;
        self.fatal_expansion = false;
        let status = self.run_exit_trap();
        self.traps = traps;
        self.locals = locals;
        self.vars = vars;
        self.functions = functions;
        self.positional = positional;
        self.arg0 = arg0;
        self.fds = fds;
        self.opts = opts;
        (self.loop_depth, self.func_depth) = depths;
        for fd in core::mem::replace(&mut self.exec_owned, owned) {
            if !self.exec_owned.contains(&fd) {
                let _ = self.os.close(fd);
            }
        }
        if self.cwd != cwd {
            let _ = self.os.chdir(&cwd);
            self.cwd = cwd;
        }
        self.status = status;
        status
    }

    /// The shell's security context (cached), or `None` if the OS cannot tell.
    pub fn security_context(&mut self) -> Option<String> {
        if self.context.is_none() {
            self.context = self.os.security_context().ok();
        }
        self.context.clone()
    }

    /// Run a command substitution: the list's standard output, in a subshell.
    fn capture(&mut self, list: &List) -> String {
        self.captures.push(Vec::new());
        let idx = self.captures.len() - 1;
        self.without_job_control(|sh| {
            sh.subshell(|sh| {
                sh.fds.set(1, Target::Capture(idx));
                sh.run_list(list)
            })
        });
        let bytes = self.captures.pop().unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl<O: Os> GlobFs for Shell<O> {
    fn read_dir(&mut self, dir: &str) -> Option<Vec<String>> {
        let path = self.abs_path(dir);
        self.os.read_dir(&path).ok()
    }

    fn exists(&mut self, path: &str) -> bool {
        let path = self.abs_path(path);
        self.os.stat(&path).is_ok()
    }

    fn is_dir(&mut self, path: &str) -> bool {
        let path = self.abs_path(path);
        self.os.stat(&path).is_ok_and(|m| m.kind == FileKind::Dir)
    }
}

impl<O: Os> ExpandContext for Shell<O> {
    fn lookup(&mut self, name: &ParamName) -> Option<String> {
        match name {
            ParamName::Var(v) => self.vars.get(v).map(String::from),
            ParamName::Positional(0) => Some(self.arg0.clone()),
            ParamName::Positional(n) => self.positional.get(n - 1).cloned(),
            ParamName::Special('?') => Some(self.status.to_string()),
            ParamName::Special('$') => Some(self.os.pid().to_string()),
            ParamName::Special('!') => self.last_bg.map(|p| p.to_string()),
            ParamName::Special('#') => Some(self.positional.len().to_string()),
            ParamName::Special('-') => Some(self.opts.flags()),
            ParamName::Special(_) => None,
        }
    }

    fn positional_params(&mut self) -> Vec<String> {
        self.positional.clone()
    }

    fn assign(&mut self, name: &str, value: &str) -> Result<(), ExpandError> {
        self.vars.set(name, value);
        Ok(())
    }

    fn command_substitution(&mut self, list: &List) -> Result<String, ExpandError> {
        Ok(self.capture(list))
    }

    fn nounset(&mut self) -> bool {
        self.opts.nounset
    }

    fn noglob(&mut self) -> bool {
        self.opts.noglob
    }

    fn fatal_error(&mut self) {
        self.fatal_expansion = true;
    }
}
