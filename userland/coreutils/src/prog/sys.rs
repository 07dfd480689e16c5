//! Programs about the process and the system: `echo`, `env`, `sleep`,
//! `date`, `uname`, `id`, `ps`, `kill`, `clear`, `pwd`, `basename`,
//! `dirname`, `reboot`/`poweroff`.

use super::{Out, base, err, err_on, id_db, now, parse};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use coreutils::args::Spec;
use coreutils::report::{self, PsRow, id_name, name_id};
use rampart_libos::process::{self, Command};
use rampart_libos::{env, fs};

/// `echo [-neE] [ARG...]`
pub fn echo(args: &[String]) -> i32 {
    let (mut newline, mut escapes, mut i) = (true, false, 0);
    // Only words made of n, e, E are options (as bash's echo).
    while let Some(a) = args.get(i) {
        if a.len() < 2 || !a.starts_with('-') || !a[1..].bytes().all(|b| matches!(b, b'n' | b'e' | b'E')) {
            break;
        }
        for b in a[1..].bytes() {
            match b {
                b'n' => newline = false,
                b'e' => escapes = true,
                _ => escapes = false,
            }
        }
        i += 1;
    }
    let mut text = args[i..].join(" ");
    let mut stop = false;
    if escapes {
        (text, stop) = coreutils::text::unescape(&text);
    }
    if newline && !stop {
        text.push('\n');
    }
    let mut out = Out::new();
    out.str(&text);
    out.flush();
    i32::from(out.failed)
}

/// `env [-i] [-u NAME]... [NAME=VALUE]... [COMMAND [ARG...]]`
pub fn env(args: &[String]) -> i32 {
    let spec = Spec {
        short: "iu:0",
        long: &[("ignore-environment", 'i'), ("unset=", 'u'), ("null", '0')],
        stop_at_operand: true,
    };
    // `env -` is `env -i`.
    let args: Vec<String> = args.iter().map(|a| if a == "-" { "-i".into() } else { a.clone() }).collect();
    let a = match parse("env", &spec, &args, 125) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let mut vars: Vec<(String, String)> = if a.has('i') { Vec::new() } else { env::vars() };
    for u in a.values('u') {
        vars.retain(|(k, _)| k != u);
    }
    let mut ops = a.operands.iter().peekable();
    while let Some(op) = ops.next_if(|o| o.contains('=')) {
        let (k, v) = op.split_once('=').unwrap_or((op, ""));
        vars.retain(|(x, _)| x != k);
        vars.push((k.into(), v.into()));
    }
    let cmd: Vec<&String> = ops.collect();
    let Some((prog, rest)) = cmd.split_first() else {
        let mut out = Out::new();
        let end = if a.has('0') { "\0" } else { "\n" };
        for (k, v) in vars {
            out.str(&format!("{k}={v}{end}"));
        }
        return 0;
    };
    let path = if prog.contains('/') { Some(prog.to_string()) } else { find_in(&vars, prog) };
    let Some(path) = path else {
        err("env", &format!("'{prog}': {}", rampart_uabi::Errno::ENOENT.message()));
        return 127;
    };
    let mut c = Command::new(&path);
    c.env_clear();
    for (k, v) in &vars {
        c.env(k, v);
    }
    c.args(rest.iter().map(|s| s.as_str()));
    run_child(&mut c, "env", prog)
}

/// The program `name` in the `PATH` of `vars`.
fn find_in(vars: &[(String, String)], name: &str) -> Option<String> {
    let path = vars.iter().find(|(k, _)| k == "PATH").map_or("/bin:/usr/bin", |(_, v)| v.as_str());
    path.split(':')
        .map(|d| super::join(if d.is_empty() { "." } else { d }, name))
        .find(|p| fs::metadata(p).is_ok_and(|m| m.is_file()))
}

/// Runs `c` to the end; its status as a shell sees it (126: not runnable,
/// 127: not found). The child stays in our process group, so whatever
/// the shell does to the job (the terminal's foreground, Ctrl-C, Ctrl-Z,
/// `kill %N`) reaches it too; we never take the terminal ourselves (from
/// a background job that would steal it from the shell).
pub fn run_child(c: &mut Command, prog: &str, what: &str) -> i32 {
    let mut child = match c.spawn() {
        Ok(ch) => ch,
        Err(e) => {
            err_on(prog, &format!("'{what}'"), &e);
            return if e.errno() == rampart_uabi::Errno::ENOENT { 127 } else { 126 };
        }
    };
    let st = child.wait();
    match st {
        Ok(s) => s.shell_code(),
        Err(e) => {
            err_on(prog, "wait", &e);
            125
        }
    }
}

