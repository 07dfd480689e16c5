//! Comparing the real kernel's state with the model's after a step.
//!
//! Compared: every slot of every live CNode and TCB (the exact capability
//! words, under the address bijection, and whether the slot has CDT
//! children), every thread's state and what it is blocked on, endpoint and
//! notification queues (in order), notification words, reply-object
//! bindings, scheduling contexts (parameters, bound thread, call stack), threads' scheduling context, priority, MCP, bound
//! notification, pending fault, IPC buffer address and followed registers
//! (`rip`, `rsp`, `rflags`, `rbx`, `rbp`, `rcx`, `r11`, `r13`-`r15`, the TLS
//! base, whether the context is a `syscall` one), the interrupt table and
//! the issued I/O ports; and every thread's result registers: the outcome
//! the model says it saw in this step, or unchanged registers if none, and
//! the port writes. The kernel's own link and scheduler checks run too, and
//! `rampart_kcore::refcheck` walks the real object graph: no live object
//! refers to a dead one, contexts are bound once, IPC buffers writable.

use super::harness::{KWorld, RIP};
use crate::Events;
use crate::state::{Addr, Endpoint, Notification, Object, Outcome, SlotId, State, ThreadState};
use rampart_abi::MessageInfo;
use rampart_abi::ipc_buffer::IpcBuffer;
use rampart_kcore::ipc::LABEL_IPC_ABORTED;
use rampart_kcore::kmem;
use rampart_kcore::object::{EpRef, EpState, NtfnRef, NtfnState, ReplyRef, ScRef, TcbRef, ThreadState as KState};
use rampart_kcore::regs::{VECTOR_SYSCALL, r};
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
        Some(Object::Tcb(_)) => w.tcb(s.obj).slot(u64::from(s.index)),
        _ => SlotRef::index(w.base + s.obj, u64::from(s.index)),
    }
}

/// Kernel registers in the order of [`crate::thread::Regs::saved`].
const SAVED: [usize; 9] = [r::RSP, r::RFLAGS, r::RBX, r::RBP, r::RCX, r::R11, r::R13, r::R14, r::R15];

fn compare_thread(w: &KWorld, a: Addr, t: &crate::state::Tcb) -> Result<(), String> {
    let g = TcbRef(w.base + a).get();
    let kr = &g.regs;
    let got = (
        opt(w, g.sc.get()),
        g.priority.get(),
        g.mcp.get(),
        opt(w, g.bound_ntfn.get()),
        g.fault.get(),
        g.ipc_buffer.get(),
    );
    let want = (t.sc, t.prio, t.mcp, t.bound_ntfn, t.fault.map_or(0, |f| f.label()), t.ipc_buffer);
    if got != want {
        return Err(format!(
            "thread {a:#x}: kernel (sc, prio, mcp, bound ntfn, fault, ipc buffer) {got:x?}, model {want:x?}"
        ));
    }
    let dispatch = (g.dispatch_entry.get(), g.dispatch_lo.get(), g.dispatch_hi.get());
    if dispatch != t.dispatch {
        return Err(format!("thread {a:#x}: kernel syscall dispatch {dispatch:x?}, model {:x?}", t.dispatch));
    }
    let saved: Vec<u64> = SAVED.iter().map(|&i| kr.get(i)).collect();
    let regs = (kr.get(r::RIP), saved, g.fs_base.get(), kr.get(r::VECTOR) == VECTOR_SYSCALL);
    let want = (t.regs.rip, t.regs.saved.to_vec(), t.regs.tls, t.regs.syscall);
    if regs != want {
        return Err(format!("thread {a:#x}: kernel (rip, saved, tls, syscall) {regs:x?}, model {want:x?}"));
    }
    Ok(())
}

/// The interrupt table and the issued I/O ports.
fn compare_devices(w: &KWorld, m: &State) -> Result<(), String> {
    for (i, e) in w.k.irqs.iter().enumerate() {
        let got = e.active.then(|| (e.pending_ack, opt(w, e.ntfn), if e.ntfn != 0 { e.badge } else { 0 }));
        let want = m.irqs.get(&(i as u64)).map(|x| (x.pending_ack, x.ntfn, if x.ntfn.is_some() { x.badge } else { 0 }));
        if got != want {
            return Err(format!("interrupt {i}: kernel (pending ack, ntfn, badge) {got:x?}, model {want:x?}"));
        }
    }
    let mut bits = [0u64; 1024];
    for &(f, l) in &m.io_ports {
        for p in f..=l {
            bits[p as usize / 64] |= 1 << (p % 64);
        }
    }
    if let Some(i) = (0..1024).find(|&i| bits[i] != w.k.io_ports[i]) {
        return Err(format!(
            "I/O ports {}..{}: kernel {:#x}, model {:#x}",
            64 * i,
            64 * i + 63,
            w.k.io_ports[i],
            bits[i]
        ));
    }
    Ok(())
}

