//! Refinement tests: the real kernel core (`rampart-kcore`, on host memory)
//! and the model run the same random operation sequences, and every
//! observable result is compared after every step ([`compare`]).
//!
//! A run is a sequence of episodes; each boots a fresh system from the
//! configuration and performs random operations until `episode` steps are
//! done or no thread can act (all blocked). Operations the model deems not
//! applicable are skipped. After each step the model's invariants and
//! authority confinement are checked as well. Everything is reproducible
//! from the seed.

pub mod compare;
// Host memory standing in for RAM (allocates and frees it).
#[allow(unsafe_code)]
pub mod harness;
pub mod sample;

use crate::authority::check_confinement;
use crate::boot::{BootCap, BootObj, Config};
use crate::invariants::check;
use crate::op::{Op, step};
use crate::ops_gen::Domain;
use crate::rng::Rng;
use crate::state::{Addr, NewObj, Outcome, Sizes};
use harness::KWorld;
use rampart_abi::Rights;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What a refinement run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Steps performed on both (and compared).
    pub steps: u64,
    /// Episodes (fresh boots).
    pub episodes: u64,
    /// How often each kind of outcome was compared.
    pub outcomes: BTreeMap<String, u64>,
    /// Operations not performed because they hit a known kernel difference
    /// ([`known_kernel_bug`]).
    pub excluded: u64,
    /// System calls the kernel completed on its IPC fast path.
    pub fastpath: u64,
    /// IPC system calls (Send, Call, Recv, ReplyRecv and their variants)
    /// by the path the kernel took.
    pub paths: BTreeMap<harness::Path, u64>,
    /// Steps by operation kind.
    pub kinds: BTreeMap<&'static str, u64>,
    /// Episodes that ended early: no thread could run any more.
    pub stuck: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// A difference between the kernel and the model (or a model invariant
/// violation), with everything needed to reproduce it.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// Seed of the run.
    pub seed: u64,
    /// Episode number (0-based; it booted `configs()[episode % n]`).
    pub episode: u64,
    /// Steps compared before this one (over all episodes).
    pub step: u64,
    /// (thread, operation) of the episode.
    pub trace: Vec<(Addr, Op)>,
    /// What differed.
    pub what: String,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "divergence (seed {}, episode {}, step {}): {}", self.seed, self.episode, self.step, self.what)?;
        for (i, (t, op)) in self.trace.iter().enumerate() {
            writeln!(f, "  {i:4}: thread {t:#x}: {op:?}")?;
        }
        Ok(())
    }
}

/// The refinement configurations, used in turn by successive episodes:
/// [`config`]; a variant with a 4 KiB untyped (two TCBs fit), so running
/// out of memory and reusing it after Revoke are frequent (an 8 KiB
/// untyped); and a variant
/// where thread 1 boots as a passive server (no scheduling context of its
/// own, blocked receiving on endpoint 1), so scheduling contexts are lent
/// from the first call; and one where thread 2 is a passive server too
/// (on endpoint 0, which thread 1 can call: contexts are lent twice over)
/// and thread 1 holds thread 0's context.
pub fn configs() -> Vec<Config> {
    let small = Config { untyped_bits: 13, ..config() };
    let passive = Config { passive: vec![(1, 1, 1)], ..config() };
    // Here thread 1, the inner server, holds the only capability to thread
    // 0's context, so it can delete the context it runs on.
    let mut nested = Config { passive: vec![(1, 1, 1), (2, 0, 3)], ..config() };
    for c in &mut nested.caps {
        if c.obj == BootObj::Sc(0) {
            (c.thread, c.slot) = (1, 11);
        }
    }
    vec![config(), small, passive, nested]
}

