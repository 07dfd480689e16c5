//! secsrv, the security server (docs/security-architecture.md §3).
//!
//! init starts it with its endpoint as the named capability `endpoint` and
//! its own context as `argv[1]`, uploads the boot policies through its boot
//! channel ([`rampart_secsrv_api::INIT_BADGE`]) and loads the one the
//! kernel command line chose. From then on secsrv answers requests from
//! connections minted by connsrv; all logic is in `rampart-secsrv-core`.
//! On every policy change it signals the subscribed object servers before
//! replying, so their next receive refreshes their AVC.
//!
//! **secsrv never calls rm.** init starts it with a fixed heap
//! (`Spawn::fixed_heap`, [`rampart_secsrv_api::HEAP_BYTES`]): the
//! runtime's allocator then never asks rm to grow it, and nothing here
//! sends to rm (the receive loop replies and signals notifications only).
//! Everything secsrv keeps is bounded to fit that heap: the store, the
//! policy and a reload's budget (checked against the free heap before a
//! load), the SID table and its holds, the audit ring, the subscribers
//! (docs/security-architecture.md §3, "Memory").
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use rampart_rt::cap::{CNode, Endpoint, Notification, Reply};
use rampart_rt::dprintln;
use rampart_rt::server::{Server, Service, Step};
use rampart_secsrv_api::{Request, Response};
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// Where received capabilities land.
const RECV: u64 = slot::FIRST_FREE;
/// Subscribers' notifications live in the slots after it.
const SUBSCRIBERS: u64 = 64;

fn main() -> i32 {
    let Some(ep) = rampart_rt::startup::named_cap("endpoint") else {
        rampart_rt::pr_err!("secsrv: no endpoint");
        return 2;
    };
    let args = rampart_rt::process::args();
    let context = args.get(1).map_or("system_u:system_r:secsrv_t", |s| s.as_str());
    let permissive = args.iter().any(|a| a == "permissive");
    let mut srv = SecServer::new(context, permissive);
    srv.set_clock(rampart_rt::clock::unix_time_ms);
    srv.set_free_heap(|| {
        let (used, size) = rampart_rt::heap::usage();
        size.saturating_sub(used)
    });
    dprintln!("secsrv: ready ({context})");
    let mut server = Server::new(Endpoint(ep), Reply(slot::REPLY));
    server.set_receive_slot(CNode(slot::CNODE), RECV);
    server.serve(&mut Secsrv { srv, subs: Subscribers::default() })
}

/// Notifications secsrv signals: on policy changes (object servers) and on
/// new audit records (the audit daemon).
#[derive(Default)]
struct Subscribers {
    policy: Vec<Notification>,
    audit: Vec<Notification>,
}

/// The security server on the shared skeleton (`rampart_rt::server`):
/// requests and replies of at most four words stay in registers, so the
/// decision path never touches the IPC buffer.
struct Secsrv {
    srv: SecServer,
    /// Notifications signalled on policy changes and new audit records.
    subs: Subscribers,
}

impl Service for Secsrv {
    type Request = Request;
    type Response = Response;

    fn error(&mut self, e: Errno) -> Response {
        Response::Err(e)
    }

    /// secsrv has no bound notification: an empty message is a request
    /// (and malformed).
    fn is_signal(&self, _: u64) -> bool {
        false
    }

    fn request(&mut self, server: &mut Server, badge: u64, req: Request) -> Step<Response> {
        let Some(caller) = Caller::from_badge(badge) else { return Step::Reply(Response::Err(Errno::EBADF)) };
        Step::Reply(handle(&mut self.srv, &mut self.subs, caller, req, server))
    }
}

fn handle(srv: &mut SecServer, subs: &mut Subscribers, caller: Caller, req: Request, server: &mut Server) -> Response {
    if req == Request::Subscribe || req == Request::SubscribeAudit {
        return match subscribe(srv, subs, caller, server, req == Request::SubscribeAudit) {
            Ok(()) => Response::Ok,
            Err(e) => Response::Err(e),
        };
    }
    let load = matches!(req, Request::PolicyLoad { .. });
    let records = srv.audit_ring().total();
    let out = srv.handle(caller, req);
    if srv.audit_ring().total() != records {
        for n in &subs.audit {
            n.signal();
        }
    }
    if out.notify {
        for n in &subs.policy {
            n.signal();
        }
        if load {
            let st = srv.status();
            dprintln!("secsrv: loaded policy {} (model {}, seqno {})", st.policy, st.model, st.seqno);
        }
    }
    out.response
}

/// Adds the received notification to the policy-change subscribers, or
/// (`audit`) to the audit trail's.
fn subscribe(
    srv: &mut SecServer,
    subs: &mut Subscribers,
    caller: Caller,
    server: &mut Server,
    audit: bool,
) -> Result<(), Errno> {
    if audit {
        srv.subscribe_audit(caller)?;
    } else {
        srv.may_subscribe(caller)?;
    }
    if !server.received_cap() {
        return Err(Errno::EINVAL);
    }
    let n = subs.policy.len() + subs.audit.len();
    if n >= 192 || (audit && subs.audit.len() >= 4) {
        return Err(Errno::ENOSPC);
    }
    let dst = SUBSCRIBERS + n as u64;
    let cn = CNode(slot::CNODE);
    cn.move_(dst, 64, cn.path(RECV, 64)).map_err(|_| Errno::EIO)?;
    server.take_cap();
    if audit {
        subs.audit.push(Notification(dst));
    } else {
        subs.policy.push(Notification(dst));
    }
    Ok(())
}
