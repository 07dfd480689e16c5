//! The end of a task: exit, kill, faults, and collecting statuses (`Wait`).
//!
//! Destroying a task is complete by construction: everything rm made for
//! it was carved from its chunks (its objects, paging structures, image,
//! stack and heap) or its regions' chunks, so revoking those chunks
//! destroys every object and every capability derived from one, wherever
//! it is; rm then frees the blocks, its slots and the container charge.

use crate::kops::{CNODE, release};
use crate::state::Rm;
use rampart_rm_api::{ExitStatus, FaultReport, INIT_PID, Pid, Response};
use rampart_rm_core::proctable::WaitResult;
use rampart_rt::cap::Reply;
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Message, Outgoing, reply_with};
use rampart_rt::server::Server;
use rampart_uabi::Errno;

/// Destroys live task `pid` and records `status` for its parent.
pub fn destroy(rm: &mut Rm, pid: Pid, status: ExitStatus) {
    let Some(mut t) = rm.tasks.remove(&pid) else { return };
    crate::connsrv::exited(rm, pid);
    crate::security::release(rm, t.sid.take());
    crate::security::drop_staged(rm, pid);
    for rid in core::mem::take(&mut t.mapped) {
        crate::memory::unmap_mapping(rm, rid, pid);
    }
    for rid in core::mem::take(&mut t.regions) {
        crate::memory::destroy_region(rm, rid);
    }
    release(&mut t.hold, &mut rm.buddy, &mut rm.slots, &mut rm.containers, t.container);
    if let Some(p) = rm.pools.get_mut(t.pool) {
        p.used -= 1;
    }
    rm.containers.remove_task(t.container);
    rm.containers.owner_exited(pid);
    let fx = rm.procs.exited(pid, status);
    if let Some((reply, child, st)) = fx.wake {
        answer(reply, &Response::Exited { pid: child, status: st });
        rm.replies.push(reply);
    }
    if let Some(r) = fx.cancelled {
        rm.replies.push(r);
    }
    if let Some(p) = fx.notify {
        signal_events(rm, p);
    }
}

fn answer(reply: Reply, resp: &Response) {
    if let Ok(m) = Outgoing::encode(resp) {
        reply_with(reply, &m);
    }
}

/// Signals the child-event notification of `pid`.
pub fn signal_events(rm: &Rm, pid: Pid) {
    if pid == INIT_PID {
        rm.init_events.signal();
    } else if let Some(t) = rm.tasks.get(&pid) {
        t.events.signal();
    }
}

/// A fault message for task `pid` (rm is the fault handler of programs):
/// the task is destroyed and the reason reported to its parent.
pub fn fault(rm: &mut Rm, pid: Pid, msg: &Message) {
    let report = FaultReport::from_message(msg.label(), msg.words());
    let name = rm.tasks.get(&pid).map_or("?", |t| t.name.as_str());
    dprintln!("rm: pid {pid} ({name}) killed by fault: {report}");
    destroy(rm, pid, ExitStatus::Faulted(report));
}

/// `Kill`: `caller` destroys `victim` (a descendant, or one the policy lets
/// it signal).
///
/// # Errors
/// `ESRCH` (no live task), `EPERM` (neither a descendant nor allowed, or
/// an ancestor).
pub fn kill(rm: &mut Rm, caller: Pid, victim: Pid) -> Result<(), Errno> {
    if rm.procs.get(victim).is_none_or(|p| p.status.is_some()) {
        return Err(Errno::ESRCH);
    }
    // Ancestors may kill their descendants. Other processes may be killed
    // where the policy grants `process signal` on them (the console's
    // Ctrl-C, `kill PID` of a sibling such as the shell's background job;
    // SELinux's check, there are no user ids to compare) — except the
    // caller's own ancestors, which only a task init started may kill: a
    // program cannot take down the session that runs it.
    if !rm.tasks.contains_key(&victim) {
        return Err(Errno::EPERM);
    }
    if !rm.procs.is_descendant(victim, caller) {
        let privileged = rm.procs.get(caller).is_some_and(|p| p.privileged);
        if !privileged && (victim == caller || rm.procs.is_descendant(caller, victim)) {
            return Err(Errno::EPERM);
        }
        let ctx = |p: Pid| rm.procs.get(p).map(|p| p.context.clone()).unwrap_or_default();
        if !crate::security::may_signal(rm, &ctx(caller), &ctx(victim)) {
            return Err(Errno::EPERM);
        }
    }
    destroy(rm, victim, ExitStatus::Killed);
    Ok(())
}

/// `Wait`: answers at once, or defers the caller's reply (`None`: no reply
/// now).
pub fn wait(rm: &mut Rm, server: &mut Server, caller: Pid, pid: Option<Pid>, block: bool) -> Option<Response> {
    let fresh = if block {
        match rm.take_reply() {
            Some(r) => Some(r),
            None => return Some(Response::Err(Errno::EAGAIN)),
        }
    } else {
        None
    };
    let r = rm.procs.wait(caller, pid, block, server.current_reply());
    let give_back = |rm: &mut Rm| {
        if let Some(f) = fresh {
            rm.replies.push(f);
        }
    };
    match r {
        WaitResult::Exited(p, s) => {
            give_back(rm);
            Some(Response::Exited { pid: p, status: s })
        }
        WaitResult::NoneYet => {
            give_back(rm);
            Some(Response::NoneExited)
        }
        WaitResult::NoChild => {
            give_back(rm);
            Some(Response::Err(Errno::ECHILD))
        }
        WaitResult::Busy => {
            give_back(rm);
            Some(Response::Err(Errno::EBUSY))
        }
        WaitResult::Blocked => {
            // The current reply object now belongs to the waiter.
            let f = fresh.expect("blocking waits take a fresh reply object");
            server.defer(f);
            None
        }
    }
}

/// Deletes a capability slot of rm and frees it (helpers for regions).
pub fn drop_slot(rm: &mut Rm, s: u64) {
    let _ = CNODE.delete(s, 64);
    rm.slots.free(s, 1);
}
