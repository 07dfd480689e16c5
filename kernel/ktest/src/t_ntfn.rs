//! Notifications: signal/wait/poll, badge OR-ing, blocking and waking,
//! bound notifications waking an endpoint receive, rights.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult, ep_and_reply, wait_done, wait_until};
use crate::{check, check_eq, expect_err, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::{Error, MessageInfo, Rights};
use rampart_rt::cap::{Endpoint, Notification};
use rampart_rt::ipc;
use rampart_rt::spawn::Options;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(ntfn_signal_then_poll),
    test!(ntfn_badges_are_ored),
    test!(ntfn_wait_blocks_until_signal),
    test!(ntfn_signal_wakes_higher_priority_waiter_at_once),
    test!(ntfn_bound_notification_wakes_recv),
    test!(ntfn_bind_unbind_errors),
    test!(ntfn_rights),
];

static WOKEN: AtomicU64 = AtomicU64::new(0);
static WORD: AtomicU64 = AtomicU64::new(0);
static LABEL: AtomicU64 = AtomicU64::new(0);

fn badged(env: &mut Env, n: Notification, badge: u64) -> Result<Notification, crate::harness::Reason> {
    Ok(Notification(ok!(env.a.mint(n.0, Rights::ALL, badge))))
}

fn ntfn_signal_then_poll(env: &mut Env) -> TestResult {
    let n = ok!(env.a.notification());
    check_eq!(n.poll(), 0, "poll of a new notification");
    let b = badged(env, n, 0x8)?;
    check_eq!(b.signal().label(), 0, "Signal status");
    check_eq!(n.poll(), 0x8, "poll after a signal");
    check_eq!(n.poll(), 0, "poll after the word was taken");
    Ok(())
}

fn ntfn_badges_are_ored(env: &mut Env) -> TestResult {
    let n = ok!(env.a.notification());
    for badge in [0x1, 0x4, 0x10, 0x4] {
        badged(env, n, badge)?.signal();
    }
    check_eq!(n.poll(), 0x15, "word after four signals");
    // Wait returns at once when the word is non-zero.
    badged(env, n, 0x100)?.signal();
    check_eq!(n.wait(), 0x100, "Wait on a signalled notification");
    Ok(())
}

fn waiter(arg: u64) -> u64 {
    let w = Notification(arg).wait();
    WORD.store(w, SeqCst);
    WOKEN.store(1, SeqCst);
    0
}

fn ntfn_wait_blocks_until_signal(env: &mut Env) -> TestResult {
    WOKEN.store(0, SeqCst);
    let n = ok!(env.a.notification());
    let t = env.spawn(waiter, n.0, &Options::new(ROOT_PRIO))?;
    for _ in 0..20 {
        ipc::yield_now();
    }
    check_eq!(WOKEN.load(SeqCst), 0, "waiter woke without a signal");
    badged(env, n, 0x21)?.signal();
    check!(wait_done(&t), "waiter did not wake after the signal");
    check_eq!(WORD.load(SeqCst), 0x21, "word the waiter received");
    Ok(())
}

fn ntfn_signal_wakes_higher_priority_waiter_at_once(env: &mut Env) -> TestResult {
    WOKEN.store(0, SeqCst);
    let n = ok!(env.a.notification());
    let b = badged(env, n, 3)?;
    let t = env.spawn(waiter, n.0, &Options::new(ROOT_PRIO + 5))?;
    check_eq!(WOKEN.load(SeqCst), 0, "waiter woke without a signal");
    b.signal();
    check!(t.done(), "higher-priority waiter had not run when Signal returned");
    check_eq!(WORD.load(SeqCst), 3, "word the waiter received");
    Ok(())
}

/// Receives twice on an endpoint with a reply object; records the badge
/// of the first wake-up and the label of the second.
fn bound_receiver(arg: u64) -> u64 {
    let (ep, reply) = (Endpoint(arg & 0xffff), arg >> 16);
    let r = ipc::recv(ep, reply);
    WORD.store(r.badge, SeqCst);
    WOKEN.store(1, SeqCst);
    let r = ipc::recv(ep, reply);
    LABEL.store(r.info.label(), SeqCst);
    WOKEN.store(2, SeqCst);
    0
}

fn ntfn_bound_notification_wakes_recv(env: &mut Env) -> TestResult {
    WOKEN.store(0, SeqCst);
    let (ep, reply) = ep_and_reply(env)?;
    let n = ok!(env.a.notification());
    let b = badged(env, n, 0x40)?;
    let mut o = Options::new(ROOT_PRIO + 5);
    o.resume = false;
    let t = env.spawn(bound_receiver, ep.0 | reply.0 << 16, &o)?;
    ok!(t.tcb.bind_notification(n));
    ok!(t.tcb.resume());
    check_eq!(WOKEN.load(SeqCst), 0, "receiver woke without a message or signal");
    b.signal();
    check_eq!(WOKEN.load(SeqCst), 1, "receiver not woken by its bound notification");
    check_eq!(WORD.load(SeqCst), 0x40, "badge seen by the receiver (the notification word)");
    check_eq!(ipc::send(ep, MessageInfo::new(0x33, 0, 0, 0), [0; 4]).label(), 0, "Send status");
    check!(wait_until(10, || WOKEN.load(SeqCst) == 2), "receiver did not get the endpoint message");
    check_eq!(LABEL.load(SeqCst), 0x33, "label of the endpoint message");
    Ok(())
}

fn ntfn_bind_unbind_errors(env: &mut Env) -> TestResult {
    let t = ok!(env.a.tcb());
    let t2 = ok!(env.a.tcb());
    let n = ok!(env.a.notification());
    let n2 = ok!(env.a.notification());
    expect_err!(t.unbind_notification(), Error::IllegalOperation);
    ok!(t.bind_notification(n));
    expect_err!(t.bind_notification(n2), Error::IllegalOperation);
    expect_err!(t2.bind_notification(n), Error::IllegalOperation);
    ok!(t.unbind_notification());
    expect_err!(t.unbind_notification(), Error::IllegalOperation);
    ok!(t2.bind_notification(n));
    let ep = ok!(env.a.endpoint());
    expect_err!(t.bind_notification(Notification(ep.0)), Error::InvalidCapability);
    Ok(())
}

fn ntfn_rights(env: &mut Env) -> TestResult {
    let n = ok!(env.a.notification());
    let read_only = Notification(ok!(env.a.mint(n.0, Rights::READ, 1)));
    let write_only = Notification(ok!(env.a.mint(n.0, Rights::WRITE, 2)));
    let bad = Error::InvalidCapability as u64;
    check_eq!(read_only.signal().label(), bad, "Signal without write");
    check_eq!(n.poll(), 0, "word after a refused signal");
    check_eq!(write_only.signal().label(), 0, "Signal with write");
    check_eq!(ipc::wait(write_only).info.label(), bad, "Wait without read");
    check_eq!(ipc::nb_recv(write_only, 0).info.label(), bad, "Poll without read");
    check_eq!(read_only.poll(), 2, "word polled through the read-only cap");
    Ok(())
}
