//! The server loop (the Microkit loop of docs/architecture.md, "User-level system"): receive, handle,
//! reply and receive again with one `ReplyRecv`.
//!
//! Two ways to drive it:
//! - [`Server::serve`], the skeleton for servers of a protocol declared
//!   with `rampart_uabi::protocol!` ([`Service`]): requests and replies of
//!   at most 32 bytes travel in the four register words only (the kernel's
//!   IPC fast path; no IPC-buffer staging), longer ones through the
//!   general codec; a signal of the thread's bound notification (policy
//!   changes, interrupts, closed connections) goes to
//!   [`Service::notified`] and gets no reply; an undecodable message gets
//!   [`Service::error`]'s response; a reply may carry a capability, kept
//!   or handed over (deleted once sent);
//! - [`Server::run`], the raw loop over [`Message`]s for servers whose
//!   protocol is not declared yet.
//!
//! A handler may *defer* an answer (a blocking request such as rm's `Wait`):
//! it takes the reply object that holds the caller with [`Server::defer`],
//! giving the loop a fresh one, and answers later with
//! [`crate::ipc::codec::reply_with`]. Servers therefore never block on a
//! client.
//!
//! If the server set a receive slot ([`Server::set_receive_slot`]), a
//! capability that arrived with a request and that the handler did not
//! [`Server::take_cap`] is deleted after the handler returns, so the slot
//! is empty for the next request.
//!
//! Notification bits stashed by code that waited for another source
//! ([`crate::events`]) reach the handler as a notification message (label
//! 0, the bits as badge) right after the message during which they
//! arrived; its answer is ignored (a notification is never answered).

use crate::cap::{CNode, CPtr, Endpoint, Reply};
use crate::ipc::codec::{Message, Outgoing};
use crate::ipc::proto::received_cap;
use crate::syscall::{IpcResult, raw};
use rampart_abi::{MessageInfo, Syscall};
use rampart_uabi::Errno;
use rampart_uabi::codec::CodecError;
use rampart_uabi::small::{decode4, encode4};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// What to do after handling a message.
// Returned by value once per message; boxing the reply would allocate on
// every request.
#[allow(clippy::large_enum_variant)]
pub enum Action {
    /// Reply with this message, then receive the next.
    Reply(Outgoing),
    /// Do not reply (the caller was deferred, destroyed, or sent without
    /// waiting); receive the next.
    NoReply,
}

impl Action {
    /// A reply encoding `value` (an unencodable value becomes an empty
    /// message with label 0, which clients decode as an error).
    pub fn reply<T: Serialize + ?Sized>(value: &T) -> Action {
        Action::Reply(Outgoing::encode(value).unwrap_or_else(|_| Outgoing::raw(0)))
    }
}

/// What a [`Service`] answers to one request.
pub enum Step<R> {
    /// Reply with this response.
    Reply(R),
    /// Reply with this response and the capability in this slot (the
    /// server keeps it).
    ReplyCap(R, CPtr),
    /// Reply with this response and the capability in this slot, then
    /// [`Service::handed_over`] before anything else is received (a
    /// capability the server must not keep, e.g. a new service's endpoint).
    HandOver(R, CPtr),
    /// No reply now (the caller was deferred with [`Server::defer`]).
    NoReply,
}

/// A server of one protocol, driven by [`Server::serve`].
pub trait Service {
    /// The protocol's request.
    type Request: DeserializeOwned;
    /// The protocol's response.
    type Response: Serialize;

    /// The response to a message that is not a request (`e`: the decoding
    /// error as an errno, `EBADMSG` or `E2BIG`): the protocol's `Err(e)`.
    fn error(&mut self, e: Errno) -> Self::Response;

    /// Handles `req` from the sender with `badge`.
    /// [`Server::received_cap`] tells whether a capability came with it (in
    /// the receive slot; deleted after this returns unless the handler
    /// called [`Server::take_cap`]).
    fn request(&mut self, srv: &mut Server, badge: u64, req: Self::Request) -> Step<Self::Response>;

