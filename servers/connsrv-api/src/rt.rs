//! IPC client stubs for programs (feature `rt`): the task's channel to
//! connsrv, registering services and connecting to them.

use crate::client::{Transport, check};
use crate::{Request, Response};
use rampart_rt::cap::{CNode, CPtr, Endpoint};
use rampart_rt::ipc::codec::{call, call_with_caps};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

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
        let b = rampart_rt::buffer::current().ok_or(Errno::EFAULT)?;
        b.set_receive_slot(CNode(slot::CNODE), recv, 64);
        let r = call_with_caps::<_, Response>(self.0, req, &[]);
        b.clear_receive_slot();
        let (resp, m) = r.map_err(|e| e.errno())?;
        Ok((check(resp)?, m.received_cap()))
    }

    /// Sends `req` carrying capability `cap`.
    ///
    /// # Errors
    /// Transport errors and the server's `Err`.
    pub fn call_giving(&self, req: &Request, cap: CPtr) -> Result<Response, Errno> {
        let (resp, _) = call_with_caps::<_, Response>(self.0, req, &[cap]).map_err(|e| e.errno())?;
        check(resp)
    }

    /// Registers service `name`; its endpoint is placed in `slot`.
    ///
    /// # Errors
    /// As [`Request::Register`]; `EPROTO` if no capability came back.
    pub fn register(&self, name: &str, slot: CPtr) -> Result<Endpoint, Errno> {
        match self.call_cap(&Request::Register { name: name.into() }, slot)? {
            (Response::Registered, true) => Ok(Endpoint(slot)),
            _ => Err(Errno::EPROTO),
        }
    }

    /// Connects to service `name`; the badged endpoint is placed in `slot`.
    ///
    /// # Errors
    /// As [`Request::Connect`] (`EACCES` when the policy denies it).
    pub fn connect(&self, name: &str, slot: CPtr) -> Result<Connection, Errno> {
        match self.call_cap(&Request::Connect { name: name.into() }, slot)? {
            (Response::Connected { conn, service_sid }, true) => {
                Ok(Connection { ep: Endpoint(slot), conn, service_sid })
            }
            _ => Err(Errno::EPROTO),
        }
    }
}

impl Transport for Channel {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        call::<_, Response>(self.0, req).map_err(|e| e.errno())
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
