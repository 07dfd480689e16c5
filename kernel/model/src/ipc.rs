//! Message passing: endpoint send/receive with reply objects (MCS), the
//! message transfer with capability grant and badge unwrapping,
//! notifications, and cancelling blocked operations.
//!
//! Rampart-specific choices (documented in `kernel/core/src/ipc.rs`): a
//! call that can never be answered (no reply object, reply object destroyed
//! or reused) ends with [`Outcome::Aborted`]; a cancelled send or receive
//! restarts ([`Outcome::Restart`]: `rip` goes back 2 bytes if the context
//! was saved by `syscall`).
//!
//! Scheduling contexts are lent through reply objects ([`crate::sched`]);
//! a thread with a pending fault sends it as a call and its handler's reply
//! resumes it (label 0) or leaves it stopped; a signal to a notification
//! bound to a thread blocked receiving on an endpoint completes that
//! receive. Capabilities travel only between threads with IPC buffers (the
//! capability pointers and the receive slot are in them).

use crate::Events;
use crate::state::{Addr, CapKind, Endpoint, Msg, Notification, Object, Outcome, SlotId, State, ThreadState};
use rampart_abi::Rights;

impl State {
    /// Makes `t` runnable.
    pub fn wake(&mut self, t: Addr) {
        self.set_state(t, ThreadState::Running);
    }

    /// The followed words of `t`'s IPC buffer (None without a buffer).
    pub fn buf_words(&self, t: Addr) -> Option<crate::state::BufWords> {
        let (f, off) = self.ipc_buffer(t)?;
        match self.objects.get(&f) {
            Some(Object::Frame(words)) => Some(words.get(&off).copied().unwrap_or_default()),
            _ => None,
        }
    }

    /// Changes the followed words of `t`'s IPC buffer (if it has one).
    pub fn set_buf_words(&mut self, t: Addr, f: impl FnOnce(&mut crate::state::BufWords)) {
        let Some((fr, off)) = self.ipc_buffer(t) else { return };
        if let Some(Object::Frame(words)) = self.objects.get_mut(&fr) {
            let mut w = words.get(&off).copied().unwrap_or_default();
            f(&mut w);
            if w == crate::state::BufWords::default() {
                words.remove(&off);
            } else {
                words.insert(off, w);
            }
        }
    }

    /// The receive slot named in `t`'s IPC buffer (None without a buffer).
    pub fn recv_index(&self, t: Addr) -> Option<u32> {
        self.buf_words(t)?.recv
    }

    /// `t` writes its receive slot into its IPC buffer (if it has one).
    pub fn set_recv_index(&mut self, t: Addr, index: Option<u32>) {
        self.set_buf_words(t, |w| w.recv = index);
    }

    /// The empty slot where `t` receives a capability, if it named one.
    fn receive_slot(&self, t: Addr) -> Option<SlotId> {
        let tcb = self.tcb(t)?;
        let index = self.recv_index(t)?;
        let s = crate::cnode::node_slot(tcb.cspace, index).ok()?;
        self.cap(s).is_none().then_some(s)
    }

    /// The pending fault of `t`.
    pub fn fault(&self, t: Addr) -> Option<crate::state::Fault> {
        self.tcb(t).and_then(|x| x.fault)
    }

    /// The slot and capability at index `cptr` of `t`'s root CNode.
    pub fn lookup(&self, t: Addr, cptr: u32) -> Option<SlotId> {
        crate::cnode::node_slot(self.tcb(t)?.cspace, cptr).ok()
    }

    /// Delivers `msg` from `sender` to `receiver` (seL4 `doIPCTransfer`).
    /// With `grant`, the message's capability is looked up in the sender's
    /// CSpace now; a capability to `ep` (the endpoint carrying the message)
    /// is unwrapped into its badge, any other is copied into the receiver's
    /// receive slot (if it named an empty one).
    fn transfer(
        &mut self,
        sender: Addr,
        msg: Msg,
        receiver: Addr,
        badge: u64,
        grant: bool,
        ep: Option<Addr>,
    ) -> Outcome {
        if let Some(f) = self.fault(sender) {
            let regs = self.tcb(sender).map(|x| x.regs).unwrap_or_default();
            let len = if self.ipc_buffer(receiver).is_some() { f.len() } else { f.len().min(4) };
            return Outcome::Fault { badge, label: f.label(), len: len as u8, mr0: f.mr0(&regs) };
        }
        let (mut caps, mut unwrapped, mut unwrapped_badge) = (0, 0, 0);
        let rbuf = self.ipc_buffer(receiver).is_some();
        // The capability pointer is read from the sender's IPC buffer now.
        let cptr = self.buf_words(sender).and_then(|w| u32::try_from(w.cap0).ok());
        if let (true, Some(_), Some(cptr)) = (grant, msg.cap, cptr) {
            let dest = self.receive_slot(receiver);
            if let Some(src) = self.lookup(sender, cptr)
                && let Some(cap) = self.cap(src)
            {
                if matches!(cap.kind, CapKind::Endpoint(e) if Some(e) == ep) {
                    (caps, unwrapped, unwrapped_badge) = (1, 1, if rbuf { cap.badge } else { 0 });
                    self.set_buf_words(receiver, |w| w.cap0 = cap.badge);
                } else if let (Some(d), Ok(new)) = (dest, self.derive(cap, src)) {
                    self.cap_insert(new, src, d);
                    caps = 1;
                }
            }
        }
        Outcome::Msg { badge, label: msg.label, mr0: msg.mr0, caps, unwrapped, unwrapped_badge }
    }

