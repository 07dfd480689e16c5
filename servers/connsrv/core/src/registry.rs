//! The registry: services, connections, and the request handling that
//! mediates them. Kernel capability operations and policy questions go
//! through the [`Caps`] and [`Security`] traits, so this runs on the host.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use rampart_connsrv_api::{
    BOOT_CONN, CLOSED_PER_REPLY, CONTEXT_MAX, ConnBadge, MAX_CONN, MAX_PENDING_CLOSED, NAME_MAX, POOL_LOW, Peer,
    Request, Response, Stats, TRUSTED_INIT, TRUSTED_RM,
};
use rampart_uabi::Errno;

pub use crate::iface::{Caps, Security, ServicePerm, Slot, Subject};
pub use revalidate::{Revalidation, Revoked, live_object};

mod revalidate;

/// init's process id (`rampart_rm_api::INIT_PID`): the trusted caller,
/// named by the audit records of the registrations it makes at boot.
const INIT_PID: u32 = 1;

#[derive(Clone, Debug)]
struct Service {
    /// The server's SID (the target of `service connect`).
    sid: u32,
    /// The owner's task channel ([`BOOT_CONN`] for core services).
    owner: u32,
    /// connsrv's send-only copy of the endpoint (connections are minted
    /// from it).
    ep: Slot,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// A task's channel to connsrv.
    Task,
    /// A connection to a service, made over task channel `client`.
    Service { name: String, client: u32 },
}

#[derive(Clone, Debug)]
struct Conn {
    sid: u32,
    pid: u32,
    slot: Slot,
    kind: Kind,
}

/// Who sent a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Trusted,
    Task(u32),
}

/// Work for the binary besides replying.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing.
    None,
    /// Use the capability in `slot` as connsrv's channel to secsrv.
    Security {
        /// The slot (now connsrv's).
        slot: Slot,
        /// connsrv's SID.
        sid: u32,
    },
}

/// A reply: the response, a capability to send with it, and whether the
/// received capability was kept (else the binary deletes it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The response.
    pub response: Response,
    /// A slot whose capability travels with the reply.
    pub cap: Option<Slot>,
    /// The capability received with the request was kept.
    pub kept_cap: bool,
    /// The capability in `cap` is handed over: the binary deletes
    /// connsrv's copy once the reply has been sent.
    pub hand_over: bool,
    /// Extra work.
    pub effect: Effect,
}

impl Reply {
    fn of(r: Result<Response, Errno>) -> Reply {
        Reply {
            response: r.unwrap_or_else(Response::Err),
            cap: None,
            kept_cap: false,
            hand_over: false,
            effect: Effect::None,
        }
    }
}

/// The registry.
pub struct Registry {
    own_ep: Slot,
    services: BTreeMap<String, Service>,
    conns: BTreeMap<u32, Conn>,
    next: u32,
    stats: Stats,
    /// Closed connections not yet taken, per owner task channel, oldest
    /// first.
    closed: BTreeMap<u32, VecDeque<u32>>,
    /// The numbers in `closed` (reserved: never given to a new connection).
    reserved: BTreeSet<u32>,
    /// Notifications to signal when closures become pending, per owner.
    watch: BTreeMap<u32, Slot>,
    /// The notification to signal when the pool runs low, and whether it
    /// was signalled since the last refill.
    pool_watch: Option<(Slot, bool)>,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= NAME_MAX && name.bytes().all(|b| b.is_ascii_graphic())
}

impl Registry {
    /// An empty registry; `own_ep` is connsrv's endpoint (task channels
    /// are minted from it).
    pub fn new(own_ep: Slot) -> Registry {
        Registry::starting_at(own_ep, 1)
    }

    /// An empty registry whose first connection number is `first` (numbers
    /// run to [`MAX_CONN`] and wrap to 1; tests start near the top to
    /// force a wrap).
    pub fn starting_at(own_ep: Slot, first: u32) -> Registry {
        Registry {
            own_ep,
            services: BTreeMap::new(),
            conns: BTreeMap::new(),
            next: first.clamp(1, MAX_CONN),
            stats: Stats::default(),
            closed: BTreeMap::new(),
            reserved: BTreeSet::new(),
            watch: BTreeMap::new(),
            pool_watch: None,
        }
    }