    /// Whether an empty message with label 0 from `badge` is a signal of
    /// the thread's bound notification rather than a (malformed) request.
    /// The kernel delivers both alike; a server whose channels' badges
    /// are told apart from its notification's bits says so here, so a
    /// client cannot pose as a signal (it gets an error reply instead).
    /// Default: every such message is a signal.
    fn is_signal(&self, badge: u64) -> bool {
        let _ = badge;
        true
    }

    /// The thread's bound notification was signalled: `badge` holds the
    /// bits (policy change, interrupt, closures...). Nothing is replied.
    fn notified(&mut self, srv: &mut Server, badge: u64) {
        let _ = (srv, badge);
    }

    /// The capability in `cap` was sent with a [`Step::HandOver`] reply:
    /// free it (by default the slot is deleted).
    fn handed_over(&mut self, cap: CPtr) {
        let _ = CNode(rampart_uabi::startup::slot::CNODE).delete(cap, 64);
    }
}

/// Decodes a request: from the registers when it fits there (at most four
/// words), else from the IPC buffer.
#[inline(always)]
fn decode_request<T: DeserializeOwned>(r: &IpcResult) -> Result<T, Errno> {
    if r.info.length() <= 4 {
        match decode4(r.info.label(), &r.mrs) {
            Err(CodecError::TooLong) => {}
            v => return v.map_err(|e| e.errno()),
        }
    }
    Message::from_result(r).decode().map_err(|e| e.errno())
}

/// The message info and registers of a reply `resp` with capability `cap`:
/// registers only when the encoding fits (the capability, if any, in the
/// IPC buffer), else staged through the general codec.
#[inline(always)]
fn stage_reply<R: Serialize>(resp: &R, cap: Option<CPtr>) -> (MessageInfo, [u64; 4]) {
    if let Some((label, w, n)) = encode4(resp) {
        let Some(c) = cap else { return (MessageInfo::new(label, 0, 0, n as u64), w) };
        if let Some(b) = crate::buffer::current() {
            b.set_cap(0, c);
            return (MessageInfo::new(label, 0, 1, n as u64), w);
        }
    }
    let mut out = Outgoing::encode(resp).unwrap_or_else(|_| Outgoing::raw(0));
    if let Some(c) = cap {
        out = out.with_cap(c);
    }
    out.stage()
}

/// A single-threaded server on one endpoint.
pub struct Server {
    ep: Endpoint,
    reply: Reply,
    recv: Option<(CNode, CPtr)>,
    cap_taken: bool,
    cap_received: bool,
    /// The current request's message info.
    info: MessageInfo,
}

impl Server {
    /// A server receiving on `ep` with reply object `reply`.
    pub const fn new(ep: Endpoint, reply: Reply) -> Server {
        Server { ep, reply, recv: None, cap_taken: false, cap_received: false, info: MessageInfo(0) }
    }

    /// The endpoint.
    pub fn endpoint(&self) -> Endpoint {
        self.ep
    }

    /// Receives capabilities into `slot` of root CNode `cnode` (slot =
    /// capability pointer, depth 64).
    pub fn set_receive_slot(&mut self, cnode: CNode, slot: CPtr) {
        self.recv = Some((cnode, slot));
    }

    /// Marks the received capability as moved away by the handler (it is not
    /// deleted after the handler returns).
    pub fn take_cap(&mut self) {
        self.cap_taken = true;
    }

    /// True if a capability came with the current request (it is in the
    /// receive slot).
    pub fn received_cap(&self) -> bool {
        self.cap_received
    }

    /// The badge of capability `i` of the current request if it was
    /// unwrapped (a capability to this server's own endpoint: the kernel
    /// passes its badge instead; seL4 manual §4.2.2), else `None`.
    pub fn unwrapped_badge(&self, i: usize) -> Option<u64> {
        if i < rampart_abi::msg::MSG_MAX_EXTRA_CAPS && self.info.caps_unwrapped() & (1 << i) != 0 {
            crate::buffer::current().map(|b| b.cap_or_badge(i))
        } else {
            None
        }
    }

