//! Programs that change the file tree: `cp`, `mv`, `rm`, `mkdir`,
//! `rmdir`, `touch`, `ln`, `chmod`.

use super::{Out, base, err, err_on, join, parse};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use coreutils::args::Spec;
use rampart_libos::fs::{self, Timespec};
use rampart_libos::io::{Read, Write};
use rampart_libos::{Error, ErrorKind};

fn is_dir(p: &str) -> bool {
    fs::metadata(p).map(|m| m.is_dir()).unwrap_or(false)
}

/// Splits operands into sources and a destination; `dest` is a directory
/// to put them in when it exists as one or there are several sources.
fn sources_and_dest<'a>(prog: &str, ops: &'a [String]) -> Option<(&'a [String], &'a str, bool)> {
    match ops {
        [] => {
            err(prog, "missing file operand");
            None
        }
        [one] => {
            err(prog, &format!("missing destination file operand after '{one}'"));
            None
        }
        [srcs @ .., dest] => {
            let into = is_dir(dest);
            if srcs.len() > 1 && !into {
                err(prog, &format!("target '{dest}' is not a directory"));
                return None;
            }
            Some((srcs, dest, into))
        }
    }
}

fn copy_file(src: &str, dst: &str, mode: u32) -> Result<(), Error> {
    let mut from = fs::File::open(src)?;
    let mut to = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode & 0o7777).open(dst)?;
    let mut buf = alloc::vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(&buf[..n])?;
    }
}

struct Cp {
    recursive: bool,
    verbose: bool,
    no_clobber: bool,
    status: i32,
    out: Out,
}

impl Cp {
    fn copy(&mut self, src: &str, dst: &str, top: bool) {
        // `-r` copies symbolic links as links; otherwise they are followed.
        let meta = if self.recursive && !top { fs::symlink_metadata(src) } else { fs::metadata(src) };
        let m = match meta {
            Ok(m) => m,
            Err(e) => return self.fail(&format!("cannot stat '{src}'"), &e),
        };
        if self.no_clobber && fs::symlink_metadata(dst).is_ok() {
            return;
        }
        if m.is_symlink() {
            let r = fs::read_link(src).and_then(|t| {
                let _ = fs::remove_file(dst);
                fs::symlink(&t, dst)
            });
            if let Err(e) = r {
                return self.fail(&format!("cannot create symbolic link '{dst}'"), &e);
            }
        } else if m.is_dir() {
            if !self.recursive {
                err("cp", &format!("-r not specified; omitting directory '{src}'"));
                self.status = 1;
                return;
            }
            let (s, d) = (
                fs::canonicalize(src).unwrap_or_default(),
                rampart_libos::path::absolute(&rampart_libos::env::current_dir(), dst),
            );
            if d == s || d.starts_with(&format!("{s}/")) {
                err("cp", &format!("cannot copy a directory, '{src}', into itself, '{dst}'"));
                self.status = 1;
                return;
            }
            if let Err(e) = fs::create_dir(dst)
                && (e.kind() != ErrorKind::AlreadyExists || !is_dir(dst))
            {
                return self.fail(&format!("cannot create directory '{dst}'"), &e);
            }
            match fs::read_dir(src) {
                Ok(mut v) => {
                    v.sort_by(|a, b| a.file_name().cmp(b.file_name()));
                    for e in v {
                        self.copy(&join(src, e.file_name()), &join(dst, e.file_name()), false);
                    }
                }
                Err(e) => return self.fail(&format!("cannot open directory '{src}'"), &e),
            }
        } else if let Err(e) = copy_file(src, dst, m.mode()) {
            return self.fail(&format!("cannot copy '{src}' to '{dst}'"), &e);
        }
        if self.verbose {
            self.out.line(&format!("'{src}' -> '{dst}'"));
        }
    }

    fn fail(&mut self, what: &str, e: &Error) {
        err_on("cp", what, e);
        self.status = 1;
    }
}

