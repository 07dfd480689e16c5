//! The policy tools: `getenforce`, `setenforce`, `getsebool`, `setsebool`,
//! `load_policy`, `ausearch` (the security server's audit trail) and
//! `runcon`. Each talks to the
//! security server over a connection from the connection server, which the
//! policy grants only to the administrator (`sysadm_t`) and the policy
//! tools' own domain: for everyone else they fail with "Permission denied".

use super::{Out, err, err_on, parse, read_input};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use coreutils::args::Spec;
use coreutils::klog::{Avc, avc_line};
use coreutils::misc::{AuditFilter, compose_context};
use rampart_libos::process::Command;
use rampart_libos::{Error, env};
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;

/// The security server's service name at the connection server.
const SECURITY: &str = "security";

fn connect(prog: &str) -> Option<Client<Ipc>> {
    match rampart_libos::sys::connect_service(SECURITY) {
        Ok(ep) => Some(Client(Ipc(ep))),
        Err(e) => {
            err_on(prog, "cannot reach the security server", &Error::from(e));
            None
        }
    }
}

fn mode(enforcing: bool) -> &'static str {
    if enforcing { "Enforcing" } else { "Permissive" }
}

/// `getenforce`: `Enforcing` or `Permissive`.
pub fn getenforce(_: &[String]) -> i32 {
    let Some(mut c) = connect("getenforce") else { return 1 };
    match c.status() {
        Ok(s) if !s.loaded => {
            Out::new().line("Disabled");
            0
        }
        Ok(s) => {
            Out::new().line(mode(s.enforcing));
            0
        }
        Err(e) => {
            err_on("getenforce", "status", &Error::from(e));
            1
        }
    }
}

/// `setenforce 1|0|Enforcing|Permissive` (policy `security setenforce`).
pub fn setenforce(args: &[String]) -> i32 {
    let enforcing = match args {
        [a] if a == "1" || a.eq_ignore_ascii_case("enforcing") => true,
        [a] if a == "0" || a.eq_ignore_ascii_case("permissive") => false,
        _ => {
            err("setenforce", "usage: setenforce [ Enforcing | Permissive | 1 | 0 ]");
            return 1;
        }
    };
    let Some(mut c) = connect("setenforce") else { return 1 };
    match c.set_enforce(enforcing) {
        Ok(_) => 0,
        Err(e) => {
            err_on("setenforce", "setenforce() failed", &Error::from(e));
            1
        }
    }
}

/// `setsebool NAME on|off|1|0|true|false` (policy `security setbool`):
/// sets a policy boolean at run time; every object manager (and connsrv,
/// which revokes the live connections the new value forbids) is told.
pub fn setsebool(args: &[String]) -> i32 {
    let value = match args {
        [_, v] if ["1", "on", "true"].contains(&v.to_ascii_lowercase().as_str()) => true,
        [_, v] if ["0", "off", "false"].contains(&v.to_ascii_lowercase().as_str()) => false,
        _ => {
            err("setsebool", "usage: setsebool BOOLEAN on|off");
            return 1;
        }
    };
    let Some(mut c) = connect("setsebool") else { return 1 };
    match c.set_bool(&args[0], value) {
        Ok(_) => 0,
        Err(e) => {
            err_on("setsebool", &format!("cannot set {}", args[0]), &Error::from(e));
            1
        }
    }
}

/// `getsebool -a` or `getsebool BOOLEAN...`: the policy's booleans and
/// their values, `NAME --> on|off` (policy `security check_context`).
pub fn getsebool(args: &[String]) -> i32 {
    let all = args.iter().any(|a| a == "-a");
    let names: Vec<&String> = args.iter().filter(|a| *a != "-a").collect();
    if !all && names.is_empty() {
        err("getsebool", "usage: getsebool -a | getsebool BOOLEAN...");
        return 1;
    }
    let Some(mut c) = connect("getsebool") else { return 1 };
    let bools = match c.get_bools() {
        Ok(b) => b,
        Err(e) => {
            err_on("getsebool", "cannot read the booleans", &Error::from(e));
            return 1;
        }
    };
    let mut out = Out::new();
    let show = |out: &mut Out, n: &str, v: bool| out.line(&format!("{n} --> {}", if v { "on" } else { "off" }));
    if all {
        for (n, v) in &bools {
            show(&mut out, n, *v);
        }
    }
    let mut status = 0;
    for n in names {
        match bools.iter().find(|(b, _)| b == n) {
            Some((b, v)) => show(&mut out, b, *v),
            None => {
                out.flush(); // in order with standard output
                err("getsebool", &format!("Error getting active value for {n}"));
                status = 1;
            }
        }
    }
    status
}

