//! The IPC transport for programs (feature `rt`).

use crate::client::Transport;
use crate::small::{decode4, encode4};
use crate::{Request, Response};
use rampart_abi::MessageInfo;
use rampart_rt::cap::{CPtr, Endpoint};
use rampart_rt::ipc::codec::{LABEL_IPC_ABORTED, Message, call, call_with_caps};
use rampart_uabi::Errno;
use rampart_uabi::codec::is_postcard;

/// A channel to secsrv (a connection from connsrv, or init's channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipc(pub Endpoint);

impl Transport for Ipc {
    /// Requests and replies of at most 32 bytes travel in registers only
    /// ([`crate::small`]); others through the general codec.
    #[inline]
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        let Some((label, w, n)) = encode4(req) else {
            return call::<_, Response>(self.0, req).map_err(|e| e.errno());
        };
        let r = rampart_rt::ipc::call(self.0, MessageInfo::new(label, 0, 0, n as u64), w);
        let l = r.info.label();
        if l == LABEL_IPC_ABORTED {
            return Err(Errno::EIO);
        }
        if !is_postcard(l) {
            return Err(if l != 0 && l < 64 { Errno::EBADF } else { Errno::EBADMSG });
        }
        if r.info.length() <= 4 {
            return decode4(l, &r.mrs).map_err(|e| e.errno());
        }
        Message::from_result(&r).decode().map_err(|e| e.errno())
    }
}

impl Ipc {
    /// Asks secsrv to signal `ntfn` (a notification capability, typically
    /// badged [`crate::EVENT_POLICY`]) on every policy change.
    ///
    /// # Errors
    /// `EINVAL`, `ENOSPC`, transport errors.
    pub fn subscribe(&self, ntfn: CPtr) -> Result<(), Errno> {
        self.subscribe_to(&Request::Subscribe, ntfn)
    }

    /// Asks secsrv to signal `ntfn` (typically badged
    /// [`crate::EVENT_AUDIT`]) whenever records are added to the audit
    /// trail ([`Request::SubscribeAudit`], `read_audit`).
    ///
    /// # Errors
    /// `EACCES`, `EINVAL`, `ENOSPC`, transport errors.
    pub fn subscribe_audit(&self, ntfn: CPtr) -> Result<(), Errno> {
        self.subscribe_to(&Request::SubscribeAudit, ntfn)
    }

    fn subscribe_to(&self, req: &Request, ntfn: CPtr) -> Result<(), Errno> {
        match call_with_caps::<_, Response>(self.0, req, &[ntfn]) {
            Ok((Response::Ok, _)) => Ok(()),
            Ok((Response::Err(e), _)) => Err(e),
            Ok(_) => Err(Errno::EPROTO),
            Err(e) => Err(e.errno()),
        }
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
