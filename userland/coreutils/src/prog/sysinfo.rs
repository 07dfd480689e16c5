//! Programs about the system and the user: `which`, `whoami`, `hostname`,
//! `uptime`, `free`, `sync`, `mount`, `umount`.

use super::{Out, err, err_on, join, now, parse};
use alloc::format;
use alloc::string::{String, ToString};
use coreutils::args::Spec;
use coreutils::sysinfo::{self as si, Unit};
use rampart_libos::{env, fs};
use rampart_uabi::Errno;

/// `which [-a] NAME...`: where each program is in `PATH`; status 1 if one
/// is not found.
pub fn which(args: &[String]) -> i32 {
    let a = match parse("which", &Spec::short("a"), args, 2) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let path = env::var("PATH").unwrap_or_else(|| String::from("/bin:/usr/bin"));
    let runnable = |p: &str| fs::metadata(p).is_ok_and(|m| m.is_file() && m.mode() & 0o111 != 0);
    let mut out = Out::new();
    let mut status = 0;
    for name in &a.operands {
        let mut found = false;
        if name.contains('/') {
            if runnable(name) {
                out.line(name);
                found = true;
            }
        } else {
            for dir in path.split(':') {
                let p = join(if dir.is_empty() { "." } else { dir }, name);
                if runnable(&p) {
                    out.line(&p);
                    found = true;
                    if !a.has('a') {
                        break;
                    }
                }
            }
        }
        if !found {
            status = 1;
        }
    }
    status
}

/// The user name: `$USER`, else the user field of the security context.
fn user_name() -> String {
    env::var("USER").unwrap_or_else(|| {
        let ctx = env::security_context();
        let u = ctx.split(':').next().unwrap_or("");
        String::from(u.strip_suffix("_u").unwrap_or(u))
    })
}

/// `whoami`
pub fn whoami(args: &[String]) -> i32 {
    if let Some(x) = args.first() {
        err("whoami", &format!("extra operand '{x}'"));
        return 1;
    }
    let mut out = Out::new();
    out.line(&user_name());
    0
}

/// The host name: the first line of `/etc/hostname` (`rampart` without one).
fn host_name() -> String {
    fs::read_to_string("/etc/hostname")
        .ok()
        .and_then(|h| h.lines().next().map(|l| String::from(l.trim())))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| String::from("rampart"))
}

