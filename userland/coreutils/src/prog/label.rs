//! Relabelling: `chcon` and `restorecon` (SELinux's policycoreutils and
//! coreutils tools), through the file server's `SetCon`, which checks
//! ownership, `relabelfrom`/`relabelto` and the policy's `validatetrans`.

use super::{Out, err, err_on, parse};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use coreutils::args::Spec;
use coreutils::misc::compose_context;
use rampart_libos::fs;

/// Every path below `path` (itself first) when `recursive`, else `path`.
fn walk(path: &str, recursive: bool, out: &mut Vec<String>) {
    out.push(path.into());
    if !recursive {
        return;
    }
    if let Ok(md) = fs::symlink_metadata(path)
        && md.is_dir()
        && let Ok(entries) = fs::read_dir(path)
    {
        for e in entries {
            walk(&e.path(), true, out);
        }
    }
}

/// `chcon [-R] [-v] CONTEXT FILE...` or `chcon [-R] [-v] [-u USER] [-r
/// ROLE] [-t TYPE] [-l RANGE] FILE...`: sets the security context of each
/// file (symbolic links themselves, not their targets).
pub fn chcon(args: &[String]) -> i32 {
    let spec = Spec {
        short: "Rvu:r:t:l:",
        long: &[("recursive", 'R'), ("verbose", 'v'), ("user=", 'u'), ("role=", 'r'), ("type=", 't'), ("range=", 'l')],
        stop_at_operand: false,
    };
    let a = match parse("chcon", &spec, args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    let parts = a.value('u').is_some() || a.value('r').is_some() || a.value('t').is_some() || a.value('l').is_some();
    let mut ops = a.operands.clone();
    let full = if parts || ops.is_empty() { None } else { Some(ops.remove(0)) };
    if ops.is_empty() {
        err("chcon", "usage: chcon [-R] [-v] CONTEXT FILE... | chcon [-u USER] [-r ROLE] [-t TYPE] [-l RANGE] FILE...");
        return 1;
    }
    let mut status = 0;
    let mut out = Out::new();
    for op in &ops {
        let mut paths = Vec::new();
        walk(op, a.has('R'), &mut paths);
        for p in paths {
            let ctx = match &full {
                Some(c) => c.clone(),
                None => {
                    let cur = match fs::security_context(&p) {
                        Ok(c) => c,
                        Err(e) => {
                            err_on("chcon", &format!("can't read the context of '{p}'"), &e);
                            status = 1;
                            continue;
                        }
                    };
                    match compose_context(&cur, a.value('u'), a.value('r'), a.value('t'), a.value('l')) {
                        Some(c) => c,
                        None => {
                            err("chcon", &format!("cannot parse the context '{cur}' of '{p}'"));
                            status = 1;
                            continue;
                        }
                    }
                }
            };
            match fs::set_security_context(&p, Some(&ctx)) {
                Ok(()) if a.has('v') => out.line(&format!("changing security context of '{p}' to {ctx}")),
                Ok(()) => {}
                Err(e) => {
                    err_on("chcon", &format!("failed to change context of '{p}' to '{ctx}'"), &e);
                    status = 1;
                }
            }
        }
    }
    status
}

/// `restorecon [-R] [-v] PATH...`: gives each path the label the
/// policy's file contexts say (`-v`: report each change).
pub fn restorecon(args: &[String]) -> i32 {
    let a = match parse("restorecon", &Spec::short("Rv"), args, 1) {
        Ok(a) => a,
        Err(s) => return s,
    };
    if a.operands.is_empty() {
        err("restorecon", "usage: restorecon [-R] [-v] PATH...");
        return 1;
    }
    let mut status = 0;
    let mut out = Out::new();
    let cwd = rampart_libos::env::current_dir();
    for op in &a.operands {
        // The file contexts are matched against absolute paths, and the
        // report names them so (as restorecon does).
        let op = rampart_libos::path::absolute(&cwd, op);
        let mut paths = Vec::new();
        walk(&op, a.has('R'), &mut paths);
        for p in paths {
            let before = fs::security_context(&p).ok();
            match fs::set_security_context(&p, None) {
                Ok(()) => {
                    let after = fs::security_context(&p).ok();
                    if a.has('v') && before != after {
                        out.line(&format!(
                            "Relabeled {p} from {} to {}",
                            before.as_deref().unwrap_or("?"),
                            after.as_deref().unwrap_or("?")
                        ));
                    }
                }
                Err(e) => {
                    err_on("restorecon", &format!("could not set context of {p}"), &e);
                    status = 1;
                }
            }
        }
    }
    status
}
