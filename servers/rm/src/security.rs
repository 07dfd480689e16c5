//! rm and the security server (docs/resource-manager.md, "Security
//! hooks"): the exec type transition, the `process getattr` check for
//! listing tasks, and capabilities staged for a spawn (inherited handle
//! tokens, docs/userland.md §4). The signal checks are in `crate::jobs`.
//!
//! rm calls secsrv, never the other way round: secsrv runs on a fixed heap
//! and makes no call to rm at all (docs/security-architecture.md §5).
//!
//! SIDs (docs/security-architecture.md §1, "SID lifetime and limits"): rm
//! decides on context *strings* (`CheckContext`, `ComputeAvContexts`,
//! `ComputeCreateContexts`), which add nothing to secsrv's SID table, so a
//! refused spawn leaves nothing behind. Only the context of a task it
//! actually creates is held ([`hold`]), charged to the parent's SID (to
//! rm itself for init's children), and released when the task is
//! destroyed ([`release`]). A parent at its limit gets `EDQUOT`.
//!
//! Trust: the executable's file context comes from the spawning process,
//! which read the image from the file server. A process can therefore only
//! claim a file context whose `entrypoint` the policy grants the target
//! domain and whose `transition` it grants the process itself (both checked
//! here), never an arbitrary domain; closing the gap (images handed to rm
//! by the file server) is future work (docs/compatibility.md).

use crate::kops::CNODE;
use crate::state::Rm;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_abi::Rights;
use rampart_rm_api::{INIT_PID, MAX_STAGED, Pid, Staged};
use rampart_rt::cap::{CPtr, Endpoint};
use rampart_rt::dprintln;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::Errno;

/// rm's link to secsrv (empty until init sends it).
#[derive(Default)]
pub struct Secsrv {
    /// The channel.
    pub ep: Option<Endpoint>,
    /// `process` class number and the bits of `signal`, `transition` and
    /// `getattr`.
    process: Option<(u16, u32, u32, u32)>,
    /// `file` class number and the bit of `entrypoint`.
    file: Option<(u16, u32)>,
    /// `system` class number and the bits of `halt` and `reboot`.
    system: Option<(u16, u32, u32)>,
    /// `system` class number and the bits of `syslog_write` and
    /// `syslog_read` (`None` if the policy has no such permissions).
    syslog: Option<(u16, u32, u32)>,
    /// rm's own context (the target of `system` checks).
    own: String,
}

/// A SID rm holds for a live task: the SID of its context and the owner
/// charged for it (the parent's SID; 0 for rm itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    /// The task's SID.
    pub sid: u32,
    /// The owner charged.
    pub subject: u32,
}

/// `SetSecsrv` from `caller` with the capability in `cap`.
///
/// # Errors
/// `EPERM` (not init), `EINVAL` (no capability), `ENOMEM`, `EIO`.
pub fn set(rm: &mut Rm, caller: Pid, cap: Option<CPtr>) -> Result<(), Errno> {
    if caller != INIT_PID {
        return Err(Errno::EPERM);
    }
    let cap = cap.ok_or(Errno::EINVAL)?;
    let s = rm.slots.alloc(1).ok_or(Errno::ENOMEM)?;
    if CNODE.move_(s, 64, CNODE.path(cap, 64)).is_err() {
        rm.slots.free(s, 1);
        return Err(Errno::EIO);
    }
    let mut c = Client(Ipc(Endpoint(s)));
    let process = c.class_id("process").ok().and_then(|p| {
        Some((p, c.perms(p, &["signal"]).ok()?, c.perms(p, &["transition"]).ok()?, c.perms(p, &["getattr"]).ok()?))
    });
    let file = c.class_id("file").ok().and_then(|f| Some((f, c.perms(f, &["entrypoint"]).ok()?)));
    let system =
        c.class_id("system").ok().and_then(|k| Some((k, c.perms(k, &["halt"]).ok()?, c.perms(k, &["reboot"]).ok()?)));
    let syslog = c
        .class_id("system")
        .ok()
        .and_then(|k| Some((k, c.perms(k, &["syslog_write"]).ok()?, c.perms(k, &["syslog_read"]).ok()?)));
    let own = c.who_am_i().and_then(|sid| c.sid_to_context(sid)).unwrap_or_default();
    if let Some(old) = rm.secsrv.ep.replace(Endpoint(s)) {
        crate::lifecycle::drop_slot(rm, old.0);
    }
    rm.secsrv.process = process;
    rm.secsrv.file = file;
    rm.secsrv.system = system;
    rm.secsrv.syslog = syslog;
    rm.secsrv.own = own;
    Ok(())
}

