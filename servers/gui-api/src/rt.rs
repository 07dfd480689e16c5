//! The IPC transport for programs (feature `rt`).

use crate::{Request, Response, Transport};
use rampart_rt::cap::Endpoint;
use rampart_rt::ipc::proto;
use rampart_uabi::Errno;

/// A connection to the GUI server (from connsrv).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipc(pub Endpoint);

impl Transport for Ipc {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        proto::call(self.0, req)
    }

    fn call_caps(&mut self, req: &Request, give: Option<u64>, receive: Option<u64>) -> Result<(Response, bool), Errno> {
        proto::call_caps(self.0, req, give, receive)
    }
}
