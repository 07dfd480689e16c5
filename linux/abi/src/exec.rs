//! How a program reaches the Linux personality's shim, and what a `#!`
//! line says (execve(2), "Interpreter scripts"; Linux
//! `fs/binfmt_script.c`).
//!
//! The shim is started as `linux [-0 ARGV0] [-F FD] PROGRAM [ARG...]`. The
//! library OS's spawn passes `-F FD` for every Linux program it starts:
//! the program's file is open on descriptor `FD` (the very handle the file
//! server checked `file execute` on and decided the domain transition
//! for), and the shim loads the program from it, never by `PROGRAM`'s
//! path, so a path component renamed between the check and the load
//! cannot substitute another file. Without `-F` (a user running
//! `linux PROGRAM` by hand, in the user's own domain) the shim opens the
//! path itself.

use alloc::string::String;

/// Most bytes of a `#!` line read (Linux's `BINPRM_BUF_SIZE` is 256).
pub const SHEBANG_MAX: usize = 256;

/// The shim's command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShimArgs<'a> {
    /// `argv[0]` for the program (`-0`), else `PROGRAM`.
    pub argv0: Option<&'a str>,
    /// The descriptor the program is open on (`-F`).
    pub fd: Option<u32>,
    /// `PROGRAM` and its arguments.
    pub rest: &'a [String],
}

/// Parses the shim's arguments after its own name: `-0 ARGV0` and
/// `-F FD` (in that order, each at most once) before `PROGRAM`.
///
/// # Errors
/// `None` when `PROGRAM` is missing or `-F`'s value is not a descriptor
/// number.
pub fn parse_shim_args(args: &[String]) -> Option<ShimArgs<'_>> {
    let mut rest = args;
    let mut argv0 = None;
    let mut fd = None;
    if rest.first().map(String::as_str) == Some("-0") && rest.len() >= 2 {
        argv0 = Some(rest[1].as_str());
        rest = &rest[2..];
    }
    if rest.first().map(String::as_str) == Some("-F") {
        fd = Some(rest.get(1)?.parse::<u32>().ok()?);
        rest = &rest[2..];
    }
    if rest.is_empty() {
        return None;
    }
    Some(ShimArgs { argv0, fd, rest })
}

/// The interpreter and its optional single argument named by the `#!`
/// line at the start of `head` (the first [`SHEBANG_MAX`] bytes of a
/// file), as Linux splits it: the interpreter ends at the first blank,
/// everything after it (trimmed) is one argument. `None` if `head` does
/// not start with `#!`, the line does not end within `head`, is not
/// UTF-8, or names no interpreter.
pub fn shebang(head: &[u8]) -> Option<(&str, Option<&str>)> {
    let head = &head[..head.len().min(SHEBANG_MAX)];
    let line = head.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n')?];
    let line = core::str::from_utf8(line).ok()?.trim();
    let (interp, arg) = match line.split_once([' ', '\t']) {
        Some((i, a)) => (i, Some(a.trim()).filter(|a| !a.is_empty())),
        None => (line, None),
    };
    (!interp.is_empty()).then_some((interp, arg))
}

/// The arguments the library OS's spawn gives the shim for Linux program
/// `path` open on descriptor `fd`, run with `argv` (`argv[0]` defaults to
/// `path`): `linux -0 ARGV0 -F FD PATH ARG...`, which
/// [`parse_shim_args`] reads back (after `linux`).
pub fn shim_argv(path: &str, fd: u32, argv: &[String]) -> alloc::vec::Vec<String> {
    let argv0 = argv.first().cloned().unwrap_or_else(|| path.into());
    let mut a = alloc::vec![String::from("linux"), String::from("-0"), argv0, String::from("-F")];
    a.push(alloc::format!("{fd}"));
    a.push(String::from(path));
    a.extend(argv.iter().skip(1).cloned());
    a
}
