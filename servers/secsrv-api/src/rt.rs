//! The IPC transport for programs (feature `rt`).

use crate::{Request, Response, Transport};
use rampart_rt::cap::{CPtr, Endpoint};
use rampart_rt::ipc::proto;
use rampart_uabi::Errno;

/// A channel to secsrv (a connection from connsrv, or init's channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipc(pub Endpoint);

impl Transport for Ipc {
    /// Requests and replies of at most 32 bytes travel in registers only
    /// (`rampart_rt::ipc::proto`); others through the general codec.
    #[inline]
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        proto::call(self.0, req)
    }

    fn call_caps(&mut self, req: &Request, give: Option<u64>, receive: Option<u64>) -> Result<(Response, bool), Errno> {
        proto::call_caps(self.0, req, give, receive)
    }
}

impl Ipc {
    /// Asks secsrv to signal `ntfn` (a notification capability, typically
    /// badged [`crate::EVENT_POLICY`]) on every policy change.
    ///
    /// # Errors
    /// `EINVAL`, `ENOSPC`, transport errors.
    pub fn subscribe(self, ntfn: CPtr) -> Result<(), Errno> {
        crate::Client(self).subscribe(ntfn)
    }

    /// Asks secsrv to signal `ntfn` (typically badged
    /// [`crate::EVENT_AUDIT`]) whenever records are added to the audit
    /// trail ([`Request::SubscribeAudit`], `read_audit`).
    ///
    /// # Errors
    /// `EACCES`, `EINVAL`, `ENOSPC`, transport errors.
    pub fn subscribe_audit(self, ntfn: CPtr) -> Result<(), Errno> {
        crate::Client(self).subscribe_audit(ntfn)
    }
}

/// Subscribes the calling task to policy changes (reloads, booleans, mode):
/// mints a copy of its notification (`rampart_uabi::startup::slot::
/// NOTIFICATION`, the one bound to its main thread) badged
/// [`crate::EVENT_POLICY`] into the free slot `free` and hands it to
/// secsrv. The server loop then sees a notification with that badge bit and
/// calls its object manager's `refresh`.
///
/// # Errors
/// `EIO` if the copy cannot be made; [`Ipc::subscribe`]'s errors.
pub fn subscribe_policy_changes(ipc: Ipc, free: CPtr) -> Result<(), Errno> {
    use rampart_uabi::startup::slot;
    let cn = rampart_rt::cap::CNode(slot::CNODE);
    cn.mint(free, 64, cn.path(slot::NOTIFICATION, 64), rampart_abi::Rights::WRITE, crate::EVENT_POLICY)
        .map_err(|_| Errno::EIO)?;
    ipc.subscribe(free)
}
