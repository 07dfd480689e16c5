//! devmgr's policy checks through its object manager (`rampart-objmgr`;
//! docs/devices.md §5, docs/security-architecture.md §2).
//!
//! - A driver is started for a device only if the policy grants both
//!   devmgr and the driver's domain `device claim` on the device's context
//!   (`blk_device_t`, `net_device_t`, `serial_device_t`): each driver may
//!   claim only its own kind of device.
//! - A client may attach to a device (`Open`, `Bind`) only if the policy
//!   allows `service connect` from the client's context (the SID in its
//!   connection badge) to the driver's domain: exactly the channel rules of
//!   `policy/modules`, whose goals say that only `fs_t` reaches `blkdrv_t`
//!   and only `net_t` reaches `netdrv_t`. After a policy change a bound
//!   client is checked again and detached if it lost the right.
//!
//! devmgr subscribes to policy changes; without a security server nothing
//! is claimed or attached (fail closed).

use rampart_connsrv_api::rt::Channel;
use rampart_objmgr::{Class, ObjectManager, Vocabulary};
use rampart_rt::cap::CPtr;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::Errno;

rampart_objmgr::permissions! {
    /// Class `service` (channels).
    enum ServicePerm { Connect = "connect" }
}

rampart_objmgr::permissions! {
    /// Class `device`.
    enum DevicePerm { Claim = "claim" }
}

/// devmgr's vocabulary.
struct Vocab {
    service: Option<Class<ServicePerm>>,
    device: Option<Class<DevicePerm>>,
}

impl Vocabulary for Vocab {
    fn resolve<S: rampart_objmgr::SecurityServer + ?Sized>(sec: &mut S) -> Self {
        Vocab { service: Class::resolve(sec, "service"), device: Class::resolve(sec, "device") }
    }
}

/// devmgr's object manager and its own SID.
pub struct Security {
    om: ObjectManager<Client<Ipc>, Vocab, 16, 2>,
    me: u32,
}

impl Security {
    /// Connects to the security server (service `security`) through the
    /// task's connsrv channel, the endpoint landing in `slot`, and
    /// subscribes to policy changes with a notification copy made in
    /// `ntfn`.
    ///
    /// # Errors
    /// connsrv's and secsrv's errors.
    pub fn connect(slot: CPtr, ntfn: CPtr) -> Result<Security, Errno> {
        let conn = Channel::own().connect("security", slot)?;
        let ipc = Ipc(conn.ep);
        let me = Client(ipc).who_am_i()?;
        rampart_secsrv_api::rt::subscribe_policy_changes(ipc, ntfn)?;
        Ok(Security { om: ObjectManager::new(Client(ipc)), me })
    }

    /// The policy changed: refresh. Returns whether anything changed.
    ///
    /// # Errors
    /// secsrv could not be asked.
    pub fn refresh(&mut self) -> Result<bool, Errno> {
        self.om.refresh()
    }

    /// The SID of `context`.
    ///
    /// # Errors
    /// secsrv's (`EINVAL` for a context the policy does not know).
    pub fn sid(&mut self, context: &str) -> Result<u32, Errno> {
        self.om.sec.context_to_sid(context)
    }

    /// Whether devmgr and the driver in domain `driver` may claim the
    /// device labelled `device` (`name`, for the audit trail).
    ///
    /// # Errors
    /// `EACCES` (denied, audited).
    pub fn may_claim(&mut self, driver: u32, device: u32, name: &str) -> Result<(), Errno> {
        let claim = |v: &Vocab| v.device.as_ref()?.want(&[DevicePerm::Claim]);
        self.om.check(self.me, device, claim, name)?;
        self.om.check(driver, device, claim, name)
    }

    /// Whether `client` may attach to the driver in domain `driver`
    /// (device `name`, for the audit trail).
    ///
    /// # Errors
    /// `EACCES` (denied, audited).
    pub fn may_attach(&mut self, client: u32, driver: u32, name: &str) -> Result<(), Errno> {
        self.om.check(client, driver, |v| v.service.as_ref()?.want(&[ServicePerm::Connect]), name)
    }
}
