//! Simple commands: expansion, then a function, a builtin or a program
//! found in `PATH`.

use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ast::{Command, SimpleCommand};
use crate::builtins;
use crate::exec::CapturePipes;
use crate::expand;
use crate::os::{FileKind, Os, OsError, Pid};
use crate::shell::{ExecResult, Flow, MAX_CALL_DEPTH, Shell};

/// A simple command after expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expanded {
    /// The command name and arguments.
    pub(crate) argv: Vec<String>,
    /// The `NAME=value` prefixes.
    pub(crate) assigns: Vec<(String, String)>,
}

/// How a command name resolves (for `type` and for running it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A reserved word.
    Keyword,
    /// A shell function.
    Function,
    /// A builtin.
    Builtin,
    /// A program file.
    Program(String),
    /// Found but not executable: the path.
    Denied(String),
    /// Nowhere.
    NotFound,
}

impl<O: Os> Shell<O> {
    /// Expand a simple command's assignments and words. On an expansion
    /// error the message is printed and the status (1) returned.
    pub(crate) fn expand_simple(&mut self, sc: &SimpleCommand) -> Result<Expanded, i32> {
        let mut assigns = Vec::new();
        for a in &sc.assignments {
            match expand::expand_single(self, &a.value) {
                Ok(v) => assigns.push((a.name.clone(), v)),
                Err(e) => {
                    self.error(&e.0);
                    return Err(1);
                }
            }
        }
        match expand::expand_words(self, &sc.words) {
            Ok(argv) => Ok(Expanded { argv, assigns }),
            Err(e) => {
                self.error(&e.0);
                Err(1)
            }
        }
    }

    /// Whether an expanded command runs as a separate program.
    pub(crate) fn is_external(&self, argv: &[String]) -> bool {
        match argv.first() {
            None => false,
            Some(name) => !self.functions.contains_key(name) && !builtins::is_builtin(name),
        }
    }

    /// Run an expanded simple command in the current shell.
    pub(crate) fn exec_simple(&mut self, sc: &SimpleCommand, exp: Expanded) -> ExecResult {
        let subst_status = self.status;
        if self.opts.xtrace && !(exp.argv.is_empty() && exp.assigns.is_empty()) {
            let mut line = self.ps4();
            let mut first = true;
            for (n, v) in &exp.assigns {
                if !first {
                    line.push(' ');
                }
                first = false;
                line.push_str(&format!("{n}={}", builtins::quote(v)));
            }
            for a in &exp.argv {
                if !first {
                    line.push(' ');
                }
                first = false;
                line.push_str(&builtins::quote(a));
            }
            line.push('\n');
            self.write_fd(2, line.as_bytes());
        }
        let applied = match self.apply_redirects(&sc.redirects) {
            Ok(a) => a,
            Err(st) => {
                self.status = st;
                return Ok(st);
            }
        };
        let Some(name) = exp.argv.first().cloned() else {
            // Only assignments and redirections.
            for (n, v) in &exp.assigns {
                self.vars.set(n, v);
            }
            self.undo_redirects(applied);
            let st = if sc.words.is_empty() && has_substitution(sc) { subst_status } else { 0 };
            self.status = st;
            return Ok(st);
        };
        if name == "exec" && exp.argv.len() == 1 {
            self.keep_redirects(applied);
            return Ok(0);
        }
        // `command [-p] NAME ARGS`: a builtin or a program, never a function.
        let (argv, plain) = match self.strip_command_prefix(&exp.argv) {
            Ok(Some((skip, default_path))) => {
                self.default_path_lookup = default_path;
                (&exp.argv[skip..], true)
            }
            Ok(None) => (&exp.argv[..], false),
            Err(st) => {
                self.undo_redirects(applied);
                self.status = st;
                return Ok(st);
            }
        };
        let func = if plain { None } else { argv.first().and_then(|n| self.functions.get(n).cloned()) };
        let r = match (argv.first(), func) {
            (None, _) => Ok(0),
            (Some(_), Some(body)) => self.call_function(body, argv, &exp.assigns),
            (Some(name), None) if builtins::is_builtin(name) => {
                let saved = self.push_temp_vars(&exp.assigns);
                let r = if name == "exec" {
                    match self.run_external(&argv[1..], &exp.assigns) {
                        Ok(st) | Err(Flow::Exit(st)) => Err(Flow::Exit(st)),
                        Err(f) => Err(f),
                    }
                } else {
                    self.run_builtin(argv)
                };
                self.pop_temp_vars(saved);
                r
            }
            (Some(_), None) => self.run_external(argv, &exp.assigns),
        };
        self.default_path_lookup = false;
        self.undo_redirects(applied);
        if let Ok(st) = r {
            self.status = st;
        }
        r
    }

