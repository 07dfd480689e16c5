//! The server loop (the Microkit loop of docs/architecture.md, "User-level system"): receive, handle,
//! reply and receive again with one `ReplyRecv`.
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
use crate::syscall::raw;
use rampart_abi::{MessageInfo, Syscall};
use serde::Serialize;

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

/// A single-threaded server on one endpoint.
pub struct Server {
    ep: Endpoint,
    reply: Reply,
    recv: Option<(CNode, CPtr)>,
    cap_taken: bool,
}

impl Server {
    /// A server receiving on `ep` with reply object `reply`.
    pub const fn new(ep: Endpoint, reply: Reply) -> Server {
        Server { ep, reply, recv: None, cap_taken: false }
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
}