/// `load_policy [-n NAME] [FILE]`: uploads a compiled policy (default
/// `/etc/policy/policy.bin`) into the security server's store as `NAME`
/// (default `local`) and loads it (policy `security load_policy`).
/// `load_policy -s NAME` loads a policy already in the store (the boot
/// variants `te`, `mls`, `biba`, `allow-all`) without uploading.
pub fn load_policy(args: &[String]) -> i32 {
    let a = match parse("load_policy", &Spec::short("n:s:q"), args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let r = match a.value('s') {
        Some(stored) => match connect("load_policy") {
            Some(mut c) => c.load_policy(stored),
            None => return 2,
        },
        None => {
            let file = a.operands.first().map_or("/etc/policy/policy.bin", String::as_str);
            let name = a.value('n').unwrap_or("local");
            let bytes = match read_input(file) {
                Ok(b) => b,
                Err(e) => {
                    err_on("load_policy", &format!("can't open '{file}'"), &e);
                    return 2;
                }
            };
            let Some(mut c) = connect("load_policy") else { return 2 };
            c.put_policy(name, &bytes).and_then(|()| c.load_policy(name))
        }
    };
    match r {
        Ok(s) => {
            if !a.has('q') {
                Out::new().line(&format!(
                    "loaded policy {} (model {}, seqno {}, {})",
                    s.policy,
                    s.model,
                    s.seqno,
                    mode(s.enforcing)
                ));
            }
            0
        }
        Err(e) => {
            err_on("load_policy", "can't load policy", &Error::from(e));
            2
        }
    }
}

/// `ausearch [-m avc] [-d|--denied] [-g|--granted] [-c CLASS] [-p PERM]
/// [-s SCON] [-t TCON] [-w TEXT] [--start N] [-n LAST] [-q] [-r|--raw]
/// [-ts WHEN] [-te WHEN]`: the security server's audit trail (policy
/// `security read_audit`: the administrator; others get `Permission
/// denied`) as Linux audit records, `type=AVC
/// msg=audit(SECONDS.MILLIS:SEQ): avc:  denied  { read } for  pid=N
/// name="..." scontext=... tcontext=... tclass=... permissive=0 by=...
/// seqno=N [repeat=N]`, each after a `----` line (`--raw`: the records
/// alone). `-if FILE` (`--input`) searches a log auditd wrote instead
/// (`/var/log/audit/audit.log`: the administrator's). `-ts`/`-te` are
/// accepted and match every record. Notes how many records were lost
/// (overwritten before they could be read, or before the audit daemon
/// logged them). Status 1 when nothing matched (as `ausearch`).
pub fn ausearch(args: &[String]) -> i32 {
    // `-ts WHEN` and `-te WHEN` are words of their own, not `-t s`.
    // So is `-if FILE` (`--input FILE`): search a log file instead.
    let mut kept: Vec<String> = Vec::new();
    let mut input: Option<String> = None;
    let mut words = args.iter();
    while let Some(w) = words.next() {
        if w == "-ts" || w == "-te" {
            if words.next().is_none() {
                err("ausearch", &format!("option {w} needs a time (recent, today, boot, ...)"));
                return 1;
            }
        } else if w == "-if" || w == "--input" {
            let Some(f) = words.next() else {
                err("ausearch", &format!("option {w} needs a file name"));
                return 1;
            };
            input = Some(f.clone());
        } else if let Some(f) = w.strip_prefix("--input=") {
            input = Some(f.into());
        } else {
            kept.push(w.clone());
        }
    }
    let args = &kept[..];
    let spec = Spec {
        short: "dgc:p:s:t:w:n:qm:r",
        long: &[
            ("denied", 'd'),
            ("granted", 'g'),
            ("class=", 'c'),
            ("perm=", 'p'),
            ("scontext=", 's'),
            ("tcontext=", 't'),
            ("word=", 'w'),
            ("last=", 'n'),
            ("start=", 'S'),
            ("quiet", 'q'),
            ("message=", 'm'),
            ("raw", 'r'),
        ],
        stop_at_operand: false,
    };
    let a = match parse("ausearch", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if let Some(m) = a.value('m').filter(|m| !m.eq_ignore_ascii_case("avc")) {
        err("ausearch", &format!("unknown message type '{m}' (the trail holds AVC records)"));
        return 1;
    }
    let f = AuditFilter {
        denied: match a.last_of("dg") {
            Some('d') => Some(true),
            Some('g') => Some(false),
            _ => None,
        },
        class: a.value('c').map(String::from),
        perm: a.value('p').map(String::from),
        source: a.value('s').map(String::from),
        target: a.value('t').map(String::from),
        text: a.value('w').map(String::from),
    };
    let number =
        |c: char| a.value(c).map(|v| v.parse::<u64>().map_err(|_| err("ausearch", &format!("bad number '{v}'"))));
    let (start, last) = match (number('S').transpose(), number('n').transpose()) {
        (Ok(s), Ok(l)) => (s.unwrap_or(0), l),
        _ => return 1,
    };
    let mut lost = 0;
    let mut hits: Vec<String> = Vec::new();
    if let Some(file) = &input {
        let text = match read_input(file) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                err_on("ausearch", &format!("cannot read '{file}'"), &e);
                return 1;
            }
        };
        for l in text.lines() {
            if let Some(n) = l.strip_prefix("type=DAEMON_ERR ").and_then(|r| r.split(" lost=").nth(1)) {
                lost += n.split(' ').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
            }
            let Some(v) = coreutils::auditlog::parse_avc(l) else { continue };
            let seq = coreutils::auditlog::stamp_of(l).map_or(0, |(_, s)| s);
            if seq >= start && f.matches(v.denied, v.tclass, v.perms, v.scontext, v.tcontext, l) {
                hits.push(l.into());
            }
        }
        return print_hits(&a, &hits, last, lost, 0);
    }
    let Some(mut c) = connect("ausearch") else { return 1 };
    let mut from = start;
    loop {
        let batch = match c.read_audit(from) {
            Ok(b) => b,
            Err(e) => {
                err_on("ausearch", "cannot read the audit trail", &Error::from(e));
                return 1;
            }
        };
        lost += batch.lost;
        if batch.records.is_empty() || batch.next <= from {
            break;
        }
        for r in batch.records {
            let line = avc_line(&Avc {
                seq: r.seq,
                denied: r.denied,
                enforced: r.enforced,
                perms: &r.perms,
                scontext: &r.source,
                tcontext: &r.target,
                tclass: &r.class,
                object: &r.object,
                by: &r.reporter,
                seqno: r.seqno,
                time_ms: r.time_ms,
                pid: r.pid,
                repeat: r.repeat,
            });
            if f.matches(r.denied, &r.class, &r.perms, &r.source, &r.target, &line) {
                hits.push(line);
            }
        }
        from = batch.next;
    }
    let unlogged = c.audit_stats().map_or(0, |s| s.lost);
    print_hits(&a, &hits, last, lost, unlogged)
}

