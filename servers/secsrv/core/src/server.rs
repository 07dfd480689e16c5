//! Request handling: who the caller is, what it may ask, and the answers.

use crate::audit::{AuditRing, Record};
use crate::sids::{self, Holds, Owner};
use crate::store::Store;
use crate::vocab::Vocab;
pub use crate::vocab::VocabView;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_avc::{AuditRecord, AuditSink, Avc, AvcBackend, AvcError, Decision as AvcDecision};
use rampart_connsrv_api::ConnBadge;
use rampart_policy::{ClassId, ModelRegistry, Policy, PolicyError, Sid};
use rampart_secsrv_api::{
    AuditBatch, AuditEntry, AuditStats, AuditSubmit, CHUNK, Decision, INIT_BADGE, Request, Response, SID_CAPACITY,
    SidStats, Status,
};
use rampart_uabi::Errno;

/// Longest context string accepted, in bytes.
pub use rampart_secsrv_api::CONTEXT_MAX;
/// Encoded size budget of one audit batch (a message holds 960 bytes).
const BATCH_BUDGET: usize = 800;
/// Heap bytes a policy load may need beyond those in use, per byte of the
/// binary policy: the decoded database, its index and the compiled file
/// contexts (tests/arena.rs measures the shipped policies at 15-20).
pub const LOAD_FACTOR: usize = 32;
/// ... plus this many bytes.
pub const LOAD_SLACK: usize = 64 << 10;

/// Who sent a request, from the badge of the capability it used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    /// init's boot channel ([`INIT_BADGE`]): the `init` initial SID, and
    /// the right to load the first policy.
    Init,
    /// A connection minted by connsrv: the client's SID.
    Sid(u32),
}

impl Caller {
    /// The caller behind `badge`; `None` for badges secsrv never issued
    /// (they are refused with `EBADF`).
    pub fn from_badge(badge: u64) -> Option<Caller> {
        if badge == INIT_BADGE {
            return Some(Caller::Init);
        }
        ConnBadge::decode(badge).map(|b| Caller::Sid(b.sid))
    }
}

/// What the binary must do besides replying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The reply.
    pub response: Response,
    /// The policy, a boolean or the mode changed: signal the subscribers.
    pub notify: bool,
}

impl Outcome {
    fn reply(r: Result<Response, Errno>) -> Outcome {
        Outcome { response: r.unwrap_or_else(Response::Err), notify: false }
    }
}

/// Maps engine errors to errno values.
pub fn errno(e: &PolicyError) -> Errno {
    match e {
        PolicyError::UnknownSid(_) | PolicyError::UnknownClass(_) | PolicyError::UnknownName(_) => Errno::ENOENT,
        PolicyError::NoContext => Errno::ENOENT,
        PolicyError::SidTableFull => Errno::ENOSPC,
        _ => Errno::EINVAL,
    }
}

struct Local<'a>(&'a Policy);

impl AvcBackend for Local<'_> {
    type Error = Errno;
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<AvcDecision, Errno> {
        let d = self.0.compute_av(Sid(ssid), Sid(tsid), ClassId(class)).map_err(|e| errno(&e))?;
        Ok(AvcDecision { allowed: d.allowed, auditallow: d.auditallow, auditdeny: d.auditdeny, seqno: d.seqno })
    }
}

/// Collects the records of secsrv's own checks; [`SecServer::log`] stores
/// them once the policy is no longer borrowed.
struct Pending(Vec<Record>);

impl AuditSink for Pending {
    fn audit(&mut self, r: &AuditRecord) {
        self.0.push(Record {
            seq: 0,
            ssid: r.ssid,
            tsid: r.tsid,
            class: r.class,
            perms: r.perms,
            denied: r.denied,
            enforced: r.enforced,
            seqno: r.seqno,
            reporter: 0,
            object: String::new(),
            held: 0,
            time_ms: 0,
            pid: 0,
            repeat: 1,
        });
    }
}

