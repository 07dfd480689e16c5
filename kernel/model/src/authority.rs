//! Authority confinement (seL4's "authority only through capabilities").
//!
//! A subject (boot thread) has the authority of every capability in its
//! CSpace: the CNodes reachable from its CSpace root through CNode
//! capabilities, and the root capability itself. A capability `c` *covers*
//! `b` if `b` is no more than `c`: the same object with no more rights and
//! the same badge (an unbadged capability covers every badge, since its
//! holder may mint them), or, for untyped `c`, an untyped region inside
//! `c`'s or an object inside it that did not exist before the step (Retype).
//!
//! The predicate, checked on every transition `pre -> post`:
//!
//! > for every subject `t` alive after the step, every capability in `t`'s
//! > CSpace after the step is covered by a capability that, before the step,
//! > was in the CSpace of `t` itself or of a subject `a` with a *channel* to
//! > `t`.
//!
//! A channel from `a` to `t` exists (before the step) if `a` can put a
//! capability into a CNode of `t`'s CSpace ([`writable`]): one it holds a
//! CNode capability to; the root CNode (where received capabilities land)
//! of any thread that can receive from an endpoint `a` can send to with
//! Grant; or the root CNode of the caller waiting on a reply object `a`
//! holds, if the reply may grant (the caller's endpoint capability had
//! GrantReply and the reply capability has Grant). CSpaces can share CNodes, so a grant to
//! one thread can reach another. This is a statement about states only;
//! it does not trust the operation's implementation.

use crate::invariants::Violation;
use crate::state::{Addr, Cap, CapKind, Object, SlotId, State, ThreadState};
use rampart_abi::Rights;
use std::collections::{BTreeMap, BTreeSet};

/// The slots in `t`'s CSpace: every slot of every CNode reachable from its
/// root capability.
pub fn cspace_cnodes(s: &State, t: Addr) -> BTreeSet<Addr> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<Addr> = s.tcb(t).and_then(|x| x.cspace).and_then(cnode_of).into_iter().collect();
    while let Some(cn) = todo.pop() {
        if !seen.insert(cn) {
            continue;
        }
        for index in 0..s.slot_count(cn) {
            if let Some(c) = s.cap(SlotId { obj: cn, index }).and_then(cnode_of) {
                todo.push(c);
            }
        }
    }
    seen
}

fn cnode_of(c: Cap) -> Option<Addr> {
    match c.kind {
        CapKind::CNode { obj, .. } => Some(obj),
        _ => None,
    }
}

/// Every capability in `t`'s CSpace, and its root capability.
pub fn authority(s: &State, t: Addr) -> Vec<Cap> {
    let mut v: Vec<Cap> = s.tcb(t).and_then(|x| x.cspace).into_iter().collect();
    for cn in cspace_cnodes(s, t) {
        v.extend((0..s.slot_count(cn)).filter_map(|index| s.cap(SlotId { obj: cn, index })));
    }
    v
}

/// Does `c` (held before the step) cover `b` (held after it)?
fn covers(pre: &State, post: &State, c: &Cap, b: &Cap) -> bool {
    match (c.kind, b.kind) {
        (CapKind::Untyped { .. }, CapKind::Untyped { .. }) => pre.covers_region(c, b),
        (CapKind::IrqControl, CapKind::IrqHandler(_)) | (CapKind::IoPortControl, CapKind::IoPort { .. }) => true,
        (CapKind::Untyped { .. }, _) => {
            let Some(a) = b.obj() else { return false };
            !pre.objects.contains_key(&a) && {
                let (cb, cn) = pre.cap_region(c);
                let (ob, on) = post.cap_region(b);
                ob >= cb && ob + on <= cb + cn
            }
        }
        _ => {
            std::mem::discriminant(&c.kind) == std::mem::discriminant(&b.kind)
                && c.ident() == b.ident()
                && c.rights.contains(b.rights)
                && (c.badge == 0 || c.badge == b.badge)
        }
    }
}

