//! Request handling: who the caller is, what it may ask, and the answers.

use crate::audit::{AuditRing, Record};
use crate::store::Store;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_avc::{AuditRecord, AuditSink, Avc, AvcBackend, AvcError, Decision as AvcDecision};
use rampart_connsrv_api::ConnBadge;
use rampart_policy::{ClassId, FileKind, ModelRegistry, Policy, PolicyError, Protocol, Sid};
use rampart_secsrv_api::{AuditBatch, AuditEntry, AuditSubmit, CHUNK, Decision, INIT_BADGE, Request, Response, Status};
use rampart_uabi::Errno;

/// Longest context string accepted, in bytes.
pub const CONTEXT_MAX: usize = 256;
/// Encoded size budget of one audit batch (a message holds 960 bytes).
const BATCH_BUDGET: usize = 800;

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

/// The `security` class vocabulary, looked up by name at each load.
#[derive(Clone, Copy, Debug, Default)]
struct Vocab {
    target: u32,
    class: u16,
    compute_av: u32,
    check_context: u32,
    load_policy: u32,
    setenforce: u32,
    setbool: u32,
    read_audit: u32,
}

impl Vocab {
    fn of(p: &Policy) -> Option<Vocab> {
        let class = p.class_id("security")?;
        let bit = |n: &str| p.perms(class, &[n]).ok();
        Some(Vocab {
            target: p.initial_sid("security")?.0,
            class: class.0,
            compute_av: bit("compute_av")?,
            check_context: bit("check_context")?,
            load_policy: bit("load_policy")?,
            setenforce: bit("setenforce")?,
            setbool: bit("setbool")?,
            read_audit: bit("read_audit")?,
        })
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

struct RingSink<'a> {
    ring: &'a mut AuditRing,
    reporter: u32,
    object: &'a str,
}

impl AuditSink for RingSink<'_> {
    fn audit(&mut self, r: &AuditRecord) {
        self.ring.push(Record {
            seq: 0,
            ssid: r.ssid,
            tsid: r.tsid,
            class: r.class,
            perms: r.perms,
            denied: r.denied,
            enforced: r.enforced,
            seqno: r.seqno,
            reporter: self.reporter,
            object: self.object.to_string(),
        });
    }
}

/// The security server's state.
pub struct SecServer {
    policy: Option<Policy>,
    registry: ModelRegistry,
    store: Store,
    audit: AuditRing,
    enforcing: bool,
    loaded: String,
    own_context: String,
    own_sid: u32,
    vocab: Option<Vocab>,
    cache: Avc<16, 2>,
}

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
        }
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

    fn caller_sid(&self, c: Caller) -> u32 {
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
        let mut sink = RingSink { ring: &mut self.audit, reporter: self.own_sid, object };
        self.cache.set_enforcing(self.enforcing);
        match self.cache.has_perm(&mut Local(policy), &mut sink, sid, v.target, v.class, perm) {
            Ok(()) => Ok(()),
            Err(AvcError::Backend(e)) if e == Errno::ENOENT => Err(Errno::EACCES),
            Err(AvcError::Backend(e)) => Err(e),
            Err(_) => Err(Errno::EACCES),
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

    fn loaded_hook(&mut self) {
        if let Some(p) = self.policy.as_mut() {
            self.vocab = Vocab::of(p);
            self.own_sid = p.context_to_sid(&self.own_context).map(|s| s.0).unwrap_or(0);
            self.cache.policy_changed(p.seqno());
        }
    }

    /// Loads stored policy `name` (first load or reload; on error the old
    /// policy stays).
    ///
    /// # Errors
    /// `ENOENT`, `EINVAL`.
    pub fn load(&mut self, name: &str) -> Result<(), Errno> {
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
            Request::ContextToSid { context } => {
                let r = if caller == Caller::Init { Ok(()) } else { self.check(caller, VocabView::check_context, "") };
                Outcome::reply(r.and_then(|_| self.context_to_sid(&context)).map(Response::Sid))
            }
            other => Outcome::reply(self.query(caller, other)),
        }
    }

    fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno> {
        if context.len() > CONTEXT_MAX {
            return Err(Errno::EINVAL);
        }
        let p = self.policy.as_mut().ok_or(Errno::EAGAIN)?;
        p.context_to_sid(context).map(|s| s.0).map_err(|e| errno(&e))
    }

    /// Requests that only read the policy (and `Audit`, `ReadAudit`).
    fn query(&mut self, caller: Caller, req: Request) -> Result<Response, Errno> {
        let pick: fn(&VocabView) -> u32 = match &req {
            Request::SidToContext { .. } | Request::GetBools => VocabView::check_context,
            Request::ReadAudit { .. } => VocabView::read_audit,
            _ => VocabView::compute_av,
        };
        self.check(caller, pick, "")?;
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
            Request::ComputeCreate { ssid, tsid, class, name } => {
                Response::Sid(p.compute_create(Sid(ssid), Sid(tsid), ClassId(class), name.as_deref()).map_err(e)?.0)
            }
            Request::SidToContext { sid } => Response::Context(p.sid_to_context(Sid(sid)).map_err(e)?.into()),
            Request::ClassId { name } => Response::Class(p.class_id(&name).ok_or(Errno::ENOENT)?.0),
            Request::Perms { class, names } => {
                let v: Vec<&str> = names.iter().map(String::as_str).collect();
                Response::Perms(p.perms(ClassId(class), &v).map_err(e)?)
            }
            Request::FileContext { path, kind } => {
                let k = FileKind::from_keyword(&kind).ok_or(Errno::EINVAL)?;
                match p.file_context(&path, k).map_err(e)? {
                    Some(s) => Response::Sid(s.0),
                    None => Response::Ok,
                }
            }
            Request::PortContext { tcp, port } => {
                let proto = if tcp { Protocol::Tcp } else { Protocol::Udp };
                Response::Sid(p.port_context(proto, port).map_err(e)?.0)
            }
            Request::ServiceContext { name } => Response::Sid(p.service_context(&name).map_err(e)?.0),
            Request::GetBools => Response::Bools(p.bools().map(|(n, v)| (n.into(), v)).collect()),
            Request::Audit(sub) => {
                self.submit(caller, sub);
                Response::Ok
            }
            Request::ReadAudit { from } => Response::Audit(self.read_audit(from)),
            _ => return Err(Errno::ENOSYS),
        })
    }

    fn submit(&mut self, caller: Caller, s: AuditSubmit) {
        let reporter = self.caller_sid(caller);
        self.audit.push(Record {
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
            };
            let len = 24 + e.source.len() + e.target.len() + e.class.len() + e.perms.len();
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

/// Read access to the permission bits (for [`SecServer::check`]'s
/// selector).
pub struct VocabView(Vocab);

impl VocabView {
    /// `security compute_av`.
    pub fn compute_av(&self) -> u32 {
        self.0.compute_av
    }
    /// `security check_context`.
    pub fn check_context(&self) -> u32 {
        self.0.check_context
    }
    /// `security load_policy`.
    pub fn load_policy(&self) -> u32 {
        self.0.load_policy
    }
    /// `security setenforce`.
    pub fn setenforce(&self) -> u32 {
        self.0.setenforce
    }
    /// `security setbool`.
    pub fn setbool(&self) -> u32 {
        self.0.setbool
    }
    /// `security read_audit`.
    pub fn read_audit(&self) -> u32 {
        self.0.read_audit
    }
}

const _: () = assert!(CHUNK <= 900, "a chunk and its request must fit in one message");