/// The refinement configuration: three threads with 32-slot root CNodes, a
/// 32 KiB untyped, two endpoints, a notification and four reply objects,
/// with badged and rights-reduced copies and one shared CNode (thread 0
/// holds a capability to thread 1's root CNode). Every thread has a
/// scheduling context and an IPC buffer; thread 0 also holds the TCBs of
/// the others, their scheduling contexts, SchedControl and a frame (thread
/// 1 holds a read-only copy, the TCB of thread 0 and IOPortControl; thread
/// 2 IRQControl, an unconfigured scheduling context and the only capability
/// to thread 0's). Thread 0 holds the ASID pool and a copy of its VSpace,
/// thread 1 another copy of it, thread 2 a copy of its own.
pub fn config() -> Config {
    let w = Rights::WRITE;
    let wg = Rights(Rights::WRITE.0 | Rights::GRANT.0);
    let mk = |thread, slot, obj, rights, badge| BootCap { thread, slot, obj, rights, badge };
    let n = BootCap::new;
    Config {
        threads: 3,
        radix: 5,
        sizes: Sizes::Bytes,
        untyped_bits: 15,
        endpoints: 2,
        notifications: 1,
        replies: 4,
        caps: vec![
            n(0, 1, BootObj::Untyped),
            n(0, 2, BootObj::Endpoint(0)),
            n(0, 3, BootObj::Notification(0)),
            n(0, 4, BootObj::Reply(0)),
            n(0, 5, BootObj::CNode(1)),
            n(0, 6, BootObj::Tcb(1)),
            n(0, 7, BootObj::Tcb(2)),
            n(0, 9, BootObj::Sc(1)),
            n(0, 10, BootObj::Sc(2)),
            n(0, 11, BootObj::SchedControl),
            n(0, 12, BootObj::Frame(3)),
            n(0, 13, BootObj::AsidPool),
            n(0, 16, BootObj::VSpace(0)),
            mk(1, 1, BootObj::Endpoint(0), Rights::ALL, 5),
            mk(1, 2, BootObj::Notification(0), w, 2),
            n(1, 3, BootObj::Reply(1)),
            n(1, 4, BootObj::Endpoint(1)),
            n(1, 5, BootObj::Reply(2)),
            n(1, 6, BootObj::Tcb(0)),
            n(1, 7, BootObj::IoPortControl),
            mk(1, 8, BootObj::Endpoint(1), w, 3),
            mk(1, 9, BootObj::Frame(3), Rights::READ, 0),
            n(1, 10, BootObj::VSpace(0)),
            mk(2, 1, BootObj::Endpoint(0), wg, 7),
            mk(2, 2, BootObj::Endpoint(1), Rights::READ, 0),
            mk(2, 3, BootObj::Notification(0), Rights::RW, 1),
            n(2, 4, BootObj::Reply(3)),
            mk(2, 5, BootObj::Endpoint(1), Rights::ALL, 0),
            n(2, 6, BootObj::IrqControl),
            n(2, 7, BootObj::Sc(3)),
            n(2, 9, BootObj::VSpace(2)),
            n(2, 8, BootObj::Sc(0)),
        ],
        scs: 1,
        frames: 1,
        passive: vec![],
    }
}

/// The refinement argument domain: every modelled object type, erroneous
/// operations included.
pub fn domain() -> Domain {
    let r = |x: u64| Rights(x);
    Domain {
        types: vec![
            NewObj::Endpoint,
            NewObj::Notification,
            NewObj::Reply,
            NewObj::CNode(1),
            NewObj::CNode(2),
            NewObj::Tcb,
            NewObj::Untyped(8),
            NewObj::Untyped(11),
            NewObj::SchedContext,
            NewObj::Frame,
            NewObj::VSpace,
            NewObj::Table(1),
            NewObj::Table(2),
            NewObj::Table(3),
        ],
        counts: vec![1, 1, 1, 2, 3],
        rights: vec![Rights::ALL, r(1), r(2), r(3), r(5), r(9), r(0), r(4), r(11)],
        badges: vec![0, 1, 2, 4],
        guards: vec![0, 2 << 58],
        mutate: true,
        cancel_badged: true,
        reply_recv: true,
        errors: true,
        sched: false,
        first_empty: false,
    }
}

