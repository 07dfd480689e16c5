//! Fuzzing the system-call interface on the host: random syscalls and
//! invocations with random registers, message words and capability pointers,
//! from several threads, against the real kernel core. Every input must be
//! answered (an error code is fine) without a panic, and the kernel's
//! invariants and the CDT links of every slot must hold throughout.
//!
//! `RAMPART_FUZZ_STEPS` sets the number of syscalls (default 100,000);
//! `RAMPART_FUZZ_SEED` the seed (printed on failure).

use super::support::{S, spawn};
use crate::object::TcbRef;
use crate::slot;
use crate::testing::World;
use rampart_abi::{Label, MessageInfo, ObjectType, Syscall};

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A value that is often meaningful: a small slot index, a label, a size,
/// an address, or garbage.
fn interesting(r: &mut Rng) -> u64 {
    match r.below(8) {
        0 => r.below(64),
        1 => S + r.below(40),
        2 => r.below(100),
        3 => 1 << r.below(64),
        4 => 0x4000_0000 + (r.below(1024) << 12),
        5 => u64::MAX - r.below(4),
        _ => r.next(),
    }
}

/// Invocation labels meaningful for a capability of type `t`.
fn fitting_labels(t: rampart_abi::CapType) -> &'static [Label] {
    use Label::*;
    use rampart_abi::CapType as C;
    match t {
        C::Untyped => &[UntypedRetype],
        C::CNode => &[
            CNodeCopy,
            CNodeMint,
            CNodeMove,
            CNodeMutate,
            CNodeRotate,
            CNodeDelete,
            CNodeRevoke,
            CNodeCancelBadgedSends,
        ],
        C::Tcb => &[
            TcbSuspend,
            TcbResume,
            TcbSetPriority,
            TcbReadRegisters,
            TcbWriteRegisters,
            TcbBindNotification,
            TcbUnbindNotification,
            TcbSetTlsBase,
            TcbGetId,
            TcbSetSyscallDispatch,
        ],
        C::Frame => &[FrameMap, FrameUnmap, FrameRemap, FrameGetAddress],
        C::PageTable => &[PageTableMap, PageTableUnmap],
        C::VSpace => &[VSpaceMapFrames, VSpaceUnmapFrames],
        C::SchedContext => &[SchedContextBind, SchedContextUnbind, SchedContextConsumed, SchedContextYieldTo],
        _ => &[],
    }
}

/// A message word: mostly slot indices, sizes and flags in useful ranges.
fn arg(r: &mut Rng) -> u64 {
    match r.below(4) {
        0 => S + r.below(40),
        1 => 64,
        _ => interesting(r),
    }
}

fn check_all(w: &World, step: u64, seed: u64) {
    assert_eq!(w.k.check_invariants(), 0, "kernel invariant broken at step {step} (seed {seed})");
    for i in 0..w.root.slots() {
        assert_eq!(slot::check_links(w.root.slot(i)), 0, "CDT links broken at slot {i}, step {step} (seed {seed})");
    }
}

#[test]
fn random_syscalls_never_break_the_kernel() {
    let steps: u64 = std::env::var("RAMPART_FUZZ_STEPS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let seed: u64 = std::env::var("RAMPART_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_1234);
    let mut r = Rng(seed.wrapping_mul(2).wrapping_add(1));
    let mut w = World::new();
    // Material to work with: objects of every kind in slots S.., and three
    // threads sharing the root CSpace.
    let kinds = [
        ObjectType::Endpoint,
        ObjectType::Notification,
        ObjectType::Reply,
        ObjectType::CNode,
        ObjectType::Frame4K,
        ObjectType::PageTable,
        ObjectType::VSpace,
        ObjectType::SchedContext,
        ObjectType::Untyped,
    ];
    for (i, k) in kinds.iter().enumerate() {
        let size = match k {
            ObjectType::CNode => 3,
            ObjectType::Untyped => 16,
            _ => 0,
        };
        w.retype(*k, size, S + 2 * i as u64, 2).unwrap();
    }
    let threads: Vec<TcbRef> = (1..=3).map(|n| spawn(&mut w, n, 50 + n, S).tcb).collect();
    let labels: Vec<u64> = (0..100).filter(|&l| Label::from_u64(l).is_some()).collect();
    let syscalls = [
        Syscall::Call,
        Syscall::Send,
        Syscall::NBSend,
        Syscall::Recv,
        Syscall::NBRecv,
        Syscall::Wait,
        Syscall::ReplyRecv,
        Syscall::Yield,
    ];
    let mut answered = 0u64;
    let mut executed = 0u64;
    let mut ok = 0u64;
    for step in 0..steps {
        // Pick a thread that can run; if none can, the root revives one.
        let mut t = threads[r.below(threads.len() as u64) as usize];
        if !w.k.schedulable(t) {
            t = w.root_tcb();
            if !w.k.schedulable(t) {
                let victim = threads[r.below(threads.len() as u64) as usize];
                w.k.cancel_ipc(victim);
                w.k.resume(victim);
                w.k.schedule(); // as the end of a kernel entry would
                t = victim;
                if !w.k.schedulable(t) {
                    continue;
                }
            }
        }
        let n = syscalls[r.below(syscalls.len() as u64) as usize];
        // Mostly aim at slots holding objects, with a label that fits the
        // object's type; sometimes at anything with anything.
        let cptr = if r.below(5) == 0 { interesting(&mut r) } else { S + r.below(2 * kinds.len() as u64 + 6) };
        let label = if r.below(5) == 0 {
            r.next() & 0xfff
        } else {
            let fitting = fitting_labels(w.root.slot(cptr % w.root.slots()).cap().cap_type());
            if fitting.is_empty() {
                labels[r.below(labels.len() as u64) as usize]
            } else {
                fitting[r.below(fitting.len() as u64) as usize] as u64
            }
        };
        let len = r.below(10);
        let extra = r.below(4);
        let mrs: Vec<u64> = (0..len).map(|_| arg(&mut r)).collect();
        let caps: Vec<u64> =
            (0..extra).map(|_| if r.below(4) == 0 { interesting(&mut r) } else { S + r.below(40) }).collect();
        w.switch_to(t);
        w.set_message(t, &mrs, &caps);
        let info = MessageInfo::new(label, 0, extra, len);
        // Reply objects were retyped into S+4 and S+5.
        let reply = if r.below(4) == 0 { interesting(&mut r) } else { S + 4 + r.below(2) };
        let mr4: [u64; 4] = core::array::from_fn(|i| mrs.get(i).copied().unwrap_or(0));
        let res = w.syscall(t, n, cptr, info, &mr4, reply);
        executed += 1;
        if res.info.label() != 0 {
            answered += 1;
        } else {
            ok += 1;
        }
        w.k.schedule();
        if step % 1000 == 0 {
            check_all(&w, step, seed);
        }
    }
    check_all(&w, steps, seed);
    println!(
        "fuzz: {steps} steps, {executed} syscalls executed, {ok} returned label 0, {answered} errors, {} via the fast path",
        w.k.fastpath_hits
    );
    assert!(executed > steps * 9 / 10, "too few syscalls executed: {executed} of {steps}");
    assert!(answered > steps / 20 && ok > steps / 20, "outcomes too uniform: {ok} ok, {answered} errors");
}