/// `hostname [-s|-f]`: the name from `/etc/hostname`.
pub fn hostname(args: &[String]) -> i32 {
    let spec = Spec { short: "sf", long: &[("short", 's'), ("fqdn", 'f'), ("long", 'f')], stop_at_operand: false };
    let a = match parse("hostname", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if !a.operands.is_empty() {
        err("hostname", "cannot set the host name: it is the first line of /etc/hostname");
        return 1;
    }
    let name = host_name();
    let mut out = Out::new();
    if a.has('s') {
        out.line(name.split('.').next().unwrap_or(&name));
    } else {
        out.line(&name);
    }
    0
}

/// `uptime [-p] [-s]`: the time, and how long since boot.
pub fn uptime(args: &[String]) -> i32 {
    let spec = Spec { short: "ps", long: &[("pretty", 'p'), ("since", 's')], stop_at_operand: false };
    let a = match parse("uptime", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let boot = rampart_libos::time::BOOT_EPOCH as i64;
    let t = now();
    let up = u64::try_from(t - boot).unwrap_or(0);
    let mut out = Out::new();
    if a.has('s') {
        out.line(&coreutils::fmt::strftime("%Y-%m-%d %H:%M:%S", boot, 0));
    } else if a.has('p') {
        out.line(&si::uptime_pretty(up));
    } else {
        let time = coreutils::fmt::strftime("%H:%M:%S", t, 0);
        out.line(&format!(" {time} up {}", si::uptime_short(up)));
    }
    0
}

/// `free [-b|-k|-m|-g|-h]`: memory from the resource manager's statistics.
pub fn free(args: &[String]) -> i32 {
    let spec = Spec {
        short: "bkmgh",
        long: &[("bytes", 'b'), ("kibi", 'k'), ("mebi", 'm'), ("gibi", 'g'), ("human", 'h')],
        stop_at_operand: false,
    };
    let a = match parse("free", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let unit = match a.last_of("bkmgh") {
        Some('b') => Unit::Bytes,
        Some('m') => Unit::Mebi,
        Some('g') => Unit::Gibi,
        Some('h') => Unit::Human,
        _ => Unit::Kibi,
    };
    let stats = match rampart_libos::rampart_rt::rm::stats() {
        Ok(s) => s,
        Err(e) => {
            err_on("free", "memory statistics", &rampart_libos::Error::from(e));
            return 1;
        }
    };
    let mut out = Out::new();
    for l in si::free_table(stats.total_bytes, stats.free_bytes, unit) {
        out.line(&l);
    }
    0
}

/// `sync [FILE...]`: asks the file server to make everything durable.
pub fn sync(_args: &[String]) -> i32 {
    match fs::sync() {
        Ok(()) => 0,
        Err(e) => {
            err_on("sync", "syncing", &e);
            1
        }
    }
}

/// `mount` (the root file system), or `mount [-r|-w] [-t ext4] [-o ro|rw]
/// DEVICE DIR`: the file server's `Mount`. Status 32 when it fails.
pub fn mount(args: &[String]) -> i32 {
    let spec = Spec {
        short: "rwt:o:l",
        long: &[("read-only", 'r'), ("rw", 'w'), ("types=", 't'), ("options=", 'o')],
        stop_at_operand: false,
    };
    let a = match parse("mount", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let (device, dir) = match a.operands.as_slice() {
        [] => {
            let mut out = Out::new();
            out.line("/dev/blk0 on / type ext4 (rw)");
            return 0;
        }
        [d, m] => (d, m),
        _ => {
            err("mount", "usage: mount [-r] [-t ext4] DEVICE DIR");
            return 1;
        }
    };
    if let Some(t) = a.value('t').filter(|t| *t != "ext4" && *t != "auto") {
        err("mount", &format!("unknown filesystem type '{t}'"));
        return 32;
    }
    let mut read_only = false;
    for (c, v) in &a.opts {
        match (c, v.as_deref()) {
            ('r', _) => read_only = true,
            ('w', _) => read_only = false,
            ('o', Some(list)) => {
                for o in list.split(',') {
                    match o {
                        "ro" => read_only = true,
                        "rw" | "defaults" => read_only = false,
                        other => {
                            err("mount", &format!("unsupported option '{other}'"));
                            return 1;
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let name = match si::device_name(device) {
        Ok(n) => n,
        Err(e) => {
            err("mount", &e);
            return 32;
        }
    };
    match fs::mount(&name, dir, read_only) {
        Ok(()) => 0,
        Err(e) => {
            let what = match e.errno() {
                Errno::ENODEV => format!("{device}: no such block device"),
                Errno::EBUSY => format!("{dir}: {device} is in use or {dir} is already a mount point"),
                Errno::EUCLEAN => format!("{device}: the file system is corrupt"),
                _ => format!("{dir}: {}", e.message()),
            };
            err("mount", &what);
            32
        }
    }
}

/// `umount DIR...`: the file server's `Unmount`. Status 32 when one fails.
pub fn umount(args: &[String]) -> i32 {
    let a = match parse("umount", &Spec::short(""), args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.is_empty() {
        err("umount", "usage: umount DIR...");
        return 1;
    }
    let mut status = 0;
    for dir in &a.operands {
        if let Err(e) = fs::unmount(dir) {
            let why = match e.errno() {
                Errno::EINVAL => "not mounted".to_string(),
                Errno::EBUSY => "target is busy".to_string(),
                _ => e.message().to_string(),
            };
            err("umount", &format!("{dir}: {why}"));
            status = 32;
        }
    }
    status
}
