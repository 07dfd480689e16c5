//! Message passing: endpoints (Send, Call, Recv, ReplyRecv), reply objects,
//! notifications (Signal, Wait, Poll), and the message transfer itself
//! (seL4 Reference Manual chapter 4 and 5, MCS variant).
//!
//! A message is the message-info word, MR0..MR3 in registers, MR4.. in the
//! IPC buffer, and up to three capabilities (transferred only through an
//! endpoint capability with Grant). Badges are delivered in `rdi`.

use crate::cap::Cap;
use crate::cspace;
use crate::kernel::Kernel;
use crate::kmem;
use crate::machine::Machine;
use crate::object::{
    EpRef, EpState, FaultLabel, NtfnRef, NtfnState, Queue, ReplyRef, TcbRef, ThreadState, ipc_flag, tcb_slot,
};
use crate::regs::{MR_REGS, VECTOR_SYSCALL, r};
use crate::slot::{self, SlotRef};
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_abi::msg::{MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, REGISTER_MRS};
use rampart_abi::{CapType, MessageInfo, Rights};

pub use rampart_abi::msg::LABEL_IPC_ABORTED;

/// Physical address of the IPC buffer of `t`, if it has a valid one.
pub fn ipc_buffer_paddr(t: TcbRef) -> Option<u64> {
    let vaddr = t.get().ipc_buffer.get();
    if vaddr == 0 {
        return None;
    }
    let frame = t.slot(tcb_slot::IPC_BUFFER).cap();
    // TcbConfigure/TcbSetIpcBuffer refuse frames that are not read-write;
    // checked again here because this is where the kernel writes.
    if frame.cap_type() != CapType::Frame || !frame.rights().contains(Rights::RW) {
        return None;
    }
    let off = vaddr & ((1u64 << frame.size_bits()) - 1);
    if off + 1024 > (1u64 << frame.size_bits()) {
        return None;
    }
    Some(frame.paddr() + off)
}

/// Reads message register `i` of `t` (registers, then IPC buffer; 0 when
/// absent).
pub fn get_mr(t: TcbRef, buf: Option<u64>, i: usize) -> u64 {
    if i < REGISTER_MRS {
        t.get().regs.get(MR_REGS[i])
    } else if let Some(b) = buf.filter(|_| i < MSG_MAX_LENGTH) {
        kmem::read_u64(b + (IpcBuffer::MSG_OFFSET + 8 * i) as u64)
    } else {
        0
    }
}

/// Writes message register `i` of `t`; returns false if it cannot be stored
/// (no IPC buffer).
pub fn set_mr(t: TcbRef, buf: Option<u64>, i: usize, v: u64) -> bool {
    if i < REGISTER_MRS {
        t.get().regs.set(MR_REGS[i], v);
        true
    } else if let Some(b) = buf.filter(|_| i < MSG_MAX_LENGTH) {
        kmem::write_u64(b + (IpcBuffer::MSG_OFFSET + 8 * i) as u64, v);
        true
    } else {
        false
    }
}

fn buffer_word(buf: u64, byte_offset: usize) -> u64 {
    kmem::read_u64(buf + byte_offset as u64)
}

fn set_buffer_word(buf: u64, byte_offset: usize, v: u64) {
    kmem::write_u64(buf + byte_offset as u64, v)
}

/// Delivers the result registers of a completed receive.
pub fn set_recv_result(t: TcbRef, badge: u64, info: MessageInfo) {
    let g = &t.get().regs;
    g.set(r::RDI, badge);
    g.set(r::RSI, info.0);
}

impl<M: Machine> Kernel<M> {
    /// The CSpace root capability of `t`.
    pub fn cspace_root(&self, t: TcbRef) -> Cap {
        t.slot(tcb_slot::CSPACE).cap()
    }

