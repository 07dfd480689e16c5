//! Host tests of the audit trail as clients see it (issue 19 item 10):
//! only object managers submit (`security audit_write`), records carry the
//! time and the subject's pid, repeats coalesce, a flood cannot erase
//! another subject's record unseen, and losses are counted.

use rampart_secsrv_api::{AuditStats, AuditSubmit, Request, Response};
use rampart_secsrv_core::audit::RING_SIZE;
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

fn policy(variant: &str) -> Vec<u8> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../policy/modules");
    let mut dirs = vec![root.join("base")];
    if variant != "allow-all" {
        dirs.push(root.join("assertions"));
    }
    dirs.push(root.join(variant));
    let out = policy_compiler::compile_files(&dirs).unwrap_or_else(|_| panic!("compiling {variant}"));
    rampart_policy::encode(&out.db).unwrap()
}

/// The fake wall clock, in ms (tests in this file run one at a time on
/// it: each sets it before use and only moves it forward).
static NOW: AtomicU64 = AtomicU64::new(1_767_225_600_000);

fn now() -> u64 {
    NOW.load(Ordering::SeqCst)
}

fn booted(variant: &str) -> SecServer {
    let mut s = SecServer::new("system_u:system_r:secsrv_t", false);
    s.set_clock(now);
    let bytes = policy(variant);
    let mut off = 0;
    while off < bytes.len() {
        let end = (off + rampart_secsrv_api::CHUNK).min(bytes.len());
        let req = Request::PolicyPut {
            name: variant.into(),
            offset: off as u32,
            total: bytes.len() as u32,
            bytes: bytes[off..end].to_vec(),
        };
        assert_eq!(s.handle(Caller::Init, req).response, Response::Ok);
        off = end;
    }
    assert!(s.handle(Caller::Init, Request::PolicyLoad { name: variant.into() }).notify);
    s
}

fn as_(s: &mut SecServer, ctx: &str) -> Caller {
    match s.handle(Caller::Init, Request::ContextToSid { context: ctx.into() }).response {
        Response::Sid(x) => Caller::Sid(x),
        r => panic!("{ctx}: {r:?}"),
    }
}

fn stats(s: &mut SecServer) -> AuditStats {
    match s.handle(Caller::Init, Request::AuditStats).response {
        Response::AuditStats(a) => a,
        r => panic!("{r:?}"),
    }
}

fn denial(ssid: u32, object: &str, pid: u32) -> AuditSubmit {
    AuditSubmit {
        ssid,
        tsid: ssid,
        class: 1,
        perms: 1,
        denied: true,
        enforced: true,
        object: object.into(),
        pid,
        ..Default::default()
    }
}

fn read(s: &mut SecServer, who: Caller, from: u64) -> rampart_secsrv_api::AuditBatch {
    match s.handle(who, Request::ReadAudit { from }).response {
        Response::Audit(b) => b,
        r => panic!("{r:?}"),
    }
}

#[test]
fn only_object_managers_submit_records() {
    let mut s = booted("te");
    let user = as_(&mut s, "user_u:user_r:user_t");
    let admin = as_(&mut s, "root:sysadm_r:sysadm_t");
    let httpd = as_(&mut s, "system_u:system_r:httpd_t");
    let Caller::Sid(usid) = user else { unreachable!() };
    let before = s.audit_ring().total();
    // A user, the administrator (who may read the trail and even load a
    // policy) and a plain server cannot write records: EACCES, counted.
    for who in [user, admin, httpd] {
        let r = s.handle(who, Request::Audit(denial(usid, "/forged", 1))).response;
        assert_eq!(r, Response::Err(Errno::EACCES), "{who:?}");
    }
    assert_eq!(stats(&mut s).refused, 3);
    // Their refused attempts are themselves audited (secsrv's own denial
    // of audit_write), never the forged record.
    let b = read(&mut s, admin, before + 1);
    assert!(b.records.iter().all(|e| e.object != "/forged"), "{b:?}");
    assert!(
        b.records.iter().any(|e| e.perms == "audit_write" && e.denied && e.reporter.ends_with(":secsrv_t")),
        "{b:?}"
    );
    // The object managers that report denials may.
    for ctx in
        ["system_u:system_r:fs_t", "system_u:system_r:net_t", "system_u:system_r:rm_t", "system_u:system_r:connsrv_t"]
    {
        let om = as_(&mut s, ctx);
        assert_eq!(s.handle(om, Request::Audit(denial(usid, ctx, 1))).response, Response::Ok, "{ctx}");
    }
    // The daemon reads but does not write.
    let auditd = as_(&mut s, "system_u:system_r:auditd_t");
    assert_eq!(s.handle(auditd, Request::Audit(denial(usid, "/x", 1))).response, Response::Err(Errno::EACCES));
    assert!(!read(&mut s, auditd, 0).records.is_empty());
    assert_eq!(s.handle(user, Request::ReadAudit { from: 0 }).response, Response::Err(Errno::EACCES));
}

