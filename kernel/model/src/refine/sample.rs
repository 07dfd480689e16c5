//! Random operations for refinement runs: an operation kind is chosen
//! first, then its arguments, biased towards capabilities of the kind the
//! operation needs (seven times in eight) but sometimes any slot, so error
//! paths are exercised too. Slot indices stay inside the CNode named.
//!
//! One step in three is a *scenario* step that sets up what the IPC fast
//! paths need ([`fast_op`]): a Call without capabilities on an endpoint
//! where a receiver with a reply object waits, or a ReplyRecv without
//! capabilities through a reply object whose caller waits; and scheduling
//! contexts are unbound from threads blocked receiving (making them
//! passive servers that run on their callers' contexts).

use crate::inv::Inv;
use crate::op::{Loc, Op};
use crate::ops_gen::Domain;
use crate::rng::Rng;
use crate::state::{Addr, CapKind, Endpoint, Fault, Msg, NewObj, SlotId, State, ThreadState};
use rampart_abi::Rights;

/// Kinds of capability an argument wants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Untyped,
    CNode,
    Endpoint,
    Ntfn,
    Reply,
    Ipc,
    Tcb,
    Sc,
    Frame,
    VSpace,
    Table,
    Pool,
    Any,
    Empty,
}

fn matches(w: Want, k: Option<CapKind>) -> bool {
    matches!(
        (w, k),
        (Want::Any, Some(_))
            | (Want::Empty, None)
            | (Want::Untyped, Some(CapKind::Untyped { .. }))
            | (Want::CNode, Some(CapKind::CNode { .. }))
            | (Want::Endpoint, Some(CapKind::Endpoint(_)))
            | (Want::Ntfn, Some(CapKind::Notification(_)))
            | (Want::Reply, Some(CapKind::Reply(_)))
            | (Want::Tcb, Some(CapKind::Tcb(_)))
            | (Want::Sc, Some(CapKind::SchedContext(_)))
            | (Want::Frame, Some(CapKind::Frame { .. }))
            | (Want::VSpace, Some(CapKind::VSpace { .. }))
            | (Want::Table, Some(CapKind::Table { .. }))
            | (Want::Pool, Some(CapKind::AsidPool { .. }))
            | (Want::Ipc, Some(CapKind::Endpoint(_) | CapKind::Notification(_) | CapKind::Reply(_)))
    )
}

/// An index of the CNode `obj` (of `n` slots): usually one whose content
/// matches `w`.
fn index(s: &State, obj: Addr, n: u32, w: Want, rng: &mut Rng) -> u32 {
    let good: Vec<u32> = (0..n).filter(|&i| matches(w, s.cap(SlotId { obj, index: i }).map(|c| c.kind))).collect();
    if !good.is_empty() && rng.chance(7, 8) { *rng.pick(&good) } else { rng.below(u64::from(n)) as u32 }
}

/// An index holding a capability of kind `f`, if any.
fn holding(s: &State, obj: Addr, n: u32, f: impl Fn(CapKind) -> bool, rng: &mut Rng) -> Option<u32> {
    let v: Vec<u32> = (0..n).filter(|&i| s.cap(SlotId { obj, index: i }).is_some_and(|c| f(c.kind))).collect();
    (!v.is_empty()).then(|| *rng.pick(&v))
}

/// The CNode (address, slots) the capability at `cptr` of `t` names, if any.
fn cnode(s: &State, t: Addr, cptr: u32) -> Option<(Addr, u32)> {
    match s.cap(s.lookup(t, cptr)?)?.kind {
        CapKind::CNode { obj, radix, .. } => Some((obj, 1 << radix)),
        _ => None,
    }
}

/// True for the IPC system calls (Send, Call, Recv, ReplyRecv and variants).
pub fn is_ipc(op: &Op) -> bool {
    matches!(op, Op::Send { .. } | Op::Call { .. } | Op::Recv { .. } | Op::ReplyRecv { .. })
}

