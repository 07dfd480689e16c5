//! The audit trail: a fixed-size ring of records, numbered from 1 since
//! boot. Records hold SIDs (stable across reloads) and are resolved to
//! context strings only when an authorised tool reads them; the server
//! holds every live SID a record names until the record is overwritten
//! (owner `Audit` in [`crate::sids`]), so a record never outlives the
//! context it names.

use alloc::collections::VecDeque;
use alloc::string::String;

/// Records kept (older ones are overwritten and counted as lost).
pub const RING_SIZE: usize = 256;

/// One stored record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Position (1, 2, ...).
    pub seq: u64,
    /// Source SID.
    pub ssid: u32,
    /// Target SID.
    pub tsid: u32,
    /// Class number.
    pub class: u16,
    /// Permissions reported.
    pub perms: u32,
    /// Denial (else audited grant).
    pub denied: bool,
    /// Enforced (false: permissive denial).
    pub enforced: bool,
    /// Policy sequence number.
    pub seqno: u32,
    /// SID of the reporting component.
    pub reporter: u32,
    /// The object (truncated to `OBJECT_MAX` bytes).
    pub object: String,
    /// Which of `ssid`, `tsid`, `reporter` (bits 0, 1, 2) the server
    /// holds for this record (released when it is overwritten).
    pub held: u8,
}

impl Record {
    /// The SIDs whose bit is set in `held`.
    pub fn held_sids(&self) -> impl Iterator<Item = u32> + '_ {
        [self.ssid, self.tsid, self.reporter]
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.held & (1 << i) != 0)
            .map(|(_, s)| s)
    }
}

/// The ring.
#[derive(Debug, Default)]
pub struct AuditRing {
    ring: VecDeque<Record>,
    next: u64,
}

impl AuditRing {
    /// An empty trail.
    pub fn new() -> AuditRing {
        AuditRing { ring: VecDeque::with_capacity(RING_SIZE), next: 1 }
    }

    /// Appends `r` (its `seq` is assigned); returns the position and the
    /// record it overwrote, if the ring was full.
    pub fn push(&mut self, mut r: Record) -> (u64, Option<Record>) {
        let mut end = r.object.len().min(rampart_secsrv_api::OBJECT_MAX);
        while !r.object.is_char_boundary(end) {
            end -= 1;
        }
        r.object.truncate(end);
        r.seq = self.next;
        self.next += 1;
        let old = if self.ring.len() == RING_SIZE { self.ring.pop_front() } else { None };
        self.ring.push_back(r);
        (self.next - 1, old)
    }

    /// Records written since boot.
    pub fn total(&self) -> u64 {
        self.next - 1
    }

    /// The oldest position still kept (`total + 1` if empty).
    pub fn oldest(&self) -> u64 {
        self.ring.front().map_or(self.next, |r| r.seq)
    }

    /// Records from position `from` on (clamped to the oldest kept), and
    /// how many wanted records were already overwritten.
    pub fn from(&self, from: u64) -> (impl Iterator<Item = &Record>, u64) {
        let oldest = self.oldest();
        let lost = if from == 0 { 0 } else { oldest.saturating_sub(from) };
        let start = from.max(oldest);
        let skip = usize::try_from(start - oldest).unwrap_or(usize::MAX);
        (self.ring.iter().skip(skip), lost)
    }
}
