//! Comparing the real kernel's state with the model's after a step.
//!
//! Compared: every slot of every live CNode and TCB (the exact capability
//! words, under the address bijection, and whether the slot has CDT
//! children), every thread's state and what it is blocked on, endpoint and
//! notification queues (in order), notification words, reply-object
//! bindings, and every thread's result registers: the outcome the model
//! says it saw in this step, or unchanged registers if none. The kernel's
//! own link and scheduler checks run too.

use super::harness::{KWorld, RIP};
use crate::Events;
use crate::state::{Addr, Endpoint, Notification, Object, Outcome, SlotId, State, ThreadState};
use rampart_abi::MessageInfo;
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_kcore::ipc::LABEL_IPC_ABORTED;
use rampart_kcore::kmem;
use rampart_kcore::object::{EpRef, EpState, NtfnRef, NtfnState, ReplyRef, TcbRef, ThreadState as KState, tcb_slot};
use rampart_kcore::regs::r;
use rampart_kcore::slot::{self, SlotRef};
use std::collections::BTreeMap;

/// Result registers of a thread: (rdi, rsi, rdx = MR0, rip).
pub type Regs = (u64, u64, u64, u64);

/// The result registers of every live thread in the model.
pub fn snapshot(w: &KWorld, m: &State) -> BTreeMap<Addr, Regs> {
    let mut out = BTreeMap::new();
    for (&a, o) in &m.objects {
        if let Object::Tcb(_) = o {
            let g = &w.tcb(a).get().regs;
            out.insert(a, (g.get(r::RDI), g.get(r::RSI), g.get(r::RDX), g.get(r::RIP)));
        }
    }
    out
}

/// The kernel slot for model slot `s`.
fn kslot(w: &KWorld, m: &State, s: SlotId) -> SlotRef {
    match m.objects.get(&s.obj) {
        Some(Object::Tcb(_)) => w.tcb(s.obj).slot(tcb_slot::CSPACE),
        _ => SlotRef::index(w.base + s.obj, u64::from(s.index)),
    }
}

fn queue(mut t: TcbRef, w: &KWorld) -> Vec<Addr> {
    let mut v = Vec::new();
    while !t.is_none() && v.len() < 64 {
        v.push(t.0 - w.base);
        t = TcbRef(t.get().ep_next.get());
    }
    v
}

fn opt(w: &KWorld, a: u64) -> Option<Addr> {
    (a != 0).then(|| a - w.base)
}

/// Compares kernel objects with the model's.
///
/// # Errors
/// A description of the first difference.
pub fn compare_state(w: &KWorld, m: &State) -> Result<(), String> {
    let b = w.base;
    for (&a, o) in &m.objects {
        let n = m.slot_count(a);
        for index in 0..n {
            let s = SlotId { obj: a, index };
            let ks = kslot(w, m, s);
            let want = m.cap(s).map_or(rampart_kcore::cap::Cap::NULL, |c| super::harness::kcap(b, &c));
            if ks.cap() != want {
                return Err(format!("slot {s:?}: kernel has {:?}, model {:?}", ks.cap(), m.cap(s)));
            }
            if m.cap(s).is_some() && slot::has_children(ks) != m.has_children(s) {
                return Err(format!(
                    "slot {s:?}: kernel has_children {}, model {}",
                    !m.has_children(s),
                    m.has_children(s)
                ));
            }
            let code = slot::check_links(ks);
            if code != 0 {
                return Err(format!("slot {s:?}: kernel CDT link violation {code}"));
            }
        }
        match o {
            Object::Tcb(t) => {
                let k = TcbRef(b + a);
                let g = k.get();
                let want = match t.state {
                    ThreadState::Inactive => (KState::Inactive, None),
                    ThreadState::Running => (KState::Running, None),
                    ThreadState::BlockedOnSend { ep, .. } => (KState::BlockedOnSend, Some(ep)),
                    ThreadState::BlockedOnRecv { ep, .. } => (KState::BlockedOnReceive, Some(ep)),
                    ThreadState::BlockedOnReply { reply } => (KState::BlockedOnReply, Some(reply)),
                    ThreadState::BlockedOnNtfn { ntfn } => (KState::BlockedOnNotification, Some(ntfn)),
                };
                let on = match k.state() {
                    KState::BlockedOnReply => opt(w, g.reply.get()),
                    KState::Running | KState::Inactive => None,
                    _ => opt(w, g.blocked_on.get()),
                };
                if (k.state(), on) != want {
                    return Err(format!("thread {a:#x}: kernel {:?} on {on:x?}, model {:?}", k.state(), t.state));
                }
            }
            Object::Endpoint(e) => {
                let k = EpRef(b + a);
                let got = match k.state() {
                    EpState::Idle => Endpoint::Idle,
                    EpState::Send => Endpoint::Send(queue(k.head(), w)),
                    EpState::Recv => Endpoint::Recv(queue(k.head(), w)),
                };
                if got != *e {
                    return Err(format!("endpoint {a:#x}: kernel {got:x?}, model {e:x?}"));
                }
            }
            Object::Notification(n) => {
                let k = NtfnRef(b + a);
                let got = match k.state() {
                    NtfnState::Idle => Notification::Idle,
                    NtfnState::Waiting => Notification::Waiting(queue(k.head(), w)),
                    NtfnState::Active => Notification::Active(k.get().word.get()),
                };
                if got != *n {
                    return Err(format!("notification {a:#x}: kernel {got:x?}, model {n:x?}"));
                }
            }
            Object::Reply(rp) => {
                let g = ReplyRef(b + a).get();
                let caller = opt(w, g.caller.get());
                let grant = caller.is_some() && g.can_grant.get() != 0;
                let got = (caller, grant, opt(w, g.receiver.get()));
                if got != (rp.caller, rp.can_grant, rp.receiver) {
                    return Err(format!("reply {a:#x}: kernel (caller, grant, receiver) {got:x?}, model {rp:x?}"));
                }
            }
            Object::CNode(_) => {}
        }
    }
    match w.k.check_invariants() {
        0 => Ok(()),
        c => Err(format!("kernel invariant check failed with code {c}")),
    }
}

