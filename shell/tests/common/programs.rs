//! The programs in the mock world's /bin.

use std::rc::Rc;

use shell::{OpenMode, Os, Shell, ShellConfig};

use super::{MockOs, Obj, Program};

fn prog(f: impl Fn(&mut Ctx) -> i32 + 'static) -> Program {
    Rc::new(f)
}

/// The standard programs in /bin.
pub fn programs() -> Vec<(&'static str, Program)> {
    vec![
        (
            "cat",
            prog(|c| match c.input() {
                Ok(s) => {
                    c.out(&s);
                    0
                }
                Err(e) => {
                    c.err(&e);
                    1
                }
            }),
        ),
        (
            "grep",
            prog(|c| {
                let invert = c.argv.iter().any(|a| a == "-v");
                let count = c.argv.iter().any(|a| a == "-c");
                let args: Vec<String> = c.argv[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
                let pat = args[0].clone();
                let input = if args.len() > 1 {
                    let p = c.abs(&args[1]);
                    let fd = c.os.open(&p, OpenMode::Read).unwrap();
                    String::from_utf8(c.read_fd_all(fd)).unwrap()
                } else {
                    c.stdin()
                };
                let lines: Vec<&str> = input.lines().filter(|l| l.contains(pat.as_str()) != invert).collect();
                if count {
                    c.out(&format!("{}\n", lines.len()));
                } else {
                    for l in &lines {
                        c.out(&format!("{l}\n"));
                    }
                }
                if lines.is_empty() { 1 } else { 0 }
            }),
        ),
        (
            "sort",
            prog(|c| {
                let s = c.input().unwrap();
                let mut lines: Vec<&str> = s.lines().collect();
                lines.sort();
                if c.argv.iter().any(|a| a == "-r") {
                    lines.reverse();
                }
                for l in lines {
                    c.out(&format!("{l}\n"));
                }
                0
            }),
        ),
        (
            "wc",
            prog(|c| {
                let s = c.input().unwrap();
                c.out(&format!("{}\n", s.lines().count()));
                0
            }),
        ),
        (
            "args",
            prog(|c| {
                let s: String = c.argv[1..].iter().map(|a| format!("[{a}]")).collect();
                c.out(&format!("{s}\n"));
                0
            }),
        ),
        (
            "printenv",
            prog(|c| {
                let mut env = c.env.clone();
                env.sort();
                if c.argv.len() > 1 {
                    let prefix = format!("{}=", c.argv[1]);
                    match env.iter().find(|e| e.starts_with(&prefix)) {
                        Some(e) => {
                            let v = e[prefix.len()..].to_string();
                            c.out(&format!("{v}\n"));
                            0
                        }
                        None => 1,
                    }
                } else {
                    for e in env {
                        c.out(&format!("{e}\n"));
                    }
                    0
                }
            }),
        ),
        (
            "status",
            prog(|c| {
                let code: i32 = c.argv.get(1).map(|a| a.parse().unwrap()).unwrap_or(0);
                code
            }),
        ),
        ("sleep", prog(|_| 0)),
        ("crash", prog(|_| -11)),
        (
            "pwd-ext",
            prog(|c| {
                let cwd = c.cwd.clone();
                c.out(&format!("{cwd}\n"));
                0
            }),
        ),
        (
            "errmsg",
            prog(|c| {
                let msg = c.argv[1..].join(" ");
                c.out(&format!("out:{msg}\n"));
                c.err(&format!("err:{msg}\n"));
                0
            }),
        ),
        (
            "ls",
            prog(|c| {
                let dir = c.argv.get(1).map(|d| c.abs(d)).unwrap_or(c.cwd.clone());
                match c.os.read_dir(&dir) {
                    Ok(mut names) => {
                        names.sort();
                        for n in names {
                            c.out(&format!("{n}\n"));
                        }
                        0
                    }
                    Err(e) => {
                        c.err(&format!("ls: {dir}: {e}\n"));
                        2
                    }
                }
            }),
        ),
        (
            "fds",
            prog(|c| {
                // Describe this process's descriptors.
                let w = c.os.world.borrow();
                let s: Vec<String> =
                    w.procs[&c.os.pid].fds.iter().map(|(k, o): (&u32, &Obj)| format!("{k}={}", o.describe())).collect();
                drop(w);
                let line = format!("{}\n", s.join(" "));
                c.out(&line);
                0
            }),
        ),
        (
            "sh",
            prog(|c| {
                let os = c.os.clone();
                let mut sh = Shell::new(os, &c.env, ShellConfig::default());
                let argv = c.argv.clone();
                sh.main(&argv)
            }),
        ),
    ]
}

/// What a running mock program gets: its OS handle, arguments, environment
/// and working directory.
pub struct Ctx {
    pub os: MockOs,
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
}

impl Ctx {
    pub fn read_fd_all(&mut self, fd: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            match self.os.read(fd, &mut buf) {
                Ok(0) | Err(_) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    }
    pub fn stdin(&mut self) -> String {
        String::from_utf8(self.read_fd_all(0)).unwrap()
    }
    pub fn write(&mut self, fd: u32, s: &str) {
        let _ = self.os.write(fd, s.as_bytes());
    }
    pub fn out(&mut self, s: &str) {
        self.write(1, s);
    }
    pub fn err(&mut self, s: &str) {
        self.write(2, s);
    }
    pub fn abs(&self, p: &str) -> String {
        if p.starts_with('/') { p.to_string() } else { format!("{}/{}", self.cwd.trim_end_matches('/'), p) }
    }
    /// Input: the named files, or standard input.
    pub fn input(&mut self) -> Result<String, String> {
        let files: Vec<String> = self.argv[1..].iter().filter(|a| !a.starts_with('-')).cloned().collect();
        if files.is_empty() {
            return Ok(self.stdin());
        }
        let mut s = String::new();
        for f in files {
            let path = self.abs(&f);
            match self.os.open(&path, OpenMode::Read) {
                Ok(fd) => {
                    s.push_str(&String::from_utf8(self.read_fd_all(fd)).unwrap());
                    let _ = self.os.close(fd);
                }
                Err(e) => return Err(format!("{}: {f}: {e}\n", self.argv[0])),
            }
        }
        Ok(s)
    }
}
