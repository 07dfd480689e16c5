//! The security server's protocol (docs/security-architecture.md §3).
//!
//! The security server (`secsrv`, domain `secsrv_t`) holds the loaded
//! binary policy and is the only component that knows its semantics. Its
//! clients reach it through connections minted by connsrv, whose badges
//! carry the client's SID (`rampart_connsrv_api::ConnBadge`); init has one
//! extra channel ([`INIT_BADGE`]) for loading the boot policy.
//!
//! Every request is checked against the policy with the caller's SID as
//! source and the `security` initial SID as target, class `security`:
//! decisions and translations need `compute_av` / `check_context`, loading
//! a policy `load_policy`, switching modes `setenforce`, booleans
//! `setbool`, reading the audit trail `read_audit`, adding records to it
//! `audit_write` (object managers only: a Rampart addition, SELinux has
//! no such permission because its object managers are in the kernel).
//!
//! [`client`] turns the protocol into an [`rampart_avc::AvcBackend`] and an
//! [`rampart_avc::AuditSink`], so an object server gets a policy-backed AVC
//! in a few lines ([`client::SecAvc`]).
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod client;
#[cfg(feature = "rt")]
pub mod rt;
pub mod small;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use rampart_uabi::Errno;
use serde::{Deserialize, Serialize};

/// Badge of init's own channel to secsrv (minted by init at boot). It
/// carries the `init` initial SID; it may load the first policy.
pub const INIT_BADGE: u64 = (1 << 62) | 1;
/// Notification badge bit subscribers should use for "the policy changed"
/// ([`Request::Subscribe`]).
pub const EVENT_POLICY: u64 = 1 << 1;
/// Longest chunk of policy bytes in one [`Request::PolicyPut`].
pub const CHUNK: usize = 768;
/// Largest binary policy secsrv accepts, in bytes (the shipped ones are
/// 6-12 KiB).
pub const POLICY_MAX: u32 = 256 << 10;
/// Longest context string secsrv accepts in a request, in bytes (a
/// canonical text longer than this is refused too).
pub const CONTEXT_MAX: usize = 256;
/// Longest object description kept in an audit record, in bytes.
pub const OBJECT_MAX: usize = 64;
/// Notification badge bit audit subscribers should use for "new audit
/// records" ([`Request::SubscribeAudit`]).
pub const EVENT_AUDIT: u64 = 1 << 3;
/// Records of the audit trail kept in secsrv's RAM ring; older unread ones
/// are overwritten and counted in [`AuditStats::lost`].
pub const AUDIT_RING: usize = 256;
/// Window of the audit trail's coalescing, in milliseconds: a record
/// identical to the newest one (same subject, pid, target, class,
/// permissions, object and outcome), submitted within this time of the
/// newest one's first occurrence and before any reader has read it, only
/// increments its [`AuditEntry::repeat`] count (docs/security-architecture.md
/// §8, "Audit trail").
pub const AUDIT_COALESCE_MS: u64 = 1000;
/// Most policies held in secsrv's store.
pub const STORE_MAX: usize = 8;
/// Most live SIDs in secsrv's table, initial SIDs included
/// (docs/security-architecture.md §1, "SID lifetime and limits").
pub const SID_CAPACITY: u32 = 4096;
/// Most distinct SIDs an ordinary owner holds at once (a caller whose
/// domain is not an object manager, or a process on whose behalf rm asks).
/// Beyond it a request that would add one is refused with `ENOSPC`.
pub const OWNER_SIDS: u32 = 128;
/// Most distinct SIDs a trusted owner holds at once: init's boot channel
/// and callers whose domain has the policy attribute `object_manager` (rm,
/// connsrv, the file and network servers, ...).
pub const MANAGER_SIDS: u32 = 2048;
/// Most (SID, owner) holds at once, over all owners.
pub const HOLDS_MAX: u32 = 8192;
/// Most bytes of binary policies held in the store (the totals announced
/// by their first chunks, summed over every stored name).
pub const STORE_BYTES: usize = 1 << 20;
/// secsrv's heap in bytes, fixed at start: it never grows (growing would be
/// a call to rm, which calls secsrv). It holds the store, the loaded
/// policy and a reload's new one, the SID table and holds at their limits
/// and the audit ring (docs/security-architecture.md §3, "Memory").
pub const HEAP_BYTES: usize = 8 << 20;

/// An access decision (`rampart_avc::Decision` on the wire).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// Granted permissions.
    pub allowed: u32,
    /// Granted permissions to audit.
    pub auditallow: u32,
    /// Denied permissions to audit.
    pub auditdeny: u32,
    /// Policy sequence number.
    pub seqno: u32,
}

