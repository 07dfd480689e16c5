//! Exhaustive exploration: every sequence of operations up to a depth, from
//! a boot configuration, breadth first, with states hashed after
//! canonicalisation so each distinct state is expanded once.
//!
//! Every new state is checked against [`crate::invariants::check`]; every
//! transition that changes the state is checked for authority confinement
//! ([`crate::authority::check_confinement`]). States are remembered by a
//! 128-bit fingerprint (two independent SipHash values of the canonical
//! state); a fingerprint collision could hide a state, with probability
//! about `n^2 / 2^129` for `n` states.

use crate::authority::check_confinement;
use crate::boot::Config;
use crate::invariants::{Violation, check};
use crate::op::{Op, step};
use crate::ops_gen::{Domain, candidates};
use crate::state::{Addr, Cap, CapKind, Msg, Object, SlotId, State, ThreadState};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

/// What an exploration covered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Distinct (canonical) states reached, the initial one included.
    pub states: usize,
    /// Transitions taken (applicable operations tried).
    pub transitions: u64,
    /// New states found at each depth (index 0: the initial state).
    pub per_depth: Vec<usize>,
    /// True if no new state was found at the last depth (the reachable
    /// state space is exhausted, not just cut off).
    pub saturated: bool,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// A reachable state that violates an invariant, with the operations that
/// reach it from the initial state.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// (thread, operation) from boot.
    pub trace: Vec<(Addr, Op)>,
    /// The violation.
    pub violation: Violation,
}

/// Puts `s` in canonical form: forgets information that can never
/// influence the future: the watermark of an untyped capability without
/// children (the next Retype resets it), and the receive slot of a thread
/// that cannot receive a capability before its next receiving operation
/// sets it again (only a thread blocked in a receive, a call or waiting
/// for a reply can be sent one).
pub fn canonicalise(s: &mut State) {
    for &t in &s.threads.clone() {
        if s.tcb(t).is_none() {
            continue;
        }
        let live = matches!(
            s.thread_state(t),
            ThreadState::BlockedOnRecv { .. }
                | ThreadState::BlockedOnReply { .. }
                | ThreadState::BlockedOnSend { call: true, .. }
        );
        if !live && s.recv_index(t).is_some() {
            s.set_recv_index(t, None);
        }
        // The first capability word matters only to a blocked sender of a
        // capability (a sender writes it again before it sends).
        if !matches!(s.thread_state(t), ThreadState::BlockedOnSend { msg: Msg { cap: Some(_), .. }, .. }) {
            s.set_buf_words(t, |w| w.cap0 = 0);
        }
        s.tcb_mut(t).regs.rip = crate::state::USER_RIP;
    }
    for (slot, c) in s.all_caps() {
        if let CapKind::Untyped { base, size_bits, free } = c.kind
            && free != 0
            && !s.has_children(slot)
        {
            let kind = CapKind::Untyped { base, size_bits, free: 0 };
            s.set_cap(slot, Some(Cap { kind, ..c }));
        }
    }
}

/// Slot symmetry: renumbers the slots of every CNode in an order that does
/// not depend on their indices (content, originality, parent's capability,
/// number of children, which threads' pending receive or message names the
/// slot), consistently renaming every reference to a slot (CDT, receive
/// slots, capability pointers of pending messages).
///
/// The transition system is symmetric under such renumberings as long as
/// Retype creates one object at a time (consecutive destination slots are
/// the only place where indices matter), so exploring one state per
/// equivalence class loses nothing; the test `symmetry_is_sound` checks
/// this on a small configuration by comparing against plain exploration.
pub fn symmetry(s: &mut State) {
    let cnodes: Vec<(Addr, u32)> = s
        .objects
        .iter()
        .filter_map(|(a, o)| if let Object::CNode(v) = o { Some((*a, v.len() as u32)) } else { None })
        .collect();
    let mut refs: BTreeMap<SlotId, Vec<(usize, u8)>> = BTreeMap::new();
    for (i, &t) in s.threads.iter().enumerate() {
        let Some(tcb) = s.tcb(t) else { continue };
        let mut note = |idx: Option<u32>, role: u8| {
            if let Some(sl) = idx.and_then(|x| crate::cnode::node_slot(tcb.cspace, x).ok()) {
                refs.entry(sl).or_default().push((i, role));
            }
        };
        note(s.recv_index(t), 0);
        if let ThreadState::BlockedOnSend { msg, .. } = tcb.state {
            note(msg.cap, 1);
        }
    }
    let mut perm: BTreeMap<SlotId, SlotId> = BTreeMap::new();
    for &(obj, n) in &cnodes {
        let key = |index: u32| {
            let sl = SlotId { obj, index };
            let mut h = DefaultHasher::new();
            s.cap(sl).hash(&mut h);
            s.original.contains(&sl).hash(&mut h);
            s.parent(sl).and_then(|p| s.cap(p)).hash(&mut h);
            s.children(sl).len().hash(&mut h);
            refs.get(&sl).hash(&mut h);
            h.finish()
        };
        let mut order: Vec<(u64, u32)> = (0..n).map(|i| (key(i), i)).collect();
        order.sort_unstable();
        for (new, &(_, old)) in order.iter().enumerate() {
            perm.insert(SlotId { obj, index: old }, SlotId { obj, index: new as u32 });
        }
    }
    if perm.iter().all(|(a, b)| a == b) {
        return;
    }
    let map = |sl: SlotId| perm.get(&sl).copied().unwrap_or(sl);
    for &(obj, n) in &cnodes {
        let old: Vec<_> = (0..n).map(|index| s.cap(SlotId { obj, index })).collect();
        for (index, c) in old.into_iter().enumerate() {
            s.set_cap(map(SlotId { obj, index: index as u32 }), c);
        }
    }
    s.cdt = s.cdt.iter().map(|(c, p)| (map(*c), map(*p))).collect();
    s.original = s.original.iter().map(|x| map(*x)).collect::<BTreeSet<_>>();
    for t in s.threads.clone() {
        let Some(tcb) = s.tcb(t) else { continue };
        let root = tcb.cspace;
        let remap = |idx: Option<u32>| {
            idx.map(|x| match crate::cnode::node_slot(root, x) {
                Ok(sl) => map(sl).index,
                Err(_) => x,
            })
        };
        let (rs, st) = (remap(s.recv_index(t)), tcb.state);
        s.set_recv_index(t, rs);
        if let ThreadState::BlockedOnSend { mut msg, ep, badge, call, grant, grant_reply } = st {
            msg.cap = remap(msg.cap);
            if let Some(c) = msg.cap {
                s.set_buf_words(t, |w| w.cap0 = u64::from(c));
            }
            s.tcb_mut(t).state = ThreadState::BlockedOnSend { ep, badge, call, grant, grant_reply, msg };
        }
    }
}

