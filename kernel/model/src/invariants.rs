//! State invariants, checked on every state the explorer reaches and after
//! every refinement step.
//!
//! | name | statement |
//! |---|---|
//! | `no-dangling` | every capability names a live object of its kind (untyped: a region inside memory, watermark within it) |
//! | `cdt` | the derivation tree links non-empty slots, is acyclic, and a parent covers its child: same object, or an untyped region containing it; a child never has more rights than its parent, nor a different badge from a badged parent |
//! | `untyped` | untyped regions nest or are disjoint; every object inside an untyped capability's region lies below its watermark and is named by a CDT descendant of it (so Retype never hands out memory in use, and Revoke reclaims everything) |
//! | `disjoint` | live objects do not overlap, and lie wholly inside or wholly outside untyped memory |
//! | `reachable` | every live object is named by a capability (boot threads, scheduling contexts bound to a thread and ASID pools in the kernel's ASID table excepted: the subjects, what they run on, and the kernel's own table) |
//! | `ipc` | kernel-internal references are consistent: a thread is in an object's queue iff its state says it is blocked there; reply objects and their callers and receivers agree |
//! | `sched` | `tcb.sc` and `sc.tcb` agree (a context is bound to at most one thread); a reply object is in at most one call stack, and only while it binds a caller; bound and interrupt notifications are live |

use crate::state::{Addr, Cap, CapKind, Endpoint, Notification, Object, SlotId, State, ThreadState};
use std::collections::BTreeMap;

/// A violated invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Invariant name (see the module table).
    pub invariant: &'static str,
    /// What was found.
    pub detail: String,
}

fn fail<T>(invariant: &'static str, detail: String) -> Result<T, Violation> {
    Err(Violation { invariant, detail })
}

/// Checks every invariant; returns the first violation.
///
/// # Errors
/// The first [`Violation`] found.
pub fn check(s: &State) -> Result<(), Violation> {
    let caps = s.all_caps();
    no_dangling(s, &caps)?;
    cdt(s)?;
    untyped(s, &caps)?;
    disjoint(s)?;
    reachable(s, &caps)?;
    ipc(s)
}

fn no_dangling(s: &State, caps: &[(SlotId, Cap)]) -> Result<(), Violation> {
    let (mem, mem_bits) = s.memory;
    for (slot, c) in caps {
        let ok = match (c.kind, c.obj().and_then(|a| s.objects.get(&a))) {
            (CapKind::Untyped { base, size_bits, free }, _) => {
                base >= mem && base + (1 << size_bits) <= mem + (1 << mem_bits) && free <= 1 << size_bits
            }
            (CapKind::CNode { radix, .. }, Some(Object::CNode(v))) => v.len() == 1 << radix,
            (CapKind::Tcb(_), Some(Object::Tcb(_)))
            | (CapKind::Endpoint(_), Some(Object::Endpoint(_)))
            | (CapKind::Notification(_), Some(Object::Notification(_)))
            | (CapKind::Reply(_), Some(Object::Reply(_)))
            | (CapKind::SchedContext(_), Some(Object::SchedContext(_)))
            | (CapKind::Frame { .. }, Some(Object::Frame(_)))
            | (CapKind::AsidPool { .. }, Some(Object::AsidPool(_)))
            | (CapKind::VSpace { .. }, Some(Object::Table(crate::vspace::Table { level: 4, .. })))
            | (CapKind::SchedControl | CapKind::IrqControl | CapKind::IoPortControl, _) => true,
            (CapKind::Table { level, .. }, Some(Object::Table(t))) => t.level == level,
            (CapKind::IrqHandler(i), _) => s.irqs.contains_key(&i),
            (CapKind::IoPort { first, last }, _) => s.io_ports.contains(&(first, last)),
            _ => false,
        };
        if !ok {
            return fail("no-dangling", format!("{slot:?} holds {c:?}"));
        }
    }
    Ok(())
}