/// The security server's state.
pub struct SecServer {
    pub(crate) policy: Option<Policy>,
    registry: ModelRegistry,
    store: Store,
    audit: AuditRing,
    enforcing: bool,
    loaded: String,
    own_context: String,
    own_sid: u32,
    vocab: Option<Vocab>,
    cache: Avc<16, 2>,
    pub(crate) holds: Holds,
    pub(crate) sid_peak: u32,
    free_heap: Option<fn() -> usize>,
    clock: Option<fn() -> u64>,
    /// SIDs of the audit loggers ([`SecServer::subscribe_audit`]): their
    /// reads mark records as logged.
    loggers: Vec<u32>,
    audit_refused: u64,
}

/// Most audit loggers remembered.
const LOGGERS_MAX: usize = 4;

impl SecServer {
    /// A server without a policy, running as `own_context` (its SID is
    /// resolved at each load), enforcing unless `permissive`.
    pub fn new(own_context: &str, permissive: bool) -> SecServer {
        SecServer {
            policy: None,
            registry: ModelRegistry::builtin(),
            store: Store::new(),
            audit: AuditRing::new(),
            enforcing: !permissive,
            loaded: String::new(),
            own_context: own_context.into(),
            own_sid: 0,
            vocab: None,
            cache: Avc::new(),
            holds: Holds::new(),
            sid_peak: 0,
            free_heap: None,
            clock: None,
            loggers: Vec::new(),
            audit_refused: 0,
        }
    }

    /// Tells the server how to read the wall clock, in milliseconds since
    /// the Unix epoch (`rampart_rt::clock::unix_time_ms` in the binary);
    /// without one records carry time 0.
    pub fn set_clock(&mut self, f: fn() -> u64) {
        self.clock = Some(f);
    }

    fn now_ms(&self) -> u64 {
        self.clock.map_or(0, |f| f())
    }

    /// Tells the server how to learn its free heap in bytes: a load whose
    /// [`SecServer::load_budget`] exceeds it is refused (`ENOMEM`) instead
    /// of exhausting the fixed heap.
    pub fn set_free_heap(&mut self, f: fn() -> usize) {
        self.free_heap = Some(f);
    }

    /// The heap a load of stored policy `name` may need, in bytes
    /// ([`LOAD_FACTOR`] per byte of binary policy plus [`LOAD_SLACK`]);
    /// `None` if no such policy is stored.
    pub fn load_budget(&self, name: &str) -> Option<usize> {
        self.store.get(name).ok().map(|b| b.len().saturating_mul(LOAD_FACTOR).saturating_add(LOAD_SLACK))
    }

    /// Who holds which SID (host tests check the accounting).
    pub fn holds(&self) -> &Holds {
        &self.holds
    }

    /// The loaded policy.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// The audit trail.
    pub fn audit_ring(&self) -> &AuditRing {
        &self.audit
    }

    /// The state.
    pub fn status(&self) -> Status {
        Status {
            loaded: self.policy.is_some(),
            seqno: self.policy.as_ref().map_or(0, Policy::seqno),
            enforcing: self.enforcing,
            policy: self.loaded.clone(),
            model: self.policy.as_ref().map_or_else(String::new, |p| p.model_name().into()),
            audit_total: self.audit.total(),
        }
    }

    /// The audit trail's statistics.
    pub fn audit_stats(&self) -> AuditStats {
        AuditStats {
            total: self.audit.total(),
            lost: self.audit.lost(),
            coalesced: self.audit.coalesced(),
            refused: self.audit_refused,
            loggers: self.loggers.len() as u32,
            logged: self.audit.logged(),
        }
    }

    /// The SID table's statistics.
    pub fn sid_stats(&self) -> SidStats {
        SidStats {
            live: self.policy.as_ref().map_or(0, |p| p.sids().len() as u32),
            peak: self.sid_peak,
            refusals: self.holds.refusals(),
        }
    }

    pub(crate) fn caller_sid(&self, c: Caller) -> u32 {
        match c {
            Caller::Sid(s) => s,
            Caller::Init => self.policy.as_ref().and_then(|p| p.initial_sid("init")).map_or(0, |s| s.0),
        }
    }

