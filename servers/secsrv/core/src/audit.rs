//! The audit trail: a fixed-size ring of [`RING_SIZE`] records, numbered
//! from 1 since boot. Records hold SIDs (stable across reloads) and are
//! resolved to context strings only when an authorised tool reads them; the
//! server holds every live SID a record names until the record is
//! overwritten (owner `Audit` in [`crate::sids`]), so a record never
//! outlives the context it names.
//!
//! **Flooding.** A user can cause denials cheaply, so the ring defends the
//! records of others in two ways (docs/security-architecture.md §8, "Audit
//! trail"):
//! - *coalescing*: a record identical to the newest one (same subject and
//!   pid, target, class, permissions, object, outcome and reporter) that
//!   arrives within [`COALESCE_MS`] of the newest one's first occurrence,
//!   while no logger has read the newest one yet, only increments its
//!   `repeat` count (Linux rate-limits `printk` of AVC messages and lets
//!   auditd drop; Rampart keeps the count instead);
//! - *loss accounting*: a record overwritten before the logger (the audit
//!   daemon, or any reader if no logger subscribed) read it is counted in
//!   [`AuditRing::lost`], which `Status` reports and the daemon writes to
//!   the persistent log.

use alloc::collections::VecDeque;
use alloc::string::String;

/// Records kept (older ones are overwritten; unread ones are counted as
/// lost).
pub const RING_SIZE: usize = rampart_secsrv_api::AUDIT_RING;
/// The coalescing window in milliseconds.
pub const COALESCE_MS: u64 = rampart_secsrv_api::AUDIT_COALESCE_MS;

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
    /// When it was first stored, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// The subject's process id (0: unknown).
    pub pid: u32,
    /// Events it stands for (1 + coalesced repeats).
    pub repeat: u32,
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

    /// Whether `other` reports the same event (everything but the
    /// position, time, holds and count).
    pub fn same_event(&self, other: &Record) -> bool {
        (self.ssid, self.tsid, self.class, self.perms, self.denied, self.enforced, self.seqno)
            == (other.ssid, other.tsid, other.class, other.perms, other.denied, other.enforced, other.seqno)
            && (self.reporter, self.pid) == (other.reporter, other.pid)
            && self.object == other.object
    }
}

/// The ring.
#[derive(Debug, Default)]
pub struct AuditRing {
    ring: VecDeque<Record>,
    next: u64,
    /// Highest position a logger has read.
    read: u64,
    /// Highest position a logger has confirmed written.
    logged: u64,
    lost: u64,
    coalesced: u64,
}

impl AuditRing {
    /// An empty trail.
    pub fn new() -> AuditRing {
        AuditRing { ring: VecDeque::with_capacity(RING_SIZE), next: 1, read: 0, logged: 0, lost: 0, coalesced: 0 }
    }

    /// Folds `r` into the newest record if it repeats it (same event,
    /// within [`COALESCE_MS`] of its first time `now_ms`, not yet read by
    /// a logger); returns whether it did.
    pub fn coalesce(&mut self, r: &Record, now_ms: u64) -> bool {
        let read = self.read;
        match self.ring.back_mut() {
            Some(last)
                if last.seq > read
                    && last.repeat < u32::MAX
                    && now_ms.saturating_sub(last.time_ms) < COALESCE_MS
                    && last.same_event(r) =>
            {
                last.repeat += 1;
                self.coalesced += 1;
                true
            }
            _ => false,
        }
    }

    /// Appends `r` (its `seq` is assigned, its `repeat` set to 1); returns
    /// the position and the record it overwrote, if the ring was full (an
    /// overwritten record no logger read counts as lost).
    pub fn push(&mut self, mut r: Record) -> (u64, Option<Record>) {
        let mut end = r.object.len().min(rampart_secsrv_api::OBJECT_MAX);
        while !r.object.is_char_boundary(end) {
            end -= 1;
        }
        r.object.truncate(end);
        r.seq = self.next;
        r.repeat = 1;
        self.next += 1;
        let old = if self.ring.len() == RING_SIZE { self.ring.pop_front() } else { None };
        if old.as_ref().is_some_and(|o| o.seq > self.read) {
            self.lost += 1;
        }
        self.ring.push_back(r);
        (self.next - 1, old)
    }

