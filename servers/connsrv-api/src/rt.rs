//! IPC client stubs for programs (feature `rt`): the task's channel to
//! connsrv, registering services and connecting to them.

use crate::client::check;
use crate::{Client, Request, Response, Transport};
use rampart_rt::cap::{CNode, CPtr, Endpoint};
use rampart_rt::ipc::proto;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// How often [`Channel::register`] asks while connsrv's endpoint pool is
/// being refilled.
pub const REGISTER_TRIES: u32 = 1000;

/// A channel to connsrv (the task's own: [`Channel::own`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Channel(pub Endpoint);

impl Channel {
    /// The task's channel: the named capability `connsrv` if its creator
    /// placed one (tasks started by init), else slot 3.
    pub fn own() -> Channel {
        Channel(Endpoint(rampart_rt::startup::named_cap("connsrv").unwrap_or(slot::CONNSRV)))
    }

    /// Sends `req`; a capability in the reply lands in `recv` (a free slot
    /// of the task's CNode). Returns the response and whether a capability
    /// arrived.
    ///
    /// # Errors
    /// Transport errors and the server's `Err`.
    pub fn call_cap(&self, req: &Request, recv: CPtr) -> Result<(Response, bool), Errno> {
        let (resp, got) = proto::call_caps(self.0, req, None, Some(recv))?;
        Ok((check(resp)?, got))
    }

    /// Sends `req` carrying capability `cap`.
    ///
    /// # Errors
    /// Transport errors and the server's `Err`.
    pub fn call_giving(&self, req: &Request, cap: CPtr) -> Result<Response, Errno> {
        check(proto::call_caps(self.0, req, Some(cap), None)?.0)
    }

    /// Registers service `name`; its endpoint is placed in `slot`. While
    /// connsrv's pool of fresh endpoints is being refilled (`EAGAIN`) it
    /// yields and asks again, up to [`REGISTER_TRIES`] times.
    ///
    /// # Errors
    /// As [`Request::Register`]; `EPROTO` if no capability came back.
    pub fn register(&self, name: &str, slot: CPtr) -> Result<Endpoint, Errno> {
        let mut tries = 1;
        loop {
            match Client(*self).register(name, slot) {
                Ok(()) => return Ok(Endpoint(slot)),
                Err(Errno::EAGAIN) if tries < REGISTER_TRIES => {
                    tries += 1;
                    rampart_rt::ipc::yield_now();
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Asks connsrv to signal the notification capability in `ntfn` (badged
    /// as the caller wants to recognise it) whenever connections to the
    /// caller's services were closed ([`Request::WatchClosed`]).
    ///
    /// # Errors
    /// Transport errors and the server's `Err`.
    pub fn watch_closed(&self, ntfn: CPtr) -> Result<(), Errno> {
        Client(*self).watch_closed(ntfn)
    }

    /// Connects to service `name`; the badged endpoint is placed in `slot`.
    ///
    /// # Errors
    /// As [`Request::Connect`] (`EACCES` when the policy denies it).
    pub fn connect(&self, name: &str, slot: CPtr) -> Result<Connection, Errno> {
        let (conn, service_sid) = Client(*self).connect(name, slot)?;
        Ok(Connection { ep: Endpoint(slot), conn, service_sid })
    }
}

impl Channel {
    /// [`Channel::watch_closed`] with a copy of the task's own notification
    /// badged [`crate::EVENT_CLOSED`], made in the free slot `scratch` (empty
    /// again on return). The signal arrives like any bound-notification
    /// message: label 0, the badge bit set.
    ///
    /// # Errors
    /// `EIO` (the copy), transport errors and the server's `Err`.
    pub fn watch_closed_events(&self, scratch: CPtr) -> Result<(), Errno> {
        let cn = CNode(slot::CNODE);
        let w = rampart_abi::Rights::WRITE;
        cn.mint(scratch, 64, cn.path(slot::NOTIFICATION, 64), w, crate::EVENT_CLOSED).map_err(|_| Errno::EIO)?;
        let r = self.watch_closed(scratch);
        let _ = cn.delete(scratch, 64);
        r
    }
}

impl Transport for Channel {
    /// Requests and replies of at most 32 bytes travel in registers only
    /// (`rampart_rt::ipc::proto`).
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        proto::call(self.0, req)
    }

    fn call_caps(&mut self, req: &Request, give: Option<u64>, receive: Option<u64>) -> Result<(Response, bool), Errno> {
        proto::call_caps(self.0, req, give, receive)
    }
}

/// A connection to a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The badged endpoint.
    pub ep: Endpoint,
    /// Connection number (for `Disconnect`).
    pub conn: u32,
    /// The service's SID.
    pub service_sid: u32,
}