    /// Checks that `caller` has `security` permission `pick(vocab)` on the
    /// `security` object, auditing as the policy says. In permissive mode
    /// denials are audited and allowed.
    ///
    /// # Errors
    /// `EAGAIN` (no policy yet), `EACCES`.
    pub fn check(&mut self, caller: Caller, pick: fn(&VocabView) -> u32, object: &str) -> Result<(), Errno> {
        let sid = self.caller_sid(caller);
        let (Some(policy), Some(v)) = (self.policy.as_ref(), self.vocab) else {
            return Err(if self.policy.is_none() { Errno::EAGAIN } else { Errno::EACCES });
        };
        let perm = pick(&VocabView(v));
        if perm == 0 {
            return Err(Errno::EACCES);
        }
        let mut sink = Pending(Vec::new());
        self.cache.set_enforcing(self.enforcing);
        let r = self.cache.has_perm(&mut Local(policy), &mut sink, sid, v.target, v.class, perm);
        for mut rec in sink.0 {
            rec.reporter = self.own_sid;
            rec.object = object.to_string();
            self.log(rec);
        }
        match r {
            Ok(()) => Ok(()),
            Err(AvcError::Backend(e)) if e == Errno::ENOENT => Err(Errno::EACCES),
            Err(AvcError::Backend(e)) => Err(e),
            Err(_) => Err(Errno::EACCES),
        }
    }

    /// Stores an audit record stamped with the time, unless it repeats the
    /// newest one ([`AuditRing::coalesce`]), holding the live SIDs it names
    /// until it is overwritten.
    fn log(&mut self, mut r: Record) {
        r.time_ms = self.now_ms();
        if self.audit.coalesce(&r, r.time_ms) {
            return;
        }
        let Some(p) = self.policy.as_mut() else {
            self.audit.push(r);
            return;
        };
        for (i, s) in [r.ssid, r.tsid, r.reporter].into_iter().enumerate() {
            if sids::hold_for_audit(p, &mut self.holds, s) {
                r.held |= 1 << i;
            }
        }
        if let (_, Some(old)) = self.audit.push(r) {
            for s in old.held_sids() {
                let _ = sids::release(p, &mut self.holds, Owner::Audit, s);
            }
        }
    }

    /// May `caller` subscribe to policy-change notifications
    /// (`compute_av`)?
    ///
    /// # Errors
    /// As [`SecServer::check`].
    pub fn may_subscribe(&mut self, caller: Caller) -> Result<(), Errno> {
        self.check(caller, VocabView::compute_av, "subscribe")
    }

    /// May `caller` subscribe to new-record notifications (`read_audit`)?
    /// If so it becomes an audit logger: records it has read are no
    /// longer coalesced into nor counted lost when overwritten (at most
    /// four loggers are remembered; `ENOSPC` beyond).
    ///
    /// # Errors
    /// As [`SecServer::check`]; `ENOSPC`.
    pub fn subscribe_audit(&mut self, caller: Caller) -> Result<(), Errno> {
        self.check(caller, VocabView::read_audit, "subscribe_audit")?;
        let sid = self.caller_sid(caller);
        if !self.loggers.contains(&sid) {
            if self.loggers.len() >= LOGGERS_MAX {
                return Err(Errno::ENOSPC);
            }
            self.loggers.push(sid);
        }
        Ok(())
    }

    fn loaded_hook(&mut self) {
        if let Some(p) = self.policy.as_mut() {
            p.set_sid_capacity(SID_CAPACITY as usize);
            self.vocab = Vocab::of(p);
            let own = p.valid_context(&self.own_context).ok();
            let held = own.and_then(|c| sids::hold(p, &mut self.holds, Owner::Boot, c).ok());
            self.own_sid = held.unwrap_or(0);
            self.cache.policy_changed(p.seqno());
            self.note_peak();
        }
    }

    /// Records the table's size in the peak statistic.
    pub(crate) fn note_peak(&mut self) {
        let n = self.policy.as_ref().map_or(0, |p| p.sids().len() as u32);
        self.sid_peak = self.sid_peak.max(n);
    }

