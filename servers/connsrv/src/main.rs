//! connsrv, the connection server (docs/security-architecture.md §4).
//!
//! init starts it with its endpoint as the named capability `endpoint`
//! (arguments: the log2 size of its CNode, optionally the first connection
//! number), then over its trusted channel hands it a pool of fresh
//! endpoints (for services; refilled when connsrv signals it runs low),
//! its channel to the security server and send capabilities to the core
//! services' endpoints. connsrv keeps only send-only copies of service
//! endpoints: the receive right of a newly registered service's endpoint
//! goes to its server and connsrv's copy is deleted right after the reply. The registry logic is in `rampart-connsrv-core`; this file
//! is the kernel side: slots, endpoint creation, minting, revocation, and
//! the receive loop. A policy-change notification from secsrv (bound to
//! the main thread, so it is delivered before any further request)
//! refreshes the AVC and revokes the live connections the new policy
//! denies.
#![no_std]
#![no_main]

extern crate alloc;

mod caps;

use caps::RtCaps;
use rampart_abi::MessageInfo;
use rampart_connsrv_api::small::{decode4, encode4};
use rampart_connsrv_api::{Request, Response};
use rampart_connsrv_core::link::{Link, NoSecurity};
use rampart_connsrv_core::{Caps, Effect, Registry, Security};
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
        rampart_rt::pr_err!("connsrv: no endpoint");
        return 2;
    };
    let args = rampart_rt::process::args();
    let radix = args.get(1).and_then(|a| a.parse::<u32>().ok()).unwrap_or(12);
    // The first connection number (tests start near the top to force a
    // wrap; numbers are never reused while a service may hold state).
    let first = args.get(2).and_then(|a| a.parse::<u32>().ok()).unwrap_or(1);
    let mut st = State { reg: Registry::starting_at(ep, first), caps: RtCaps::new(RECV + 1, 1 << radix), link: None };
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
            Some(Out { response, cap, hand_over }) => {
                let (info, regs) = match (encode4(&response), rampart_rt::buffer::current()) {
                    (Some((label, w, n)), Some(b)) => {
                        if let Some(c) = cap {
                            b.set_cap(0, c);
                        }
                        (MessageInfo::new(label, 0, u64::from(cap.is_some()), n as u64), w)
                    }
                    _ => {
                        let mut out = Outgoing::encode(&response).unwrap_or_else(|_| Outgoing::raw(0));
                        if let Some(c) = cap {
                            out = out.with_cap(c);
                        }
                        out.stage()
                    }
                };
                match (hand_over, cap) {
                    // A new service's endpoint: the server has its copy once
                    // the reply is sent; connsrv deletes its own before it
                    // receives anything else (it keeps a send-only copy).
                    (true, Some(c)) => {
                        ipc::reply(reply, info, regs);
                        st.caps.delete(c);
                        ipc::recv(ep, reply.0)
                    }
                    _ => ipc::reply_recv(ep, info, regs, reply),
                }
            }
        };
    }
}

/// A reply to send: the response, a capability with it, and whether that
/// capability is handed over (deleted once sent).
struct Out {
    response: Response,
    cap: Option<u64>,
    hand_over: bool,
}

/// Handles one received message; `None`: no reply (a notification).
fn step(st: &mut State, r: &IpcResult) -> Option<Out> {
    let received = r.info.extra_caps() > r.info.caps_unwrapped().count_ones() as usize;
    if r.info.label() == 0 && r.info.length() == 0 && !received {
        // The bound notification: secsrv says the policy changed.
        if r.badge & EVENT_POLICY != 0 {
            policy_changed(st);
        }
        return None;
    }
    let req: Result<Request, _> =
        if r.info.length() <= 4 { decode4(r.info.label(), &r.mrs) } else { Message::from_result(r).decode() };
    // A capability that came along moves to a slot of its own first.
    let cap = if received {
        match st.caps.adopt(RECV) {
            Ok(s) => Some(s),
            Err(e) => return Some(Out { response: Response::Err(e), cap: None, hand_over: false }),
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
            return Some(Out { response: Response::Err(e.errno()), cap: None, hand_over: false });
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
        Effect::None => {}
    }
    if let (Some(s), false) = (cap, reply.kept_cap) {
        st.caps.release(s);
    }
    Some(Out { response: reply.response, cap: reply.cap, hand_over: reply.hand_over })
}
/// A policy change (reload, boolean, enforcing mode): refreshes the AVC
/// and the vocabulary, then decides every live connection again and
/// revokes those the new policy denies (each denial is audited by the AVC;
/// each revocation is logged here). Runs before any request that arrives
/// after the change (the notification is bound to this thread).
fn policy_changed(st: &mut State) {
    let Some(l) = st.link.as_mut() else { return };
    if let Err(e) = l.refresh() {
        // Without the new vocabulary nothing can be decided again; the
        // connections stay until the next change (see the docs, §2).
        rampart_rt::pr_err!("connsrv: cannot refresh the AVC: {e}");
        return;
    }
    let seqno = l.avc.avc.seqno();
    let v = st.reg.revalidate(&mut st.caps, l);
    for r in &v.revoked {
        let ctx = l.sid_to_context(r.sid).unwrap_or_default();
        dprintln!(
            "connsrv: revoked connection {} of pid {} ({ctx}) to {}: {} under policy seqno {seqno}",
            r.conn,
            r.pid,
            r.name,
            r.errno.name()
        );
    }
    dprintln!(
        "connsrv: policy seqno {seqno}: {} live connections re-checked, {} revoked, {} undecided",
        v.checked,
        v.revoked.len(),
        v.undecided
    );
}

/// Uses the channel in `slot` to reach secsrv and subscribes to policy
/// changes with a badged copy of the task's notification.
fn connect_security(st: &mut State, slot: u64, sid: u32) -> Result<(), Errno> {
    let ipc = Ipc(Endpoint(slot));
    let link = Link::new(ipc)?;
    let n = st.caps.mint_notification(EVENT_POLICY)?;
    if let Err(e) = ipc.subscribe(n) {
        rampart_rt::pr_err!("connsrv: cannot subscribe to policy changes: {e}");
    }
    dprintln!("connsrv: security server linked (sid {sid}, seqno {})", link.avc.avc.seqno());
    st.link = Some(link);
    Ok(())
}
