//! Kernel timers (docs/kernel.md, "Timers and timeouts"): sleeping and
//! waking, re-arming, deadlines in the past and at infinity, deleting the
//! notification or the timer while armed, exhausting the table, bad input.

use super::support::{S, spawn};
use crate::object::ThreadState;
use crate::testing::World;
use crate::timer::TIMERS;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Error, Label, MessageInfo, ObjectType, Rights, Syscall};

/// A notification at `S` and a copy badged `badge` at `S + 1`.
fn ntfn(w: &mut World, badge: u64) {
    w.retype(ObjectType::Notification, 0, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::ALL.0, badge], &[ws::CNODE]).unwrap();
}

/// Issues a timer into root slot `at`; returns its number.
fn timer(w: &mut World, at: u64) -> u64 {
    w.invoke(ws::TIMER_CONTROL, Label::TimerControlGet, &[at, 64], &[ws::CNODE]).unwrap()[0]
}

/// Pending badge bits of the notification at `cptr`, polled by the root.
fn poll(w: &mut World, cptr: u64) -> u64 {
    let root = w.root_tcb();
    w.syscall(root, Syscall::NBRecv, cptr, MessageInfo(0), &[], 0).badge
}

fn tick(w: &mut World, tsc: u64) {
    w.k.m.tsc = tsc;
    w.k.handle_interrupt(0);
    w.k.schedule();
    assert_eq!(w.k.check_invariants(), 0);
}

#[test]
fn a_sleeper_wakes_at_the_first_tick_after_its_deadline_and_a_lower_priority_thread_runs_meanwhile() {
    let mut w = World::new();
    ntfn(&mut w, 0x4);
    let tm = S + 2;
    assert_eq!(timer(&mut w, tm), 0);
    let a = spawn(&mut w, 1, 100, 0);
    let b = spawn(&mut w, 2, 50, 0);
    w.invoke(ws::TCB, Label::TcbSetPriority, &[10], &[ws::TCB]).unwrap();
    w.invoke(a.slot, Label::TcbResume, &[], &[]).unwrap();
    w.invoke(b.slot, Label::TcbResume, &[], &[]).unwrap();
    w.k.m.tsc = 1000;
    w.invoke_as(a.tcb, tm, Label::TimerSet, &[5000], &[S + 1]).unwrap();
    w.syscall(a.tcb, Syscall::Wait, S, MessageInfo(0), &[], 0);
    assert_eq!(a.tcb.state(), ThreadState::BlockedOnNotification);
    w.k.schedule();
    assert_eq!(w.k.cur, b.tcb, "the lower-priority thread runs while a sleeps");
    for t in [1001, 2000, 4999] {
        tick(&mut w, t);
        assert_eq!(a.tcb.state(), ThreadState::BlockedOnNotification, "not before the deadline (tsc {t})");
        assert_eq!(w.k.cur, b.tcb);
    }
    tick(&mut w, 5003);
    assert_eq!(a.tcb.state(), ThreadState::Running);
    assert_eq!(w.k.cur, a.tcb, "the woken higher-priority thread preempts");
    assert_eq!(w.result(a.tcb).badge, 0x4);
    assert_eq!(w.invoke_as(a.tcb, tm, Label::TimerCancel, &[], &[]).unwrap(), [0], "it had fired");
    assert_eq!(w.k.timer_next, crate::timer::NO_DEADLINE);
}

#[test]
fn a_deadline_in_the_past_signals_at_once_and_u64_max_never_fires() {
    let mut w = World::new();
    ntfn(&mut w, 0x10);
    timer(&mut w, S + 2);
    w.k.m.tsc = 1_000_000;
    w.invoke(S + 2, Label::TimerSet, &[0], &[S + 1]).unwrap();
    assert_eq!(poll(&mut w, S), 0x10);
    w.invoke(S + 2, Label::TimerSet, &[1_000_000], &[S + 1]).unwrap();
    assert_eq!(poll(&mut w, S), 0x10, "deadline == now is passed");
    w.invoke(S + 2, Label::TimerSet, &[u64::MAX], &[S + 1]).unwrap();
    tick(&mut w, u64::MAX - 1);
    assert_eq!(poll(&mut w, S), 0);
    assert_eq!(w.invoke(S + 2, Label::TimerCancel, &[], &[]).unwrap(), [1], "still armed");
    assert_eq!(w.invoke(S + 2, Label::TimerCancel, &[], &[]).unwrap(), [0]);
}

