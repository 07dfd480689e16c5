//! The `read` builtin.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::lexer::is_name;
use crate::os::{Os, OsError};
use crate::redirect::Target;
use crate::shell::Shell;

impl<O: Os> Shell<O> {
    /// Read one byte from logical descriptor `fd`.
    fn read_byte(&mut self, fd: u32) -> Option<u8> {
        let Some(Target::Raw(raw)) = self.fds.get(fd) else { return None };
        let mut b = [0u8; 1];
        loop {
            match self.os.read(raw, &mut b) {
                Ok(1) => return Some(b[0]),
                Err(OsError::Interrupted) => continue,
                _ => return None,
            }
        }
    }

    /// `read [-r] [-p PROMPT] [-d DELIM] [-n COUNT] [NAME...]`: a line (up
    /// to DELIM, default newline; at most COUNT bytes) from standard input,
    /// split on `IFS` into the names (the last gets the rest; default
    /// `REPLY`). Without `-r` a backslash quotes the next character and
    /// joins continued lines. `-p` prompts on standard error if standard
    /// input is a terminal. Status 1 at end of file, 2 for bad usage.
    pub(crate) fn builtin_read(&mut self, args: &[String]) -> i32 {
        let mut raw = false;
        let mut prompt = None;
        let mut delim = b'\n';
        let mut limit = None;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else { break };
            i += 1;
            for (pos, c) in flags.char_indices() {
                match c {
                    'r' => raw = true,
                    'p' | 'd' | 'n' => {
                        let attached = &flags[pos + 1..];
                        let value = if attached.is_empty() {
                            let Some(v) = args.get(i) else {
                                self.error(&format!("read: -{c}: option requires an argument"));
                                return 2;
                            };
                            i += 1;
                            v.clone()
                        } else {
                            String::from(attached)
                        };
                        match c {
                            'p' => prompt = Some(value),
                            'd' => delim = value.bytes().next().unwrap_or(0),
                            _ => match value.parse::<usize>() {
                                Ok(n) => limit = Some(n),
                                Err(_) => {
                                    self.error(&format!("read: {value}: invalid number"));
                                    return 2;
                                }
                            },
                        }
                        break;
                    }
                    c => {
                        self.error(&format!("read: -{c}: invalid option"));
                        self.error("read: usage: read [-r] [-p prompt] [-d delim] [-n nchars] [name ...]");
                        return 2;
                    }
                }
            }
        }
        let names: Vec<String> = args[i.min(args.len())..].to_vec();
        for n in &names {
            if !is_name(n) {
                self.error(&format!("read: '{n}': not a valid identifier"));
                return 2;
            }
        }
        if let Some(p) = prompt
            && let Some(Target::Raw(fd)) = self.fds.get(0)
            && self.os.is_terminal(fd)
        {
            self.write_fd(2, p.as_bytes());
        }
        let mut line = Vec::new();
        // Which bytes of `line` came from backslash escapes (never separators).
        let mut quoted = Vec::new();
        let mut got_delim = false;
        while limit.is_none_or(|n| line.len() < n) {
            let Some(b) = self.read_byte(0) else { break };
            match b {
                b if b == delim => {
                    got_delim = true;
                    break;
                }
                b'\\' if !raw => match self.read_byte(0) {
                    Some(b'\n') | None => {}
                    Some(n) => {
                        line.push(n);
                        quoted.push(true);
                    }
                },
                b => {
                    line.push(b);
                    quoted.push(false);
                }
            }
        }
        let ifs = String::from(self.vars.get("IFS").unwrap_or(" \t\n"));
        let fields = split_fields(&line, &quoted, &ifs, names.len().max(1));
        if names.is_empty() {
            // REPLY gets the line as read (only escapes removed).
            let text = String::from_utf8_lossy(&line).into_owned();
            self.vars.set("REPLY", &text);
        } else {
            for (i, name) in names.iter().enumerate() {
                let v = fields.get(i).map(String::as_str).unwrap_or("");
                self.vars.set(name, v);
            }
        }
        if got_delim || limit.is_some_and(|n| line.len() >= n && n > 0) { 0 } else { 1 }
    }
}

/// Split `line` into at most `count` fields on `ifs` (POSIX `read`): IFS
/// white space at the ends is dropped, runs of it separate, other IFS
/// characters delimit one field each; the last field is the rest of the
/// line with trailing IFS white space removed. Escaped bytes never split.
fn split_fields(line: &[u8], quoted: &[bool], ifs: &str, count: usize) -> Vec<String> {
    let is_sep = |i: usize| !quoted[i] && line[i].is_ascii() && ifs.contains(line[i] as char);
    let is_white = |i: usize| is_sep(i) && (line[i] as char).is_ascii_whitespace();
    let mut fields = Vec::new();
    let mut i = 0;
    let n = line.len();
    while i < n && is_white(i) {
        i += 1;
    }
    while i < n {
        if fields.len() + 1 == count {
            let mut end = n;
            while end > i && is_white(end - 1) {
                end -= 1;
            }
            fields.push(String::from_utf8_lossy(&line[i..end]).into_owned());
            return fields;
        }
        let start = i;
        while i < n && !is_sep(i) {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&line[start..i]).into_owned());
        // The separator: white space, at most one other IFS character, white space.
        while i < n && is_white(i) {
            i += 1;
        }
        if i < n && is_sep(i) && !is_white(i) {
            i += 1;
            while i < n && is_white(i) {
                i += 1;
            }
        }
    }
    fields
}
