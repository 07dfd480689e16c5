//! Test support: two network servers back to back on an in-memory wire
//! (node A = 10.0.2.15, the guest; node B = 10.0.2.2, "the host"), a
//! virtual clock, the shipped TE policy, and clients that talk to a
//! server through the encoded protocol and wait for held replies by
//! running the world.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use rampart_net::{Config, ConnId, IpConfig, LocalPolicy, MemDevice, MemRegions, NetServer, Outcome, StaticIp, Ticket};
use rampart_net_api::*;
use rampart_policy::{ModelRegistry, Policy, PolicyDb};

pub mod dhcp;
pub mod ping;

pub const USER: &str = "user_u:user_r:user_t";
pub const HTTPD: &str = "system_u:system_r:httpd_t";
pub const ROOT: &str = "root:sysadm_r:sysadm_t";

pub const MAC_A: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
pub const MAC_B: [u8; 6] = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
pub const IP_A: [u8; 4] = [10, 0, 2, 15];
pub const IP_B: [u8; 4] = [10, 0, 2, 2];

/// Region size of every test connection.
pub const REGION: usize = 1 << 20;

pub type Server = NetServer<MemDevice, LocalPolicy>;

/// The shipped TE policy (compiled once per test binary).
pub fn policy() -> Policy {
    static DB: OnceLock<PolicyDb> = OnceLock::new();
    let db = DB.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy/modules");
        let inputs = [root.join("base"), root.join("assertions"), root.join("te")];
        let files = policy_compiler::expand_inputs(&inputs).unwrap();
        policy_compiler::compile_files(&files).unwrap_or_else(|_| panic!("shipped policy compiles")).db
    });
    Policy::from_db(db.clone(), &ModelRegistry::builtin()).unwrap()
}

pub fn static_cfg(ip: [u8; 4]) -> Config {
    let gw = if ip == IP_B { None } else { Some(IP_B) };
    Config {
        ip: IpConfig::Static(StaticIp { addr: ip, prefix: 24, gateway: gw, dns: vec![[10, 0, 2, 3]] }),
        seed: u64::from(ip[3]) * 7919,
        ..Config::default()
    }
}

/// One server with its connections' regions and the replies it has
/// produced for held requests.
pub struct Node {
    pub srv: Server,
    pub regions: MemRegions,
    pub replies: BTreeMap<Ticket, Response>,
    pub signals: Vec<ConnId>,
}

impl Node {
    pub fn new(dev: MemDevice, cfg: Config) -> Node {
        Node::with_policy(dev, cfg, policy())
    }

    pub fn with_policy(dev: MemDevice, cfg: Config, p: Policy) -> Node {
        Node {
            srv: NetServer::new(dev, LocalPolicy(p), cfg, 0).unwrap(),
            regions: MemRegions::default(),
            replies: BTreeMap::new(),
            signals: Vec::new(),
        }
    }

