//! The in-guest kernel fuzzer (issue 13): untrusted attacker threads issue
//! random invocations with random arguments, play segment-register, TLS,
//! FPU and privileged-instruction games and create threads of their own,
//! while a victim server in another address space keeps answering their
//! calls and checks on every request that its own state is intact.
//!
//! The run is split in rounds of [`ROUND`] attacker invocations, each with
//! a fresh world ([`world`]) from its own untyped: the victim (passive, on
//! its callers' scheduling contexts, in every other pair of rounds), two
//! attacker threads sharing a CSpace (in odd rounds the first one is a
//! spawner, [`spawner`]), and an idle detector at the lowest priority. ktest
//! is the fault handler of the victim and the attackers: an attacker that
//! faults is restarted (faults are part of the fuzzing), a victim that
//! faults is a disturbance. When the idle detector reports that every
//! thread is blocked, ktest signals the victim's doorbell and gives a
//! context to the victim or an attacker left without one; if nothing moves
//! for a while it resets the attackers, and the round ends early when even
//! that does not help. Counters are in [`stats`].
//!
//! `fuzz=N` on the kernel command line sets the number of attacker
//! invocations (default [`DEFAULT_INVOCATIONS`]), `seed=S` the seed.

mod attacker;
mod games;
mod ops;
mod repro;
mod spawner;
mod stats;
mod victim;
mod world;