#[test]
fn re_arming_replaces_the_deadline_and_the_notification() {
    let mut w = World::new();
    ntfn(&mut w, 1);
    w.retype(ObjectType::Notification, 0, S + 3, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 4, 64, S + 3, 64, Rights::ALL.0, 2], &[ws::CNODE]).unwrap();
    timer(&mut w, S + 2);
    w.k.m.tsc = 100;
    w.invoke(S + 2, Label::TimerSet, &[5000], &[S + 1]).unwrap();
    w.invoke(S + 2, Label::TimerSet, &[3000], &[S + 4]).unwrap();
    tick(&mut w, 3000);
    assert_eq!(poll(&mut w, S + 3), 2, "the second arming fired");
    assert_eq!((poll(&mut w, S), w.k.timers[0].ntfn), (0, 0), "the first arming is gone");
    // Later deadline after an earlier one: the stale lower bound costs one
    // scan, nothing fires early.
    w.invoke(S + 2, Label::TimerSet, &[4000], &[S + 1]).unwrap();
    w.invoke(S + 2, Label::TimerSet, &[8000], &[S + 1]).unwrap();
    tick(&mut w, 4000);
    assert_eq!(poll(&mut w, S), 0, "no early signal");
    assert_eq!(w.k.timer_next, 8000);
    tick(&mut w, 8000);
    assert_eq!(poll(&mut w, S), 1);
}

#[test]
fn deleting_the_notification_while_armed_disarms_the_timer() {
    let mut w = World::new();
    ntfn(&mut w, 1);
    timer(&mut w, S + 2);
    w.k.m.tsc = 10;
    w.invoke(S + 2, Label::TimerSet, &[500], &[S + 1]).unwrap();
    // Deleting one copy does not destroy the notification.
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 1, 64], &[]).unwrap();
    assert_ne!(w.k.timers[0].ntfn, 0);
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S, 64], &[]).unwrap();
    assert_eq!(w.k.timers[0].ntfn, 0, "no pointer to the destroyed notification");
    assert_eq!(w.k.check_invariants(), 0);
    // A new notification in the same slots: the old arming must not signal it.
    ntfn(&mut w, 1);
    tick(&mut w, 1000);
    assert_eq!(poll(&mut w, S), 0);
    assert_eq!(w.invoke(S + 2, Label::TimerCancel, &[], &[]).unwrap(), [0]);
}

#[test]
fn deleting_the_last_timer_capability_disarms_and_frees_the_timer() {
    let mut w = World::new();
    ntfn(&mut w, 1);
    assert_eq!(timer(&mut w, S + 2), 0);
    w.invoke(ws::CNODE, Label::CNodeCopy, &[S + 3, 64, S + 2, 64, Rights::ALL.0], &[ws::CNODE]).unwrap();
    w.k.m.tsc = 10;
    w.invoke(S + 3, Label::TimerSet, &[500], &[S + 1]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 2, 64], &[]).unwrap();
    assert!(w.k.timers[0].active && w.k.timers[0].ntfn != 0, "a copy remains");
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 3, 64], &[]).unwrap();
    assert!(!w.k.timers[0].active && w.k.timers[0].ntfn == 0);
    tick(&mut w, 1000);
    assert_eq!(poll(&mut w, S), 0, "a deleted timer never fires");
    assert_eq!(timer(&mut w, S + 4), 0, "the slot is reused");
    // Revoking TimerControl's children deletes issued timers too.
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[ws::TIMER_CONTROL, 64], &[]).unwrap();
    assert!(!w.k.timers[0].active);
    assert_eq!(w.invoke(S + 4, Label::TimerCancel, &[], &[]), Err(Error::InvalidCapability));
}

#[test]
fn every_timer_can_be_issued_and_all_fire_in_one_tick() {
    let mut w = World::new();
    w.retype(ObjectType::Notification, 0, S, 1).unwrap();
    for b in 0..64 {
        w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1 + b, 64, S, 64, Rights::ALL.0, 1 << b], &[ws::CNODE]).unwrap();
    }
    let base = S + 100;
    for i in 0..TIMERS as u64 {
        assert_eq!(timer(&mut w, base + i), i);
    }
    assert_eq!(
        w.invoke(ws::TIMER_CONTROL, Label::TimerControlGet, &[base + TIMERS as u64, 64], &[ws::CNODE]),
        Err(Error::RevokeFirst)
    );
    w.k.m.tsc = 1;
    for i in 0..TIMERS as u64 {
        w.invoke(base + i, Label::TimerSet, &[100 + i * 7], &[S + 1 + i % 64]).unwrap();
    }
    assert_eq!(w.k.timer_next, 100);
    tick(&mut w, 99);
    assert_eq!(poll(&mut w, S), 0);
    tick(&mut w, 100 + (TIMERS as u64 - 1) * 7);
    assert_eq!(poll(&mut w, S), u64::MAX, "every badge bit");
    assert!(w.k.timers.iter().all(|t| t.ntfn == 0));
    assert_eq!(w.k.timer_next, crate::timer::NO_DEADLINE);
}

