//! `Kill`, process groups, sessions and terminals: the requests of POSIX
//! job control (docs/signals.md), with the policy's checks.
//!
//! Object-manager checks made here (class, permission, object):
//!
//! | request | check |
//! |---|---|
//! | `Kill` | `process sigkill` (SIGKILL), `sigstop` (SIGSTOP), `signull` (0), `signal` (others), caller → each target |
//! | a child's exit or stop | `process sigchld`, child → parent (else no SIGCHLD) |
//! | `SetControllingTerminal` | `console { read write }`, caller → the terminal's context |
//! | `SetForeground` | `console setfg`, caller → the terminal's context |
//!
//! With a security server the policy alone decides who may signal whom
//! (SELinux's rule; the shipped policy adds the Unix "same user" rule as a
//! constraint). Without one (test boots without the security core) a
//! target of `Kill` must be the caller or its descendant, or the caller a
//! task init started. init and rm are never signalled.

use crate::state::Rm;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::{INIT_PID, KillTarget, Pid, Response};
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::Errno;
use rampart_uabi::signal::{self as usig, Disposition, Signo};

/// The security context of task `pid` (empty if there is none).
pub fn context(rm: &Rm, pid: Pid) -> String {
    rm.procs.get(pid).map(|p| p.context.clone()).unwrap_or_default()
}

/// Whether the policy grants `source` permission `perm` of `class` on
/// `target` (true without a security server; denials are logged). Decided
/// on the context strings: nothing is added to secsrv's SID table
/// (docs/security-architecture.md §1).
pub fn allowed(rm: &Rm, source: &str, target: &str, class: &str, perm: &str) -> bool {
    allowed_for(rm, (source, target), (class, perm), class)
}

/// [`allowed`], with `object` naming the object in a denial's audit record.
pub fn allowed_for(rm: &Rm, (source, target): (&str, &str), (class, perm): (&str, &str), object: &str) -> bool {
    decide(rm, (source, target), (class, perm), (object, None)).unwrap_or_else(|e| {
        rampart_rt::pr_warn!(
            "rm: cannot decide {{ {perm} }} for scontext={source} tcontext={target} tclass={class}: {e}"
        );
        false
    })
}

/// The decision behind [`allowed_for`], telling a refusal (`Ok(false)`,
/// logged, and audited unless the policy says `dontaudit`; `object` names
/// the object in the record, and `subject`, if given, the task whose pid
/// it carries) from a decision that could not be made (a
/// revoked mapping, `crate::memory::revoke_on_policy_change`, keeps the
/// mapping when secsrv does not answer). `Ok(true)` without a security
/// server.
///
/// # Errors
/// `ENOENT`/`EINVAL` (the policy knows no such class, permission or
/// context), transport errors.
pub fn decide(
    rm: &Rm,
    (source, target): (&str, &str),
    (class, perm): (&str, &str),
    object: (&str, Option<Pid>),
) -> Result<bool, Errno> {
    let Some(ep) = rm.secsrv.ep else { return Ok(true) };
    let mut c = Client(Ipc(ep));
    let k = c.class_id(class)?;
    let bits = c.perms(k, &[perm])?;
    let d = c.compute_av_contexts(source, target, k)?;
    if d.allowed & bits == bits {
        return Ok(true);
    }
    rampart_rt::pr_debug!("rm: avc: denied {{ {perm} }} for scontext={source} tcontext={target} tclass={class}");
    if d.auditdeny & bits != 0 {
        crate::security::audit_denial(rm, &mut c, (source, target), (k, bits, d.seqno), object);
    }
    Ok(false)
}

/// The `process` permission sending `sig` needs.
pub fn signal_perm(sig: Signo) -> &'static str {
    match sig {
        0 => "signull",
        usig::SIGKILL => "sigkill",
        usig::SIGSTOP => "sigstop",
        usig::SIGCHLD => "sigchld",
        _ => "signal",
    }
}