    /// The reply object that holds the current caller.
    pub fn current_reply(&self) -> Reply {
        self.reply
    }

    /// The reply object holding the current caller is handed to the handler
    /// (to answer later with `reply_with`); `fresh` becomes the loop's.
    pub fn defer(&mut self, fresh: Reply) -> Reply {
        core::mem::replace(&mut self.reply, fresh)
    }

    fn arm(&self) {
        if let (Some((cnode, slot)), Some(b)) = (self.recv, crate::buffer::current()) {
            b.set_receive_slot(cnode, slot, 64);
        }
    }

    /// Runs the loop forever, calling `handle(server, message)` for each
    /// message.
    pub fn run(&mut self, handle: &mut dyn FnMut(&mut Server, &Message) -> Action) -> ! {
        self.arm();
        let mut r = raw(Syscall::Recv, self.ep.0, MessageInfo(0), [0; 4], self.reply.0);
        loop {
            let msg = Message::from_result(&r);
            self.cap_taken = false;
            let action = handle(self, &msg);
            // Bits of the task notification that arrived while the handler
            // waited for something else (a driver): delivered now, before
            // the next message, so no policy change or closed connection
            // is lost ([`crate::events`]).
            let events = crate::events::take();
            if events != 0 {
                let _ = handle(self, &Message::notification(events));
            }
            if msg.received_cap()
                && !self.cap_taken
                && let Some((cnode, slot)) = self.recv
            {
                let _ = cnode.delete(slot, 64);
            }
            self.arm();
            r = match action {
                Action::Reply(out) => {
                    let (info, regs) = out.stage();
                    raw(Syscall::ReplyRecv, self.ep.0, info, regs, self.reply.0)
                }
                Action::NoReply => raw(Syscall::Recv, self.ep.0, MessageInfo(0), [0; 4], self.reply.0),
            };
        }
    }

    /// Serves `svc` forever (the skeleton described in the module
    /// documentation).
    pub fn serve<S: Service>(&mut self, svc: &mut S) -> ! {
        self.arm();
        let mut r = crate::ipc::recv(self.ep, self.reply.0);
        loop {
            self.cap_taken = false;
            self.cap_received = received_cap(&r);
            self.info = r.info;
            let step = if r.info.label() == 0 && r.info.length() == 0 && !self.cap_received && svc.is_signal(r.badge) {
                svc.notified(self, r.badge);
                Step::NoReply
            } else {
                match decode_request::<S::Request>(&r) {
                    Ok(req) => svc.request(self, r.badge, req),
                    Err(e) => Step::Reply(svc.error(e)),
                }
            };
            if self.cap_received {
                if !self.cap_taken
                    && let Some((cnode, slot)) = self.recv
                {
                    let _ = cnode.delete(slot, 64);
                }
                self.arm();
            }
            // Notification bits that arrived while the service waited for
            // something else (a driver): delivered before the next message
            // ([`crate::events`]), as in [`Server::run`].
            let events = crate::events::take();
            if events != 0 {
                svc.notified(self, events);
            }
            // The response is encoded where it lies (never moved out).
            r = match &step {
                Step::Reply(resp) => {
                    let (info, regs) = stage_reply(resp, None);
                    crate::ipc::reply_recv(self.ep, info, regs, self.reply)
                }
                Step::ReplyCap(resp, cap) => {
                    let (info, regs) = stage_reply(resp, Some(*cap));
                    crate::ipc::reply_recv(self.ep, info, regs, self.reply)
                }
                Step::HandOver(resp, cap) => {
                    let (info, regs) = stage_reply(resp, Some(*cap));
                    crate::ipc::reply(self.reply, info, regs);
                    svc.handed_over(*cap);
                    crate::ipc::recv(self.ep, self.reply.0)
                }
                Step::NoReply => crate::ipc::recv(self.ep, self.reply.0),
            };
        }
    }
}
