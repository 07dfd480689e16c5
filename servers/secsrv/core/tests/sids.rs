//! Host tests of SID lifetime and limits (docs/security-architecture.md
//! §1): decisions on text add nothing to the table, every issued SID is
//! held and charged, limits refuse with `ENOSPC`, released SIDs are
//! reclaimed and their numbers never come back, the audit ring keeps what
//! its records name, and random request sequences keep the accounting
//! consistent.

use proptest::prelude::*;
use rampart_secsrv_api::client::{Client, Transport};
use rampart_secsrv_api::{AuditSubmit, MANAGER_SIDS, OWNER_SIDS, POLICY_MAX, Request, Response, STORE_BYTES};
use rampart_secsrv_core::audit::RING_SIZE;
use rampart_secsrv_core::sids::{self, Owner};
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use std::path::PathBuf;

fn policy(variant: &str) -> Vec<u8> {
    static CACHE: std::sync::Mutex<Vec<(String, Vec<u8>)>> = std::sync::Mutex::new(Vec::new());
    if let Some((_, b)) = CACHE.lock().unwrap().iter().find(|(v, _)| v == variant) {
        return b.clone();
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../policy/modules");
    let dirs = [root.join("base"), root.join("assertions"), root.join(variant)];
    let out = policy_compiler::compile_files(&dirs).unwrap_or_else(|_| panic!("compiling {variant}"));
    let b = rampart_policy::encode(&out.db).unwrap();
    CACHE.lock().unwrap().push((variant.into(), b.clone()));
    b
}

struct Direct<'a>(&'a mut SecServer, Caller);

impl Transport for Direct<'_> {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        Ok(self.0.handle(self.1, req.clone()).response)
    }
}

fn booted(variant: &str) -> SecServer {
    let mut s = SecServer::new("system_u:system_r:secsrv_t", false);
    Client(Direct(&mut s, Caller::Init)).put_policy(variant, &policy(variant)).unwrap();
    Client(Direct(&mut s, Caller::Init)).load_policy(variant).unwrap();
    s
}

fn c<'a>(s: &'a mut SecServer, who: Caller) -> Client<Direct<'a>> {
    Client(Direct(s, who))
}

fn caller(s: &mut SecServer, ctx: &str) -> Caller {
    Caller::Sid(c(s, Caller::Init).context_to_sid(ctx).unwrap())
}

fn live(s: &mut SecServer) -> u32 {
    c(s, Caller::Init).sid_stats().unwrap().live
}

/// A distinct valid MLS object context for every `i` < 2^16.
fn object(i: u32) -> String {
    let cats: Vec<String> = (0..16).filter(|b| (i >> b) & 1 == 1).map(|b| format!("c{b}")).collect();
    let cats = if cats.is_empty() { String::new() } else { format!(":{}", cats.join(",")) };
    format!("user_u:object_r:tmp_t:s1{cats}")
}

const ADMIN: &str = "root:sysadm_r:sysadm_t";
const USER: &str = "user_u:user_r:user_t";
const RM: &str = "system_u:system_r:rm_t";
const FS: &str = "system_u:system_r:fs_t";

#[test]
fn decisions_on_text_add_nothing() {
    let mut s = booted("mls");
    let rm = caller(&mut s, RM);
    let before = live(&mut s);
    let mut k = c(&mut s, rm);
    let process = k.class_id("process").unwrap();
    for i in 0..2000 {
        let ctx = object(i);
        assert!(k.check_context(&ctx).unwrap().starts_with("user_u:object_r:tmp_t:s1"));
        let d = k.compute_av_contexts(USER, &ctx, process).unwrap();
        assert_eq!(d.allowed, 0, "{ctx}");
        let _ = k.compute_create_contexts(USER, &ctx, process);
    }
    assert_eq!(k.check_context("user_u:object_r:tmp_t:s9"), Err(Errno::EINVAL));
    assert_eq!(k.compute_av_contexts(USER, "nonsense", process), Err(Errno::EINVAL));
    assert_eq!(k.compute_av_contexts(USER, USER, 999), Err(Errno::ENOENT));
    assert_eq!(k.check_context(&"x".repeat(300)), Err(Errno::EINVAL));
    assert_eq!(live(&mut s), before, "no SID for a context only decided on");
    // Users may not ask.
    let user = caller(&mut s, USER);
    assert_eq!(c(&mut s, user).check_context(USER), Err(Errno::EACCES));
}