    /// `$PS4` expanded (default `+ `), for `set -x` lines.
    fn ps4(&mut self) -> String {
        let ps4 = String::from(self.vars.get("PS4").unwrap_or("+ "));
        if !ps4.contains(['$', '`']) {
            return ps4;
        }
        let xtrace = core::mem::replace(&mut self.opts.xtrace, false);
        let text = match crate::heredoc::expansion_text(&ps4) {
            Some(w) => expand::expand_single(self, &w).unwrap_or(ps4),
            None => ps4,
        };
        self.opts.xtrace = xtrace;
        text
    }

    /// For `command [-p] [--] NAME ...` (any number of times): how many
    /// words to skip and whether `-p` was given; `None` if the command is
    /// not a plain `command` (no `-v`/`-V`, which the builtin handles).
    fn strip_command_prefix(&mut self, argv: &[String]) -> Result<Option<(usize, bool)>, i32> {
        let mut i = 0;
        let mut default_path = false;
        while argv.get(i).is_some_and(|a| a == "command") && !self.functions.contains_key("command") {
            let mut j = i + 1;
            while let Some(a) = argv.get(j) {
                if a == "--" {
                    j += 1;
                    break;
                }
                let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else { break };
                if flags.contains(['v', 'V']) {
                    return Ok(if i == 0 { None } else { Some((i, default_path)) });
                }
                if let Some(c) = flags.chars().find(|c| *c != 'p') {
                    self.error(&format!("command: -{c}: invalid option"));
                    self.error("command: usage: command [-pVv] command [arg ...]");
                    return Err(2);
                }
                default_path = true;
                j += 1;
            }
            i = j;
        }
        Ok((i > 0).then_some((i, default_path)))
    }

    fn push_temp_vars(&mut self, assigns: &[(String, String)]) -> Vec<(String, Option<crate::vars::Var>)> {
        let mut saved = Vec::new();
        for (n, v) in assigns {
            saved.push((n.clone(), self.vars.var(n).cloned()));
            self.vars.set(n, v);
        }
        saved
    }

    fn pop_temp_vars(&mut self, saved: Vec<(String, Option<crate::vars::Var>)>) {
        for (n, old) in saved.into_iter().rev() {
            self.vars.restore(&n, old);
        }
    }

    fn call_function(&mut self, body: Rc<Command>, argv: &[String], assigns: &[(String, String)]) -> ExecResult {
        if self.call_depth >= MAX_CALL_DEPTH {
            self.error(&format!("{}: maximum nesting level exceeded ({MAX_CALL_DEPTH})", argv[0]));
            return Ok(1);
        }
        let saved_vars = self.push_temp_vars(assigns);
        let saved = core::mem::replace(&mut self.positional, argv[1..].to_vec());
        self.call_depth += 1;
        self.func_depth += 1;
        self.locals.push(Vec::new());
        let r = self.run_command(&body);
        if let Some(frame) = self.locals.pop() {
            for (name, old) in frame.into_iter().rev() {
                self.vars.restore(&name, old);
            }
        }
        self.call_depth -= 1;
        self.func_depth -= 1;
        self.positional = saved;
        self.pop_temp_vars(saved_vars);
        match r {
            Err(Flow::Return(n)) => Ok(n),
            r => r,
        }
    }

    /// Spawn a program and wait for it; the status, 126/127 on errors.
    pub(crate) fn run_external(&mut self, argv: &[String], assigns: &[(String, String)]) -> ExecResult {
        if argv.is_empty() {
            return Ok(0);
        }
        let mut caps = CapturePipes::default();
        let owner = self.begin_job(true);
        let r = self.spawn_program(argv, assigns, &mut caps);
        let pgid = self.end_job(owner);
        self.finish_captures(caps);
        match r {
            Ok(pid) => {
                let started = crate::exec::Started { pids: alloc::vec![(0, pid)], statuses: alloc::vec![None], pgid };
                self.finish_foreground(started)
            }
            Err(st) => Ok(st),
        }
    }