/// `cp [-r|-R] [-f] [-n] [-v] SOURCE... DEST`
pub fn cp(args: &[String]) -> i32 {
    let spec = Spec {
        short: "rRafnvpP",
        long: &[("recursive", 'r'), ("force", 'f'), ("no-clobber", 'n'), ("verbose", 'v'), ("archive", 'a')],
        stop_at_operand: false,
    };
    let a = match parse("cp", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let Some((srcs, dest, into)) = sources_and_dest("cp", &a.operands) else { return 1 };
    let mut c = Cp {
        recursive: a.has('r') || a.has('R') || a.has('a'),
        verbose: a.has('v'),
        no_clobber: a.has('n'),
        status: 0,
        out: Out::new(),
    };
    for s in srcs {
        let d = if into { join(dest, base(s)) } else { dest.into() };
        c.copy(s, &d, true);
    }
    c.status
}

/// `mv [-f] [-n] [-v] SOURCE... DEST`
pub fn mv(args: &[String]) -> i32 {
    let spec =
        Spec { short: "fniv", long: &[("force", 'f'), ("no-clobber", 'n'), ("verbose", 'v')], stop_at_operand: false };
    let a = match parse("mv", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let Some((srcs, dest, into)) = sources_and_dest("mv", &a.operands) else { return 1 };
    let mut status = 0;
    let mut out = Out::new();
    for s in srcs {
        let d = if into { join(dest, base(s)) } else { String::from(dest) };
        if a.has('n') && fs::symlink_metadata(&d).is_ok() {
            continue;
        }
        match fs::rename(s, &d) {
            Ok(()) if a.has('v') => out.line(&format!("renamed '{s}' -> '{d}'")),
            Ok(()) => {}
            Err(e) => {
                err_on("mv", &format!("cannot move '{s}' to '{d}'"), &e);
                status = 1;
            }
        }
    }
    status
}

struct Rm {
    recursive: bool,
    force: bool,
    dirs: bool,
    verbose: bool,
    status: i32,
    out: Out,
}

impl Rm {
    fn remove(&mut self, p: &str) {
        let m = match fs::symlink_metadata(p) {
            Ok(m) => m,
            Err(e) => {
                if !(self.force && e.kind() == ErrorKind::NotFound) {
                    self.fail(p, &e);
                }
                return;
            }
        };
        if m.is_dir() {
            if self.recursive {
                match fs::read_dir(p) {
                    Ok(v) => {
                        for e in v {
                            self.remove(&join(p, e.file_name()));
                        }
                    }
                    Err(e) => return self.fail(p, &e),
                }
            } else if !self.dirs {
                err("rm", &format!("cannot remove '{p}': Is a directory"));
                self.status = 1;
                return;
            }
            match fs::remove_dir(p) {
                Ok(()) if self.verbose => self.out.line(&format!("removed directory '{p}'")),
                Ok(()) => {}
                Err(e) => self.fail(p, &e),
            }
        } else {
            match fs::remove_file(p) {
                Ok(()) if self.verbose => self.out.line(&format!("removed '{p}'")),
                Ok(()) => {}
                Err(e) => self.fail(p, &e),
            }
        }
    }

    fn fail(&mut self, p: &str, e: &Error) {
        err_on("rm", &format!("cannot remove '{p}'"), e);
        self.status = 1;
    }
}

/// `rm [-r|-R] [-f] [-d] [-v] FILE...`
pub fn rm(args: &[String]) -> i32 {
    let spec = Spec {
        short: "rRfdiv",
        long: &[("recursive", 'r'), ("force", 'f'), ("dir", 'd'), ("verbose", 'v')],
        stop_at_operand: false,
    };
    let a = match parse("rm", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.is_empty() && !a.has('f') {
        err("rm", "missing operand");
        return 1;
    }
    let mut r = Rm {
        recursive: a.has('r') || a.has('R'),
        force: a.has('f'),
        dirs: a.has('d'),
        verbose: a.has('v'),
        status: 0,
        out: Out::new(),
    };
    for p in &a.operands {
        let b = base(p);
        if r.recursive && (rampart_libos::path::absolute(&rampart_libos::env::current_dir(), p) == "/") {
            err("rm", "it is dangerous to operate recursively on '/'");
            r.status = 1;
            continue;
        }
        if b == "." || b == ".." {
            err("rm", &format!("refusing to remove '.' or '..' directory: skipping '{p}'"));
            r.status = 1;
            continue;
        }
        r.remove(p);
    }
    r.status
}

/// `mkdir [-p] [-m MODE] [-v] DIR...`
pub fn mkdir(args: &[String]) -> i32 {
    let spec =
        Spec { short: "pm:v", long: &[("parents", 'p'), ("mode=", 'm'), ("verbose", 'v')], stop_at_operand: false };
    let a = match parse("mkdir", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.is_empty() {
        err("mkdir", "missing operand");
        return 1;
    }
    let mode = match a.value('m').map(|m| coreutils::misc::parse_mode(m, 0o755, true)) {
        Some(None) => {
            err("mkdir", &format!("invalid mode '{}'", a.value('m').unwrap_or("")));
            return 1;
        }
        Some(m) => m,
        None => None,
    };
    let mut status = 0;
    let mut out = Out::new();
    for d in &a.operands {
        let r = if a.has('p') { fs::create_dir_all(d) } else { fs::create_dir(d) };
        match r.and_then(|()| mode.map_or(Ok(()), |m| fs::set_permissions(d, m))) {
            Ok(()) if a.has('v') => out.line(&format!("mkdir: created directory '{d}'")),
            Ok(()) => {}
            Err(e) => {
                err_on("mkdir", &format!("cannot create directory '{d}'"), &e);
                status = 1;
            }
        }
    }
    status
}

/// `rmdir [-p] [-v] DIR...`
pub fn rmdir(args: &[String]) -> i32 {
    let spec = Spec { short: "pv", long: &[("parents", 'p'), ("verbose", 'v')], stop_at_operand: false };
    let a = match parse("rmdir", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.is_empty() {
        err("rmdir", "missing operand");
        return 1;
    }
    let mut status = 0;
    let mut out = Out::new();
    for d in &a.operands {
        let mut cur = String::from(d.trim_end_matches('/'));
        loop {
            if let Err(e) = fs::remove_dir(&cur) {
                err_on("rmdir", &format!("failed to remove '{cur}'"), &e);
                status = 1;
                break;
            }
            if a.has('v') {
                out.line(&format!("rmdir: removing directory, '{cur}'"));
            }
            match cur.rfind('/') {
                Some(i) if a.has('p') && i > 0 => cur.truncate(i),
                _ => break,
            }
        }
    }
    status
}

/// `touch [-c] [-a] [-m] [-d SECONDS|-t SECONDS] FILE...`: creates missing
/// files, sets times to now (or `@SECONDS` / `SECONDS` since the epoch).
pub fn touch(args: &[String]) -> i32 {
    let spec = Spec { short: "camd:t:", long: &[("no-create", 'c'), ("date=", 'd')], stop_at_operand: false };
    let a = match parse("touch", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.is_empty() {
        err("touch", "missing file operand");
        return 1;
    }
    let when = match a.value('d').or(a.value('t')) {
        Some(v) => match v.trim_start_matches('@').parse::<i64>() {
            Ok(s) => Timespec { sec: s, nsec: 0 },
            Err(_) => {
                err("touch", &format!("invalid date format '{v}' (seconds since the epoch, e.g. @1767225600)"));
                return 1;
            }
        },
        None => Timespec { sec: super::now(), nsec: 0 },
    };
    let (only_a, only_m) = (a.has('a') && !a.has('m'), a.has('m') && !a.has('a'));
    let mut status = 0;
    for f in &a.operands {
        if fs::metadata(f).is_err() {
            if a.has('c') {
                continue;
            }
            if let Err(e) = fs::OpenOptions::new().write(true).create(true).open(f) {
                err_on("touch", &format!("cannot touch '{f}'"), &e);
                status = 1;
                continue;
            }
        }
        let at = (!only_m).then_some(when);
        let mt = (!only_a).then_some(when);
        if let Err(e) = fs::set_times(f, at, mt) {
            err_on("touch", &format!("setting times of '{f}'"), &e);
            status = 1;
        }
    }
    status
}

/// `ln [-s] [-f] [-v] TARGET [LINK]` or `ln [-s] TARGET... DIR`: hard
/// links (`link(2)`), or symbolic ones with `-s`.
pub fn ln(args: &[String]) -> i32 {
    let spec =
        Spec { short: "sfvn", long: &[("symbolic", 's'), ("force", 'f'), ("verbose", 'v')], stop_at_operand: false };
    let a = match parse("ln", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let pairs: Vec<(String, String)> = match a.operands.as_slice() {
        [] => {
            err("ln", "missing file operand");
            return 1;
        }
        [t] => alloc::vec![(t.clone(), String::from(base(t)))],
        [t, l] if !is_dir(l) => alloc::vec![(t.clone(), l.clone())],
        [ts @ .., dir] => {
            if !is_dir(dir) {
                err("ln", &format!("target '{dir}' is not a directory"));
                return 1;
            }
            ts.iter().map(|t| (t.clone(), join(dir, base(t)))).collect()
        }
    };
    let mut status = 0;
    let mut out = Out::new();
    for (t, l) in pairs {
        if a.has('f') {
            let _ = fs::remove_file(&l);
        }
        let (r, what, arrow) = if a.has('s') {
            (fs::symlink(&t, &l), "symbolic link", "->")
        } else {
            (fs::hard_link(&t, &l), "hard link", "=>")
        };
        match r {
            Ok(()) if a.has('v') => out.line(&format!("'{l}' {arrow} '{t}'")),
            Ok(()) => {}
            Err(e) if a.has('s') => {
                err_on("ln", &format!("failed to create {what} '{l}'"), &e);
                status = 1;
            }
            Err(e) => {
                // GNU's wording: "failed to create hard link 'B' => 'A'".
                err_on("ln", &format!("failed to create {what} '{l}' {arrow} '{t}'"), &e);
                status = 1;
            }
        }
    }
    status
}

/// `chmod [-R] [-v] MODE FILE...` (octal or symbolic modes).
pub fn chmod(args: &[String]) -> i32 {
    // A mode like `-w` looks like an option: take it as the mode when it
    // is the first operand-like word.
    let (mode_arg, rest): (Option<String>, Vec<String>) = match args.iter().position(|x| {
        x.len() > 1
            && x.starts_with('-')
            && x[1..].bytes().all(|b| matches!(b, b'r' | b'w' | b'x' | b'X' | b's' | b't'))
    }) {
        Some(i) if !args[..i].iter().any(|x| !x.starts_with('-')) => {
            let mut r = args.to_vec();
            let m = r.remove(i);
            (Some(m), r)
        }
        _ => (None, args.to_vec()),
    };
    let a = match parse(
        "chmod",
        &Spec { short: "Rv", long: &[("recursive", 'R'), ("verbose", 'v')], stop_at_operand: false },
        &rest,
        1,
    ) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let mut ops = a.operands.clone();
    let mode = match mode_arg {
        Some(m) => m,
        None if !ops.is_empty() => ops.remove(0),
        None => {
            err("chmod", "missing operand");
            return 1;
        }
    };
    if ops.is_empty() {
        err("chmod", &format!("missing operand after '{mode}'"));
        return 1;
    }
    let mut status = 0;
    let mut stack: Vec<String> = ops.into_iter().rev().collect();
    let mut out = Out::new();
    while let Some(f) = stack.pop() {
        let m = match fs::metadata(&f) {
            Ok(m) => m,
            Err(e) => {
                err_on("chmod", &format!("cannot access '{f}'"), &e);
                status = 1;
                continue;
            }
        };
        let Some(new) = coreutils::misc::parse_mode(&mode, m.mode(), m.is_dir()) else {
            err("chmod", &format!("invalid mode: '{mode}'"));
            return 1;
        };
        if let Err(e) = fs::set_permissions(&f, new) {
            err_on("chmod", &format!("changing permissions of '{f}'"), &e);
            status = 1;
        } else if a.has('v') {
            out.line(&format!("mode of '{f}' changed to {new:04o}"));
        }
        if a.has('R')
            && m.is_dir()
            && let Ok(v) = fs::read_dir(&f)
        {
            stack.extend(
                v.iter()
                    .rev()
                    .filter(|e| e.file_type() != Some(fs::FileType::Symlink))
                    .map(|e| join(&f, e.file_name())),
            );
        }
    }
    status
}