fn cdt(s: &State) -> Result<(), Violation> {
    for (&child, &parent) in &s.cdt {
        let (Some(c), Some(p)) = (s.cap(child), s.cap(parent)) else {
            return fail("cdt", format!("link {child:?} -> {parent:?} involves an empty slot"));
        };
        if !s.covers_region(&p, &c) {
            return fail("cdt", format!("parent {p:?} does not cover child {c:?}"));
        }
        if !p.rights.contains(c.rights) {
            return fail("cdt", format!("child {c:?} has more rights than parent {p:?}"));
        }
        if p.is_badged_kind() && p.badge != 0 && p.badge != c.badge {
            return fail("cdt", format!("child {c:?} re-badged from {p:?}"));
        }
        let mut x = parent;
        for _ in 0..=s.cdt.len() {
            match s.cdt.get(&x) {
                Some(&up) if up == child => return fail("cdt", format!("cycle through {child:?}")),
                Some(&up) => x = up,
                None => break,
            }
        }
    }
    if let Some(o) = s.original.iter().find(|o| s.cap(**o).is_none()) {
        return fail("cdt", format!("empty slot {o:?} marked original"));
    }
    Ok(())
}

fn untyped(s: &State, caps: &[(SlotId, Cap)]) -> Result<(), Violation> {
    let uts: Vec<(SlotId, Addr, u64, u64)> = caps
        .iter()
        .filter_map(|(sl, c)| match c.kind {
            CapKind::Untyped { base, size_bits, free } => Some((*sl, base, 1u64 << size_bits, free)),
            _ => None,
        })
        .collect();
    for &(sl, base, size, free) in &uts {
        for &(sl2, b2, n2, _) in &uts {
            let overlap = b2 < base + size && base < b2 + n2;
            let nested = (b2 >= base && b2 + n2 <= base + size) || (base >= b2 && base + size <= b2 + n2);
            if overlap && !nested {
                return fail("untyped", format!("regions of {sl:?} and {sl2:?} overlap partially"));
            }
        }
        let desc = s.descendants(sl);
        for (&a, o) in &s.objects {
            let end = a + (1u64 << s.sizes.bits(o.new_obj()));
            if a < base || end > base + size {
                continue;
            }
            if end > base + free {
                return fail("untyped", format!("object {a:#x} of {sl:?} above its watermark {free:#x}"));
            }
            if !desc.iter().any(|d| s.cap(*d).and_then(|c| c.obj()) == Some(a)) {
                return fail("untyped", format!("object {a:#x} in the region of {sl:?} is not its descendant"));
            }
        }
    }
    Ok(())
}

fn disjoint(s: &State) -> Result<(), Violation> {
    let (mem, mem_bits) = s.memory;
    let mem_end = mem + (1 << mem_bits);
    let mut prev: Option<(Addr, Addr)> = None;
    for (&a, o) in &s.objects {
        let end = a + (1u64 << s.sizes.bits(o.new_obj()));
        if let Some((p, pend)) = prev
            && a < pend
        {
            return fail("disjoint", format!("objects {p:#x} and {a:#x} overlap"));
        }
        let inside = a >= mem && end <= mem_end;
        let outside = end <= mem || a >= mem_end;
        if !inside && !outside {
            return fail("disjoint", format!("object {a:#x} straddles untyped memory"));
        }
        prev = Some((a, end));
    }
    Ok(())
}

fn reachable(s: &State, caps: &[(SlotId, Cap)]) -> Result<(), Violation> {
    for &a in s.objects.keys() {
        let bound = s.sc(a).is_some_and(|x| x.tcb.is_some()) || s.asid_pools.values().any(|&p| p == a);
        if !s.threads.contains(&a) && !bound && !caps.iter().any(|(_, c)| c.obj() == Some(a)) {
            return fail("reachable", format!("object {a:#x} has no capability"));
        }
    }
    Ok(())
}

