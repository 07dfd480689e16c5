//! The registry: services, connections, and the request handling that
//! mediates them. Kernel capability operations and policy questions go
//! through the [`Caps`] and [`Security`] traits, so this runs on the host.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_connsrv_api::{
    BOOT_CONN, CLOSED_PER_REPLY, CONTEXT_MAX, ConnBadge, MAX_CONN, NAME_MAX, Peer, Request, Response, Stats,
    TRUSTED_INIT, TRUSTED_RM,
};
use rampart_uabi::Errno;

/// A slot of connsrv's CNode.
pub type Slot = u64;

/// The kernel operations connsrv needs.
pub trait Caps {
    /// A fresh endpoint (from the pool init fills); returns its slot.
    ///
    /// # Errors
    /// `ENOSPC` (pool empty).
    fn new_endpoint(&mut self) -> Result<Slot, Errno>;
    /// Mints a copy of the endpoint in `src` with `badge` and the rights
    /// Write, Grant and GrantReply into a new slot; returns it.
    ///
    /// # Errors
    /// `ENOSPC`, `EIO` (the kernel refused).
    fn mint(&mut self, src: Slot, badge: u64) -> Result<Slot, Errno>;
    /// Revokes every capability derived from `slot`, deletes it and frees
    /// the slot.
    fn destroy(&mut self, slot: Slot);
}

/// The `service` class permissions connsrv checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServicePerm {
    /// `service connect`: client → service.
    Connect,
    /// `service register`: server → itself.
    Register,
}

/// The policy questions connsrv asks the security server.
pub trait Security {
    /// The SID of `context`, held by connsrv until [`Security::release_sid`]
    /// (a task's channel carries its SID in the badge).
    ///
    /// # Errors
    /// `EINVAL` (invalid context), `EAGAIN` (no security server yet),
    /// `ENOSPC` (connsrv's SID limit).
    fn context_to_sid(&mut self, context: &str) -> Result<u32, Errno>;
    /// Drops connsrv's hold on `sid` (from [`Security::context_to_sid`]):
    /// the security server reclaims a SID nobody holds. Failures are
    /// ignored (the SID then stays).
    fn release_sid(&mut self, sid: u32);
    /// The context of `sid`.
    ///
    /// # Errors
    /// `ENOENT`.
    fn sid_to_context(&mut self, sid: u32) -> Result<String, Errno>;
    /// Checks `service perm` from `ssid` to `tsid` (audited with `object`).
    ///
    /// # Errors
    /// `EACCES` when denied.
    fn check(&mut self, ssid: u32, tsid: u32, perm: ServicePerm, object: &str) -> Result<(), Errno>;
}

#[derive(Clone, Debug)]
struct Service {
    sid: u32,
    /// The owner's task channel ([`BOOT_CONN`] for core services).
    owner: u32,
    ep: Slot,
    closed: Vec<u32>,
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
    /// Add the endpoint in `slot` to the pool [`Caps::new_endpoint`] takes
    /// from.
    Endpoint {
        /// The slot.
        slot: Slot,
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
    /// Extra work.
    pub effect: Effect,
}

impl Reply {
    fn of(r: Result<Response, Errno>) -> Reply {
        Reply { response: r.unwrap_or_else(Response::Err), cap: None, kept_cap: false, effect: Effect::None }
    }
}

/// The registry.
pub struct Registry {
    own_ep: Slot,
    services: BTreeMap<String, Service>,
    conns: BTreeMap<u32, Conn>,
    next: u32,
    stats: Stats,
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= NAME_MAX && name.bytes().all(|b| b.is_ascii_graphic())
}

impl Registry {
    /// An empty registry; `own_ep` is connsrv's endpoint (task channels
    /// are minted from it).
    pub fn new(own_ep: Slot) -> Registry {
        Registry { own_ep, services: BTreeMap::new(), conns: BTreeMap::new(), next: 1, stats: Stats::default() }
    }

    /// Counters (AVC fields are filled in by the binary).
    pub fn stats(&self) -> Stats {
        Stats { services: self.services.len() as u32, connections: self.conns.len() as u32, ..self.stats }
    }