/// Is `bit` of `class` granted from context `s` to context `t`? Neither is
/// added to secsrv's SID table.
fn allowed(c: &mut Client<Ipc>, s: &str, t: &str, class: u16, bit: u32) -> Result<bool, Errno> {
    let d = c.compute_av_contexts(s, t, class)?;
    Ok(d.allowed & bit == bit)
}

/// Is `other` the context whose canonical text is `canonical`?
fn same(c: &mut Client<Ipc>, canonical: &str, other: &str) -> Result<bool, Errno> {
    Ok(canonical == other || c.check_context(other)? == canonical)
}

/// The context of a child of a process in `parent` started from an
/// executable labelled `exec` (the policy's type transition); the parent's
/// without `exec` or without a link to secsrv.
///
/// # Errors
/// `EACCES` when the domain changes but `process transition` or
/// `file entrypoint` is denied; `EINVAL` for a context the policy rejects.
pub fn transition(rm: &Rm, parent: &str, exec: Option<&str>) -> Result<String, Errno> {
    let (Some(exec), Some(ep)) = (exec, rm.secsrv.ep) else { return Ok(parent.into()) };
    let (Some((pclass, _, trans, _)), Some((fclass, entry))) = (rm.secsrv.process, rm.secsrv.file) else {
        return Ok(parent.into());
    };
    let mut c = Client(Ipc(ep));
    let new = c.compute_create_contexts(parent, exec, pclass)?;
    if same(&mut c, &new, parent)? {
        return Ok(parent.into());
    }
    if !allowed(&mut c, parent, &new, pclass, trans)? || !allowed(&mut c, &new, exec, fclass, entry)? {
        rampart_rt::pr_debug!("rm: avc: denied {{ transition entrypoint }} for scontext={parent} exec={exec}");
        return Err(Errno::EACCES);
    }
    Ok(new)
}

/// The context `wanted` a process in `parent` asked for its child started
/// from an executable labelled `exec` (SELinux's `setexeccon`, `runcon`):
/// granted when it is the parent's own, or when the policy allows `process
/// transition` from the parent to it and `file entrypoint` from it on the
/// executable. Decided on the strings: nothing is added to secsrv's SID
/// table, whatever the answer.
///
/// # Errors
/// `EINVAL` (not a valid context), `EACCES` (refused, or no executable
/// context to check), `EPERM` (no security server to ask).
pub fn explicit(rm: &Rm, parent: &str, wanted: &str, exec: Option<&str>) -> Result<String, Errno> {
    if wanted == parent {
        return Ok(parent.into());
    }
    let (Some(ep), Some((pclass, _, trans, _)), Some((fclass, entry))) =
        (rm.secsrv.ep, rm.secsrv.process, rm.secsrv.file)
    else {
        return Err(Errno::EPERM);
    };
    let mut c = Client(Ipc(ep));
    let wanted = c.check_context(wanted).map_err(|_| Errno::EINVAL)?;
    if same(&mut c, &wanted, parent)? {
        return Ok(parent.into());
    }
    let Some(exec) = exec else { return Err(Errno::EACCES) };
    if !allowed(&mut c, parent, &wanted, pclass, trans)? || !allowed(&mut c, &wanted, exec, fclass, entry)? {
        rampart_rt::pr_debug!(
            "rm: avc: denied {{ transition entrypoint }} for scontext={parent} tcontext={wanted} exec={exec}"
        );
        return Err(Errno::EACCES);
    }
    Ok(wanted)
}

