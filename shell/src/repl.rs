//! Entry points: the command line (`sh`, `sh FILE`, `sh -c CMD`), scripts,
//! standard input, and the interactive loop with the prompt.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::editor::{Event, LineEditor};
use crate::error::ParseError;
use crate::os::{Os, OsError};
use crate::parser::Parser;
use crate::redirect::Target;
use crate::shell::{ExecResult, Flow, Shell};

impl<O: Os> Shell<O> {
    /// Run the shell as a program: `argv` as given (`argv[0]` is the
    /// program name). Returns the exit status, after the `EXIT` trap.
    ///
    /// - `sh [-efiluxs] [-o NAME] FILE [ARG...]`: run a script (`$0` = FILE).
    /// - `sh [OPTIONS] -c COMMAND [NAME [ARG...]]`: run a command string.
    /// - `sh [OPTIONS]`: commands from standard input; interactive (prompt,
    ///   line editing, history) if it is a terminal or with `-i`.
    ///
    /// A login shell (`-l`, or `argv[0]` starting with `-`, as `login`
    /// starts it) first reads `/etc/profile` and `$HOME/.profile`; an
    /// interactive shell then reads the file named by `$ENV`.
    pub fn main(&mut self, argv: &[String]) -> i32 {
        let mut i = 1;
        let mut command = false;
        let mut force_interactive = false;
        let mut login = argv.first().is_some_and(|a| a.starts_with('-'));
        while let Some(a) = argv.get(i) {
            if a == "--" || a == "-" {
                i += 1;
                break;
            }
            let (on, flags) = match (a.strip_prefix('-'), a.strip_prefix('+')) {
                (Some(f), _) if !f.is_empty() => (true, f),
                (_, Some(f)) if !f.is_empty() => (false, f),
                _ => break,
            };
            for c in flags.chars() {
                match c {
                    'c' if on => command = true,
                    'i' if on => force_interactive = true,
                    'l' if on => login = true,
                    's' => {}
                    'o' => {
                        i += 1;
                        let name = argv.get(i).map(String::as_str).unwrap_or_default();
                        match self.opts.by_name(name) {
                            Some(flag) => *flag = on,
                            None => {
                                self.error(&format!("{name}: invalid option name"));
                                return 2;
                            }
                        }
                    }
                    c => match self.opts.by_letter(c) {
                        Some(flag) => *flag = on,
                        None => {
                            self.error(&format!("-{c}: invalid option"));
                            self.error("usage: sh [-efiluxs] [-o option] [-c command [name [arg...]] | file [arg...]]");
                            return 2;
                        }
                    },
                }
            }
            i += 1;
        }
        let rest = &argv[i.min(argv.len())..];
        if command && rest.is_empty() {
            self.error("-c: option requires an argument");
            return 2;
        }
        let tty = match self.fds.get(0) {
            Some(Target::Raw(raw)) => self.os.is_terminal(raw),
            _ => false,
        };
        let interactive = !command && rest.is_empty() && (force_interactive || tty);
        if interactive {
            self.opts.interactive = true;
            if let (true, Some(Target::Raw(raw))) = (tty, self.fds.get(0)) {
                self.start_job_control(raw);
            }
        }
        if login && let Err(Flow::Exit(n)) = self.read_profiles() {
            return self.exit_with_trap(n);
        }
        if interactive && let Err(Flow::Exit(n)) = self.read_env_file() {
            return self.exit_with_trap(n);
        }
        let status = if command {
            let cmd = rest[0].clone();
            let arg0 = rest.get(1).cloned().unwrap_or_else(|| argv.first().cloned().unwrap_or_default());
            self.set_args(&arg0, rest.get(2..).unwrap_or_default());
            flow_status(self.run_source(&cmd, None), self.status)
        } else if let Some(file) = rest.first() {
            self.set_args(file, &rest[1..]);
            match self.read_file(file) {
                Ok(text) => flow_status(self.run_source(&text, Some(file)), self.status),
                Err(e) => {
                    self.error(&format!("{file}: {e}"));
                    if e == OsError::NotFound { 127 } else { 126 }
                }
            }
        } else if interactive {
            self.interactive()
        } else {
            self.run_stdin()
        };
        self.exit_with_trap(status)
    }

    /// Leave the shell with `status`: run the `EXIT` trap (an `exit` in it
    /// changes the status) and return the final status.
    pub fn exit_with_trap(&mut self, status: i32) -> i32 {
        self.status = status;
        let status = self.run_exit_trap();
        self.status = status;
        self.end_job_control();
        status
    }

    /// A login shell's start files: `/etc/profile`, then `$HOME/.profile`,
    /// each only if it exists.
    fn read_profiles(&mut self) -> ExecResult {
        self.source_if_present("/etc/profile")?;
        if let Some(home) = self.vars.get("HOME").filter(|h| !h.is_empty()) {
            let path = format!("{}/.profile", home.trim_end_matches('/'));
            self.source_if_present(&path)?;
        }
        Ok(0)
    }