    /// `t` sends `msg` on endpoint `ep` with a capability of `badge` and
    /// `rights` (seL4 `sendIPC`).
    #[allow(clippy::too_many_arguments)]
    pub fn send_ipc(
        &mut self,
        t: Addr,
        ep: Addr,
        badge: u64,
        rights: Rights,
        blocking: bool,
        call: bool,
        msg: Msg,
        ev: &mut Events,
    ) {
        let grant = rights.contains(Rights::GRANT);
        let grant_reply = rights.contains(Rights::GRANT_REPLY);
        match self.ep_mut(ep).clone() {
            Endpoint::Recv(mut q) => {
                let dest = q.remove(0);
                *self.ep_mut(ep) = if q.is_empty() { Endpoint::Idle } else { Endpoint::Recv(q) };
                let ThreadState::BlockedOnRecv { reply, .. } = self.thread_state(dest) else {
                    panic!("model: receiver not blocked on receive")
                };
                if let Some(r) = reply {
                    self.reply_mut(r).receiver = None;
                }
                let out = self.transfer(t, msg, dest, badge, grant, Some(ep));
                ev.push((dest, out));
                self.wake(dest);
                match (call || self.fault(t).is_some(), reply) {
                    (true, Some(r)) => self.reply_push(t, dest, r, grant_reply),
                    (true, None) => self.abort_call(t, ev),
                    (false, _) => ev.push((t, Outcome::Ok)),
                }
            }
            q if blocking => {
                let st = ThreadState::BlockedOnSend { ep, badge, call, grant, grant_reply, msg };
                self.set_state(t, st);
                *self.ep_mut(ep) = match q {
                    Endpoint::Send(mut v) => {
                        v.push(t);
                        Endpoint::Send(v)
                    }
                    _ => Endpoint::Send(vec![t]),
                };
            }
            _ => ev.push((t, Outcome::Ok)),
        }
    }

    /// `t` receives on endpoint `ep`, binding a caller to `reply` (seL4
    /// `receiveIPC`).
    pub fn recv_ipc(&mut self, t: Addr, ep: Addr, reply: Option<Addr>, blocking: bool, ev: &mut Events) {
        if let Some(n) = self.tcb(t).and_then(|x| x.bound_ntfn)
            && let Some(Object::Notification(Notification::Active(w))) = self.objects.get(&n)
        {
            let w = *w;
            *self.ntfn_mut(n) = Notification::Idle;
            ev.push((t, Outcome::Signal(w)));
            return;
        }
        if let Some(r) = reply {
            // A reply object serves one thread at a time: a caller still
            // waiting on it is aborted, another thread blocked receiving
            // with it restarts (seL4 cancels its `replyTCB` either way).
            if let Some(old) = self.reply_mut(r).caller {
                self.abort_call(old, ev);
            }
            if let Some(other) = self.reply_mut(r).receiver
                && other != t
                && matches!(self.thread_state(other), ThreadState::BlockedOnRecv { .. })
            {
                self.cancel_ipc(other, ev);
                self.wake(other);
            }
        }
        match self.ep_mut(ep).clone() {
            Endpoint::Send(mut q) => {
                let sender = q.remove(0);
                *self.ep_mut(ep) = if q.is_empty() { Endpoint::Idle } else { Endpoint::Send(q) };
                let ThreadState::BlockedOnSend { badge, call, grant, grant_reply, msg, .. } = self.thread_state(sender)
                else {
                    panic!("model: sender not blocked on send")
                };
                let out = self.transfer(sender, msg, t, badge, grant, Some(ep));
                ev.push((t, out));
                match (call || self.fault(sender).is_some(), reply) {
                    (true, Some(r)) => self.reply_push(sender, t, r, grant_reply),
                    (true, None) => self.abort_call(sender, ev),
                    (false, _) => {
                        self.wake(sender);
                        ev.push((sender, Outcome::Ok));
                    }
                }
            }
            q if blocking => {
                if let Some(r) = reply {
                    self.reply_mut(r).receiver = Some(t);
                }
                self.set_state(t, ThreadState::BlockedOnRecv { ep, reply });
                *self.ep_mut(ep) = match q {
                    Endpoint::Recv(mut v) => {
                        v.push(t);
                        Endpoint::Recv(v)
                    }
                    _ => Endpoint::Recv(vec![t]),
                };
            }
            _ => ev.push((t, Outcome::Empty)),
        }
    }