/// Runs `steps` compared steps in episodes of at most `episode` steps,
/// booting `cfgs` in turn.
///
/// # Errors
/// The first [`Divergence`].
pub fn run(cfgs: &[Config], dom: &Domain, seed: u64, steps: u64, episode: u64) -> Result<Report, Box<Divergence>> {
    let start = Instant::now();
    let mut rng = Rng::new(seed);
    let mut report = Report::default();
    let skip = exclusions();
    while report.steps < steps {
        let cfg = &cfgs[(report.episodes % cfgs.len() as u64) as usize];
        let mut m = cfg.boot();
        let mut w = KWorld::boot(cfg);
        let mut trace = Vec::new();
        let (ep_no, base) = (report.episodes, report.steps);
        let diverged = |trace: &Vec<(Addr, Op)>, what: String| {
            let step = base + trace.len().saturating_sub(1) as u64;
            Box::new(Divergence { seed, episode: ep_no, step, trace: trace.clone(), what })
        };
        compare::compare_state(&w, &m).map_err(|e| diverged(&trace, format!("after boot: {e}")))?;
        let mut n = 0;
        let mut idle = 0;
        while n < episode && report.steps < steps && idle < 100 {
            let Some((t, op)) = sample::random_op(&m, dom, &mut rng) else { break };
            if known_kernel_bug(&m, t, &op).is_some() || excluded(&m, t, &op, &skip) {
                report.excluded += 1;
                continue;
            }
            let pre = m.clone();
            let Some(ev) = step(&mut m, t, &op) else {
                m = pre; // not applicable: nothing happened
                idle += 1;
                continue;
            };
            idle = 0;
            trace.push((t, op));
            let (before, path) = perform(&mut w, &pre, t, &op).map_err(|e| diverged(&trace, e))?;
            if sample::is_ipc(&op) {
                *report.paths.entry(path).or_default() += 1;
            }
            *report.kinds.entry(sample::kind(&op)).or_default() += 1;
            if matches!(op, Op::Invoke { inv: crate::inv::Inv::FrameMap { .. }, .. }) && ev.contains(&(t, Outcome::Ok))
            {
                *report.kinds.entry("FrameMap succeeded").or_default() += 1;
            }
            compare::compare_outcomes(&w, &m, &ev, &before).map_err(|e| diverged(&trace, e))?;
            compare::compare_state(&w, &m).map_err(|e| diverged(&trace, e))?;
            compare::reset_rips(&w, &mut m);
            check(&m).map_err(|v| diverged(&trace, format!("model invariant {}: {}", v.invariant, v.detail)))?;
            check_confinement(&pre, &m)
                .map_err(|v| diverged(&trace, format!("model {}: {}", v.invariant, v.detail)))?;
            for (_, o) in &ev {
                let k = match o {
                    Outcome::Err(e) => format!("Err({e:?})"),
                    Outcome::Msg { caps: 0, .. } => "Msg".into(),
                    Outcome::Msg { unwrapped: 0, .. } => "Msg+cap".into(),
                    Outcome::Msg { .. } => "Msg+unwrapped".into(),
                    other => format!("{other:?}").split('(').next().unwrap_or("").to_string(),
                };
                *report.outcomes.entry(k).or_default() += 1;
            }
            n += 1;
            report.steps += 1;
        }
        report.fastpath += w.k.fastpath_hits;
        report.episodes += 1;
        if n < episode && report.steps < steps {
            report.stuck += 1;
        }
    }
    report.elapsed = start.elapsed();
    Ok(report)
}

