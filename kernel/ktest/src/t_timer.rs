//! Kernel timers (docs/kernel.md, "Timers and timeouts"): a thread that
//! sleeps on a timer blocks (a lower-priority thread runs meanwhile) and
//! wakes at, never before, its deadline; a passed deadline signals at once;
//! bad invocations are refused; deleting the notification while armed
//! leaves the kernel consistent.

use crate::harness::{Env, ROOT, ROOT_PRIO, Test, TestResult, note};
use crate::{check, check_eq, expect_err, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::bootinfo::slot;
use rampart_abi::{Error, Rights};
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cap::{Notification, Timer, TimerControl};
use rampart_rt::cpu::rdtsc;
use rampart_rt::ipc;
use rampart_rt::spawn::Options;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(timer_sleep_wakes_at_deadline_and_lower_priority_runs),
    test!(timer_past_deadline_signals_at_once),
    test!(timer_bad_invocations_refused),
    test!(timer_notification_deleted_while_armed),
];

const CTL: TimerControl = TimerControl(slot::TIMER_CONTROL);

static SPINS: AtomicU64 = AtomicU64::new(0);

fn spin(_: u64) -> u64 {
    loop {
        SPINS.store(SPINS.load(Relaxed) + 1, Relaxed);
    }
}

fn timer(env: &mut Env) -> Result<Timer, crate::harness::Reason> {
    let s = ok!(env.a.slot());
    ok!(CTL.get(ROOT, s, ROOT_DEPTH));
    Ok(Timer(s))
}

/// A notification and a copy of it badged `badge`.
fn badged(env: &mut Env, badge: u64) -> Result<(Notification, Notification), crate::harness::Reason> {
    let n = ok!(env.a.notification());
    let s = ok!(env.a.slot());
    ok!(ROOT.mint(s, ROOT_DEPTH, ROOT.path(n.0, ROOT_DEPTH), Rights::ALL, badge));
    Ok((n, Notification(s)))
}

fn timer_sleep_wakes_at_deadline_and_lower_priority_runs(env: &mut Env) -> TestResult {
    // microvm has no PIT to measure the TSC with (tsc_hz 0): assume 1 GHz,
    // as init does; the checks below hold at any frequency.
    let hz = if env.bi.tsc_hz == 0 { 1_000_000_000 } else { env.bi.tsc_hz };
    let t = timer(env)?;
    let (n, nb) = badged(env, 0x8)?;
    SPINS.store(0, Relaxed);
    let _low = env.spawn(spin, 0, &Options::new(ROOT_PRIO - 10))?;
    // 20 ms: the spinner, at a lower priority, never runs while we yield.
    let start = rdtsc();
    let deadline = start + hz / 50;
    ok!(t.set(nb, deadline));
    let before = SPINS.load(Relaxed);
    let badge = n.wait();
    let woke = rdtsc();
    let ran = SPINS.load(Relaxed) - before;
    check_eq!(badge, 0x8, "badge");
    check!(woke >= deadline, "woke {} TSC ticks before the deadline", deadline - woke);
    check!(ran > 0, "the lower-priority thread did not run while we slept");
    check!(woke - start < hz * 5, "slept {} ms for 20", (woke - start) / (hz / 1000));
    note(format_args!(
        "slept 20 ms: woke after {} us; spinner ran {} iterations",
        (woke - start) / (hz / 1_000_000).max(1),
        ran
    ));
    check_eq!(ok!(t.cancel()), false, "cancel after firing");
    Ok(())
}

fn timer_past_deadline_signals_at_once(env: &mut Env) -> TestResult {
    let t = timer(env)?;
    let (n, nb) = badged(env, 0x3)?;
    ok!(t.set(nb, 0));
    check_eq!(n.poll(), 0x3, "signal of a passed deadline");
    ok!(t.set(nb, u64::MAX));
    check_eq!(n.poll(), 0, "u64::MAX fired");
    check_eq!(ok!(t.cancel()), true, "cancel of an armed timer");
    check_eq!(ok!(t.cancel()), false, "second cancel");
    Ok(())
}

fn timer_bad_invocations_refused(env: &mut Env) -> TestResult {
    let t = timer(env)?;
    let ep = ok!(env.a.endpoint());
    expect_err!(t.set(Notification(ep.0), 0), Error::InvalidCapability);
    let n = ok!(env.a.notification());
    let ro = ok!(env.a.slot());
    ok!(ROOT.mint(ro, ROOT_DEPTH, ROOT.path(n.0, ROOT_DEPTH), Rights::READ, 1));
    expect_err!(t.set(Notification(ro), 0), Error::InvalidCapability);
    let empty = ok!(env.a.slot());
    expect_err!(Timer(empty).set(n, 0), Error::InvalidCapability);
    expect_err!(TimerControl(t.0).get(ROOT, ro, ROOT_DEPTH), Error::IllegalOperation);
    expect_err!(CTL.get(ROOT, ro, ROOT_DEPTH), Error::DeleteFirst);
    Ok(())
}

fn timer_notification_deleted_while_armed(env: &mut Env) -> TestResult {
    let t = timer(env)?;
    let (n, nb) = badged(env, 1)?;
    ok!(t.set(nb, rdtsc() + 10_000_000));
    ok!(ROOT.delete(nb.0, ROOT_DEPTH));
    ok!(ROOT.delete(n.0, ROOT_DEPTH));
    check_eq!(ok!(t.cancel()), false, "the timer is disarmed with its notification");
    check_eq!(ipc::check_invariants(), 0, "invariants");
    Ok(())
}