#[test]
fn owners_are_limited_and_refusals_change_nothing() {
    let mut s = booted("mls");
    let admin = caller(&mut s, ADMIN);
    let mut sids = Vec::new();
    for i in 0..OWNER_SIDS {
        sids.push(c(&mut s, admin).context_to_sid(&object(i)).unwrap());
    }
    let full = live(&mut s);
    assert_eq!(c(&mut s, admin).context_to_sid(&object(OWNER_SIDS)), Err(Errno::ENOSPC));
    assert_eq!(live(&mut s), full, "a refused request adds nothing");
    assert_eq!(c(&mut s, admin).sid_stats().unwrap().refusals, 1);
    // What the owner already holds, and initial SIDs, need no room.
    assert_eq!(c(&mut s, admin).context_to_sid(&object(0)), Ok(sids[0]));
    assert!(c(&mut s, admin).context_to_sid("system_u:object_r:unlabeled_t").is_ok());
    // Releasing makes room.
    c(&mut s, admin).release_sid(sids[0], 0).unwrap();
    c(&mut s, admin).release_sid(sids[0], 0).unwrap();
    assert_eq!(live(&mut s), full - 1);
    assert!(c(&mut s, admin).context_to_sid(&object(OWNER_SIDS)).is_ok());
    // An object manager gets the larger limit.
    let fs = caller(&mut s, FS);
    for i in 0..MANAGER_SIDS {
        c(&mut s, fs).context_to_sid(&object(1000 + i)).unwrap();
    }
    assert_eq!(c(&mut s, fs).context_to_sid(&object(1000 + MANAGER_SIDS)), Err(Errno::ENOSPC));
    assert!(sids::consistent(s.policy().unwrap(), s.holds()));
}

#[test]
fn rm_charges_the_subject_and_only_trusted_callers_name_one() {
    let mut s = booted("mls");
    let (rm, admin, user) = (caller(&mut s, RM), caller(&mut s, ADMIN), caller(&mut s, USER));
    let Caller::Sid(u) = user else { unreachable!() };
    assert_eq!(c(&mut s, admin).hold_context(&object(1), u), Err(Errno::EPERM));
    for i in 0..OWNER_SIDS {
        c(&mut s, rm).hold_context(&object(i), u).unwrap();
    }
    assert_eq!(s.holds().owned(Owner::Sid(u)), OWNER_SIDS);
    assert_eq!(c(&mut s, rm).hold_context(&object(OWNER_SIDS), u), Err(Errno::ENOSPC), "the user's limit");
    assert!(c(&mut s, rm).hold_context(&object(OWNER_SIDS), 0).is_ok(), "rm's own is separate");
    // Releases name the same owner.
    let x = c(&mut s, rm).hold_context(&object(3), u).unwrap();
    assert_eq!(c(&mut s, rm).release_sid(x, 0), Err(Errno::ENOENT), "rm itself holds no such SID");
    assert_eq!(c(&mut s, admin).release_sid(x, u), Err(Errno::EPERM));
    c(&mut s, rm).release_sid(x, u).unwrap();
    c(&mut s, rm).release_sid(x, u).unwrap();
    assert_eq!(c(&mut s, rm).release_sid(x, u), Err(Errno::ENOENT));
    assert!(sids::consistent(s.policy().unwrap(), s.holds()));
}