/// `sleep NUMBER[smhd]...`
pub fn sleep(args: &[String]) -> i32 {
    if args.is_empty() {
        err("sleep", "missing operand");
        return 1;
    }
    let mut total = core::time::Duration::ZERO;
    for a in args {
        match coreutils::misc::parse_duration(a) {
            Some(d) => total = total.saturating_add(d),
            None => {
                err("sleep", &format!("invalid time interval '{a}'"));
                return 1;
            }
        }
    }
    rampart_libos::time::sleep(total);
    0
}

/// `date [-u] [-d @SECONDS] [-I] [-R] [+FORMAT]` (always UTC).
pub fn date(args: &[String]) -> i32 {
    let spec = Spec {
        short: "ud:IR",
        long: &[("utc", 'u'), ("date=", 'd'), ("iso-8601", 'I'), ("rfc-email", 'R')],
        stop_at_operand: false,
    };
    let a = match parse("date", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let secs = match a.value('d') {
        Some(d) => match d.strip_prefix('@').unwrap_or(d).parse::<i64>() {
            Ok(s) => s,
            Err(_) => {
                err("date", &format!("invalid date '{d}' (only @SECONDS)"));
                return 1;
            }
        },
        None => now(),
    };
    let fmt = match a.operands.as_slice() {
        [] if a.has('I') => "%F".to_string(),
        [] if a.has('R') => "%a, %d %b %Y %H:%M:%S %z".to_string(),
        [] => return print_line(&coreutils::fmt::date_default(secs)),
        [f] if f.starts_with('+') => f[1..].to_string(),
        [x, ..] => {
            err("date", &format!("invalid date '{x}' (setting the clock is not supported)"));
            return 1;
        }
    };
    print_line(&coreutils::fmt::strftime(&fmt, secs, 0))
}

fn print_line(s: &str) -> i32 {
    let mut out = Out::new();
    out.line(s);
    0
}

/// `uname [-asnrvmo]`
pub fn uname(args: &[String]) -> i32 {
    let a = match parse("uname", &Spec::short("asnrvmpio"), args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let host = fs::read_to_string("/etc/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "rampart".into());
    let fields = [
        ('s', String::from("Rampart")),
        ('n', host),
        ('r', String::from(env!("CARGO_PKG_VERSION"))),
        ('v', String::from("#1 capability microkernel")),
        ('m', String::from("x86_64")),
        ('o', String::from("Rampart")),
    ];
    let all = a.has('a');
    let chosen: Vec<&str> = fields
        .iter()
        .filter(|(c, _)| all || a.has(*c) || *c == 's' && a.opts.is_empty())
        .map(|(_, v)| v.as_str())
        .collect();
    print_line(&chosen.join(" "))
}

/// `id [-Z] [-u|-g|-G] [-n] [USER]`: this process's uid, gid and groups as
/// the file server gives them (derived from the security context, which
/// `-Z` prints; nothing the process sets, such as `$USER`, changes them);
/// names from `/etc/passwd` and `/etc/group`. With `USER`, that account's
/// ids from `/etc/passwd`.
pub fn id(args: &[String]) -> i32 {
    let spec = Spec {
        short: "ZugGnr",
        long: &[("context", 'Z'), ("user", 'u'), ("group", 'g'), ("groups", 'G'), ("name", 'n')],
        stop_at_operand: false,
    };
    let a = match parse("id", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let ctx = env::security_context();
    if a.has('Z') {
        return print_line(&ctx);
    }
    let (passwd, group) = id_db();
    let (uid, gid, mut groups) = match a.operands.first() {
        Some(who) => {
            let Some(uid) = name_id(&passwd, who) else {
                err("id", &format!("'{who}': no such user"));
                return 1;
            };
            let gid = passwd.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.first() == Some(&who.as_str())).then(|| f.get(3)?.parse::<u32>().ok())?
            });
            (uid, gid.unwrap_or(uid), Vec::new())
        }
        None => match process::credentials() {
            Ok(c) => (c.uid, c.gid, c.groups),
            Err(e) => {
                err_on("id", "cannot get the identity", &e);
                return 1;
            }
        },
    };
    groups.retain(|&g| g != gid);
    groups.insert(0, gid);
    let uname = id_name(&passwd, uid).unwrap_or_else(|| uid.to_string());
    let gname = |g: u32| id_name(&group, g).unwrap_or_else(|| g.to_string());
    let n = a.has('n');
    if a.has('u') {
        return print_line(&if n { uname } else { uid.to_string() });
    }
    if a.has('g') {
        return print_line(&if n { gname(gid) } else { gid.to_string() });
    }
    if a.has('G') {
        let all: Vec<String> = groups.iter().map(|&g| if n { gname(g) } else { g.to_string() }).collect();
        return print_line(&all.join(" "));
    }
    let all: Vec<String> = groups.iter().map(|&g| format!("{g}({})", gname(g))).collect();
    let mut line = format!("uid={uid}({uname}) gid={gid}({}) groups={}", gname(gid), all.join(","));
    if a.operands.is_empty() {
        line.push_str(&format!(" context={ctx}"));
    }
    print_line(&line)
}

/// `ps [-e|-A] [-Z] [-l] [-p PID]`: the processes this one may see (the
/// policy's `process getattr`), with `-Z` their security contexts.
pub fn ps(args: &[String]) -> i32 {
    let spec = Spec { short: "eAZlfp:", long: &[("context", 'Z'), ("pid=", 'p')], stop_at_operand: false };
    let a = match parse("ps", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let list = match process::list() {
        Ok(l) => l,
        Err(e) => {
            err_on("ps", "listing processes", &e);
            return 1;
        }
    };
    let long = a.has('l') || a.has('f');
    let pids: Vec<u32> =
        a.values('p').iter().flat_map(|v| v.split(',')).filter_map(|p| p.trim().parse().ok()).collect();
    let rows: Vec<PsRow> = list
        .into_iter()
        .filter(|t| pids.is_empty() || pids.contains(&t.pid))
        .map(|t| {
            let (charged, cpu_us) =
                if long { process::info(t.pid).map_or((0, 0), |i| (i.charged, i.cpu_us)) } else { (0, 0) };
            PsRow { pid: t.pid, ppid: t.parent, context: t.context, charged, name: t.name, cpu_us }
        })
        .collect();
    let mut out = Out::new();
    for l in report::ps_table(&rows, a.has('Z'), long) {
        out.line(&l);
    }
    i32::from(rows.is_empty())
}

/// `ipcs`: the mappings of shared regions this process may see (both
/// processes visible to it, as for `ps`), one per line; status 1 if there
/// are none.
pub fn ipcs(args: &[String]) -> i32 {
    let spec = Spec { short: "m", long: &[], stop_at_operand: false };
    if let Err(s) = parse("ipcs", &spec, args, 1) {
        return s;
    }
    let maps = match process::mappings() {
        Ok(m) => m,
        Err(e) => {
            err_on("ipcs", "listing shared memory", &e);
            return 1;
        }
    };
    let rows: Vec<report::IpcsRow> = maps
        .iter()
        .map(|m| report::IpcsRow {
            region: m.region,
            owner: m.owner,
            mapper: m.mapper,
            bytes: m.pages.saturating_mul(4096),
            writable: m.writable,
        })
        .collect();
    let mut out = Out::new();
    for l in report::ipcs_table(&rows) {
        out.line(&l);
    }
    i32::from(rows.is_empty())
}

/// `kill [-s SIGNAL | -SIGNAL | -n NUM] PID...`, `kill -l [N]`
/// (`kill(1)`): sends the signal (default `SIGTERM`) to each process, or
/// to process group `N` for `-N` after `--`; signal 0 only checks that the
/// process exists and may be signalled. Job specifications (`%1`) are the
/// shell's builtin `kill`.
pub fn kill(args: &[String]) -> i32 {
    let mut sig = rampart_libos::signal::SIGTERM;
    let mut i = 0;
    if args.first().is_some_and(|a| a == "-l" || a == "-L") {
        if let Some(arg) = args.get(1) {
            return match coreutils::misc::signal_lookup(arg) {
                Some(s) => print_line(&s),
                None => {
                    err("kill", &format!("{arg}: invalid signal specification"));
                    1
                }
            };
        }
        let mut out = Out::new();
        for l in coreutils::misc::signal_table() {
            out.line(&l);
        }
        return 0;
    }
    while let Some(a) = args.get(i) {
        if a == "--" {
            i += 1;
            break;
        }
        let spec = match a.as_str() {
            "-s" | "-n" => {
                i += 1;
                args.get(i).cloned()
            }
            s if s.starts_with('-') && s.len() > 1 => Some(s[1..].to_string()),
            _ => break,
        };
        match spec.as_deref().and_then(coreutils::misc::signal) {
            Some(s) => sig = s,
            None => {
                err("kill", &format!("{}: invalid signal specification", spec.unwrap_or_default()));
                return 1;
            }
        }
        i += 1;
    }
    if i >= args.len() {
        err("kill", "usage: kill [-s SIGNAL | -SIGNAL] PID... | -l [SIGNAL]");
        return 2;
    }
    let mut status = 0;
    for p in &args[i..] {
        let r = match p
            .strip_prefix('-')
            .map_or_else(|| p.parse::<u32>().map(|n| (false, n)), |g| g.parse::<u32>().map(|n| (true, n)))
        {
            Ok((false, pid)) => rampart_libos::signal::kill(pid, sig),
            Ok((true, pgid)) => rampart_libos::signal::killpg(pgid, sig),
            Err(_) => {
                err("kill", &format!("({p}) - arguments must be process or job ids"));
                status = 1;
                continue;
            }
        };
        if let Err(e) = r {
            err_on("kill", &format!("({p})"), &rampart_libos::Error::from(e));
            status = 1;
        }
    }
    status
}

/// `setsid [-w] COMMAND [ARG...]` (util-linux `setsid(1)`): runs the
/// command as the leader of a new session without a controlling terminal;
/// with `-w` waits for it and returns its status, else returns at once.
pub fn setsid(args: &[String]) -> i32 {
    let wait = args.first().is_some_and(|a| a == "-w" || a == "--wait");
    let ops = if wait { &args[1..] } else { args };
    let Some((prog, rest)) = ops.split_first() else {
        err("setsid", "usage: setsid [-w] COMMAND [ARG...]");
        return 1;
    };
    let mut c = Command::new(prog);
    c.args(rest.iter().map(String::as_str)).new_session();
    match c.spawn() {
        Ok(mut child) if wait => match child.wait() {
            Ok(s) => s.shell_code(),
            Err(e) => {
                err_on("setsid", "wait", &e);
                125
            }
        },
        Ok(_) => 0,
        Err(e) => {
            err_on("setsid", &format!("'{prog}'"), &e);
            if e.errno() == rampart_uabi::Errno::ENOENT { 127 } else { 126 }
        }
    }
}

/// `clear`: clears the terminal (VT100).
pub fn clear(_: &[String]) -> i32 {
    let mut out = Out::new();
    out.str("\x1b[H\x1b[2J\x1b[3J");
    0
}

/// `pwd`: the working directory (logical, `$PWD` when it names it).
pub fn pwd(_: &[String]) -> i32 {
    print_line(&env::current_dir())
}

/// `basename NAME [SUFFIX]`
pub fn basename(args: &[String]) -> i32 {
    let Some(name) = args.first() else {
        err("basename", "missing operand");
        return 1;
    };
    let mut b = base(name).to_string();
    if let Some(s) = args.get(1).filter(|s| b.len() > s.len())
        && let Some(x) = b.strip_suffix(s.as_str())
    {
        b = x.to_string();
    }
    print_line(&b)
}

/// `dirname NAME...`
pub fn dirname(args: &[String]) -> i32 {
    if args.is_empty() {
        err("dirname", "missing operand");
        return 1;
    }
    let mut out = Out::new();
    for n in args {
        let t = n.trim_end_matches('/');
        let d = match t.rfind('/') {
            Some(0) => "/",
            Some(i) => t[..i].trim_end_matches('/'),
            None if n.starts_with('/') => "/",
            None => ".",
        };
        out.line(if d.is_empty() { "/" } else { d });
    }
    0
}

/// `poweroff` / `reboot`: asks the resource manager to stop the machine
/// (policy `system { halt reboot }`; an administrator's right).
pub fn power(name: &str, args: &[String]) -> i32 {
    let a = match parse(name, &Spec::short("f"), args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let _ = a;
    match rampart_libos::process::power_off(name == "reboot") {
        Ok(()) => 0,
        Err(e) => {
            err_on(name, "cannot stop the machine", &e);
            1
        }
    }
}
