//! connsrv's link to the security server: an AVC for `service` checks
//! plus context translation, over any secsrv transport.

use crate::registry::{Security, ServicePerm, Subject};
use alloc::string::String;
use rampart_secsrv_api::client::{SecAvc, Transport};
use rampart_uabi::Errno;

/// The `service` class vocabulary (looked up by name, again after every
/// policy change since class numbers may differ between policies).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Vocab {
    /// Class number of `service`.
    pub class: u16,
    /// Bit of `connect`.
    pub connect: u32,
    /// Bit of `register`.
    pub register: u32,
}

/// The link: `None` until init hands connsrv its secsrv channel.
pub struct Link<T: Transport + Copy> {
    /// The AVC (256 decisions).
    pub avc: SecAvc<T, 64, 4>,
    /// The vocabulary.
    pub vocab: Vocab,
}

impl<T: Transport + Copy> Link<T> {
    /// A link over `t`, refreshed (sequence number, mode, vocabulary).
    ///
    /// # Errors
    /// Transport errors, `ENOENT` if the policy has no `service` class.
    pub fn new(t: T) -> Result<Link<T>, Errno> {
        let mut l = Link { avc: SecAvc::new(t), vocab: Vocab::default() };
        l.refresh()?;
        Ok(l)
    }

    /// Applies a policy change (call when secsrv's notification arrives).
    ///
    /// # Errors
    /// Transport errors, `ENOENT`.
    pub fn refresh(&mut self) -> Result<(), Errno> {
        self.avc.refresh()?;
        let mut c = self.avc.client();
        let class = c.class_id("service")?;
        self.vocab = Vocab { class, connect: c.perms(class, &["connect"])?, register: c.perms(class, &["register"])? };
        Ok(())
    }
}

impl<T: Transport + Copy> Security for Link<T> {
    fn service_context(&mut self, name: &str) -> Result<u32, Errno> {
        self.avc.client().service_context(name)
    }

    fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno> {
        self.avc.client().context_to_sid(context)
    }

    fn release_sid(&mut self, sid: u32) {
        let _ = self.avc.client().release_sid(sid, 0);
    }

    fn sid_to_context(&mut self, sid: u32) -> Result<String, Errno> {
        self.avc.client().sid_to_context(sid)
    }

    fn check(&mut self, subject: Subject, tsid: u32, perm: ServicePerm, object: &str) -> Result<(), Errno> {
        let bit = match perm {
            ServicePerm::Connect => self.vocab.connect,
            ServicePerm::Register => self.vocab.register,
        };
        self.avc.check_for(subject.pid, subject.sid, tsid, self.vocab.class, bit, object)
    }
}

/// The security answer before init has connected connsrv to secsrv:
/// everything is refused with `EAGAIN`.
pub struct NoSecurity;

impl Security for NoSecurity {
    fn service_context(&mut self, _name: &str) -> Result<u32, Errno> {
        Err(Errno::EAGAIN)
    }
    fn context_to_sid(&mut self, _context: &str) -> Result<u32, Errno> {
        Err(Errno::EAGAIN)
    }
    fn release_sid(&mut self, _sid: u32) {}
    fn sid_to_context(&mut self, _sid: u32) -> Result<String, Errno> {
        Err(Errno::EAGAIN)
    }
    fn check(&mut self, _s: Subject, _t: u32, _p: ServicePerm, _o: &str) -> Result<(), Errno> {
        Err(Errno::EAGAIN)
    }
}
