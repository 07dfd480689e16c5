//! connsrv's kernel operations: a slot free list over its CNode, the pool
//! of fresh endpoints init gave it, send-only copies, minting, revoking and
//! signalling.

use alloc::vec::Vec;
use rampart_abi::MessageInfo;
use rampart_abi::Rights;
use rampart_connsrv_core::{Caps, Slot};
use rampart_rt::cap::{CNode, Endpoint};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

const CN: CNode = CNode(slot::CNODE);
/// Rights of a connection: send, and grant capabilities both ways.
const CONN_RIGHTS: Rights = Rights(Rights::WRITE.0 | Rights::GRANT.0 | Rights::GRANT_REPLY.0);

/// Slots and memory.
pub struct RtCaps {
    next: Slot,
    end: Slot,
    free: Vec<Slot>,
    endpoints: Vec<Slot>,
}

impl RtCaps {
    /// Slots `first..end` are connsrv's to use.
    pub fn new(first: Slot, end: Slot) -> RtCaps {
        RtCaps { next: first, end, free: Vec::new(), endpoints: Vec::new() }
    }

    fn alloc(&mut self) -> Result<Slot, Errno> {
        if let Some(s) = self.free.pop() {
            return Ok(s);
        }
        if self.next >= self.end {
            return Err(Errno::ENOSPC);
        }
        self.next += 1;
        Ok(self.next - 1)
    }

    /// Moves the capability in the receive slot `recv` into a slot of its
    /// own; returns that slot.
    ///
    /// # Errors
    /// `ENOSPC`, `EIO`.
    pub fn adopt(&mut self, recv: Slot) -> Result<Slot, Errno> {
        let s = self.alloc()?;
        if CN.move_(s, 64, CN.path(recv, 64)).is_err() {
            self.free.push(s);
            return Err(Errno::EIO);
        }
        Ok(s)
    }

    /// Deletes the capability in `s` and frees the slot.
    pub fn release(&mut self, s: Slot) {
        let _ = CN.delete(s, 64);
        self.free.push(s);
    }

    /// A copy of the task's notification badged `badge` (write only).
    ///
    /// # Errors
    /// `ENOSPC`, `EIO`.
    pub fn mint_notification(&mut self, badge: u64) -> Result<Slot, Errno> {
        let s = self.alloc()?;
        if CN.mint(s, 64, CN.path(slot::NOTIFICATION, 64), Rights::WRITE, badge).is_err() {
            self.free.push(s);
            return Err(Errno::EIO);
        }
        Ok(s)
    }
}

impl Caps for RtCaps {
    fn new_endpoint(&mut self) -> Result<Slot, Errno> {
        self.endpoints.pop().ok_or(Errno::EAGAIN)
    }

    fn add_endpoint(&mut self, s: Slot) {
        self.endpoints.push(s);
    }

    fn pool_len(&self) -> usize {
        self.endpoints.len()
    }

    fn send_only(&mut self, src: Slot) -> Result<Slot, Errno> {
        // Badge 0: connections are minted from this copy with their badge.
        self.mint(src, 0)
    }

    fn mint(&mut self, src: Slot, badge: u64) -> Result<Slot, Errno> {
        let s = self.alloc()?;
        if CN.mint(s, 64, CN.path(src, 64), CONN_RIGHTS, badge).is_err() {
            self.free.push(s);
            return Err(Errno::EIO);
        }
        Ok(s)
    }

    fn destroy(&mut self, s: Slot) {
        let _ = CN.revoke(s, 64);
        self.release(s);
    }

    fn delete(&mut self, s: Slot) {
        self.release(s);
    }

    fn signal(&mut self, s: Slot) {
        // NBSend, not Send: the capability came from a task, and if it is
        // an endpoint rather than a notification a blocking send could
        // stop connsrv. On a notification both signal.
        let _ = rampart_rt::ipc::nb_send(Endpoint(s), MessageInfo(0), [0; 4]);
    }
}