    fn alloc_conn(&mut self) -> Result<u32, Errno> {
        for _ in 0..=self.conns.len() {
            let c = self.next;
            self.next = if self.next >= MAX_CONN { 1 } else { self.next + 1 };
            if c != BOOT_CONN && !self.conns.contains_key(&c) {
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
        match (caller, req) {
            (Caller::Task(ch), Request::Register { name }) => self.register(ch, &name, caps, sec),
            (Caller::Task(ch), Request::Connect { name }) => self.connect(ch, &name, caps, sec),
            (Caller::Task(ch), Request::Disconnect { conn }) => Reply::of(self.disconnect(ch, conn, caps)),
            (Caller::Task(ch), Request::Unregister { name }) => Reply::of(self.unregister(Some(ch), &name, caps)),
            (Caller::Task(ch), Request::TakeClosed) => Reply::of(Ok(Response::Closed(self.take_closed(ch)))),
            (Caller::Task(ch), Request::WhoIs { badge }) => Reply::of(self.who_is(ch, badge, sec)),
            (_, Request::Lookup { name }) => Reply::of(match self.services.get(&name) {
                Some(s) => sec.sid_to_context(s.sid).map(Response::Context),
                None => Err(Errno::ENOENT),
            }),
            (_, Request::Stats) => Reply::of(Ok(Response::Stats(self.stats()))),
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
            (Caller::Trusted, Request::RegisterCore { name, context }) => self.register_core(&name, &context, cap, sec),
            (Caller::Trusted, Request::SetSecurity { sid }) => match cap {
                Some(slot) => {
                    Reply { kept_cap: true, effect: Effect::Security { slot, sid }, ..Reply::of(Ok(Response::Ok)) }
                }
                None => Reply::of(Err(Errno::EINVAL)),
            },
            (Caller::Trusted, Request::GiveEndpoint) => match cap {
                Some(slot) => {
                    Reply { kept_cap: true, effect: Effect::Endpoint { slot }, ..Reply::of(Ok(Response::Ok)) }
                }
                None => Reply::of(Err(Errno::EINVAL)),
            },
            _ => Reply::of(Err(Errno::EPERM)),
        }
    }

    fn register(&mut self, ch: u32, name: &str, caps: &mut dyn Caps, sec: &mut dyn Security) -> Reply {
        let sid = self.conns.get(&ch).map_or(0, |c| c.sid);
        let r = (|| {
            if !valid_name(name) {
                return Err(Errno::EINVAL);
            }
            sec.check(sid, sid, ServicePerm::Register, name)?;
            if self.services.contains_key(name) {
                return Err(Errno::EEXIST);
            }
            let ep = caps.new_endpoint()?;
            self.services.insert(name.into(), Service { sid, owner: ch, ep, closed: Vec::new() });
            Ok(ep)
        })();
        match r {
            Ok(ep) => Reply { cap: Some(ep), ..Reply::of(Ok(Response::Registered)) },
            Err(e) => Reply::of(Err(e)),
        }
    }

    fn connect(&mut self, ch: u32, name: &str, caps: &mut dyn Caps, sec: &mut dyn Security) -> Reply {
        let (csid, pid) = self.conns.get(&ch).map_or((0, 0), |c| (c.sid, c.pid));
        let Some(svc) = self.services.get(name) else { return Reply::of(Err(Errno::ENOENT)) };
        let (ssid, ep) = (svc.sid, svc.ep);
        if let Err(e) = sec.check(csid, ssid, ServicePerm::Connect, name) {
            self.stats.denied += 1;
            return Reply::of(Err(e));
        }
        let r = (|| {
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

    fn close(&mut self, conn: u32, caps: &mut dyn Caps) {
        if let Some(c) = self.conns.remove(&conn) {
            caps.destroy(c.slot);
            self.stats.revoked += 1;
            if let Kind::Service { name, .. } = c.kind
                && let Some(s) = self.services.get_mut(&name)
                && s.closed.len() < 4096
            {
                s.closed.push(conn);
            }
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
            // Revoking the endpoint's original also removes the server's
            // receive capability (and any copy a connection could hold).
            caps.destroy(s.ep);
        }
        Ok(Response::Ok)
    }

    fn take_closed(&mut self, ch: u32) -> Vec<u32> {
        let mut out = Vec::new();
        for s in self.services.values_mut().filter(|s| s.owner == ch) {
            let n = (CLOSED_PER_REPLY - out.len()).min(s.closed.len());
            out.extend(s.closed.drain(..n));
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

    fn register_core(&mut self, name: &str, context: &str, cap: Option<Slot>, sec: &mut dyn Security) -> Reply {
        let r = (|| {
            let ep = cap.ok_or(Errno::EINVAL)?;
            if !valid_name(name) || context.len() > CONTEXT_MAX {
                return Err(Errno::EINVAL);
            }
            if self.services.contains_key(name) {
                return Err(Errno::EEXIST);
            }
            let sid = sec.context_to_sid(context)?;
            self.services.insert(name.into(), Service { sid, owner: BOOT_CONN, ep, closed: Vec::new() });
            Ok(())
        })();
        match r {
            Ok(()) => Reply { kept_cap: true, ..Reply::of(Ok(Response::Ok)) },
            Err(e) => Reply::of(Err(e)),
        }
    }

    /// Revokes everything task `pid` holds from connsrv: its connections,
    /// its services (and their connections) and its channel, and drops the
    /// hold on the SID its channel carried (taken by `NewTask`).
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
            let sid = self.conns.get(&ch).map(|c| c.sid);
            self.close(ch, caps);
            if let Some(sid) = sid {
                sec.release_sid(sid);
            }
        }
    }

    /// The endpoint slot of service `name` (connsrv's own use, e.g. its
    /// channel to secsrv).
    pub fn service_endpoint(&self, name: &str) -> Option<Slot> {
        self.services.get(name).map(|s| s.ep)
    }
}