    /// Loads stored policy `name` (first load or reload; on error the old
    /// policy stays).
    ///
    /// # Errors
    /// `ENOENT`, `EINVAL`, `ENOMEM` (the heap cannot hold the load's
    /// budget).
    pub fn load(&mut self, name: &str) -> Result<(), Errno> {
        let budget = self.store.get(name)?.len().saturating_mul(LOAD_FACTOR).saturating_add(LOAD_SLACK);
        if self.free_heap.is_some_and(|f| f() < budget) {
            return Err(Errno::ENOMEM);
        }
        let bytes = self.store.get(name)?;
        match self.policy.as_mut() {
            Some(p) => {
                p.reload(bytes, &self.registry).map_err(|e| errno(&e))?;
            }
            None => self.policy = Some(Policy::load_with(bytes, &self.registry).map_err(|e| errno(&e))?),
        }
        self.loaded = name.into();
        self.loaded_hook();
        Ok(())
    }

    /// Handles one request from `caller`.
    pub fn handle(&mut self, caller: Caller, req: Request) -> Outcome {
        let first_load = caller == Caller::Init && self.policy.is_none();
        match req {
            Request::Status => Outcome::reply(Ok(Response::Status(self.status()))),
            Request::SidStats => Outcome::reply(Ok(Response::SidStats(self.sid_stats()))),
            Request::AuditStats => Outcome::reply(Ok(Response::AuditStats(self.audit_stats()))),
            Request::WhoAmI => Outcome::reply(match self.policy {
                Some(_) => Ok(Response::Sid(self.caller_sid(caller))),
                None => Err(Errno::EAGAIN),
            }),
            Request::PolicyPut { name, offset, total, bytes } => {
                let r = if first_load { Ok(()) } else { self.check(caller, VocabView::load_policy, &name) };
                Outcome::reply(r.and_then(|_| self.store.put(&name, offset, total, &bytes)).map(|_| Response::Ok))
            }
            Request::PolicyLoad { name } => {
                let r = if first_load { Ok(()) } else { self.check(caller, VocabView::load_policy, &name) };
                match r.and_then(|_| self.load(&name)) {
                    Ok(()) => Outcome { response: Response::Status(self.status()), notify: true },
                    Err(e) => Outcome::reply(Err(e)),
                }
            }
            Request::SetEnforce { enforcing } => {
                let obj = if enforcing { "enforcing" } else { "permissive" };
                match self.check(caller, VocabView::setenforce, obj) {
                    Ok(()) => {
                        self.enforcing = enforcing;
                        Outcome { response: Response::Status(self.status()), notify: true }
                    }
                    Err(e) => Outcome::reply(Err(e)),
                }
            }
            Request::SetBool { name, value } => {
                let r = self.check(caller, VocabView::setbool, &name).and_then(|_| {
                    let p = self.policy.as_mut().ok_or(Errno::EAGAIN)?;
                    p.set_bool(&name, value).map_err(|e| errno(&e))
                });
                match r {
                    Ok(seqno) => {
                        self.cache.policy_changed(seqno);
                        Outcome { response: Response::Status(self.status()), notify: true }
                    }
                    Err(e) => Outcome::reply(Err(e)),
                }
            }
            Request::ContextToSid { .. }
            | Request::HoldContext { .. }
            | Request::ReleaseSid { .. }
            | Request::CheckContext { .. }
            | Request::ComputeAvContexts { .. }
            | Request::ComputeCreateContexts { .. }
            | Request::ComputeCreate { .. }
            | Request::FileContext { .. }
            | Request::PortContext { .. }
            | Request::ServiceContext { .. } => Outcome::reply(self.contexts(caller, req)),
            other => Outcome::reply(self.query(caller, other)),
        }
    }