/// The real object graph: `rampart_kcore::refcheck` from every thread the
/// kernel knows and every CNode the model says is live.
fn compare_graph(w: &KWorld, m: &State) -> Result<(), String> {
    let mut tcbs = Vec::new();
    let mut t = w.k.threads;
    while !t.is_none() && tcbs.len() < 4096 {
        tcbs.push(t);
        t = TcbRef(t.get().all_next.get());
    }
    let roots: Vec<SlotRef> = m
        .objects
        .iter()
        .filter(|(_, o)| matches!(o, Object::CNode(_)))
        .flat_map(|(&a, _)| (0..m.slot_count(a)).map(move |i| SlotRef::index(w.base + a, u64::from(i))))
        .collect();
    let mut live = rampart_kcore::refcheck::live_objects(&roots, &tcbs);
    // Scheduling contexts the kernel gave the boot threads need no
    // capability; the model says which are still live.
    for (&a, o) in &m.objects {
        if matches!(o, Object::SchedContext(_)) {
            live.insert(w.base + a, rampart_abi::CapType::SchedContext);
        }
    }
    rampart_kcore::refcheck::check_references(&w.k, &live).map_err(|e| format!("kernel object graph: {e}"))
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
                compare_thread(w, a, t)?;
            }
            Object::SchedContext(x) => {
                let g = ScRef(b + a).get();
                // The call stack, top first, through the reply objects'
                // `below` links.
                let mut stack = Vec::new();
                let mut r = g.reply.get();
                while r != 0 && stack.len() < 64 {
                    stack.push(r - b);
                    r = ReplyRef(r).get().below.get();
                }
                stack.reverse();
                let got = (g.budget.get(), g.period.get(), g.badge.get(), opt(w, g.tcb.get()), stack);
                let want = (x.budget, x.period, x.badge, x.tcb, x.stack.clone());
                if got != want {
                    return Err(format!(
                        "scheduling context {a:#x}: kernel (budget, period, badge, tcb, call stack) {got:x?}, model {want:x?}"
                    ));
                }
            }
            Object::Frame(words) => {
                for (&off, bw) in words {
                    let at = b + a + off + IpcBuffer::RECEIVE_OFFSET as u64;
                    let recv = (kmem::read_u64(at + 8), kmem::read_u64(at + 16));
                    let want = bw.recv.map_or((recv.0, 0), |i| (u64::from(i), 64));
                    let cap0 = kmem::read_u64(b + a + off + IpcBuffer::CAPS_OFFSET as u64);
                    if (recv, cap0) != (want, bw.cap0) {
                        return Err(format!(
                            "frame {a:#x}+{off:#x}: kernel (receive index, depth), first capability word {:?}, model {bw:x?}",
                            (recv, cap0)
                        ));
                    }
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
                // Only the top of a call stack names the context.
                let top = m.reply_sc(a).filter(|&x| m.sc(x).and_then(|c| c.stack.last().copied()) == Some(a));
                let got = (caller, grant, opt(w, g.receiver.get()), opt(w, g.sc.get()));
                let want = (rp.caller, rp.can_grant, rp.receiver, top);
                if got != want {
                    return Err(format!(
                        "reply {a:#x}: kernel (caller, grant, receiver, context it tops) {got:x?}, model {want:x?}"
                    ));
                }
            }
            Object::Table(t) => {
                for i in 0..512u16 {
                    let got = kmem::read_u64(b + a + 8 * u64::from(i));
                    let want = t.entries.get(&i).map_or(0, |e| (b + e.target) | e.bits);
                    if got != want {
                        return Err(format!(
                            "table {a:#x} (level {}) entry {i}: kernel {got:#x}, model {want:#x}",
                            t.level
                        ));
                    }
                }
            }
            Object::AsidPool(e) => {
                for i in 0..512u16 {
                    let got = kmem::read_u64(b + a + 8 * u64::from(i));
                    let want = e.get(&i).map_or(0, |v| b + v);
                    if got != want {
                        return Err(format!("ASID pool {a:#x} entry {i}: kernel {got:#x}, model {want:#x}"));
                    }
                }
            }
            Object::CNode(_) => {}
        }
    }
    compare_devices(w, m)?;
    for (hi, &p) in w.k.asid_table.iter().enumerate() {
        let want = m.asid_pools.get(&(hi as u64)).map_or(0, |a| b + a);
        if p != want {
            return Err(format!("ASID table {hi}: kernel {p:#x}, model {want:#x}"));
        }
    }
    match w.k.check_structure() {
        0 => {}
        c => return Err(format!("kernel invariant check failed with code {c}")),
    }
    compare_graph(w, m)
}