/// The CNodes `a` can put capabilities into in state `s`: those it holds a
/// CNode capability to; the root CNode (where the receive slot is) of every
/// thread that can receive from an endpoint `a` can send to with Grant
/// (`a` holds Write and Grant, or is blocked sending with Grant; the
/// receiver holds Read, or is blocked receiving there); and the root CNode
/// of the caller waiting on a reply object `a` holds, if the reply may
/// grant.
pub fn writable(s: &State, a: Addr) -> BTreeSet<Addr> {
    let auth: BTreeMap<Addr, Vec<Cap>> = s.threads.iter().map(|&t| (t, authority(s, t))).collect();
    writable_in(s, a, &auth)
}

/// [`writable`] with every subject's authority computed already.
fn writable_in(s: &State, a: Addr, auth: &BTreeMap<Addr, Vec<Cap>>) -> BTreeSet<Addr> {
    let empty = Vec::new();
    let auth_a = auth.get(&a).unwrap_or(&empty);
    let mut out: BTreeSet<Addr> = auth_a.iter().filter_map(|c| cnode_of(*c)).collect();
    let root = |t: Addr| s.tcb(t).and_then(|x| x.cspace).and_then(cnode_of);
    let wg = Rights(Rights::WRITE.0 | Rights::GRANT.0);
    for (&e, o) in &s.objects {
        if !matches!(o, Object::Endpoint(_)) {
            continue;
        }
        let can_send = auth_a.iter().any(|c| c.kind == CapKind::Endpoint(e) && c.rights.contains(wg))
            || matches!(s.thread_state(a), ThreadState::BlockedOnSend { ep, grant: true, .. } if ep == e);
        if !can_send {
            continue;
        }
        for &r in &s.threads {
            let can_recv = auth
                .get(&r)
                .is_some_and(|v| v.iter().any(|c| c.kind == CapKind::Endpoint(e) && c.rights.contains(Rights::READ)))
                || matches!(s.thread_state(r), ThreadState::BlockedOnRecv { ep, .. } if ep == e);
            if can_recv {
                out.extend(root(r));
            }
        }
    }
    for c in auth_a {
        if let CapKind::Reply(r) = c.kind
            && let Some(rp) = s.reply(r)
            && rp.can_grant
            && c.rights.contains(Rights::GRANT)
            && let Some(caller) = rp.caller
        {
            out.extend(root(caller));
        }
    }
    out
}

/// Can `a` transfer authority to `t` in state `s`: can it write into a
/// CNode of `t`'s CSpace?
pub fn channel(s: &State, a: Addr, t: Addr) -> bool {
    let t_cnodes = cspace_cnodes(s, t);
    writable(s, a).iter().any(|x| t_cnodes.contains(x))
}

/// Checks authority confinement for the transition `pre -> post`.
///
/// # Errors
/// A [`Violation`] naming the subject and the capability it gained.
pub fn check_confinement(pre: &State, post: &State) -> Result<(), Violation> {
    let auth: BTreeMap<Addr, Vec<Cap>> = pre.threads.iter().map(|&t| (t, authority(pre, t))).collect();
    let writ: BTreeMap<Addr, BTreeSet<Addr>> = pre.threads.iter().map(|&a| (a, writable_in(pre, a, &auth))).collect();
    for &t in &post.threads {
        if post.tcb(t).is_none() || pre.tcb(t).is_none() {
            continue;
        }
        let t_cnodes = cspace_cnodes(pre, t);
        let sources: Vec<Addr> =
            pre.threads.iter().copied().filter(|&a| a == t || writ[&a].iter().any(|x| t_cnodes.contains(x))).collect();
        let held: Vec<Cap> = sources.iter().flat_map(|&a| auth[&a].iter().copied()).collect();
        for b in authority(post, t) {
            if !held.iter().any(|c| covers(pre, post, c, &b)) {
                return Err(Violation {
                    invariant: "confinement",
                    detail: format!("thread {t:#x} gained {b:?} without a channel from a holder"),
                });
            }
        }
    }
    Ok(())
}
