//! The programs, grouped by what they work on, and what they share:
//! buffered output, error messages, argument parsing, reading inputs.

mod edit;
mod fileops;
mod files;
mod grep;
mod klog;
mod label;
mod ls;
mod mktemp;
mod policy;
mod sums;
mod sys;
mod sysinfo;
mod text;
mod textops;
mod tty;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use coreutils::args::{self, Args, Spec};
use rampart_libos::io::{self, Read, Write};
use rampart_libos::{Error, fs};

/// Runs program `name` with `args` (without `argv[0]`); returns its status.
pub fn run(name: &str, args: &[String]) -> i32 {
    match name {
        "ls" => ls::ls(args),
        "cat" => text::cat(args),
        "head" => text::head(args),
        "tail" => text::tail(args),
        "wc" => text::wc(args),
        "grep" => grep::grep(args),
        "sort" => text::sort(args),
        "uniq" => text::uniq(args),
        "hexdump" => text::hexdump(args),
        "tee" => text::tee(args),
        "cp" => fileops::cp(args),
        "mv" => fileops::mv(args),
        "rm" => fileops::rm(args),
        "mkdir" => fileops::mkdir(args),
        "rmdir" => fileops::rmdir(args),
        "mktemp" => mktemp::mktemp(args),
        "touch" => fileops::touch(args),
        "ln" => fileops::ln(args),
        "chmod" => fileops::chmod(args),
        "chown" | "chgrp" => files::chown(name, args),
        "find" => files::find(args),
        "stat" => files::stat(args),
        "df" => files::df(args),
        "du" => files::du(args),
        "echo" => sys::echo(args),
        "env" => sys::env(args),
        "sleep" => sys::sleep(args),
        "date" => sys::date(args),
        "uname" => sys::uname(args),
        "id" => sys::id(args),
        "ps" => sys::ps(args),
        "ipcs" => sys::ipcs(args),
        "kill" => sys::kill(args),
        "setsid" => sys::setsid(args),
        "clear" => sys::clear(args),
        "true" => 0,
        "false" => 1,
        "pwd" => sys::pwd(args),
        "basename" => sys::basename(args),
        "dirname" => sys::dirname(args),
        "reboot" | "poweroff" => sys::power(name, args),
        "edit" => edit::edit(args),
        "getenforce" => policy::getenforce(args),
        "setenforce" => policy::setenforce(args),
        "setsebool" => policy::setsebool(args),
        "getsebool" => policy::getsebool(args),
        "load_policy" => policy::load_policy(args),
        "ausearch" => policy::ausearch(args),
        "runcon" => policy::runcon(args),
        "chcon" => label::chcon(args),
        "restorecon" => label::restorecon(args),
        "stty" => tty::stty(args),
        "tr" => textops::tr(args),
        "cut" => textops::cut(args),
        "seq" => textops::seq(args),
        "yes" => textops::yes(args),
        "xargs" => textops::xargs(args),
        "which" => sysinfo::which(args),
        "whoami" => sysinfo::whoami(args),
        "hostname" => sysinfo::hostname(args),
        "uptime" => sysinfo::uptime(args),
        "dmesg" => klog::dmesg(args),
        "free" => sysinfo::free(args),
        "sync" => sysinfo::sync(args),
        "mount" => sysinfo::mount(args),
        "umount" => sysinfo::umount(args),
        "md5sum" | "sha224sum" | "sha256sum" | "sha384sum" | "sha512sum" => sums::sum(name, args),
        _ => {
            err(name, "not implemented");
            127
        }
    }
}

/// Broken pipe: the reader went away.
const EPIPE: i32 = 32;

/// Standard output, buffered (one console or file request per 8 KiB
/// instead of one per `write!` fragment); flushed when dropped.
pub struct Out {
    buf: Vec<u8>,
    /// A write failed (e.g. `EPIPE`): later output is dropped.
    pub failed: bool,
}

impl Out {
    /// An empty buffer.
    pub fn new() -> Out {
        Out { buf: Vec::with_capacity(8192), failed: false }
    }

    /// Queues bytes.
    pub fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= 8192 {
            self.flush();
        }
    }

    /// Queues text.
    pub fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// Queues a line (a newline is added).
    pub fn line(&mut self, s: &str) {
        self.bytes(s.as_bytes());
        self.bytes(b"\n");
    }

    /// Writes what is queued. The first failure is reported as GNU's
    /// programs do (`echo: write error: No space left on device`), except
    /// a closed pipe (`EPIPE`), which ends the output quietly.
    pub fn flush(&mut self) {
        if !self.failed
            && !self.buf.is_empty()
            && let Err(e) = io::stdout().write_all(&self.buf)
        {
            self.failed = true;
            if e.raw_os_error() != EPIPE {
                let argv = rampart_libos::env::args();
                let prog = coreutils::program_name(&argv).map_or("coreutils", |(n, _)| n);
                err(prog, &format!("write error: {}", e.message()));
            }
        }
        self.buf.clear();
    }
}

impl Drop for Out {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Prints `prog: msg` on standard error.
pub fn err(prog: &str, msg: &str) {
    let _ = io::stderr().write_all(format!("{prog}: {msg}\n").as_bytes());
}

/// Prints `prog: what: <error message>` on standard error.
pub fn err_on(prog: &str, what: &str, e: &Error) {
    err(prog, &format!("{what}: {}", e.message()));
}

/// Parses `args` for `prog`; on a bad option prints the message and
/// returns the usage status (`usage_status`, 1 for most programs, 2 for
/// `grep`).
pub fn parse(prog: &str, spec: &Spec, a: &[String], usage_status: i32) -> Result<Args, i32> {
    args::parse(spec, a).map_err(|e| {
        err(prog, &format!("{e}"));
        usage_status
    })
}

/// The whole of input `path` (`-` is standard input).
pub fn read_input(path: &str) -> Result<Vec<u8>, Error> {
    let mut v = Vec::new();
    if path == "-" {
        io::stdin().read_to_end(&mut v)?;
    } else {
        fs::File::open(path)?.read_to_end(&mut v)?;
    }
    Ok(v)
}

/// The operands, or `-` (standard input) if there are none.
pub fn inputs(a: &Args) -> Vec<String> {
    if a.operands.is_empty() { alloc::vec![String::from("-")] } else { a.operands.clone() }
}

/// Joins `dir` and `name` as the user would read it (`a` + `b` = `a/b`,
/// `/` + `b` = `/b`).
pub fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') { format!("{dir}{name}") } else { format!("{dir}/{name}") }
}

/// The last component of `path` (`a/b/` gives `b`).
pub fn base(path: &str) -> &str {
    let t = path.trim_end_matches('/');
    if t.is_empty() {
        return "/";
    }
    t.rsplit('/').next().unwrap_or(t)
}

/// The system's user and group databases (empty if unreadable).
pub fn id_db() -> (String, String) {
    let read = |p: &str| fs::read_to_string(p).unwrap_or_default();
    (read("/etc/passwd"), read("/etc/group"))
}

/// Seconds since the epoch now (the wall clock).
pub fn now() -> i64 {
    let d = rampart_libos::time::SystemTime::now().duration_since(rampart_libos::time::UNIX_EPOCH);
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
