//! IPC stubs (feature `rt`): a driver's channel to devmgr and a client's
//! connection to it.

use crate::{DeviceEntry, DriverInfo, Request, Response, Shared};
use alloc::vec::Vec;
use rampart_rt::cap::{CNode, CPtr, Endpoint};
use rampart_rt::ipc::codec::{call, call_with_caps};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// A channel to devmgr (a driver's, badged [`crate::DRIVER`], or a client's
/// connection from connsrv).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Devmgr(pub Endpoint);

fn check(r: Response) -> Result<Response, Errno> {
    match r {
        Response::Err(e) => Err(e),
        r => Ok(r),
    }
}

impl Devmgr {
    /// The driver's channel: the named capability [`crate::DRIVER_CHANNEL`].
    pub fn driver() -> Option<Devmgr> {
        rampart_rt::startup::named_cap(crate::DRIVER_CHANNEL).map(|s| Devmgr(Endpoint(s)))
    }

    /// Sends `req` and returns the (non-error) response.
    ///
    /// # Errors
    /// devmgr's error, or the transport's.
    pub fn call(&self, req: &Request) -> Result<Response, Errno> {
        check(call::<_, Response>(self.0, req).map_err(|e| e.errno())?)
    }

    /// Sends `req`; a capability in the reply lands in `recv` (a free slot).
    ///
    /// # Errors
    /// As [`Devmgr::call`]; `EPROTO` if no capability came back.
    pub fn call_cap(&self, req: &Request, recv: CPtr) -> Result<Response, Errno> {
        let b = rampart_rt::buffer::current().ok_or(Errno::EFAULT)?;
        b.set_receive_slot(CNode(slot::CNODE), recv, 64);
        let r = call_with_caps::<_, Response>(self.0, req, &[]);
        b.clear_receive_slot();
        let (resp, m) = r.map_err(|e| e.errno())?;
        let resp = check(resp)?;
        if m.received_cap() { Ok(resp) } else { Err(Errno::EPROTO) }
    }

    /// Sends `req` carrying capability `cap`.
    ///
    /// # Errors
    /// As [`Devmgr::call`].
    pub fn call_giving(&self, req: &Request, cap: CPtr) -> Result<Response, Errno> {
        let (resp, _) = call_with_caps::<_, Response>(self.0, req, &[cap]).map_err(|e| e.errno())?;
        check(resp)
    }

    /// The driver's assignment.
    ///
    /// # Errors
    /// As [`Request::Info`].
    pub fn info(&self) -> Result<DriverInfo, Errno> {
        match self.call(&Request::Info)? {
            Response::Info(i) => Ok(i),
            _ => Err(Errno::EPROTO),
        }
    }

    /// Grant `index`, received into `slot`.
    ///
    /// # Errors
    /// As [`Request::GetCap`].
    pub fn get_cap(&self, index: u32, slot: CPtr) -> Result<(), Errno> {
        self.call_cap(&Request::GetCap { index }, slot).map(|_| ())
    }

    /// Reads configuration register `offset`.
    ///
    /// # Errors
    /// As [`Request::ConfigRead`].
    pub fn config_read(&self, offset: u16) -> Result<u32, Errno> {
        match self.call(&Request::ConfigRead { offset })? {
            Response::Config(v) => Ok(v),
            _ => Err(Errno::EPROTO),
        }
    }

    /// Writes configuration register `offset`.
    ///
    /// # Errors
    /// As [`Request::ConfigWrite`].
    pub fn config_write(&self, offset: u16, value: u32) -> Result<(), Errno> {
        self.call(&Request::ConfigWrite { offset, value }).map(|_| ())
    }

    /// Publishes `cap` as `what` for the driver's client.
    ///
    /// # Errors
    /// As [`Request::Publish`].
    pub fn publish(&self, what: Shared, cap: CPtr) -> Result<(), Errno> {
        self.call_giving(&Request::Publish { what }, cap).map(|_| ())
    }

    /// The bound client's notification, into `slot`.
    ///
    /// # Errors
    /// `EAGAIN` if no client is bound yet.
    pub fn take_client(&self, slot: CPtr) -> Result<(), Errno> {
        self.call_cap(&Request::TakeClient, slot).map(|_| ())
    }

    /// The devices.
    ///
    /// # Errors
    /// Transport errors.
    pub fn list(&self) -> Result<Vec<DeviceEntry>, Errno> {
        match self.call(&Request::List)? {
            Response::Devices(d) => Ok(d),
            _ => Err(Errno::EPROTO),
        }
    }

    /// Client: device `name`'s capability `what`, into `slot`.
    ///
    /// # Errors
    /// As [`Request::Open`].
    pub fn open(&self, name: &str, what: Shared, slot: CPtr) -> Result<(), Errno> {
        self.call_cap(&Request::Open { name: name.into(), what }, slot).map(|_| ())
    }

    /// Client: binds notification `ntfn` to device `name`.
    ///
    /// # Errors
    /// As [`Request::Bind`].
    pub fn bind(&self, name: &str, ntfn: CPtr) -> Result<(), Errno> {
        self.call_giving(&Request::Bind { name: name.into() }, ntfn).map(|_| ())
    }
}

/// What a client holds after [`Devmgr::attach`].
#[derive(Clone, Copy, Debug)]
pub struct Attached {
    /// The shared region, mapped in the client.
    pub region: rampart_rt::rm::Region,
    /// The driver's notification (signal: "rings have entries for you").
    pub driver: rampart_rt::cap::Notification,
}

impl Devmgr {
    /// Client: attaches to device `name` (docs/devices.md §5): opens the
    /// driver's shared region (token into `slots[0]`, then mapped by rm)
    /// and notification (`slots[1]`), mints a copy of this task's
    /// notification with `badge` into `slots[2]` and binds it, so the
    /// driver's signals arrive with `badge` set.
    ///
    /// # Errors
    /// As [`Request::Open`] and [`Request::Bind`]; rm's errors mapping the
    /// region; `EIO` (minting).
    pub fn attach(&self, name: &str, slots: [CPtr; 3], badge: u64) -> Result<Attached, Errno> {
        self.open(name, Shared::Region, slots[0])?;
        let region = rampart_rt::rm::region_map(slots[0])?;
        self.open(name, Shared::Notify, slots[1])?;
        let cn = CNode(slot::CNODE);
        cn.mint(slots[2], 64, cn.path(slot::NOTIFICATION, 64), rampart_abi::Rights::WRITE, badge)
            .map_err(|_| Errno::EIO)?;
        self.bind(name, slots[2])?;
        Ok(Attached { region, driver: rampart_rt::cap::Notification(slots[1]) })
    }
}
