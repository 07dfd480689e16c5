//! Builtin commands.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::lexer::is_name;
use crate::os::{OpenMode, Os, OsError};
use crate::parser::Parser;
use crate::shell::{ExecResult, Flow, MAX_CALL_DEPTH, Shell};

/// The builtin command names.
pub const BUILTINS: &[&str] = &[
    ":", ".", "[", "bg", "break", "cd", "command", "continue", "disown", "echo", "eval", "exec", "exit", "export",
    "false", "fg", "getopts", "hash", "history", "jobs", "kill", "local", "printf", "pwd", "read", "return", "set",
    "shift", "source", "test", "trap", "true", "type", "unset", "wait",
];

/// Whether `name` is a builtin.
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// `s` quoted for reuse as shell input (unchanged if it needs no quotes).
pub fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | ',' | '+' | '=' | '@' | '%')
        });
    if safe {
        return s.into();
    }
    let mut out = String::from("'");
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

impl<O: Os> Shell<O> {
    /// Run builtin `argv[0]`.
    pub(crate) fn run_builtin(&mut self, argv: &[String]) -> ExecResult {
        let args = &argv[1..];
        let name = argv[0].as_str();
        let status = match name {
            ":" | "true" => 0,
            "false" => 1,
            "cd" => self.builtin_cd(args),
            "pwd" => {
                let line = format!("{}\n", self.cwd);
                self.out(&line);
                0
            }
            "echo" => self.builtin_echo(args),
            "printf" => crate::printf::run(self, args),
            "exit" => return Err(Flow::Exit(self.numeric_arg(name, args.first(), self.status)?)),
            "return" => {
                if self.func_depth == 0 && self.call_depth == 0 {
                    self.error("return: can only return from a function or sourced script");
                    1
                } else {
                    return Err(Flow::Return(self.numeric_arg(name, args.first(), self.status)?));
                }
            }
            "break" | "continue" => {
                if self.loop_depth == 0 {
                    self.error(&format!("{name}: only meaningful in a loop"));
                    0
                } else {
                    let n = self.numeric_arg(name, args.first(), 1)?;
                    if n < 1 {
                        self.error(&format!("{name}: {n}: loop count out of range"));
                        1
                    } else {
                        let n = (n as usize).min(self.loop_depth);
                        return Err(if name == "break" { Flow::Break(n) } else { Flow::Continue(n) });
                    }
                }
            }
            "export" => self.builtin_export(args),
            "unset" => self.builtin_unset(args),
            "type" => self.builtin_type(args),
            "command" => self.builtin_command(args),
            "hash" => self.builtin_hash(args),
            "getopts" => self.builtin_getopts(args),
            "local" => self.builtin_local(args),
            "trap" => self.builtin_trap(args),
            "source" | "." => return self.builtin_source(name, args),
            "eval" => return self.builtin_eval(args),
            "wait" => self.builtin_wait(args),
            "jobs" => self.builtin_jobs(args),
            "fg" => self.builtin_fg(args),
            "bg" => self.builtin_bg(args),
            "kill" => self.builtin_kill(args),
            "disown" => self.builtin_disown(args),
            "set" => self.builtin_set(args),
            "shift" => {
                let n = self.numeric_arg(name, args.first(), 1)?;
                if n < 0 || n as usize > self.positional.len() {
                    self.error(&format!("shift: {n}: shift count out of range"));
                    1
                } else {
                    self.positional.drain(..n as usize);
                    0
                }
            }
            "read" => self.builtin_read(args),
            "test" | "[" => crate::test::run(self, name, args),
            "history" => {
                let lines: Vec<String> = self.history.numbered().map(|(n, l)| format!("{n:5}  {l}\n")).collect();
                for l in lines {
                    self.out(&l);
                }
                0
            }
            _ => 127,
        };
        Ok(status)
    }

