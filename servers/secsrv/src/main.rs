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
use rampart_abi::MessageInfo;
use rampart_rt::cap::{CNode, Endpoint, Notification, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Message, Outgoing};
use rampart_rt::ipc::{self, IpcResult};
use rampart_secsrv_api::small::{decode4, encode4};
use rampart_secsrv_api::{Request, Response};
use rampart_secsrv_core::{Caller, SecServer};
use rampart_uabi::Errno;
use rampart_uabi::codec::CodecError;
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
    let mut subs = Subscribers::default();
    dprintln!("secsrv: ready ({context})");
    serve(Endpoint(ep), &mut srv, &mut subs)
}

/// Notifications secsrv signals: on policy changes (object servers) and on
/// new audit records (the audit daemon).
#[derive(Default)]
struct Subscribers {
    policy: Vec<Notification>,
    audit: Vec<Notification>,
}

/// The receive loop. Requests and replies of at most four words stay in
/// registers (`rampart_secsrv_api::small`): the decision path never
/// touches the IPC buffer. Longer ones use the general codec.
fn serve(ep: Endpoint, srv: &mut SecServer, subs: &mut Subscribers) -> ! {
    let cn = CNode(slot::CNODE);
    let reply = Reply(slot::REPLY);
    let arm = || {
        if let Some(b) = rampart_rt::buffer::current() {
            b.set_receive_slot(cn, RECV, 64);
        }
    };
    arm();
    let mut r = ipc::recv(ep, reply.0);
    loop {
        let resp = if r.info.length() <= 4 && r.info.extra_caps() == 0 {
            match (Caller::from_badge(r.badge), decode4::<Request>(r.info.label(), &r.mrs)) {
                (None, _) => Response::Err(Errno::EBADF),
                (Some(c), Ok(req)) => handle(srv, subs, c, req, None),
                (Some(_), Err(CodecError::TooLong)) => general(srv, subs, &r),
                (Some(_), Err(e)) => Response::Err(e.errno()),
            }
        } else {
            general(srv, subs, &r)
        };
        let info_caps = r.info.extra_caps() > r.info.caps_unwrapped().count_ones() as usize;
        if info_caps {
            // Not moved away by `Subscribe`: free the slot (a no-op if empty).
            let _ = cn.delete(RECV, 64);
            arm();
        }
        r = match encode4(&resp) {
            Some((label, w, n)) => ipc::reply_recv(ep, MessageInfo::new(label, 0, 0, n as u64), w, reply),
            None => {
                let out = Outgoing::encode(&resp).unwrap_or_else(|_| Outgoing::raw(0));
                let (info, regs) = out.stage();
                ipc::reply_recv(ep, info, regs, reply)
            }
        };
    }
}

/// A message that needs the IPC buffer (long, or carrying a capability).
fn general(srv: &mut SecServer, subs: &mut Subscribers, r: &IpcResult) -> Response {
    let m = Message::from_result(r);
    let Some(caller) = Caller::from_badge(m.badge) else { return Response::Err(Errno::EBADF) };
    match m.decode::<Request>() {
        Ok(req) => handle(srv, subs, caller, req, Some(&m)),
        Err(e) => Response::Err(e.errno()),
    }
}

fn handle(srv: &mut SecServer, subs: &mut Subscribers, caller: Caller, req: Request, m: Option<&Message>) -> Response {
    if req == Request::Subscribe || req == Request::SubscribeAudit {
        return match subscribe(srv, subs, caller, m.is_some_and(Message::received_cap), req == Request::SubscribeAudit)
        {
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
    has_cap: bool,
    audit: bool,
) -> Result<(), Errno> {
    if audit {
        srv.subscribe_audit(caller)?;
    } else {
        srv.may_subscribe(caller)?;
    }
    if !has_cap {
        return Err(Errno::EINVAL);
    }
    let n = subs.policy.len() + subs.audit.len();
    if n >= 192 || (audit && subs.audit.len() >= 4) {
        return Err(Errno::ENOSPC);
    }
    let dst = SUBSCRIBERS + n as u64;
    let cn = CNode(slot::CNODE);
    cn.move_(dst, 64, cn.path(RECV, 64)).map_err(|_| Errno::EIO)?;
    if audit {
        subs.audit.push(Notification(dst))
    } else {
        subs.policy.push(Notification(dst))
    }
    Ok(())
}