    /// Copies the message from `sender` to `receiver` and delivers `badge`
    /// (seL4 `doIPCTransfer`). A pending fault of the sender is sent as a
    /// fault message instead.
    pub fn transfer(&mut self, sender: TcbRef, receiver: TcbRef, badge: u64, grant: bool) {
        let sbuf = ipc_buffer_paddr(sender);
        let rbuf = ipc_buffer_paddr(receiver);
        let fault = sender.get().fault.get();
        if fault != FaultLabel::None as u64 {
            let info = self.fault_message(sender, receiver, rbuf);
            set_recv_result(receiver, badge, info);
            return;
        }
        let info = MessageInfo(sender.get().regs.get(r::RSI));
        let mut len = info.length().min(MSG_MAX_LENGTH);
        if sbuf.is_none() || rbuf.is_none() {
            len = len.min(REGISTER_MRS);
        }
        for &reg in MR_REGS.iter().take(len) {
            receiver.get().regs.set(reg, sender.get().regs.get(reg));
        }
        if len > REGISTER_MRS
            && let (Some(s), Some(d)) = (sbuf, rbuf)
        {
            let off = (IpcBuffer::MSG_OFFSET + 8 * REGISTER_MRS) as u64;
            kmem::copy(d + off, s + off, 8 * (len - REGISTER_MRS) as u64);
        }
        let (caps, unwrapped) = match (grant, sbuf) {
            (true, Some(s)) if info.extra_caps() > 0 => {
                self.transfer_caps(sender, s, receiver, rbuf, info.extra_caps())
            }
            _ => (0, 0),
        };
        set_recv_result(receiver, badge, MessageInfo::new(info.label(), unwrapped, caps, len as u64));
    }

    /// Transfers up to `n` capabilities named in the sender's IPC buffer.
    /// Returns (number transferred, unwrapped mask).
    fn transfer_caps(
        &mut self,
        sender: TcbRef,
        sbuf: u64,
        receiver: TcbRef,
        rbuf: Option<u64>,
        n: usize,
    ) -> (u64, u64) {
        let sroot = self.cspace_root(sender);
        let mut dest = rbuf.and_then(|b| self.receive_slot(receiver, b));
        let ep = EpRef(sender.get().blocked_on.get());
        let mut count = 0u64;
        let mut unwrapped = 0u64;
        for i in 0..n.min(MSG_MAX_EXTRA_CAPS) {
            let cptr = buffer_word(sbuf, IpcBuffer::CAPS_OFFSET + 8 * i);
            let Ok((src, cap)) = cspace::lookup_cap(sroot, cptr) else { break };
            if cap.is_null() {
                break;
            }
            if cap.cap_type() == CapType::Endpoint && cap.paddr() == ep.0 && !ep.is_none() {
                // A badged capability to the endpoint carrying the message is
                // "unwrapped": the receiver gets the badge, not the capability.
                if let Some(b) = rbuf {
                    set_buffer_word(b, IpcBuffer::CAPS_OFFSET + 8 * i, cap.badge());
                }
                unwrapped |= 1 << i;
                count += 1;
                continue;
            }
            let Some(d) = dest else { break };
            let Some(derived) = crate::cnode_ops::derive(cap, src) else { break };
            slot::insert(derived, src, d);
            dest = None;
            count += 1;
        }
        (count, unwrapped)
    }

    /// The empty slot `receiver` named for received capabilities.
    fn receive_slot(&self, receiver: TcbRef, rbuf: u64) -> Option<SlotRef> {
        let cnode = buffer_word(rbuf, IpcBuffer::RECEIVE_OFFSET);
        let index = buffer_word(rbuf, IpcBuffer::RECEIVE_OFFSET + 8);
        let depth = buffer_word(rbuf, IpcBuffer::RECEIVE_OFFSET + 16);
        if depth == 0 {
            return None;
        }
        let root = self.cspace_root(receiver);
        let node = if cnode == 0 { root } else { cspace::lookup_cap(root, cnode).ok()?.1 };
        let s = cspace::lookup_slot_exact(node, index, depth).ok()?;
        s.cap().is_null().then_some(s)
    }

    // ---------------------------------------------------------------- send

