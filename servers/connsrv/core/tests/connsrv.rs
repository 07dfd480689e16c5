//! Host tests of the connection server: registration, connect checks with
//! the real policy through the security server's logic, badges, audit,
//! revocation, reload, and hostile requests.

mod common;

use common::*;
use proptest::prelude::*;
use rampart_connsrv_api::{ConnBadge, Request, Response, TRUSTED_INIT, TRUSTED_RM};
use rampart_connsrv_core::Registry;
use rampart_connsrv_core::link::NoSecurity;
use rampart_secsrv_api::Request as SReq;
use rampart_secsrv_core::Caller;
use rampart_uabi::Errno;

#[test]
fn unbooted_connsrv_refuses_politely() {
    let mut caps = FakeCaps::default();
    let own = caps.object();
    let mut reg = Registry::new(own);
    let r =
        reg.handle(TRUSTED_INIT, Request::NewTask { pid: 1, context: ADMIN.into() }, None, &mut caps, &mut NoSecurity);
    assert_eq!(r.response, Response::Err(Errno::EAGAIN));
    let r = reg.handle(12345, Request::Stats, None, &mut caps, &mut NoSecurity);
    assert_eq!(r.response, Response::Err(Errno::EBADF));
}

#[test]
fn register_connect_and_badges() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let fs = w.task(10, FS);
    let admin = w.task(11, ADMIN);
    let ep = w.register(fs, "fs").unwrap();
    assert_eq!(ep.rights, ALL, "the server receives on its endpoint");
    assert_eq!(w.register(fs, "fs"), Err(Errno::EEXIST));
    assert_eq!(w.register(fs, ""), Err(Errno::EINVAL));
    assert_eq!(w.register(fs, "a b"), Err(Errno::EINVAL));
    // sysadm_t may not register (no `service register` on any name).
    assert_eq!(w.register(admin, "x"), Err(Errno::EACCES));
    let r = w.req(admin, Request::Connect { name: "fs".into() });
    let Response::Connected { conn, service_sid } = r.response else { panic!("{r:?}") };
    let c = w.caps.slots[&r.cap.unwrap()];
    assert_eq!(c.obj, ep.obj, "minted on the service's endpoint");
    assert_eq!(c.rights & R, 0, "a connection only sends");
    let badge = c.badge;
    let b = ConnBadge::decode(badge).unwrap();
    assert_eq!(b.conn, conn);
    let admin_sid = ConnBadge::decode(admin).unwrap().sid;
    assert_eq!(b.sid, admin_sid, "the badge carries the client's SID");
    assert_eq!(service_sid, ConnBadge::decode(fs).unwrap().sid);
    // The service may ask who it is; others may not.
    let r = w.req(fs, Request::WhoIs { badge });
    assert!(matches!(r.response, Response::Peer(ref p) if p.pid == 11 && p.context == ADMIN), "{r:?}");
    assert_eq!(w.req(admin, Request::WhoIs { badge }).response, Response::Err(Errno::EPERM));
    assert_eq!(w.req(fs, Request::Lookup { name: "fs".into() }).response, Response::Context(FS.into()));
    assert_eq!(w.req(fs, Request::Connect { name: "nope".into() }).response, Response::Err(Errno::ENOENT));
}

#[test]
fn denied_connect_is_refused_and_audited() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let httpd = w.task(20, HTTPD);
    let admin = w.task(21, ADMIN);
    assert!(w.register(httpd, "echo").is_ok());
    let before = w.caps.slots.len();
    assert_eq!(w.req(admin, Request::Connect { name: "echo".into() }).response, Response::Err(Errno::EACCES));
    assert_eq!(w.caps.slots.len(), before, "no capability minted");
    assert_eq!(w.reg.stats().denied, 1);
    let trail = w.sec.borrow().read_audit(0);
    let e = trail.records.iter().find(|e| e.object == "echo").expect("audit record");
    assert!(e.denied && e.source == ADMIN && e.target == HTTPD && e.class == "service" && e.perms == "connect");
    assert_eq!(e.reporter, CONNSRV);
}

#[test]
fn reload_takes_effect_in_connsrv() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let httpd = w.task(20, HTTPD);
    let admin = w.task(21, ADMIN);
    w.register(httpd, "echo").unwrap();
    assert_eq!(w.req(admin, Request::Connect { name: "echo".into() }).response, Response::Err(Errno::EACCES));
    let asid = ConnBadge::decode(admin).unwrap().sid;
    let r = sec.borrow_mut().handle(Caller::Sid(asid), SReq::PolicyLoad { name: "allow-all".into() });
    assert!(r.notify);
    // The denial is still cached until the notification is handled...
    assert_eq!(w.req(admin, Request::Connect { name: "echo".into() }).response, Response::Err(Errno::EACCES));
    // ... which the binary does before serving anything else.
    w.link.refresh().unwrap();
    assert!(matches!(w.req(admin, Request::Connect { name: "echo".into() }).response, Response::Connected { .. }));
}