    /// An interactive shell's `$ENV` file (parameter-expanded), if set and present.
    fn read_env_file(&mut self) -> ExecResult {
        let Some(env) = self.vars.get("ENV").map(String::from).filter(|e| !e.is_empty()) else { return Ok(0) };
        let path = match crate::heredoc::expansion_text(&env) {
            Some(w) => crate::expand::expand_single(self, &w).unwrap_or(env),
            None => env,
        };
        self.source_if_present(&path)
    }

    /// Run the file at `path` in the current shell if it exists (a syntax
    /// error stops only that file; `return` leaves it).
    fn source_if_present(&mut self, path: &str) -> ExecResult {
        let abs = self.abs_path(path);
        if self.os.stat(&abs).is_err() {
            return Ok(0);
        }
        let text = match self.read_file(&abs) {
            Ok(t) => t,
            Err(e) => {
                self.error(&format!("{path}: {e}"));
                return Ok(1);
            }
        };
        self.call_depth += 1;
        let r = self.run_source(&text, Some(path));
        self.call_depth -= 1;
        match r {
            Err(Flow::Return(n)) => Ok(n),
            Err(Flow::Break(_) | Flow::Continue(_)) => Ok(self.status),
            r => r,
        }
    }

    /// Run shell source (a script, a `-c` string, a sourced file) one
    /// complete command at a time. A syntax error is reported with its
    /// position and stops the source with status 2.
    pub fn run_source(&mut self, src: &str, origin: Option<&str>) -> ExecResult {
        let mut parser = Parser::new(src);
        let mut status = 0;
        while let Some(r) = parser.next_command() {
            match r {
                Ok(list) => status = self.run_list(&list)?,
                Err(e) => {
                    self.syntax_error(&e, src, origin);
                    self.status = 2;
                    return Ok(2);
                }
            }
        }
        self.status = status;
        Ok(status)
    }

    /// Print a syntax error: `sh: [FILE: ]syntax error: unexpected 'then' (line L, column C)`.
    pub(crate) fn syntax_error(&mut self, e: &ParseError, src: &str, origin: Option<&str>) {
        let (line, col) = e.line_col(src);
        let origin = origin.map(|o| format!("{o}: ")).unwrap_or_default();
        self.error(&format!("{origin}{e} (line {line}, column {col})"));
    }

    /// Commands from a non-terminal standard input, read a byte at a time
    /// (so programs the script starts can read the rest of the input).
    fn run_stdin(&mut self) -> i32 {
        let mut pending = String::new();
        let mut bytes = Vec::new();
        loop {
            let mut b = [0u8; 1];
            let raw = match self.fds.get(0) {
                Some(Target::Raw(raw)) => raw,
                _ => return self.status,
            };
            let eof = match self.os.read(raw, &mut b) {
                Ok(1) => {
                    bytes.push(b[0]);
                    if b[0] != b'\n' {
                        continue;
                    }
                    false
                }
                Err(OsError::Interrupted) => continue,
                _ => true,
            };
            pending.push_str(&String::from_utf8_lossy(&core::mem::take(&mut bytes)));
            if !eof && matches!(Parser::parse(&pending), Err(e) if e.is_incomplete()) {
                continue;
            }
            let text = core::mem::take(&mut pending);
            if let Err(Flow::Exit(n)) = self.run_source(&text, None) {
                return n;
            }
            if eof {
                return self.status;
            }
        }
    }

    /// The interactive loop: prompt, edit a line, run it; until `exit` or
    /// Ctrl-D on an empty line.
    pub fn interactive(&mut self) -> i32 {
        self.opts.interactive = true;
        let mut editor = LineEditor::new(self.config.terminal_width);
        let mut typeahead: VecDeque<u8> = VecDeque::new();
        let mut pending = String::new();
        loop {
            self.reap_jobs(true);
            let prompt =
                if pending.is_empty() { self.prompt() } else { String::from(self.vars.get("PS2").unwrap_or("> ")) };
            let mut out = Vec::new();
            editor.start(&prompt, &mut out);
            let raw_in = match self.fds.get(0) {
                Some(Target::Raw(raw)) => Some(raw),
                _ => None,
            };
            if let Some(raw) = raw_in {
                let _ = self.os.set_raw_mode(raw, true);
            }
            self.write_fd(2, &out);
            let event = self.read_event(&mut editor, &mut typeahead, raw_in);
            if let Some(raw) = raw_in {
                let _ = self.os.set_raw_mode(raw, false);
            }
            match event {
                Event::Eof => {
                    if pending.is_empty() {
                        self.write_fd(2, b"exit\r\n");
                        return self.status;
                    }
                    let err = Parser::parse(&pending).err();
                    if let Some(e) = err {
                        let text = core::mem::take(&mut pending);
                        self.syntax_error(&e, &text, None);
                        self.status = 2;
                    }
                    pending.clear();
                }
                Event::Interrupt => {
                    pending.clear();
                    self.status = 130;
                }
                Event::Line(line) => {
                    pending.push_str(&line);
                    pending.push('\n');
                    if matches!(Parser::parse(&pending), Err(e) if e.is_incomplete()) {
                        continue;
                    }
                    let text = core::mem::take(&mut pending);
                    self.history.push(&text);
                    if let Err(Flow::Exit(n)) = self.run_source(&text, None) {
                        return n;
                    }
                }
            }
        }
    }

