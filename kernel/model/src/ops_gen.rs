//! Which operations a thread can try in a state: the explorer tries all of
//! them, the refinement tests pick one at random.
//!
//! Arguments come from small domains ([`Domain`]) and from the state (slots
//! that hold capabilities, empty slots, CNode capabilities). With
//! `errors`, operations that must fail (occupied destination, empty source,
//! missing rights, wrong capability type) are included too.

use crate::inv::Inv;
use crate::op::{Loc, Op};
use crate::state::{Addr, CapKind, Msg, NewObj, SlotId, State, ThreadState};
use rampart_abi::Rights;

/// Argument domains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domain {
    /// Object types for Retype.
    pub types: Vec<NewObj>,
    /// Object counts for Retype.
    pub counts: Vec<u32>,
    /// Rights masks for Copy and Mint.
    pub rights: Vec<Rights>,
    /// Badges for Mint.
    pub badges: Vec<u64>,
    /// Mint/Mutate data for CNode capabilities (guard size `<< 58`).
    pub guards: Vec<u64>,
    /// Include Mutate.
    pub mutate: bool,
    /// Include CancelBadgedSends.
    pub cancel_badged: bool,
    /// Include ReplyRecv.
    pub reply_recv: bool,
    /// Include operations that must fail.
    pub errors: bool,
    /// Include SchedContextUnbind and SchedContextBind (to every TCB) on
    /// every scheduling context capability, and TcbSuspend and TcbResume.
    pub sched: bool,
    /// Symmetry reduction: use only the lowest empty slot of a CNode as a
    /// destination (Retype, Copy, Mint, Move, Mutate, receive slot). Empty
    /// slots are interchangeable unless a pending message or receive names
    /// one, so this loses little and shrinks the state space a lot.
    pub first_empty: bool,
}

impl Domain {
    /// The small domain used for exhaustive exploration.
    pub fn small() -> Domain {
        Domain {
            types: vec![NewObj::Endpoint, NewObj::Reply, NewObj::CNode(1)],
            counts: vec![1],
            rights: vec![Rights::ALL, Rights::WRITE],
            badges: vec![1],
            guards: vec![],
            mutate: false,
            cancel_badged: false,
            reply_recv: false,
            errors: false,
            sched: false,
            first_empty: true,
        }
    }
}

/// Slots of the CNode a capability at `cptr` of `t` names: (CNode, slots).
fn cnode_at(s: &State, t: Addr, cptr: u32) -> Option<(Addr, u32)> {
    match s.cap(s.lookup(t, cptr)?)?.kind {
        CapKind::CNode { obj, radix, .. } => Some((obj, 1 << radix)),
        _ => None,
    }
}

