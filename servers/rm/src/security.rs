//! rm and the security server (docs/resource-manager.md, "Security
//! hooks"): the exec type transition, the `process getattr` check for
//! listing tasks, and capabilities staged for a spawn (inherited handle
//! tokens, docs/userland.md §4). The signal checks are in `crate::jobs`.
//!
//! rm calls secsrv, never the other way round, and secsrv's heap is sized
//! so that it never grows while answering (see `crate::connsrv`).
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
    if let Some(old) = rm.secsrv.ep.replace(Endpoint(s)) {
        crate::lifecycle::drop_slot(rm, old.0);
    }
    rm.secsrv.process = process;
    rm.secsrv.file = file;
    rm.secsrv.system = system;
    rm.secsrv.syslog = syslog;
    Ok(())
}

fn allowed(c: &mut Client<Ipc>, s: u32, t: u32, class: u16, bit: u32) -> Result<bool, Errno> {
    let d = c.compute_av(s, t, class)?;
    Ok(d.allowed & bit == bit)
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
    let ssid = c.context_to_sid(parent)?;
    let fsid = c.context_to_sid(exec).map_err(|_| Errno::EINVAL)?;
    let nsid = c.compute_create(ssid, fsid, pclass, None)?;
    if nsid == ssid {
        return Ok(parent.into());
    }
    if !allowed(&mut c, ssid, nsid, pclass, trans)? || !allowed(&mut c, nsid, fsid, fclass, entry)? {
        dprintln!("rm: avc: denied {{ transition entrypoint }} for scontext={parent} exec={exec}");
        return Err(Errno::EACCES);
    }
    c.sid_to_context(nsid)
}

/// The context `wanted` a process in `parent` asked for its child started
/// from an executable labelled `exec` (SELinux's `setexeccon`, `runcon`):
/// granted when it is the parent's own, or when the policy allows `process
/// transition` from the parent to it and `file entrypoint` from it on the
/// executable.
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
    let ssid = c.context_to_sid(parent)?;
    let nsid = c.context_to_sid(wanted).map_err(|_| Errno::EINVAL)?;
    let fsid = match exec {
        Some(x) => c.context_to_sid(x).map_err(|_| Errno::EINVAL)?,
        None => return Err(Errno::EACCES),
    };
    if !allowed(&mut c, ssid, nsid, pclass, trans)? || !allowed(&mut c, nsid, fsid, fclass, entry)? {
        dprintln!(
            "rm: avc: denied {{ transition entrypoint }} for scontext={parent} tcontext={wanted} exec={}",
            exec.unwrap_or("?")
        );
        return Err(Errno::EACCES);
    }
    c.sid_to_context(nsid)
}

/// May a task in `source` inspect one in `target` (`process getattr`)?
/// Denials are not logged: listing tasks asks about every task.
pub fn may_getattr(rm: &Rm, source: &str, target: &str) -> bool {
    let (Some(ep), Some((pclass, _, _, getattr))) = (rm.secsrv.ep, rm.secsrv.process) else { return false };
    let mut c = Client(Ipc(ep));
    let (Ok(s), Ok(t)) = (c.context_to_sid(source), c.context_to_sid(target)) else { return false };
    allowed(&mut c, s, t, pclass, getattr).unwrap_or(false)
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
    let mut c = Client(Ipc(ep));
    let s = c.context_to_sid(source)?;
    let own = c.who_am_i()?;
    if allowed(&mut c, s, own, class, if reboot { rb } else { halt })? {
        return Ok(());
    }
    let perm = if reboot { "reboot" } else { "halt" };
    dprintln!("rm: avc: denied {{ {perm} }} for scontext={source} tclass=system");
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
    let mut c = Client(Ipc(ep));
    let (Ok(s), Ok(own)) = (c.context_to_sid(context), c.who_am_i()) else { return Rights::NONE };
    let Ok(d) = c.compute_av(s, own, class) else { return Rights::NONE };
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