#[test]
fn bad_timer_invocations_are_refused() {
    let mut w = World::new();
    ntfn(&mut w, 1);
    timer(&mut w, S + 2);
    w.retype(ObjectType::Endpoint, 0, S + 3, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 4, 64, S, 64, Rights::READ.0, 2], &[ws::CNODE]).unwrap();
    assert_eq!(w.invoke(S + 2, Label::TimerSet, &[5], &[S + 3]), Err(Error::InvalidCapability), "an endpoint");
    assert_eq!(w.invoke(S + 2, Label::TimerSet, &[5], &[S + 4]), Err(Error::InvalidCapability), "no Write right");
    assert!(w.invoke(S + 2, Label::TimerSet, &[5], &[]).is_err(), "no notification");
    assert!(w.invoke(S + 2, Label::TimerSet, &[], &[S + 1]).is_err(), "no deadline");
    assert_eq!(w.invoke(S + 2, Label::TimerControlGet, &[S + 9, 64], &[ws::CNODE]), Err(Error::IllegalOperation));
    assert_eq!(w.invoke(ws::TIMER_CONTROL, Label::TimerSet, &[5], &[S + 1]), Err(Error::IllegalOperation));
    assert!(w.invoke(ws::TIMER_CONTROL, Label::TimerControlGet, &[S + 2, 64], &[ws::CNODE]).is_err(), "occupied");
    assert_eq!(w.k.timers.iter().filter(|t| t.active).count(), 1, "failed gets issue nothing");
    assert_eq!(w.k.timers[0].ntfn, 0, "failed sets arm nothing");
    assert_eq!(w.k.check_invariants(), 0);
}

/// The stop-28 hang: a timer firing in the very tick that ends the current
/// thread's time slice made the woken sleeper the `SwitchTo` candidate, and
/// the end of the slice then overwrote that decision — the sleeper was
/// `Running` but in no queue, and never ran again. Both ends of a slice:
/// round robin (budget = period) and a depleted budget (budget < period).
#[test]
fn a_sleeper_woken_in_the_tick_that_ends_the_current_slice_is_not_lost() {
    for (budget, period) in [(5000, 5000), (3, 5000)] {
        let mut w = World::new();
        ntfn(&mut w, 0x1);
        let tm = S + 2;
        timer(&mut w, tm);
        let a = spawn(&mut w, 1, 100, 0);
        let b = spawn(&mut w, 2, 100, 0);
        w.invoke(ws::SCHED_CONTROL, Label::SchedControlConfigure, &[budget, period, 0, 2], &[b.slot + 2]).unwrap();
        w.invoke(ws::TCB, Label::TcbSetPriority, &[10], &[ws::TCB]).unwrap();
        w.invoke(a.slot, Label::TcbResume, &[], &[]).unwrap();
        w.invoke(b.slot, Label::TcbResume, &[], &[]).unwrap();
        w.k.m.tsc = 1000;
        w.invoke_as(a.tcb, tm, Label::TimerSet, &[5000], &[S + 1]).unwrap();
        w.syscall(a.tcb, Syscall::Wait, S, MessageInfo(0), &[], 0);
        w.k.schedule();
        assert_eq!(w.k.cur, b.tcb, "b runs while a sleeps");
        // b's slice ends exactly at the tick that fires a's timer.
        b.tcb.sc().get().remaining.set(1);
        tick(&mut w, 5001);
        assert_eq!(a.tcb.state(), ThreadState::Running, "budget {budget}/{period}");
        assert!(
            w.k.cur == a.tcb || a.tcb.get().in_ready_queue.get() != 0,
            "budget {budget}/{period}: the woken sleeper is neither running nor queued"
        );
        // Within a few slices a runs (b's slices are at most 5000 ticks).
        let mut ran = w.k.cur == a.tcb;
        for i in 0..10_002 {
            if ran {
                break;
            }
            tick(&mut w, 5002 + i);
            ran = w.k.cur == a.tcb;
        }
        assert!(ran, "budget {budget}/{period}: a never ran");
    }
}