    /// Sends on endpoint `ep` (seL4 `sendIPC`). `blocking`: wait for a
    /// receiver; `call`: expect a reply.
    pub fn send_ipc(&mut self, t: TcbRef, ep: EpRef, badge: u64, rights: Rights, blocking: bool, call: bool) {
        let grant = rights.contains(Rights::GRANT);
        let grant_reply = rights.contains(Rights::GRANT_REPLY);
        if ep.state() == EpState::Recv {
            let dest = ep.head();
            let mut q = Queue { head: dest, tail: TcbRef(ep.get().tail.get()) };
            q.remove(dest);
            self.set_ep_queue(ep, q, EpState::Recv);
            let reply = ReplyRef(dest.get().reply.get());
            if !reply.is_none() {
                reply.get().receiver.set(0);
            }
            dest.get().blocked_on.set(ep.0);
            // The message (and its cap unwrapping) refers to this endpoint.
            t.get().blocked_on.set(ep.0);
            self.transfer(t, dest, badge, grant);
            t.get().blocked_on.set(0);
            dest.get().blocked_on.set(0);
            dest.get().reply.set(0);
            dest.set_state(ThreadState::Running);
            if call || t.get().fault.get() != FaultLabel::None as u64 {
                if !reply.is_none() {
                    self.reply_push(t, dest, reply, grant_reply);
                } else {
                    self.abort_call(t);
                }
            }
            self.possible_switch_to(dest);
        } else if blocking {
            let g = t.get();
            g.blocked_on.set(ep.0);
            g.send_badge.set(badge);
            g.ipc_flags.set(
                ((call as u64) * ipc_flag::CALL)
                    | ((grant as u64) * ipc_flag::GRANT)
                    | ((grant_reply as u64) * ipc_flag::GRANT_REPLY),
            );
            self.set_thread_state(t, ThreadState::BlockedOnSend);
            let mut q = self.ep_queue(ep);
            q.push(t);
            self.set_ep_queue(ep, q, EpState::Send);
        }
    }

    /// Receives on endpoint `ep` with reply object `reply` (seL4
    /// `receiveIPC`). A pending signal on the bound notification completes
    /// the receive at once.
    pub fn recv_ipc(&mut self, t: TcbRef, ep: EpRef, reply: ReplyRef, blocking: bool) {
        let bound = NtfnRef(t.get().bound_ntfn.get());
        if !bound.is_none() && bound.state() == NtfnState::Active {
            self.complete_signal(bound, t);
            return;
        }
        if !reply.is_none() {
            // A reply object serves one caller and one receiver at a time
            // (seL4 `receiveIPC`): an earlier caller's call is aborted, and
            // another thread still receiving with it restarts its receive.
            let old = TcbRef(reply.get().caller.get());
            if !old.is_none() {
                self.abort_call(old);
            }
            let other = TcbRef(reply.get().receiver.get());
            if !other.is_none() && other != t && other.state() == ThreadState::BlockedOnReceive {
                self.cancel_ipc(other);
                self.wake(other);
            }
            reply.get().receiver.set(0);
        }
        if ep.state() == EpState::Send {
            let sender = ep.head();
            let mut q = self.ep_queue(ep);
            q.remove(sender);
            let st = if q.head.is_none() { EpState::Idle } else { EpState::Send };
            self.set_ep_queue(ep, q, st);
            let g = sender.get();
            let flags = g.ipc_flags.get();
            self.transfer(sender, t, g.send_badge.get(), flags & ipc_flag::GRANT != 0);
            g.blocked_on.set(0);
            let call = flags & ipc_flag::CALL != 0 || g.fault.get() != FaultLabel::None as u64;
            if call {
                if reply.is_none() {
                    self.abort_call(sender);
                } else {
                    self.reply_push(sender, t, reply, flags & ipc_flag::GRANT_REPLY != 0);
                }
            } else {
                // The blocked Send completed: it returns success.
                sender.get().regs.set(r::RSI, 0);
                self.wake(sender);
            }
        } else if blocking {
            let g = t.get();
            g.blocked_on.set(ep.0);
            g.reply.set(reply.0);
            if !reply.is_none() {
                reply.get().receiver.set(t.0);
            }
            self.set_thread_state(t, ThreadState::BlockedOnReceive);
            let mut q = self.ep_queue(ep);
            q.push(t);
            self.set_ep_queue(ep, q, EpState::Recv);
        } else {
            set_recv_result(t, 0, MessageInfo(0));
        }
    }

