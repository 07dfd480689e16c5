//! The `test` and `[` builtins.
//!
//! Expressions: `-e -f -d -x -r -w -s -L -h PATH`, `-n -z STRING`,
//! `-t FD`, `S1 = S2`, `S1 != S2`, `S1 < S2`, `S1 > S2`,
//! `N1 -eq -ne -lt -le -gt -ge N2`, `! E`, `E1 -a E2`, `E1 -o E2` and
//! parentheses. `-r` and `-w` only check existence: access is decided by
//! the security policy at the time of use.

use alloc::format;
use alloc::string::String;

use crate::os::{FileKind, Os};
use crate::shell::Shell;

struct Eval<'a, 's, O: Os> {
    sh: &'s mut Shell<O>,
    args: &'a [String],
    pos: usize,
}

const UNARY: [&str; 11] = ["-e", "-f", "-d", "-x", "-r", "-w", "-s", "-L", "-h", "-n", "-z"];
const BINARY: [&str; 11] = ["=", "==", "!=", "<", ">", "-eq", "-ne", "-lt", "-le", "-gt", "-ge"];

/// Run `test ARGS` (or `[ ARGS ]`): 0 true, 1 false, 2 error.
pub(crate) fn run<O: Os>(sh: &mut Shell<O>, name: &str, args: &[String]) -> i32 {
    let args = if name == "[" {
        match args.split_last() {
            Some((last, rest)) if last == "]" => rest,
            _ => {
                sh.error("[: missing ']'");
                return 2;
            }
        }
    } else {
        args
    };
    if args.is_empty() {
        return 1;
    }
    let mut e = Eval { sh, args, pos: 0 };
    let r = e.or();
    let r = match r {
        Ok(v) if e.pos == args.len() => Ok(v),
        Ok(_) => Err(format!("{}: unexpected argument", args[e.pos])),
        Err(m) => Err(m),
    };
    match r {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(msg) => {
            e.sh.error(&format!("{name}: {msg}"));
            2
        }
    }
}

impl<O: Os> Eval<'_, '_, O> {
    fn peek(&self, k: usize) -> Option<&str> {
        self.args.get(self.pos + k).map(String::as_str)
    }

    fn or(&mut self) -> Result<bool, String> {
        let mut v = self.and()?;
        while self.peek(0) == Some("-o") {
            self.pos += 1;
            let r = self.and()?;
            v = v || r;
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<bool, String> {
        let mut v = self.not()?;
        while self.peek(0) == Some("-a") {
            self.pos += 1;
            let r = self.not()?;
            v = v && r;
        }
        Ok(v)
    }

    fn not(&mut self) -> Result<bool, String> {
        if self.peek(0) == Some("!") && self.peek(1).is_some() {
            self.pos += 1;
            return self.not().map(|v| !v);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<bool, String> {
        let Some(a) = self.peek(0) else { return Err("argument expected".into()) };
        // A binary expression takes precedence: `[ -n = -n ]`.
        if let (Some(op), Some(_)) = (self.peek(1), self.peek(2))
            && BINARY.contains(&op)
        {
            let (l, op, r) = (String::from(a), String::from(op), String::from(self.peek(2).unwrap_or_default()));
            self.pos += 3;
            return binary(&l, &op, &r);
        }
        if a == "(" && self.args[self.pos + 1..].contains(&String::from(")")) {
            self.pos += 1;
            let v = self.or()?;
            if self.peek(0) != Some(")") {
                return Err("missing ')'".into());
            }
            self.pos += 1;
            return Ok(v);
        }
        if let Some(arg) = self.peek(1)
            && (UNARY.contains(&a) || a == "-t")
        {
            let (op, arg) = (String::from(a), String::from(arg));
            self.pos += 2;
            return Ok(self.unary(&op, &arg));
        }
        let non_empty = !a.is_empty();
        self.pos += 1;
        Ok(non_empty)
    }

    fn unary(&mut self, op: &str, arg: &str) -> bool {
        match op {
            "-n" => !arg.is_empty(),
            "-z" => arg.is_empty(),
            "-t" => arg.parse().is_ok_and(|fd| match self.sh.fds.get(fd) {
                Some(crate::redirect::Target::Raw(raw)) => self.sh.os.is_terminal(raw),
                _ => false,
            }),
            _ => {
                let path = self.sh.abs_path(arg);
                let Ok(m) = self.sh.os.stat(&path) else { return false };
                match op {
                    "-f" => m.kind == FileKind::File,
                    "-d" => m.kind == FileKind::Dir,
                    "-x" => m.is_executable(),
                    "-s" => m.size > 0,
                    "-L" | "-h" => m.kind == FileKind::Symlink,
                    _ => true,
                }
            }
        }
    }
}

fn binary(l: &str, op: &str, r: &str) -> Result<bool, String> {
    let int = |s: &str| s.trim().parse::<i64>().map_err(|_| format!("{s}: integer expression expected"));
    Ok(match op {
        "=" | "==" => l == r,
        "!=" => l != r,
        "<" => l < r,
        ">" => l > r,
        "-eq" => int(l)? == int(r)?,
        "-ne" => int(l)? != int(r)?,
        "-lt" => int(l)? < int(r)?,
        "-le" => int(l)? <= int(r)?,
        "-gt" => int(l)? > int(r)?,
        _ => int(l)? >= int(r)?,
    })
}