    /// Binds `caller` to reply object `r` for the call `server` took, blocks
    /// it for the reply, and lends its scheduling context to a passive
    /// server (seL4 `reply_push`).
    fn reply_push(&mut self, caller: Addr, server: Addr, r: Addr, can_grant: bool) {
        let ro = self.reply_mut(r);
        ro.caller = Some(caller);
        ro.can_grant = can_grant;
        self.set_state(caller, ThreadState::BlockedOnReply { reply: r });
        self.lend(caller, server, r);
    }

    /// Unbinds the caller of `r`, returning it; a context lent through `r`
    /// leaves the call stack (and returns to the caller from the top).
    fn reply_pop(&mut self, r: Addr) -> Option<Addr> {
        let ro = self.reply_mut(r);
        ro.can_grant = false;
        let caller = ro.caller.take()?;
        self.reply_remove(r, caller);
        Some(caller)
    }

    /// `t` replies with `msg` through reply object `r`, named by a reply
    /// capability that may grant if `cap_grant` (seL4 `doReplyTransfer`).
    /// No caller: nothing happens and `false` is returned (a `Send` on the
    /// reply capability then fails with `IllegalOperation`). A faulted
    /// caller resumes if the label is 0 (its registers set from the reply),
    /// else stays stopped.
    pub fn do_reply(&mut self, t: Addr, r: Addr, cap_grant: bool, msg: Msg, ev: &mut Events) -> bool {
        let grant = self.reply_mut(r).can_grant && cap_grant;
        let Some(caller) = self.reply_pop(r) else { return false };
        if !matches!(self.thread_state(caller), ThreadState::BlockedOnReply { .. }) {
            return false;
        }
        let Some(f) = self.fault(caller) else {
            let out = self.transfer(t, msg, caller, 0, grant, None);
            ev.push((caller, out));
            self.wake(caller);
            return true;
        };
        let x = self.tcb_mut(caller);
        x.fault = None;
        if msg.label != 0 {
            x.state = ThreadState::Inactive;
            return true;
        }
        match f {
            crate::state::Fault::UnknownSyscall(_) => x.regs.syscall = false,
            crate::state::Fault::UserException(_) => x.regs.write(0, msg.mr0),
            crate::state::Fault::VmFault(_) => {}
        }
        x.state = ThreadState::Running;
        true
    }

    /// Ends a call that can never be answered (a faulted caller stops).
    pub fn abort_call(&mut self, caller: Addr, ev: &mut Events) {
        if let ThreadState::BlockedOnReply { reply } = self.thread_state(caller)
            && self.reply_mut(reply).caller == Some(caller)
        {
            self.reply_pop(reply);
        }
        if self.fault(caller).is_some() {
            self.set_state(caller, ThreadState::Inactive);
            return;
        }
        self.wake(caller);
        ev.push((caller, Outcome::Aborted));
    }

    /// `t`'s blocked system call is cancelled: it will re-execute it.
    fn restart(&mut self, t: Addr, ev: &mut Events) {
        let r = &mut self.tcb_mut(t).regs;
        if r.syscall {
            r.rip -= 2;
        }
        ev.push((t, Outcome::Restart));
    }

    /// Signals notification `n` with `badge` (seL4 `sendSignal`).
    pub fn signal(&mut self, n: Addr, badge: u64, ev: &mut Events) {
        match self.ntfn_mut(n).clone() {
            Notification::Idle => {
                let bound = self.objects.iter().find_map(|(&a, o)| match o {
                    Object::Tcb(x) if x.bound_ntfn == Some(n) => Some(a),
                    _ => None,
                });
                if let Some(b) = bound
                    && matches!(self.thread_state(b), ThreadState::BlockedOnRecv { .. })
                {
                    // The receive completes with the signal (no restart).
                    let rip = self.tcb(b).map(|x| x.regs.rip);
                    self.cancel_ipc(b, ev);
                    ev.retain(|(x, o)| *x != b || *o != Outcome::Restart);
                    let x = self.tcb_mut(b);
                    x.regs.rip = rip.unwrap_or(x.regs.rip);
                    x.state = ThreadState::Running;
                    ev.push((b, Outcome::Signal(badge)));
                } else {
                    *self.ntfn_mut(n) = Notification::Active(badge);
                }
            }
            Notification::Active(w) => *self.ntfn_mut(n) = Notification::Active(w | badge),
            Notification::Waiting(mut q) => {
                let t = q.remove(0);
                *self.ntfn_mut(n) = if q.is_empty() { Notification::Idle } else { Notification::Waiting(q) };
                self.wake(t);
                ev.push((t, Outcome::Signal(badge)));
            }
        }
    }

