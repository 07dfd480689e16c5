//! secsrv, the security server (docs/security-architecture.md §3).
//!
//! init starts it with its endpoint as the named capability `endpoint` and
//! its own context as `argv[1]`, uploads the boot policies through its boot
//! channel ([`rampart_secsrv_api::INIT_BADGE`]) and loads the one the
//! kernel command line chose. From then on secsrv answers requests from
//! connections minted by connsrv; all logic is in `rampart-secsrv-core`.
//! On every policy change it signals the subscribed object servers before
//! replying, so their next receive refreshes their AVC.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use rampart_rt::cap::{CNode, Endpoint, Notification, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::Message;
use rampart_rt::server::{Action, Server};
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
        dprintln!("secsrv: no endpoint");
        return 2;
    };
    let args = rampart_rt::process::args();
    let context = args.get(1).map_or("system_u:system_r:secsrv_t", |s| s.as_str());
    let permissive = args.iter().any(|a| a == "permissive");
    let mut srv = SecServer::new(context, permissive);
    let mut subs: Vec<Notification> = Vec::new();
    let mut server = Server::new(Endpoint(ep), Reply(slot::REPLY));
    server.set_receive_slot(CNode(slot::CNODE), RECV);
    dprintln!("secsrv: ready ({context})");
    server.run(&mut |s, m| handle(&mut srv, &mut subs, s, m))
}

fn handle(srv: &mut SecServer, subs: &mut Vec<Notification>, server: &mut Server, m: &Message) -> Action {
    let Some(caller) = Caller::from_badge(m.badge) else {
        return Action::reply(&Response::Err(Errno::EBADF));
    };
    let req: Request = match m.decode() {
        Ok(r) => r,
        Err(e) => return Action::reply(&Response::Err(e.errno())),
    };
    if req == Request::Subscribe {
        return Action::reply(&match subscribe(srv, subs, server, caller, m) {
            Ok(()) => Response::Ok,
            Err(e) => Response::Err(e),
        });
    }
    let load = matches!(req, Request::PolicyLoad { .. });
    let out = srv.handle(caller, req);
    if out.notify {
        for n in subs.iter() {
            n.signal();
        }
        if load {
            let st = srv.status();
            dprintln!("secsrv: loaded policy {} (model {}, seqno {})", st.policy, st.model, st.seqno);
        }
    }
    Action::reply(&out.response)
}

fn subscribe(
    srv: &mut SecServer,
    subs: &mut Vec<Notification>,
    server: &mut Server,
    caller: Caller,
    m: &Message,
) -> Result<(), Errno> {
    srv.may_subscribe(caller)?;
    if !m.received_cap() {
        return Err(Errno::EINVAL);
    }
    if subs.len() >= 192 {
        return Err(Errno::ENOSPC);
    }
    let dst = SUBSCRIBERS + subs.len() as u64;
    let cn = CNode(slot::CNODE);
    cn.move_(dst, 64, cn.path(RECV, 64)).map_err(|_| Errno::EIO)?;
    server.take_cap();
    subs.push(Notification(dst));
    Ok(())
}