/// A short name of the operation's kind (for statistics).
pub fn kind(op: &Op) -> &'static str {
    match op {
        Op::Retype { .. } => "Retype",
        Op::Copy { .. } | Op::Move { .. } | Op::Delete(_) | Op::Revoke(_) | Op::CancelBadgedSends(_) => "CNode",
        Op::Send { .. } | Op::Call { .. } | Op::Recv { .. } | Op::ReplyRecv { .. } => "IPC",
        Op::Invoke { inv, .. } => match inv {
            Inv::SchedConfigure { .. }
            | Inv::ScBind(_)
            | Inv::ScUnbind
            | Inv::ScUnbindObject(_)
            | Inv::ScConsumed
            | Inv::ScYieldTo => "SchedContext",
            Inv::IrqGetIoapic { .. }
            | Inv::IrqGetMsi { .. }
            | Inv::IrqAck
            | Inv::IrqSetNotification(_)
            | Inv::IrqClear => "IRQ",
            Inv::PortIssue { .. } | Inv::PortIo { .. } => "IOPort",
            Inv::FrameMap { .. } | Inv::FrameUnmap | Inv::TableMap { .. } | Inv::TableUnmap(_) | Inv::AsidAssign(_) => {
                "VSpace"
            }
            _ => "TCB",
        },
        Op::Fault(_) => "Fault",
        Op::Interrupt(_) => "Interrupt",
    }
}