    fn poll(&mut self, now: u64) {
        self.srv.poll(now, &mut self.regions);
        self.replies.extend(self.srv.take_replies());
        self.signals.extend(self.srv.take_signals());
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// A client connection of one node.
#[derive(Clone, Copy, Debug)]
pub struct Client {
    pub side: Side,
    pub conn: ConnId,
}

/// Drops (`None`) or rewrites a frame in flight.
pub type Filter = Box<dyn FnMut(Vec<u8>) -> Option<Vec<u8>>>;

/// Two nodes on one wire and a clock in milliseconds.
pub struct World {
    pub a: Node,
    pub b: Node,
    pub now: u64,
    /// Applied to every frame in flight (tests that drop or mutate).
    pub filter: Option<Filter>,
    ab: rampart_net::FrameQueue,
    ba: rampart_net::FrameQueue,
    a_rx: rampart_net::FrameQueue,
    b_rx: rampart_net::FrameQueue,
}

impl World {
    pub fn new() -> World {
        World::with(static_cfg(IP_A), static_cfg(IP_B))
    }

    pub fn with(cfg_a: Config, cfg_b: Config) -> World {
        // The filter sits between the two devices: A transmits into `ab`,
        // the world moves frames to B's receive queue `ab_rx` (and back).
        let (ab, ba) = (rampart_net::FrameQueue::new(), rampart_net::FrameQueue::new());
        let (a_rx, b_rx) = (rampart_net::FrameQueue::new(), rampart_net::FrameQueue::new());
        let dev_a = MemDevice::new(MAC_A, a_rx.clone(), ab.clone());
        let dev_b = MemDevice::new(MAC_B, b_rx.clone(), ba.clone());
        World { a: Node::new(dev_a, cfg_a), b: Node::new(dev_b, cfg_b), now: 0, filter: None, ab, ba, a_rx, b_rx }
    }

    /// Replaces node B by a fresh server (a reboot: every connection and
    /// socket of B is forgotten, the wire stays).
    pub fn restart_b(&mut self) {
        let dev_b = MemDevice::new(MAC_B, self.b_rx.clone(), self.ba.clone());
        self.b = Node::new(dev_b, static_cfg(IP_B));
    }

    /// The queue node A receives from (push here to inject frames).
    pub fn a_rx(&self) -> rampart_net::FrameQueue {
        self.a_rx.clone()
    }

    /// The queue node B receives from.
    pub fn b_rx(&self) -> rampart_net::FrameQueue {
        self.b_rx.clone()
    }

    /// Replaces node A by a fresh server deciding with `p`.
    pub fn restart_a_with(&mut self, p: Policy) {
        let dev_a = MemDevice::new(MAC_A, self.a_rx.clone(), self.ab.clone());
        self.a = Node::with_policy(dev_a, static_cfg(IP_A), p);
    }

    pub fn node(&mut self, s: Side) -> &mut Node {
        match s {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// Moves frames across the wire (through the filter); returns how many.
    fn carry(&mut self) -> usize {
        let mut n = 0;
        for (from, to) in [(&self.ab, &self.b_rx), (&self.ba, &self.a_rx)] {
            for f in from.drain() {
                n += 1;
                let f = match self.filter.as_mut() {
                    Some(filter) => filter(f),
                    None => Some(f),
                };
                if let Some(f) = f {
                    to.push(f);
                }
            }
        }
        n
    }

    /// One round: both nodes poll, frames cross; the clock advances 1 ms
    /// when the wire is quiet.
    pub fn step(&mut self) {
        self.a.poll(self.now);
        self.b.poll(self.now);
        if self.carry() == 0 {
            self.now += 1;
        }
    }

    /// Runs `ms` milliseconds of virtual time.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            self.step();
        }
    }

    pub fn client(&mut self, side: Side, context: &str) -> Client {
        let n = self.node(side);
        let sid = n.srv.mac.om.sec.0.context_to_sid(context).unwrap().0;
        let conn = n.srv.connect(sid);
        n.regions.0.insert(conn, vec![0; REGION]);
        let c = Client { side, conn };
        assert_eq!(self.call(c, Request::AttachRegion { len: REGION as u32 }), Response::Ok);
        c
    }

    /// Sends a request through the encoded protocol.
    pub fn start(&mut self, c: Client, r: Request) -> Outcome {
        self.start_badge(c, r, None)
    }

    pub fn start_badge(&mut self, c: Client, r: Request, badge: Option<u64>) -> Outcome {
        let req = decode_request(&encode_request(&r).unwrap()).unwrap();
        let n = self.node(c.side);
        let out = n.srv.handle(c.conn, req, badge, &mut n.regions);
        match out {
            Outcome::Reply(resp) => Outcome::Reply(decode_response(&encode_response(&resp).unwrap()).unwrap()),
            held => held,
        }
    }

    /// The reply to `t`, running the world for at most `max_ms` virtual
    /// milliseconds.
    pub fn wait(&mut self, side: Side, t: Ticket, max_ms: u64) -> Option<Response> {
        let end = self.now + max_ms;
        loop {
            if let Some(r) = self.node(side).replies.remove(&t) {
                return Some(r);
            }
            if self.now > end {
                return None;
            }
            self.step();
        }
    }

    /// A request answered now or after the world ran (at most 120 s).
    pub fn call(&mut self, c: Client, r: Request) -> Response {
        self.call_badge(c, r, None)
    }

    pub fn call_badge(&mut self, c: Client, r: Request, badge: Option<u64>) -> Response {
        match self.start_badge(c, r, badge) {
            Outcome::Reply(r) => r,
            Outcome::Held(t) => self.wait(c.side, t, 120_000).expect("held request never answered"),
        }
    }

    pub fn region(&mut self, c: Client) -> &mut Vec<u8> {
        self.node(c.side).regions.0.get_mut(&c.conn).unwrap()
    }

    // --- socket helpers -------------------------------------------------

    pub fn socket(&mut self, c: Client, ty: SockType, nonblocking: bool) -> Result<Handle, Errno> {
        match self.call(c, Request::Socket { domain: Domain::Inet, ty, nonblocking }) {
            Response::Handle(h) => Ok(h),
            Response::Err(e) => Err(e),
            r => panic!("socket: {r:?}"),
        }
    }

    pub fn ok(&mut self, c: Client, r: Request) -> Result<(), Errno> {
        match self.call(c, r) {
            Response::Ok => Ok(()),
            Response::Err(e) => Err(e),
            r => panic!("unexpected {r:?}"),
        }
    }

    pub fn bind(&mut self, c: Client, h: Handle, port: u16) -> Result<SockAddr, Errno> {
        match self.call(c, Request::Bind { handle: h, addr: SockAddr::new(0, 0, 0, 0, port) }) {
            Response::Addr(a) => Ok(a),
            Response::Err(e) => Err(e),
            r => panic!("bind: {r:?}"),
        }
    }

    /// A listening TCP socket on `port` of node `c.side`.
    pub fn listener(&mut self, c: Client, port: u16) -> Handle {
        let h = self.socket(c, SockType::Stream, false).unwrap();
        self.bind(c, h, port).unwrap();
        self.ok(c, Request::Listen { handle: h, backlog: 8 }).unwrap();
        h
    }

    pub fn accept(&mut self, c: Client, h: Handle) -> Result<(Handle, SockAddr), Errno> {
        match self.call(c, Request::Accept { handle: h, nonblocking: false }) {
            Response::Accepted { handle, peer } => Ok((handle, peer)),
            Response::Err(e) => Err(e),
            r => panic!("accept: {r:?}"),
        }
    }

    pub fn connect(&mut self, c: Client, h: Handle, addr: SockAddr) -> Result<(), Errno> {
        self.ok(c, Request::Connect { handle: h, addr })
    }

    /// A connected TCP pair: (client on A, server-side accepted on B).
    pub fn tcp_pair(&mut self, ca: Client, cb: Client, port: u16) -> (Handle, Handle) {
        let l = self.listener(cb, port);
        let s = self.socket(ca, SockType::Stream, false).unwrap();
        self.connect(ca, s, SockAddr { ip: IP_B, port }).unwrap();
        let (acc, peer) = self.accept(cb, l).unwrap();
        assert_eq!(peer.ip, IP_A);
        (s, acc)
    }

    /// Sends `data` (copied into the region at 0) once: the bytes queued.
    pub fn send(&mut self, c: Client, h: Handle, data: &[u8], flags: MsgFlags) -> Result<usize, Errno> {
        self.region(c)[..data.len()].copy_from_slice(data);
        let r = Request::Send { handle: h, region_offset: 0, len: data.len() as u32, flags, to: None };
        match self.call(c, r) {
            Response::Len(n) => Ok(n as usize),
            Response::Err(e) => Err(e),
            r => panic!("send: {r:?}"),
        }
    }

    pub fn send_to(&mut self, c: Client, h: Handle, data: &[u8], to: SockAddr) -> Result<usize, Errno> {
        self.region(c)[..data.len()].copy_from_slice(data);
        let r = Request::Send { handle: h, region_offset: 0, len: data.len() as u32, flags: MsgFlags(0), to: Some(to) };
        match self.call(c, r) {
            Response::Len(n) => Ok(n as usize),
            Response::Err(e) => Err(e),
            r => panic!("send: {r:?}"),
        }
    }

    /// Sends all of `data`, looping over partial sends.
    pub fn send_all(&mut self, c: Client, h: Handle, data: &[u8]) {
        let mut off = 0;
        while off < data.len() {
            let n = (data.len() - off).min(REGION);
            off += self.send(c, h, &data[off..off + n], MsgFlags(0)).unwrap();
        }
    }

    /// One receive of at most `max` bytes: (bytes, sender, truncated).
    pub fn recv_from(
        &mut self,
        c: Client,
        h: Handle,
        max: usize,
        flags: MsgFlags,
    ) -> Result<(Vec<u8>, Option<SockAddr>, bool), Errno> {
        let r = Request::Recv { handle: h, region_offset: 0, len: max as u32, flags };
        match self.call(c, r) {
            Response::Received { len, from, truncated } => {
                Ok((self.region(c)[..len as usize].to_vec(), from, truncated))
            }
            Response::Err(e) => Err(e),
            r => panic!("recv: {r:?}"),
        }
    }

    pub fn recv(&mut self, c: Client, h: Handle, max: usize) -> Result<Vec<u8>, Errno> {
        self.recv_from(c, h, max, MsgFlags(0)).map(|r| r.0)
    }

    /// Receives exactly `n` bytes (several reads).
    pub fn recv_exact(&mut self, c: Client, h: Handle, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        while out.len() < n {
            let b = self.recv(c, h, n - out.len()).unwrap();
            assert!(!b.is_empty(), "end of stream after {} of {n} bytes", out.len());
            out.extend_from_slice(&b);
        }
        out
    }

    /// Receives until end of stream.
    pub fn recv_to_end(&mut self, c: Client, h: Handle) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let b = self.recv(c, h, 65536).unwrap();
            if b.is_empty() {
                return out;
            }
            out.extend_from_slice(&b);
        }
    }

    pub fn close(&mut self, c: Client, h: Handle) {
        self.ok(c, Request::Close { handle: h }).unwrap();
    }

    pub fn poll(&mut self, c: Client, items: &[(Handle, Events)], wait: Wait) -> Vec<Events> {
        let items = items.iter().map(|&(handle, events)| PollItem { handle, events }).collect();
        match self.call(c, Request::Poll { items, wait }) {
            Response::Ready(v) => v,
            r => panic!("poll: {r:?}"),
        }
    }

    pub fn sid(&mut self, side: Side, context: &str) -> u32 {
        self.node(side).srv.mac.om.sec.0.context_to_sid(context).unwrap().0
    }
}

/// A policy compiled from source text.
pub fn policy_from(text: &str) -> Policy {
    let out = policy_compiler::compile(&[policy_compiler::Source::new("test.pol", text)])
        .unwrap_or_else(|d| panic!("test policy: {d:?}"));
    Policy::from_db(out.db, &ModelRegistry::builtin()).unwrap()
}

/// Deterministic bytes.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as u8
        })
        .collect()
}

/// 64-bit FNV-1a.
pub fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}
