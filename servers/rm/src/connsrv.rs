//! rm's side of the connection server (docs/security-architecture.md §4):
//! every task rm creates gets a channel to connsrv for its context in
//! slot 3, and connsrv hears when a task ends so it revokes everything the
//! task held from it.
//!
//! rm calls connsrv, never the other way round (connsrv only calls secsrv,
//! which calls nobody), so these calls cannot close a wait cycle — as long
//! as connsrv and secsrv do not have to grow their heaps while answering;
//! init starts them with heaps large enough for that (see
//! `servers/init/src/security.rs`).

use crate::kops::CNODE;
use crate::state::Rm;
use rampart_connsrv_api::client::Transport;
use rampart_connsrv_api::rt::Channel;
use rampart_connsrv_api::{Request, Response};
use rampart_rm_api::{INIT_PID, Pid};
use rampart_rt::cap::{CPtr, Endpoint};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// `SetConnsrv` from `caller` with the capability in `cap`.
///
/// # Errors
/// `EPERM` (not init), `EINVAL` (no capability), `ENOMEM`, `EIO`.
pub fn set(rm: &mut Rm, caller: Pid, cap: Option<CPtr>, connsrv: Pid) -> Result<(), Errno> {
    if caller != INIT_PID {
        return Err(Errno::EPERM);
    }
    let recv = cap.ok_or(Errno::EINVAL)?;
    let s = rm.slots.alloc(1).ok_or(Errno::ENOMEM)?;
    if CNODE.move_(s, 64, CNODE.path(recv, 64)).is_err() {
        rm.slots.free(s, 1);
        return Err(Errno::EIO);
    }
    if let Some((old, _)) = rm.connsrv.replace((Endpoint(s), connsrv)) {
        let _ = CNODE.delete(old.0, 64);
        rm.slots.free(old.0, 1);
    }
    Ok(())
}

/// Asks connsrv for a channel for task `pid` in `context` and installs it
/// in the task's slot 3. A failure is logged: the task runs without one.
pub fn give_channel(rm: &mut Rm, t: &rampart_procbuild::build::Task, pid: Pid, context: &str) {
    let Some((ep, _)) = rm.connsrv else { return };
    let Some(tmp) = rm.slots.alloc(1) else { return };
    let req = Request::NewTask { pid, context: context.into() };
    match Channel(ep).call_cap(&req, tmp) {
        Ok((Response::Channel { .. }, true)) => {
            let r = u64::from(t.cnode_radix);
            if t.cnode.move_(slot::CONNSRV, r, CNODE.path(tmp, 64)).is_err() {
                let _ = CNODE.delete(tmp, 64);
                rampart_rt::pr_err!("rm: cannot install the connsrv channel of pid {pid}");
            }
        }
        Ok(_) => rampart_rt::pr_err!("rm: connsrv gave pid {pid} no channel"),
        Err(e) => rampart_rt::pr_err!("rm: no connsrv channel for pid {pid} ({context}): {e}"),
    }
    rm.slots.free(tmp, 1);
}

/// Tells connsrv that task `pid` ended.
pub fn exited(rm: &mut Rm, pid: Pid) {
    match rm.connsrv {
        Some((_, c)) if c == pid => rm.connsrv = None,
        Some((ep, _)) => {
            let _ = Channel(ep).call(&Request::TaskExited { pid });
        }
        None => {}
    }
}
