//! AVC behaviour: hit, miss, stale entries, reload, eviction, audit,
//! permissive mode, invalid input.

use rampart_avc::{AuditRecord, AuditSink, Avc, AvcBackend, AvcError, Decision, NoAudit};

/// A backend that answers from a rule and counts calls.
struct Fake {
    calls: u32,
    seqno: u32,
    fail: bool,
}

impl Fake {
    fn new() -> Fake {
        Fake { calls: 0, seqno: 1, fail: false }
    }
}

impl AvcBackend for Fake {
    type Error = &'static str;
    fn compute_av(&mut self, ssid: u32, tsid: u32, class: u16) -> Result<Decision, &'static str> {
        self.calls += 1;
        if self.fail {
            return Err("ipc failed");
        }
        // ssid may read (bit 0) targets with a larger SID; bit 1 is never
        // allowed; denials of bit 2 are dontaudit'ed; grants of bit 0 on
        // class 2 are audited.
        let allowed = if tsid > ssid { 0b001 } else { 0 };
        Ok(Decision { allowed, auditallow: if class == 2 { 0b001 } else { 0 }, auditdeny: !0b100, seqno: self.seqno })
    }
}

#[derive(Default)]
struct Log(Vec<AuditRecord>);

impl AuditSink for Log {
    fn audit(&mut self, rec: &AuditRecord) {
        self.0.push(*rec);
    }
}

type Small = Avc<4, 2>;

#[test]
fn miss_then_hit() {
    let (mut avc, mut b) = (Small::new(), Fake::new());
    assert_eq!(avc.query(&mut b, 1, 2, 1).unwrap().allowed, 1);
    assert_eq!(avc.query(&mut b, 1, 2, 1).unwrap().allowed, 1);
    assert_eq!(b.calls, 1);
    let s = avc.stats();
    assert_eq!((s.hits, s.misses), (1, 1));
    assert_eq!(avc.seqno(), 1);
    assert_eq!(avc.len(), 1);
}

#[test]
fn distinct_keys_do_not_alias() {
    let (mut avc, mut b) = (Small::new(), Fake::new());
    avc.query(&mut b, 1, 2, 1).unwrap();
    assert_eq!(avc.query(&mut b, 2, 1, 1).unwrap().allowed, 0);
    assert_eq!(avc.query(&mut b, 1, 2, 3).unwrap().allowed, 1);
    assert_eq!(b.calls, 3);
}

#[test]
fn newer_seqno_from_backend_drops_stale_entries() {
    let (mut avc, mut b) = (Small::new(), Fake::new());
    avc.query(&mut b, 1, 2, 1).unwrap();
    avc.query(&mut b, 1, 3, 1).unwrap();
    assert_eq!(avc.len(), 2);
    b.seqno = 2; // the policy was reloaded behind our back
    avc.query(&mut b, 5, 6, 1).unwrap();
    assert_eq!(avc.seqno(), 2);
    assert_eq!(avc.len(), 1, "entries from seqno 1 are stale");
    avc.query(&mut b, 1, 2, 1).unwrap();
    assert_eq!(b.calls, 4, "stale entry was not used");
    assert_eq!(avc.stats().resets, 2);
}

#[test]
fn reload_notification_revokes_cached_decisions() {
    let (mut avc, mut b) = (Small::new(), Fake::new());
    avc.query(&mut b, 1, 2, 1).unwrap();
    avc.policy_changed(7);
    assert!(avc.is_empty());
    assert!(avc.lookup(1, 2, 1).is_none());
    // A decision still computed under the old policy is used, not cached.
    let d = avc.query(&mut b, 1, 2, 1).unwrap();
    assert_eq!(d.seqno, 1);
    assert!(avc.is_empty());
    assert_eq!(avc.stats().uncached, 1);
    // An older notification does not roll the cache back.
    avc.policy_changed(3);
    assert_eq!(avc.seqno(), 7);
}

#[test]
fn eviction_is_bounded_and_round_robin() {
    let (mut avc, mut b) = (Avc::<1, 2>::new(), Fake::new());
    for t in 10..20 {
        avc.query(&mut b, 1, t, 1).unwrap();
    }
    assert_eq!(avc.len(), 2, "capacity is fixed");
    assert_eq!(avc.capacity(), 2);
    assert_eq!(avc.stats().evictions, 8);
    // The two most recent keys are cached.
    assert!(avc.lookup(1, 19, 1).is_some());
    assert!(avc.lookup(1, 18, 1).is_some());
    assert!(avc.lookup(1, 17, 1).is_none());
}

#[test]
fn has_perm_audits_denials_and_honours_dontaudit() {
    let (mut avc, mut b, mut log) = (Small::new(), Fake::new(), Log::default());
    assert_eq!(avc.has_perm(&mut b, &mut log, 1, 2, 1, 0b001), Ok(()));
    assert!(log.0.is_empty());
    assert_eq!(avc.has_perm(&mut b, &mut log, 1, 2, 1, 0b011), Err(AvcError::Denied(0b010)));
    assert_eq!(log.0.len(), 1);
    assert!(log.0[0].denied && log.0[0].enforced && log.0[0].perms == 0b010);
    // bit 2 is dontaudit: denied silently.
    assert_eq!(avc.has_perm(&mut b, &mut log, 1, 2, 1, 0b100), Err(AvcError::Denied(0b100)));
    assert_eq!(log.0.len(), 1);
    // auditallow on class 2.
    assert_eq!(avc.has_perm(&mut b, &mut log, 1, 2, 2, 0b001), Ok(()));
    assert_eq!(log.0.len(), 2);
    assert!(!log.0[1].denied);
}

#[test]
fn permissive_mode_audits_but_allows() {
    let (mut avc, mut b, mut log) = (Small::new(), Fake::new(), Log::default());
    avc.set_enforcing(false);
    assert_eq!(avc.has_perm(&mut b, &mut log, 2, 1, 1, 0b001), Ok(()));
    assert_eq!(log.0.len(), 1);
    assert!(!log.0[0].enforced);
}

#[test]
fn invalid_class_and_backend_errors_are_not_cached() {
    let (mut avc, mut b) = (Small::new(), Fake::new());
    assert_eq!(avc.query(&mut b, 0, 0, 0), Err(AvcError::InvalidClass));
    assert!(avc.lookup(0, 0, 0).is_none(), "empty slots never match");
    b.fail = true;
    assert_eq!(avc.has_perm(&mut b, &mut NoAudit, 1, 2, 1, 1), Err(AvcError::Backend("ipc failed")));
    b.fail = false;
    assert!(avc.query(&mut b, 1, 2, 1).is_ok());
    assert_eq!(b.calls, 2);
}

#[test]
fn flush_empties() {
    let (mut avc, mut b) = (Small::new(), Fake::new());
    avc.query(&mut b, 1, 2, 1).unwrap();
    avc.flush();
    assert!(avc.is_empty());
}

/// "Counts operations": a hit never reaches the backend and examines at
/// most WAYS entries; here a long run of hits over a working set that fits
/// costs exactly one backend call per distinct key.
#[test]
fn hit_path_does_no_backend_work() {
    let (mut avc, mut b) = (Avc::<64, 4>::new(), Fake::new());
    for _round in 0..1000u32 {
        for k in 0..32u32 {
            avc.query(&mut b, k, k + 1, 1).unwrap();
        }
    }
    assert_eq!(b.calls, 32);
    assert_eq!(avc.stats().hits, 32 * 1000 - 32);
}