#[test]
fn unheld_sids_are_reclaimed_and_never_reissued() {
    let mut s = booted("mls");
    let (rm, fs) = (caller(&mut s, RM), caller(&mut s, FS));
    let before = live(&mut s);
    let a = c(&mut s, rm).hold_context(&object(7), 0).unwrap();
    assert_eq!(c(&mut s, fs).context_to_sid(&object(7)), Ok(a), "one SID per context");
    c(&mut s, rm).release_sid(a, 0).unwrap();
    let canonical = c(&mut s, fs).check_context(&object(7)).unwrap();
    assert_eq!(c(&mut s, fs).sid_to_context(a).unwrap(), canonical, "fs still holds it");
    c(&mut s, fs).release_sid(a, 0).unwrap();
    assert_eq!(live(&mut s), before);
    // The stale number names nothing, in translations and decisions.
    let file = c(&mut s, fs).class_id("file").unwrap();
    assert_eq!(c(&mut s, fs).sid_to_context(a), Err(Errno::ENOENT));
    assert_eq!(c(&mut s, fs).compute_av(a, a, file), Err(Errno::ENOENT));
    // Its index is reused with a new generation.
    let b = c(&mut s, fs).context_to_sid(&object(8)).unwrap();
    assert_ne!(a, b);
    assert_eq!(a & rampart_policy::sidtab::MAX_INDEX, b & rampart_policy::sidtab::MAX_INDEX);
    assert_eq!(c(&mut s, fs).sid_to_context(a), Err(Errno::ENOENT));
    // Initial SIDs are never released.
    let init = s.policy().unwrap().initial_sid("unlabeled").unwrap().0;
    c(&mut s, fs).release_sid(init, 0).unwrap();
    assert!(c(&mut s, fs).sid_to_context(init).is_ok());
}

#[test]
fn audit_records_keep_the_sids_they_name() {
    let mut s = booted("mls");
    let fs = caller(&mut s, FS);
    let before = live(&mut s);
    let a = c(&mut s, fs).context_to_sid(&object(9)).unwrap();
    c(&mut s, fs).audit(AuditSubmit { ssid: a, tsid: a, class: 1, denied: true, ..Default::default() }).unwrap();
    c(&mut s, fs).release_sid(a, 0).unwrap();
    assert!(s.holds().holds(a, Owner::Audit));
    let admin = caller(&mut s, ADMIN);
    let last = s.audit_ring().total();
    let rec = c(&mut s, admin).read_audit(last).unwrap().records.remove(0);
    assert_eq!(rec.source, object(9), "the record still names its context");
    // Once the ring overwrote the record, nobody holds the SID (distinct
    // objects: identical records would coalesce into one).
    for i in 0..RING_SIZE {
        let sub = AuditSubmit { ssid: 1, tsid: 1, class: 1, object: format!("o{i}"), ..Default::default() };
        c(&mut s, fs).audit(sub).unwrap();
    }
    assert_eq!(c(&mut s, fs).sid_to_context(a), Err(Errno::ENOENT));
    assert!(live(&mut s) <= before + 2, "only the callers' own SIDs remain");
    assert!(sids::consistent(s.policy().unwrap(), s.holds()));
}

#[test]
fn holds_survive_a_reload() {
    let mut s = SecServer::new("system_u:system_r:secsrv_t", false);
    for v in ["mls", "te"] {
        Client(Direct(&mut s, Caller::Init)).put_policy(v, &policy(v)).unwrap();
    }
    c(&mut s, Caller::Init).load_policy("mls").unwrap();
    let (fs, admin) = (caller(&mut s, FS), caller(&mut s, ADMIN));
    let a = c(&mut s, fs).context_to_sid(&object(5)).unwrap();
    c(&mut s, admin).load_policy("mls").unwrap();
    assert_eq!(c(&mut s, fs).sid_to_context(a).unwrap(), object(5));
    c(&mut s, fs).release_sid(a, 0).unwrap();
    assert_eq!(c(&mut s, fs).sid_to_context(a), Err(Errno::ENOENT));
    assert!(sids::consistent(s.policy().unwrap(), s.holds()));
}

