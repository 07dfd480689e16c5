//! The server loop (docs/network.md §3): receive a request or a
//! notification, hand it to the core, run the stack, answer held requests
//! that completed, signal readiness, and receive again.
//!
//! Held requests keep their caller's reply object: the loop swaps a spare
//! one in ([`Loop::hold`]) and answers through the saved one later. With
//! no spare left the request is withdrawn from the core and answered
//! `ENOBUFS`.
//!
//! Time: with nothing to time ([`NetServer::poll_at`] is `None`) the loop
//! blocks in `Recv`. While a deadline is pending it polls its endpoint
//! without blocking and yields at [`crate::IDLE_PRIORITY`] (the programs'
//! priority), so the stack's timers run whenever programs wait or yield,
//! and returns to its priority as soon as something arrives.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use rampart_abi::{MessageInfo, Rights, Syscall};
use rampart_connsrv_api::clients::Clients;
use rampart_connsrv_api::rt::Channel;
use rampart_connsrv_api::{ConnBadge, EVENT_CLOSED};
use rampart_net::{ConnId, NetServer, Outcome, Regions, Ticket};
use rampart_net_api::SharedRegion;
use rampart_net_api::{Errno, Request, Response, errno};
use rampart_netdrv_api::NetClient;
use rampart_netdrv_api::rt::NtfnSignal;
use rampart_rt::cap::{CPtr, Endpoint, Notification, Reply, Tcb};
use rampart_rt::ipc::codec::{Message, Outgoing, reply_with};
use rampart_rt::rm::Region;
use rampart_rt::shared::SharedBytes;
use rampart_rt::syscall::raw;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::startup::slot;

use crate::sec::{self, SecIpc};
use crate::{CLOSED_POLL, CNODE, IDLE_PRIORITY, now_ms};

/// The core as the guest runs it.
pub type Core = NetServer<NetClient<NtfnSignal>, SecIpc>;

/// Each connection's shared region, mapped through rm, with its view
/// (copies only: the client may write the region at any moment).
#[derive(Default)]
pub struct Maps(BTreeMap<ConnId, (Region, SharedBytes)>);

impl Maps {
    /// Keeps `r` as `conn`'s region; returns the one it replaces.
    fn insert(&mut self, conn: ConnId, r: Region) -> Option<Region> {
        #[allow(unsafe_code)] // a view of the region (SharedBytes::new's contract)
        // SAFETY: rm mapped the region read-write for this connection,
        // `bytes` long; it is unmapped only when replaced or on disconnect
        // (both in this loop, after its entry and view are removed here).
        let view = unsafe { SharedBytes::new(r.vaddr as *mut u8, r.bytes as usize) };
        self.0.insert(conn, (r, view)).map(|(old, _)| old)
    }

    /// Forgets `conn`'s region; returns it.
    fn remove(&mut self, conn: ConnId) -> Option<Region> {
        self.0.remove(&conn).map(|(r, _)| r)
    }
}

impl Regions for Maps {
    fn region(&mut self, conn: ConnId) -> &mut dyn SharedRegion {
        match self.0.get_mut(&conn) {
            Some((_, view)) => view,
            None => rampart_net::no_region(),
        }
    }
}

/// A client connection as the loop knows it.
struct Conn {
    id: ConnId,
    /// The client's readiness notification (slot), if attached.
    ntfn: Option<CPtr>,
    /// The client's pid for the audit trail, asked of connsrv (`WhoIs`)
    /// the first time one of its decisions is audited.
    pid: Option<u32>,
    /// The badge of its endpoint capability (what `WhoIs` takes).
    badge: u64,
}

/// The loop's state.
pub struct Loop {
    core: Core,
    maps: Maps,
    conns: Clients<Conn>,
    ch: Channel,
    ep: Endpoint,
    audit: Ipc,
    reply: Reply,
    spare: Vec<Reply>,
    held: BTreeMap<Ticket, Reply>,
    recv: CPtr,
    token_slot: CPtr,
    next_slot: CPtr,
    free_slots: Vec<CPtr>,
    requests: u32,
    idle: bool,
}

fn errno_reply(e: Errno) -> Outgoing {
    encode(&Response::Err(e))
}

fn encode(r: &Response) -> Outgoing {
    Outgoing::encode(r).unwrap_or_else(|_| Outgoing::raw(0))
}

impl Loop {
    /// The loop over `core`, serving `ep`; `spare` reply objects for held
    /// requests; slots from `first_free` on are free.
    pub fn new(core: Core, ch: Channel, ep: Endpoint, audit: Ipc, spare: Vec<Reply>, first_free: CPtr) -> Loop {
        Loop {
            core,
            maps: Maps::default(),
            conns: Clients::new(),
            ch,
            ep,
            audit,
            reply: Reply(slot::REPLY),
            spare,
            held: BTreeMap::new(),
            recv: first_free,
            token_slot: first_free + 1,
            next_slot: first_free + 2,
            free_slots: Vec::new(),
            requests: 0,
            idle: false,
        }
    }