fn ipc(s: &State) -> Result<(), Violation> {
    // Where each thread is queued, according to the objects.
    let mut queued: BTreeMap<Addr, (Addr, &'static str)> = BTreeMap::new();
    for (&a, o) in &s.objects {
        let (q, kind): (&[Addr], &'static str) = match o {
            Object::Endpoint(Endpoint::Send(q)) => (q, "send"),
            Object::Endpoint(Endpoint::Recv(q)) => (q, "recv"),
            Object::Notification(Notification::Waiting(q)) => (q, "ntfn"),
            _ => (&[], ""),
        };
        if matches!(o, Object::Endpoint(Endpoint::Send(q) | Endpoint::Recv(q)) | Object::Notification(Notification::Waiting(q)) if q.is_empty())
        {
            return fail("ipc", format!("object {a:#x} has an empty queue that is not idle"));
        }
        for &t in q {
            if queued.insert(t, (a, kind)).is_some() {
                return fail("ipc", format!("thread {t:#x} queued twice"));
            }
        }
    }
    for (&a, o) in &s.objects {
        let Object::Tcb(tcb) = o else { continue };
        let expect = match tcb.state {
            ThreadState::BlockedOnSend { ep, .. } => Some((ep, "send")),
            ThreadState::BlockedOnRecv { ep, reply } => {
                if let Some(r) = reply
                    && s.reply(r).and_then(|x| x.receiver) != Some(a)
                {
                    return fail("ipc", format!("thread {a:#x} receives with reply {r:#x} that does not name it"));
                }
                Some((ep, "recv"))
            }
            ThreadState::BlockedOnNtfn { ntfn } => Some((ntfn, "ntfn")),
            ThreadState::BlockedOnReply { reply } => {
                if s.reply(reply).and_then(|r| r.caller) != Some(a) {
                    return fail("ipc", format!("thread {a:#x} waits on reply {reply:#x} that is not bound to it"));
                }
                None
            }
            ThreadState::Running | ThreadState::Inactive => None,
        };
        if queued.get(&a).copied() != expect {
            return fail("ipc", format!("thread {a:#x} in state {:?} but queued {:?}", tcb.state, queued.get(&a)));
        }
    }
    for (&a, o) in &s.objects {
        let Object::Reply(r) = o else { continue };
        if let Some(c) = r.caller
            && s.thread_state(c) != (ThreadState::BlockedOnReply { reply: a })
        {
            return fail("ipc", format!("reply {a:#x} bound to {c:#x} which is not waiting on it"));
        }
        if let Some(t) = r.receiver
            && !matches!(s.thread_state(t), ThreadState::BlockedOnRecv { reply: Some(x), .. } if x == a)
        {
            return fail("ipc", format!("reply {a:#x} names receiver {t:#x} which is not receiving with it"));
        }
        if r.caller.is_none() && r.can_grant {
            return fail("ipc", format!("unbound reply {a:#x} keeps a grant right"));
        }
    }
    sched(s)
}

/// Scheduling contexts, bound notifications and interrupt notifications:
/// `tcb.sc` and `sc.tcb` agree (so a context is bound to at most one
/// thread); a reply object is in at most one call stack, only while it
/// binds a caller; everything referred to is live and of the right type.
fn sched(s: &State) -> Result<(), Violation> {
    let mut stacked = std::collections::BTreeSet::new();
    for (&a, o) in &s.objects {
        match o {
            Object::Tcb(t) => {
                if let Some(x) = t.sc
                    && s.sc(x).and_then(|c| c.tcb) != Some(a)
                {
                    return fail("sched", format!("thread {a:#x} has context {x:#x} which is not bound to it"));
                }
                if let Some(n) = t.bound_ntfn
                    && !matches!(s.objects.get(&n), Some(Object::Notification(_)))
                {
                    return fail("sched", format!("thread {a:#x} bound to dead notification {n:#x}"));
                }
            }
            Object::SchedContext(c) => {
                if let Some(t) = c.tcb
                    && s.tcb(t).and_then(|x| x.sc) != Some(a)
                {
                    return fail("sched", format!("context {a:#x} bound to {t:#x} which does not have it"));
                }
                for &r in &c.stack {
                    if !stacked.insert(r) || s.reply(r).and_then(|x| x.caller).is_none() {
                        return fail(
                            "sched",
                            format!("reply {r:#x} in the stack of {a:#x} twice, elsewhere or unbound"),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    for (i, e) in &s.irqs {
        if let Some(n) = e.ntfn
            && !matches!(s.objects.get(&n), Some(Object::Notification(_)))
        {
            return fail("sched", format!("interrupt {i} signals dead notification {n:#x}"));
        }
    }
    Ok(())
}