/// 128-bit fingerprint of a state.
pub fn fingerprint(s: &State) -> u128 {
    let mut a = DefaultHasher::new();
    0u8.hash(&mut a);
    s.hash(&mut a);
    let mut b = DefaultHasher::new();
    1u8.hash(&mut b);
    s.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// Explores every operation sequence of length up to `depth` from
/// `cfg.boot()`, with arguments from `dom`. Thread `i` sends label `i + 1`.
///
/// # Errors
/// The first [`Counterexample`] found.
pub fn explore(cfg: &Config, dom: &Domain, depth: usize) -> Result<Report, Box<Counterexample>> {
    explore_with(cfg, dom, depth, dom.counts.iter().all(|&c| c == 1), &mut |_| {})
}

/// [`explore`] with slot symmetry reduction on or off, calling `visit` on
/// every new state. With symmetry, counterexample traces are operations on
/// the renumbered states: replay them with [`symmetry`] after each step.
///
/// # Errors
/// The first [`Counterexample`] found.
pub fn explore_with(
    cfg: &Config,
    dom: &Domain,
    depth: usize,
    sym: bool,
    visit: &mut dyn FnMut(&State),
) -> Result<Report, Box<Counterexample>> {
    let start = Instant::now();
    let mut s0 = cfg.boot();
    canonicalise(&mut s0);
    if sym {
        symmetry(&mut s0);
    }
    visit(&s0);
    check(&s0).map_err(|violation| Box::new(Counterexample { trace: vec![], violation }))?;
    let mut seen: HashSet<u128> = HashSet::new();
    seen.insert(fingerprint(&s0));
    let mut frontier: Vec<(State, Vec<(Addr, Op)>)> = vec![(s0, vec![])];
    let mut report =
        Report { states: 1, transitions: 0, per_depth: vec![1], saturated: false, elapsed: Duration::ZERO };
    for _ in 0..depth {
        let mut next = Vec::new();
        for (s, trace) in &frontier {
            for (i, &t) in s.threads.iter().enumerate() {
                if s.thread_state(t) != ThreadState::Running {
                    continue;
                }
                for op in candidates(s, t, dom, i as u64 + 1) {
                    let mut s2 = s.clone();
                    if step(&mut s2, t, &op).is_none() {
                        continue;
                    }
                    report.transitions += 1;
                    canonicalise(&mut s2);
                    if sym {
                        symmetry(&mut s2);
                    }
                    if s2 == *s {
                        continue;
                    }
                    let cex = |violation| {
                        let mut trace = trace.clone();
                        trace.push((t, op));
                        Box::new(Counterexample { trace, violation })
                    };
                    check_confinement(s, &s2).map_err(cex)?;
                    if !seen.insert(fingerprint(&s2)) {
                        continue;
                    }
                    check(&s2).map_err(cex)?;
                    visit(&s2);
                    let mut trace = trace.clone();
                    trace.push((t, op));
                    next.push((s2, trace));
                }
            }
        }
        report.per_depth.push(next.len());
        report.states += next.len();
        if next.is_empty() {
            report.saturated = true;
            break;
        }
        frontier = next;
    }
    report.elapsed = start.elapsed();
    Ok(report)
}
