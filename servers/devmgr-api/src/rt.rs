//! IPC stubs (feature `rt`): a driver's channel to devmgr and a client's
//! connection to it.

use crate::{Client, DeviceEntry, DriverInfo, Request, Response, Shared, Transport};
use alloc::vec::Vec;
use rampart_rt::cap::{CNode, CPtr, Endpoint};
use rampart_rt::ipc::proto;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// A channel to devmgr (a driver's, badged [`crate::DRIVER`], or a client's
/// connection from connsrv).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Devmgr(pub Endpoint);

impl Transport for Devmgr {
    /// Requests and replies of at most 32 bytes travel in registers only
    /// (`rampart_rt::ipc::proto`).
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        proto::call(self.0, req)
    }

    fn call_caps(&mut self, req: &Request, give: Option<u64>, receive: Option<u64>) -> Result<(Response, bool), Errno> {
        proto::call_caps(self.0, req, give, receive)
    }
}

/// The typed calls of the generated [`Client`] on a copy of the channel
/// (callers hold a `Devmgr` by shared reference).
impl Devmgr {
    /// The driver's channel: the named capability [`crate::DRIVER_CHANNEL`].
    pub fn driver() -> Option<Devmgr> {
        rampart_rt::startup::named_cap(crate::DRIVER_CHANNEL).map(|s| Devmgr(Endpoint(s)))
    }

    /// The generated client on a copy of this channel.
    pub fn client(&self) -> Client<Devmgr> {
        Client(*self)
    }

    /// [`Client::info`]: the driver's assignment.
    ///
    /// # Errors
    /// As [`Request::Info`].
    pub fn info(&self) -> Result<DriverInfo, Errno> {
        self.client().info()
    }

    /// [`Client::get_cap`]: grant `index`, received into `slot`.
    ///
    /// # Errors
    /// As [`Request::GetCap`]; `EPROTO` if no capability came back.
    pub fn get_cap(&self, index: u32, slot: CPtr) -> Result<(), Errno> {
        self.client().get_cap(index, slot)
    }

    /// [`Client::config_read`]: configuration register `offset`.
    ///
    /// # Errors
    /// As [`Request::ConfigRead`].
    pub fn config_read(&self, offset: u16) -> Result<u32, Errno> {
        self.client().config_read(offset)
    }

    /// [`Client::config_write`].
    ///
    /// # Errors
    /// As [`Request::ConfigWrite`].
    pub fn config_write(&self, offset: u16, value: u32) -> Result<(), Errno> {
        self.client().config_write(offset, value)
    }

    /// [`Client::publish`]: `cap` as `what` for the driver's client.
    ///
    /// # Errors
    /// As [`Request::Publish`].
    pub fn publish(&self, what: Shared, cap: CPtr) -> Result<(), Errno> {
        self.client().publish(what, cap)
    }

    /// [`Client::take_client`]: the bound client's notification, into
    /// `slot`.
    ///
    /// # Errors
    /// `EAGAIN` if no client is bound yet.
    pub fn take_client(&self, slot: CPtr) -> Result<(), Errno> {
        self.client().take_client(slot)
    }

    /// [`Client::list`]: the devices.
    ///
    /// # Errors
    /// Transport errors.
    pub fn list(&self) -> Result<Vec<DeviceEntry>, Errno> {
        self.client().list()
    }

    /// [`Client::open`]: device `name`'s capability `what`, into `slot`.
    ///
    /// # Errors
    /// As [`Request::Open`].
    pub fn open(&self, name: &str, what: Shared, slot: CPtr) -> Result<(), Errno> {
        self.client().open(name, what, slot)
    }

    /// [`Client::bind`]: binds notification `ntfn` to device `name`.
    ///
    /// # Errors
    /// As [`Request::Bind`].
    pub fn bind(&self, name: &str, ntfn: CPtr) -> Result<(), Errno> {
        self.client().bind(name, ntfn)
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