    /// Requests that only read the policy (and `Audit`, `ReadAudit`).
    fn query(&mut self, caller: Caller, req: Request) -> Result<Response, Errno> {
        let pick: fn(&VocabView) -> u32 = match &req {
            Request::SidToContext { .. } | Request::GetBools => VocabView::check_context,
            Request::ReadAudit { .. } => VocabView::read_audit,
            Request::Audit(_) => VocabView::audit_write,
            _ => VocabView::compute_av,
        };
        if let Err(e) = self.check(caller, pick, "") {
            if matches!(req, Request::Audit(_)) {
                self.audit_refused = self.audit_refused.saturating_add(1);
            }
            return Err(e);
        }
        let p = self.policy.as_mut().ok_or(Errno::EAGAIN)?;
        let e = |e: PolicyError| errno(&e);
        Ok(match req {
            Request::ComputeAv { ssid, tsid, class } => {
                let d = p.compute_av(Sid(ssid), Sid(tsid), ClassId(class)).map_err(e)?;
                Response::Decision(Decision {
                    allowed: d.allowed,
                    auditallow: d.auditallow,
                    auditdeny: d.auditdeny,
                    seqno: d.seqno,
                })
            }
            Request::SidToContext { sid } => Response::Context(p.sid_to_context(Sid(sid)).map_err(e)?.into()),
            Request::ClassId { name } => Response::Class(p.class_id(&name).ok_or(Errno::ENOENT)?.0),
            Request::Perms { class, names } => {
                let v: Vec<&str> = names.iter().map(String::as_str).collect();
                Response::Perms(p.perms(ClassId(class), &v).map_err(e)?)
            }
            Request::GetBools => Response::Bools(p.bools().map(|(n, v)| (n.into(), v)).collect()),
            Request::Audit(sub) => {
                self.submit(caller, sub);
                Response::Ok
            }
            Request::ReadAudit { from } => {
                let b = self.read_audit(from);
                let sid = self.caller_sid(caller);
                if self.loggers.is_empty() || self.loggers.contains(&sid) {
                    self.audit.mark_read(b.next.saturating_sub(1));
                }
                if self.loggers.contains(&sid) {
                    self.audit.mark_logged(from);
                }
                Response::Audit(b)
            }
            Request::ValidateTrans { old, new, task, class } => {
                Response::Valid(p.validate_trans(Sid(old), Sid(new), Sid(task), ClassId(class)).map_err(e)?)
            }
            _ => return Err(Errno::ENOSYS),
        })
    }

    fn submit(&mut self, caller: Caller, s: AuditSubmit) {
        let reporter = self.caller_sid(caller);
        self.log(Record {
            seq: 0,
            ssid: s.ssid,
            tsid: s.tsid,
            class: s.class,
            perms: s.perms,
            denied: s.denied,
            enforced: s.enforced,
            seqno: s.seqno,
            reporter,
            object: s.object,
            held: 0,
            time_ms: 0,
            pid: s.pid,
            repeat: 1,
        });
    }

    fn name_of(&self, sid: u32) -> String {
        match self.policy.as_ref().map(|p| p.sid_to_context(Sid(sid))) {
            Some(Ok(c)) => c.into(),
            _ => format!("sid{sid}"),
        }
    }

    /// Audit records from `from` on, as many as fit in one message.
    pub fn read_audit(&self, from: u64) -> AuditBatch {
        let (it, lost) = self.audit.from(from);
        let mut out = AuditBatch { records: Vec::new(), next: from.max(self.audit.oldest()), lost };
        let mut size = 24;
        // Fixed fields of an entry: position, time, pid, count, seqno,
        // flags and string lengths, in postcard's varints at their longest.
        for r in it {
            let (class, perms) = match self.policy.as_ref().and_then(|p| p.db().class(r.class)) {
                Some(c) => {
                    let names = self.policy.as_ref().map(|p| p.db().perm_names(r.class, r.perms)).unwrap_or_default();
                    (c.name.clone(), names.join(" "))
                }
                None => (format!("class{}", r.class), format!("{:#x}", r.perms)),
            };
            let e = AuditEntry {
                seq: r.seq,
                denied: r.denied,
                enforced: r.enforced,
                source: self.name_of(r.ssid),
                target: self.name_of(r.tsid),
                class,
                perms,
                object: r.object.clone(),
                reporter: self.name_of(r.reporter),
                seqno: r.seqno,
                time_ms: r.time_ms,
                pid: r.pid,
                repeat: r.repeat,
            };
            let len = 48 + e.source.len() + e.target.len() + e.class.len() + e.perms.len();
            let len = len + e.object.len() + e.reporter.len();
            if size + len > BATCH_BUDGET && !out.records.is_empty() {
                break;
            }
            size += len;
            out.next = r.seq + 1;
            out.records.push(e);
            if size > BATCH_BUDGET {
                break;
            }
        }
        out
    }
}

const _: () = assert!(CHUNK <= 900, "a chunk and its request must fit in one message");
