//! The security review's findings (issue 13) as the refinement runs found
//! them, minimised, replayed on the fixed kernel as regression tests: the
//! kernel and the model must agree at every step (capabilities, threads,
//! scheduling contexts and their call stacks, reply objects, results), and
//! `rampart_kcore::refcheck` must find no dangling pointer. On the kernel
//! before the fixes each diverged at its last operation (docs/assurance.md,
//! §5, lists the seeds and steps of the random runs).

use rampart_abi::{Error, Rights};
use rampart_model::boot::Config;
use rampart_model::inv::Inv;
use rampart_model::op::{Loc, Op, step};
use rampart_model::refine::{configs, replay};
use rampart_model::state::{Addr, Msg, Outcome, State};

fn msg(label: u64) -> Msg {
    Msg { label, mr0: 7, cap: None }
}

/// Replays `trace` on `cfg` (kernel and model must agree) and returns the
/// model's final state, the outcome of the last operation for its thread,
/// and how many system calls the kernel completed on its fast path.
fn check(cfg: &Config, trace: &[(Addr, Op)]) -> (State, Option<Outcome>, u64) {
    let (_, w) = match replay(cfg, trace) {
        Ok(x) => x,
        Err((i, e)) => panic!("operation {i} ({:?}): {e}", trace[i].1),
    };
    let mut m = cfg.boot();
    let mut last = None;
    for (t, op) in trace {
        let ev = step(&mut m, *t, op).expect("applicable");
        last = ev.iter().rev().find(|(x, _)| x == t).map(|(_, o)| *o);
    }
    (m, last, w.k.fastpath_hits)
}

fn threads(cfg: &Config) -> (Addr, Addr, Addr) {
    let l = cfg.layout();
    (l.tcbs[0], l.tcbs[1], l.tcbs[2])
}

/// (a) A ReplyRecv by a thread other than the one holding the lent context
/// (thread 0, through a copy of passive thread 1's reply capability) must
/// take the context from its holder: the old fast path, which took this
/// call, unbound only the replier, leaving the context bound to threads 1
/// and 2.
#[test]
fn a_fast_reply_returns_the_context_from_its_holder() {
    let cfg = &configs()[2];
    let (t0, t1, t2) = threads(cfg);
    let trace = [
        (t2, Op::Call { cap: 5, msg: msg(0), recv_slot: None }),
        (t1, Op::ReplyRecv { reply: 3, cap: 1, msg: msg(0), recv_slot: None }),
        (t2, Op::Call { cap: 1, msg: msg(0), recv_slot: None }),
        (
            t0,
            Op::Copy {
                dest: Loc { node: 0, index: 15 },
                src: Loc { node: 5, index: 3 },
                rights: Rights(9),
                data: None,
            },
        ),
        (t0, Op::ReplyRecv { reply: 15, cap: 2, msg: msg(0), recv_slot: None }),
    ];
    // The old kernel took the fast path here; the fixed one leaves a reply
    // on behalf of another thread's context to the general path.
    let (m, _, fast) = check(cfg, &trace);
    assert_eq!(fast, check(cfg, &trace[..4]).2);
    assert_eq!(m.tcb(t1).and_then(|x| x.sc), None);
    assert_eq!(m.tcb(t2).and_then(|x| x.sc), Some(cfg.layout().scs[2]));
}

/// (b) Nested lending: thread 0 calls passive thread 2, which calls
/// passive thread 1 (thread 0's context lent twice over). Suspending the
/// outer caller splices its reply object out of the call stack; the old
/// kernel took the context away from thread 1 through the outer reply's
/// stale pointer.
#[test]
fn b_cancelling_an_outer_caller_leaves_the_context_with_its_holder() {
    let cfg = &configs()[3];
    let (t0, t1, t2) = threads(cfg);
    let trace = [
        (t0, Op::Call { cap: 2, msg: msg(0), recv_slot: None }),
        (t2, Op::Call { cap: 5, msg: msg(0), recv_slot: None }),
        (t1, Op::Invoke { cap: 6, inv: Inv::TcbSuspend }),
    ];
    let (m, _, _) = check(cfg, &trace);
    let sc0 = cfg.layout().scs[0];
    assert_eq!(m.tcb(t1).and_then(|x| x.sc), Some(sc0));
    assert_eq!(m.sc(sc0).map(|x| x.stack.clone()), Some(vec![cfg.layout().replies[1]]));
}