/// An audit event an object server reports (from its AVC).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditSubmit {
    /// Source SID.
    pub ssid: u32,
    /// Target SID.
    pub tsid: u32,
    /// Class number.
    pub class: u16,
    /// The permissions reported.
    pub perms: u32,
    /// A denial (else an audited grant).
    pub denied: bool,
    /// False if the denial was not enforced (permissive mode).
    pub enforced: bool,
    /// Policy sequence number of the decision.
    pub seqno: u32,
    /// The object (a path, a service name, ...; at most [`OBJECT_MAX`]
    /// bytes are kept).
    pub object: String,
    /// Process id of the subject (0: unknown): rm knows it for its own
    /// checks, the other object managers ask connsrv (`WhoIs`) once per
    /// connection.
    pub pid: u32,
}

/// One record of the audit trail, with names resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the trail (counts from 1 since boot).
    pub seq: u64,
    /// A denial (else an audited grant).
    pub denied: bool,
    /// False for a denial in permissive mode.
    pub enforced: bool,
    /// Source context.
    pub source: String,
    /// Target context.
    pub target: String,
    /// Class name.
    pub class: String,
    /// Permission names, space separated.
    pub perms: String,
    /// The object's description.
    pub object: String,
    /// Context of the component that reported it.
    pub reporter: String,
    /// Policy sequence number.
    pub seqno: u32,
    /// When secsrv stored it, in milliseconds since the Unix epoch
    /// (`rampart_rt::clock::unix_time_ms`).
    pub time_ms: u64,
    /// Process id of the subject (0: unknown).
    pub pid: u32,
    /// How many identical events this record stands for (1, or more when
    /// repeats were coalesced; see [`AUDIT_COALESCE_MS`]).
    pub repeat: u32,
}

impl fmt::Display for AuditEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "avc: {} {{ {} }} for pid={} scontext={} tcontext={} tclass={} object=\"{}\" by={} seqno={}{}",
            if self.denied { "denied" } else { "granted" },
            self.perms,
            self.pid,
            self.source,
            self.target,
            self.class,
            self.object,
            self.reporter,
            self.seqno,
            if self.denied && !self.enforced { " permissive" } else { "" }
        )
    }
}

/// A batch of audit records.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditBatch {
    /// Records in order.
    pub records: Vec<AuditEntry>,
    /// Where to continue reading.
    pub next: u64,
    /// Records overwritten before they were read (from the requested
    /// position).
    pub lost: u64,
}

/// The security server's state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// A policy is loaded.
    pub loaded: bool,
    /// Policy sequence number (bumped by loads and boolean changes).
    pub seqno: u32,
    /// Enforcing (else permissive).
    pub enforcing: bool,
    /// The loaded policy's store name.
    pub policy: String,
    /// Its model (`te`, `mls`, ...).
    pub model: String,
    /// Audit records written since boot.
    pub audit_total: u64,
}

/// The audit trail's statistics since boot ([`Request::AuditStats`]; a
/// response of its own so that [`Response`] stays small).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStats {
    /// Records written (coalesced repeats not included).
    pub total: u64,
    /// Records overwritten in the ring before the audit daemon (or, if
    /// none subscribed, any reader) read them.
    pub lost: u64,
    /// Repeats folded into an earlier record ([`AUDIT_COALESCE_MS`]).
    pub coalesced: u64,
    /// `Audit` submissions refused (the caller lacks `audit_write`).
    pub refused: u64,
    /// Audit loggers subscribed ([`Request::SubscribeAudit`]).
    pub loggers: u32,
    /// Records a logger has confirmed it wrote: positions below the one it
    /// asked to read from last (a logger asks for the records after the
    /// ones it has written). init waits, bounded, until this reaches
    /// `total` before the file server shuts down, so records are not lost
    /// at power-off.
    pub logged: u64,
}

/// The SID table's statistics ([`Request::SidStats`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidStats {
    /// Live SIDs (initial SIDs included).
    pub live: u32,
    /// Most live SIDs at any time since boot.
    pub peak: u32,
    /// Requests refused because an owner or the table was at a limit,
    /// since boot.
    pub refusals: u64,
}

rampart_uabi::by_value!(AuditSubmit);