    pub(crate) fn ep_queue(&self, ep: EpRef) -> Queue {
        if ep.state() == EpState::Idle {
            Queue { head: TcbRef::NONE, tail: TcbRef::NONE }
        } else {
            Queue { head: ep.head(), tail: TcbRef(ep.get().tail.get()) }
        }
    }

    pub(crate) fn set_ep_queue(&mut self, ep: EpRef, q: Queue, st: EpState) {
        if q.head.is_none() {
            ep.set_head(TcbRef::NONE, EpState::Idle);
            ep.get().tail.set(0);
        } else {
            ep.set_head(q.head, st);
            ep.get().tail.set(q.tail.0);
        }
    }

    // -------------------------------------------------------- notification

    /// Signals `n` with `badge` (seL4 `sendSignal`).
    pub fn signal(&mut self, n: NtfnRef, badge: u64) {
        match n.state() {
            NtfnState::Idle => {
                let bound = TcbRef(n.get().bound_tcb.get());
                if !bound.is_none() && bound.state() == ThreadState::BlockedOnReceive {
                    // Wake the bound thread out of its endpoint receive.
                    self.cancel_ipc(bound);
                    set_recv_result(bound, badge, MessageInfo(0));
                    self.wake(bound);
                    // The receive completed: do not restart the syscall.
                    self.undo_restart(bound);
                } else {
                    n.get().word.set(badge);
                    n.set_head(TcbRef::NONE, NtfnState::Active);
                }
            }
            NtfnState::Waiting => {
                let t = n.head();
                let mut q = Queue { head: t, tail: TcbRef(n.get().tail.get()) };
                q.remove(t);
                self.set_ntfn_queue(n, q);
                t.get().blocked_on.set(0);
                set_recv_result(t, badge, MessageInfo(0));
                self.wake(t);
            }
            NtfnState::Active => {
                n.get().word.set(n.get().word.get() | badge);
            }
        }
    }

    fn set_ntfn_queue(&mut self, n: NtfnRef, q: Queue) {
        if q.head.is_none() {
            n.set_head(TcbRef::NONE, NtfnState::Idle);
            n.get().tail.set(0);
        } else {
            n.set_head(q.head, NtfnState::Waiting);
            n.get().tail.set(q.tail.0);
        }
    }

    fn complete_signal(&mut self, n: NtfnRef, t: TcbRef) {
        let w = n.get().word.get();
        n.get().word.set(0);
        n.set_head(TcbRef::NONE, NtfnState::Idle);
        set_recv_result(t, w, MessageInfo(0));
    }

    /// Waits on `n` (seL4 `receiveSignal`); `blocking` false = Poll.
    pub fn wait_signal(&mut self, t: TcbRef, n: NtfnRef, blocking: bool) {
        match n.state() {
            NtfnState::Active => self.complete_signal(n, t),
            _ if blocking => {
                t.get().blocked_on.set(n.0);
                self.set_thread_state(t, ThreadState::BlockedOnNotification);
                let mut q = if n.state() == NtfnState::Waiting {
                    Queue { head: n.head(), tail: TcbRef(n.get().tail.get()) }
                } else {
                    Queue { head: TcbRef::NONE, tail: TcbRef::NONE }
                };
                q.push(t);
                self.set_ntfn_queue(n, q);
            }
            _ => set_recv_result(t, 0, MessageInfo(0)),
        }
    }

    // -------------------------------------------------------------- cancel