/// Replays `trace` (from boot) on the kernel and the model, comparing and
/// checking the model after every step as [`run`] does. Returns the final model state and kernel
/// world.
///
/// # Errors
/// `(index of the failing operation, what differed)`.
pub fn replay(cfg: &Config, trace: &[(Addr, Op)]) -> Result<(crate::state::State, KWorld), (usize, String)> {
    let mut m = cfg.boot();
    let mut w = KWorld::boot(cfg);
    for (i, &(t, op)) in trace.iter().enumerate() {
        let pre = m.clone();
        let Some(ev) = step(&mut m, t, &op) else { return Err((i, "not applicable in the model".into())) };
        let (before, _) = perform(&mut w, &pre, t, &op).map_err(|e| (i, e))?;
        compare::compare_outcomes(&w, &m, &ev, &before).map_err(|e| (i, e))?;
        compare::compare_state(&w, &m).map_err(|e| (i, e))?;
        compare::reset_rips(&w, &mut m);
        check(&m).map_err(|v| (i, format!("model invariant {}: {}", v.invariant, v.detail)))?;
        check_confinement(&pre, &m).map_err(|v| (i, format!("model {}: {}", v.invariant, v.detail)))?;
    }
    Ok((m, w))
}

/// Performs `op` on the kernel; a kernel panic (an arithmetic overflow in
/// a debug build, a failed assertion) is reported as a divergence.
fn perform(
    w: &mut KWorld,
    pre: &crate::state::State,
    t: Addr,
    op: &Op,
) -> Result<(BTreeMap<Addr, compare::Regs>, harness::Path), String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| w.perform(pre, t, op)));
    std::panic::set_hook(hook);
    r.map_err(|e| {
        let msg = e.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| e.downcast_ref::<String>().cloned());
        format!("the kernel panicked: {}", msg.unwrap_or_default())
    })
}

/// Bug classes a run skips, from `RAMPART_EXCLUDE` (letters of the
/// security review's findings, see [`excluded`]).
pub fn exclusions() -> Vec<char> {
    std::env::var("RAMPART_EXCLUDE").unwrap_or_default().chars().filter(char::is_ascii_lowercase).collect()
}

/// Does `op` hit one of the review's bug classes in `skip`, so a run
/// looking for another one skips it? (a) a ReplyRecv through a reply
/// object whose lent scheduling context another thread holds; (c) an IPC buffer in a frame that is not read-write;
/// (d) an I/O port access whose last port overflows 64 bits; (e)
/// CancelBadgedSends without every right, binding a notification without
/// Read, a reply through a reply capability without Grant that would
/// transfer a capability; (f, found by these checks) a reply through a
/// reply object that carries a lent scheduling context to a caller that
/// has a context of its own. (b) has no predicate: it is what runs with
/// the others excluded look for.
pub fn excluded(m: &crate::state::State, t: Addr, op: &Op, skip: &[char]) -> bool {
    use crate::inv::Inv;
    use crate::state::{Cap, CapKind as K};
    let cap = |c: u32| m.lookup(t, c).and_then(|s| m.cap(s));
    match *op {
        Op::Invoke { inv: Inv::TcbSetIpcBuffer { vaddr, frame }, .. } if skip.contains(&'c') => {
            vaddr != 0
                && matches!(cap(frame), Some(c) if matches!(c.kind, K::Frame { .. }) && !c.rights.contains(Rights::RW))
        }
        Op::Invoke { inv: Inv::PortIo { port, width, .. }, .. } if skip.contains(&'d') => {
            port.checked_add(u64::from(width) - 1).is_none()
        }
        Op::Invoke { inv: Inv::TcbBindNotification(n), .. } if skip.contains(&'e') => {
            matches!(cap(n), Some(c) if matches!(c.kind, K::Notification(_)) && !c.rights.contains(Rights::READ))
        }
        Op::CancelBadgedSends(l) if skip.contains(&'e') => {
            let node = m.lookup(t, l.node).and_then(|x| m.cap(x));
            let c = crate::cnode::node_slot(node, l.index).ok().and_then(|s| m.cap(s));
            matches!(c, Some(c) if matches!(c.kind, K::Endpoint(_)) && c.rights != Rights::ALL)
        }
        Op::Send { cap: r, msg, .. } | Op::ReplyRecv { reply: r, msg, .. } => {
            let Some(Cap { kind: K::Reply(x), rights, .. }) = cap(r) else { return false };
            let e = m.reply(x).is_some_and(|y| y.can_grant) && !rights.contains(Rights::GRANT) && msg.cap.is_some();
            let caller_sc = m.reply(x).and_then(|y| y.caller).and_then(|c| m.tcb(c)).and_then(|c| c.sc);
            let f = m.reply_sc(x).is_some() && caller_sc.is_some();
            let holder = m.reply_sc(x).and_then(|c| m.sc(c)).and_then(|c| c.tcb);
            let a = matches!(op, Op::ReplyRecv { .. }) && m.reply_sc(x).is_some() && holder != Some(t);
            (a && skip.contains(&'a')) || (e && skip.contains(&'e')) || (f && skip.contains(&'f'))
        }
        _ => false,
    }
}

