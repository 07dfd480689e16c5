//! Test support: the shipped policies through the security server's
//! logic, a fake kernel that models rights, badges and derivation, and a
//! world that plays the binary's part (handing capabilities over).
#![allow(dead_code)]

use rampart_connsrv_api::{Request, Response, TRUSTED_INIT};
use rampart_connsrv_core::link::Link;
use rampart_connsrv_core::{Caps, Registry, Reply, Slot};
use rampart_secsrv_api::client::{Client, Transport};
use rampart_secsrv_api::{Request as SReq, Response as SResp};
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

pub const CONNSRV: &str = "system_u:system_r:connsrv_t";
pub const ADMIN: &str = "root:sysadm_r:sysadm_t";
pub const USER: &str = "user_u:user_r:user_t";
pub const HTTPD: &str = "system_u:system_r:httpd_t";
pub const FS: &str = "system_u:system_r:fs_t";
pub const NET: &str = "system_u:system_r:net_t";
pub const SECSRV: &str = "system_u:system_r:secsrv_t";

/// Receive right (the other bits: Write, Grant, GrantReply).
pub const R: u8 = 1;
/// Every right.
pub const ALL: u8 = 0xf;

pub fn policy(variant: &str) -> Vec<u8> {
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

/// One capability in the fake kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FakeCap {
    /// Object id (endpoints and notifications).
    pub obj: u32,
    pub badge: u64,
    pub rights: u8,
    /// The slot it was derived from with a new badge (revocation follows
    /// these links, like the kernel's revocable badged copies).
    pub parent: Option<Slot>,
}

/// Fake kernel: connsrv's slots, a pool of fresh endpoints, signals.
#[derive(Default)]
pub struct FakeCaps {
    pub next: Slot,
    pub slots: BTreeMap<Slot, FakeCap>,
    pub objects: u32,
    pub pool: Vec<Slot>,
    /// Object ids of the notifications signalled, in order.
    pub signals: Vec<u32>,
}

impl FakeCaps {
    /// A new object with every right in a new slot.
    pub fn object(&mut self) -> Slot {
        self.objects += 1;
        self.next += 1;
        self.slots.insert(self.next, FakeCap { obj: self.objects, badge: 0, rights: ALL, parent: None });
        self.next
    }

    /// A copy of the capability in `s` with `rights`, in a new slot.
    pub fn copy(&mut self, s: Slot, rights: u8) -> Slot {
        let c = self.slots[&s];
        self.next += 1;
        self.slots.insert(self.next, FakeCap { rights: c.rights & rights, parent: None, ..c });
        self.next
    }

    /// Fills the pool with `n` fresh endpoints.
    pub fn fill(&mut self, n: usize) {
        for _ in 0..n {
            let s = self.object();
            self.pool.push(s);
        }
    }

    /// The rights connsrv holds on object `obj` (OR over its slots).
    pub fn rights_on(&self, obj: u32) -> u8 {
        self.slots.values().filter(|c| c.obj == obj).fold(0, |r, c| r | c.rights)
    }
}

impl Caps for FakeCaps {
    fn new_endpoint(&mut self) -> Result<Slot, Errno> {
        self.pool.pop().ok_or(Errno::EAGAIN)
    }
    fn add_endpoint(&mut self, slot: Slot) {
        self.pool.push(slot);
    }
    fn pool_len(&self) -> usize {
        self.pool.len()
    }
    fn send_only(&mut self, src: Slot) -> Result<Slot, Errno> {
        let c = *self.slots.get(&src).ok_or(Errno::EIO)?;
        self.next += 1;
        self.slots.insert(self.next, FakeCap { rights: c.rights & !R, parent: None, ..c });
        Ok(self.next)
    }
    fn mint(&mut self, src: Slot, badge: u64) -> Result<Slot, Errno> {
        let c = *self.slots.get(&src).ok_or(Errno::EIO)?;
        if c.badge != 0 {
            return Err(Errno::EIO);
        }
        self.next += 1;
        self.slots.insert(self.next, FakeCap { obj: c.obj, badge, rights: c.rights & !R, parent: Some(src) });
        Ok(self.next)
    }
    fn destroy(&mut self, slot: Slot) {
        let kids: Vec<Slot> = self.slots.iter().filter(|(_, v)| v.parent == Some(slot)).map(|(k, _)| *k).collect();
        for k in kids {
            self.destroy(k);
        }
        self.slots.remove(&slot);
    }
    fn delete(&mut self, slot: Slot) {
        self.slots.remove(&slot);
    }
    fn signal(&mut self, slot: Slot) {
        if let Some(c) = self.slots.get(&slot) {
            self.signals.push(c.obj);
        }
    }
}

#[derive(Clone, Copy)]
pub struct Sec<'a>(pub &'a RefCell<SecServer>, pub Caller);

