//! Scheduling contexts (MCS): configuration errors, binding, threads
//! without a context, consumed time, YieldTo, budgets limiting progress,
//! timeout faults.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult, ep_and_reply, wait_done, wait_until};
use crate::{check, check_eq, expect_err, ok, test};
use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use rampart_abi::bootinfo::slot;
use rampart_abi::fault::FaultLabel;
use rampart_abi::{Error, Rights};
use rampart_rt::cap::{Endpoint, Notification, SchedContext, SchedControl};
use rampart_rt::ipc;
use rampart_rt::spawn::Options;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(sched_configure_rejects_bad_parameters),
    test!(sched_thread_without_sc_does_not_run),
    test!(sched_bind_errors),
    test!(sched_consumed_counts_time),
    test!(sched_yield_to_runs_thread),
    test!(sched_budget_limits_progress),
    test!(sched_timeout_fault),
];

const CTL: SchedControl = SchedControl(slot::SCHED_CONTROL);

static COUNT_A: AtomicU64 = AtomicU64::new(0);
static COUNT_B: AtomicU64 = AtomicU64::new(0);

fn sched_configure_rejects_bad_parameters(env: &mut Env) -> TestResult {
    let sc = ok!(env.a.sched_context());
    expect_err!(CTL.configure(sc, 2000, 1000, 0), Error::RangeError);
    expect_err!(CTL.configure(sc, 0, 1000, 0), Error::RangeError);
    let f = ok!(env.a.frame());
    expect_err!(CTL.configure(SchedContext(f.0), 1000, 1000, 0), Error::InvalidCapability);
    ok!(CTL.configure(sc, 1000, 1000, 0));
    ok!(CTL.configure(sc, 1000, 5000, 7));
    Ok(())
}

fn sched_thread_without_sc_does_not_run(env: &mut Env) -> TestResult {
    let mut o = Options::new(ROOT_PRIO);
    o.budget_period_us = None;
    o.resume = false;
    let t = env.spawn(|a| a + 1, 1, &o)?;
    ok!(t.tcb.resume());
    check!(!wait_until(50, || t.done()), "thread without a scheduling context ran");
    let sc = ok!(env.a.sched_context());
    ok!(CTL.configure(sc, 5000, 5000, 0));
    ok!(sc.bind(t.tcb));
    check!(wait_done(&t), "thread did not run after binding a scheduling context");
    check_eq!(t.result(), 2, "result");
    Ok(())
}

fn sched_bind_errors(env: &mut Env) -> TestResult {
    let (t1, t2) = (ok!(env.a.tcb()), ok!(env.a.tcb()));
    let (sc, sc2) = (ok!(env.a.sched_context()), ok!(env.a.sched_context()));
    ok!(CTL.configure(sc, 1000, 1000, 0));
    ok!(CTL.configure(sc2, 1000, 1000, 0));
    ok!(sc.bind(t1));
    expect_err!(sc.bind(t2), Error::IllegalOperation);
    expect_err!(sc2.bind(t1), Error::IllegalOperation);
    expect_err!(sc.unbind_object(t2.0), Error::IllegalOperation);
    ok!(sc.unbind_object(t1.0));
    ok!(sc.bind(t2));
    ok!(sc.unbind());
    // Contexts bind to threads only (docs/kernel.md).
    let n = ok!(env.a.notification());
    expect_err!(sc.bind(n), Error::InvalidCapability);
    let f = ok!(env.a.frame());
    expect_err!(sc2.bind(f), Error::InvalidCapability);
    Ok(())
}

fn sched_consumed_counts_time(_: &mut Env) -> TestResult {
    let own = SchedContext(slot::SCHED_CONTEXT);
    ok!(own.consumed());
    let mut total = 0;
    for _ in 0..200 {
        let mut x = 0u64;
        for i in 0..200_000u64 {
            x = black_box(x.wrapping_add(i));
        }
        total += ok!(own.consumed());
        if total > 0 {
            break;
        }
    }
    check!(total > 0, "no time consumed after 40M loop iterations");
    check!(total < 60_000_000, "implausible consumed time {} us", total);
    Ok(())
}

fn count_then_wait(arg: u64) -> u64 {
    COUNT_A.fetch_add(1, SeqCst);
    Notification(arg).wait();
    0
}

