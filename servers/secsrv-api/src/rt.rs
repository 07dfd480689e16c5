//! The IPC transport for programs (feature `rt`).

use crate::client::Transport;
use crate::{Request, Response};
use rampart_rt::cap::{CPtr, Endpoint};
use rampart_rt::ipc::codec::{call, call_with_caps};
use rampart_uabi::Errno;

/// A channel to secsrv (a connection from connsrv, or init's channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipc(pub Endpoint);

impl Transport for Ipc {
    #[inline]
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        call::<_, Response>(self.0, req).map_err(|e| e.errno())
    }
}

impl Ipc {
    /// Asks secsrv to signal `ntfn` (a notification capability, typically
    /// badged [`crate::EVENT_POLICY`]) on every policy change.
    ///
    /// # Errors
    /// `EINVAL`, `ENOSPC`, transport errors.
    pub fn subscribe(&self, ntfn: CPtr) -> Result<(), Errno> {
        match call_with_caps::<_, Response>(self.0, &Request::Subscribe, &[ntfn]) {
            Ok((Response::Ok, _)) => Ok(()),
            Ok((Response::Err(e), _)) => Err(e),
            Ok(_) => Err(Errno::EPROTO),
            Err(e) => Err(e.errno()),
        }
    }
}
