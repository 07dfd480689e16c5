//! `ls [-laAdZhinrtSU1FR] [FILE...]`

use super::{Out, err_on, id_db, join, now, parse};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use coreutils::args::{Args, Spec};
use coreutils::ls::{self as l, Entry, LongOptions, SortBy};
use coreutils::report::id_name;
use rampart_libos::{fs, io};

const SPEC: Spec = Spec {
    short: "laAdZhinrtSUf1FR",
    long: &[
        ("all", 'a'),
        ("almost-all", 'A'),
        ("directory", 'd'),
        ("context", 'Z'),
        ("human-readable", 'h'),
        ("inode", 'i'),
        ("numeric-uid-gid", 'n'),
        ("reverse", 'r'),
        ("classify", 'F'),
        ("recursive", 'R'),
    ],
    stop_at_operand: false,
};

struct Ls {
    a: Args,
    long: bool,
    context: bool,
    columns: bool,
    sort: SortBy,
    passwd: String,
    group: String,
    now: i64,
    out: Out,
    status: i32,
}

fn entry(path: &str, name: &str, follow: bool, want_context: bool) -> rampart_libos::Result<Entry> {
    let m = if follow { fs::metadata(path) } else { fs::symlink_metadata(path) }?;
    let s = m.0;
    let mut e = Entry {
        name: name.into(),
        mode: s.mode,
        nlink: s.nlink,
        uid: s.uid,
        gid: s.gid,
        size: s.size,
        blocks: s.blocks,
        ino: s.ino,
        mtime: s.mtime.sec,
        ..Default::default()
    };
    if want_context {
        e.context = fs::security_context(path).ok();
    }
    if m.is_symlink() {
        e.link = fs::read_link(path).ok();
    }
    Ok(e)
}

impl Ls {
    fn print(&mut self, entries: &mut [Entry]) {
        l::sort(entries, self.sort, self.a.has('r'));
        if self.long {
            let o = LongOptions {
                context: self.context,
                human: self.a.has('h'),
                inode: self.a.has('i'),
                numeric: self.a.has('n'),
            };
            let (p, g) = (&self.passwd, &self.group);
            let users = |id: u32| id_name(p, id);
            let groups = |id: u32| id_name(g, id);
            let indicator = self.a.has('F');
            if indicator {
                for e in entries.iter_mut() {
                    e.name.push_str(l::classify(e.mode));
                }
            }
            for line in l::long_lines(entries, &o, &users, &groups, self.now) {
                self.out.line(&line);
            }
            return;
        }
        let names: Vec<String> = entries.iter().map(|e| l::short_name(e, self.context, self.a.has('F'))).collect();
        if self.columns {
            // `$COLUMNS`, else the terminal's width (columns are only
            // used on a terminal).
            let tty = rampart_libos::io::terminal_size(1).map_or(80, |s| usize::from(s.cols));
            let width = rampart_libos::env::var("COLUMNS").and_then(|c| c.parse().ok()).unwrap_or(tty);
            for line in coreutils::fmt::columns(&names, width) {
                self.out.line(&line);
            }
        } else {
            for n in names {
                self.out.line(&n);
            }
        }
    }

    fn list_dir(&mut self, dir: &str, header: bool, first: bool) {
        let ents = match fs::read_dir(dir) {
            Ok(v) => v,
            Err(e) => {
                err_on("ls", &format!("cannot open directory '{dir}'"), &e);
                self.status = 2;
                return;
            }
        };
        if header {
            self.out.line(&format!("{}{dir}:", if first { "" } else { "\n" }));
        }
        let (all, almost) = (self.a.has('a') || self.a.has('f'), self.a.has('A'));
        let mut names: Vec<String> =
            ents.iter().map(|e| String::from(e.file_name())).filter(|n| l::shown(n, all, almost)).collect();
        if all {
            names.push(".".into());
            names.push("..".into());
        }
        let need_stat = self.long || self.context || self.sort != SortBy::Name || self.a.has('F') || self.a.has('R');
        let mut list = Vec::new();
        for n in names {
            let p = join(dir, &n);
            if !need_stat {
                list.push(Entry { name: n, ..Default::default() });
                continue;
            }
            match entry(&p, &n, false, self.context) {
                Ok(e) => list.push(e),
                Err(e) => {
                    err_on("ls", &format!("cannot access '{p}'"), &e);
                    self.status = 1;
                }
            }
        }
        if self.long {
            self.out.line(&format!("total {}", l::total_kib(&list)));
        }
        self.print(&mut list);
        if self.a.has('R') {
            l::sort(&mut list, self.sort, self.a.has('r'));
            for e in list.iter().filter(|e| e.is_dir() && e.name != "." && e.name != "..") {
                let sub = join(dir, e.name.trim_end_matches('/'));
                self.list_dir(&sub, true, false);
            }
        }
    }
}

/// `ls`: directories' contents (`-d`: the directories themselves), long
/// format `-l`, contexts `-Z`, hidden names `-a`/`-A`.
pub fn ls(args: &[String]) -> i32 {
    let a = match parse("ls", &SPEC, args, 2) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let sort = if a.has('U') || a.has('f') {
        SortBy::None
    } else if a.has('t') {
        SortBy::Time
    } else if a.has('S') {
        SortBy::Size
    } else {
        SortBy::Name
    };
    let long = a.has('l') || a.has('n');
    let (passwd, group) = if long && !a.has('n') { id_db() } else { (String::new(), String::new()) };
    let mut ls = Ls {
        long,
        context: a.has('Z'),
        columns: !long && !a.has('1') && io::is_terminal(1),
        sort,
        passwd,
        group,
        now: now(),
        out: Out::new(),
        status: 0,
        a,
    };
    let mut ops = ls.a.operands.clone();
    if ops.is_empty() {
        ops.push(".".into());
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for p in &ops {
        // Operands follow symbolic links unless listed long (`ls -l link`
        // shows the link), as GNU does.
        match entry(p, p, !long, ls.context) {
            Ok(e) if e.is_dir() && !ls.a.has('d') => dirs.push(p.clone()),
            Ok(e) => files.push(e),
            Err(e) => {
                err_on("ls", &format!("cannot access '{p}'"), &e);
                ls.status = 2;
            }
        }
    }
    // `ls -l link-to-dir` lists the link; `ls link-to-dir` its contents.
    let had_files = !files.is_empty();
    ls.print(&mut files);
    let header = dirs.len() > 1 || had_files || ls.a.has('R') || ls.status != 0;
    let mut dirs_sorted: Vec<Entry> = dirs.iter().map(|d| Entry { name: d.clone(), ..Default::default() }).collect();
    l::sort(&mut dirs_sorted, SortBy::Name, ls.a.has('r'));
    for (i, d) in dirs_sorted.iter().enumerate() {
        ls.list_dir(&d.name, header, i == 0 && !had_files);
    }
    ls.status
}