/// Compares every live thread's result registers with the outcomes of the
/// step (`before`: registers after the harness wrote the inputs).
///
/// # Errors
/// A description of the first difference.
pub fn compare_outcomes(w: &KWorld, m: &State, ev: &Events, before: &BTreeMap<Addr, Regs>) -> Result<(), String> {
    let after = snapshot(w, m);
    for (&t, &(rdi, rsi, rdx, _rip)) in &after {
        if !before.contains_key(&t) {
            continue; // created by this step
        }
        let last = ev.iter().rev().find(|(x, o)| *x == t && *o != Outcome::Restart).map(|(_, o)| *o);
        let info = MessageInfo(rsi);
        let g = &w.tcb(t).get().regs;
        let buf = rampart_kcore::ipc::ipc_buffer_paddr(w.tcb(t));
        let mr = |i: usize| match i {
            0 => Some(rdx),
            1 => Some(g.get(r::R8)),
            2 => Some(g.get(r::R9)),
            3 => Some(g.get(r::R10)),
            _ => buf.map(|b| kmem::read_u64(b + (IpcBuffer::MSG_OFFSET + 8 * i) as u64)),
        };
        let ok = match last {
            None => (before[&t].0, before[&t].1, before[&t].2) == (rdi, rsi, rdx),
            Some(Outcome::Ok) => rsi == 0,
            Some(Outcome::Err(e)) => info.label() == e as u64,
            Some(Outcome::Signal(wd)) => rdi == wd && rsi == 0,
            Some(Outcome::Empty) => rdi == 0 && rsi == 0,
            Some(Outcome::Aborted) => info.label() == LABEL_IPC_ABORTED,
            Some(Outcome::Restart | Outcome::PortOut { .. } | Outcome::Clobbered) => true,
            Some(Outcome::Words { n, w }) => {
                info.label() == 0
                    && info.length() == usize::from(n)
                    && (0..usize::from(n).min(2)).all(|i| mr(i) == Some(w[i]))
            }
            Some(Outcome::Regs { target, n }) => {
                let regs = m.tcb(target).map(|x| x.regs).unwrap_or_default();
                info.label() == 0
                    && info.length() == usize::from(n)
                    && (0..usize::from(n)).all(|i| match (regs.read(i), mr(i)) {
                        (Some(v), Some(got)) => v == got,
                        _ => true,
                    })
            }
            Some(Outcome::Fault { badge, label, len, mr0 }) => {
                rdi == badge && info.label() == label && info.length() == usize::from(len) && rdx == mr0
            }
            Some(Outcome::Msg { badge, label, mr0, caps, unwrapped, unwrapped_badge }) => {
                let ub = match buf {
                    Some(b) if unwrapped != 0 => kmem::read_u64(b + IpcBuffer::CAPS_OFFSET as u64),
                    _ => 0,
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
    let want: Vec<(u16, u8, u32)> = ev
        .iter()
        .filter_map(|(_, o)| match *o {
            Outcome::PortOut { port, width, value } => Some((port, width, value)),
            _ => None,
        })
        .collect();
    let got = &w.k.m.port_writes[w.port_mark.min(w.k.m.port_writes.len())..];
    if got != want.as_slice() {
        return Err(format!("port writes: kernel {got:x?}, model {want:x?}"));
    }
    Ok(())
}

/// Puts every thread's `rip` back to [`RIP`] after a step, in the kernel
/// and in the model.
pub fn reset_rips(w: &KWorld, m: &mut State) {
    let ts: Vec<Addr> = m.objects.iter().filter(|(_, o)| matches!(o, Object::Tcb(_))).map(|(&a, _)| a).collect();
    for a in ts {
        w.tcb(a).get().regs.set(r::RIP, RIP);
        m.tcb_mut(a).regs.rip = RIP;
    }
}