    fn slot(&mut self) -> CPtr {
        self.free_slots.pop().unwrap_or_else(|| {
            self.next_slot += 1;
            self.next_slot - 1
        })
    }

    fn free_slot(&mut self, s: CPtr) {
        let _ = CNODE.delete(s, 64);
        self.free_slots.push(s);
    }

    fn set_idle(&mut self, idle: bool) {
        if self.idle != idle {
            self.idle = idle;
            let me = Tcb(slot::TCB);
            let _ = me.set_priority(me, if idle { IDLE_PRIORITY } else { crate::dev::SERVER_PRIORITY });
        }
    }

    /// Runs forever.
    pub fn run(mut self) -> ! {
        let mut out: Option<Outgoing> = None;
        loop {
            if let Some(b) = rampart_rt::buffer::current() {
                b.set_receive_slot(CNODE, self.recv, 64);
            }
            let r = match self.core.poll_at() {
                None => {
                    self.set_idle(false);
                    match out.take() {
                        Some(o) => {
                            let (info, regs) = o.stage();
                            raw(Syscall::ReplyRecv, self.ep.0, info, regs, self.reply.0)
                        }
                        None => raw(Syscall::Recv, self.ep.0, MessageInfo(0), [0; 4], self.reply.0),
                    }
                }
                Some(deadline) => {
                    if let Some(o) = out.take() {
                        reply_with(self.reply, &o);
                    }
                    let r = raw(Syscall::NBRecv, self.ep.0, MessageInfo(0), [0; 4], self.reply.0);
                    if r.badge == 0 && r.info.0 == 0 {
                        if now_ms() >= deadline {
                            self.set_idle(false);
                            self.after();
                        } else {
                            self.set_idle(true);
                            rampart_rt::syscall::yield_now();
                        }
                        continue;
                    }
                    r
                }
            };
            self.set_idle(false);
            let m = Message::from_result(&r);
            let (reply, keep_cap) = self.message(&m);
            if m.received_cap() && !keep_cap {
                let _ = CNODE.delete(self.recv, 64);
            }
            self.after();
            out = reply;
        }
    }

    /// Runs the core after an event, then answers completed held requests,
    /// signals readiness and forwards audit records.
    fn after(&mut self) {
        self.core.poll(now_ms(), &mut self.maps);
        for (t, resp) in self.core.take_replies() {
            if let Some(r) = self.held.remove(&t) {
                reply_with(r, &encode(&resp));
                self.spare.push(r);
            }
        }
        for c in self.core.take_signals() {
            if let Some(n) = self.conns.values().find(|x| x.id == c).and_then(|x| x.ntfn) {
                Notification(n).signal();
            }
        }
        self.report_audit();
    }

    /// Handles one message: the reply to send now (`None`: a notification,
    /// or the caller is held) and whether the received capability was
    /// kept.
    fn message(&mut self, m: &Message) -> (Option<Outgoing>, bool) {
        if ConnBadge::decode(m.badge).is_none() {
            // The driver's signal (frames moved), a child event, secsrv's
            // policy change, connsrv's closed connections, or a call on a
            // token capability (never a connection): nothing more to do but
            // run the stack, which `after` does.
            if m.label() == 0 {
                if m.badge & rampart_secsrv_api::EVENT_POLICY != 0
                    && let Err(e) = self.core.mac.policy_changed()
                {
                    rampart_rt::pr_err!("net: cannot refresh after a policy change: {e}");
                }
                if m.badge & EVENT_CLOSED != 0 {
                    self.collect_closed();
                }
                return (None, false);
            }
            return (Some(errno_reply(Errno::EBADF)), false);
        }
        self.requests = self.requests.wrapping_add(1);
        if self.requests.is_multiple_of(CLOSED_POLL) {
            self.collect_closed();
        }
        let req = match m.decode::<Request>() {
            Ok(r) => match r.validate() {
                Ok(()) => r,
                Err(e) => return (Some(errno_reply(e)), false),
            },
            Err(e) => return (Some(errno_reply(Errno(e.errno().0))), false),
        };
        let core = &mut self.core;
        let conn_badge = m.badge;
        let Some(c) = self.conns.entry(conn_badge, |b| Conn {
            id: core.connect(b.sid),
            ntfn: None,
            pid: None,
            badge: conn_badge,
        }) else {
            return (Some(errno_reply(Errno::EBADF)), false);
        };
        let id = c.id;
        let mut keep = false;
        match req {
            Request::AttachRegion { .. } => {
                if !m.received_cap() {
                    return (Some(errno_reply(Errno::EINVAL)), false);
                }
                match rampart_rt::rm::region_map(self.recv) {
                    Ok(r) => {
                        if let Some(old) = self.maps.insert(id, r) {
                            let _ = rampart_rt::rm::region_free(old.id);
                        }
                    }
                    Err(e) => return (Some(errno_reply(e)), false),
                }
            }
            Request::AttachNotification => {
                if !m.received_cap() {
                    return (Some(errno_reply(Errno::EINVAL)), false);
                }
                // Keep the notification: its slot becomes the
                // connection's, a fresh slot receives from now on.
                let old = self.conns.get_mut(m.badge).and_then(|c| c.ntfn.replace(self.recv));
                if let Some(o) = old {
                    self.free_slot(o);
                }
                self.recv = self.slot();
                keep = true;
            }
            _ => {}
        }
        let badge = m.unwrapped_badge(0);
        let out = match self.core.handle(id, req, badge, &mut self.maps) {
            Outcome::Reply(Response::Token(t)) => self.token(t),
            Outcome::Reply(r) => Some(encode(&r)),
            Outcome::Held(t) => self.hold(t),
        };
        self.report_audit();
        (out, keep)
    }

