//! What connsrv may hold and hand out (issue 19 item 9): no receive right
//! on any service endpoint, names bound to domains by the policy, an
//! endpoint pool that is refilled.

mod common;

use common::*;
use rampart_connsrv_api::{POOL_LOW, Request, Response, TRUSTED_INIT};
use rampart_uabi::Errno;

/// connsrv keeps send-only copies: after a task registers a service and
/// init registers a core one (even handing over a capability with every
/// right), connsrv holds no Read right on either endpoint, while the server
/// got its endpoint with every right and clients still connect. (Before,
/// connsrv kept the registered endpoint with all rights and could receive
/// on every service's endpoint, secsrv's included.)
#[test]
fn connsrv_never_holds_receive_rights_on_service_endpoints() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let fs = w.task(10, FS);
    let admin = w.task(11, ADMIN);
    let ep = w.register(fs, "fs").unwrap();
    assert_eq!(ep.rights, ALL, "the server can receive on its endpoint");
    assert_eq!(w.caps.rights_on(ep.obj) & R, 0, "connsrv cannot");
    assert_ne!(w.caps.rights_on(ep.obj), 0, "connsrv keeps a send copy to mint from");
    // secsrv's endpoint, from init with every right.
    let s = w.caps.object();
    let secsrv_obj = w.caps.slots[&s].obj;
    let r = w.req_cap(TRUSTED_INIT, Request::RegisterCore { name: "security".into(), context: SECSRV.into() }, s);
    assert_eq!(r.response, Response::Ok);
    assert_eq!(w.caps.rights_on(secsrv_obj) & R, 0, "connsrv cannot answer ComputeAv");
    for name in ["fs", "security"] {
        let (_, badge) = w.connect(admin, name).unwrap();
        assert_ne!(badge, 0);
    }
    assert_eq!(w.caps.rights_on(ep.obj) & R, 0);
    assert_eq!(w.caps.rights_on(secsrv_obj) & R, 0);
    // Unregistering revokes the connections and drops connsrv's copy.
    assert_eq!(w.req(fs, Request::Unregister { name: "fs".into() }).response, Response::Ok);
    assert_eq!(w.caps.rights_on(ep.obj), 0);
}

fn audit_has(w: &World, object: &str, source: &str, target: &str) -> bool {
    let mut from = 0;
    loop {
        let batch = w.sec.borrow().read_audit(from);
        if batch.records.is_empty() {
            return false;
        }
        if batch.records.iter().any(|e| {
            e.object == object
                && e.denied
                && e.perms == "register"
                && e.class == "service"
                && e.source == source
                && e.target == target
                && e.reporter == CONNSRV
        }) {
            return true;
        }
        from = batch.next;
    }
}

/// `service register` is checked against the name's context
/// (`servicecon`): a server registering another's name is refused with
/// `EACCES` and audited, whether or not the name is taken, and init cannot
/// register a core name for the wrong domain. (Before, every server could
/// register any free name under its own context, e.g. `fs` before the file
/// server.)
#[test]
fn a_server_cannot_squat_another_servers_name() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let httpd = w.task(20, HTTPD);
    let net = w.task(21, NET);
    let fs = w.task(22, FS);
    assert_eq!(w.register(httpd, "fs"), Err(Errno::EACCES), "free, but not httpd_t's to take");
    assert!(audit_has(&w, "fs", HTTPD, "system_u:object_r:fs_service_t"));
    assert_eq!(w.register(net, "fs"), Err(Errno::EACCES));
    assert_eq!(w.register(fs, "net"), Err(Errno::EACCES));
    assert!(audit_has(&w, "net", FS, "system_u:object_r:net_service_t"));
    assert_eq!(w.register(fs, "security"), Err(Errno::EACCES));
    assert!(w.register(fs, "fs").is_ok(), "its own name");
    assert!(w.register(net, "net").is_ok());
    assert_eq!(w.register(httpd, "fs"), Err(Errno::EACCES), "taken: still EACCES, no EEXIST leak");
    // Names without a servicecon of their own: httpd_t's default.
    assert!(w.register(httpd, "sectest.echo").is_ok());
    assert_eq!(w.register(fs, "sectest.other"), Err(Errno::EACCES), "fs_t registers only \"fs\"");
    let s = w.caps.object();
    let r = w.req_cap(TRUSTED_INIT, Request::RegisterCore { name: "security".into(), context: HTTPD.into() }, s);
    assert_eq!(r.response, Response::Err(Errno::EACCES), "init named the wrong domain");
    assert!(audit_has(&w, "security", HTTPD, "system_u:object_r:security_service_t"));
}

