//! connsrv, the connection server (docs/security-architecture.md §4).
//!
//! init starts it with its endpoint as the named capability `endpoint`,
//! then over its trusted channel hands it a pool of fresh endpoints (for
//! services), its channel to the security server and the core services'
//! endpoints. The registry logic is in `rampart-connsrv-core`; this file
//! is the kernel side: slots, endpoint creation, minting, revocation, and
//! the receive loop. A policy-change notification from secsrv (bound to
//! the main thread, so it is delivered before any further request)
//! refreshes the AVC.
#![no_std]
#![no_main]

extern crate alloc;

mod caps;

use caps::RtCaps;
use rampart_connsrv_api::{Request, Response};
use rampart_connsrv_core::link::{Link, NoSecurity};
use rampart_connsrv_core::{Effect, Registry, Security};
use rampart_rt::cap::{CNode, Endpoint, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Message, Outgoing};
use rampart_rt::server::{Action, Server};
use rampart_secsrv_api::EVENT_POLICY;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// Where received capabilities land.
const RECV: u64 = slot::FIRST_FREE;

struct State {
    reg: Registry,
    caps: RtCaps,
    link: Option<Link<Ipc>>,
}

fn main() -> i32 {
    let Some(ep) = rampart_rt::startup::named_cap("endpoint") else {
        dprintln!("connsrv: no endpoint");
        return 2;
    };
    let radix = rampart_rt::process::args().get(1).and_then(|a| a.parse::<u32>().ok()).unwrap_or(12);
    let mut st = State { reg: Registry::new(ep), caps: RtCaps::new(RECV + 1, 1 << radix), link: None };
    let mut server = Server::new(Endpoint(ep), Reply(slot::REPLY));
    server.set_receive_slot(CNode(slot::CNODE), RECV);
    dprintln!("connsrv: ready");
    server.run(&mut |s, m| handle(&mut st, s, m))
}

fn handle(st: &mut State, server: &mut Server, m: &Message) -> Action {
    if m.label() == 0 && m.words().is_empty() {
        // The bound notification: secsrv says the policy changed.
        if m.badge & EVENT_POLICY != 0
            && let Some(l) = st.link.as_mut()
            && let Err(e) = l.refresh()
        {
            dprintln!("connsrv: cannot refresh the AVC: {e}");
        }
        return Action::NoReply;
    }
    let req: Request = match m.decode() {
        Ok(r) => r,
        Err(e) => return Action::reply(&Response::Err(e.errno())),
    };
    // A capability that came along moves to a slot of its own first.
    let cap = if m.received_cap() {
        match st.caps.adopt(RECV) {
            Ok(s) => {
                server.take_cap();
                Some(s)
            }
            Err(e) => return Action::reply(&Response::Err(e)),
        }
    } else {
        None
    };
    let sec: &mut dyn Security = match st.link.as_mut() {
        Some(l) => l,
        None => &mut NoSecurity,
    };
    let mut reply = st.reg.handle(m.badge, req, cap, &mut st.caps, sec);
    if let Response::Stats(s) = &mut reply.response
        && let Some(l) = st.link.as_ref()
    {
        let a = l.avc.avc.stats();
        (s.avc_hits, s.avc_misses) = (a.hits, a.misses);
    }
    match reply.effect {
        Effect::Security { slot, sid } => {
            reply.response = match connect_security(st, slot, sid) {
                Ok(()) => Response::Ok,
                Err(e) => Response::Err(e),
            };
        }
        Effect::Endpoint { slot } => st.caps.add_endpoint(slot),
        Effect::None => {}
    }
    if let (Some(s), false) = (cap, reply.kept_cap) {
        st.caps.release(s);
    }
    let out = match Outgoing::encode(&reply.response) {
        Ok(o) => o,
        Err(_) => return Action::reply(&Response::Err(Errno::EIO)),
    };
    Action::Reply(match reply.cap {
        Some(c) => out.with_cap(c),
        None => out,
    })
}

/// Uses the channel in `slot` to reach secsrv and subscribes to policy
/// changes with a badged copy of the task's notification.
fn connect_security(st: &mut State, slot: u64, sid: u32) -> Result<(), Errno> {
    let ipc = Ipc(Endpoint(slot));
    let link = Link::new(ipc)?;
    let n = st.caps.mint_notification(EVENT_POLICY)?;
    if let Err(e) = ipc.subscribe(n) {
        dprintln!("connsrv: cannot subscribe to policy changes: {e}");
    }
    dprintln!("connsrv: security server linked (sid {sid}, seqno {})", link.avc.avc.seqno());
    st.link = Some(link);
    Ok(())
}
