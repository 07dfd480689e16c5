//! Random-invocation stress test.
//!
//! A thread in its own address space with its own sandbox CSpace (copies of
//! a small untyped, endpoints, notifications, frames, a CNode, a VSpace,
//! paging structures, a reply object, a TCB; nothing that could reach the
//! test task) issues random invocations: random labels, message registers
//! and extra capabilities on random cptrs (including unresolvable ones),
//! half of them shaped to fit the object's type so that they get past the
//! argument checks. It never blocks: endpoint and notification capabilities
//! get non-blocking operations. Every 1000 invocations it asks the kernel to
//! check its invariants. When done it returns, and the runtime's thread exit
//! (`ud2`, it holds no TCB capability) reports a user exception to the
//! test's fault endpoint, so a dead kernel or a stuck thread shows up as a
//! missing fault.
//!
//! `stress=N` on the kernel command line sets the total (default 100000),
//! `seed=S` the seed; the run is split in rounds of [`ROUND`] invocations,
//! each with a fresh sandbox, after which everything is revoked and the
//! invariants are checked again.

use crate::harness::{Env, ROOT, ROOT_PRIO, Test, TestResult, ep_and_reply, note};
use crate::rng::Rng;
use crate::{check, check_eq, fail, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::bootinfo::slot;
use rampart_abi::fault::FaultLabel;
use rampart_abi::{CapType, Label, MessageInfo, ObjectType, Rights, Syscall};
use rampart_rt::alloc::ROOT_DEPTH;
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

/// Number of labels the ABI defines.
const N_LABELS: usize = {
    let (mut n, mut v) = (0, 0);
    while v < 256 {
        if Label::from_u64(v).is_some() {
            n += 1;
        }
        v += 1;
    }
    n
};

/// Every label the ABI defines.
const LABELS: [Label; N_LABELS] = {
    let mut l = [Label::UntypedRetype; N_LABELS];
    let (mut i, mut v) = (0, 0);
    while v < 256 {
        if let Some(x) = Label::from_u64(v) {
            l[i] = x;
            i += 1;
        }
        v += 1;
    }
    l
};

impl Rng {
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
            3..=11 => 1 + self.below(SANDBOX_FILLED),
            _ => self.below(1 << RADIX),
        }
    }

    /// A user address that mapping operations are likely to collide on.
    fn vaddr(&mut self) -> u64 {
        let base = self.pick(&[0, 0x40_0000, 0x20_0000_0000, 0x7f_ffe0_0000, 0xffff_8000_0000_0000]);
        if self.below(4) == 0 { base + (self.below(4) << 21) } else { base + (self.below(16) << 12) }
    }
}

/// Slots 1..=SANDBOX_FILLED of the sandbox start out holding capabilities.
const SANDBOX_FILLED: u64 = 16;
/// Sandbox slot of the sandbox CNode itself.
const OWN_CNODE: u64 = 14;

/// An invocation: label, arguments and extra capabilities.
struct Inv {
    label: u64,
    args: [u64; 24],
    len: usize,
    caps: [u64; 3],
    ncaps: usize,
}

impl Inv {
    fn new(label: u64) -> Inv {
        Inv { label, args: [0; 24], len: 0, caps: [0; 3], ncaps: 0 }
    }
    fn arg(mut self, v: u64) -> Inv {
        self.args[self.len] = v;
        self.len += 1;
        self
    }
    fn cap(mut self, c: u64) -> Inv {
        self.caps[self.ncaps] = c;
        self.ncaps += 1;
        self
    }
}

/// Anything at all.
fn random_inv(rng: &mut Rng) -> Inv {
    let label = if rng.below(8) == 0 { rng.below(128) } else { LABELS[rng.below(N_LABELS as u64) as usize] as u64 };
    let mut inv = Inv::new(label);
    for _ in 0..rng.below(12) {
        inv = inv.arg(rng.word());
    }
    for _ in 0..rng.below(4) {
        inv = inv.cap(rng.cptr());
    }
    inv
}