    /// A numeric argument (`exit 3`), or `default` if absent. A bad number
    /// is an error that exits with status 2, as in other shells.
    fn numeric_arg(&mut self, name: &str, arg: Option<&String>, default: i32) -> Result<i32, Flow> {
        match arg {
            None => Ok(default),
            Some(a) => match a.trim().parse::<i64>() {
                Ok(n) if name == "exit" || name == "return" => Ok((n & 0xff) as i32),
                Ok(n) => Ok(n.clamp(i32::MIN as i64, i32::MAX as i64) as i32),
                Err(_) => {
                    self.error(&format!("{name}: {a}: numeric argument required"));
                    Err(Flow::Exit(2))
                }
            },
        }
    }

    fn builtin_cd(&mut self, args: &[String]) -> i32 {
        let (target, print) = match args.first().map(String::as_str) {
            None => match self.vars.get("HOME") {
                Some(h) => (String::from(h), false),
                None => {
                    self.error("cd: HOME not set");
                    return 1;
                }
            },
            Some("-") => match self.vars.get("OLDPWD") {
                Some(o) => (String::from(o), true),
                None => {
                    self.error("cd: OLDPWD not set");
                    return 1;
                }
            },
            Some(t) => (String::from(t), false),
        };
        if args.len() > 1 {
            self.error("cd: too many arguments");
            return 1;
        }
        let path = self.abs_path(&target);
        if let Err(e) = self.os.chdir(&path) {
            self.error(&format!("cd: {target}: {e}"));
            return 1;
        }
        let old = core::mem::replace(&mut self.cwd, path.clone());
        self.vars.set("OLDPWD", &old);
        self.vars.export("PWD", Some(&path));
        if print {
            self.out(&format!("{path}\n"));
        }
        0
    }