use crate::harness::{Env, ROOT, Test, TestResult};
use crate::{check, check_eq, fail, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::MessageInfo;
use rampart_abi::fault::FaultLabel;
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cpu::rdtsc;
use rampart_rt::ipc;
use rampart_rt::syscall::debug_check_invariants;
use repro::{fuzz_found_ioport_range_check_overflow, fuzz_found_read_only_ipc_buffer_not_written};
use world::{MON_ATTACKER, MON_IDLE, MON_VICTIM, World};

/// The tests of this group: the first one runs the fuzzer, the next five
/// check its results, the last ones reproduce what it found ([`repro`]).
pub const TESTS: &[Test] = &[
    test!(fuzz_kernel_survives_attackers),
    test!(fuzz_invariants_hold_throughout),
    test!(fuzz_victim_never_disturbed),
    test!(fuzz_victim_answered_calls),
    test!(fuzz_invocations_reach_the_kernel),
    test!(fuzz_kernel_checks_hold),
    test!(fuzz_found_read_only_ipc_buffer_not_written),
    test!(fuzz_found_ioport_range_check_overflow),
];

/// Default number of attacker invocations.
pub const DEFAULT_INVOCATIONS: u64 = 100_000;
/// Attacker invocations per round.
pub const ROUND: u64 = 20_000;
/// Time without progress (ms) after which ktest resets the attackers.
const STUCK_MS: u64 = 15;

/// Set when the run completed.
static COMPLETE: AtomicU64 = AtomicU64::new(0);

fn get(c: &AtomicU64) -> u64 {
    c.load(Relaxed)
}

fn fuzz_kernel_survives_attackers(env: &mut Env) -> TestResult {
    COMPLETE.store(0, Relaxed);
    stats::reset();
    let mut round = 0;
    while get(&stats::INVOCATIONS) < env.fuzz_n {
        if round > 64 + 4 * env.fuzz_n / ROUND {
            fail!("{} rounds for {} invocations: the rounds end too early", round, get(&stats::INVOCATIONS));
        }
        let before = get(&stats::INVOCATIONS);
        run_round(env, round, (before + ROUND).min(env.fuzz_n))?;
        round += 1;
    }
    stats::report(env.seed);
    COMPLETE.store(1, Relaxed);
    Ok(())
}

/// One round with a fresh world from a 2 MiB untyped; everything is
/// revoked afterwards and the invariants checked.
fn run_round(env: &mut Env, round: u64, target: u64) -> TestResult {
    stats::bump(&stats::ROUNDS);
    world::SEED.store(env.seed ^ round.wrapping_mul(0x2545_f491_4f6c_dd1d), Relaxed);
    world::QUOTA.store(target, Relaxed);
    world::MODE[0].store(round % 2, Relaxed);
    world::MODE[1].store(0, Relaxed);
    victim::STARTS.store(0, Relaxed);
    let passive = (round / 2) % 2 == 1;
    let mark = env.a.mark();
    let test_ut = env.a.untyped();
    let round_ut = ok!(env.a.untyped_object(21));
    env.a.set_untyped(round_ut);
    let r = world::build(env, passive).and_then(|w| {
        for (id, t) in w.attackers.iter().enumerate() {
            ops::ATTACKER_IDS[id].store(ok!(t.get_id()), Relaxed);
        }
        monitor(env, &w, target)
    });
    env.a.set_untyped(test_ut);
    ok!(ROOT.revoke(round_ut.0, ROOT_DEPTH));
    for s in (mark..env.a.mark()).rev() {
        ok!(ROOT.delete(s, ROOT_DEPTH));
    }
    env.a.reset_to(mark);
    attacker::invariants();
    r
}

/// Progress of the fuzzing threads (anything that changes while they run).
fn progress() -> u64 {
    get(&stats::INVOCATIONS) + get(&stats::ANSWERS) + get(&stats::CHILD_CALLS)
}

fn finished(id: usize) -> bool {
    get(&attacker::FINISHED[id]) != 0
}

/// Stops the thread whose fault ktest just received (a non-zero reply
/// label leaves it stopped).
fn stop_faulted(w: &World) {
    ipc::reply(w.reply, MessageInfo::new(1, 0, 0, 0), [0; 4]);
}

/// ktest's side of a round: handles the faults of the victim and the
/// attackers and the idle detector's reports until the attackers are done
/// (or stuck for good).
fn monitor(env: &Env, w: &World, target: u64) -> TestResult {
    let ms = (env.bi.tsc_hz / 1000).max(1000);
    let mut last = progress();
    let mut idle_since: Option<u64> = None;
    let mut resets = 0;
    loop {
        let r = ipc::recv(w.monitor, w.reply.0);
        let label = r.info.label();
        match r.badge {
            MON_IDLE => {
                let p = progress();
                if p != last {
                    (last, idle_since, resets) = (p, None, 0);
                    continue;
                }
                if finished(0) && finished(1) {
                    return Ok(());
                }
                let now = rdtsc();
                let Some(since) = idle_since else {
                    // Everything is blocked: wake the victim if it waits on
                    // its doorbell, give a context to whoever lost theirs.
                    idle_since = Some(now);
                    let _ = w.doorbell.signal();
                    if w.rescue_sc.bind(w.victim).is_ok() {
                        stats::bump(&stats::RESCUES);
                    }
                    for id in 0..2 {
                        let _ = w.attacker_sc[id].bind(w.attackers[id]);
                    }
                    continue;
                };
                if now.wrapping_sub(since) < STUCK_MS * ms {
                    continue;
                }
                if get(&stats::INVOCATIONS) >= target || resets >= 2 {
                    if get(&stats::INVOCATIONS) < target {
                        stats::bump(&stats::STALLS);
                    }
                    return Ok(());
                }
                stats::bump(&stats::RESETS);
                for id in (0..2).filter(|&id| !finished(id)) {
                    if world::reset_attacker(env, w, id, true).is_ok() {
                        attacker::restarted(id);
                    }
                }
                (resets, idle_since) = (resets + 1, None);
            }
            MON_VICTIM => {
                // A page fault at address 0 is the victim reading `fs:[0]`
                // with an FS base of 0.
                let fs = label == FaultLabel::VmFault as u64 && r.mrs[1] < 8;
                let kind = if fs { stats::Disturbance::FsBase } else { stats::Disturbance::Fault };
                stats::disturbed(kind, label, r.mrs[0], r.mrs[1]);
                stop_faulted(w);
                stats::bump(&stats::VICTIM_RESTARTS);
                ok!(world::restart(w.victim, victim::entry, world::VICTIM_REGION, 0, true));
            }
            b if MON_ATTACKER.contains(&b) => {
                let id = (b == MON_ATTACKER[1]) as usize;
                stop_faulted(w);
                if finished(id) {
                    if finished(id ^ 1) {
                        return Ok(());
                    }
                    continue;
                }
                let kind = match FaultLabel::from_u64(label) {
                    Some(FaultLabel::UserException) => r.mrs[3].min(31) as usize,
                    Some(FaultLabel::VmFault) => 32,
                    _ => 33,
                };
                stats::bump(&stats::FAULTS[kind]);
                stats::trace(id, 14, label, r.mrs[0], r.mrs[3]);
                ok!(world::reset_attacker(env, w, id, false));
                attacker::restarted(id);
            }
            b => fail!("unexpected message on the monitor endpoint: badge {:#x}, label {}", b, label),
        }
    }
}

fn fuzz_invariants_hold_throughout(_: &mut Env) -> TestResult {
    check!(get(&COMPLETE) == 1, "the fuzz run did not complete");
    check!(get(&stats::INV_CHECKS) > 0, "no invariant checks were made");
    let fails = get(&stats::INV_FAILS);
    check!(fails == 0, "{} invariant checks failed, first code {}", fails, get(&stats::INV_FIRST));
    check_eq!(debug_check_invariants(), 0, "invariants after the last round");
    Ok(())
}

fn fuzz_victim_never_disturbed(_: &mut Env) -> TestResult {
    check!(get(&COMPLETE) == 1, "the fuzz run did not complete");
    let n = stats::disturbances();
    let k = (get(&stats::FIRST_KIND).wrapping_sub(1) as usize).min(stats::N_DISTURBANCES - 1);
    check!(
        n == 0,
        "{} disturbances of the victim, the first a {} ({:#x}, {:#x}, {:#x}); see the fuzz lines above",
        n,
        stats::DISTURBANCE_NAMES[k],
        get(&stats::FIRST[k][0]),
        get(&stats::FIRST[k][1]),
        get(&stats::FIRST[k][2])
    );
    Ok(())
}

fn fuzz_victim_answered_calls(env: &mut Env) -> TestResult {
    check!(get(&COMPLETE) == 1, "the fuzz run did not complete");
    let answers = get(&stats::ANSWERS);
    check!(answers * 50 >= env.fuzz_n, "the victim answered only {} requests", answers);
    let ok = get(&stats::REPLIES_OK);
    check!(ok * 100 >= env.fuzz_n, "only {} replies reached an attacker intact", ok);
    Ok(())
}

fn fuzz_invocations_reach_the_kernel(env: &mut Env) -> TestResult {
    check!(get(&COMPLETE) == 1, "the fuzz run did not complete");
    let n = get(&stats::INVOCATIONS);
    check!(n >= env.fuzz_n, "only {} of {} invocations were made", n, env.fuzz_n);
    let ok = get(&stats::OUTCOME[0]);
    check!(ok * 50 >= n, "only {} of {} invocations succeeded", ok, n);
    let kinds = stats::OUTCOME[1..11].iter().filter(|e| get(e) > 0).count();
    check!(kinds >= 6, "only {} distinct error codes seen", kinds);
    check!(get(&stats::FAST_ELIGIBLE) > 0, "no call was eligible for the fast path");
    let faults: u64 = stats::FAULTS.iter().map(get).sum();
    check!(faults > 0, "no attacker fault was taken");
    check!(stats::GAMES[..4].iter().all(|g| get(g) > 0), "not every segment register was played with");
    if env.fuzz_n >= ROUND {
        check!(get(&stats::CHILDREN) > 0, "the spawner started no thread");
    }
    Ok(())
}

fn fuzz_kernel_checks_hold(_: &mut Env) -> TestResult {
    check!(get(&COMPLETE) == 1, "the fuzz run did not complete");
    let n = stats::anomalies();
    check!(
        n == 0,
        "{} kernel checks bypassed, the first of kind {} ({:#x}, {:#x}, {:#x})",
        n,
        get(&stats::ANOMALY_FIRST[0]).wrapping_sub(1),
        get(&stats::ANOMALY_FIRST[1]),
        get(&stats::ANOMALY_FIRST[2]),
        get(&stats::ANOMALY_FIRST[3])
    );
    Ok(())
}