    /// Find and spawn a program with the current descriptors; on failure
    /// print the message and return the status (126 or 127).
    pub(crate) fn spawn_program(
        &mut self,
        argv: &[String],
        assigns: &[(String, String)],
        caps: &mut CapturePipes,
    ) -> Result<Pid, i32> {
        let name = argv[0].clone();
        let path = match self.resolve_program(&name) {
            Resolved::Program(p) => p,
            Resolved::Denied(p) => {
                self.error(&format!("{p}: Permission denied"));
                return Err(126);
            }
            Resolved::NotFound if name.contains('/') => {
                self.error(&format!("{name}: {}", rampart_uabi::Errno::ENOENT.message()));
                return Err(127);
            }
            _ => {
                self.error(&format!("{name}: command not found"));
                return Err(127);
            }
        };
        if !name.contains('/') && !self.default_path_lookup {
            let entry = self.hashed.entry(name.clone()).or_insert_with(|| (path.clone(), 0));
            if entry.0 != path {
                *entry = (path.clone(), 0);
            }
            entry.1 += 1;
        }
        let env = self.vars.environment(assigns);
        let shown = if name.contains('/') { name.clone() } else { path.clone() };
        let err = match self.spawn_raw(&path, argv, &env, caps) {
            Ok(pid) => return Ok(pid),
            Err(OsError::NotExecutable) => {
                // Not a loadable image: run it as a shell script.
                let mut sargv = alloc::vec![self.config.shell_path.clone(), path.clone()];
                sargv.extend(argv[1..].iter().cloned());
                let shell = self.config.shell_path.clone();
                match self.spawn_raw(&shell, &sargv, &env, caps) {
                    Ok(pid) => return Ok(pid),
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        self.error(&format!("{shown}: {err}"));
        Err(if err == OsError::NotFound { 127 } else { 126 })
    }

    /// Resolve a command name: reserved word, function, builtin, or a
    /// program (names with `/` directly, others through `PATH`).
    pub fn resolve(&mut self, name: &str) -> Resolved {
        if crate::parser::RESERVED.contains(&name) || name == "!" {
            return Resolved::Keyword;
        }
        if self.functions.contains_key(name) {
            return Resolved::Function;
        }
        if builtins::is_builtin(name) {
            return Resolved::Builtin;
        }
        self.resolve_program(name)
    }

    /// Resolve a name as a program only: directly if it has a `/`, else
    /// through the remembered locations and `PATH`.
    pub(crate) fn resolve_program(&mut self, name: &str) -> Resolved {
        if name.is_empty() {
            return Resolved::NotFound;
        }
        if name.contains('/') {
            let path = self.abs_path(name);
            return match self.os.stat(&path) {
                Ok(m) if m.kind == FileKind::Dir => Resolved::Denied(name.into()),
                Ok(m) if m.is_executable() => Resolved::Program(path),
                Ok(_) | Err(OsError::PermissionDenied) => Resolved::Denied(name.into()),
                Err(_) => Resolved::NotFound,
            };
        }
        if !self.default_path_lookup
            && let Some(path) = self.hashed_path(name)
        {
            return Resolved::Program(path);
        }
        match self.search_path(name, false).into_iter().next() {
            Some(Ok(path)) => Resolved::Program(path),
            Some(Err(path)) => Resolved::Denied(path),
            None => Resolved::NotFound,
        }
    }

    /// The remembered location of `name`, if `PATH` has not changed and
    /// it is still an executable file (else it is forgotten).
    pub(crate) fn hashed_path(&mut self, name: &str) -> Option<String> {
        self.check_hash_path();
        let (p, _) = self.hashed.get(name)?.clone();
        match self.os.stat(&p) {
            Ok(m) if m.kind != FileKind::Dir && m.is_executable() => Some(p),
            _ => {
                self.hashed.remove(name);
                None
            }
        }
    }

    /// Forget the remembered locations if `PATH` changed since they were found.
    pub(crate) fn check_hash_path(&mut self) {
        let path = self.vars.get("PATH").unwrap_or(&self.config.default_path);
        if path != self.hash_path {
            self.hash_path = String::from(path);
            self.hashed.clear();
        }
    }

    /// Search `PATH` (or the default path for `command -p`) for `name`:
    /// `Ok(path)` for an executable file, `Err(path)` for one found but
    /// not executable (only if no executable one is found, unless `all`).
    /// With `all`, every executable match in order; else the first.
    pub(crate) fn search_path(&mut self, name: &str, all: bool) -> Vec<Result<String, String>> {
        let search = if self.default_path_lookup {
            self.config.default_path.clone()
        } else {
            String::from(self.vars.get("PATH").unwrap_or(&self.config.default_path))
        };
        let mut found = Vec::new();
        let mut denied = None;
        for dir in search.split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let path = self.abs_path(&format!("{dir}/{name}"));
            match self.os.stat(&path) {
                Ok(m) if m.kind == FileKind::Dir => {}
                Ok(m) if m.is_executable() => {
                    found.push(Ok(path));
                    if !all {
                        return found;
                    }
                }
                Ok(_) | Err(OsError::PermissionDenied) => {
                    denied.get_or_insert(path);
                }
                Err(_) => {}
            }
        }
        if found.is_empty()
            && let Some(p) = denied
        {
            found.push(Err(p));
        }
        found
    }
}

/// Whether any assignment of a command contains a command substitution
/// (then a command without words takes its status).
fn has_substitution(sc: &SimpleCommand) -> bool {
    fn walk(parts: &[crate::ast::WordPart]) -> bool {
        parts.iter().any(|p| match p {
            crate::ast::WordPart::CommandSub(_) => true,
            crate::ast::WordPart::DoubleQuoted(inner) => walk(inner),
            _ => false,
        })
    }
    sc.assignments.iter().any(|a| walk(&a.value.parts)) || sc.redirects.iter().any(|r| walk(&r.target.parts))
}
