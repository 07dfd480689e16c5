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

use crate::{AuditSubmit, Decision, OBJECT_MAX, Request, Response, Status};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_avc::{AuditRecord, AuditSink, Avc, AvcBackend, AvcError};
use rampart_uabi::Errno;

/// Carries one request to secsrv and returns its response.
pub trait Transport {
    /// Sends `req` and returns the response.
    ///
    /// # Errors
    /// Transport failures as an errno (`EIO`: secsrv went away, `EBADF`:
    /// no channel, `EBADMSG`: undecodable reply).
    fn call(&mut self, req: &Request) -> Result<Response, Errno>;
}

fn expect<T>(r: Result<Response, Errno>, f: impl FnOnce(Response) -> Option<T>) -> Result<T, Errno> {
    match r? {
        Response::Err(e) => Err(e),
        other => f(other).ok_or(Errno::EPROTO),
    }
}

/// Typed calls (each returns the server's errno on failure, `EPROTO` for a
/// response of the wrong kind).
pub struct Client<T>(pub T);

impl<T: Transport> Client<T> {
    /// The decision for `(ssid, tsid, class)`.
    ///
    /// # Errors
    /// `ENOENT`, `EACCES`, transport errors.
    pub fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        expect(self.0.call(&Request::ComputeAv { ssid, tsid, class }), |r| match r {
            Response::Decision(d) => Some(d),
            _ => None,
        })
    }

    /// The SID of a new object (type transition).
    ///
    /// # Errors
    /// `ENOENT`, `EINVAL`, `EACCES`, transport errors.
    pub fn compute_create(&mut self, ssid: u32, tsid: u32, class: u16, name: Option<&str>) -> Result<u32, Errno> {
        let req = Request::ComputeCreate { ssid, tsid, class, name: name.map(String::from) };
        expect(self.0.call(&req), sid)
    }

    /// The SID of service name `name` (`servicecon`).
    ///
    /// # Errors
    /// `ENOENT` (no rule covers the name), `EACCES`, transport errors.
    pub fn service_context(&mut self, name: &str) -> Result<u32, Errno> {
        expect(self.0.call(&Request::ServiceContext { name: name.into() }), sid)
    }

    /// Context → SID.
    ///
    /// # Errors
    /// `EINVAL`, `EACCES`, transport errors.
    pub fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno> {
        expect(self.0.call(&Request::ContextToSid { context: context.into() }), sid)
    }

    /// Validates `context` without adding it to the SID table; returns its
    /// canonical text.
    ///
    /// # Errors
    /// `EINVAL`, `EACCES`, transport errors.
    pub fn check_context(&mut self, context: &str) -> Result<String, Errno> {
        expect(self.0.call(&Request::CheckContext { context: context.into() }), text)
    }

    /// The decision for contexts `scon` and `tcon` (text), adding neither
    /// to the SID table.
    ///
    /// # Errors
    /// `EINVAL` (invalid context), `ENOENT` (class), `EACCES`, transport
    /// errors.
    pub fn compute_av_contexts(&mut self, scon: &str, tcon: &str, class: u16) -> Result<Decision, Errno> {
        let req = Request::ComputeAvContexts { scon: scon.into(), tcon: tcon.into(), class };
        expect(self.0.call(&req), |r| match r {
            Response::Decision(d) => Some(d),
            _ => None,
        })
    }

    /// The context of a new object (type transition, unnamed) for contexts
    /// given as text, adding nothing to the SID table.
    ///
    /// # Errors
    /// `EINVAL`, `ENOENT`, `EACCES`, transport errors.
    pub fn compute_create_contexts(&mut self, scon: &str, tcon: &str, class: u16) -> Result<String, Errno> {
        let req = Request::ComputeCreateContexts { scon: scon.into(), tcon: tcon.into(), class };
        expect(self.0.call(&req), text)
    }

    /// Context → SID, the hold charged to `subject` (0: the caller).
    ///
    /// # Errors
    /// `EINVAL`, `EPERM`, `ENOSPC` (limit), `EACCES`, transport errors.
    pub fn hold_context(&mut self, context: &str, subject: u32) -> Result<u32, Errno> {
        expect(self.0.call(&Request::HoldContext { context: context.into(), subject }), sid)
    }

    /// Drops one hold of `subject` (0: the caller) on `sid`.
    ///
    /// # Errors
    /// `ENOENT` (no such hold), `EPERM`, `EACCES`, transport errors.
    pub fn release_sid(&mut self, sid: u32, subject: u32) -> Result<(), Errno> {
        expect(self.0.call(&Request::ReleaseSid { sid, subject }), |r| matches!(r, Response::Ok).then_some(()))
    }

    /// May `task` relabel an object of `class` from `old` to `new`
    /// (`validatetrans`)?
    ///
    /// # Errors
    /// `ENOENT`, `EACCES`, transport errors.
    pub fn validate_trans(&mut self, old: u32, new: u32, task: u32, class: u16) -> Result<bool, Errno> {
        expect(self.0.call(&Request::ValidateTrans { old, new, task, class }), |r| match r {
            Response::Valid(v) => Some(v),
            _ => None,
        })
    }

    /// SID → context.
    ///
    /// # Errors
    /// `ENOENT`, transport errors.
    pub fn sid_to_context(&mut self, sid: u32) -> Result<String, Errno> {
        expect(self.0.call(&Request::SidToContext { sid }), text)
    }

    /// A class number by name.
    ///
    /// # Errors
    /// `ENOENT`, transport errors.
    pub fn class_id(&mut self, name: &str) -> Result<u16, Errno> {
        expect(self.0.call(&Request::ClassId { name: name.into() }), |r| match r {
            Response::Class(c) => Some(c),
            _ => None,
        })
    }

    /// The access vector of `names` in `class`.
    ///
    /// # Errors
    /// `ENOENT`, transport errors.
    pub fn perms(&mut self, class: u16, names: &[&str]) -> Result<u32, Errno> {
        let names: Vec<String> = names.iter().map(|n| String::from(*n)).collect();
        expect(self.0.call(&Request::Perms { class, names }), |r| match r {
            Response::Perms(p) => Some(p),
            _ => None,
        })
    }

    /// State (sequence number, mode, policy).
    ///
    /// # Errors
    /// Transport errors.
    pub fn status(&mut self) -> Result<Status, Errno> {
        expect(self.0.call(&Request::Status), status)
    }

    /// The SID table's statistics.
    ///
    /// # Errors
    /// Transport errors.
    pub fn sid_stats(&mut self) -> Result<crate::SidStats, Errno> {
        expect(self.0.call(&Request::SidStats), |r| match r {
            Response::SidStats(s) => Some(s),
            _ => None,
        })
    }

    /// The caller's SID.
    ///
    /// # Errors
    /// Transport errors.
    pub fn who_am_i(&mut self) -> Result<u32, Errno> {
        expect(self.0.call(&Request::WhoAmI), sid)
    }

    /// Switches enforcing/permissive.
    ///
    /// # Errors
    /// `EACCES`, transport errors.
    pub fn set_enforce(&mut self, enforcing: bool) -> Result<Status, Errno> {
        expect(self.0.call(&Request::SetEnforce { enforcing }), status)
    }

    /// Sets a boolean.
    ///
    /// # Errors
    /// `ENOENT`, `EACCES`, transport errors.
    pub fn set_bool(&mut self, name: &str, value: bool) -> Result<Status, Errno> {
        expect(self.0.call(&Request::SetBool { name: name.into(), value }), status)
    }

    /// Uploads `bytes` as stored policy `name` in [`crate::CHUNK`]-byte pieces.
    ///
    /// # Errors
    /// `EACCES`, `E2BIG`, `ENOSPC`, transport errors.
    pub fn put_policy(&mut self, name: &str, bytes: &[u8]) -> Result<(), Errno> {
        let total = u32::try_from(bytes.len()).map_err(|_| Errno::E2BIG)?;
        let mut off = 0usize;
        loop {
            let end = (off + crate::CHUNK).min(bytes.len());
            let req =
                Request::PolicyPut { name: name.into(), offset: off as u32, total, bytes: bytes[off..end].to_vec() };
            expect(self.0.call(&req), |r| matches!(r, Response::Ok).then_some(()))?;
            off = end;
            if off >= bytes.len() {
                return Ok(());
            }
        }
    }

    /// Loads stored policy `name`.
    ///
    /// # Errors
    /// `ENOENT`, `EINVAL`, `EACCES`, transport errors.
    pub fn load_policy(&mut self, name: &str) -> Result<Status, Errno> {
        expect(self.0.call(&Request::PolicyLoad { name: name.into() }), status)
    }

    /// Reads audit records from position `from`.
    ///
    /// # Errors
    /// `EACCES`, transport errors.
    pub fn read_audit(&mut self, from: u64) -> Result<crate::AuditBatch, Errno> {
        expect(self.0.call(&Request::ReadAudit { from }), |r| match r {
            Response::Audit(b) => Some(b),
            _ => None,
        })
    }

    /// The audit trail's statistics.
    ///
    /// # Errors
    /// Transport errors.
    pub fn audit_stats(&mut self) -> Result<crate::AuditStats, Errno> {
        expect(self.0.call(&Request::AuditStats), |r| match r {
            Response::AuditStats(s) => Some(s),
            _ => None,
        })
    }

    /// Submits an audit record.
    ///
    /// # Errors
    /// `EACCES`, transport errors.
    pub fn audit(&mut self, rec: AuditSubmit) -> Result<(), Errno> {
        expect(self.0.call(&Request::Audit(rec)), |r| matches!(r, Response::Ok).then_some(()))
    }
}

fn sid(r: Response) -> Option<u32> {
    match r {
        Response::Sid(s) => Some(s),
        _ => None,
    }
}

fn text(r: Response) -> Option<String> {
    match r {
        Response::Context(c) => Some(c),
        _ => None,
    }
}

fn status(r: Response) -> Option<Status> {
    match r {
        Response::Status(s) => Some(s),
        _ => None,
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

impl<T: Transport> Transport for &mut T {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        (**self).call(req)
    }
}

/// [`AuditSink`] that submits records to secsrv with the object's
/// description. Failures to submit are counted, never fatal.
pub struct Audit<'a, T> {
    /// The transport.
    pub t: T,
    /// The object the check is about.
    pub object: &'a str,
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
            pid: 0,
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
        let mut audit = Audit { t: self.t, object, failed: 0 };
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