    fn builtin_echo(&mut self, args: &[String]) -> i32 {
        let mut newline = true;
        let mut escapes = false;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let Some(flags) = a.strip_prefix('-') else { break };
            if flags.is_empty() || !flags.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
                break;
            }
            for c in flags.chars() {
                match c {
                    'n' => newline = false,
                    'e' => escapes = true,
                    _ => escapes = false,
                }
            }
            i += 1;
        }
        let text = args[i..].join(" ");
        let mut bytes = if escapes {
            let (b, stop) = crate::printf::unescape_bytes(&text);
            if stop {
                newline = false;
            }
            b
        } else {
            text.into_bytes()
        };
        if newline {
            bytes.push(b'\n');
        }
        self.builtin_output("echo", &bytes)
    }

    fn builtin_export(&mut self, args: &[String]) -> i32 {
        let args: Vec<&String> = args.iter().filter(|a| *a != "-p").collect();
        if args.is_empty() {
            let lines: Vec<String> = self
                .vars
                .iter()
                .filter(|(_, v)| v.exported)
                .map(|(n, v)| format!("export {n}={}\n", quote(&v.value)))
                .collect();
            for l in lines {
                self.out(&l);
            }
            return 0;
        }
        let mut status = 0;
        for a in args {
            let (name, value) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (a.as_str(), None),
            };
            if !is_name(name) {
                self.error(&format!("export: '{a}': not a valid identifier"));
                status = 1;
                continue;
            }
            self.vars.export(name, value);
        }
        status
    }

    fn builtin_unset(&mut self, args: &[String]) -> i32 {
        let mut functions = false;
        let mut status = 0;
        for a in args {
            match a.as_str() {
                "-f" => functions = true,
                "-v" => functions = false,
                name if functions => {
                    self.functions.remove(name);
                }
                name if is_name(name) => self.vars.unset(name),
                name => {
                    self.error(&format!("unset: '{name}': not a valid identifier"));
                    status = 1;
                }
            }
        }
        status
    }

    /// Read a whole file through the OS.
    pub(crate) fn read_file(&mut self, path: &str) -> Result<String, OsError> {
        let abs = self.abs_path(path);
        let fd = self.os.open(&abs, OpenMode::Read)?;
        let mut data = Vec::new();
        let mut buf = [0u8; 1024];
        let r = loop {
            match self.os.read(fd, &mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => data.extend_from_slice(&buf[..n.min(buf.len())]),
                Err(OsError::Interrupted) => {}
                Err(e) => break Err(e),
            }
        };
        let _ = self.os.close(fd);
        r.map(|()| String::from_utf8_lossy(&data).into_owned())
    }

    fn builtin_source(&mut self, name: &str, args: &[String]) -> ExecResult {
        let Some(file) = args.first() else {
            self.error(&format!("{name}: filename argument required"));
            return Ok(2);
        };
        let mut path = file.clone();
        if !file.contains('/') {
            let search = String::from(self.vars.get("PATH").unwrap_or_default());
            for dir in search.split(':').filter(|d| !d.is_empty()) {
                let candidate = format!("{dir}/{file}");
                let abs = self.abs_path(&candidate);
                if self.os.stat(&abs).is_ok_and(|m| m.kind == crate::os::FileKind::File) {
                    path = candidate;
                    break;
                }
            }
        }
        let text = match self.read_file(&path) {
            Ok(t) => t,
            Err(e) => {
                self.error(&format!("{name}: {file}: {e}"));
                return Ok(1);
            }
        };
        if self.call_depth >= MAX_CALL_DEPTH {
            self.error(&format!("{name}: maximum nesting level exceeded ({MAX_CALL_DEPTH})"));
            return Ok(1);
        }
        let saved = (args.len() > 1).then(|| core::mem::replace(&mut self.positional, args[1..].to_vec()));
        self.call_depth += 1;
        let r = self.run_source(&text, Some(file));
        self.call_depth -= 1;
        if let Some(p) = saved {
            self.positional = p;
        }
        match r {
            Err(Flow::Return(n)) => Ok(n),
            r => r,
        }
    }

    fn builtin_eval(&mut self, args: &[String]) -> ExecResult {
        let text = args.join(" ");
        if self.call_depth >= MAX_CALL_DEPTH {
            self.error(&format!("eval: maximum nesting level exceeded ({MAX_CALL_DEPTH})"));
            return Ok(1);
        }
        self.call_depth += 1;
        let r = match Parser::parse(&text) {
            Ok(list) if list.items.is_empty() => Ok(0),
            Ok(list) => self.run_list(&list),
            Err(e) => {
                self.syntax_error(&e, &text, None);
                Ok(2)
            }
        };
        self.call_depth -= 1;
        r
    }

    fn builtin_wait(&mut self, args: &[String]) -> i32 {
        self.reap_jobs(false);
        if args.is_empty() {
            let ids: Vec<usize> = self.jobs.list().iter().map(|j| j.id).collect();
            for id in ids {
                self.wait_job(id);
            }
            return 0;
        }
        let mut status = 0;
        for a in args {
            let id = if a.starts_with('%') {
                self.jobs.resolve(a).ok()
            } else {
                a.parse().ok().and_then(|pid| self.jobs.by_pid(pid)).map(|j| j.id)
            };
            status = match id {
                Some(id) => self.wait_job(id),
                None => {
                    self.error(&format!("wait: {a}: no such job"));
                    127
                }
            };
        }
        status
    }
}

impl<O: Os> Shell<O> {
    /// `local NAME[=VALUE]...`: variables of the running function, restored
    /// when it returns (a name without a value starts unset). Status 1
    /// outside a function.
    pub(crate) fn builtin_local(&mut self, args: &[String]) -> i32 {
        if self.locals.is_empty() {
            self.error("local: can only be used in a function");
            return 1;
        }
        let mut status = 0;
        for a in args {
            let (name, value) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (a.as_str(), None),
            };
            if !is_name(name) {
                self.error(&format!("local: '{a}': not a valid identifier"));
                status = 1;
                continue;
            }
            let old = self.vars.var(name).cloned();
            if let Some(frame) = self.locals.last_mut()
                && !frame.iter().any(|(n, _)| n == name)
            {
                frame.push((name.into(), old));
                self.vars.unset(name);
            }
            if let Some(v) = value {
                self.vars.set(name, v);
            }
        }
        status
    }
}
