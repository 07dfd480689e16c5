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
            let mut line = String::from("+");
            for (n, v) in &exp.assigns {
                line.push_str(&format!(" {n}={}", builtins::quote(v)));
            }
            for a in &exp.argv {
                line.push(' ');
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
        let r = if let Some(body) = self.functions.get(&name).cloned() {
            self.call_function(body, &exp)
        } else if builtins::is_builtin(&name) {
            let saved = self.push_temp_vars(&exp.assigns);
            let r = if name == "exec" {
                let st = self.run_external(&exp.argv[1..], &exp.assigns);
                Err(Flow::Exit(st))
            } else {
                self.run_builtin(&exp.argv)
            };
            self.pop_temp_vars(saved);
            r
        } else {
            Ok(self.run_external(&exp.argv, &exp.assigns))
        };
        self.undo_redirects(applied);
        if let Ok(st) = r {
            self.status = st;
        }
        r
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
            match old {
                Some(v) => {
                    self.vars.unset(&n);
                    if v.exported {
                        self.vars.export(&n, Some(&v.value));
                    } else {
                        self.vars.set(&n, &v.value);
                    }
                }
                None => self.vars.unset(&n),
            }
        }
    }

    fn call_function(&mut self, body: Rc<Command>, exp: &Expanded) -> ExecResult {
        if self.call_depth >= MAX_CALL_DEPTH {
            self.error(&format!("{}: maximum nesting level exceeded ({MAX_CALL_DEPTH})", exp.argv[0]));
            return Ok(1);
        }
        let saved_vars = self.push_temp_vars(&exp.assigns);
        let saved = core::mem::replace(&mut self.positional, exp.argv[1..].to_vec());
        self.call_depth += 1;
        self.func_depth += 1;
        let r = self.run_command(&body);
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
    pub(crate) fn run_external(&mut self, argv: &[String], assigns: &[(String, String)]) -> i32 {
        if argv.is_empty() {
            return 0;
        }
        let mut caps = CapturePipes::default();
        let r = self.spawn_program(argv, assigns, &mut caps);
        self.finish_captures(caps);
        match r {
            Ok(pid) => {
                let started = crate::exec::Started { pids: alloc::vec![(0, pid)], last_status: None };
                self.finish_foreground(started, 1)
            }
            Err(st) => st,
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
        let path = match self.resolve(&name) {
            Resolved::Program(p) => p,
            Resolved::Denied(p) => {
                self.error(&format!("{p}: Permission denied"));
                return Err(126);
            }
            Resolved::NotFound if name.contains('/') => {
                self.error(&format!("{name}: No such file or directory"));
                return Err(127);
            }
            _ => {
                self.error(&format!("{name}: command not found"));
                return Err(127);
            }
        };
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
        let search = String::from(self.vars.get("PATH").unwrap_or(&self.config.default_path));
        let mut denied = None;
        for dir in search.split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let path = self.abs_path(&format!("{dir}/{name}"));
            match self.os.stat(&path) {
                Ok(m) if m.kind == FileKind::Dir => {}
                Ok(m) if m.is_executable() => return Resolved::Program(path),
                Ok(_) | Err(OsError::PermissionDenied) => {
                    denied.get_or_insert(path);
                }
                Err(_) => {}
            }
        }
        match denied {
            Some(p) => Resolved::Denied(p),
            None => Resolved::NotFound,
        }
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