    /// Takes `t` out of whatever IPC it is blocked in (seL4 `cancelIPC`). A
    /// thread blocked in a send or receive will re-execute its syscall when
    /// it runs again (its `rip` is rewound); a caller waiting for a reply has
    /// its call aborted.
    pub fn cancel_ipc(&mut self, t: TcbRef) {
        let g = t.get();
        match t.state() {
            ThreadState::BlockedOnSend | ThreadState::BlockedOnReceive => {
                let reply = ReplyRef(g.reply.get());
                if t.state() == ThreadState::BlockedOnReceive && !reply.is_none() && reply.get().receiver.get() == t.0 {
                    reply.get().receiver.set(0);
                }
                let ep = EpRef(g.blocked_on.get());
                if !ep.is_none() {
                    let st = ep.state();
                    let mut q = self.ep_queue(ep);
                    q.remove(t);
                    self.set_ep_queue(ep, q, st);
                }
                g.blocked_on.set(0);
                g.reply.set(0);
                if g.fault.get() != FaultLabel::None as u64 {
                    self.set_thread_state(t, ThreadState::Inactive);
                    return;
                }
                self.rewind_syscall(t);
                self.set_thread_state(t, ThreadState::Inactive);
            }
            ThreadState::BlockedOnNotification => {
                let n = NtfnRef(g.blocked_on.get());
                if !n.is_none() {
                    let mut q = Queue { head: n.head(), tail: TcbRef(n.get().tail.get()) };
                    q.remove(t);
                    self.set_ntfn_queue(n, q);
                }
                g.blocked_on.set(0);
                self.rewind_syscall(t);
                self.set_thread_state(t, ThreadState::Inactive);
            }
            ThreadState::BlockedOnReply => {
                let reply = ReplyRef(g.reply.get());
                if !reply.is_none() && reply.get().caller.get() == t.0 {
                    self.reply_pop(reply);
                }
                g.reply.set(0);
                if g.fault.get() == FaultLabel::None as u64 {
                    set_recv_result(t, 0, MessageInfo::new(LABEL_IPC_ABORTED, 0, 0, 0));
                }
                self.set_thread_state(t, ThreadState::Inactive);
            }
            _ => {}
        }
    }

    /// Points `t` back at its `syscall` instruction so it re-executes it.
    fn rewind_syscall(&self, t: TcbRef) {
        let regs = &t.get().regs;
        if regs.get(r::VECTOR) == VECTOR_SYSCALL {
            regs.set(r::RIP, regs.get(r::RIP).wrapping_sub(2));
        }
    }

    fn undo_restart(&self, t: TcbRef) {
        let regs = &t.get().regs;
        if regs.get(r::VECTOR) == VECTOR_SYSCALL {
            regs.set(r::RIP, regs.get(r::RIP).wrapping_add(2));
        }
    }

    /// Wakes every thread queued on `ep` (it is being destroyed); they
    /// re-execute their syscall and find the capability gone.
    pub fn cancel_all_ipc(&mut self, ep: EpRef) {
        while ep.state() != EpState::Idle {
            let t = ep.head();
            self.cancel_ipc(t);
            if t.state() == ThreadState::Inactive && t.get().fault.get() == FaultLabel::None as u64 {
                self.wake(t);
            }
        }
    }

    /// Aborts pending sends on `ep` that carry `badge` (`CancelBadgedSends`).
    pub fn cancel_badged_sends(&mut self, ep: EpRef, badge: u64) {
        if ep.state() != EpState::Send {
            return;
        }
        let mut t = ep.head();
        while !t.is_none() {
            let next = TcbRef(t.get().ep_next.get());
            if t.get().send_badge.get() == badge {
                self.cancel_ipc(t);
                if t.get().fault.get() == FaultLabel::None as u64 {
                    self.wake(t);
                }
            }
            t = next;
        }
    }

    /// Wakes every thread waiting on `n` (it is being destroyed).
    pub fn cancel_all_signals(&mut self, n: NtfnRef) {
        while n.state() == NtfnState::Waiting {
            let t = n.head();
            self.cancel_ipc(t);
            self.wake(t);
        }
    }
}