fn sched_yield_to_runs_thread(env: &mut Env) -> TestResult {
    COUNT_A.store(0, SeqCst);
    let n = ok!(env.a.notification());
    let t = env.spawn(count_then_wait, n.0, &Options::new(ROOT_PRIO))?;
    check_eq!(COUNT_A.load(SeqCst), 0, "count before YieldTo");
    ok!(t.sc.yield_to());
    check_eq!(COUNT_A.load(SeqCst), 1, "count right after YieldTo");
    let lonely = ok!(env.a.sched_context());
    ok!(CTL.configure(lonely, 1000, 1000, 0));
    expect_err!(lonely.yield_to(), Error::IllegalOperation);
    Ok(())
}

fn spin_a(_: u64) -> u64 {
    loop {
        COUNT_A.store(COUNT_A.load(Relaxed) + 1, Relaxed);
    }
}

/// B's scheduling context, for B to read its own consumed time.
static B_SC: AtomicU64 = AtomicU64::new(0);
/// CPU time B saw itself consume.
static B_TOTAL: AtomicU64 = AtomicU64::new(0);
/// How long B runs (CPU time on its own context).
const B_RUN_US: u64 = 100_000;

fn spin_b(arg: u64) -> u64 {
    let sc = SchedContext(B_SC.load(SeqCst));
    let _ = sc.consumed();
    let mut total = 0;
    while total < B_RUN_US {
        for _ in 0..20_000u64 {
            COUNT_B.store(COUNT_B.load(Relaxed) + 1, Relaxed);
        }
        match sc.consumed() {
            Ok(us) => total += us,
            Err(_) => break,
        }
    }
    B_TOTAL.store(total, SeqCst);
    ipc::signal(Notification(arg));
    total
}

fn sched_budget_limits_progress(env: &mut Env) -> TestResult {
    COUNT_A.store(0, SeqCst);
    COUNT_B.store(0, SeqCst);
    B_TOTAL.store(0, SeqCst);
    let n = ok!(env.a.notification());
    let nb = ok!(env.a.mint(n.0, Rights::ALL, 1));
    // A: 1 ms every 20 ms; B: round robin with 20 ms slices.
    let mut oa = Options::new(ROOT_PRIO - 1);
    oa.budget_period_us = Some((1_000, 20_000));
    env.spawn(spin_a, 0, &oa)?;
    let mut ob = Options::new(ROOT_PRIO - 1);
    ob.budget_period_us = Some((20_000, 20_000));
    ob.resume = false;
    let tb = env.spawn(spin_b, nb, &ob)?;
    B_SC.store(tb.sc.0, SeqCst);
    ok!(tb.tcb.resume());
    n.wait();
    let (a, b) = (COUNT_A.load(SeqCst), COUNT_B.load(SeqCst));
    let run = B_TOTAL.load(SeqCst);
    check!(run >= B_RUN_US, "B stopped early: consumed {} us", run);
    crate::harness::note(format_args!("budget: A (1/20 ms) counted {a}, B (20/20 ms) counted {b} in 100 ms"));
    check!(a > 0, "the thread with a small budget never ran (B counted {})", b);
    check!(a * 4 < b, "A with a 1 ms budget counted {} vs B with 20 ms: {}", a, b);
    Ok(())
}

fn spin_forever(_: u64) -> u64 {
    loop {
        COUNT_A.store(COUNT_A.load(Relaxed) + 1, Relaxed);
    }
}

fn sched_timeout_fault(env: &mut Env) -> TestResult {
    let (ep, reply) = ep_and_reply(env)?;
    let badged = Endpoint(ok!(env.a.mint(ep.0, Rights::ALL, 0x99)));
    let mut o = Options::new(ROOT_PRIO - 1);
    o.budget_period_us = Some((1_000, 10_000));
    o.sc_badge = 0x77;
    o.resume = false;
    let t = env.spawn(spin_forever, 0, &o)?;
    ok!(t.tcb.set_timeout_endpoint(badged));
    ok!(t.tcb.resume());
    let r = ipc::recv(ep, reply.0);
    check_eq!(r.info.label(), FaultLabel::Timeout as u64, "fault label");
    check_eq!((r.badge, r.mrs[0]), (0x99, 0x77), "(endpoint badge, SC badge)");
    check!(r.mrs[1] > 0, "consumed time in the timeout fault is 0");
    ok!(t.tcb.suspend());
    Ok(())
}