/// Compares every live thread's result registers with the outcomes of the
/// step (`before`: registers after the harness wrote the inputs).
///
/// # Errors
/// A description of the first difference.
pub fn compare_outcomes(w: &KWorld, m: &State, ev: &Events, before: &BTreeMap<Addr, Regs>) -> Result<(), String> {
    let after = snapshot(w, m);
    for (&t, &(rdi, rsi, rdx, rip)) in &after {
        if !before.contains_key(&t) {
            continue; // created by this step
        }
        let restarted = ev.iter().any(|(x, o)| *x == t && *o == Outcome::Restart);
        let want_rip = if restarted { RIP - 2 } else { before[&t].3 };
        if rip != want_rip {
            return Err(format!("thread {t:#x}: rip {rip:#x}, expected {want_rip:#x} (restarted: {restarted})"));
        }
        let last = ev.iter().rev().find(|(x, o)| *x == t && *o != Outcome::Restart).map(|(_, o)| *o);
        let info = MessageInfo(rsi);
        let ok = match last {
            None => (before[&t].0, before[&t].1, before[&t].2) == (rdi, rsi, rdx),
            Some(Outcome::Ok) => rsi == 0,
            Some(Outcome::Err(e)) => info.label() == e as u64,
            Some(Outcome::Signal(wd)) => rdi == wd && rsi == 0,
            Some(Outcome::Empty) => rdi == 0 && rsi == 0,
            Some(Outcome::Aborted) => info.label() == LABEL_IPC_ABORTED,
            Some(Outcome::Restart) => true,
            Some(Outcome::Msg { badge, label, mr0, caps, unwrapped, unwrapped_badge }) => {
                let ub = if unwrapped != 0 {
                    let buf = rampart_kcore::ipc::ipc_buffer_paddr(w.tcb(t)).expect("buffer");
                    kmem::read_u64(buf + IpcBuffer::CAPS_OFFSET as u64)
                } else {
                    0
                };
                rdi == badge
                    && info.label() == label
                    && info.length() == 1
                    && rdx == mr0
                    && info.extra_caps() as u32 == caps
                    && info.caps_unwrapped() as u32 == unwrapped
                    && ub == unwrapped_badge
            }
        };
        if !ok {
            return Err(format!(
                "thread {t:#x}: registers rdi {rdi:#x} rsi {info:?} (label {}, len {}, extra {}, unwrapped {}) mr0 {rdx:#x}; model outcome {last:x?}",
                info.label(),
                info.length(),
                info.extra_caps(),
                info.caps_unwrapped()
            ));
        }
    }
    Ok(())
}

/// Puts every thread's `rip` back to [`RIP`] after a step.
pub fn reset_rips(w: &KWorld, m: &State) {
    for (&a, o) in &m.objects {
        if let Object::Tcb(_) = o {
            w.tcb(a).get().regs.set(r::RIP, RIP);
        }
    }
}
