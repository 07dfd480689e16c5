//! Host tests of the connection server: registration, connect checks with
//! the real policy through the security server's logic, badges, audit,
//! revocation, reload, and hostile requests.

use proptest::prelude::*;
use rampart_connsrv_api::{ConnBadge, Request, Response, TRUSTED_INIT, TRUSTED_RM};
use rampart_connsrv_core::link::{Link, NoSecurity};
use rampart_connsrv_core::{Caps, Registry, Reply, Slot};
use rampart_secsrv_api::client::{Client, Transport};
use rampart_secsrv_api::{Request as SReq, Response as SResp};
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn policy(variant: &str) -> Vec<u8> {
    static CACHE: std::sync::Mutex<BTreeMap<String, Vec<u8>>> = std::sync::Mutex::new(BTreeMap::new());
    if let Some(b) = CACHE.lock().unwrap().get(variant) {
        return b.clone();
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../policy/modules");
    let mut dirs = vec![root.join("base")];
    if variant != "allow-all" {
        dirs.push(root.join("assertions"));
    }
    dirs.push(root.join(variant));
    let out = policy_compiler::compile_files(&dirs).unwrap_or_else(|_| panic!("{variant}"));
    let b = rampart_policy::encode(&out.db).unwrap();
    CACHE.lock().unwrap().insert(variant.into(), b.clone());
    b
}

/// Fake kernel: slots hold (endpoint id, badge, parent slot); destroy
/// revokes descendants.
#[derive(Default)]
struct FakeCaps {
    next: Slot,
    slots: BTreeMap<Slot, (u32, u64, Option<Slot>)>,
    endpoints: u32,
}

impl Caps for FakeCaps {
    fn new_endpoint(&mut self) -> Result<Slot, Errno> {
        self.next += 1;
        self.endpoints += 1;
        self.slots.insert(self.next, (self.endpoints, 0, None));
        Ok(self.next)
    }
    fn mint(&mut self, src: Slot, badge: u64) -> Result<Slot, Errno> {
        let (ep, _, _) = *self.slots.get(&src).ok_or(Errno::EIO)?;
        self.next += 1;
        self.slots.insert(self.next, (ep, badge, Some(src)));
        Ok(self.next)
    }
    fn destroy(&mut self, slot: Slot) {
        let kids: Vec<Slot> = self.slots.iter().filter(|(_, v)| v.2 == Some(slot)).map(|(k, _)| *k).collect();
        for k in kids {
            self.destroy(k);
        }
        self.slots.remove(&slot);
    }
}

#[derive(Clone, Copy)]
struct Sec<'a>(&'a RefCell<SecServer>, Caller);

impl Transport for Sec<'_> {
    fn call(&mut self, req: &SReq) -> Result<SResp, Errno> {
        Ok(self.0.borrow_mut().handle(self.1, req.clone()).response)
    }
}

const CONNSRV: &str = "system_u:system_r:connsrv_t";
const ADMIN: &str = "root:sysadm_r:sysadm_t";
const HTTPD: &str = "system_u:system_r:httpd_t";
const FS: &str = "system_u:system_r:fs_t";
const SECSRV: &str = "system_u:system_r:secsrv_t";

fn secsrv() -> RefCell<SecServer> {
    let mut s = SecServer::new(SECSRV, false);
    for v in ["te", "allow-all"] {
        let mut c = ClientOn(&mut s);
        c.put(v, &policy(v));
    }
    assert!(s.handle(Caller::Init, SReq::PolicyLoad { name: "te".into() }).notify);
    RefCell::new(s)
}

struct ClientOn<'a>(&'a mut SecServer);
impl ClientOn<'_> {
    fn put(&mut self, name: &str, bytes: &[u8]) {
        struct D<'b>(&'b mut SecServer);
        impl Transport for D<'_> {
            fn call(&mut self, req: &SReq) -> Result<SResp, Errno> {
                Ok(self.0.handle(Caller::Init, req.clone()).response)
            }
        }
        Client(D(self.0)).put_policy(name, bytes).unwrap();
    }
}

struct World<'a> {
    reg: Registry,
    caps: FakeCaps,
    link: Link<Sec<'a>>,
    sec: &'a RefCell<SecServer>,
}

