//! Random-invocation stress test.
//!
//! A thread in its own address space with its own sandbox CSpace (copies of
//! a small untyped, endpoints, notifications, frames, a CNode, a VSpace,
//! paging structures, a reply object, a TCB; nothing that could reach the
//! test task) issues `stress=N` invocations (default 100000) with random
//! labels, message registers and extra capabilities on random cptrs,
//! including unresolvable ones. It never blocks: endpoint and notification
//! capabilities get non-blocking operations. Every 1000 invocations it asks
//! the kernel to check its invariants. When done it returns, and the
//! runtime's thread exit (`ud2`, it holds no TCB capability) reports a user
//! exception to the test's fault endpoint, so a dead kernel or a stuck
//! thread shows up as a missing fault.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult, ep_and_reply, note};
use crate::{check, check_eq, fail, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::bootinfo::slot;
use rampart_abi::fault::FaultLabel;
use rampart_abi::{CapType, Label, MessageInfo, ObjectType, Rights, Syscall};
use rampart_rt::buffer;
use rampart_rt::cap::{AsidPool, CNode, Endpoint, VSpace};
use rampart_rt::cnode::guard_data;
use rampart_rt::invoke::call_raw;
use rampart_rt::ipc;
use rampart_rt::spawn::{Options, Space, give};
use rampart_rt::syscall::{debug_cap_identify, debug_check_invariants, raw};

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(stress_random_invocations_kernel_survives),
    test!(stress_invariants_hold_throughout),
    test!(stress_invocations_reach_the_kernel),
];

/// Radix of the sandbox CNode.
const RADIX: u64 = 6;
/// Invocations between invariant checks.
const CHECK_EVERY: u64 = 1000;

static N: AtomicU64 = AtomicU64::new(0);
static SEED: AtomicU64 = AtomicU64::new(0);
/// Invocations issued.
static DONE: AtomicU64 = AtomicU64::new(0);
/// Replies with label 0.
static OK: AtomicU64 = AtomicU64::new(0);
/// Replies per error code 1..=10 (index 0: unknown codes).
static ERRS: [AtomicU64; 11] = [const { AtomicU64::new(0) }; 11];
/// Failed invariant checks, and the first code.
static INV_FAILS: AtomicU64 = AtomicU64::new(0);
static INV_FIRST: AtomicU64 = AtomicU64::new(0);
/// Set when the run completed and the completion fault arrived.
static COMPLETE: AtomicU64 = AtomicU64::new(0);

const LABELS: [Label; 57] = {
    let mut l = [Label::UntypedRetype; 57];
    let mut i = 0;
    let mut v = 0;
    while v < 100 {
        if let Some(x) = Label::from_u64(v) {
            l[i] = x;
            i += 1;
        }
        v += 1;
    }
    l
};

/// xorshift64* pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A word biased towards values that get past argument checks.
    fn word(&mut self) -> u64 {
        match self.below(10) {
            0..=2 => self.below(1 << RADIX),
            3 => [RADIX, 64, 4, 1, 0][self.below(5) as usize],
            4 => [4, 12, 14, 16, 21, 2, 3][self.below(7) as usize],
            5 => self.below(0x200) << 12,
            6 => self.below(16),
            7 => Rights::ALL.0 & self.next(),
            8 => 1 << self.below(64),
            _ => self.next(),
        }
    }

    fn cptr(&mut self) -> u64 {
        match self.below(20) {
            0 | 1 => self.next(),
            2 => self.below(1 << RADIX) | 1 << (RADIX + self.below(64 - RADIX)),
            _ => self.below(1 << RADIX),
        }
    }
}

fn count(label: u64) {
    match label {
        0 => OK.fetch_add(1, SeqCst),
        1..=10 => ERRS[label as usize].fetch_add(1, SeqCst),
        _ => ERRS[0].fetch_add(1, SeqCst),
    };
}

/// One random operation on a random capability; never blocks.
fn one(rng: &mut Rng) {
    let cptr = rng.cptr();
    let len = rng.below(12) as usize;
    let ncaps = if rng.below(3) == 0 { rng.below(4) as usize } else { 0 };
    let mut args = [0u64; 12];
    for a in args.iter_mut().take(len) {
        *a = rng.word();
    }
    let mut caps = [0u64; 3];
    for c in caps.iter_mut().take(ncaps) {
        *c = rng.cptr();
    }
    let label = if rng.below(8) == 0 { rng.below(128) } else { LABELS[rng.below(57) as usize] as u64 };
    let info = MessageInfo::new(label, 0, ncaps as u64, len as u64);
    let mrs = [args[0], args[1], args[2], args[3]];
    match CapType::from_u64(debug_cap_identify(cptr)) {
        Some(CapType::Endpoint) | Some(CapType::Reply) => {
            let b = buffer::expect_current();
            b.set_mrs_from4(&args[4..len.max(4)]);
            for (i, c) in caps.iter().take(ncaps).enumerate() {
                b.set_cap(i, *c);
            }
            count(if rng.below(2) == 0 {
                ipc::nb_send(cptr, info, mrs).label()
            } else {
                raw(Syscall::NBRecv, cptr, MessageInfo(0), [0; 4], rng.cptr()).info.label()
            });
        }
        Some(CapType::Notification) => {
            count(if rng.below(2) == 0 { ipc::signal(cptr).label() } else { ipc::nb_recv(cptr, 0).info.label() })
        }
        _ => count(call_raw(cptr, label, &args[..len], &caps[..ncaps]).info.label()),
    }
}