/// A scenario step for the IPC fast paths by a running thread (see the
/// module documentation), if one applies.
pub fn fast_op(s: &State, rng: &mut Rng) -> Option<(Addr, Op)> {
    let (mut ipc, mut out) = (Vec::new(), Vec::new());
    for &t in s.threads.iter().filter(|&&t| s.schedulable(t)) {
        let Some(CapKind::CNode { obj, radix, .. }) = s.tcb(t).and_then(|x| x.cspace).map(|c| c.kind) else {
            continue;
        };
        let n = 1u32 << radix;
        let msg = Msg { label: 0, mr0: rng.next_u64() >> 40, cap: None };
        for i in 0..n {
            let Some(c) = s.cap(SlotId { obj, index: i }) else { continue };
            match c.kind {
                CapKind::Endpoint(e) if c.rights.contains(Rights::WRITE) => {
                    if let Some(Endpoint::Recv(q)) = s.ep(e)
                        && matches!(s.thread_state(q[0]), ThreadState::BlockedOnRecv { reply: Some(_), .. })
                    {
                        ipc.push((t, Op::Call { cap: i, msg, recv_slot: None }));
                    }
                }
                CapKind::Reply(r) if s.reply(r).is_some_and(|x| x.caller.is_some()) => {
                    let readable = |k: Option<CapKind>, rt: Rights| {
                        matches!(k, Some(CapKind::Endpoint(_))) && rt.contains(Rights::READ)
                    };
                    let eps: Vec<u32> = (0..n)
                        .filter(|&j| s.cap(SlotId { obj, index: j }).is_some_and(|c| readable(Some(c.kind), c.rights)))
                        .collect();
                    if !eps.is_empty() {
                        let msg = Msg { label: if rng.chance(1, 4) { 1 } else { 0 }, ..msg };
                        ipc.push((t, Op::ReplyRecv { reply: i, cap: *rng.pick(&eps), msg, recv_slot: None }));
                    }
                }
                _ => {}
            }
        }
        // Paging structures and frames are made and mapped into a usable
        // VSpace the thread holds, top level first, at the start of the
        // user region.
        let held = |f: &dyn Fn(CapKind) -> bool| {
            (0..n).filter(|&j| s.cap(SlotId { obj, index: j }).is_some_and(|c| f(c.kind))).collect::<Vec<u32>>()
        };
        let vss = held(&|k| matches!(k, CapKind::VSpace { obj, asid } if s.find_vspace(asid) == Some(obj)));
        let ut = held(&|k| matches!(k, CapKind::Untyped { .. })).first().copied();
        let empty = (0..n).find(|&j| s.cap(SlotId { obj, index: j }).is_none());
        if let Some(&vs) = vss.first() {
            let vaddr = 0x1000_0000 + 0x1000 * rng.below(2);
            let v = s.cap(SlotId { obj, index: vs }).and_then(|c| c.obj()).unwrap_or(0);
            let (ty, have) = match s.missing_level(v, vaddr) {
                Some(l) => (
                    NewObj::Table(l),
                    held(&move |k| matches!(k, CapKind::Table { level, mapped: None, .. } if level == l)),
                ),
                None => (NewObj::Frame, held(&|k| matches!(k, CapKind::Frame { mapped: None, .. }))),
            };
            match (have.first(), ut, empty) {
                (Some(&cap), ..) if ty == NewObj::Frame => {
                    out.push((t, Op::Invoke { cap, inv: Inv::FrameMap { vs, vaddr, rights: 3, attr: 0 } }))
                }
                (Some(&cap), ..) => {
                    let NewObj::Table(level) = ty else { unreachable!() };
                    out.push((t, Op::Invoke { cap, inv: Inv::TableMap { level, vs, vaddr } }));
                }
                (None, Some(ut), Some(offset)) => {
                    out.push((t, Op::Retype { ut, ty, root: 0, node: None, offset, count: 1 }));
                }
                _ => {}
            }
        }
        // Faults: a thread whose fault endpoint has a receiver waiting
        // faults; a thread holding another's TCB and an endpoint installs
        // it as that thread's fault endpoint (keeping its context).
        let fault_ep = s.tcb(t).and_then(|x| x.slots[2]).map(|c| c.kind);
        if let Some(CapKind::Endpoint(e)) = fault_ep
            && matches!(s.ep(e), Some(Endpoint::Recv(_)))
        {
            let f = *rng.pick(&[Fault::UnknownSyscall(0x77), Fault::UserException(6), Fault::VmFault(0x1234_5000)]);
            out.push((t, Op::Fault(f)));
        }
        let eps = held(&|k| matches!(k, CapKind::Endpoint(_)));
        for tc in held(&|k| matches!(k, CapKind::Tcb(x) if s.tcb(x).is_some_and(|y| y.slots[2].is_none()))) {
            let Some(CapKind::Tcb(x)) = s.cap(SlotId { obj, index: tc }).map(|c| c.kind) else { continue };
            let own = s.tcb(x).and_then(|y| y.sc);
            let sc = held(&|k| Some(k) == own.map(CapKind::SchedContext)).first().copied().or(empty);
            if let (Some(sc), Some(&fault), true) = (sc, eps.first(), own.is_none() || empty.is_some()) {
                let inv = Inv::TcbSetSchedParams { mcp: 255, prio: 100, auth: tc, sc, fault };
                out.push((t, Op::Invoke { cap: tc, inv }));
            }
        }
        // A thread blocked receiving with a reply object becomes a passive
        // server if someone unbinds its context.
        for i in 0..n {
            if let Some(CapKind::SchedContext(x)) = s.cap(SlotId { obj, index: i }).map(|c| c.kind)
                && let Some(b) = s.sc(x).and_then(|c| c.tcb)
                && b != t
                && matches!(s.thread_state(b), ThreadState::BlockedOnRecv { reply: Some(_), .. })
            {
                out.push((t, Op::Invoke { cap: i, inv: Inv::ScUnbind }));
            }
        }
    }
    // The fast-path steps first, three times in four.
    if !ipc.is_empty() && (out.is_empty() || rng.chance(3, 4)) {
        return Some(*rng.pick(&ipc));
    }
    (!out.is_empty()).then(|| *rng.pick(&out))
}