impl<'a> World<'a> {
    fn new(sec: &'a RefCell<SecServer>) -> World<'a> {
        let csid = match sec.borrow_mut().handle(Caller::Init, SReq::ContextToSid { context: CONNSRV.into() }).response
        {
            SResp::Sid(s) => s,
            r => panic!("{r:?}"),
        };
        let mut caps = FakeCaps::default();
        let own = caps.new_endpoint().unwrap();
        let link = Link::new(Sec(sec, Caller::Sid(csid))).unwrap();
        World { reg: Registry::new(own), caps, link, sec }
    }
    fn req(&mut self, badge: u64, req: Request) -> Reply {
        self.reg.handle(badge, req, None, &mut self.caps, &mut self.link)
    }
    fn req_cap(&mut self, badge: u64, req: Request, cap: Slot) -> Reply {
        self.reg.handle(badge, req, Some(cap), &mut self.caps, &mut self.link)
    }
    /// A task channel for `context`: returns its badge.
    fn task(&mut self, pid: u32, context: &str) -> u64 {
        let r = self.req(TRUSTED_INIT, Request::NewTask { pid, context: context.into() });
        let slot = r.cap.expect("channel cap");
        assert!(matches!(r.response, Response::Channel { .. }), "{r:?}");
        self.caps.slots[&slot].1
    }
}

#[test]
fn unbooted_connsrv_refuses_politely() {
    let mut caps = FakeCaps::default();
    let own = caps.new_endpoint().unwrap();
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
    let r = w.req(fs, Request::Register { name: "fs".into() });
    assert_eq!(r.response, Response::Registered);
    let ep = r.cap.unwrap();
    assert_eq!(w.req(fs, Request::Register { name: "fs".into() }).response, Response::Err(Errno::EEXIST));
    assert_eq!(w.req(fs, Request::Register { name: "".into() }).response, Response::Err(Errno::EINVAL));
    assert_eq!(w.req(fs, Request::Register { name: "a b".into() }).response, Response::Err(Errno::EINVAL));
    // sysadm_t may not register (no `service register`).
    assert_eq!(w.req(admin, Request::Register { name: "x".into() }).response, Response::Err(Errno::EACCES));
    let r = w.req(admin, Request::Connect { name: "fs".into() });
    let Response::Connected { conn, service_sid } = r.response else { panic!("{r:?}") };
    let (ep_id, badge, _) = w.caps.slots[&r.cap.unwrap()];
    assert_eq!(ep_id, w.caps.slots[&ep].0, "minted on the service's endpoint");
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
    assert_eq!(w.req(httpd, Request::Register { name: "echo".into() }).response, Response::Registered);
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
    w.req(httpd, Request::Register { name: "echo".into() });
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
    w.req(fs, Request::Register { name: "fs".into() });
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

/// A task channel holds its SID (the badge carries it) until the task
/// exits; then the security server reclaims it and never issues the number
/// again.
#[test]
fn task_channels_hold_their_sid_until_exit() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let sids = |w: &World| match w.sec.borrow_mut().handle(Caller::Init, SReq::SidStats).response {
        SResp::SidStats(s) => s.live,
        r => panic!("{r:?}"),
    };
    let before = sids(&w);
    const ODD: &str = "root:sysadm_r:user_t";
    let a = ConnBadge::decode(w.task(20, ODD)).unwrap().sid;
    let b = ConnBadge::decode(w.task(21, ODD)).unwrap().sid;
    assert_eq!(a, b, "one SID per context");
    assert_eq!(sids(&w), before + 1);
    w.req(TRUSTED_RM, Request::TaskExited { pid: 20 });
    assert_eq!(sids(&w), before + 1, "still held for pid 21");
    w.req(TRUSTED_RM, Request::TaskExited { pid: 21 });
    assert_eq!(sids(&w), before, "reclaimed with the last task");
    let fs = match w.sec.borrow_mut().handle(Caller::Init, SReq::ContextToSid { context: FS.into() }).response {
        SResp::Sid(s) => Caller::Sid(s),
        r => panic!("{r:?}"),
    };
    let stale = w.sec.borrow_mut().handle(fs, SReq::SidToContext { sid: a }).response;
    assert_eq!(stale, SResp::Err(Errno::ENOENT), "a reclaimed SID names no context");
    let again = ConnBadge::decode(w.task(22, ODD)).unwrap().sid;
    assert_ne!(again, a, "a reclaimed SID number is never issued again");
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
    let ep = w.caps.new_endpoint().unwrap();
    let r = w.req_cap(TRUSTED_INIT, Request::RegisterCore { name: "security".into(), context: SECSRV.into() }, ep);
    assert!(r.kept_cap && r.response == Response::Ok);
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
    fn random_requests_never_panic(ops in proptest::collection::vec((0u8..12, any::<u32>(), "[a-z]{0,6}", any::<bool>()), 1..40)) {
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
                _ => Request::Stats,
            };
            let r = w.req(b, req);
            if let (Some(slot), Response::Channel { .. }) = (r.cap, &r.response) {
                badges.push(w.caps.slots[&slot].1);
            }
        }
    }
}