    /// Sets the next connection number to try (`1..=MAX_CONN`). Tests use
    /// it to force a wrap onto a number whose closure is still pending.
    pub fn set_next_conn(&mut self, next: u32) {
        self.next = next.clamp(1, MAX_CONN);
    }

    /// Counters (AVC fields are filled in by the binary).
    pub fn stats(&self) -> Stats {
        Stats {
            services: self.services.len() as u32,
            connections: self.conns.len() as u32,
            pending_closed: self.reserved.len() as u32,
            ..self.stats
        }
    }

    /// The next free connection number: not live, not reserved for a
    /// closure its service has not taken.
    fn alloc_conn(&mut self) -> Result<u32, Errno> {
        for _ in 0..=self.conns.len() + self.reserved.len() {
            let c = self.next;
            self.next = if self.next >= MAX_CONN { 1 } else { self.next + 1 };
            if c != BOOT_CONN && !self.conns.contains_key(&c) && !self.reserved.contains(&c) {
                return Ok(c);
            }
        }
        Err(Errno::ENOSPC)
    }

    fn caller(&self, badge: u64) -> Result<Caller, Errno> {
        if badge == TRUSTED_INIT || badge == TRUSTED_RM {
            return Ok(Caller::Trusted);
        }
        let b = ConnBadge::decode(badge).ok_or(Errno::EBADF)?;
        match self.conns.get(&b.conn) {
            Some(c) if c.kind == Kind::Task && c.sid == b.sid => Ok(Caller::Task(b.conn)),
            _ => Err(Errno::EBADF),
        }
    }

    /// Handles one request that arrived with `badge`; `cap` is the slot
    /// holding a capability that came with it.
    pub fn handle(
        &mut self,
        badge: u64,
        req: Request,
        cap: Option<Slot>,
        caps: &mut dyn Caps,
        sec: &mut dyn Security,
    ) -> Reply {
        let caller = match self.caller(badge) {
            Ok(c) => c,
            Err(e) => return Reply::of(Err(e)),
        };
        let keep = |r: Result<(), Errno>| match r {
            Ok(()) => Reply { kept_cap: true, ..Reply::of(Ok(Response::Ok)) },
            Err(e) => Reply::of(Err(e)),
        };
        match (caller, req) {
            (Caller::Task(ch), Request::Register { name }) => self.register(ch, &name, caps, sec),
            (Caller::Task(ch), Request::Connect { name }) => self.connect(ch, &name, caps, sec),
            (Caller::Task(ch), Request::Disconnect { conn }) => Reply::of(self.disconnect(ch, conn, caps)),
            (Caller::Task(ch), Request::Unregister { name }) => Reply::of(self.unregister(Some(ch), &name, caps)),
            (Caller::Task(ch), Request::TakeClosed) => Reply::of(Ok(Response::Closed(self.take_closed(ch)))),
            (Caller::Task(ch), Request::WhoIs { badge }) => Reply::of(self.who_is(ch, badge, sec)),
            (Caller::Task(ch), Request::WatchClosed) => keep(cap.ok_or(Errno::EINVAL).map(|s| {
                if let Some(old) = self.watch.insert(ch, s) {
                    caps.delete(old);
                }
            })),
            (_, Request::Lookup { name }) => Reply::of(match self.services.get(&name) {
                Some(s) => sec.sid_to_context(s.sid).map(Response::Context),
                None => Err(Errno::ENOENT),
            }),
            (_, Request::Stats) => {
                Reply::of(Ok(Response::Stats(Stats { endpoints: caps.pool_len() as u32, ..self.stats() })))
            }
            (Caller::Trusted, Request::NewTask { pid, context }) => self.new_task(pid, &context, caps, sec),
            (Caller::Trusted, Request::BindPid { conn, pid }) => Reply::of(match self.conns.get_mut(&conn) {
                Some(c) if c.kind == Kind::Task => {
                    c.pid = pid;
                    Ok(Response::Ok)
                }
                _ => Err(Errno::ENOENT),
            }),
            (Caller::Trusted, Request::TaskExited { pid }) => {
                self.task_exited(pid, caps, sec);
                Reply::of(Ok(Response::Ok))
            }
            (Caller::Trusted, Request::RegisterCore { name, context }) => {
                Reply::of(self.register_core(&name, &context, cap, caps, sec).map(|()| Response::Ok))
            }
            (Caller::Trusted, Request::SetSecurity { sid }) => match cap {
                Some(slot) => {
                    Reply { kept_cap: true, effect: Effect::Security { slot, sid }, ..Reply::of(Ok(Response::Ok)) }
                }
                None => Reply::of(Err(Errno::EINVAL)),
            },
            (Caller::Trusted, Request::GiveEndpoint) => keep(cap.ok_or(Errno::EINVAL).map(|s| {
                caps.add_endpoint(s);
                if let Some((_, asked)) = &mut self.pool_watch {
                    *asked = false;
                }
            })),
            (Caller::Trusted, Request::WatchPool) => keep(cap.ok_or(Errno::EINVAL).map(|s| {
                if let Some((old, _)) = self.pool_watch.replace((s, false)) {
                    caps.delete(old);
                }
                self.check_pool(caps);
            })),
            _ => Reply::of(Err(Errno::EPERM)),
        }
    }

