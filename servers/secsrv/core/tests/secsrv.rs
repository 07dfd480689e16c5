//! Host tests of the security server's request handling, permission
//! checks, policy store and reload semantics, and audit ring, on the
//! shipped policies.

use rampart_connsrv_api::ConnBadge;
use rampart_secsrv_api::client::{Client, SecAvc, Transport};
use rampart_secsrv_api::{AuditSubmit, INIT_BADGE, Request, Response};
use rampart_secsrv_core::audit::RING_SIZE;
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use std::cell::RefCell;
use std::path::PathBuf;

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

const SECSRV: &str = "system_u:system_r:secsrv_t";
const ADMIN: &str = "root:sysadm_r:sysadm_t";
const USER: &str = "user_u:user_r:user_t";
const FS: &str = "system_u:system_r:fs_t";
const HTTPD: &str = "system_u:system_r:httpd_t";

/// A server with `variants` stored and the first loaded by init.
fn booted(variants: &[&str]) -> SecServer {
    let mut s = SecServer::new(SECSRV, false);
    for v in variants {
        let mut c = Client(Direct { s: &mut s, caller: Caller::Init });
        c.put_policy(v, &policy(v)).unwrap();
    }
    let r = s.handle(Caller::Init, Request::PolicyLoad { name: variants[0].into() });
    assert!(r.notify, "{r:?}");
    s
}

struct Direct<'a> {
    s: &'a mut SecServer,
    caller: Caller,
}

impl Transport for Direct<'_> {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        Ok(self.s.handle(self.caller, req.clone()).response)
    }
}

fn sid(s: &mut SecServer, ctx: &str) -> u32 {
    match s.handle(Caller::Init, Request::ContextToSid { context: ctx.into() }).response {
        Response::Sid(x) => x,
        r => panic!("{ctx}: {r:?}"),
    }
}

fn as_(s: &mut SecServer, ctx: &str) -> Caller {
    Caller::Sid(sid(s, ctx))
}

#[test]
fn badges_identify_callers() {
    assert_eq!(Caller::from_badge(INIT_BADGE), Some(Caller::Init));
    let b = ConnBadge { conn: 3, sid: 42 }.encode().unwrap();
    assert_eq!(Caller::from_badge(b), Some(Caller::Sid(42)));
    assert_eq!(Caller::from_badge(0), None);
    assert_eq!(Caller::from_badge(7), None);
}

#[test]
fn nothing_but_init_works_before_the_first_load() {
    let mut s = SecServer::new(SECSRV, false);
    let r = s.handle(Caller::Sid(5), Request::ComputeAv { ssid: 1, tsid: 1, class: 1 });
    assert_eq!(r.response, Response::Err(Errno::EAGAIN));
    let r = s.handle(Caller::Sid(5), Request::PolicyPut { name: "x".into(), offset: 0, total: 1, bytes: vec![0] });
    assert_eq!(r.response, Response::Err(Errno::EAGAIN));
    // A bad policy is refused and nothing is loaded.
    let mut c = Client(Direct { s: &mut s, caller: Caller::Init });
    c.put_policy("junk", b"not a policy").unwrap();
    assert_eq!(c.load_policy("junk"), Err(Errno::EINVAL));
    assert_eq!(c.load_policy("nope"), Err(Errno::ENOENT));
    assert!(!c.status().unwrap().loaded);
}

#[test]
fn decisions_translations_and_vocabulary() {
    let mut s = booted(&["te"]);
    let fs = as_(&mut s, FS);
    let (admin, httpd) = (sid(&mut s, ADMIN), sid(&mut s, HTTPD));
    let mut c = Client(Direct { s: &mut s, caller: fs });
    let class = c.class_id("service").unwrap();
    let connect = c.perms(class, &["connect"]).unwrap();
    let d = c.compute_av(admin, httpd, class).unwrap();
    assert_eq!(d.allowed & connect, 0, "sysadm_t may not connect to httpd_t under te");
    assert_eq!(c.sid_to_context(admin).unwrap(), ADMIN);
    assert_eq!(c.class_id("nope"), Err(Errno::ENOENT));
    assert_eq!(c.perms(class, &["fly"]), Err(Errno::ENOENT));
    assert_eq!(c.compute_av(admin, 999_999, class), Err(Errno::ENOENT));
    assert_eq!(c.context_to_sid("bogus:ctx"), Err(Errno::EINVAL));
    assert_eq!(c.context_to_sid(&"a".repeat(300)), Err(Errno::EINVAL));
    // Type transitions: sysadm_t creating "shadow" in etc_t gets secret_t.
    let etc = c.context_to_sid("system_u:object_r:etc_t").unwrap();
    let file = c.class_id("file").unwrap();
    let new = c.compute_create(admin, etc, file, Some("shadow")).unwrap();
    assert!(c.sid_to_context(new).unwrap().ends_with(":secret_t"));
    // File and port labelling.
    let r = s.handle(fs, Request::FileContext { path: "/etc/shadow".into(), kind: "file".into() });
    assert!(matches!(r.response, Response::Sid(_)), "{r:?}");
    let r = s.handle(fs, Request::FileContext { path: "/x".into(), kind: "weird".into() });
    assert_eq!(r.response, Response::Err(Errno::EINVAL));
    let r = s.handle(fs, Request::PortContext { tcp: true, port: 80 });
    assert!(matches!(r.response, Response::Sid(_)));
}

