//! Programs that inspect the file tree: `find`, `stat`, `df`, `du`; and
//! `chown`/`chgrp`, which change owners.

use super::{Out, err, err_on, id_db, join, parse};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use coreutils::args::Spec;
use coreutils::findexpr::{self, Entry, Query};
use coreutils::report::{self, DfRow, StatInfo, id_name, name_id};
use rampart_libos::fs::{self, FileType};

fn kind_char(t: FileType) -> char {
    match t {
        FileType::File => 'f',
        FileType::Dir => 'd',
        FileType::Symlink => 'l',
        FileType::CharDev => 'c',
        FileType::BlockDev => 'b',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
    }
}

struct Find {
    q: Query,
    follow: bool,
    out: Out,
    status: i32,
}

impl Find {
    fn visit(&mut self, path: &str, name: &str, depth: usize) {
        let m = match if self.follow || depth == 0 { fs::metadata(path) } else { fs::symlink_metadata(path) } {
            Ok(m) => m,
            Err(e) => {
                err_on("find", &format!("'{path}'"), &e);
                self.status = 1;
                return;
            }
        };
        let kind = kind_char(m.file_type());
        let children = if kind == 'd' && self.q.max_depth.is_none_or(|d| depth < d) {
            match fs::read_dir(path) {
                Ok(mut v) => {
                    v.sort_by(|a, b| a.file_name().cmp(b.file_name()));
                    Some(v)
                }
                Err(e) => {
                    err_on("find", &format!("'{path}'"), &e);
                    self.status = 1;
                    None
                }
            }
        } else {
            None
        };
        if depth >= self.q.min_depth {
            let mut e = Entry { path: path.into(), name: name.into(), kind, size: m.len(), ..Default::default() };
            if self.q.expr.uses_empty() {
                e.empty = match kind {
                    'd' => children
                        .as_ref()
                        .map_or_else(|| fs::read_dir(path).map(|v| v.is_empty()).unwrap_or(false), Vec::is_empty),
                    'f' => m.is_empty(),
                    _ => false,
                };
            }
            if self.q.expr.uses_context() {
                e.context = fs::security_context(path).ok();
            }
            let out = &mut self.out;
            let hit = self.q.expr.eval(&e, &mut |x| out.line(&x.path));
            if hit && !self.q.prints {
                self.out.line(path);
            }
        }
        for c in children.unwrap_or_default() {
            self.visit(&join(path, c.file_name()), c.file_name(), depth + 1);
        }
    }
}

/// `find [-L] [PATH...] [EXPRESSION]` (see `coreutils::findexpr`).
pub fn find(args: &[String]) -> i32 {
    let mut args = args.to_vec();
    let follow = args.first().is_some_and(|a| a == "-L");
    if follow || args.first().is_some_and(|a| a == "-P") {
        args.remove(0);
    }
    let split =
        args.iter().position(|a| a.starts_with('-') && a.len() > 1 || a == "!" || a == "(").unwrap_or(args.len());
    let (paths, expr) = args.split_at(split);
    let q = match findexpr::parse(expr) {
        Ok(q) => q,
        Err(e) => {
            err("find", &e);
            return 1;
        }
    };
    let mut f = Find { q, follow, out: Out::new(), status: 0 };
    let paths: Vec<String> = if paths.is_empty() { alloc::vec![".".into()] } else { paths.to_vec() };
    for p in &paths {
        f.visit(p, p, 0);
    }
    f.status
}

/// `stat [-L] [-c FORMAT] FILE...`
pub fn stat(args: &[String]) -> i32 {
    let spec = Spec { short: "Lc:", long: &[("dereference", 'L'), ("format=", 'c')], stop_at_operand: false };
    let a = match parse("stat", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.is_empty() {
        err("stat", "missing operand");
        return 1;
    }
    let (passwd, group) = id_db();
    let mut out = Out::new();
    let mut status = 0;
    for f in &a.operands {
        let m = match if a.has('L') { fs::metadata(f) } else { fs::symlink_metadata(f) } {
            Ok(m) => m,
            Err(e) => {
                err_on("stat", &format!("cannot stat '{f}'"), &e);
                status = 1;
                continue;
            }
        };
        let s = m.0;
        let t = |x: fs::Timespec| (x.sec, x.nsec);
        let info = StatInfo {
            name: f.clone(),
            link: if m.is_symlink() { fs::read_link(f).ok() } else { None },
            size: s.size,
            blocks: s.blocks,
            blksize: s.blksize,
            mode: s.mode,
            ino: s.ino,
            nlink: s.nlink,
            uid: (s.uid, id_name(&passwd, s.uid).unwrap_or_else(|| "UNKNOWN".into())),
            gid: (s.gid, id_name(&group, s.gid).unwrap_or_else(|| "UNKNOWN".into())),
            context: fs::security_context(f).ok(),
            times: [t(s.atime), t(s.mtime), t(s.ctime)],
            btime: s.btime.map(t),
        };
        match a.value('c') {
            Some(fmt) => out.line(&report::stat_format(fmt, &info)),
            None => out.str(&report::stat_block(&info)),
        }
    }
    status
}

/// `df [-h] [-i] [PATH...]`: the root file system (the only one mounted).
pub fn df(args: &[String]) -> i32 {
    let spec = Spec { short: "hikT", long: &[("human-readable", 'h'), ("inodes", 'i')], stop_at_operand: false };
    let a = match parse("df", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    for p in &a.operands {
        if let Err(e) = fs::metadata(p) {
            err_on("df", p, &e);
            return 1;
        }
    }
    match fs::statfs() {
        Ok(s) => {
            let row = DfRow {
                source: "/dev/blk0".into(),
                target: "/".into(),
                bsize: u64::from(s.bsize),
                blocks: (s.blocks, s.bfree, s.bavail),
                inodes: (s.files, s.ffree),
            };
            let mut out = Out::new();
            for l in report::df_table(&[row], a.has('h'), a.has('i')) {
                out.line(&l);
            }
            0
        }
        Err(e) => {
            err_on("df", "/", &e);
            1
        }
    }
}

struct Du {
    all: bool,
    summary: bool,
    human: bool,
    max_depth: Option<usize>,
    out: Out,
    status: i32,
}

impl Du {
    /// Storage of `path` and everything below it, in bytes.
    fn walk(&mut self, path: &str, depth: usize) -> u64 {
        let m = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                err_on("du", &format!("cannot access '{path}'"), &e);
                self.status = 1;
                return 0;
            }
        };
        let mut total = m.0.blocks * 512;
        if m.is_dir() {
            match fs::read_dir(path) {
                Ok(mut v) => {
                    v.sort_by(|a, b| a.file_name().cmp(b.file_name()));
                    for e in v {
                        total += self.walk(&join(path, e.file_name()), depth + 1);
                    }
                }
                Err(e) => {
                    err_on("du", &format!("cannot read directory '{path}'"), &e);
                    self.status = 1;
                }
            }
        }
        let shown =
            depth == 0 || !self.summary && (m.is_dir() || self.all) && self.max_depth.is_none_or(|d| depth <= d);
        if shown {
            let size = if self.human { coreutils::fmt::human(total) } else { total.div_ceil(1024).to_string() };
            self.out.line(&format!("{size}\t{path}"));
        }
        total
    }
}