/// A random operation by a random running boot thread (or an interrupt);
/// `None` if no thread can run.
pub fn random_op(s: &State, d: &Domain, rng: &mut Rng) -> Option<(Addr, Op)> {
    let running: Vec<Addr> = s.threads.iter().copied().filter(|&t| s.schedulable(t)).collect();
    if running.is_empty() {
        return None;
    }
    if rng.chance(1, 3)
        && let Some(x) = fast_op(s, rng)
    {
        return Some(x);
    }
    let t = *rng.pick(&running);
    let (root, n) = s.tcb(t)?.cspace.and_then(|c| match c.kind {
        CapKind::CNode { obj, radix, .. } => Some((obj, 1u32 << radix)),
        _ => None,
    })?;
    let cptr = |w: Want, rng: &mut Rng| index(s, root, n, w, rng);
    let loc = |w: Want, rng: &mut Rng| {
        let node = index(s, root, n, Want::CNode, rng);
        let slots = cnode(s, t, node).map_or(n, |x| x.1);
        let obj = cnode(s, t, node).map_or(root, |x| x.0);
        Loc { node, index: index(s, obj, slots, w, rng) }
    };
    let label = if rng.chance(1, 4) { 0 } else { 1 + rng.below(7) };
    let msg = |rng: &mut Rng| Msg {
        label,
        mr0: rng.next_u64() >> 40,
        cap: if rng.chance(1, 2) { Some(index(s, root, n, Want::Any, rng)) } else { None },
    };
    let recv = |rng: &mut Rng| if rng.chance(1, 3) { None } else { Some(index(s, root, n, Want::Empty, rng)) };
    let op = match rng.below(28) {
        26 | 27 => vspace_op(s, root, n, rng),
        0..=2 => Op::Retype {
            ut: cptr(Want::Untyped, rng),
            ty: *rng.pick(&d.types),
            root: cptr(Want::CNode, rng),
            node: if rng.chance(1, 5) { Some(cptr(Want::CNode, rng)) } else { None },
            offset: index(s, root, n, Want::Empty, rng),
            count: *rng.pick(&d.counts),
        },
        3 | 4 => {
            Op::Copy { dest: loc(Want::Empty, rng), src: loc(Want::Any, rng), rights: *rng.pick(&d.rights), data: None }
        }
        5 => {
            let (dest, src) = (loc(Want::Empty, rng), loc(Want::Any, rng));
            let data = if rng.chance(1, 2) { *rng.pick(&d.badges) } else { *rng.pick(&d.guards) };
            Op::Copy { dest, src, rights: *rng.pick(&d.rights), data: Some(data) }
        }
        6 => Op::Move { dest: loc(Want::Empty, rng), src: loc(Want::Any, rng), data: None },
        7 => {
            let data = if rng.chance(1, 2) { *rng.pick(&d.badges) } else { *rng.pick(&d.guards) };
            Op::Move { dest: loc(Want::Empty, rng), src: loc(Want::Any, rng), data: Some(data) }
        }
        8 => Op::Delete(loc(Want::Any, rng)),
        9 => Op::Revoke(loc(Want::Any, rng)),
        10 => Op::CancelBadgedSends(loc(Want::Endpoint, rng)),
        11 => Op::Send { cap: cptr(Want::Ipc, rng), msg: msg(rng), blocking: rng.chance(2, 3) },
        12 | 13 => Op::Call { cap: cptr(Want::Endpoint, rng), msg: msg(rng), recv_slot: recv(rng) },
        14 | 15 => {
            let w = if rng.chance(2, 3) { Want::Endpoint } else { Want::Ntfn };
            let reply = if rng.chance(3, 4) { Some(cptr(Want::Reply, rng)) } else { None };
            Op::Recv { cap: cptr(w, rng), reply, recv_slot: recv(rng), blocking: reply.is_none() || rng.chance(1, 2) }
        }
        16 => Op::Send { cap: cptr(Want::Ntfn, rng), msg: msg(rng), blocking: true },
        17 => Op::ReplyRecv {
            reply: cptr(Want::Reply, rng),
            cap: cptr(Want::Endpoint, rng),
            msg: msg(rng),
            recv_slot: recv(rng),
        },
        18 | 19 => sched_op(s, root, n, rng),
        20..=22 => tcb_op(s, root, n, rng),
        23 => device_op(s, root, n, rng),
        24 => {
            Op::Fault(*rng.pick(&[Fault::UnknownSyscall(0x77), Fault::UserException(6), Fault::VmFault(0x1234_5000)]))
        }
        _ => {
            let mut irqs: Vec<u64> = s.irqs.keys().copied().collect();
            irqs.push(1 + rng.below(30));
            Op::Interrupt(*rng.pick(&irqs))
        }
    };
    Some((t, op))
}