fn stress_child(_: u64) -> u64 {
    let n = N.load(SeqCst);
    let mut rng = Rng(SEED.load(SeqCst) | 1);
    for i in 0..n {
        one(&mut rng);
        DONE.store(i + 1, SeqCst);
        if (i + 1) % CHECK_EVERY == 0 {
            let c = debug_check_invariants();
            if c != 0 && INV_FAILS.fetch_add(1, SeqCst) == 0 {
                INV_FIRST.store(c, SeqCst);
            }
        }
    }
    n
}

/// Builds the sandbox CSpace; returns its CNode.
fn sandbox(env: &mut Env) -> Result<CNode, crate::harness::Reason> {
    let a = &mut env.a;
    let cn = ok!(a.cnode_object(RADIX));
    let vs = VSpace(ok!(a.retype(ObjectType::VSpace, 0)));
    ok!(AsidPool(slot::ASID_POOL).assign(vs));
    let ep = ok!(a.endpoint()).0;
    let ntfn = ok!(a.notification()).0;
    let other_cnode = ok!(a.cnode_object(4)).0;
    let contents = [
        (1, ok!(a.untyped_object(16)).0, 0),
        (2, ep, 0),
        (3, ep, 0x11),
        (4, ntfn, 0),
        (5, ntfn, 0x22),
        (6, ok!(a.frame()).0, 0),
        (7, ok!(a.frame()).0, 0),
        (8, other_cnode, 0),
        (9, vs.0, 0),
        (10, ok!(a.retype(ObjectType::PageTable, 0)), 0),
        (11, ok!(a.retype(ObjectType::PageDirectory, 0)), 0),
        (12, ok!(a.retype(ObjectType::Pdpt, 0)), 0),
        (13, ok!(a.reply()).0, 0),
        (14, cn.0, 0),
        (15, ok!(a.tcb()).0, 0),
        (16, ok!(a.frame()).0, 0),
    ];
    for (index, src, badge) in contents {
        ok!(give(a, cn, RADIX, index, src, Rights::ALL, badge));
    }
    Ok(cn)
}

fn stress_random_invocations_kernel_survives(env: &mut Env) -> TestResult {
    COMPLETE.store(0, SeqCst);
    for c in [&DONE, &OK, &INV_FAILS, &INV_FIRST] {
        c.store(0, SeqCst);
    }
    for e in &ERRS {
        e.store(0, SeqCst);
    }
    N.store(env.stress_n, SeqCst);
    SEED.store(env.seed, SeqCst);
    let cn = sandbox(env)?;
    let (ep, reply) = ep_and_reply(env)?;
    let mut o = Options::new(ROOT_PRIO - 1);
    o.new_vspace = true;
    o.cspace = Space::Custom { cnode: cn, data: guard_data(0, 64 - RADIX) };
    o.fault_ep = Endpoint(ok!(env.a.mint(ep.0, Rights::ALL, 0x5e)));
    env.spawn(stress_child, 0, &o)?;
    let r = ipc::recv(ep, reply.0);
    let done = DONE.load(SeqCst);
    if r.info.label() != FaultLabel::UserException as u64 || r.mrs[3] != 6 {
        fail!("stress thread stopped after {} invocations with fault {} (vector {})", done, r.info.label(), r.mrs[3]);
    }
    check_eq!((r.badge, done), (0x5e, env.stress_n), "(fault badge, invocations done)");
    note(format_args!(
        "stress: {} invocations (seed {:#x}), {} ok, errors by code 1..10: {:?}, unknown {}",
        done,
        env.seed,
        OK.load(SeqCst),
        core::array::from_fn::<u64, 10, _>(|i| ERRS[i + 1].load(SeqCst)),
        ERRS[0].load(SeqCst)
    ));
    COMPLETE.store(1, SeqCst);
    Ok(())
}

fn stress_invariants_hold_throughout(_: &mut Env) -> TestResult {
    check!(COMPLETE.load(SeqCst) == 1, "the stress run did not complete");
    let fails = INV_FAILS.load(SeqCst);
    check!(fails == 0, "{} invariant checks failed, first code {}", fails, INV_FIRST.load(SeqCst));
    check_eq!(debug_check_invariants(), 0, "invariants after the sandbox was destroyed");
    Ok(())
}

fn stress_invocations_reach_the_kernel(_: &mut Env) -> TestResult {
    check!(COMPLETE.load(SeqCst) == 1, "the stress run did not complete");
    let n = DONE.load(SeqCst);
    let ok = OK.load(SeqCst);
    let kinds = ERRS[1..].iter().filter(|e| e.load(SeqCst) > 0).count();
    check!(ok * 200 >= n, "only {} of {} invocations succeeded", ok, n);
    check!(kinds >= 6, "only {} distinct error codes seen", kinds);
    check_eq!(ERRS[0].load(SeqCst), 0, "replies with unknown error codes");
    Ok(())
}