/// `du [-a] [-s] [-h] [-c] [-d N] [PATH...]`: storage in KiB.
pub fn du(args: &[String]) -> i32 {
    let spec = Spec {
        short: "ashcd:k",
        long: &[("all", 'a'), ("summarize", 's'), ("human-readable", 'h'), ("total", 'c'), ("max-depth=", 'd')],
        stop_at_operand: false,
    };
    let a = match parse("du", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let max_depth = match a.value('d').map(str::parse::<usize>) {
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            err("du", "invalid maximum depth");
            return 1;
        }
        None => None,
    };
    let mut d = Du { all: a.has('a'), summary: a.has('s'), human: a.has('h'), max_depth, out: Out::new(), status: 0 };
    let paths = if a.operands.is_empty() { alloc::vec![String::from(".")] } else { a.operands.clone() };
    let mut grand = 0;
    for p in &paths {
        grand += d.walk(p, 0);
    }
    if a.has('c') {
        let size = if d.human { coreutils::fmt::human(grand) } else { grand.div_ceil(1024).to_string() };
        d.out.line(&format!("{size}\ttotal"));
    }
    d.status
}

/// A user or group operand: a name in `db` or a number.
fn id_arg(db: &str, s: &str) -> Option<u32> {
    name_id(db, s).or_else(|| s.parse().ok())
}

/// `chown [-h] [-R] [-v] OWNER[:GROUP] FILE...` and `chgrp [-h] [-R] [-v]
/// GROUP FILE...` (`prog` says which): names from `/etc/passwd` and
/// `/etc/group` or numbers; `-h` changes a symbolic link itself. The file server decides: only uid 0 gives files away; an
/// owner may change a file's group to one of their own
/// ("Operation not permitted" otherwise).
pub fn chown(prog: &str, args: &[String]) -> i32 {
    let spec = Spec {
        short: "hRv",
        long: &[("no-dereference", 'h'), ("recursive", 'R'), ("verbose", 'v')],
        stop_at_operand: false,
    };
    let a = match parse(prog, &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let [spec, files @ ..] = a.operands.as_slice() else {
        err(prog, "missing operand");
        return 1;
    };
    if files.is_empty() {
        err(prog, &format!("missing operand after '{spec}'"));
        return 1;
    }
    let (passwd, group) = id_db();
    let (user, grp) = match (prog, spec.split_once(':')) {
        ("chgrp", _) => (None, Some(spec.as_str())),
        (_, Some((u, g))) => ((!u.is_empty()).then_some(u), (!g.is_empty()).then_some(g)),
        (_, None) => (Some(spec.as_str()), None),
    };
    let uid = match user.map(|u| id_arg(&passwd, u).ok_or(u)).transpose() {
        Ok(u) => u,
        Err(u) => {
            err(prog, &format!("invalid user: '{u}'"));
            return 1;
        }
    };
    let gid = match grp.map(|g| id_arg(&group, g).ok_or(g)).transpose() {
        Ok(g) => g,
        Err(g) => {
            err(prog, &format!("invalid group: '{g}'"));
            return 1;
        }
    };
    let mut status = 0;
    let mut stack: Vec<String> = files.iter().rev().cloned().collect();
    let mut out = Out::new();
    while let Some(f) = stack.pop() {
        let r = if a.has('h') { fs::lchown(&f, uid, gid) } else { fs::chown(&f, uid, gid) };
        if let Err(e) = r {
            err_on(prog, &format!("changing ownership of '{f}'"), &e);
            status = 1;
            continue;
        }
        if a.has('v') {
            out.line(&format!("ownership of '{f}' changed to {spec}"));
        }
        if a.has('R')
            && fs::symlink_metadata(&f).is_ok_and(|m| m.is_dir())
            && let Ok(v) = fs::read_dir(&f)
        {
            stack.extend(
                v.iter().rev().filter(|e| e.file_type() != Some(FileType::Symlink)).map(|e| join(&f, e.file_name())),
            );
        }
    }
    status
}