/// May `caller` send `sig` to `target`?
fn may_signal(rm: &Rm, caller: Pid, target: Pid, sig: Signo) -> Result<(), Errno> {
    let (Some(c), Some(t)) = (rm.procs.get(caller), rm.procs.get(target)) else { return Err(Errno::ESRCH) };
    if !rm.tasks.contains_key(&target) {
        return Err(Errno::EPERM); // init (and rm) cannot be signalled
    }
    let related = rm.secsrv.ep.is_some() || target == caller || rm.procs.is_descendant(target, caller) || c.privileged;
    if !related || !allowed(rm, &c.context, &t.context, "process", signal_perm(sig)) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// `Kill` from `caller`.
///
/// # Errors
/// `EINVAL` (signal number), `ESRCH` (nobody there), `EPERM` (nobody
/// could be signalled).
pub fn kill(rm: &mut Rm, caller: Pid, target: KillTarget, sig: Signo) -> Result<(), Errno> {
    if sig > usig::NSIG {
        return Err(Errno::EINVAL);
    }
    let targets: Vec<Pid> = match target {
        KillTarget::Pid(p) => {
            if rm.procs.get(p).is_none_or(|p| p.status.is_some()) {
                return Err(Errno::ESRCH);
            }
            alloc::vec![p]
        }
        KillTarget::Group(g) => {
            let g = if g == 0 { rm.procs.get(caller).map_or(0, |p| p.pgid) } else { g };
            rm.procs.group(g)
        }
    };
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let mut result = Err(Errno::EPERM);
    for t in targets {
        if may_signal(rm, caller, t, sig).is_ok() {
            result = Ok(());
            if sig != 0 {
                crate::signals::post(rm, t, sig);
            }
        }
    }
    result
}

/// Signals every member of group `pgid` (no checks: the sender is rm on
/// behalf of a terminal or a session's end).
pub fn signal_group(rm: &mut Rm, pgid: Pid, sig: Signo) {
    for p in rm.procs.group(pgid) {
        crate::signals::post(rm, p, sig);
    }
}

/// A child of `parent` changed state: `SIGCHLD` to the parent, if the
/// policy lets the child signal it.
pub fn sigchld(rm: &mut Rm, child: Pid, parent: Pid) {
    // A parent that does not catch SIGCHLD would discard it: no check.
    let catches = rm.tasks.get(&parent).is_some_and(|t| matches!(t.sig.action(usig::SIGCHLD), Disposition::Catch(_)));
    if parent == INIT_PID || !catches {
        return;
    }
    let (c, p) = (context(rm, child), context(rm, parent));
    if c.is_empty() || p.is_empty() || allowed(rm, &c, &p, "process", "sigchld") {
        crate::signals::post(rm, parent, usig::SIGCHLD);
    }
}

/// The job-control requests; `None` if `req` is not one.
pub fn handle(rm: &mut Rm, caller: Pid, req: &rampart_rm_api::Request) -> Option<Result<Response, Errno>> {
    use rampart_rm_api::Request as R;
    Some(match *req {
        R::Kill { target, sig } => kill(rm, caller, target, sig).map(|()| Response::Ok),
        R::SigAction { sig, action } => crate::signals::sigaction(rm, caller, sig, action).map(Response::SigAction),
        R::SetPgid { pid, pgid } => rm.procs.set_pgid(caller, pid, pgid).map(|()| Response::Ok),
        R::SetSid => rm.procs.set_sid(caller).map(|sid| Response::Group { pgid: sid, sid }),
        R::GetGroup { pid } => {
            let pid = if pid == 0 { caller } else { pid };
            match rm.procs.get(pid).filter(|p| p.status.is_none()) {
                None => Err(Errno::ESRCH),
                Some(p) => Ok(Response::Group { pgid: p.pgid, sid: p.sid }),
            }
        }
        R::RegisterTerminal => {
            let ctx = context(rm, caller);
            Ok(Response::Terminal(rm.procs.register_terminal(caller, ctx)))
        }
        R::SetControllingTerminal { terminal } => {
            let t = rm.procs.terminal(terminal).map(|t| t.context.clone()).ok_or(Errno::ENXIO);
            t.and_then(|tctx| {
                let me = context(rm, caller);
                if !allowed(rm, &me, &tctx, "console", "read") || !allowed(rm, &me, &tctx, "console", "write") {
                    return Err(Errno::EACCES);
                }
                rm.procs.set_controlling_terminal(caller, terminal).map(|()| Response::Ok)
            })
        }
        R::SetForeground { pgid } => {
            if let Err(e) = background_tcsetpgrp(rm, caller) {
                return Some(Err(e));
            }
            let tctx = rm
                .procs
                .foreground(caller)
                .and_then(|(id, _)| rm.procs.terminal(id).map(|t| t.context.clone()).ok_or(Errno::ENOTTY));
            tctx.and_then(|tctx| {
                if !allowed(rm, &context(rm, caller), &tctx, "console", "setfg") {
                    return Err(Errno::EACCES);
                }
                rm.procs.set_foreground(caller, pgid).map(|_| Response::Ok)
            })
        }
        R::GetForeground => rm.procs.foreground(caller).map(|(terminal, pgid)| Response::Foreground { terminal, pgid }),
        R::TerminalSignal { terminal, sig } => {
            if sig == 0 || sig > usig::NSIG {
                return Some(Err(Errno::EINVAL));
            }
            rm.procs.terminal_signal_target(caller, terminal).map(|g| {
                if g != 0 {
                    signal_group(rm, g, sig);
                }
                Response::Ok
            })
        }
        R::TerminalAccess { terminal, pid } => match rm.procs.terminal_access(caller, terminal, pid) {
            Ok(true) => Ok(Response::Ok),
            Ok(false) => stop_background_reader(rm, pid),
            Err(e) => Err(e),
        },
        _ => return None,
    })
}

/// `tcsetpgrp(3)` from a member of a background group (POSIX): unless
/// the caller ignores or blocks `SIGTTOU`, its group gets `SIGTTOU` and
/// the call fails with `EINTR` (`EIO` for an orphaned group, which would
/// never be continued); a shell blocks `SIGTTOU` while it takes the
/// terminal back. So a background job cannot steal the terminal from its
/// shell.
fn background_tcsetpgrp(rm: &mut Rm, caller: Pid) -> Result<(), Errno> {
    let Ok((_, fg)) = rm.procs.foreground(caller) else { return Ok(()) };
    let own = rm.procs.get(caller).map_or(0, |p| p.pgid);
    if fg == 0 || own == fg {
        return Ok(());
    }
    let ignored = rm.tasks.get(&caller).is_some_and(|t| t.sig.action(usig::SIGTTOU) == Disposition::Ignore);
    if ignored || crate::signals::blocks(rm, caller, usig::SIGTTOU) {
        return Ok(());
    }
    if rm.procs.orphaned(own) {
        return Err(Errno::EIO);
    }
    signal_group(rm, own, usig::SIGTTOU);
    Err(Errno::EINTR)
}

/// `reader`, in a background group, tried to read its terminal: `SIGTTIN`
/// to its group (`EINTR`), or `EIO` if it would never be continued
/// (orphaned group) or does not stop for it (ignored or blocked).
fn stop_background_reader(rm: &mut Rm, reader: Pid) -> Result<Response, Errno> {
    let pgid = rm.procs.get(reader).map_or(0, |p| p.pgid);
    let ignored = rm.tasks.get(&reader).is_some_and(|t| t.sig.action(usig::SIGTTIN) == Disposition::Ignore);
    if ignored || crate::signals::blocks(rm, reader, usig::SIGTTIN) || rm.procs.orphaned(pgid) {
        return Err(Errno::EIO);
    }
    signal_group(rm, pgid, usig::SIGTTIN);
    Err(Errno::EINTR)
}