/// Shrinks a diverging trace: drops operations one at a time (last first,
/// repeated until nothing can go) as long as the replay still diverges at
/// its last operation (with any difference), giving a short reproducer.
pub fn minimise(cfg: &Config, trace: &[(Addr, Op)]) -> Vec<(Addr, Op)> {
    let diverges = |t: &[(Addr, Op)]| matches!(replay(cfg, t), Err((i, ref e)) if i + 1 == t.len() && !e.starts_with("not applicable"));
    let mut cur = trace.to_vec();
    if !diverges(&cur) {
        return cur;
    }
    loop {
        let before = cur.len();
        let mut i = cur.len().saturating_sub(1);
        while i > 0 {
            i -= 1;
            let mut shorter = cur.clone();
            shorter.remove(i);
            if diverges(&shorter) {
                cur = shorter;
            }
        }
        if cur.len() == before {
            return cur;
        }
    }
}

/// Operations on which the kernel knowingly differs from the model (see
/// `tests/kernel_bugs.rs`); random runs skip them so they keep finding new
/// differences. Returns the difference.
///
/// The one left: a Revoke that destroys the CNode holding the revoked
/// capability. The model's Revoke deletes every descendant; the kernel,
/// like seL4, stops when the revoked capability is gone and leaves the
/// remaining descendants under its parent (documented in the ABI,
/// `CNodeRevoke`, and `docs/kernel.md`).
pub fn known_kernel_bug(m: &crate::state::State, t: Addr, op: &Op) -> Option<&'static str> {
    let Op::Revoke(l) = *op else { return None };
    let node = m.lookup(t, l.node).and_then(|x| m.cap(x));
    let s = crate::cnode::node_slot(node, l.index).ok()?;
    // Which containers the revoke destroys: those all of whose capabilities
    // are descendants of `s` or inside containers it destroys.
    let mut gone: std::collections::BTreeSet<crate::state::SlotId> = m.descendants(s).into_iter().collect();
    let mut doomed = std::collections::BTreeSet::new();
    let caps = m.all_caps();
    loop {
        let before = doomed.len();
        for &a in m.objects.keys() {
            let holders: Vec<_> = caps.iter().filter(|(_, c)| c.obj() == Some(a)).map(|(sl, _)| *sl).collect();
            if m.slot_count(a) > 0
                && !doomed.contains(&a)
                && !holders.is_empty()
                && holders.iter().all(|h| gone.contains(h) || doomed.contains(&h.obj))
            {
                doomed.insert(a);
                gone.extend((0..m.slot_count(a)).map(|index| crate::state::SlotId { obj: a, index }));
            }
        }
        if doomed.len() == before {
            break;
        }
    }
    doomed.contains(&s.obj).then_some("Revoke ends early when it destroys the CNode holding the revoked capability")
}