#[test]
fn disconnect_exit_and_unregister_revoke() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let fs = w.task(10, FS);
    let admin = w.task(11, ADMIN);
    w.register(fs, "fs").unwrap();
    let c1 = w.req(admin, Request::Connect { name: "fs".into() });
    let c2 = w.req(admin, Request::Connect { name: "fs".into() });
    let (Response::Connected { conn: n1, .. }, Response::Connected { conn: n2, .. }) = (&c1.response, &c2.response)
    else {
        panic!()
    };
    // Only the client closes its own connection.
    assert_eq!(w.req(fs, Request::Disconnect { conn: *n1 }).response, Response::Err(Errno::ENOENT));
    assert_eq!(w.req(admin, Request::Disconnect { conn: *n1 }).response, Response::Ok);
    assert!(!w.caps.slots.contains_key(&c1.cap.unwrap()));
    assert_eq!(w.req(fs, Request::TakeClosed).response, Response::Closed(vec![*n1]));
    assert_eq!(w.req(fs, Request::TakeClosed).response, Response::Closed(vec![]));
    // The client exits: its channel and connection go; the service hears.
    assert_eq!(w.req(TRUSTED_RM, Request::TaskExited { pid: 11 }).response, Response::Ok);
    assert!(!w.caps.slots.contains_key(&c2.cap.unwrap()));
    assert_eq!(w.req(admin, Request::Stats).response, Response::Err(Errno::EBADF), "dead channel");
    assert_eq!(w.req(fs, Request::TakeClosed).response, Response::Closed(vec![*n2]));
    // The server exits: its service disappears.
    w.req(TRUSTED_RM, Request::TaskExited { pid: 10 });
    let admin2 = w.task(12, ADMIN);
    assert_eq!(w.req(admin2, Request::Connect { name: "fs".into() }).response, Response::Err(Errno::ENOENT));
    assert_eq!(w.reg.stats().connections, 1);
}

#[test]
fn trusted_requests_need_trusted_badges() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let admin = w.task(11, ADMIN);
    for req in [
        Request::NewTask { pid: 1, context: ADMIN.into() },
        Request::TaskExited { pid: 11 },
        Request::BindPid { conn: 1, pid: 2 },
        Request::RegisterCore { name: "x".into(), context: ADMIN.into() },
    ] {
        assert_eq!(w.req(admin, req.clone()).response, Response::Err(Errno::EPERM), "{req:?}");
    }
    // A forged badge (right layout, wrong SID) is refused.
    let mut b = ConnBadge::decode(admin).unwrap();
    b.sid += 1;
    assert_eq!(w.req(b.encode().unwrap(), Request::Stats).response, Response::Err(Errno::EBADF));
    // Core services: registered by init with their endpoint.
    let ep = w.caps.object();
    let r = w.req_cap(TRUSTED_INIT, Request::RegisterCore { name: "security".into(), context: SECSRV.into() }, ep);
    assert_eq!(r.response, Response::Ok);
    assert!(matches!(w.req(admin, Request::Connect { name: "security".into() }).response, Response::Connected { .. }));
    let r = w.req(TRUSTED_INIT, Request::NewTask { pid: 1, context: "bad".into() });
    assert_eq!(r.response, Response::Err(Errno::EINVAL));
    let r = w.req(TRUSTED_INIT, Request::SetSecurity { sid: 3 });
    assert_eq!(r.response, Response::Err(Errno::EINVAL), "needs a capability");
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(400)))]
    #[test]
    fn random_requests_never_panic(ops in proptest::collection::vec((0u8..16, any::<u32>(), "[a-z]{0,6}", any::<bool>()), 1..40)) {
        let sec = secsrv();
        let mut w = World::new(&sec);
        let mut badges = vec![w.task(1, FS), w.task(2, ADMIN), TRUSTED_INIT, 0, u64::MAX];
        for (op, n, name, trusted) in ops {
            let b = if trusted { TRUSTED_RM } else { badges[n as usize % badges.len()] };
            let req = match op {
                0 => Request::Register { name },
                1 => Request::Connect { name },
                2 => Request::Disconnect { conn: n % 8 },
                3 => Request::Unregister { name },
                4 => Request::TakeClosed,
                5 => Request::WhoIs { badge: u64::from(n) | 1 << 63 },
                6 => Request::Lookup { name },
                7 => Request::TaskExited { pid: n % 4 },
                8 => Request::NewTask { pid: n % 4, context: FS.into() },
                9 => Request::BindPid { conn: n % 8, pid: n },
                10 => Request::RegisterCore { name, context: HTTPD.into() },
                11 => Request::WatchClosed,
                12 => Request::WatchPool,
                13 => Request::GiveEndpoint,
                14 => Request::Connect { name: "fs".into() },
                _ => Request::Stats,
            };
            let r = if n % 3 == 0 {
                let s = w.caps.object();
                w.req_cap(b, req, s)
            } else {
                w.req(b, req)
            };
            if let (Some(slot), Response::Channel { .. }) = (r.cap, &r.response) {
                badges.push(w.caps.slots[&slot].badge);
            }
        }
    }
}
