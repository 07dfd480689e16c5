//! # coreutils — Rampart's everyday programs (host-testable logic)
//!
//! The programs (`ls`, `cat`, `cp`, `grep`, `ps`, the policy tools, ...)
//! are one multi-call binary, `/bin/coreutils`, dispatched on `argv[0]`
//! (every program name is a symbolic link to it in `/bin`; see
//! `src/main.rs` and docs/userland.md). This library holds the parts that
//! do not touch the system, so they are tested on the host:
//!
//! - [`args`]: the getopt-style parser every program uses;
//! - [`fmt`]: permission strings, sizes, dates, columns and tables;
//! - [`text`]: `wc` counts, `sort` and `uniq`, `head`/`tail`, escapes;
//! - [`pattern`]: `grep`'s basic/extended/fixed patterns;
//! - [`findexpr`]: `find`'s expressions;
//! - [`hexdump`]: `hexdump` lines;
//! - [`auditlog`]: the persistent audit log (auditd, `ausearch -if`);
//! - [`misc`]: durations, signals, contexts, audit filters, user names;
//! - [`ls`]: `ls` entries, sorting and long lines;
//! - [`report`]: `stat`, `df`, `du` and `ps` output;
//! - [`editor`]: the full-screen editor `edit` (keys, buffer, screen);
//! - [`stty`]: `stty`'s operands and its summary of the terminal.
//! - [`tr`], [`cut`], [`seq`], [`xargs`]: those programs' logic;
//! - [`digest`]: MD5 and SHA-2 checksums and the lines `-c` checks;
//! - [`tempname`]: `mktemp`'s templates;
//! - [`sysinfo`]: `free` and `uptime` output, `mount` device names.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod args;
pub mod auditlog;
pub mod cut;
pub mod digest;
pub mod editor;
pub mod findexpr;
pub mod fmt;
pub mod hexdump;
pub mod klog;
pub mod ls;
pub mod misc;
pub mod pattern;
pub mod report;
pub mod seq;
pub mod stty;
pub mod sysinfo;
pub mod tempname;
pub mod text;
pub mod tr;
pub mod xargs;

/// Every program name the binary answers to; `images` installs each as
/// `/bin/NAME`, a symbolic link to `/bin/coreutils`.
pub const PROGRAMS: &[&str] = &[
    "ls",
    "cat",
    "echo",
    "cp",
    "mv",
    "rm",
    "mkdir",
    "mktemp",
    "rmdir",
    "touch",
    "ln",
    "chmod",
    "chown",
    "chgrp",
    "head",
    "tail",
    "wc",
    "grep",
    "sort",
    "uniq",
    "find",
    "stat",
    "df",
    "du",
    "ps",
    "ipcs",
    "kill",
    "setsid",
    "id",
    "env",
    "sleep",
    "date",
    "uname",
    "hexdump",
    "clear",
    "edit",
    "reboot",
    "poweroff",
    "getenforce",
    "setenforce",
    "setsebool",
    "getsebool",
    "load_policy",
    "ausearch",
    "runcon",
    "chcon",
    "restorecon",
    "true",
    "false",
    "pwd",
    "basename",
    "dirname",
    "tee",
    "stty",
    "tr",
    "seq",
    "cut",
    "xargs",
    "which",
    "whoami",
    "hostname",
    "uptime",
    "dmesg",
    "free",
    "yes",
    "sync",
    "md5sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "mount",
    "umount",
];

/// The program a command line names: the last component of `argv[0]`, or,
/// when that is not a program (`/bin/coreutils ls -l`, or a copy of the
/// binary under another name), `argv[1]`. Returns the name and how many
/// leading words to drop (the rest are its arguments after `argv[0]`).
pub fn program_name(argv: &[alloc::string::String]) -> Option<(&str, usize)> {
    if let Some(a) = argv.first() {
        let base = a.rsplit('/').next().unwrap_or(a);
        if PROGRAMS.contains(&base) {
            return Some((base, 0));
        }
    }
    let second = argv.get(1)?;
    PROGRAMS.contains(&second.as_str()).then_some((second.as_str(), 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    fn v(s: &[&str]) -> Vec<alloc::string::String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn dispatch_on_argv0_or_argv1() {
        assert_eq!(program_name(&v(&["ls", "-l"])), Some(("ls", 0)));
        assert_eq!(program_name(&v(&["/bin/grep", "x"])), Some(("grep", 0)));
        assert_eq!(program_name(&v(&["/bin/coreutils", "wc", "-l"])), Some(("wc", 1)));
        assert_eq!(program_name(&v(&["polc", "id", "-Z"])), Some(("id", 1)));
        assert_eq!(program_name(&v(&["coreutils"])), None);
        assert_eq!(program_name(&v(&["coreutils", "nosuch"])), None);
        assert_eq!(program_name(&[]), None);
    }

    #[test]
    fn names_are_unique_and_plain() {
        for (i, p) in PROGRAMS.iter().enumerate() {
            assert!(!PROGRAMS[..i].contains(p), "{p} twice");
            assert!(p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'), "{p}");
        }
    }
}
