//! IPC client stubs for programs (feature `rt`): the task's channel to
//! connsrv, registering services and connecting to them.

use crate::client::{Transport, check};
use crate::{Request, Response};
use rampart_abi::MessageInfo;
use rampart_rt::cap::{CNode, CPtr, Endpoint};
use rampart_rt::ipc::codec::{LABEL_IPC_ABORTED, Message, call, call_with_caps};
use rampart_uabi::Errno;
use rampart_uabi::codec::is_postcard;
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
        let b = rampart_rt::buffer::current().ok_or(Errno::EFAULT)?;
        b.set_receive_slot(CNode(slot::CNODE), recv, 64);
        let r = match crate::small::encode4(req) {
            // Short requests (connect, register) go in registers only.
            Some((label, w, n)) => {
                let r = rampart_rt::ipc::call(self.0, MessageInfo::new(label, 0, 0, n as u64), w);
                let got = r.info.extra_caps() > r.info.caps_unwrapped().count_ones() as usize;
                let l = r.info.label();
                if l == LABEL_IPC_ABORTED {
                    Err(Errno::EIO)
                } else if !is_postcard(l) {
                    Err(if l != 0 && l < 64 { Errno::EBADF } else { Errno::EBADMSG })
                } else if r.info.length() <= 4 {
                    crate::small::decode4(l, &r.mrs).map(|v| (v, got)).map_err(|e| e.errno())
                } else {
                    Message::from_result(&r).decode().map(|v| (v, got)).map_err(|e| e.errno())
                }
            }
            None => call_with_caps::<_, Response>(self.0, req, &[])
                .map(|(v, m)| (v, m.received_cap()))
                .map_err(|e| e.errno()),
        };
        b.clear_receive_slot();
        let (resp, got) = r?;
        Ok((check(resp)?, got))
    }

    /// Sends `req` carrying capability `cap`.
    ///
    /// # Errors
    /// Transport errors and the server's `Err`.
    pub fn call_giving(&self, req: &Request, cap: CPtr) -> Result<Response, Errno> {
        let (resp, _) = call_with_caps::<_, Response>(self.0, req, &[cap]).map_err(|e| e.errno())?;
        check(resp)
    }

    /// Registers service `name`; its endpoint is placed in `slot`. While
    /// connsrv's pool of fresh endpoints is being refilled (`EAGAIN`) it
    /// yields and asks again, up to [`REGISTER_TRIES`] times.
    ///
    /// # Errors
    /// As [`Request::Register`]; `EPROTO` if no capability came back.
    pub fn register(&self, name: &str, slot: CPtr) -> Result<Endpoint, Errno> {
        let req = Request::Register { name: name.into() };
        let mut tries = 1;
        loop {
            match self.call_cap(&req, slot) {
                Ok((Response::Registered, true)) => return Ok(Endpoint(slot)),
                Ok(_) => return Err(Errno::EPROTO),
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
        self.call_giving(&Request::WatchClosed, ntfn).map(|_| ())
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
