//! `ls`: what is known about each entry, the order of the listing, and the
//! lines of the long format (`-l`), with the security context (`-Z`) in the
//! column GNU `ls` uses for it.

use crate::fmt::{ls_time, mode_string, table};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cmp::Ordering;

/// One entry to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// The name as shown (an operand as given, or a name in a directory).
    pub name: String,
    /// Full mode (type and permission bits).
    pub mode: u32,
    /// Hard links.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes.
    pub size: u64,
    /// Storage in 512-byte units.
    pub blocks: u64,
    /// Inode number.
    pub ino: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: i64,
    /// Security context (`-Z`); `None` when it could not be read.
    pub context: Option<String>,
    /// Target of a symbolic link (`-l`).
    pub link: Option<String>,
    /// Major and minor number of a device node: `-l` shows them in place
    /// of the size (`1, 3`), as GNU `ls` does.
    pub dev: Option<(u32, u32)>,
}

impl Entry {
    /// A directory (by its mode).
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }
}

/// The order of a listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortBy {
    /// By name in byte order (the C locale).
    #[default]
    Name,
    /// Newest first (`-t`).
    Time,
    /// Largest first (`-S`).
    Size,
    /// As the directory returns them (`-U`, `-f`).
    None,
}

/// Sorts `entries` (`reverse`: `-r`); ties are broken by name.
pub fn sort(entries: &mut [Entry], by: SortBy, reverse: bool) {
    if by == SortBy::None {
        return;
    }
    entries.sort_by(|a, b| {
        let o = match by {
            SortBy::Time => b.mtime.cmp(&a.mtime),
            SortBy::Size => b.size.cmp(&a.size),
            _ => Ordering::Equal,
        }
        .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()));
        if reverse { o.reverse() } else { o }
    });
}

/// Whether a directory entry is listed: `-a` shows every name, `-A` all
/// but `.` and `..`, otherwise names starting with `.` are hidden.
pub fn shown(name: &str, all: bool, almost_all: bool) -> bool {
    if all {
        return true;
    }
    if almost_all {
        return name != "." && name != "..";
    }
    !name.starts_with('.')
}

/// What the long format shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct LongOptions {
    /// `-Z`: the security context column.
    pub context: bool,
    /// `-h`: sizes like `1.5K`.
    pub human: bool,
    /// `-i`: inode numbers first.
    pub inode: bool,
    /// `-n`: numeric user and group ids.
    pub numeric: bool,
}

/// The indicator `-F` appends: `/` directories, `@` links, `|` pipes,
/// `=` sockets, `*` executables.
pub fn classify(mode: u32) -> &'static str {
    match mode & 0o170000 {
        0o040000 => "/",
        0o120000 => "@",
        0o010000 => "|",
        0o140000 => "=",
        _ if mode & 0o111 != 0 => "*",
        _ => "",
    }
}

/// The `-l` lines for `entries` (already sorted), columns aligned;
/// `users`/`groups` name ids (`None`: print the number), `now` decides
/// between times and years.
pub fn long_lines(
    entries: &[Entry],
    o: &LongOptions,
    users: &dyn Fn(u32) -> Option<String>,
    groups: &dyn Fn(u32) -> Option<String>,
    now: i64,
) -> Vec<String> {
    let mut rows = Vec::new();
    let mut right = Vec::new();
    for e in entries {
        let mut r = Vec::new();
        if o.inode {
            r.push(e.ino.to_string());
        }
        r.push(mode_string(e.mode));
        r.push(e.nlink.to_string());
        let name_of = |id: u32, f: &dyn Fn(u32) -> Option<String>| {
            if o.numeric { id.to_string() } else { f(id).unwrap_or_else(|| id.to_string()) }
        };
        r.push(name_of(e.uid, users));
        r.push(name_of(e.gid, groups));
        if o.context {
            r.push(e.context.clone().unwrap_or_else(|| "?".into()));
        }
        r.push(match e.dev {
            Some((ma, mi)) => format!("{ma}, {mi}"),
            None if o.human => crate::fmt::human(e.size),
            None => e.size.to_string(),
        });
        r.push(ls_time(e.mtime, now));
        let mut name = e.name.clone();
        if let Some(t) = &e.link {
            name = format!("{name} -> {t}");
        }
        r.push(name);
        rows.push(r);
    }
    if o.inode {
        right.push(true);
    }
    right.extend([false, true, false, false]);
    if o.context {
        right.push(false);
    }
    right.extend([true, false, false]);
    table(&rows, &right)
}