/// A frame, paging-structure or ASID-pool invocation.
fn vspace_op(s: &State, root: Addr, n: u32, rng: &mut Rng) -> Op {
    let c = |w: Want, rng: &mut Rng| index(s, root, n, w, rng);
    let vaddr = if rng.chance(1, 2) {
        0x1000_0000
    } else {
        *rng.pick(&[
            0x1000_0000,
            0x1000_1000,
            0x1020_0000,
            0x4000_0000,
            0x80_0000_0000,
            0x1000_0800,
            rampart_abi::USER_TOP - 0x1000,
            rampart_abi::USER_TOP,
        ])
    };
    match rng.below(6) {
        0 | 1 => {
            let (cap, vs) = (c(Want::Frame, rng), c(Want::VSpace, rng));
            let (rights, attr) = (*rng.pick(&[3, 3, 2, 1, 0]), *rng.pick(&[0, 1, 2, 4]));
            Op::Invoke { cap, inv: Inv::FrameMap { vs, vaddr, rights, attr } }
        }
        2 => Op::Invoke { cap: c(Want::Frame, rng), inv: Inv::FrameUnmap },
        3 | 4 => {
            let cap = c(Want::Table, rng);
            let level = match s.cap(SlotId { obj: root, index: cap }).map(|c| c.kind) {
                Some(CapKind::Table { level, .. }) if rng.chance(7, 8) => level,
                _ => 1 + rng.below(3) as u8,
            };
            if rng.chance(1, 4) {
                return Op::Invoke { cap, inv: Inv::TableUnmap(level) };
            }
            Op::Invoke { cap, inv: Inv::TableMap { level, vs: c(Want::VSpace, rng), vaddr } }
        }
        _ => Op::Invoke { cap: c(Want::Pool, rng), inv: Inv::AsidAssign(c(Want::VSpace, rng)) },
    }
}

/// A SchedControl or SchedContext invocation.
fn sched_op(s: &State, root: Addr, n: u32, rng: &mut Rng) -> Op {
    let c = |w: Want, rng: &mut Rng| index(s, root, n, w, rng);
    let sc = c(Want::Sc, rng);
    let inv = match rng.below(7) {
        0 => {
            let budget = *rng.pick(&[1000, 5000, 10_000, 0, 20_000]);
            let period = *rng.pick(&[10_000, 10_000, 4_000_000_000, 1000]);
            let ctl = holding(s, root, n, |k| k == CapKind::SchedControl, rng).unwrap_or(0);
            return Op::Invoke { cap: ctl, inv: Inv::SchedConfigure { sc, budget, period, badge: rng.below(4) } };
        }
        1 => Inv::ScBind(if rng.chance(3, 4) { c(Want::Tcb, rng) } else { c(Want::Ntfn, rng) }),
        2 => Inv::ScUnbind,
        3 => Inv::ScConsumed,
        4 => Inv::ScUnbindObject(if rng.chance(3, 4) { c(Want::Tcb, rng) } else { c(Want::Ntfn, rng) }),
        5 => Inv::ScConsumed,
        _ => Inv::ScYieldTo,
    };
    Op::Invoke { cap: sc, inv }
}