/// An invocation that fits the object type, with arguments near the valid
/// range, so that deeper kernel paths run.
fn plausible_inv(rng: &mut Rng, ty: CapType) -> Inv {
    let slot = |rng: &mut Rng| rng.below(1 << RADIX);
    let depth = |rng: &mut Rng| if rng.below(8) == 0 { rng.word() } else { RADIX };
    let l = |x: Label| x as u64;
    match ty {
        CapType::Untyped => {
            let t = rng.below(14);
            let size = if t == ObjectType::CNode as u64 { 1 + rng.below(5) } else { 4 + rng.below(14) };
            let node_depth = if rng.below(2) == 0 { 0 } else { RADIX };
            Inv::new(l(Label::UntypedRetype))
                .arg(t)
                .arg(size)
                .arg(OWN_CNODE)
                .arg(node_depth)
                .arg(SANDBOX_FILLED + 1 + rng.below(48))
                .arg(1 + rng.below(3))
                .cap(OWN_CNODE)
        }
        CapType::CNode => {
            let label = rng.pick(&[2, 3, 4, 5, 6, 7, 8, 9]);
            Inv::new(label)
                .arg(slot(rng))
                .arg(depth(rng))
                .arg(slot(rng))
                .arg(depth(rng))
                .arg(if label == l(Label::CNodeRotate) { slot(rng) } else { rng.below(16) })
                .arg(if label == l(Label::CNodeRotate) { depth(rng) } else { rng.below(4) })
                .arg(rng.below(3))
                .arg(rng.below(3))
                .cap(OWN_CNODE)
                .cap(OWN_CNODE)
        }
        CapType::Tcb => {
            let label = 10 + rng.below(15);
            let mut inv = Inv::new(label).arg(rng.below(2)).arg(rng.vaddr()).arg(rng.below(22));
            for _ in 0..20 {
                inv = inv.arg(if rng.below(2) == 0 { rng.vaddr() } else { rng.word() });
            }
            let frame = rng.pick(&[6, 7, 16]);
            match label {
                13 => inv.cap(OWN_CNODE).cap(9).cap(frame),
                18 => inv.cap(2).cap(OWN_CNODE).cap(9),
                16 => inv.cap(15).cap(rng.cptr()).cap(2),
                _ => inv.cap(rng.pick(&[15, 4, 5, 6, 2])),
            }
        }
        CapType::Frame => {
            let label = rng.pick(&[76, 77, 78, 79]);
            let v = rng.vaddr();
            if label == 78 {
                Inv::new(label).arg(rng.below(16)).arg(rng.below(8))
            } else {
                Inv::new(label).arg(v).arg(rng.below(16)).arg(rng.below(8)).cap(9)
            }
        }
        CapType::PageTable | CapType::PageDirectory | CapType::Pdpt => {
            let map = match ty {
                CapType::PageTable => 74,
                CapType::PageDirectory => 72,
                _ => 70,
            };
            Inv::new(map + rng.below(2)).arg(rng.vaddr()).cap(9)
        }
        CapType::VSpace => {
            let mut inv = if rng.below(2) == 0 {
                Inv::new(80).arg(rng.vaddr()).arg(rng.below(4)).arg(rng.below(8)).arg(4)
            } else {
                Inv::new(81).arg(4)
            };
            for _ in 0..4 {
                inv = inv.arg(rng.pick(&[6, 7, 16, 10, 0]));
            }
            inv
        }
        _ => Inv::new(30 + rng.below(6)).arg(rng.word()).arg(rng.word()).cap(rng.pick(&[15, 4, 2])),
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
    let ty = CapType::from_u64(debug_cap_identify(cptr)).unwrap_or(CapType::Null);
    let inv = if rng.below(2) == 0 { plausible_inv(rng, ty) } else { random_inv(rng) };
    let len = inv.len.min(12);
    let info = MessageInfo::new(inv.label, 0, inv.ncaps as u64, len as u64);
    let mrs = [inv.args[0], inv.args[1], inv.args[2], inv.args[3]];
    match ty {
        CapType::Endpoint | CapType::Reply => {
            let b = buffer::expect_current();
            b.set_mrs_from4(&inv.args[4..len.max(4)]);
            for (i, c) in inv.caps.iter().take(inv.ncaps).enumerate() {
                b.set_cap(i, *c);
            }
            count(if rng.below(2) == 0 {
                ipc::nb_send(cptr, info, mrs).label()
            } else {
                raw(Syscall::NBRecv, cptr, MessageInfo(0), [0; 4], rng.cptr()).info.label()
            });
        }
        CapType::Notification => {
            count(if rng.below(2) == 0 { ipc::signal(cptr).label() } else { ipc::nb_recv(cptr, 0).info.label() })
        }
        _ => count(call_raw(cptr, inv.label, &inv.args[..inv.len], &inv.caps[..inv.ncaps]).info.label()),
    }
}

/// Runs `n` random operations with the round's seed.
fn stress_child(n: u64) -> u64 {
    let mut rng = Rng::new(SEED.load(SeqCst));
    for i in 0..n {
        one(&mut rng);
        DONE.fetch_add(1, SeqCst);
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
    // Copies (badge 0: plain copy), keeping the originals in the test.
    let copies = [(2, ep, 0), (3, ep, 0x11), (4, ntfn, 0), (5, ntfn, 0x22), (9, vs.0, 0), (14, cn.0, 0)];
    for (index, src, badge) in copies {
        ok!(give(a, cn, RADIX, index, src, Rights::ALL, badge));
    }
    // Moved in: untyped memory and unmapped paging structures cannot be
    // copied, and the rest need not stay with the test.
    let moved = [
        (1, ok!(a.untyped_object(16)).0),
        (6, ok!(a.frame()).0),
        (7, ok!(a.frame()).0),
        (8, ok!(a.cnode_object(4)).0),
        (10, ok!(a.retype(ObjectType::PageTable, 0))),
        (11, ok!(a.retype(ObjectType::PageDirectory, 0))),
        (12, ok!(a.retype(ObjectType::Pdpt, 0))),
        (13, ok!(a.reply()).0),
        (15, ok!(a.tcb()).0),
        (16, ok!(a.frame()).0),
    ];
    for (index, src) in moved {
        ok!(cn.move_(index, RADIX, a.path(src)));
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
    let mut round = 0;
    while DONE.load(SeqCst) < env.stress_n {
        let n = ROUND.min(env.stress_n - DONE.load(SeqCst));
        SEED.store(env.seed.wrapping_add(round), SeqCst);
        stress_round(env, n)?;
        round += 1;
    }
    let done = DONE.load(SeqCst);
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

/// Invocations per sandbox: a fresh sandbox every round keeps long runs
/// from wearing it down to empty slots.
const ROUND: u64 = 50_000;

/// One round: a fresh sandbox and thread from a 1 MiB untyped, `n`
/// operations, then everything revoked and the invariants checked.
fn stress_round(env: &mut Env, n: u64) -> TestResult {
    let mark = env.a.mark();
    let test_ut = env.a.untyped();
    let round_ut = ok!(env.a.untyped_object(20));
    env.a.set_untyped(round_ut);
    let r = run_sandbox(env, n);
    env.a.set_untyped(test_ut);
    ok!(ROOT.revoke(round_ut.0, ROOT_DEPTH));
    for s in (mark..env.a.mark()).rev() {
        ok!(ROOT.delete(s, ROOT_DEPTH));
    }
    env.a.reset_to(mark);
    let c = debug_check_invariants();
    if c != 0 && INV_FAILS.fetch_add(1, SeqCst) == 0 {
        INV_FIRST.store(c, SeqCst);
    }
    r
}

fn run_sandbox(env: &mut Env, n: u64) -> TestResult {
    let before = DONE.load(SeqCst);
    let cn = sandbox(env)?;
    let (ep, reply) = ep_and_reply(env)?;
    let mut o = Options::new(ROOT_PRIO - 1);
    o.new_vspace = true;
    o.cspace = Space::Custom { cnode: cn, data: guard_data(0, 64 - RADIX) };
    o.fault_ep = Endpoint(ok!(env.a.mint(ep.0, Rights::ALL, 0x5e)));
    env.spawn(stress_child, n, &o)?;
    let r = ipc::recv(ep, reply.0);
    let done = DONE.load(SeqCst) - before;
    if r.info.label() != FaultLabel::UserException as u64 || r.mrs[3] != 6 {
        fail!("stress thread stopped after {} invocations with fault {} (vector {})", done, r.info.label(), r.mrs[3]);
    }
    check_eq!((r.badge, done), (0x5e, n), "(fault badge, invocations done in the round)");
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
