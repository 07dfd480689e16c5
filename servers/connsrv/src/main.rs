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
use rampart_connsrv_api::{Request, Response};
use rampart_connsrv_core::link::{Link, NoSecurity};
use rampart_connsrv_core::{Caps, Effect, Registry, Security};
use rampart_rt::cap::{CNode, CPtr, Endpoint, Reply};
use rampart_rt::dprintln;
use rampart_rt::server::{Server, Service, Step};
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
    let mut server = Server::new(Endpoint(ep), Reply(slot::REPLY));
    server.set_receive_slot(CNode(slot::CNODE), RECV);
    server.serve(&mut st)
}

/// connsrv on the shared skeleton (`rampart_rt::server`): requests of at
/// most four words are decoded from the registers and replies that fit are
/// sent from them (with a capability in the IPC buffer when there is one).
impl Service for State {
    type Request = Request;
    type Response = Response;

    fn error(&mut self, e: Errno) -> Response {
        Response::Err(e)
    }

    fn request(&mut self, server: &mut Server, badge: u64, req: Request) -> Step<Response> {
        // A capability that came along moves to a slot of its own first.
        let cap = if server.received_cap() {
            match self.caps.adopt(RECV) {
                Ok(s) => {
                    server.take_cap();
                    Some(s)
                }
                Err(e) => return Step::Reply(Response::Err(e)),
            }
        } else {
            None
        };
        let sec: &mut dyn Security = match self.link.as_mut() {
            Some(l) => l,
            None => &mut NoSecurity,
        };
        let mut reply = self.reg.handle(badge, req, cap, &mut self.caps, sec);
        if let Response::Stats(s) = &mut reply.response
            && let Some(l) = self.link.as_ref()
        {
            let a = l.avc.avc.stats();
            (s.avc_hits, s.avc_misses) = (a.hits, a.misses);
        }
        match reply.effect {
            Effect::Security { slot, sid } => {
                reply.response = match connect_security(self, slot, sid) {
                    Ok(()) => Response::Ok,
                    Err(e) => Response::Err(e),
                };
            }
            Effect::None => {}
        }
        if let (Some(s), false) = (cap, reply.kept_cap) {
            self.caps.release(s);
        }
        match (reply.cap, reply.hand_over) {
            (None, _) => Step::Reply(reply.response),
            (Some(c), false) => Step::ReplyCap(reply.response, c),
            // A new service's endpoint: the server has its copy once the
            // reply is sent; connsrv deletes its own before it receives
            // anything else (it keeps a send-only copy).
            (Some(c), true) => Step::HandOver(reply.response, c),
        }
    }

    /// Every channel's badge carries `CONN` or `TRUSTED`; the
    /// notification's bits are below them.
    fn is_signal(&self, badge: u64) -> bool {
        badge & (rampart_connsrv_api::CONN | rampart_connsrv_api::TRUSTED) == 0
    }

    /// The bound notification: secsrv says the policy changed.
    fn notified(&mut self, _: &mut Server, badge: u64) {
        if badge & EVENT_POLICY != 0 {
            policy_changed(self);
        }
    }

    fn handed_over(&mut self, cap: CPtr) {
        self.caps.delete(cap);
    }
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