    /// Notes that a logger has read every record up to position `upto`
    /// (they are no longer coalesced into, nor counted lost when
    /// overwritten).
    pub fn mark_read(&mut self, upto: u64) {
        self.read = self.read.max(upto.min(self.next - 1));
    }

    /// Notes that a logger asked to read from position `from`: it has
    /// written every record before it (the audit daemon reads the next
    /// batch only after it appended the last one to its log).
    pub fn mark_logged(&mut self, from: u64) {
        self.logged = self.logged.max(from.saturating_sub(1).min(self.next - 1));
    }

    /// Highest position a logger has confirmed written.
    pub fn logged(&self) -> u64 {
        self.logged
    }

    /// Records written since boot (coalesced repeats not included).
    pub fn total(&self) -> u64 {
        self.next - 1
    }

    /// Records overwritten before a logger read them, since boot.
    pub fn lost(&self) -> u64 {
        self.lost
    }

    /// Repeats folded into an earlier record, since boot.
    pub fn coalesced(&self) -> u64 {
        self.coalesced
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

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ssid: u32, object: &str, t: u64) -> Record {
        Record {
            ssid,
            tsid: 9,
            class: 1,
            perms: 2,
            denied: true,
            enforced: true,
            object: object.into(),
            time_ms: t,
            pid: 5,
            ..Default::default()
        }
    }

    fn add(r: &mut AuditRing, x: Record) -> bool {
        let t = x.time_ms;
        if r.coalesce(&x, t) {
            return true;
        }
        r.push(x);
        false
    }

    #[test]
    fn repeats_within_the_window_coalesce_until_read() {
        let mut r = AuditRing::new();
        assert!(!add(&mut r, rec(1, "/a", 1000)));
        assert!(add(&mut r, rec(1, "/a", 1500)));
        assert!(add(&mut r, rec(1, "/a", 1999)));
        // Past the window: a new record.
        assert!(!add(&mut r, rec(1, "/a", 2000)));
        // Another object, another subject, another pid: new records.
        assert!(!add(&mut r, rec(1, "/b", 2001)));
        assert!(!add(&mut r, rec(2, "/b", 2002)));
        assert!(!add(&mut r, Record { pid: 6, ..rec(2, "/b", 2003) }));
        let (it, _) = r.from(0);
        let counts: alloc::vec::Vec<(u64, u32, u64)> = it.map(|x| (x.seq, x.repeat, x.time_ms)).collect();
        assert_eq!(counts, [(1, 3, 1000), (2, 1, 2000), (3, 1, 2001), (4, 1, 2002), (5, 1, 2003)]);
        assert_eq!((r.total(), r.coalesced()), (5, 2));
        // Once a logger has read the newest record, a repeat is a new one
        // (the logger would never see the increment).
        r.mark_read(5);
        assert!(!add(&mut r, Record { pid: 6, ..rec(2, "/b", 2004) }));
        assert_eq!(r.total(), 6);
    }

    #[test]
    fn overwritten_unread_records_are_lost_read_ones_are_not() {
        let mut r = AuditRing::new();
        for i in 0..RING_SIZE as u64 {
            r.push(rec(1, &alloc::format!("/{i}"), i));
        }
        r.mark_read(10);
        for i in 0..20u64 {
            let (seq, old) = r.push(rec(1, &alloc::format!("/x{i}"), 0));
            assert_eq!(seq, RING_SIZE as u64 + 1 + i);
            assert_eq!(old.map(|o| o.seq), Some(i + 1));
        }
        // 1..=10 were read, 11..=20 were not.
        assert_eq!(r.lost(), 10);
        assert_eq!(r.oldest(), 21);
        let (it, lost) = r.from(5);
        assert_eq!((it.count(), lost), (RING_SIZE, 16));
        // A mark past the end is clamped.
        r.mark_read(u64::MAX);
        assert!(!add(&mut r, rec(3, "/y", 0)));
    }

    #[test]
    fn objects_are_cut_at_a_character_boundary() {
        let mut r = AuditRing::new();
        r.push(Record { object: "é".repeat(100), ..Default::default() });
        let (mut it, _) = r.from(0);
        let o = &it.next().unwrap().object;
        assert!(o.len() <= rampart_secsrv_api::OBJECT_MAX && o.chars().all(|c| c == 'é'));
    }
}