#[test]
fn requests_need_their_security_permission() {
    let mut s = booted(&["te"]);
    let user = as_(&mut s, USER);
    let admin = as_(&mut s, ADMIN);
    // user_t has no business with the security server.
    for req in [
        Request::ComputeAv { ssid: 1, tsid: 1, class: 1 },
        Request::ContextToSid { context: USER.into() },
        Request::ReadAudit { from: 0 },
        Request::SetEnforce { enforcing: false },
        Request::SetBool { name: "allow_user_network".into(), value: false },
        Request::PolicyLoad { name: "te".into() },
        Request::PolicyPut { name: "evil".into(), offset: 0, total: 1, bytes: vec![1] },
    ] {
        assert_eq!(s.handle(user, req.clone()).response, Response::Err(Errno::EACCES), "{req:?}");
    }
    // ... and every denial is in the audit trail, reported by secsrv.
    let b = s.read_audit(0);
    assert!(b.records.len() >= 2, "{b:?}");
    let e = &b.records[0];
    assert!(e.denied && e.source == USER && e.class == "security" && e.perms == "compute_av", "{e:?}");
    assert_eq!(e.reporter, SECSRV);
    // Status and WhoAmI are open to everyone.
    assert!(matches!(s.handle(user, Request::Status).response, Response::Status(_)));
    // The administrator may do all of it (auditallow'd).
    let r = s.handle(admin, Request::SetBool { name: "allow_user_network".into(), value: false });
    assert!(r.notify);
    let total = s.audit_ring().total();
    let b = s.read_audit(total);
    assert!(b.records.iter().any(|e| !e.denied && e.perms == "setbool"), "{b:?}");
    // init may not reload once a policy is loaded (only secsrv_t and sysadm_t may).
    let r = s.handle(Caller::Init, Request::PolicyLoad { name: "te".into() });
    assert_eq!(r.response, Response::Err(Errno::EACCES));
}

#[test]
fn permissive_mode_audits_but_allows() {
    let mut s = booted(&["te"]);
    let user = as_(&mut s, USER);
    let admin = as_(&mut s, ADMIN);
    let r = s.handle(admin, Request::SetEnforce { enforcing: false });
    assert!(r.notify);
    let before = s.audit_ring().total();
    let r = s.handle(user, Request::ClassId { name: "file".into() });
    assert!(matches!(r.response, Response::Class(_)), "{r:?}");
    let b = s.read_audit(before + 1);
    assert!(b.records.iter().any(|e| e.denied && !e.enforced), "{b:?}");
    assert!(format!("{}", b.records[0]).contains("permissive"));
}

#[test]
fn reload_keeps_sids_and_bumps_the_seqno() {
    let mut s = booted(&["te", "allow-all"]);
    let admin = as_(&mut s, ADMIN);
    let (a, h) = (sid(&mut s, ADMIN), sid(&mut s, HTTPD));
    let mut c = Client(Direct { s: &mut s, caller: admin });
    let class = c.class_id("service").unwrap();
    let before = c.compute_av(a, h, class).unwrap();
    let st = c.load_policy("allow-all").unwrap();
    assert_eq!(st.model, "allow-all");
    assert!(st.seqno > before.seqno);
    let after = c.compute_av(a, h, class).unwrap();
    assert_ne!(after.allowed, before.allowed);
    assert_eq!(after.seqno, st.seqno);
    assert_eq!(c.sid_to_context(a).unwrap(), ADMIN, "SIDs survive a reload");
    // A failed reload leaves the policy alone.
    c.put_policy("bad", b"RMPTPOL\0junk").unwrap();
    assert_eq!(c.load_policy("bad"), Err(Errno::EINVAL));
    assert_eq!(c.status().unwrap().model, "allow-all");
}