    /// Signals the pool watcher if the pool is low and it was not asked
    /// since the last refill.
    fn check_pool(&mut self, caps: &mut dyn Caps) {
        if let Some((w, asked)) = &mut self.pool_watch
            && !*asked
            && caps.pool_len() < POOL_LOW
        {
            *asked = true;
            caps.signal(*w);
        }
    }

    /// The SID of name `name`, for `service register`: a name the policy
    /// gives no context cannot be registered.
    fn name_sid(name: &str, sec: &mut dyn Security) -> Result<u32, Errno> {
        if !valid_name(name) {
            return Err(Errno::EINVAL);
        }
        match sec.service_context(name) {
            Err(Errno::ENOENT) => Err(Errno::EACCES),
            r => r,
        }
    }

    fn register(&mut self, ch: u32, name: &str, caps: &mut dyn Caps, sec: &mut dyn Security) -> Reply {
        let (sid, pid) = self.conns.get(&ch).map_or((0, 0), |c| (c.sid, c.pid));
        let r = (|| {
            let name_sid = Self::name_sid(name, sec)?;
            sec.check(Subject { sid, pid }, name_sid, ServicePerm::Register, name)?;
            if self.services.contains_key(name) {
                return Err(Errno::EEXIST);
            }
            let full = match caps.new_endpoint() {
                Ok(s) => s,
                Err(e) => {
                    self.check_pool(caps);
                    return Err(e);
                }
            };
            // connsrv keeps only the right to send (and mint): the server
            // gets the endpoint with every right, and connsrv's copy of that
            // goes as soon as the reply is sent.
            let ep = match caps.send_only(full) {
                Ok(s) => s,
                Err(e) => {
                    caps.add_endpoint(full);
                    return Err(e);
                }
            };
            self.services.insert(name.into(), Service { sid, owner: ch, ep });
            self.check_pool(caps);
            Ok(full)
        })();
        match r {
            Ok(full) => Reply { cap: Some(full), hand_over: true, ..Reply::of(Ok(Response::Registered)) },
            Err(e) => Reply::of(Err(e)),
        }
    }

