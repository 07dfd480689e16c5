//! `grep`: lines matching basic, extended or fixed patterns
//! (`coreutils::pattern`), in files, standard input or (`-r`) trees.

use super::{Out, err, err_on, join, parse, read_input};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use coreutils::args::Spec;
use coreutils::pattern::{Dialect, MatchOptions, Matcher};
use coreutils::text as t;
use rampart_libos::{Error, fs};

/// `grep [-EFGivclLnhHoqswxr] [-e PAT]... [-f FILE] [PAT] [FILE...]`:
/// status 0 if a line matched, 1 if none, 2 on errors.
pub fn grep(args: &[String]) -> i32 {
    let spec = Spec {
        short: "EFGivclLnhHoqswxrRe:f:",
        long: &[
            ("extended-regexp", 'E'),
            ("fixed-strings", 'F'),
            ("basic-regexp", 'G'),
            ("ignore-case", 'i'),
            ("invert-match", 'v'),
            ("count", 'c'),
            ("files-with-matches", 'l'),
            ("files-without-match", 'L'),
            ("line-number", 'n'),
            ("no-filename", 'h'),
            ("with-filename", 'H'),
            ("only-matching", 'o'),
            ("quiet", 'q'),
            ("silent", 'q'),
            ("no-messages", 's'),
            ("word-regexp", 'w'),
            ("line-regexp", 'x'),
            ("recursive", 'r'),
            ("regexp=", 'e'),
            ("file=", 'f'),
        ],
        stop_at_operand: false,
    };
    let mut a = match parse("grep", &spec, args, 2) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let mut patterns: Vec<String> = a.values('e').into_iter().map(String::from).collect();
    for f in a.values('f') {
        match read_input(f) {
            Ok(d) => patterns.extend(t::lines(&d).iter().map(|l| String::from_utf8_lossy(l).into_owned())),
            Err(e) => {
                err_on("grep", f, &e);
                return 2;
            }
        }
    }
    if !a.has('e') && !a.has('f') {
        if a.operands.is_empty() {
            err("grep", "usage: grep [OPTION]... PATTERNS [FILE]...");
            return 2;
        }
        patterns.push(a.operands.remove(0));
    }
    let dialect = match a.last_of("EFG") {
        Some('E') => Dialect::Extended,
        Some('F') => Dialect::Fixed,
        _ => Dialect::Basic,
    };
    let o = MatchOptions { dialect, ignore_case: a.has('i'), word: a.has('w'), line: a.has('x') };
    let m = match Matcher::new(&patterns, &o) {
        Ok(m) => m,
        Err(e) => {
            err("grep", &e);
            return 2;
        }
    };
    let recursive = a.has('r') || a.has('R');
    let mut files = a.operands.clone();
    if files.is_empty() {
        files.push(if recursive { ".".into() } else { "-".into() });
    }
    let mut g = Grep {
        m,
        a: &a,
        names: a.has('H') || (files.len() > 1 || recursive) && !a.has('h'),
        out: Out::new(),
        matched: false,
        errors: false,
    };
    for f in &files {
        g.path(f, recursive, true);
        if g.matched && a.has('q') {
            return 0;
        }
    }
    if g.errors && !(a.has('q') && g.matched) { 2 } else { i32::from(!g.matched) }
}

struct Grep<'a> {
    m: Matcher,
    a: &'a coreutils::args::Args,
    names: bool,
    out: Out,
    matched: bool,
    errors: bool,
}

impl Grep<'_> {
    fn path(&mut self, f: &str, recursive: bool, top: bool) {
        if recursive && f != "-" {
            let is_dir =
                if top { fs::metadata(f) } else { fs::symlink_metadata(f) }.map(|m| m.is_dir()).unwrap_or(false);
            if is_dir {
                match fs::read_dir(f) {
                    Ok(mut v) => {
                        v.sort_by(|x, y| x.file_name().cmp(y.file_name()));
                        for e in v {
                            self.path(&join(f, e.file_name()), true, false);
                        }
                    }
                    Err(e) => self.error(f, &e),
                }
                return;
            }
        }
        match read_input(f) {
            Ok(d) => self.data(if f == "-" { "(standard input)" } else { f }, &d),
            Err(e) if e.errno() == rampart_uabi::Errno::EISDIR => {
                if !self.a.has('s') {
                    err("grep", &format!("{f}: Is a directory"));
                }
            }
            Err(e) => self.error(f, &e),
        }
    }

    fn error(&mut self, f: &str, e: &Error) {
        self.errors = true;
        if !self.a.has('s') {
            err_on("grep", f, e);
        }
    }

    fn data(&mut self, name: &str, d: &[u8]) {
        let a = self.a;
        let (invert, count, quiet) = (a.has('v'), a.has('c'), a.has('q'));
        let mut n = 0u64;
        for (i, line) in t::lines(d).into_iter().enumerate() {
            if self.m.is_match(line) == invert {
                continue;
            }
            n += 1;
            if quiet || count || a.has('l') || a.has('L') {
                if quiet || a.has('l') || a.has('L') {
                    break;
                }
                continue;
            }
            let prefix = |out: &mut Out| {
                if self.names {
                    out.str(name);
                    out.str(":");
                }
                if a.has('n') {
                    out.str(&format!("{}:", i + 1));
                }
            };
            if a.has('o') && !invert {
                for (s, e) in self.m.find_all(line) {
                    prefix(&mut self.out);
                    self.out.bytes(&line[s..e]);
                    self.out.bytes(b"\n");
                }
            } else {
                prefix(&mut self.out);
                self.out.bytes(line);
                self.out.bytes(b"\n");
            }
        }
        if n > 0 {
            self.matched = true;
        }
        if count && !quiet {
            if self.names {
                self.out.str(&format!("{name}:"));
            }
            self.out.line(&n.to_string());
        }
        if a.has('l') && n > 0 && !quiet || a.has('L') && n == 0 {
            self.out.line(name);
        }
    }
}