#[test]
fn object_server_avc_sees_reloads() {
    let s = RefCell::new(booted(&["te", "allow-all"]));
    let (fs, a, h) = {
        let mut s = s.borrow_mut();
        (as_(&mut s, FS), sid(&mut s, ADMIN), sid(&mut s, HTTPD))
    };
    #[derive(Clone, Copy)]
    struct Shared<'a>(&'a RefCell<SecServer>, Caller);
    impl Transport for Shared<'_> {
        fn call(&mut self, req: &Request) -> Result<Response, Errno> {
            Ok(self.0.borrow_mut().handle(self.1, req.clone()).response)
        }
    }
    let mut avc: SecAvc<Shared, 16, 2> = SecAvc::new(Shared(&s, fs));
    avc.refresh().unwrap();
    let class = avc.client().class_id("service").unwrap();
    let connect = avc.client().perms(class, &["connect"]).unwrap();
    assert_eq!(avc.check(a, h, class, connect, "svc"), Err(Errno::EACCES));
    assert_eq!(avc.check(a, h, class, connect, "svc"), Err(Errno::EACCES));
    assert_eq!(avc.avc.stats().hits, 1);
    // The denial went to secsrv's trail with the object and the reporter.
    let last = s.borrow().read_audit(0).records.into_iter().rev().find(|e| e.object == "svc").unwrap();
    assert!(last.denied && last.source == ADMIN && last.target == HTTPD && last.reporter == FS);
    // Reload: after the notification-triggered refresh the cached denial is gone.
    let admin = as_(&mut s.borrow_mut(), ADMIN);
    Client(Shared(&s, admin)).load_policy("allow-all").unwrap();
    avc.refresh().unwrap();
    assert_eq!(avc.check(a, h, class, connect, "svc"), Ok(()));
    assert_eq!(avc.avc.stats().resets, 2);
}

#[test]
fn audit_ring_wraps_and_reports_losses() {
    let mut s = booted(&["te"]);
    let fs = as_(&mut s, FS);
    for i in 0..(RING_SIZE + 10) {
        let sub = AuditSubmit {
            ssid: 1,
            tsid: 2,
            class: 1,
            perms: 1,
            denied: true,
            object: format!("o{i}"),
            ..Default::default()
        };
        assert_eq!(s.handle(fs, Request::Audit(sub)).response, Response::Ok);
    }
    let admin = as_(&mut s, ADMIN);
    let b = match s.handle(admin, Request::ReadAudit { from: 1 }).response {
        Response::Audit(b) => b,
        r => panic!("{r:?}"),
    };
    assert_eq!(b.lost, 10);
    assert_eq!(b.records[0].seq, 11);
    assert!(b.records[0].object.starts_with('o'));
    // Pages fit in one message and chain.
    let mut w = [0u64; rampart_uabi::codec::MAX_WORDS];
    rampart_uabi::codec::encode(&Response::Audit(b.clone()), &mut w).unwrap();
    let b2 = s.read_audit(b.next);
    assert_eq!(b2.records[0].seq, b.next);
    // Long objects are truncated at a character boundary.
    let sub = AuditSubmit { object: "é".repeat(100), class: 1, ..Default::default() };
    s.handle(fs, Request::Audit(sub));
    let total = s.audit_ring().total();
    let e = s.read_audit(total).records.remove(0);
    assert!(e.object.len() <= rampart_secsrv_api::OBJECT_MAX);
}