/// `total N` of a long directory listing: the entries' storage in 1 KiB
/// units.
pub fn total_kib(entries: &[Entry]) -> u64 {
    entries.iter().map(|e| e.blocks).sum::<u64>().div_ceil(2)
}

/// The name as the short format shows it: with `-Z` the context first
/// (`user_u:object_r:user_home_t notes.txt`).
pub fn short_name(e: &Entry, context: bool, indicator: bool) -> String {
    let suffix = if indicator { classify(e.mode) } else { "" };
    if context {
        format!("{} {}{suffix}", e.context.as_deref().unwrap_or("?"), e.name)
    } else {
        format!("{}{suffix}", e.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn e(name: &str, mode: u32, size: u64, mtime: i64) -> Entry {
        Entry {
            name: name.into(),
            mode,
            nlink: 1,
            uid: 1000,
            gid: 1000,
            size,
            blocks: size.div_ceil(4096) * 8,
            mtime,
            ..Default::default()
        }
    }

    #[test]
    fn order() {
        let mut v = vec![e("b", 0o100644, 5, 10), e("a", 0o100644, 9, 5), e("C", 0o100644, 1, 20)];
        sort(&mut v, SortBy::Name, false);
        assert_eq!(v.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["C", "a", "b"]);
        sort(&mut v, SortBy::Time, false);
        assert_eq!(v.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["C", "b", "a"]);
        sort(&mut v, SortBy::Size, true);
        assert_eq!(v.iter().map(|x| x.name.as_str()).collect::<Vec<_>>(), ["C", "b", "a"]);
    }

    #[test]
    fn hidden_names() {
        assert!(!shown(".profile", false, false));
        assert!(shown(".profile", false, true) && !shown("..", false, true));
        assert!(shown("..", true, false));
        assert!(shown("notes", false, false));
    }

    #[test]
    fn long_format_with_contexts() {
        let t = 1_767_225_600;
        let mut f = e("notes.txt", 0o100644, 12, t);
        f.context = Some("user_u:object_r:user_home_t".into());
        let mut d = e("dir", 0o040755, 4096, t);
        d.nlink = 2;
        d.context = Some("user_u:object_r:user_home_t".into());
        let mut l = e("hello.link", 0o120777, 9, t);
        l.link = Some("hello.txt".into());
        let users = |u: u32| (u == 1000).then(|| "user".to_string());
        let o = LongOptions { context: true, ..Default::default() };
        let lines = long_lines(&[d, f, l], &o, &users, &users, t + 60);
        assert_eq!(
            lines,
            vec![
                "drwxr-xr-x 2 user user user_u:object_r:user_home_t 4096 Jan  1 00:00 dir",
                "-rw-r--r-- 1 user user user_u:object_r:user_home_t   12 Jan  1 00:00 notes.txt",
                "lrwxrwxrwx 1 user user ?                              9 Jan  1 00:00 hello.link -> hello.txt",
            ]
        );
        let plain = long_lines(
            &[e("x", 0o100755, 2048, t)],
            &LongOptions { human: true, numeric: true, ..Default::default() },
            &users,
            &users,
            t,
        );
        assert_eq!(plain, vec!["-rwxr-xr-x 1 1000 1000 2.0K Jan  1 00:00 x"]);
    }

    #[test]
    fn device_nodes_show_major_and_minor() {
        let t = 1_767_225_600;
        let mut null = e("null", 0o020666, 0, t);
        null.dev = Some((1, 3));
        let mut console = e("console", 0o020600, 0, t);
        console.dev = Some((5, 1));
        let users = |_| Some("root".to_string());
        let lines = long_lines(&[console, null], &LongOptions::default(), &users, &users, t);
        assert_eq!(
            lines,
            vec!["crw------- 1 root root 5, 1 Jan  1 00:00 console", "crw-rw-rw- 1 root root 1, 3 Jan  1 00:00 null"]
        );
    }

    #[test]
    fn short_forms_and_totals() {
        let mut f = e("a.sh", 0o100755, 10, 0);
        assert_eq!(short_name(&f, false, true), "a.sh*");
        f.context = Some("system_u:object_r:bin_t".into());
        assert_eq!(short_name(&f, true, false), "system_u:object_r:bin_t a.sh");
        assert_eq!(classify(0o040755), "/");
        assert_eq!(total_kib(&[e("a", 0o100644, 1, 0), e("b", 0o100644, 5000, 0)]), 12);
    }
}