/// Prints `ausearch`'s matches (the `last` ones if given) after the notes
/// on `lost` records (overwritten before this search, or before the audit
/// daemon logged them in the file searched) and `unlogged` ones (the
/// security server's count of records overwritten before any logger read
/// them); status 1 if nothing matched.
fn print_hits(a: &coreutils::args::Args, hits: &[String], last: Option<u64>, lost: u64, unlogged: u64) -> i32 {
    let skip = last.map_or(0, |n| hits.len().saturating_sub(n as usize));
    let mut out = Out::new();
    if lost > 0 && !a.has('q') {
        out.line(&format!("({lost} older records were overwritten before they could be read)"));
    }
    if unlogged > 0 && !a.has('q') {
        out.line(&format!("({unlogged} records were overwritten before the audit daemon logged them)"));
    }
    for h in &hits[skip..] {
        if !a.has('r') {
            out.line("----");
        }
        out.line(h);
    }
    if hits.is_empty() && !a.has('q') {
        out.line("<no matches>");
    }
    i32::from(hits.is_empty())
}

/// `runcon CONTEXT COMMAND [ARG...]` or `runcon [-u USER] [-r ROLE]
/// [-t TYPE] [-l RANGE] COMMAND [ARG...]`: runs the command in another
/// security context, if the policy lets this process enter it with that
/// program (`process transition`, `file entrypoint`); without arguments
/// prints the current context.
pub fn runcon(args: &[String]) -> i32 {
    let spec = Spec {
        short: "u:r:t:l:",
        long: &[("user=", 'u'), ("role=", 'r'), ("type=", 't'), ("range=", 'l')],
        stop_at_operand: true,
    };
    let a = match parse("runcon", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let cur = env::security_context();
    if a.operands.is_empty() && a.opts.is_empty() {
        Out::new().line(&cur);
        return 0;
    }
    let mut ops = a.operands.clone();
    let ctx = if a.opts.is_empty() {
        ops.remove(0)
    } else {
        match compose_context(&cur, a.value('u'), a.value('r'), a.value('t'), a.value('l')) {
            Some(c) => c,
            None => {
                err("runcon", &format!("cannot parse the current context '{cur}'"));
                return 1;
            }
        }
    };
    let Some((prog, rest)) = ops.split_first() else {
        err("runcon", "no command given");
        return 1;
    };
    let mut c = Command::new(prog);
    c.args(rest.iter().map(String::as_str)).security_context(&ctx);
    super::sys::run_child(&mut c, "runcon", &format!("{prog}' in '{ctx}"))
}