    fn connect(&mut self, ch: u32, name: &str, caps: &mut dyn Caps, sec: &mut dyn Security) -> Reply {
        let (csid, pid) = self.conns.get(&ch).map_or((0, 0), |c| (c.sid, c.pid));
        let Some(svc) = self.services.get(name) else { return Reply::of(Err(Errno::ENOENT)) };
        let (ssid, ep, owner) = (svc.sid, svc.ep, svc.owner);
        if let Err(e) = sec.check(Subject { sid: csid, pid }, ssid, ServicePerm::Connect, name) {
            self.stats.denied += 1;
            return Reply::of(Err(e));
        }
        let r = (|| {
            if self.closed.get(&owner).is_some_and(|q| q.len() >= MAX_PENDING_CLOSED) {
                // The service has not taken its closures: backpressure, not
                // a dropped closure or a reused number.
                return Err(Errno::EAGAIN);
            }
            let conn = self.alloc_conn()?;
            let badge = ConnBadge { conn, sid: csid }.encode().ok_or(Errno::ENOSPC)?;
            let slot = caps.mint(ep, badge)?;
            let kind = Kind::Service { name: name.into(), client: ch };
            self.conns.insert(conn, Conn { sid: csid, pid, slot, kind });
            Ok((conn, slot))
        })();
        match r {
            Ok((conn, slot)) => {
                self.stats.granted += 1;
                Reply { cap: Some(slot), ..Reply::of(Ok(Response::Connected { conn, service_sid: ssid })) }
            }
            Err(e) => Reply::of(Err(e)),
        }
    }

    /// Closes connection `conn`: revokes it and, for a service registered
    /// by a task, queues the closure for the service's owner (the number
    /// stays reserved until taken; the owner's watcher is signalled when
    /// its queue was empty).
    fn close(&mut self, conn: u32, caps: &mut dyn Caps) {
        let Some(c) = self.conns.remove(&conn) else { return };
        caps.destroy(c.slot);
        self.stats.revoked += 1;
        let Kind::Service { name, .. } = c.kind else { return };
        let Some(owner) = self.services.get(&name).map(|s| s.owner) else { return };
        if owner == BOOT_CONN {
            return;
        }
        let q = self.closed.entry(owner).or_default();
        q.push_back(conn);
        self.reserved.insert(conn);
        if q.len() == 1
            && let Some(w) = self.watch.get(&owner)
        {
            caps.signal(*w);
        }
    }

    fn disconnect(&mut self, ch: u32, conn: u32, caps: &mut dyn Caps) -> Result<Response, Errno> {
        match self.conns.get(&conn) {
            Some(Conn { kind: Kind::Service { client, .. }, .. }) if *client == ch => {
                self.close(conn, caps);
                Ok(Response::Ok)
            }
            _ => Err(Errno::ENOENT),
        }
    }

    /// Removes service `name` (if `owner` is given, only the owner may):
    /// every connection to it is revoked (the closures stay queued for the
    /// owner), then connsrv's send-only copy of the endpoint is deleted.
    /// The server keeps its receive capability until it exits.
    fn unregister(&mut self, owner: Option<u32>, name: &str, caps: &mut dyn Caps) -> Result<Response, Errno> {
        let s = self.services.get(name).ok_or(Errno::ENOENT)?;
        if owner.is_some_and(|o| o != s.owner) {
            return Err(Errno::EPERM);
        }
        let conns: Vec<u32> = self
            .conns
            .iter()
            .filter(|(_, c)| matches!(&c.kind, Kind::Service { name: n, .. } if n == name))
            .map(|(k, _)| *k)
            .collect();
        for c in conns {
            self.close(c, caps);
        }
        if let Some(s) = self.services.remove(name) {
            caps.destroy(s.ep);
        }
        Ok(Response::Ok)
    }

    /// The owner `ch`'s oldest closures (at most [`CLOSED_PER_REPLY`]);
    /// their numbers are free again.
    fn take_closed(&mut self, ch: u32) -> Vec<u32> {
        let Some(q) = self.closed.get_mut(&ch) else { return Vec::new() };
        let n = CLOSED_PER_REPLY.min(q.len());
        let out: Vec<u32> = q.drain(..n).collect();
        if q.is_empty() {
            self.closed.remove(&ch);
        }
        for c in &out {
            self.reserved.remove(c);
        }
        out
    }