/// Holds the SID of `context` for a new task of `caller` (before it is
/// built), charged to the caller's SID (to rm itself for init's children
/// and for callers without one). `None` without a security server, and
/// for a context init named that secsrv refuses (such a task runs without
/// a connsrv channel, as before).
///
/// # Errors
/// `EDQUOT` (the caller's SID limit: secsrv's `ENOSPC`), `EINVAL`.
pub fn hold(rm: &Rm, caller: Pid, context: &str) -> Result<Option<Held>, Errno> {
    let Some(ep) = rm.secsrv.ep else { return Ok(None) };
    let subject = match caller {
        INIT_PID => 0,
        p => rm.tasks.get(&p).and_then(|t| t.sid).map_or(0, |h| h.sid),
    };
    match Client(Ipc(ep)).hold_context(context, subject) {
        Ok(sid) => Ok(Some(Held { sid, subject })),
        Err(Errno::ENOSPC) => {
            rampart_rt::pr_err!("rm: pid {caller} is at its SID limit: no task in {context}");
            Err(Errno::EDQUOT)
        }
        Err(e) if caller == INIT_PID => {
            rampart_rt::pr_err!("rm: no SID for {context} ({e})");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Drops rm's hold on a task's SID (the task is gone, or was never built).
pub fn release(rm: &Rm, held: Option<Held>) {
    if let (Some(h), Some(ep)) = (held, rm.secsrv.ep)
        && let Err(e) = Client(Ipc(ep)).release_sid(h.sid, h.subject)
    {
        dprintln!("rm: releasing SID {}: {e}", h.sid);
    }
}

/// May a task in `source` inspect one in `target` (`process getattr`)?
/// Denials are not logged: listing tasks asks about every task.
pub fn may_getattr(rm: &Rm, source: &str, target: &str) -> bool {
    let (Some(ep), Some((pclass, _, _, getattr))) = (rm.secsrv.ep, rm.secsrv.process) else { return false };
    allowed(&mut Client(Ipc(ep)), source, target, pclass, getattr).unwrap_or(false)
}

/// May task `pid` in `source` stop the machine (`system halt`, or `system
/// reboot`, on rm's own context)? Without a security server only init may
/// power off (it holds every boot capability anyway; test programs run
/// without the security core end this way). Denials are logged.
///
/// # Errors
/// `ENOSYS` without a security server or a `system` class; `EACCES`.
pub fn may_power_off(rm: &Rm, pid: Pid, source: &str, reboot: bool) -> Result<(), Errno> {
    if rm.secsrv.ep.is_none() && pid == INIT_PID && !reboot {
        return Ok(());
    }
    let (Some(ep), Some((class, halt, rb))) = (rm.secsrv.ep, rm.secsrv.system) else { return Err(Errno::ENOSYS) };
    if allowed(&mut Client(Ipc(ep)), source, &rm.secsrv.own, class, if reboot { rb } else { halt })? {
        return Ok(());
    }
    let perm = if reboot { "reboot" } else { "halt" };
    rampart_rt::pr_debug!("rm: avc: denied {{ {perm} }} for scontext={source} tclass=system");
    Err(Errno::EACCES)
}

/// The kernel-log rights a new task in `context` started by `caller` gets
/// (docs/security-architecture.md, "The kernel log"): Write where the
/// policy grants the context `system syslog_write` on rm's own context,
/// Read as well with `syslog_read`. Without a security server (the core
/// servers at boot, test programs run without it), or with a policy that
/// has no such permissions, init's children get Write and nobody else gets
/// anything. On a test kernel (which echoes every record to the serial
/// console, as its removed `DebugWrite` did) every task may write, so test
/// programs in any domain report through `dprintln!`.
pub fn log_rights(rm: &Rm, caller: Pid, context: &str) -> Rights {
    let test = if rampart_rt::syscall::debug_syscalls() { Rights::WRITE } else { Rights::NONE };
    policy_log_rights(rm, caller, context).or(test)
}

fn policy_log_rights(rm: &Rm, caller: Pid, context: &str) -> Rights {
    let fallback = if caller == INIT_PID { Rights::WRITE } else { Rights::NONE };
    let (Some(ep), Some((class, write, read))) = (rm.secsrv.ep, rm.secsrv.syslog) else { return fallback };
    let Ok(d) = Client(Ipc(ep)).compute_av_contexts(context, &rm.secsrv.own, class) else { return Rights::NONE };
    let mut r = Rights::NONE;
    if d.allowed & write == write {
        r = r.or(Rights::WRITE);
    }
    if d.allowed & read == read {
        r = r.or(Rights::READ);
    }
    r
}

/// `StageCap`: keeps the capability in `cap` for `pid`'s next spawn.
///
/// # Errors
/// `EINVAL` (no capability), `E2BIG`, `ENOMEM`, `EIO`.
pub fn stage(rm: &mut Rm, pid: Pid, what: Staged, cap: Option<CPtr>) -> Result<(), Errno> {
    let cap = cap.ok_or(Errno::EINVAL)?;
    if rm.staged.get(&pid).map_or(0, Vec::len) >= MAX_STAGED || what.name.len() > 64 {
        return Err(Errno::E2BIG);
    }
    let s = rm.slots.alloc(1).ok_or(Errno::ENOMEM)?;
    if CNODE.move_(s, 64, CNODE.path(cap, 64)).is_err() {
        rm.slots.free(s, 1);
        return Err(Errno::EIO);
    }
    rm.staged.entry(pid).or_default().push((what, s));
    Ok(())
}

/// Drops every capability `pid` staged.
pub fn drop_staged(rm: &mut Rm, pid: Pid) {
    for (_, s) in rm.staged.remove(&pid).unwrap_or_default() {
        crate::lifecycle::drop_slot(rm, s);
    }
}