/// A TCB invocation.
fn tcb_op(s: &State, root: Addr, n: u32, rng: &mut Rng) -> Op {
    let c = |w: Want, rng: &mut Rng| index(s, root, n, w, rng);
    let tcb = c(Want::Tcb, rng);
    let prio = *rng.pick(&[100, 100, 50, 200, 255, 256]);
    let inv = match rng.below(14) {
        0 => Inv::TcbSetSchedParams {
            mcp: *rng.pick(&[255, 100, 300]),
            prio,
            auth: c(Want::Tcb, rng),
            sc: if rng.chance(3, 4) { c(Want::Sc, rng) } else { c(Want::Empty, rng) },
            fault: if rng.chance(2, 3) { c(Want::Endpoint, rng) } else { c(Want::Empty, rng) },
        },
        1 => Inv::TcbSetPriority { value: prio, auth: c(Want::Tcb, rng), mcp: rng.chance(1, 3) },
        2 | 3 => Inv::TcbSetIpcBuffer {
            vaddr: *rng.pick(&[
                crate::boot::IPC_BUFFER_VADDR,
                0x20_0400,
                0x20_0c00,
                0,
                0x10_0100,
                rampart_abi::USER_TOP,
            ]),
            frame: c(Want::Frame, rng),
        },
        // A native range that holds the harness's `syscall` (USER_RIP), so
        // the redirect itself (tested in kernel/core's host tests and
        // ktest) never fires here; the rest are rejected or turn it off.
        4 if rng.chance(1, 3) => {
            let r = crate::state::USER_RIP;
            *rng.pick(&[
                Inv::TcbSetSyscallDispatch(0x7000_0000, r - 0x1000, r + 0x1000),
                Inv::TcbSetSyscallDispatch(0, 5, 3),
                Inv::TcbSetSyscallDispatch(rampart_abi::USER_TOP, 0, 0),
                Inv::TcbSetSyscallDispatch(0x7000_0000, 0x2000, 0x1000),
                Inv::TcbSetSyscallDispatch(0x7000_0000, 0, u64::MAX),
            ])
        }
        4 => Inv::TcbSetTlsBase(*rng.pick(&[0x7000_1000, 0, rampart_abi::USER_TOP, u64::MAX])),
        5 if rng.chance(1, 2) => Inv::TcbSuspend,
        5 | 6 => Inv::TcbResume,
        7 => Inv::TcbBindNotification(c(Want::Ntfn, rng)),
        8 => Inv::TcbUnbindNotification,
        9 => Inv::TcbSetTimeoutEndpoint(if rng.chance(1, 2) { c(Want::Endpoint, rng) } else { c(Want::Empty, rng) }),
        10 => Inv::TcbReadRegisters { suspend: rng.chance(1, 3), count: *rng.pick(&[20, 5, 3, 21]) },
        11 | 12 => Inv::TcbWriteRegisters {
            resume: rng.chance(1, 2),
            count: *rng.pick(&[20, 19, 4, 2, 21]),
            seed: *rng.pick(&[0x1000, 0x7fff_ffff_f000, u64::MAX - 0x10_0000]),
        },
        _ => Inv::TcbCopyRegisters { src: c(Want::Tcb, rng), flags: rng.below(4) },
    };
    Op::Invoke { cap: tcb, inv }
}

/// An IRQControl, IRQHandler, IOPortControl or IOPort invocation.
fn device_op(s: &State, root: Addr, n: u32, rng: &mut Rng) -> Op {
    let find = |f: fn(CapKind) -> bool, rng: &mut Rng| {
        holding(s, root, n, f, rng).unwrap_or_else(|| rng.below(u64::from(n)) as u32)
    };
    let dest = index(s, root, n, Want::Empty, rng);
    match rng.below(8) {
        0 => Op::Invoke {
            cap: find(|k| k == CapKind::IrqControl, rng),
            inv: Inv::IrqGetIoapic { root: 0, index: dest, gsi: *rng.pick(&[0, 1, 5, 23, 24, 119, 120, u64::MAX]) },
        },
        1 => Op::Invoke { cap: find(|k| k == CapKind::IrqControl, rng), inv: Inv::IrqGetMsi { root: 0, index: dest } },
        2 => {
            let ntfn = index(s, root, n, Want::Ntfn, rng);
            let inv = *rng.pick(&[Inv::IrqAck, Inv::IrqClear, Inv::IrqSetNotification(ntfn)]);
            Op::Invoke { cap: find(|k| matches!(k, CapKind::IrqHandler(_)), rng), inv }
        }
        3 => {
            let (first, last) =
                *rng.pick(&[(0x60, 0x64), (0x3f8, 0x3ff), (0xfff0, 0xffff), (5, 3), (0, 0x1_0000), (0x61, 0x61)]);
            Op::Invoke {
                cap: find(|k| k == CapKind::IoPortControl, rng),
                inv: Inv::PortIssue { first, last, root: 0, index: dest },
            }
        }
        _ => {
            let cap = find(|k| matches!(k, CapKind::IoPort { .. }), rng);
            let (lo, hi) = match s.cap(SlotId { obj: root, index: cap }).map(|c| c.kind) {
                Some(CapKind::IoPort { first, last }) => (u64::from(first), u64::from(last)),
                _ => (0x60, 0x64),
            };
            let port = *rng.pick(&[
                lo,
                hi,
                hi.saturating_sub(1),
                lo.wrapping_sub(1),
                u64::MAX,
                u64::MAX - 2,
                0x1_0000 + lo,
                (lo + hi) / 2,
            ]);
            let width = *rng.pick(&[1u8, 2, 4]);
            let value = if rng.chance(1, 2) { Some(rng.next_u64() >> 16) } else { None };
            Op::Invoke { cap, inv: Inv::PortIo { port, width, value } }
        }
    }
}
