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
use rampart_abi::MessageInfo;
use rampart_connsrv_api::small::{decode4, encode4};
use rampart_connsrv_api::{Request, Response};
use rampart_connsrv_core::link::{Link, NoSecurity};
use rampart_connsrv_core::{Effect, Registry, Security};
use rampart_rt::cap::{CNode, Endpoint, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Message, Outgoing};
use rampart_rt::ipc::{self, IpcResult};
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
    dprintln!("connsrv: ready");
    serve(&mut st, Endpoint(ep))
}

/// The receive loop. Requests of at most four words are decoded from the
/// registers and replies that fit are sent from them (with a capability in
/// the IPC buffer when there is one): the general codec's 960-byte staging
/// buffers are only used for long messages.
fn serve(st: &mut State, ep: Endpoint) -> ! {
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
        let out = step(st, &r);
        if r.info.extra_caps() > r.info.caps_unwrapped().count_ones() as usize {
            arm();
        }
        r = match out {
            None => ipc::recv(ep, reply.0),
            Some((resp, cap)) => match (encode4(&resp), rampart_rt::buffer::current()) {
                (Some((label, w, n)), Some(b)) => {
                    if let Some(c) = cap {
                        b.set_cap(0, c);
                    }
                    let info = MessageInfo::new(label, 0, u64::from(cap.is_some()), n as u64);
                    ipc::reply_recv(ep, info, w, reply)
                }
                _ => {
                    let mut out = Outgoing::encode(&resp).unwrap_or_else(|_| Outgoing::raw(0));
                    if let Some(c) = cap {
                        out = out.with_cap(c);
                    }
                    let (info, regs) = out.stage();
                    ipc::reply_recv(ep, info, regs, reply)
                }
            },
        };
    }
}

/// Handles one received message; `None`: no reply (a notification).
fn step(st: &mut State, r: &IpcResult) -> Option<(Response, Option<u64>)> {
    let received = r.info.extra_caps() > r.info.caps_unwrapped().count_ones() as usize;
    if r.info.label() == 0 && r.info.length() == 0 && !received {
        // The bound notification: secsrv says the policy changed.
        if r.badge & EVENT_POLICY != 0
            && let Some(l) = st.link.as_mut()
            && let Err(e) = l.refresh()
        {
            dprintln!("connsrv: cannot refresh the AVC: {e}");
        }
        return None;
    }
    let req: Result<Request, _> =
        if r.info.length() <= 4 { decode4(r.info.label(), &r.mrs) } else { Message::from_result(r).decode() };
    // A capability that came along moves to a slot of its own first.
    let cap = if received {
        match st.caps.adopt(RECV) {
            Ok(s) => Some(s),
            Err(e) => return Some((Response::Err(e), None)),
        }
    } else {
        None
    };
    let req = match req {
        Ok(q) => q,
        Err(e) => {
            if let Some(s) = cap {
                st.caps.release(s);
            }
            return Some((Response::Err(e.errno()), None));
        }
    };
    let sec: &mut dyn Security = match st.link.as_mut() {
        Some(l) => l,
        None => &mut NoSecurity,
    };
    let mut reply = st.reg.handle(r.badge, req, cap, &mut st.caps, sec);
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
    Some((reply.response, reply.cap))
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