rampart_uabi::protocol! {
    /// Requests to secsrv.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// Responses from secsrv.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Done.
        Ok,
        /// An access decision.
        Decision(Decision),
        /// A SID.
        Sid(u32),
        /// A context.
        Context(String),
        /// A class number.
        Class(u16),
        /// An access vector.
        Perms(u32),
        /// State.
        Status(Status),
        /// Booleans and their values.
        Bools(Vec<(String, bool)>),
        /// Audit records.
        Audit(AuditBatch),
        /// SID table statistics.
        SidStats(SidStats),
        /// The request failed.
        Err(Errno),
        /// Audit trail statistics.
        AuditStats(AuditStats),
        /// A yes/no answer ([`Request::ValidateTrans`]).
        Valid(bool),
    }

    /// The decision for `(ssid, tsid, class)`. Reply [`Response::Decision`];
    /// `ENOENT` (unknown SID or class), `EACCES`.
    ComputeAv {
        /// Source SID.
        ssid: u32,
        /// Target SID.
        tsid: u32,
        /// Class number.
        class: u16,
    } -> Decision(Decision) => compute_av;
    /// The SID of a new object of `class` created by `ssid` under `tsid`
    /// (type transitions), held by the caller as with
    /// [`Request::ContextToSid`]. Reply [`Response::Sid`]; `ENOENT`,
    /// `EINVAL`, `ENOSPC`.
    ComputeCreate {
        /// Creator.
        ssid: u32,
        /// Parent directory, or executable for `process`.
        tsid: u32,
        /// Class number.
        class: u16,
        /// Object name (named transitions).
        name: Option<String>,
    } -> Sid(u32) => compute_create;
    /// Context → SID. The caller *holds* the SID from then on (until it
    /// sends [`Request::ReleaseSid`]; a SID nobody holds is reclaimed); a
    /// new SID counts against the caller's limit ([`OWNER_SIDS`],
    /// [`MANAGER_SIDS`]). Reply [`Response::Sid`]; `EINVAL`, `ENOSPC`
    /// (limit).
    ContextToSid {
        /// `user:role:type[:level]`.
        context: String,
    } -> Sid(u32) => context_to_sid;
    /// SID → context. Reply [`Response::Context`]; `ENOENT`.
    SidToContext {
        /// The SID.
        sid: u32,
    } -> Context(String) => sid_to_context;
    /// A class number by name. Reply [`Response::Class`]; `ENOENT`.
    ClassId {
        /// Class name.
        name: String,
    } -> Class(u16) => class_id;
    /// The access vector of named permissions. Reply [`Response::Perms`];
    /// `ENOENT`.
    Perms {
        /// Class number.
        class: u16,
        /// Permission names.
        names: Vec<String>,
    } -> Perms(u32) => perms;
    /// A labelled file's SID (`kind`: `file`, `dir`, `lnk_file`,
    /// `chr_file`, `blk_file`, `fifo_file`, `sock_file` or `any`). Reply
    /// [`Response::Sid`] (held by the caller, as with
    /// [`Request::ContextToSid`]), or [`Response::Ok`] for `<<none>>`;
    /// `ENOENT`, `ENOSPC`.
    FileContext {
        /// Absolute path.
        path: String,
        /// File kind.
        kind: String,
    } -> Sid(u32) | Ok => file_context;
    /// A port's SID (held by the caller). Reply [`Response::Sid`];
    /// `ENOENT`, `ENOSPC`.
    PortContext {
        /// TCP (else UDP).
        tcp: bool,
        /// Port number.
        port: u16,
    } -> Sid(u32) => port_context;
    /// Reply [`Response::Status`].
    Status -> Status(Status) => status;
    /// The caller's own SID (from its badge). Reply [`Response::Sid`].
    WhoAmI -> Sid(u32) => who_am_i;
    /// Enforcing or permissive (`setenforce`). Reply [`Response::Status`].
    SetEnforce {
        /// Enforce.
        enforcing: bool,
    } -> Status(Status) => set_enforce;
    /// Sets a boolean (`setbool`). Reply [`Response::Status`]; `ENOENT`.
    SetBool {
        /// Name.
        name: String,
        /// Value.
        value: bool,
    } -> Status(Status) => set_bool;
    /// Reply [`Response::Bools`].
    GetBools -> Bools(Vec<(String, bool)>) => get_bools;
    /// Stores `bytes` at `offset` of stored policy `name` of `total` bytes
    /// (`load_policy`; init before the first load). A put at offset 0
    /// starts the policy afresh. Reply [`Response::Ok`]; `EINVAL`,
    /// `ENOSPC`, `EFBIG`-style `E2BIG` beyond [`POLICY_MAX`].
    PolicyPut {
        /// Store name.
        name: String,
        /// Byte offset.
        offset: u32,
        /// Total size.
        total: u32,
        /// At most [`CHUNK`] bytes.
        bytes: Vec<u8>,
    } -> Ok => policy_put;
    /// Loads stored policy `name` (`load_policy`; init for the first load).
    /// Reply [`Response::Status`]; `ENOENT`, `EINVAL` (incomplete or bad
    /// policy: the old one stays).
    PolicyLoad {
        /// Store name.
        name: String,
    } -> Status(Status) => load_policy;
    /// Adds a record to the audit trail (`audit_write`: object managers
    /// only). secsrv stamps it with the time; the reporter is the caller.
    /// Reply [`Response::Ok`]; `EACCES` (counted in
    /// [`AuditStats::refused`]).
    Audit(record: AuditSubmit) -> Ok => audit;
    /// Reads the audit trail from position `from` (`read_audit`). Reply
    /// [`Response::Audit`].
    ReadAudit {
        /// First position wanted (0: the oldest kept).
        from: u64,
    } -> Audit(AuditBatch) => read_audit;
    /// The message carries a notification capability that secsrv signals
    /// whenever the policy changes (load, boolean, mode). Reply
    /// [`Response::Ok`]; `EINVAL` (no capability), `ENOSPC`.
    Subscribe -> Ok => subscribe(ntfn: give);
    /// A service name's SID (its `servicecon` context: the target of
    /// `service register`; connsrv), held by the caller as with
    /// [`Request::ContextToSid`]. Reply [`Response::Sid`]; `ENOENT` (no
    /// rule covers the name), `ENOSPC`.
    ServiceContext {
        /// Service name.
        name: String,
    } -> Sid(u32) => service_context;
    /// Validates a context *without* adding it to the SID table
    /// (`check_context`). Reply [`Response::Context`] with its canonical
    /// text; `EINVAL`.
    CheckContext {
        /// `user:role:type[:level]`.
        context: String,
    } -> Context(String) => check_context;
    /// The decision for two contexts given as text, adding neither to the
    /// SID table (`compute_av` and `check_context`): decide first, intern
    /// only what is granted. Reply [`Response::Decision`]; `EINVAL` (a
    /// context the policy rejects), `ENOENT` (class).
    ComputeAvContexts {
        /// Source context.
        scon: String,
        /// Target context.
        tcon: String,
        /// Class number.
        class: u16,
    } -> Decision(Decision) => compute_av_contexts;
    /// The context of a new object of `class` created by `scon` under (or,
    /// for `process`, executing) `tcon`, adding nothing to the SID table
    /// (`compute_av` and `check_context`); named transitions need
    /// [`Request::ComputeCreate`]. Reply [`Response::Context`]; `EINVAL`,
    /// `ENOENT`.
    ComputeCreateContexts {
        /// Creator.
        scon: String,
        /// Parent directory, or executable for `process`.
        tcon: String,
        /// Class number.
        class: u16,
    } -> Context(String) => compute_create_contexts;
    /// As [`Request::ContextToSid`], with the hold charged to `subject`
    /// (a SID; 0: the caller itself) instead of the caller
    /// (`check_context`). Only trusted callers (object managers) name a
    /// subject: rm charges the process whose spawn needs the SID. Reply
    /// [`Response::Sid`]; `EINVAL`, `EPERM` (a subject named by another
    /// caller), `ENOSPC` (the owner or the table at its limit).
    HoldContext {
        /// `user:role:type[:level]`.
        context: String,
        /// The owner charged (0: the caller).
        subject: u32,
    } -> Sid(u32) => hold_context;
    /// Drops one hold of the caller (or of `subject`, as in
    /// [`Request::HoldContext`]) on `sid` (`check_context`); a SID nobody
    /// holds leaves the table and its number is never issued again. Reply
    /// [`Response::Ok`]; `ENOENT` (no such hold), `EPERM`.
    ReleaseSid {
        /// The SID.
        sid: u32,
        /// The owner (0: the caller).
        subject: u32,
    } -> Ok => release_sid;
    /// The SID table's statistics (no permission, like [`Request::Status`]).
    /// Reply [`Response::SidStats`].
    SidStats -> SidStats(SidStats) => sid_stats;
    /// The message carries a notification capability that secsrv signals
    /// whenever records are added to the audit trail (`read_audit`: the
    /// audit daemon). Reply [`Response::Ok`]; `EINVAL` (no capability),
    /// `ENOSPC`, `EACCES`.
    SubscribeAudit -> Ok => subscribe_audit(ntfn: give);
    /// The audit trail's statistics (no permission, like
    /// [`Request::Status`]). Reply [`Response::AuditStats`].
    AuditStats -> AuditStats(AuditStats) => audit_stats;
    /// May `task` relabel an object of `class` from `old` to `new`? The
    /// policy's `validatetrans` statements (`compute_av`; the file
    /// server's relabel asks it). Reply [`Response::Valid`]; `ENOENT`.
    ValidateTrans {
        /// The object's current SID.
        old: u32,
        /// The SID it would get.
        new: u32,
        /// The relabelling task's SID.
        task: u32,
        /// The object's class.
        class: u16,
    } -> Valid(bool) => validate_trans;
}

#[cfg(test)]
mod tests;