    /// Feed terminal input to the editor until it produces an event.
    fn read_event(&mut self, editor: &mut LineEditor, typeahead: &mut VecDeque<u8>, raw: Option<u32>) -> Event {
        loop {
            while let Some(b) = typeahead.pop_front() {
                let mut out = Vec::new();
                // The shell completes; the history is lent to the editor meanwhile.
                let history = core::mem::replace(&mut self.history, crate::history::History::new(1));
                let ev = editor.feed_with(b, &history, &mut ShellCompleter(self), &mut out);
                self.history = history;
                self.write_fd(2, &out);
                if let Some(ev) = ev {
                    return ev;
                }
            }
            let Some(raw) = raw else { return Event::Eof };
            let mut buf = [0u8; 64];
            match self.os.read(raw, &mut buf) {
                Ok(0) => return Event::Eof,
                Ok(n) => typeahead.extend(&buf[..n.min(buf.len())]),
                Err(OsError::Interrupted) => {}
                Err(e) => {
                    // As bash: the error, then the end of the session.
                    self.write_fd(2, format!("sh: reading the terminal: {}\r\n", e.message()).as_bytes());
                    return Event::Eof;
                }
            }
        }
    }

    /// The prompt: `PS1` with its escapes if set, else
    /// `user:type:cwd$ ` (user from `$USER` or the security context, type
    /// from the security context).
    pub fn prompt(&mut self) -> String {
        let ctx = self.security_context().unwrap_or_default();
        let mut fields = ctx.split(':');
        let ctx_user = fields.next().filter(|s| !s.is_empty()).unwrap_or("?");
        let ctx_type = fields.nth(1).unwrap_or("?");
        let user = String::from(self.vars.get("USER").unwrap_or(ctx_user));
        let Some(ps1) = self.vars.get("PS1").map(String::from) else {
            return format!("{user}:{ctx_type}:{}$ ", self.cwd);
        };
        let mut out = String::new();
        let mut chars = ps1.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('u') => out.push_str(&user),
                Some('Z') => out.push_str(ctx_type),
                Some('C') => out.push_str(&ctx),
                Some('w') => {
                    let home = self.vars.get("HOME").filter(|h| h.len() > 1);
                    match home.and_then(|h| self.cwd.strip_prefix(h)).filter(|r| r.is_empty() || r.starts_with('/')) {
                        Some(rest) => {
                            out.push('~');
                            out.push_str(rest);
                        }
                        None => out.push_str(&self.cwd),
                    }
                }
                Some('W') => out.push_str(self.cwd.rsplit('/').find(|s| !s.is_empty()).unwrap_or("/")),
                Some('h') => {
                    let host = self.vars.get("HOSTNAME").unwrap_or("rampart");
                    out.push_str(host.split('.').next().unwrap_or(host));
                }
                Some('H') => out.push_str(self.vars.get("HOSTNAME").unwrap_or("rampart")),
                Some('s') => out.push_str(&self.config.name),
                Some('!') => out.push_str(&format!("{}", self.history.next_number())),
                Some('a') => out.push('\x07'),
                // Around non-printing text for readline; the editor measures escapes itself.
                Some('[' | ']') => {}
                Some('$') => out.push(if user == "root" { '#' } else { '$' }),
                Some('n') => out.push('\n'),
                Some('e') => out.push('\x1b'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o);
                }
                None => out.push('\\'),
            }
        }
        // POSIX: the result then undergoes parameter expansion.
        if out.contains(['$', '`']) {
            out = self.expand_prompt(&out);
        }
        out
    }

    /// A prompt's `$`, `` ` `` expansions (the text unchanged on an error).
    fn expand_prompt(&mut self, text: &str) -> String {
        let Some(word) = crate::heredoc::expansion_text(text) else { return text.into() };
        let saved = (self.status, self.opts.xtrace);
        self.opts.xtrace = false;
        let r = crate::expand::expand_single(self, &word);
        (self.status, self.opts.xtrace) = saved;
        self.fatal_expansion = false;
        r.unwrap_or_else(|_| text.into())
    }
}

/// The shell as the line editor's source of completions.
struct ShellCompleter<'a, O: Os>(&'a mut Shell<O>);

impl<O: Os> crate::complete::Completer for ShellCompleter<'_, O> {
    fn complete(&mut self, line: &str) -> crate::complete::Completion {
        self.0.completions(line)
    }
}

/// The status of running a script: `exit n`, `return n` or the last status.
fn flow_status(r: ExecResult, last: i32) -> i32 {
    match r {
        Ok(s) => s,
        Err(Flow::Exit(s) | Flow::Return(s)) => s,
        Err(_) => last,
    }
}