    fn who_is(&mut self, ch: u32, badge: u64, sec: &mut dyn Security) -> Result<Response, Errno> {
        let b = ConnBadge::decode(badge).ok_or(Errno::EINVAL)?;
        let c = self.conns.get(&b.conn).filter(|c| c.sid == b.sid).ok_or(Errno::ENOENT)?;
        let Kind::Service { name, .. } = &c.kind else { return Err(Errno::EPERM) };
        if self.services.get(name).is_none_or(|s| s.owner != ch) {
            return Err(Errno::EPERM);
        }
        let (conn, pid, sid) = (b.conn, c.pid, c.sid);
        Ok(Response::Peer(Peer { conn, pid, sid, context: sec.sid_to_context(sid)? }))
    }

    fn new_task(&mut self, pid: u32, context: &str, caps: &mut dyn Caps, sec: &mut dyn Security) -> Reply {
        let r = (|| {
            if context.len() > CONTEXT_MAX {
                return Err(Errno::EINVAL);
            }
            let sid = sec.context_to_sid(context)?;
            let conn = self.alloc_conn()?;
            let badge = ConnBadge { conn, sid }.encode().ok_or(Errno::ENOSPC)?;
            let slot = caps.mint(self.own_ep, badge)?;
            self.conns.insert(conn, Conn { sid, pid, slot, kind: Kind::Task });
            Ok((conn, sid, slot))
        })();
        match r {
            Ok((conn, sid, slot)) => Reply { cap: Some(slot), ..Reply::of(Ok(Response::Channel { conn, sid })) },
            Err(e) => Reply::of(Err(e)),
        }
    }

    /// A core service: init names its context and gives a capability to
    /// its endpoint, of which connsrv keeps a send-only copy (the received
    /// capability is deleted by the binary).
    fn register_core(
        &mut self,
        name: &str,
        context: &str,
        cap: Option<Slot>,
        caps: &mut dyn Caps,
        sec: &mut dyn Security,
    ) -> Result<(), Errno> {
        let got = cap.ok_or(Errno::EINVAL)?;
        if context.len() > CONTEXT_MAX {
            return Err(Errno::EINVAL);
        }
        let name_sid = Self::name_sid(name, sec)?;
        let sid = sec.context_to_sid(context)?;
        // init asks, on the service's behalf (rm-api's INIT_PID).
        sec.check(Subject { sid, pid: INIT_PID }, name_sid, ServicePerm::Register, name)?;
        if self.services.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ep = caps.send_only(got)?;
        self.services.insert(name.into(), Service { sid, owner: BOOT_CONN, ep });
        Ok(())
    }

    /// Revokes everything task `pid` holds from connsrv: its connections,
    /// its services (and their connections) and its channel; its pending
    /// closures are dropped with it (its state is gone), which frees their
    /// numbers; and drops the hold on the SID its channel carried (taken by
    /// `NewTask`).
    pub fn task_exited(&mut self, pid: u32, caps: &mut dyn Caps, sec: &mut dyn Security) {
        let chans: Vec<u32> =
            self.conns.iter().filter(|(_, c)| c.pid == pid && c.kind == Kind::Task).map(|(k, _)| *k).collect();
        for ch in chans {
            let mine: Vec<u32> = self
                .conns
                .iter()
                .filter(|(_, c)| matches!(c.kind, Kind::Service { client, .. } if client == ch))
                .map(|(k, _)| *k)
                .collect();
            for c in mine {
                self.close(c, caps);
            }
            let owned: Vec<String> =
                self.services.iter().filter(|(_, s)| s.owner == ch).map(|(n, _)| n.clone()).collect();
            for n in owned {
                let _ = self.unregister(None, &n, caps);
            }
            for c in self.closed.remove(&ch).unwrap_or_default() {
                self.reserved.remove(&c);
            }
            if let Some(w) = self.watch.remove(&ch) {
                caps.delete(w);
            }
            let sid = self.conns.get(&ch).map(|c| c.sid);
            self.close(ch, caps);
            if let Some(sid) = sid {
                sec.release_sid(sid);
            }
        }
    }

    /// The endpoint slot of service `name` (connsrv's send-only copy).
    pub fn service_endpoint(&self, name: &str) -> Option<Slot> {
        self.services.get(name).map(|s| s.ep)
    }
}