#[test]
fn the_store_and_loads_fit_the_fixed_heap() {
    let mut s = SecServer::new("system_u:system_r:secsrv_t", false);
    let put = |s: &mut SecServer, name: &str| {
        let req = Request::PolicyPut { name: name.into(), offset: 0, total: POLICY_MAX, bytes: vec![0; 8] };
        s.handle(Caller::Init, req).response
    };
    let fit = STORE_BYTES / POLICY_MAX as usize;
    for k in 0..fit {
        assert_eq!(put(&mut s, &format!("p{k}")), Response::Ok);
    }
    assert_eq!(put(&mut s, "more"), Response::Err(Errno::ENOSPC), "the store's byte limit");
    assert_eq!(put(&mut s, "p0"), Response::Ok, "restarting a name reuses its room");
    // A load whose budget exceeds the free heap is refused, not attempted.
    Client(Direct(&mut s, Caller::Init)).put_policy("p0", &policy("te")).unwrap();
    s.set_free_heap(|| 1000);
    assert_eq!(c(&mut s, Caller::Init).load_policy("p0"), Err(Errno::ENOMEM));
    s.set_free_heap(|| usize::MAX);
    assert!(c(&mut s, Caller::Init).load_policy("p0").is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)))]
    /// Random holds, releases, decisions and audit records from a few
    /// callers: never a panic, and every live SID is held, every held SID
    /// live.
    #[test]
    fn accounting_stays_consistent(ops in proptest::collection::vec((0u8..6, 0u32..4, 0u32..40), 1..200)) {
        let mut s = booted("mls");
        let who: Vec<Caller> = [RM, FS, ADMIN, USER].iter().map(|x| caller(&mut s, x)).collect();
        let mut issued: Vec<u32> = Vec::new();
        for (op, w, i) in ops {
            let k = who[w as usize];
            let subject = match who[(i % 4) as usize] { Caller::Sid(x) if i % 3 == 0 => x, _ => 0 };
            let sid = issued.get(i as usize % issued.len().max(1)).copied().unwrap_or(i);
            let req = match op {
                0 => Request::ContextToSid { context: object(i) },
                1 => Request::HoldContext { context: object(i), subject },
                2 => Request::ReleaseSid { sid, subject },
                3 => Request::ComputeAvContexts { scon: USER.into(), tcon: object(i), class: 1 },
                4 => Request::Audit(AuditSubmit { ssid: sid, tsid: i, class: 1, ..Default::default() }),
                _ => Request::ComputeCreate { ssid: sid, tsid: sid, class: 2, name: None },
            };
            if let Response::Sid(x) = s.handle(k, req).response {
                issued.push(x);
            }
            prop_assert!(sids::consistent(s.policy().unwrap(), s.holds()));
        }
    }
}

/// A reload from an MLS policy to one without MLS: live SIDs' texts (with
/// their ranges) still decide, as the types they were converted to, and
/// rm can hold them for a child; a range in a new context is refused.
#[test]
fn live_mls_texts_decide_after_a_reload_without_mls() {
    let mut s = SecServer::new("system_u:system_r:secsrv_t", false);
    for v in ["mls", "te"] {
        Client(Direct(&mut s, Caller::Init)).put_policy(v, &policy(v)).unwrap();
    }
    c(&mut s, Caller::Init).load_policy("mls").unwrap();
    let (rm, user) = (caller(&mut s, RM), caller(&mut s, USER));
    let Caller::Sid(u) = user else { unreachable!() };
    let rm_text = c(&mut s, rm).sid_to_context(match rm {
        Caller::Sid(x) => x,
        Caller::Init => 0,
    });
    let (rm_text, user_text) = (rm_text.unwrap(), c(&mut s, rm).sid_to_context(u).unwrap());
    assert!(rm_text.ends_with(":s0") && user_text.contains(":s0"), "{rm_text} {user_text}");
    let admin = caller(&mut s, ADMIN);
    c(&mut s, admin).load_policy("te").unwrap();
    let k = c(&mut s, rm).class_id("resource").unwrap();
    let create = c(&mut s, rm).perms(k, &["create_task"]).unwrap();
    let d = c(&mut s, rm).compute_av_contexts(&user_text, &rm_text, k).unwrap();
    assert_eq!(d.allowed & create, create, "user_t may create tasks, also under its old MLS text");
    assert_eq!(c(&mut s, rm).hold_context(&user_text, u).map(|x| x == u), Ok(true), "the same SID held again");
    assert_eq!(c(&mut s, rm).compute_av_contexts("user_u:user_r:user_t:s1", &rm_text, k), Err(Errno::EINVAL));
    assert!(sids::consistent(s.policy().unwrap(), s.holds()));
}