/// Every operation thread `t` may try in `s` (empty unless it is running).
/// Messages carry `label` and MR0 0.
pub fn candidates(s: &State, t: Addr, d: &Domain, label: u64) -> Vec<Op> {
    let mut out = Vec::new();
    let Some(tcb) = s.tcb(t) else { return out };
    if tcb.state != ThreadState::Running {
        return out;
    }
    let Some(root) = tcb.cspace.and_then(|c| match c.kind {
        CapKind::CNode { obj, radix, .. } => Some((obj, 1u32 << radix)),
        _ => None,
    }) else {
        return out;
    };
    let cptrs: Vec<u32> = (0..root.1).collect();
    let kind = |c: u32| s.cap(SlotId { obj: root.0, index: c }).map(|x| x.kind);
    let holds = |c: u32| kind(c).is_some();
    let cnodes: Vec<(u32, Addr, u32)> =
        cptrs.iter().filter_map(|&c| cnode_at(s, t, c).map(|(a, n)| (c, a, n))).collect();
    let filled = |a: Addr, n: u32, full: bool| -> Vec<u32> {
        let v = (0..n).filter(|&i| s.cap(SlotId { obj: a, index: i }).is_some() == full);
        if !full && d.first_empty { v.take(1).collect() } else { v.collect() }
    };
    let empty_root: Vec<u32> = filled(root.0, root.1, false);
    let msg_caps: Vec<Option<u32>> =
        std::iter::once(None).chain(cptrs.iter().filter(|&&c| holds(c)).map(|&c| Some(c))).collect();
    let recv_slots: Vec<Option<u32>> = std::iter::once(None).chain(empty_root.iter().map(|&c| Some(c))).collect();
    let is = |c: u32, f: fn(CapKind) -> bool| kind(c).is_some_and(f);
    let of = |f: fn(CapKind) -> bool| -> Vec<u32> {
        cptrs
            .iter()
            .copied()
            .filter(|&c| is(c, f) || (d.errors && !holds(c) && empty_root.first() == Some(&c)))
            .collect()
    };
    let uts = of(|k| matches!(k, CapKind::Untyped { .. }));
    let eps = of(|k| matches!(k, CapKind::Endpoint(_)));
    let ntfns = of(|k| matches!(k, CapKind::Notification(_)));
    let replies = of(|k| matches!(k, CapKind::Reply(_)));

    // Retype into the root-named CNode of each CNode capability.
    for &ut in &uts {
        for &ty in &d.types {
            for &(rc, a, n) in &cnodes {
                for offset in filled(a, n, false).into_iter().chain(if d.errors { filled(a, n, true) } else { vec![] })
                {
                    for &count in &d.counts {
                        out.push(Op::Retype { ut, ty, root: rc, node: None, offset, count });
                    }
                }
            }
        }
    }
    // CNode operations.
    for &(dn, da, dsz) in &cnodes {
        let dests: Vec<u32> = if d.errors { (0..dsz).collect() } else { filled(da, dsz, false) };
        for &(sn, sa, ssz) in &cnodes {
            let srcs: Vec<u32> = if d.errors { (0..ssz).collect() } else { filled(sa, ssz, true) };
            for &di in &dests {
                for &si in &srcs {
                    let (dest, src) = (Loc { node: dn, index: di }, Loc { node: sn, index: si });
                    if !d.errors && da == sa && di == si {
                        continue;
                    }
                    out.push(Op::Move { dest, src, data: None });
                    let sk = s.cap(SlotId { obj: sa, index: si }).map(|c| c.kind);
                    for &rights in &d.rights {
                        out.push(Op::Copy { dest, src, rights, data: None });
                        let data: &[u64] = match sk {
                            Some(CapKind::Endpoint(_) | CapKind::Notification(_)) => &d.badges,
                            Some(CapKind::CNode { .. }) => &d.guards,
                            _ => &[],
                        };
                        for &x in data {
                            out.push(Op::Copy { dest, src, rights, data: Some(x) });
                        }
                    }
                    if d.mutate {
                        for &x in std::iter::once(&0).chain(d.badges.iter()).chain(d.guards.iter()) {
                            out.push(Op::Move { dest, src, data: Some(x) });
                        }
                    }
                }
            }
        }
        let occupied: Vec<u32> = if d.errors { (0..dsz).collect() } else { filled(da, dsz, true) };
        for &i in &occupied {
            let l = Loc { node: dn, index: i };
            out.push(Op::Delete(l));
            out.push(Op::Revoke(l));
            if d.cancel_badged {
                out.push(Op::CancelBadgedSends(l));
            }
        }
    }
    // IPC.
    let msg = |cap| Msg { label, mr0: 0, cap };
    for &c in eps.iter().chain(&ntfns).chain(&replies) {
        for &mc in &msg_caps {
            for blocking in [true, false] {
                out.push(Op::Send { cap: c, msg: msg(mc), blocking });
            }
        }
    }
    for &c in &eps {
        for &mc in &msg_caps {
            for &rs in &recv_slots {
                out.push(Op::Call { cap: c, msg: msg(mc), recv_slot: rs });
            }
        }
    }
    for &c in eps.iter().chain(&ntfns) {
        for &rs in &recv_slots {
            out.push(Op::Recv { cap: c, reply: None, recv_slot: rs, blocking: true });
            for &r in &replies {
                for blocking in [true, false] {
                    out.push(Op::Recv { cap: c, reply: Some(r), recv_slot: rs, blocking });
                }
            }
        }
    }
    if d.sched {
        let tcbs = of(|k| matches!(k, CapKind::Tcb(_)));
        for &c in &of(|k| matches!(k, CapKind::SchedContext(_))) {
            out.push(Op::Invoke { cap: c, inv: Inv::ScUnbind });
            for &b in &tcbs {
                out.push(Op::Invoke { cap: c, inv: Inv::ScBind(b) });
            }
        }
        for &b in &tcbs {
            out.push(Op::Invoke { cap: b, inv: Inv::TcbSuspend });
            out.push(Op::Invoke { cap: b, inv: Inv::TcbResume });
        }
    }
    if d.reply_recv {
        for &r in &replies {
            for &c in &eps {
                for &mc in &msg_caps {
                    for &rs in &recv_slots {
                        out.push(Op::ReplyRecv { reply: r, cap: c, msg: msg(mc), recv_slot: rs });
                    }
                }
            }
        }
    }
    out
}