    /// `t` waits on notification `n` (`blocking` false: Poll).
    pub fn wait_signal(&mut self, t: Addr, n: Addr, blocking: bool, ev: &mut Events) {
        match self.ntfn_mut(n).clone() {
            Notification::Active(w) => {
                *self.ntfn_mut(n) = Notification::Idle;
                ev.push((t, Outcome::Signal(w)));
            }
            q if blocking => {
                self.set_state(t, ThreadState::BlockedOnNtfn { ntfn: n });
                *self.ntfn_mut(n) = match q {
                    Notification::Waiting(mut v) => {
                        v.push(t);
                        Notification::Waiting(v)
                    }
                    _ => Notification::Waiting(vec![t]),
                };
            }
            _ => ev.push((t, Outcome::Empty)),
        }
    }

    /// Takes `t` out of whatever it is blocked in and leaves it Inactive: a
    /// blocked send/receive/wait restarts, a call waiting for its reply is
    /// aborted (seL4 `cancelIPC`).
    pub fn cancel_ipc(&mut self, t: Addr, ev: &mut Events) {
        match self.thread_state(t) {
            ThreadState::BlockedOnSend { ep, .. } | ThreadState::BlockedOnRecv { ep, .. } => {
                if let ThreadState::BlockedOnRecv { reply: Some(r), .. } = self.thread_state(t)
                    && self.reply_mut(r).receiver == Some(t)
                {
                    self.reply_mut(r).receiver = None;
                }
                let e = self.ep_mut(ep);
                *e = match e.clone() {
                    Endpoint::Send(q) => queue_without(q, t, Endpoint::Send, Endpoint::Idle),
                    Endpoint::Recv(q) => queue_without(q, t, Endpoint::Recv, Endpoint::Idle),
                    Endpoint::Idle => Endpoint::Idle,
                };
                if self.fault(t).is_none() {
                    self.restart(t, ev);
                }
            }
            ThreadState::BlockedOnNtfn { ntfn } => {
                let n = self.ntfn_mut(ntfn);
                if let Notification::Waiting(q) = n.clone() {
                    *n = queue_without(q, t, Notification::Waiting, Notification::Idle);
                }
                self.restart(t, ev);
            }
            ThreadState::BlockedOnReply { reply } => {
                if self.reply_mut(reply).caller == Some(t) {
                    self.reply_pop(reply);
                }
                if self.fault(t).is_none() {
                    ev.push((t, Outcome::Aborted));
                }
            }
            ThreadState::Running | ThreadState::Inactive => return,
        }
        self.set_state(t, ThreadState::Inactive);
    }

    /// Endpoint `ep` is being destroyed: every queued thread restarts.
    pub fn cancel_all_ipc(&mut self, ep: Addr, ev: &mut Events) {
        loop {
            let t = match self.ep_mut(ep) {
                Endpoint::Send(q) | Endpoint::Recv(q) => q[0],
                Endpoint::Idle => return,
            };
            self.cancel_ipc(t, ev);
            if self.fault(t).is_none() {
                self.wake(t);
            }
        }
    }

    /// Notification `n` is being destroyed: every waiter restarts.
    pub fn cancel_all_signals(&mut self, n: Addr, ev: &mut Events) {
        while let Notification::Waiting(q) = self.ntfn_mut(n) {
            let t = q[0];
            self.cancel_ipc(t, ev);
            self.wake(t);
        }
    }

    /// Reply object `r` is being destroyed: its caller's call is aborted and
    /// a receiver that would bind a caller to it restarts.
    pub fn reply_destroyed(&mut self, r: Addr, ev: &mut Events) {
        if let Some(c) = self.reply_mut(r).caller {
            self.abort_call(c, ev);
        }
        if let Some(o) = self.reply_mut(r).receiver
            && matches!(self.thread_state(o), ThreadState::BlockedOnRecv { .. })
        {
            self.cancel_ipc(o, ev);
            self.wake(o);
        }
        self.reply_mut(r).receiver = None;
    }
}

/// The queue `q` without `t`, rebuilt with `some`, or `none` if empty.
fn queue_without<T>(mut q: Vec<Addr>, t: Addr, some: fn(Vec<Addr>) -> T, none: T) -> T {
    q.retain(|x| *x != t);
    if q.is_empty() { none } else { some(q) }
}
