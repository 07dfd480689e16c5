//! [`ObjectManager`]: decisions, policy changes, revalidation and audit.

use crate::vocab::Vocabulary;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_avc::{AuditRecord, AuditSink, Avc, AvcBackend, AvcError, Decision};
use rampart_uabi::Errno;

/// The security server's state as an object manager needs it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PolicyStatus {
    /// Policy sequence number: changes with every reload, boolean change
    /// and mode change.
    pub seqno: u32,
    /// Enforcing (else permissive: denials are audited, not enforced).
    pub enforcing: bool,
}

/// What an object manager asks the security server. SIDs are `u32` (0 is
/// never valid), classes `u16` (0 is never valid). Servers extend it with
/// what their objects need (file contexts, port contexts, new-object SIDs).
pub trait SecurityServer {
    /// The access decision for `(ssid, tsid, class)`.
    ///
    /// # Errors
    /// Unknown SID or class, or the transport failed.
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno>;

    /// A class number by name (`None`: the policy has no such class).
    fn class_id(&mut self, name: &str) -> Option<u16>;

    /// The access-vector bit of permission `perm` of `class` (`None`: not
    /// defined).
    fn perm_bit(&mut self, class: u16, perm: &str) -> Option<u32>;

    /// The current sequence number and mode.
    ///
    /// # Errors
    /// The transport failed.
    fn status(&mut self) -> Result<PolicyStatus, Errno>;
}

/// An audit event with a description of the object (a path, a port, a
/// terminal), for the security server's trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    /// The decision's record.
    pub record: AuditRecord,
    /// What the object was.
    pub object: String,
    /// The subject the check was made for, as the server set it with
    /// [`ObjectManager::set_subject`] before the check (a connection or
    /// client number; 0: none set). A server turns it into the subject's
    /// pid when it submits the entry, so that a decision made after the
    /// request that caused it (a held operation re-checked after a policy
    /// change) still names the right process.
    pub subject: u64,
}

/// Audit entries kept between two [`ObjectManager::take_audit`] calls
/// before the oldest are dropped (and counted).
pub const AUDIT_CAPACITY: usize = 1024;

/// The generation of the policy a piece of state was authorised under (an
/// open handle, a socket, a terminal); see [`ObjectManager::revalidate`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Granted(u64);

impl Granted {
    /// A grant never made: [`ObjectManager::revalidate`] always checks.
    pub const NEVER: Granted = Granted(0);
}

struct Backend<'a, S>(&'a mut S);

impl<S: SecurityServer> AvcBackend for Backend<'_, S> {
    type Error = Errno;
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, Errno> {
        self.0.compute_av(ssid, tsid, class)
    }
}

struct Collect(Vec<AuditRecord>);

impl AuditSink for Collect {
    fn audit(&mut self, rec: &AuditRecord) {
        self.0.push(*rec);
    }
}

/// One server's object manager: the security server, the AVC in front of
/// it (`SETS × WAYS` decisions), the vocabulary `V` and the audit trail not
/// yet submitted.
pub struct ObjectManager<S, V, const SETS: usize = 64, const WAYS: usize = 4> {
    /// The security server (for requests beyond decisions).
    pub sec: S,
    vocab: V,
    avc: Avc<SETS, WAYS>,
    audit: VecDeque<AuditEntry>,
    audit_dropped: u64,
    subject: u64,
    seqno: u32,
    generation: u64,
    /// False until a status was obtained: decisions are then refused.
    linked: bool,
}

impl<S: SecurityServer, V: Vocabulary, const SETS: usize, const WAYS: usize> ObjectManager<S, V, SETS, WAYS> {
    /// A manager deciding through `sec`; resolves the vocabulary and reads
    /// the policy's state.
    pub fn new(mut sec: S) -> Self {
        let vocab = V::resolve(&mut sec);
        let mut om = ObjectManager {
            sec,
            vocab,
            avc: Avc::new(),
            audit: VecDeque::new(),
            audit_dropped: 0,
            subject: 0,
            seqno: 0,
            generation: 1,
            linked: false,
        };
        let _ = om.refresh();
        om
    }

    /// The vocabulary of the policy in force.
    pub fn vocab(&self) -> &V {
        &self.vocab
    }

    /// The policy sequence number the manager last saw.
    pub fn seqno(&self) -> u32 {
        self.seqno
    }

    /// Advances whenever the policy changes (reload, boolean, mode).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Asks the security server for its state (on the change notification,
    /// and at start): a new sequence number drops every cached decision,
    /// resolves the vocabulary again and advances the generation. Returns
    /// whether anything changed.
    ///
    /// # Errors
    /// The transport failed (the previous state is kept).
    pub fn refresh(&mut self) -> Result<bool, Errno> {
        let st = self.sec.status()?;
        self.linked = true;
        self.avc.set_enforcing(st.enforcing);
        if st.seqno == self.seqno && self.generation > 1 {
            return Ok(false);
        }
        self.apply(st.seqno);
        Ok(true)
    }

