//! Kernel timers for programs (`rampart_rm_api::Request::TimerAlloc`).
//!
//! The kernel has a fixed table of timers (`rampart_abi::invocation::TIMERS`,
//! docs/kernel.md "Timers and timeouts") handed out through one
//! `TimerControl` capability, which init copies to rm. Programs get at most
//! one timer each, on demand (most tasks never sleep), placed straight
//! into their CNode's slot `startup::slot::TIMER`; it is freed by the
//! kernel with the task's CNode when the task is destroyed. A task that
//! cannot get one (all issued) keeps working: the library OS then waits by
//! yielding, as before timers.

use crate::state::Rm;
use rampart_abi::Error;
use rampart_rm_api::boot::slot as rslot;
use rampart_rm_api::{Pid, Response};
use rampart_rt::cap::TimerControl;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// Puts a timer into task `pid`'s slot `startup::slot::TIMER`.
///
/// # Errors
/// `ESRCH` (no such task), `EEXIST` (the task has one), `EBUSY` (slot
/// occupied), `EAGAIN` (every kernel timer is issued), `ENOSYS` (rm was
/// given no timer control).
pub fn alloc(rm: &mut Rm, pid: Pid) -> Result<Response, Errno> {
    let t = rm.tasks.get_mut(&pid).ok_or(Errno::ESRCH)?;
    if t.timer {
        return Err(Errno::EEXIST);
    }
    let radix = u64::from(t.built.cnode_radix);
    match TimerControl(rslot::TIMER_CONTROL).get(t.built.cnode, slot::TIMER, radix) {
        Ok(_) => {
            t.timer = true;
            Ok(Response::Ok)
        }
        Err(Error::RevokeFirst) => {
            rampart_rt::pr_err!("rm: no free kernel timer for pid {pid}");
            Err(Errno::EAGAIN)
        }
        Err(Error::DeleteFirst) => Err(Errno::EBUSY),
        Err(_) => Err(Errno::ENOSYS),
    }
}
