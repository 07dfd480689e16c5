//! What the registry needs from outside: kernel capability operations
//! ([`Caps`]) and the security server's answers ([`Security`]), as traits
//! so the registry runs on the host with fakes.

use alloc::string::String;
use rampart_uabi::Errno;

/// A slot of connsrv's CNode.
pub type Slot = u64;

/// The kernel operations connsrv needs.
pub trait Caps {
    /// Takes a fresh endpoint (all rights) from the pool init fills;
    /// returns its slot.
    ///
    /// # Errors
    /// `EAGAIN` (pool empty).
    fn new_endpoint(&mut self) -> Result<Slot, Errno>;
    /// Adds the fresh endpoint in `slot` to the pool.
    fn add_endpoint(&mut self, slot: Slot);
    /// Fresh endpoints in the pool.
    fn pool_len(&self) -> usize;
    /// Copies the endpoint capability in `src` with only Write, Grant and
    /// GrantReply (no badge) into a new slot; returns it. connsrv keeps
    /// such copies of service endpoints: it can mint connections from
    /// them but never receive on them.
    ///
    /// # Errors
    /// `ENOSPC`, `EIO` (the kernel refused).
    fn send_only(&mut self, src: Slot) -> Result<Slot, Errno>;
    /// Mints a copy of the endpoint in `src` with `badge` and the rights
    /// Write, Grant and GrantReply into a new slot; returns it.
    ///
    /// # Errors
    /// `ENOSPC`, `EIO` (the kernel refused).
    fn mint(&mut self, src: Slot, badge: u64) -> Result<Slot, Errno>;
    /// Revokes every capability derived from `slot`, deletes it and frees
    /// the slot.
    fn destroy(&mut self, slot: Slot);
    /// Deletes the capability in `slot` (its derived copies stay) and
    /// frees the slot.
    fn delete(&mut self, slot: Slot);
    /// Signals the notification capability in `slot` (never blocks).
    fn signal(&mut self, slot: Slot);
}

/// The `service` class permissions connsrv checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServicePerm {
    /// `service connect`: client → service.
    Connect,
    /// `service register`: server → itself.
    Register,
}

/// Who a check is made for: the SID it is decided on and the process the
/// audit record names (0 if rm never bound one to the channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The subject's SID.
    pub sid: u32,
    /// The subject's process id.
    pub pid: u32,
}

/// The policy questions connsrv asks the security server.
pub trait Security {
    /// The SID of service name `name` (its `servicecon` context, the
    /// target of `service register`).
    ///
    /// # Errors
    /// `ENOENT` (the policy gives the name no context), `EAGAIN`.
    fn service_context(&mut self, name: &str) -> Result<u32, Errno>;
    /// The SID of `context`, held by connsrv until [`Security::release_sid`]
    /// (a task's channel carries its SID in the badge).
    ///
    /// # Errors
    /// `EINVAL` (invalid context), `EAGAIN` (no security server yet),
    /// `ENOSPC` (connsrv's SID limit).
    fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno>;
    /// Drops connsrv's hold on `sid` (from [`Security::context_to_sid`]):
    /// the security server reclaims a SID nobody holds. Failures are
    /// ignored (the SID then stays).
    fn release_sid(&mut self, sid: u32);
    /// The context of `sid`.
    ///
    /// # Errors
    /// `ENOENT`.
    fn sid_to_context(&mut self, sid: u32) -> Result<String, Errno>;
    /// Checks `service perm` from `subject.sid` to `tsid`, audited with
    /// `object` and `subject.pid` (a revocation after a policy change is
    /// decided long after the client's request, and still names it).
    ///
    /// # Errors
    /// `EACCES` when denied.
    fn check(&mut self, subject: Subject, tsid: u32, perm: ServicePerm, object: &str) -> Result<(), Errno>;
}
