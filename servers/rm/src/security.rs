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
//! Trust: the executable's file context comes from the file server, which
//! sealed the image for the spawner (`crate::seal`), or, for a boot
//! module, from its spawner (boot modules have no file label); either way
//! `transition` + `entrypoint` or `execute_no_trans` are checked here on
//! it. A region the spawner wrote itself has no label at all.

use crate::kops::CNODE;
use crate::state::Rm;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use rampart_abi::Rights;
use rampart_rm_api::{INIT_PID, MAX_STAGED, Pid, Staged};
use rampart_rm_core::vocab::{Perm, PolicyQuery, Vocab};
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
    /// The class and permission numbers of the policy in force, read again
    /// whenever a decision shows the policy changed
    /// (`rampart_rm_core::vocab`; rm is single-threaded, and the checks
    /// take `&Rm`).
    vocab: RefCell<Vocab>,
    /// rm's own context (the target of `system` and `resource` checks).
    own: String,
    /// rm's own SID (0: unknown).
    own_sid: u32,
    /// secsrv's pid (0: not told).
    pub pid: Pid,
    /// secsrv ended: every request but init's and exits is refused.
    pub lost: bool,
}

/// [`PolicyQuery`] over rm's channel to secsrv.
struct Query(Client<Ipc>);

impl PolicyQuery for Query {
    fn class_id(&mut self, name: &str) -> Result<u16, Errno> {
        self.0.class_id(name)
    }
    fn perm_bit(&mut self, class: u16, perm: &str) -> Result<u32, Errno> {
        self.0.perms(class, &[perm])
    }
    fn seqno(&mut self) -> Result<u32, Errno> {
        self.0.status().map(|s| s.seqno)
    }
    fn decide(&mut self, s: &str, t: &str, class: u16) -> Result<(u32, u32), Errno> {
        self.0.compute_av_contexts(s, t, class).map(|d| (d.allowed, d.seqno))
    }
}

