//! The end of a task: exit, kill, faults, and collecting statuses (`Wait`).
//!
//! Destroying a task is complete by construction: everything rm made for
//! it was carved from its chunks (its objects, paging structures, image,
//! stack and heap) or its regions' chunks, so revoking those chunks
//! destroys every object and every capability derived from one, wherever
//! it is; rm then frees the blocks, its slots and the container charge.

use crate::kops::{CNODE, release};
use crate::state::Rm;
use rampart_rm_api::{ChildEvent, ExitStatus, FaultReport, INIT_PID, Pid, Response, WaitFor};
use rampart_rm_core::proctable::{ChangeEffects, WaitOptions, WaitResult};
use rampart_rt::cap::Reply;
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Message, Outgoing, reply_with};
use rampart_rt::server::Server;
use rampart_uabi::Errno;

/// Destroys live task `pid` and records `status` for its parent.
pub fn destroy(rm: &mut Rm, pid: Pid, status: ExitStatus) {
    let Some(mut t) = rm.tasks.remove(&pid) else { return };
    trusted_ended(rm, pid);
    crate::signals::detach(rm, t.block.take());
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
    let parent = rm.procs.get(pid).map_or(0, |p| p.parent);
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
    // The parent hears of it (it may already be gone: the child is then
    // init's, which ignores SIGCHLD).
    crate::jobs::sigchld(rm, pid, parent);
    for g in fx.hangup {
        crate::jobs::signal_group(rm, g, rampart_uabi::signal::SIGHUP);
        crate::jobs::signal_group(rm, g, rampart_uabi::signal::SIGCONT);
    }
}

/// secsrv or connsrv ended (killed, faulted): rm drops its channel to it
/// before anything else, so no later call waits forever on a server nobody
/// answers — after secsrv, rm refuses every request but init's and exits
/// (`EPERM`; its boot-time rules for "no security server yet" would
/// otherwise apply), after connsrv new tasks get no channel — and init,
/// told of the end like of any child,
/// powers the machine off (fail-stop: docs/reliability.md, "Trusted
/// servers").
fn trusted_ended(rm: &mut Rm, pid: Pid) {
    if rm.secsrv.pid == pid && pid != 0 {
        rampart_rt::pr_emerg!("rm: the security server (pid {pid}) ended; every decision now fails closed");
        if let Some(ep) = rm.secsrv.ep.take() {
            drop_slot(rm, ep.0);
        }
        rm.secsrv.pid = 0;
        rm.secsrv.lost = true;
    }
    if let Some((ep, c)) = rm.connsrv
        && c == pid
    {
        rampart_rt::pr_emerg!("rm: the connection server (pid {pid}) ended; new tasks get no channels");
        rm.connsrv = None;
        drop_slot(rm, ep.0);
    }
}

/// A child stopped or continued: answer its waiting parent, or notify the
/// parent; either way it gets `SIGCHLD`.
pub fn child_changed(rm: &mut Rm, child: Pid, fx: ChangeEffects<Reply>) {
    if let Some((reply, pid, ev)) = fx.wake {
        answer(reply, &event_response(pid, ev));
        rm.replies.push(reply);
    }
    if let Some(p) = fx.notify {
        signal_events(rm, p);
    }
    let parent = rm.procs.get(child).map_or(0, |p| p.parent);
    crate::jobs::sigchld(rm, child, parent);
}

fn event_response(pid: Pid, ev: ChildEvent) -> Response {
    match ev {
        ChildEvent::Exited(status) => Response::Exited { pid, status },
        ChildEvent::Stopped(sig) => Response::Stopped { pid, sig },
        ChildEvent::Continued => Response::Continued { pid },
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

/// `Wait`: answers at once, or defers the caller's reply (`None`: no reply
/// now).
pub fn wait(rm: &mut Rm, server: &mut Server, caller: Pid, target: WaitFor, opts: WaitOptions) -> Option<Response> {
    let fresh = if opts.block {
        match rm.take_reply() {
            Some(r) => Some(r),
            None => return Some(Response::Err(Errno::EAGAIN)),
        }
    } else {
        None
    };
    let r = rm.procs.wait(caller, target, opts, server.current_reply());
    let give_back = |rm: &mut Rm| {
        if let Some(f) = fresh {
            rm.replies.push(f);
        }
    };
    match r {
        WaitResult::Event(p, ev) => {
            give_back(rm);
            Some(event_response(p, ev))
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