    fn apply(&mut self, seqno: u32) {
        self.seqno = seqno;
        self.avc.policy_changed(seqno);
        self.avc.flush();
        self.vocab = V::resolve(&mut self.sec);
        self.generation += 1;
    }

    /// Checks that `ssid` may do what `want` says (`(class, access
    /// vector)` from the vocabulary; `None`: the policy lacks it) on an
    /// object labelled `tsid`, described as `object` for the audit trail.
    /// A decision from a newer policy than the manager's makes it refresh
    /// and decide again with the new vocabulary.
    ///
    /// # Errors
    /// `EACCES` when denied (enforcing), when the policy lacks the class or
    /// a permission, when the security server cannot answer, or before the
    /// manager ever reached it.
    pub fn check(
        &mut self,
        ssid: u32,
        tsid: u32,
        want: impl Fn(&V) -> Option<(u16, u32)>,
        object: &str,
    ) -> Result<(), Errno> {
        if !self.linked && self.refresh().is_err() {
            return Err(Errno::EACCES);
        }
        for _ in 0..2 {
            let (class, vector) = want(&self.vocab).ok_or(Errno::EACCES)?;
            let mut records = Collect(Vec::new());
            let r = self.avc.has_perm(&mut Backend(&mut self.sec), &mut records, ssid, tsid, class, vector);
            if self.avc.seqno() != self.seqno {
                // Decided under a policy the vocabulary was not resolved
                // for: resynchronise and decide again.
                if self.refresh().is_err() {
                    let newer = self.avc.seqno();
                    self.apply(newer);
                }
                continue;
            }
            for rec in records.0 {
                self.push_audit(AuditEntry { record: rec, object: String::from(object), subject: self.subject });
            }
            return match r {
                Ok(()) => Ok(()),
                Err(AvcError::Denied(_) | AvcError::InvalidClass | AvcError::Backend(_)) => Err(Errno::EACCES),
            };
        }
        Err(Errno::EACCES)
    }

    /// Tags the audit entries of the checks that follow with `subject` (a
    /// connection or client number the server can map to a pid; 0: none)
    /// until the next call. Servers set it before working on behalf of a
    /// client, whether for its request or later (a held operation).
    pub fn set_subject(&mut self, subject: u64) {
        self.subject = subject;
    }

    /// The subject set by [`ObjectManager::set_subject`].
    pub fn subject(&self) -> u64 {
        self.subject
    }

    /// The grant a piece of state carries from now on (after its check).
    pub fn granted(&self) -> Granted {
        Granted(self.generation)
    }

    /// Re-checks state authorised under an earlier policy: if the policy
    /// changed since `g` was recorded, checks `want` again (as
    /// [`ObjectManager::check`]) and, when granted, brings `g` up to date.
    /// Costs one comparison when nothing changed.
    ///
    /// # Errors
    /// As [`ObjectManager::check`]: the state must not be used.
    pub fn revalidate(
        &mut self,
        g: &mut Granted,
        ssid: u32,
        tsid: u32,
        want: impl Fn(&V) -> Option<(u16, u32)>,
        object: &str,
    ) -> Result<(), Errno> {
        if g.0 == self.generation {
            return Ok(());
        }
        self.check(ssid, tsid, want, object)?;
        *g = Granted(self.generation);
        Ok(())
    }

    fn push_audit(&mut self, e: AuditEntry) {
        if self.audit.len() == AUDIT_CAPACITY {
            self.audit.pop_front();
            self.audit_dropped += 1;
        }
        self.audit.push_back(e);
    }

    /// Takes the audit entries not yet submitted, oldest first.
    pub fn take_audit(&mut self) -> Vec<AuditEntry> {
        self.audit.drain(..).collect()
    }

    /// Audit entries dropped because the trail was full.
    pub fn audit_dropped(&self) -> u64 {
        self.audit_dropped
    }

    /// AVC statistics.
    pub fn avc_stats(&self) -> rampart_avc::Stats {
        self.avc.stats()
    }
}

/// A denial or audited grant as a line in the style of the security
/// server's audit trail (`avc: denied { read } for scontext=... tcontext=...
/// tclass=file`, with ` object=...` when the entry describes its object and
/// ` permissive` for a denial not enforced).
pub fn audit_line(e: &AuditEntry, scontext: &str, tcontext: &str, class: &str, perms: &[&str]) -> String {
    let r = &e.record;
    let mut line = String::from("avc: ");
    line.push_str(if r.denied { "denied { " } else { "granted { " });
    for p in perms {
        line.push_str(p);
        line.push(' ');
    }
    line.push_str("} for scontext=");
    line.push_str(scontext);
    line.push_str(" tcontext=");
    line.push_str(tcontext);
    line.push_str(" tclass=");
    line.push_str(class);
    if !e.object.is_empty() {
        line.push_str(" object=");
        line.push_str(&e.object);
    }
    if r.denied && !r.enforced {
        line.push_str(" permissive");
    }
    line
}