#[test]
fn records_carry_time_pid_and_coalesce_repeats() {
    NOW.store(1_767_225_700_000, Ordering::SeqCst);
    let mut s = booted("te");
    let fs = as_(&mut s, "system_u:system_r:fs_t");
    let admin = as_(&mut s, "root:sysadm_r:sysadm_t");
    let Caller::Sid(usid) = as_(&mut s, "user_u:user_r:user_t") else { unreachable!() };
    let start = s.audit_ring().total() + 1;
    NOW.store(1_767_225_700_250, Ordering::SeqCst);
    for _ in 0..50 {
        assert_eq!(s.handle(fs, Request::Audit(denial(usid, "/secret", 42))).response, Response::Ok);
    }
    // Another pid is another record.
    s.handle(fs, Request::Audit(denial(usid, "/secret", 43)));
    let b = read(&mut s, admin, start);
    let r: Vec<(u64, u32, u32, &str)> =
        b.records.iter().map(|e| (e.time_ms, e.pid, e.repeat, e.object.as_str())).collect();
    assert_eq!(r, [(1_767_225_700_250, 42, 50, "/secret"), (1_767_225_700_250, 43, 1, "/secret")]);
    assert_eq!(stats(&mut s).coalesced, 49);
    // Read by the administrator (no daemon subscribed: any reader counts):
    // the next repeat is a record of its own, shown with its own time.
    NOW.store(1_767_225_700_400, Ordering::SeqCst);
    s.handle(fs, Request::Audit(denial(usid, "/secret", 43)));
    let e = read(&mut s, admin, b.next).records.remove(0);
    assert_eq!((e.time_ms, e.pid, e.repeat), (1_767_225_700_400, 43, 1));
    // Past the window, a repeat is a new record too.
    s.handle(fs, Request::Audit(denial(usid, "/other", 43)));
    NOW.store(1_767_225_701_401, Ordering::SeqCst);
    s.handle(fs, Request::Audit(denial(usid, "/other", 43)));
    let total = s.audit_ring().total();
    let last = read(&mut s, admin, total - 1);
    assert_eq!(last.records.iter().map(|e| e.repeat).collect::<Vec<_>>(), [1, 1]);
}

#[test]
fn a_flood_cannot_erase_another_subjects_record_unseen() {
    NOW.store(1_767_225_800_000, Ordering::SeqCst);
    let mut s = booted("te");
    let fs = as_(&mut s, "system_u:system_r:fs_t");
    let auditd = as_(&mut s, "system_u:system_r:auditd_t");
    let admin = as_(&mut s, "root:sysadm_r:sysadm_t");
    let Caller::Sid(usid) = as_(&mut s, "user_u:user_r:user_t") else { unreachable!() };
    let Caller::Sid(asid) = admin else { unreachable!() };
    assert_eq!(s.subscribe_audit(auditd), Ok(()));
    let user = as_(&mut s, "user_u:user_r:user_t");
    assert_eq!(s.subscribe_audit(user), Err(Errno::EACCES));
    let mut next = read(&mut s, auditd, 0).next;
    // 5,000 identical cheap denials with the victim's in the middle: the
    // repeats coalesce, the victim's record stays.
    for i in 0..5000 {
        if i == 2500 {
            s.handle(fs, Request::Audit(denial(asid, "/victim", 7)));
        }
        s.handle(fs, Request::Audit(denial(usid, "/secret", 99)));
    }
    let b = read(&mut s, auditd, next);
    assert_eq!(b.lost, 0);
    assert!(b.records.iter().any(|e| e.object == "/victim" && e.pid == 7), "{b:?}");
    let n: u64 = b.records.iter().filter(|e| e.object == "/secret").map(|e| u64::from(e.repeat)).sum();
    assert_eq!(n, 5000);
    next = b.next;
    // Varying the object defeats coalescing: with the daemon not reading,
    // the victim's record is overwritten, but the loss is counted, in the
    // statistics and in the daemon's next batch.
    s.handle(fs, Request::Audit(denial(asid, "/victim2", 7)));
    for i in 0..(RING_SIZE + 100) {
        s.handle(fs, Request::Audit(denial(usid, &format!("/f{i}"), 99)));
    }
    let st = stats(&mut s);
    assert_eq!(st.lost, 101, "{st:?}");
    let b = read(&mut s, auditd, next);
    assert_eq!(b.lost, 101);
    // Reads by the administrator do not count as logged once a daemon
    // subscribed: they neither hide losses nor stop coalescing.
    let total = s.audit_ring().total();
    let _ = read(&mut s, admin, total);
    s.handle(fs, Request::Audit(denial(usid, "/f-last", 99)));
    s.handle(fs, Request::Audit(denial(usid, "/f-last", 99)));
    assert_eq!(s.audit_ring().total(), total + 1);
}

/// What init waits for before the file server shuts down: a logger's
/// confirmation that it wrote every record (it asks for the records after
/// them). A record read but not yet confirmed is not `logged`; another
/// reader's requests confirm nothing.
#[test]
fn only_the_loggers_next_read_confirms_records_written() {
    let mut s = booted("te");
    let fs = as_(&mut s, "system_u:system_r:fs_t");
    let auditd = as_(&mut s, "system_u:system_r:auditd_t");
    let admin = as_(&mut s, "root:sysadm_r:sysadm_t");
    let Caller::Sid(usid) = as_(&mut s, "user_u:user_r:user_t") else { unreachable!() };
    assert_eq!(stats(&mut s).loggers, 0);
    assert_eq!(s.subscribe_audit(auditd), Ok(()));
    let st = stats(&mut s);
    assert_eq!((st.loggers, st.logged), (1, 0));
    for i in 0..3 {
        s.handle(fs, Request::Audit(denial(usid, &format!("/p{i}"), 9)));
    }
    let total = stats(&mut s).total;
    // The daemon reads the batch: read, not yet written.
    let b = read(&mut s, auditd, 1);
    assert_eq!(b.next, total + 1);
    assert_eq!(stats(&mut s).logged, 0);
    // The administrator reading further confirms nothing.
    let _ = read(&mut s, admin, total + 1);
    assert_eq!(stats(&mut s).logged, 0);
    // The daemon asks for what follows: everything before is written.
    let _ = read(&mut s, auditd, b.next);
    assert_eq!(stats(&mut s).logged, total);
    // A position beyond the trail confirms no more than exists.
    let _ = read(&mut s, auditd, total + 1000);
    assert_eq!(stats(&mut s).logged, total);
}