    /// Keeps the current caller waiting for held request `t`.
    fn hold(&mut self, t: Ticket) -> Option<Outgoing> {
        match self.spare.pop() {
            Some(fresh) => {
                let saved = core::mem::replace(&mut self.reply, fresh);
                self.held.insert(t, saved);
                None
            }
            None => {
                self.core.cancel(t);
                Some(errno_reply(errno::ENOBUFS))
            }
        }
    }

    /// The reply to `ShareHandle`: a capability to the endpoint badged
    /// with the token.
    fn token(&mut self, t: u64) -> Option<Outgoing> {
        let _ = CNODE.delete(self.token_slot, 64);
        let rights = Rights(Rights::WRITE.0 | Rights::GRANT.0);
        if CNODE.mint(self.token_slot, 64, CNODE.path(self.ep.0, 64), rights, t).is_err() {
            return Some(errno_reply(Errno::EIO));
        }
        Some(
            Outgoing::encode(&Response::Token(t))
                .map_or_else(|_| errno_reply(Errno::EIO), |o| o.with_cap(self.token_slot)),
        )
    }

    /// The pid of the client whose connection is `subject` (the core tags
    /// each audit entry with the connection it decided for, see
    /// `ObjectManager::set_subject`), asked of connsrv once per connection
    /// (0 if it cannot say, or for a decision made for no client).
    fn subject_pid(&mut self, subject: u64) -> u32 {
        let Loop { ch, conns, .. } = self;
        let Some(c) = conns.values_mut().find(|c| u64::from(c.id.0) == subject) else { return 0 };
        let badge = c.badge;
        *c.pid.get_or_insert_with(|| rampart_connsrv_api::client::who_is(ch, badge).map_or(0, |p| p.pid))
    }

    /// Sends the pending audit records to secsrv, each with the pid of
    /// the client it was decided for: the request being answered, or a
    /// held request of another client decided again (after a policy
    /// change) while the stack progressed.
    fn report_audit(&mut self) {
        let entries = self.core.mac.take_audit();
        for e in entries {
            let rec = e.record;
            let pid = self.subject_pid(e.subject);
            let line = sec::describe(&mut self.core.mac.om, &e);
            rampart_rt::pr_debug!("net: {line} pid={pid}");
            let sub = rampart_secsrv_api::AuditSubmit {
                ssid: rec.ssid,
                tsid: rec.tsid,
                class: rec.class,
                perms: rec.perms,
                denied: rec.denied,
                enforced: rec.enforced,
                seqno: rec.seqno,
                object: e.object,
                pid,
            };
            let _ = Client(self.audit).audit(sub);
        }
    }

    /// Forgets the connections connsrv closed (their clients ended): their
    /// sockets close, held requests are dropped, regions freed; before any
    /// other request is handled (connsrv may reuse a taken number).
    fn collect_closed(&mut self) {
        let mut gone = Vec::new();
        let Loop { ch, conns, .. } = self;
        let _ = rampart_connsrv_api::client::drain_closed(ch, |c| gone.extend(conns.closed(c)));
        for conn in gone {
            for t in self.core.disconnect(conn.id) {
                if let Some(r) = self.held.remove(&t) {
                    self.spare.push(r);
                }
            }
            if let Some(r) = self.maps.remove(conn.id) {
                let _ = rampart_rt::rm::region_free(r.id);
            }
            if let Some(n) = conn.ntfn {
                self.free_slot(n);
            }
        }
    }
}