#[test]
fn chunked_uploads_are_checked() {
    let mut s = SecServer::new(SECSRV, false);
    let i = Caller::Init;
    let put = |s: &mut SecServer, name: &str, offset, total, n: usize| {
        s.handle(i, Request::PolicyPut { name: name.into(), offset, total, bytes: vec![0; n] }).response
    };
    assert_eq!(put(&mut s, "a", 0, 10, 4), Response::Ok);
    assert_eq!(put(&mut s, "a", 5, 10, 4), Response::Err(Errno::EINVAL), "gap");
    assert_eq!(put(&mut s, "a", 4, 11, 4), Response::Err(Errno::EINVAL), "total changed");
    assert_eq!(put(&mut s, "a", 4, 10, 8), Response::Err(Errno::EINVAL), "past the end");
    assert_eq!(put(&mut s, "b", 3, 10, 1), Response::Err(Errno::EINVAL), "must start at 0");
    assert_eq!(put(&mut s, "c", 0, u32::MAX, 1), Response::Err(Errno::E2BIG));
    assert_eq!(put(&mut s, "d", 0, 2000, 1000), Response::Err(Errno::EINVAL), "chunk too long");
    assert_eq!(put(&mut s, "", 0, 1, 1), Response::Err(Errno::EINVAL));
    assert_eq!(s.handle(i, Request::PolicyLoad { name: "a".into() }).response, Response::Err(Errno::EINVAL));
    for k in 0..7 {
        assert_eq!(put(&mut s, &format!("n{k}"), 0, 1, 1), Response::Ok);
    }
    assert_eq!(put(&mut s, "full", 0, 1, 1), Response::Err(Errno::ENOSPC));
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    fn boot_te() -> SecServer {
        static TE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        let bytes = TE.get_or_init(|| policy("te"));
        let mut s = SecServer::new(SECSRV, false);
        Client(Direct { s: &mut s, caller: Caller::Init }).put_policy("te", bytes).unwrap();
        s.handle(Caller::Init, Request::PolicyLoad { name: "te".into() });
        s
    }

    fn request() -> impl Strategy<Value = Request> {
        let s = "[a-z_:0-9]{0,24}";
        prop_oneof![
            (any::<u32>(), any::<u32>(), any::<u16>()).prop_map(|(ssid, tsid, class)| Request::ComputeAv {
                ssid: ssid % 40,
                tsid: tsid % 40,
                class: class % 20
            }),
            (any::<u32>(), any::<u32>(), any::<u16>(), proptest::option::of(s))
                .prop_map(|(a, b, c, name)| Request::ComputeCreate { ssid: a % 40, tsid: b % 40, class: c % 20, name }),
            s.prop_map(|context| Request::ContextToSid { context }),
            any::<u32>().prop_map(|sid| Request::SidToContext { sid: sid % 50 }),
            s.prop_map(|name| Request::ClassId { name }),
            (any::<u16>(), proptest::collection::vec(s, 0..3))
                .prop_map(|(class, names)| Request::Perms { class: class % 20, names }),
            (s, s).prop_map(|(path, kind)| Request::FileContext { path, kind }),
            (any::<bool>(), any::<u16>()).prop_map(|(tcp, port)| Request::PortContext { tcp, port }),
            any::<bool>().prop_map(|enforcing| Request::SetEnforce { enforcing }),
            (s, any::<bool>()).prop_map(|(name, value)| Request::SetBool { name, value }),
            (s, any::<u32>(), any::<u32>(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(
                |(name, offset, total, bytes)| Request::PolicyPut {
                    name,
                    offset: offset % 64,
                    total: total % 128,
                    bytes
                }
            ),
            s.prop_map(|name| Request::PolicyLoad { name }),
            any::<u64>().prop_map(|from| Request::ReadAudit { from: from % 300 }),
            (any::<u32>(), any::<u32>(), any::<u16>(), any::<u32>(), s).prop_map(
                |(ssid, tsid, class, perms, object)| Request::Audit(AuditSubmit {
                    ssid,
                    tsid,
                    class,
                    perms,
                    denied: true,
                    object,
                    ..Default::default()
                })
            ),
            Just(Request::Status),
            Just(Request::GetBools),
            Just(Request::WhoAmI),
            s.prop_map(|context| Request::CheckContext { context }),
            (s, s, any::<u16>()).prop_map(|(scon, tcon, class)| Request::ComputeAvContexts {
                scon,
                tcon,
                class: class % 20
            }),
            (s, s, any::<u16>()).prop_map(|(scon, tcon, class)| Request::ComputeCreateContexts {
                scon,
                tcon,
                class: class % 20
            }),
            Just(Request::SidStats),
            (s, any::<u32>()).prop_map(|(context, subject)| Request::HoldContext { context, subject: subject % 45 }),
            (any::<u32>(), any::<u32>())
                .prop_map(|(sid, subject)| Request::ReleaseSid { sid: sid % 50, subject: subject % 45 }),
        ]
    }

    /// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
    /// (docs/assurance.md §10).
    fn cases(ci: u32) -> u32 {
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases(64)))]
        #[test]
        fn random_requests_never_panic(reqs in proptest::collection::vec((0u32..40, request()), 1..60)) {
            let mut s = boot_te();
            for (who, req) in reqs {
                let caller = if who == 0 { Caller::Init } else { Caller::Sid(who) };
                let _ = s.handle(caller, req);
            }
        }
    }
}