/// (b) The use after free: thread 1 deletes the context lent to it twice
/// over; no reply object may keep referring to it (the old kernel left the
/// outer reply's `donated_sc` pointing at the freed context).
#[test]
fn b_deleting_a_context_lent_twice_clears_every_reference() {
    let cfg = &configs()[3];
    let (t0, t1, t2) = threads(cfg);
    let trace = [
        (t0, Op::Call { cap: 2, msg: msg(0), recv_slot: None }),
        (t2, Op::Call { cap: 5, msg: msg(0), recv_slot: None }),
        (t1, Op::Delete(Loc { node: 0, index: 11 })),
    ];
    let (m, _, _) = check(cfg, &trace);
    let l = cfg.layout();
    assert!(m.sc(l.scs[0]).is_none());
    assert_eq!(m.reply_sc(l.replies[3]), None);
    assert_eq!(m.tcb(t1).and_then(|x| x.sc), None);
}

/// (c) A read-only frame is refused as an IPC buffer.
#[test]
fn c_a_read_only_frame_is_no_ipc_buffer() {
    let cfg = &configs()[0];
    let (_, t1, _) = threads(cfg);
    let inv = Inv::TcbSetIpcBuffer { vaddr: 0x10_0000, frame: 9 };
    let (_, last, _) = check(cfg, &[(t1, Op::Invoke { cap: 6, inv })]);
    assert_eq!(last, Some(Outcome::Err(Error::InvalidCapability)));
}

/// (d) An I/O port access whose last port overflows 64 bits is a range
/// error (the old kernel panicked with overflow checks, and reached port
/// 0xFFFE without).
#[test]
fn d_port_arithmetic_does_not_overflow() {
    let cfg = &configs()[0];
    let (_, t1, _) = threads(cfg);
    let trace = [
        (t1, Op::Invoke { cap: 7, inv: Inv::PortIssue { first: 97, last: 97, root: 0, index: 12 } }),
        (t1, Op::Invoke { cap: 12, inv: Inv::PortIo { port: u64::MAX, width: 4, value: Some(1) } }),
    ];
    let (_, last, _) = check(cfg, &trace);
    assert_eq!(last, Some(Outcome::Err(Error::RangeError)));
}

/// (e) CancelBadgedSends needs every right on the endpoint; binding a
/// notification needs Read.
#[test]
fn e_cancel_and_bind_need_their_rights() {
    let cfg = &configs()[0];
    let (_, t1, t2) = threads(cfg);
    let (_, last, _) = check(cfg, &[(t2, Op::CancelBadgedSends(Loc { node: 0, index: 1 }))]);
    assert_eq!(last, Some(Outcome::Err(Error::IllegalOperation)));
    let (_, last, _) = check(cfg, &[(t1, Op::Invoke { cap: 6, inv: Inv::TcbBindNotification(2) })]);
    assert_eq!(last, Some(Outcome::Err(Error::InvalidCapability)));
}

/// (f, found by the refinement runs) A reply returns a lent context only
/// to a caller without a context of its own: here thread 2 was bound
/// another context while it waited, and the old kernel overwrote that
/// binding (the other context kept naming thread 2).
#[test]
fn f_a_reply_does_not_overwrite_the_callers_own_context() {
    let cfg = &configs()[0];
    let (t0, t1, t2) = threads(cfg);
    let copy = |dest, src, rights| Op::Copy { dest, src, rights, data: None };
    let trace = [
        (t2, copy(Loc { node: 0, index: 11 }, Loc { node: 0, index: 5 }, Rights(9))),
        (t0, Op::Move { dest: Loc { node: 5, index: 14 }, src: Loc { node: 5, index: 3 }, data: Some(0) }),
        (t1, Op::ReplyRecv { reply: 14, cap: 4, msg: msg(1), recv_slot: Some(15) }),
        (t0, Op::Invoke { cap: 9, inv: Inv::ScUnbind }),
        (t2, Op::Call { cap: 11, msg: msg(0), recv_slot: None }),
        (t0, Op::Invoke { cap: 9, inv: Inv::ScBind(7) }),
        (t1, Op::ReplyRecv { reply: 14, cap: 4, msg: msg(0), recv_slot: None }),
    ];
    let (m, _, _) = check(cfg, &trace);
    let l = cfg.layout();
    assert_eq!(m.tcb(t2).and_then(|x| x.sc), Some(l.scs[1]));
    assert_eq!(m.tcb(t1).and_then(|x| x.sc), Some(l.scs[2]));
}
