//! Random operations for refinement runs: an operation kind is chosen
//! first, then its arguments, biased towards capabilities of the kind the
//! operation needs (seven times in eight) but sometimes any slot, so error
//! paths are exercised too. Slot indices stay inside the CNode named.

use crate::op::{Loc, Op};
use crate::ops_gen::Domain;
use crate::rng::Rng;
use crate::state::{Addr, CapKind, Msg, SlotId, State, ThreadState};

/// Kinds of capability an argument wants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    Untyped,
    CNode,
    Endpoint,
    Ntfn,
    Reply,
    Ipc,
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
            | (Want::Ipc, Some(CapKind::Endpoint(_) | CapKind::Notification(_) | CapKind::Reply(_)))
    )
}

/// An index of the CNode `obj` (of `n` slots): usually one whose content
/// matches `w`.
fn index(s: &State, obj: Addr, n: u32, w: Want, rng: &mut Rng) -> u32 {
    let good: Vec<u32> = (0..n).filter(|&i| matches(w, s.cap(SlotId { obj, index: i }).map(|c| c.kind))).collect();
    if !good.is_empty() && rng.chance(7, 8) { *rng.pick(&good) } else { rng.below(u64::from(n)) as u32 }
}

/// The CNode (address, slots) the capability at `cptr` of `t` names, if any.
fn cnode(s: &State, t: Addr, cptr: u32) -> Option<(Addr, u32)> {
    match s.cap(s.lookup(t, cptr)?)?.kind {
        CapKind::CNode { obj, radix, .. } => Some((obj, 1 << radix)),
        _ => None,
    }
}

/// A random operation by a random running boot thread; `None` if no thread
/// is running.
pub fn random_op(s: &State, d: &Domain, rng: &mut Rng) -> Option<(Addr, Op)> {
    let running: Vec<Addr> = s.threads.iter().copied().filter(|&t| s.thread_state(t) == ThreadState::Running).collect();
    if running.is_empty() {
        return None;
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
    let label = 1 + rng.below(7);
    let msg = |rng: &mut Rng| Msg {
        label,
        mr0: rng.next_u64() >> 40,
        cap: if rng.chance(1, 2) { Some(index(s, root, n, Want::Any, rng)) } else { None },
    };
    let recv = |rng: &mut Rng| if rng.chance(1, 3) { None } else { Some(index(s, root, n, Want::Empty, rng)) };
    let op = match rng.below(18) {
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
        5 | 6 => {
            let (dest, src) = (loc(Want::Empty, rng), loc(Want::Any, rng));
            let data = if rng.chance(1, 2) { *rng.pick(&d.badges) } else { *rng.pick(&d.guards) };
            Op::Copy { dest, src, rights: *rng.pick(&d.rights), data: Some(data) }
        }
        7 => Op::Move { dest: loc(Want::Empty, rng), src: loc(Want::Any, rng), data: None },
        8 => {
            let data = if rng.chance(1, 2) { *rng.pick(&d.badges) } else { *rng.pick(&d.guards) };
            Op::Move { dest: loc(Want::Empty, rng), src: loc(Want::Any, rng), data: Some(data) }
        }
        9 => Op::Delete(loc(Want::Any, rng)),
        10 => Op::Revoke(loc(Want::Any, rng)),
        11 => Op::CancelBadgedSends(loc(Want::Endpoint, rng)),
        12 => Op::Send { cap: cptr(Want::Ipc, rng), msg: msg(rng), blocking: rng.chance(2, 3) },
        13 => Op::Call { cap: cptr(Want::Endpoint, rng), msg: msg(rng), recv_slot: recv(rng) },
        14 | 15 => {
            let w = if rng.chance(2, 3) { Want::Endpoint } else { Want::Ntfn };
            let reply = if rng.chance(3, 4) { Some(cptr(Want::Reply, rng)) } else { None };
            Op::Recv { cap: cptr(w, rng), reply, recv_slot: recv(rng), blocking: reply.is_none() || rng.chance(1, 2) }
        }
        16 => Op::Send { cap: cptr(Want::Ntfn, rng), msg: msg(rng), blocking: true },
        _ => Op::ReplyRecv {
            reply: cptr(Want::Reply, rng),
            cap: cptr(Want::Endpoint, rng),
            msg: msg(rng),
            recv_slot: recv(rng),
        },
    };
    Some((t, op))
}
