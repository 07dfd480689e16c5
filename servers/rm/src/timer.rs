//! Kernel timers for programs (`rampart_rm_api::Request::TimerAlloc`).
//!
//! The kernel has a fixed table of timers (`rampart_abi::invocation::TIMERS`,
//! docs/kernel.md "Timers and timeouts") handed out through one
//! `TimerControl` capability, which init copies to rm. Programs get at most
//! one timer each, on demand (most tasks never sleep), placed straight
//! into their CNode's slot `startup::slot::TIMER`, with a notification of
//! its own in `startup::slot::TIMER_NOTIFICATION` for the timer to signal
//! (not the task's bound notification: a sleep must neither consume nor
//! hide the other sources' bits, which many waiters read straight from the
//! bound notification). The timer is freed by the kernel with the task's
//! CNode, the notification with the task's other objects (it is made from
//! a chunk charged to the task's container). A task that cannot get one
//! (all issued, or its user's share taken: `rampart_rm_core::timers`) keeps
//! working: the library OS then waits by yielding.

use crate::kops::{CNODE, Res};
use crate::state::Rm;
use rampart_abi::{Error, ObjectType, Rights};
use rampart_procbuild::build::Resources;
use rampart_rm_api::boot::slot as rslot;
use rampart_rm_api::{Pid, Response};
use rampart_rm_core::timers;
use rampart_rt::cap::TimerControl;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// Bytes of the chunk the timer's notification is made from (log2; rm's
/// smallest block).
const NOTIFICATION_CHUNK_BITS: u32 = 12;

/// Puts a timer into task `pid`'s slot `startup::slot::TIMER` and a new
/// notification into `startup::slot::TIMER_NOTIFICATION`.
///
/// # Errors
/// `ESRCH` (no such task), `EEXIST` (the task has one), `EDQUOT` (its
/// user identity holds its share, `rampart_rm_core::timers`), `EBUSY` (a slot
/// is occupied), `EAGAIN` (every kernel timer is issued), `EDQUOT` or
/// `ENOMEM` (no memory for the notification), `ENOSYS` (rm was given no
/// timer control).
pub fn alloc(rm: &mut Rm, pid: Pid) -> Result<Response, Errno> {
    let t = rm.tasks.get(&pid).ok_or(Errno::ESRCH)?;
    if t.timer {
        return Err(Errno::EEXIST);
    }
    let context = rm.procs.get(pid).map(|p| p.context.as_str()).unwrap_or("");
    let held =
        rm.tasks.iter().filter(|(_, t)| t.timer).map(|(p, _)| rm.procs.get(*p).map_or("", |x| x.context.as_str()));
    if let Err(e) = timers::may_take(context, held) {
        rampart_rt::pr_warn!(
            "rm: pid {pid}: user {} holds its share of the kernel timers; it waits by yielding",
            timers::identity(context)
        );
        return Err(e);
    }
    let t = rm.tasks.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let (cnode, radix, container) = (t.built.cnode, u64::from(t.built.cnode_radix), t.container);
    // The notification first: its memory may be refused, and a timer
    // handed out without it would be lost to the task.
    let mut hold = core::mem::take(&mut t.hold);
    let made = {
        let mut res = Rm::res(&mut rm.buddy, &mut rm.slots, &mut rm.containers, container, &mut hold);
        notification(&mut res).map_err(|e| if e == Errno::ENOMEM { res.errno } else { e })
    };
    if let Some(t) = rm.tasks.get_mut(&pid) {
        t.hold = hold;
    }
    let ntfn = made?;
    cnode
        .copy(slot::TIMER_NOTIFICATION, radix, CNODE.path(ntfn, 64), Rights::RW)
        .map_err(|e| if e == Error::DeleteFirst { Errno::EBUSY } else { Errno::EIO })?;
    match TimerControl(rslot::TIMER_CONTROL).get(cnode, slot::TIMER, radix) {
        Ok(_) => {
            if let Some(t) = rm.tasks.get_mut(&pid) {
                t.timer = true;
            }
            Ok(Response::Ok)
        }
        Err(e) => {
            // The notification stays with the task's objects (freed with
            // them); its slot is emptied so a later request can retry.
            let _ = cnode.delete(slot::TIMER_NOTIFICATION, radix);
            Err(match e {
                Error::RevokeFirst => {
                    rampart_rt::pr_err!("rm: no free kernel timer for pid {pid}");
                    Errno::EAGAIN
                }
                Error::DeleteFirst => Errno::EBUSY,
                _ => Errno::ENOSYS,
            })
        }
    }
}

/// A new notification made from a chunk of `res` (rm's slot).
fn notification(res: &mut Res<'_>) -> Result<u64, Errno> {
    let ut = res.chunk(NOTIFICATION_CHUNK_BITS).map_err(|_| Errno::ENOMEM)?;
    let s = res.slots(1).map_err(|_| Errno::ENOMEM)?;
    ut.retype(ObjectType::Notification, 0, CNODE, 0, 0, s, 1).map_err(|_| Errno::EIO)?;
    Ok(s)
}