impl Transport for Sec<'_> {
    fn call(&mut self, req: &SReq) -> Result<SResp, Errno> {
        Ok(self.0.borrow_mut().handle(self.1, req.clone()).response)
    }
}

pub fn secsrv() -> RefCell<SecServer> {
    let mut s = SecServer::new(SECSRV, false);
    for v in ["te", "allow-all"] {
        struct D<'b>(&'b mut SecServer);
        impl Transport for D<'_> {
            fn call(&mut self, req: &SReq) -> Result<SResp, Errno> {
                Ok(self.0.handle(Caller::Init, req.clone()).response)
            }
        }
        Client(D(&mut s)).put_policy(v, &policy(v)).unwrap();
    }
    assert!(s.handle(Caller::Init, SReq::PolicyLoad { name: "te".into() }).notify);
    RefCell::new(s)
}

/// A capability a task received from connsrv (the task's copy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    pub obj: u32,
    pub badge: u64,
    pub rights: u8,
}

pub struct World<'a> {
    pub reg: Registry,
    pub caps: FakeCaps,
    pub link: Link<Sec<'a>>,
    pub sec: &'a RefCell<SecServer>,
    /// The capability most recently handed over (a registered service's
    /// endpoint, as its server received it).
    pub last_handed: Option<Held>,
}

impl<'a> World<'a> {
    pub fn new(sec: &'a RefCell<SecServer>) -> World<'a> {
        World::starting_at(sec, 1)
    }

    /// A world whose connection numbers start at `first`, with 32 fresh
    /// endpoints in the pool (as init gives at boot).
    pub fn starting_at(sec: &'a RefCell<SecServer>, first: u32) -> World<'a> {
        let csid = match sec.borrow_mut().handle(Caller::Init, SReq::ContextToSid { context: CONNSRV.into() }).response
        {
            SResp::Sid(s) => s,
            r => panic!("{r:?}"),
        };
        let mut caps = FakeCaps::default();
        let own = caps.object();
        caps.fill(32);
        let link = Link::new(Sec(sec, Caller::Sid(csid))).unwrap();
        World { reg: Registry::starting_at(own, first), caps, link, sec, last_handed: None }
    }

    /// Sends `req` as the binary would: a capability in the reply is what
    /// the caller gets (its copy); a handed-over one is deleted afterwards.
    pub fn req(&mut self, badge: u64, req: Request) -> Reply {
        let r = self.reg.handle(badge, req, None, &mut self.caps, &mut self.link);
        self.after(&r);
        r
    }

    pub fn req_cap(&mut self, badge: u64, req: Request, cap: Slot) -> Reply {
        let r = self.reg.handle(badge, req, Some(cap), &mut self.caps, &mut self.link);
        if !r.kept_cap {
            self.caps.delete(cap);
        }
        self.after(&r);
        r
    }

    fn after(&mut self, r: &Reply) {
        if let (Some(c), Response::Registered) = (r.cap, &r.response) {
            self.last_handed = self.caps.slots.get(&c).map(|c| Held { obj: c.obj, badge: c.badge, rights: c.rights });
        }
        if let (Some(c), true) = (r.cap, r.hand_over) {
            self.caps.delete(c);
        }
    }

    /// A task channel for `context`: returns its badge.
    pub fn task(&mut self, pid: u32, context: &str) -> u64 {
        let r = self.req(TRUSTED_INIT, Request::NewTask { pid, context: context.into() });
        let slot = r.cap.expect("channel cap");
        assert!(matches!(r.response, Response::Channel { .. }), "{r:?}");
        self.caps.slots[&slot].badge
    }

    /// Registers `name` over channel `ch`; returns the server's copy of the
    /// endpoint.
    pub fn register(&mut self, ch: u64, name: &str) -> Result<Held, Errno> {
        let r = self.req(ch, Request::Register { name: name.into() });
        match r.response {
            Response::Registered => Ok(self.last_handed.take().expect("endpoint handed over")),
            Response::Err(e) => Err(e),
            r => panic!("{r:?}"),
        }
    }

    /// Connects over `ch`; returns (connection number, badge).
    pub fn connect(&mut self, ch: u64, name: &str) -> Result<(u32, u64), Errno> {
        let r = self.req(ch, Request::Connect { name: name.into() });
        match r.response {
            Response::Connected { conn, .. } => Ok((conn, self.caps.slots[&r.cap.unwrap()].badge)),
            Response::Err(e) => Err(e),
            r => panic!("{r:?}"),
        }
    }

    /// A notification capability (for the watch requests); its object id.
    pub fn notification(&mut self) -> (Slot, u32) {
        let s = self.caps.object();
        (s, self.caps.slots[&s].obj)
    }
}