/// Under `allow-all` any domain may register any name (no squatting
/// protection by design); the check still runs.
#[test]
fn allow_all_lets_anyone_register() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let admin = w.task(11, ADMIN);
    assert_eq!(w.register(admin, "fs"), Err(Errno::EACCES));
    let asid = rampart_connsrv_api::ConnBadge::decode(admin).unwrap().sid;
    let r = sec.borrow_mut().handle(
        rampart_secsrv_core::Caller::Sid(asid),
        rampart_secsrv_api::Request::PolicyLoad { name: "allow-all".into() },
    );
    assert!(r.notify);
    w.link.refresh().unwrap();
    assert!(w.register(admin, "fs").is_ok());
}

/// The pool of fresh endpoints is refilled: connsrv signals init's
/// notification when it falls below `POOL_LOW` (once per refill), init
/// gives more, and registrations go on well past the 32 endpoints of the
/// boot (before: `ENOSPC` from the 33rd registration on, for good).
#[test]
fn the_endpoint_pool_is_refilled_past_the_old_limit() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let (n, ntfn) = w.notification();
    assert_eq!(w.req_cap(TRUSTED_INIT, Request::WatchPool, n).response, Response::Ok);
    assert!(w.caps.signals.is_empty(), "32 is plenty");
    let httpd = w.task(20, HTTPD);
    let mut refills = 0;
    for i in 0..100 {
        assert!(w.register(httpd, &format!("svc{i}")).is_ok(), "registration {i}");
        assert!(w.caps.pool.len() + 1 >= POOL_LOW || !w.caps.signals.is_empty());
        if w.caps.signals.pop() == Some(ntfn) {
            assert!(w.caps.signals.is_empty());
            // init's part: 16 fresh endpoints.
            refills += 1;
            for _ in 0..16 {
                let e = w.caps.object();
                assert_eq!(w.req_cap(TRUSTED_INIT, Request::GiveEndpoint, e).response, Response::Ok);
            }
        }
    }
    assert!(refills >= 5, "{refills} refills");
    let r = w.req(httpd, Request::Stats);
    assert!(matches!(r.response, Response::Stats(s) if s.services == 100 && s.endpoints as usize == w.caps.pool.len()));
    // Without a refill the pool runs dry: EAGAIN (try again), one signal.
    while w.register(httpd, &format!("more{}", w.caps.pool.len())).is_ok() {}
    assert_eq!(w.caps.signals, vec![ntfn]);
    assert_eq!(w.register(httpd, "dry"), Err(Errno::EAGAIN));
    assert_eq!(w.caps.signals, vec![ntfn], "asked once until the next refill");
    let e = w.caps.object();
    w.req_cap(TRUSTED_INIT, Request::GiveEndpoint, e);
    assert!(w.register(httpd, "dry").is_ok());
    // Only init and rm feed or watch the pool.
    let e = w.caps.object();
    assert_eq!(w.req_cap(httpd, Request::GiveEndpoint, e).response, Response::Err(Errno::EPERM));
    assert_eq!(w.req(TRUSTED_INIT, Request::WatchPool).response, Response::Err(Errno::EINVAL));
}
