//! Client side: typed calls over any [`Transport`], the AVC backend and
//! audit sink object servers plug into `rampart-avc`, and [`SecAvc`], an
//! AVC wired to the security server.
//!
//! ```ignore
//! // In an object server (feature `rt`): a connection to "security" from
//! // connsrv, then one check per operation.
//! let mut avc: SecAvc<Ipc, 64, 4> = SecAvc::new(Ipc(conn.ep));
//! avc.refresh()?;                                   // seqno and mode
//! avc.check(client_sid, file_sid, file_class, read, "/etc/motd")?;  // EACCES if denied
//! ```

#[cfg(doc)]
use crate::Request;
use crate::{AuditSubmit, OBJECT_MAX, Status};
use alloc::string::String;
use rampart_avc::{AuditRecord, AuditSink, Avc, AvcBackend, AvcError};
use rampart_uabi::Errno;

pub use crate::{Client, Transport};

impl<T: Transport> Client<T> {
    /// Uploads `bytes` as stored policy `name` in [`crate::CHUNK`]-byte
    /// pieces ([`Request::PolicyPut`]).
    ///
    /// # Errors
    /// `EACCES`, `E2BIG`, `ENOSPC`, transport errors.
    pub fn put_policy(&mut self, name: &str, bytes: &[u8]) -> Result<(), Errno> {
        let total = u32::try_from(bytes.len()).map_err(|_| Errno::E2BIG)?;
        let mut off = 0usize;
        loop {
            let end = (off + crate::CHUNK).min(bytes.len());
            self.policy_put(name, off as u32, total, &bytes[off..end])?;
            off = end;
            if off >= bytes.len() {
                return Ok(());
            }
        }
    }
}

/// [`AvcBackend`] that asks secsrv (`ComputeAv`).
pub struct Backend<T>(pub T);

impl<T: Transport> AvcBackend for Backend<T> {
    type Error = Errno;

    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<rampart_avc::Decision, Errno> {
        let d = Client(&mut self.0).compute_av(ssid, tsid, class)?;
        Ok(rampart_avc::Decision {
            allowed: d.allowed,
            auditallow: d.auditallow,
            auditdeny: d.auditdeny,
            seqno: d.seqno,
        })
    }
}

/// [`AuditSink`] that submits records to secsrv with the object's
/// description. Failures to submit are counted, never fatal.
pub struct Audit<'a, T> {
    /// The transport.
    pub t: T,
    /// The object the check is about.
    pub object: &'a str,
    /// The subject's process id (0: none, a check in the object manager's
    /// own name).
    pub pid: u32,
    /// Records that could not be submitted.
    pub failed: u32,
}

impl<T: Transport> AuditSink for Audit<'_, T> {
    fn audit(&mut self, rec: &AuditRecord) {
        let mut object = String::new();
        let mut end = self.object.len().min(OBJECT_MAX);
        while !self.object.is_char_boundary(end) {
            end -= 1;
        }
        object.push_str(&self.object[..end]);
        let sub = AuditSubmit {
            ssid: rec.ssid,
            tsid: rec.tsid,
            class: rec.class,
            perms: rec.perms,
            denied: rec.denied,
            enforced: rec.enforced,
            seqno: rec.seqno,
            object,
            pid: self.pid,
        };
        if Client(&mut self.t).audit(sub).is_err() {
            self.failed = self.failed.saturating_add(1);
        }
    }
}

/// An AVC backed by the security server: `SETS × WAYS` cached decisions,
/// misses answered by secsrv over the transport `T` (IPC in servers),
/// audit records sent to secsrv.
pub struct SecAvc<T: Transport + Copy, const SETS: usize, const WAYS: usize> {
    /// The cache.
    pub avc: Avc<SETS, WAYS>,
    /// The transport to secsrv.
    pub t: T,
    /// Audit records that could not be submitted.
    pub audit_failures: u32,
}

impl<T: Transport + Copy, const SETS: usize, const WAYS: usize> SecAvc<T, SETS, WAYS> {
    /// An empty cache talking to secsrv over `t`.
    pub const fn new(t: T) -> Self {
        SecAvc { avc: Avc::new(), t, audit_failures: 0 }
    }

    /// Checks that `ssid` has every permission of `perms` on `tsid` in
    /// `class`; `object` describes the target for the audit trail.
    ///
    /// # Errors
    /// `EACCES` if denied (enforcing), `EINVAL` for class 0, the
    /// transport's or secsrv's errno on a miss that could not be answered.
    #[inline]
    pub fn check(&mut self, ssid: u32, tsid: u32, class: u16, perms: u32, object: &str) -> Result<(), Errno> {
        self.check_for(0, ssid, tsid, class, perms, object)
    }

    /// [`SecAvc::check`] on behalf of process `pid`, which the audit
    /// records name (the subject's pid, as `auditd` and `ausearch` show
    /// it: every record of a client's check must carry it, even one made
    /// later than the client's request, e.g. when a policy change revokes
    /// a connection).
    ///
    /// # Errors
    /// As [`SecAvc::check`].
    #[inline]
    pub fn check_for(
        &mut self,
        pid: u32,
        ssid: u32,
        tsid: u32,
        class: u16,
        perms: u32,
        object: &str,
    ) -> Result<(), Errno> {
        let mut audit = Audit { t: self.t, object, pid, failed: 0 };
        let r = self.avc.has_perm(&mut Backend(self.t), &mut audit, ssid, tsid, class, perms);
        self.audit_failures = self.audit_failures.saturating_add(audit.failed);
        match r {
            Ok(()) => Ok(()),
            Err(AvcError::Denied(_)) => Err(Errno::EACCES),
            Err(AvcError::InvalidClass) => Err(Errno::EINVAL),
            Err(AvcError::Backend(e)) => Err(e),
        }
    }

    /// Asks secsrv for its state and applies it: a newer sequence number
    /// makes every cached decision stale; the mode follows secsrv's. Call
    /// at start and whenever the policy-change notification arrives.
    ///
    /// # Errors
    /// Transport errors.
    pub fn refresh(&mut self) -> Result<Status, Errno> {
        let s = Client(self.t).status()?;
        self.avc.policy_changed(s.seqno);
        self.avc.set_enforcing(s.enforcing);
        Ok(s)
    }

    /// Typed calls on the same transport.
    pub fn client(&self) -> Client<T> {
        Client(self.t)
    }
}

/// The security server as every object manager sees it
/// (`rampart-objmgr`): decisions, vocabulary and state over any transport.
impl<T: Transport> rampart_objmgr::SecurityServer for Client<T> {
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<rampart_objmgr::Decision, Errno> {
        let d = Client::compute_av(self, ssid, tsid, class)?;
        Ok(rampart_objmgr::Decision {
            allowed: d.allowed,
            auditallow: d.auditallow,
            auditdeny: d.auditdeny,
            seqno: d.seqno,
        })
    }

    fn class_id(&mut self, name: &str) -> Option<u16> {
        Client::class_id(self, name).ok()
    }

    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32> {
        self.perms(class, &[perm]).ok().filter(|b| *b != 0)
    }

    fn status(&mut self) -> Result<rampart_objmgr::PolicyStatus, Errno> {
        let s = Client::status(self)?;
        Ok(rampart_objmgr::PolicyStatus { seqno: s.seqno, enforcing: s.enforcing })
    }
}