/// Is `p` granted from context `s` to context `t` by the policy in force
/// (with that policy's numbers)? Neither context is added to secsrv's SID
/// table.
///
/// # Errors
/// `EPERM` without a security server; [`Vocab::allowed`]'s errors.
fn allowed(rm: &Rm, s: &str, t: &str, p: Perm) -> Result<bool, Errno> {
    let ep = rm.secsrv.ep.ok_or(Errno::EPERM)?;
    rm.secsrv.vocab.borrow_mut().allowed(&mut Query(Client(Ipc(ep))), s, t, p)
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

/// `SetSecsrv` from `caller` with the capability in `cap`, for secsrv
/// task `secsrv`.
///
/// # Errors
/// `EPERM` (not init), `EINVAL` (no capability), `ENOMEM`, `EIO`.
pub fn set(rm: &mut Rm, caller: Pid, cap: Option<CPtr>, secsrv: Pid) -> Result<(), Errno> {
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
    let vocab = match Vocab::resolve(&mut Query(Client(Ipc(Endpoint(s))))) {
        Ok(v) => v,
        Err(e) => {
            dprintln!("rm: the security server's vocabulary: {e}");
            Vocab::default()
        }
    };
    let own_sid = c.who_am_i().unwrap_or(0);
    let own = c.sid_to_context(own_sid).unwrap_or_default();
    if let Some(old) = rm.secsrv.ep.replace(Endpoint(s)) {
        crate::lifecycle::drop_slot(rm, old.0);
    }
    rm.secsrv.vocab = RefCell::new(vocab);
    rm.secsrv.own = own;
    rm.secsrv.own_sid = own_sid;
    rm.secsrv.pid = secsrv;
    subscribe(rm, s);
    Ok(())
}

/// Asks secsrv (channel `ep`) to signal rm's bound notification on every
/// policy change, badged `badge::EVENT | EVENT_POLICY` so the server loop
/// tells it from a client's call (whose badge is a pid). rm then checks
/// the shared-memory mappings again (`crate::memory::revoke_on_policy_change`).
/// A failure is logged: rm then keeps map-time decisions only.
fn subscribe(rm: &mut Rm, ep: CPtr) {
    use rampart_uabi::startup::slot;
    let Some(n) = rm.slots.alloc(1) else { return dprintln!("rm: no slot to subscribe to policy changes") };
    let b = rampart_rm_api::badge::EVENT | rampart_secsrv_api::EVENT_POLICY;
    let r = CNODE
        .mint(n, 64, CNODE.path(slot::NOTIFICATION, 64), Rights::WRITE, b)
        .map_err(|_| Errno::EIO)
        .and_then(|()| Ipc(Endpoint(ep)).subscribe(n));
    if let Err(e) = r {
        dprintln!("rm: cannot subscribe to policy changes: {e}");
        crate::lifecycle::drop_slot(rm, n);
    }
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
/// `file entrypoint` is denied; `EINVAL` for a context the policy rejects;
/// `ENOENT` for a policy without `file entrypoint`; `EAGAIN` if the policy
/// kept changing while rm asked.
pub fn transition(rm: &Rm, parent: &str, exec: Option<&str>) -> Result<String, Errno> {
    let (Some(exec), Some(ep)) = (exec, rm.secsrv.ep) else { return Ok(parent.into()) };
    // The type transition names a class but returns no sequence number:
    // the numbers are checked first, and the answer is kept only if the
    // decisions that follow were made under the same policy.
    for _ in 0..4 {
        let mut q = Query(Client(Ipc(ep)));
        let seqno = {
            let mut v = rm.secsrv.vocab.borrow_mut();
            v.refresh(&mut q)?;
            v.seqno()
        };
        let Some((pclass, _)) = rm.secsrv.vocab.borrow().get(Perm::Transition) else { return Ok(parent.into()) };
        let mut c = q.0;
        let new = c.compute_create_contexts(parent, exec, pclass)?;
        if same(&mut c, &new, parent)? {
            if rm.secsrv.vocab.borrow_mut().refresh(&mut Query(c)).is_ok() && rm.secsrv.vocab.borrow().seqno() == seqno
            {
                return Ok(parent.into());
            }
            continue;
        }
        let ok = allowed(rm, parent, &new, Perm::Transition)? && allowed(rm, &new, exec, Perm::Entrypoint)?;
        if rm.secsrv.vocab.borrow().seqno() != seqno {
            continue; // the policy changed meanwhile: ask again
        }
        if !ok {
            rampart_rt::pr_debug!("rm: avc: denied {{ transition entrypoint }} for scontext={parent} exec={exec}");
            return Err(Errno::EACCES);
        }
        return Ok(new);
    }
    Err(Errno::EAGAIN)
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
    let Some(ep) = rm.secsrv.ep else { return Err(Errno::EPERM) };
    let mut c = Client(Ipc(ep));
    let wanted = c.check_context(wanted).map_err(|_| Errno::EINVAL)?;
    if same(&mut c, &wanted, parent)? {
        return Ok(parent.into());
    }
    let Some(exec) = exec else { return Err(Errno::EACCES) };
    // A policy without these permissions grants no explicit context.
    let no_vocab = |e| if e == Errno::ENOENT { Errno::EPERM } else { e };
    if !allowed(rm, parent, &wanted, Perm::Transition).map_err(no_vocab)?
        || !allowed(rm, &wanted, exec, Perm::Entrypoint).map_err(no_vocab)?
    {
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

/// Puts a denial of rm's into secsrv's audit trail (as the object manager
/// fs or net do): the SIDs are those rm holds for the tasks in `source`
/// and `target` (or its own); a context no live task has (init's) leaves
/// only the kernel-log line. `object` names the object (the class checked, or a revoked
/// mapping). The record's
/// pid is `subject`'s if given (a live task in `source`), else that of a
/// live task in `source` (0 for rm itself).
pub fn audit_denial(
    rm: &Rm,
    c: &mut Client<Ipc>,
    (source, target): (&str, &str),
    dec: (u16, u32, u32),
    (object, subject): (&str, Option<Pid>),
) {
    let sid_of = |ctx: &str| -> Option<(u32, u32)> {
        if let Some(p) = subject.filter(|p| ctx == source && rm.procs.get(*p).is_some_and(|x| x.context == ctx))
            && let Some(h) = rm.tasks.get(&p).and_then(|t| t.sid)
        {
            return Some((p, h.sid));
        }
        if ctx == rm.secsrv.own {
            return (rm.secsrv.own_sid != 0).then_some((0, rm.secsrv.own_sid));
        }
        rm.tasks
            .iter()
            .filter(|(pid, _)| rm.procs.get(**pid).is_some_and(|p| p.context == ctx))
            .find_map(|(pid, t)| t.sid.map(|h| (*pid, h.sid)))
    };
    let (Some((pid, ssid)), Some((_, tsid))) = (sid_of(source), sid_of(target)) else { return };
    let (class, perms, seqno) = dec;
    let rec = rampart_secsrv_api::AuditSubmit {
        ssid,
        tsid,
        class,
        perms,
        denied: true,
        enforced: true,
        seqno,
        object: object.into(),
        pid,
    };
    if let Err(e) = c.audit(rec) {
        dprintln!("rm: audit submission refused: {e}");
    }
}

/// May a task in `source` use rm's resource `perm` (class `resource`,
/// target rm's own context: `create_task`, `create_region`, `map_device`)?
/// True without a security server; denials are logged.
pub fn may_use(rm: &Rm, source: &str, perm: &str) -> bool {
    crate::jobs::allowed(rm, source, &rm.secsrv.own, "resource", perm)
}

/// May a task in `source` inspect one in `target` (`process getattr`)?
/// Denials are not logged: listing tasks asks about every task.
pub fn may_getattr(rm: &Rm, source: &str, target: &str) -> bool {
    allowed(rm, source, target, Perm::Getattr).unwrap_or(false)
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
    if rm.secsrv.ep.is_none() {
        return Err(Errno::ENOSYS);
    }
    match allowed(rm, source, &rm.secsrv.own, if reboot { Perm::Reboot } else { Perm::Halt }) {
        Ok(true) => return Ok(()),
        Err(Errno::ENOENT) => return Err(Errno::ENOSYS),
        Ok(false) | Err(_) => {}
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
    if rm.secsrv.ep.is_none() {
        return fallback;
    }
    let may = |p| allowed(rm, context, &rm.secsrv.own, p);
    match (may(Perm::SyslogWrite), may(Perm::SyslogRead)) {
        (Err(Errno::ENOENT), _) => fallback,
        (w, r) => {
            let mut rights = Rights::NONE;
            if w == Ok(true) {
                rights = rights.or(Rights::WRITE);
            }
            if r == Ok(true) {
                rights = rights.or(Rights::READ);
            }
            rights
        }
    }
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

/// `StageCap` of a region token: stages a copy of rm's own token
/// capability `token` (the one the caller's copy names) for `pid`'s next
/// spawn.
///
/// # Errors
/// `EINVAL` (no token), `E2BIG`, `ENOMEM`, `EIO`.
pub fn stage_token(rm: &mut Rm, pid: Pid, what: Staged, token: Option<CPtr>) -> Result<(), Errno> {
    let token = token.ok_or(Errno::EINVAL)?;
    if rm.staged.get(&pid).map_or(0, Vec::len) >= MAX_STAGED || what.name.len() > 64 {
        return Err(Errno::E2BIG);
    }
    let s = rm.slots.alloc(1).ok_or(Errno::ENOMEM)?;
    if CNODE.copy(s, 64, CNODE.path(token, 64), Rights::WRITE).is_err() {
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
