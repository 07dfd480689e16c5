//! Scheduling-context donation and its call stack (issue 13, findings 2
//! and 3): lent contexts must end up bound to exactly one thread and no
//! reply object may keep a pointer to a deleted context, whatever order
//! replies, deletions and retypes come in. Each scenario ends by turning
//! the context's memory into a frame that a user controls and checking the
//! kernel never writes into it.

use super::support::{S, Thread, spawn};
use crate::kmem;
use crate::object::{ReplyRef, ScRef, TcbRef, ThreadState};
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Label, MessageInfo, ObjectType, Syscall};

const EP_A: u64 = S;
const EP_B: u64 = S + 1;
const REPLY_A: u64 = S + 2;
const REPLY_B: u64 = S + 3;
/// A 4 KiB untyped holding only the client's scheduling context.
const SMALL_UT: u64 = S + 4;
const CLIENT_SC: u64 = S + 5;
const FRAME: u64 = S + 6;

/// A client C with a context from [`SMALL_UT`], passive servers A (on
/// endpoint A with reply object A) and B (endpoint B, reply object B), and
/// a helper D with its own context sharing A's capabilities. The root steps
/// aside; A and B wait for calls.
struct Setup {
    w: World,
    c: Thread,
    a: Thread,
    b: Thread,
    d: Thread,
    sc: ScRef,
}

fn setup(fast: bool) -> Setup {
    let mut w = World::new();
    w.k.fastpath_enabled = fast;
    w.retype(ObjectType::Endpoint, 0, EP_A, 2).unwrap();
    w.retype(ObjectType::Reply, 0, REPLY_A, 2).unwrap();
    w.retype(ObjectType::Untyped, 12, SMALL_UT, 1).unwrap();
    w.invoke(SMALL_UT, Label::UntypedRetype, &[ObjectType::SchedContext as u64, 0, 0, 0, CLIENT_SC, 1], &[ws::CNODE])
        .unwrap();
    w.invoke(ws::SCHED_CONTROL, Label::SchedControlConfigure, &[5000, 5000, 0, 9], &[CLIENT_SC]).unwrap();
    let c = spawn(&mut w, 1, 100, 0);
    let a = spawn(&mut w, 2, 120, 0);
    let b = spawn(&mut w, 3, 90, 0);
    let d = spawn(&mut w, 4, 110, 0);
    // C runs on the context from the small untyped; A and B are passive.
    w.invoke(c.slot, Label::TcbSetSchedParams, &[100, 100], &[ws::TCB, 0, 0]).unwrap();
    w.invoke(c.slot, Label::TcbSetSchedParams, &[100, 100], &[ws::TCB, CLIENT_SC, 0]).unwrap();
    w.invoke(a.slot, Label::TcbSetSchedParams, &[120, 120], &[ws::TCB, 0, 0]).unwrap();
    w.invoke(b.slot, Label::TcbSetSchedParams, &[90, 90], &[ws::TCB, 0, 0]).unwrap();
    let sc = ScRef(w.root.slot(CLIENT_SC).cap().paddr());
    w.invoke(ws::TCB, Label::TcbSuspend, &[], &[]).ok();
    w.syscall(a.tcb, Syscall::Recv, EP_A, MessageInfo(0), &[], REPLY_A);
    w.syscall(b.tcb, Syscall::Recv, EP_B, MessageInfo(0), &[], REPLY_B);
    assert_eq!(a.tcb.state(), ThreadState::BlockedOnReceive);
    Setup { w, c, a, b, d, sc }
}

/// C calls A, and A (running on C's context) calls B: the context is lent
/// twice and both reply objects are on its call stack.
fn nested_calls(s: &mut Setup) {
    let w = &mut s.w;
    w.syscall(s.c.tcb, Syscall::Call, EP_A, MessageInfo::new(1, 0, 0, 1), &[11], 0);
    assert_eq!(w.k.cur, s.a.tcb, "A runs on the lent context");
    assert_eq!(s.a.tcb.sc(), s.sc);
    w.syscall(s.a.tcb, Syscall::Call, EP_B, MessageInfo::new(2, 0, 0, 1), &[22], 0);
    assert_eq!(w.k.cur, s.b.tcb, "B runs on the context lent again");
    assert_eq!(s.b.tcb.sc(), s.sc);
    assert_eq!((s.a.tcb.sc(), s.c.tcb.sc()), (ScRef::NONE, ScRef::NONE));
    let (ra, rb) = (reply(w, REPLY_A), reply(w, REPLY_B));
    assert_eq!(s.sc.get().reply.get(), rb.0, "B's reply object tops the stack");
    assert_eq!((rb.get().below.get(), ra.get().above.get()), (ra.0, rb.0));
    assert_eq!(ra.get().sc.get(), 0, "only the top refers to the context");
    assert_eq!(w.k.check_invariants(), 0);
}

fn reply(w: &World, slot: u64) -> ReplyRef {
    ReplyRef(w.root.slot(slot).cap().paddr())
}

/// No thread has `sc` bound.
fn nobody_holds(w: &World, sc: u64, ts: &[TcbRef]) {
    for t in ts {
        assert_ne!(t.get().sc.get(), sc, "thread {:#x} still holds the deleted context", t.0);
    }
    assert_eq!(w.k.check_invariants(), 0);
}

/// Deletes the client's context, turns its memory into a frame whose words
/// a user writes (a fake context naming `victim` and all its budget), lets
/// the scheduler and timer run, and checks the kernel wrote nothing there.
fn delete_context_and_reuse(s: &mut Setup, victim: TcbRef) {
    let sc_addr = s.sc.0;
    let w = &mut s.w;
    w.invoke(ws::CNODE, Label::CNodeDelete, &[CLIENT_SC, 64], &[]).unwrap();
    nobody_holds(w, sc_addr, &[s.c.tcb, s.a.tcb, s.b.tcb, s.d.tcb]);
    w.invoke(SMALL_UT, Label::UntypedRetype, &[ObjectType::Frame4K as u64, 0, 0, 0, FRAME, 1], &[ws::CNODE]).unwrap();
    let frame = w.root.slot(FRAME).cap().paddr();
    assert_eq!(frame, sc_addr, "the frame reuses the context's memory");
    // What a user could write through a mapping of the frame: a context
    // with budget left, bound to the victim.
    let fake = [5u64, 5, 5, u64::MAX, victim.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (i, v) in fake.iter().enumerate() {
        kmem::write_u64(frame + 8 * i as u64, *v);
    }
    for _ in 0..20 {
        w.k.handle_interrupt(0);
        w.k.schedule();
        assert_eq!(w.k.check_invariants(), 0);
    }
    for (i, v) in fake.iter().enumerate() {
        assert_eq!(kmem::read_u64(frame + 8 * i as u64), *v, "the kernel wrote word {i} of a user frame");
    }
}

#[test]
fn reply_from_another_thread_mid_stack_leaves_the_context_with_its_holder() {
    for fast in [true, false] {
        let mut s = setup(fast);
        nested_calls(&mut s);
        // D holds A's capabilities and answers C through A's reply object
        // while B still runs on the context: the context must stay with B.
        let hits = s.w.k.fastpath_hits;
        s.w.syscall(s.d.tcb, Syscall::ReplyRecv, EP_A, MessageInfo::new(0, 0, 0, 1), &[33], REPLY_A);
        if fast {
            assert_eq!(s.w.k.fastpath_hits, hits, "a mid-stack reply must take the general path");
        }
        assert_eq!(s.c.tcb.state(), ThreadState::Running, "C got its answer");
        assert_eq!(s.b.tcb.sc(), s.sc, "B keeps the context");
        assert_eq!(s.c.tcb.sc(), ScRef::NONE, "C has no context until the stack unwinds to it");
        assert_eq!(s.sc.get().tcb.get(), s.b.tcb.0);
        assert_eq!(reply(&s.w, REPLY_B).get().below.get(), 0, "A's reply object left the stack");
        assert_eq!(s.w.k.check_invariants(), 0);
        let victim = s.b.tcb;
        delete_context_and_reuse(&mut s, victim);
    }
}

#[test]
fn deleting_the_top_reply_returns_the_context_one_level_down() {
    for fast in [true, false] {
        let mut s = setup(fast);
        nested_calls(&mut s);
        // B's reply object goes: A's call to B is aborted and the context
        // returns to A, still lent to it through A's reply object.
        s.w.invoke(ws::CNODE, Label::CNodeDelete, &[REPLY_B, 64], &[]).unwrap();
        assert_eq!(s.a.tcb.sc(), s.sc);
        assert_eq!(s.b.tcb.sc(), ScRef::NONE);
        let ra = reply(&s.w, REPLY_A);
        assert_eq!(s.sc.get().reply.get(), ra.0, "A's reply object is the top again");
        assert_eq!(ra.get().sc.get(), s.sc.0);
        assert_eq!(s.w.k.check_invariants(), 0);
        // The context goes; A's reply object must forget it, so D's reply
        // to C through it later touches nothing.
        // The fake context names A, not C: the old kernel wrote C there.
        let victim = s.a.tcb;
        delete_context_and_reuse(&mut s, victim);
        assert_eq!(ra.get().sc.get(), 0);
        s.w.syscall(s.d.tcb, Syscall::ReplyRecv, EP_A, MessageInfo::new(0, 0, 0, 1), &[33], REPLY_A);
        assert_eq!(s.c.tcb.state(), ThreadState::Running);
        assert_eq!(s.c.tcb.sc(), ScRef::NONE);
        let frame = s.w.root.slot(FRAME).cap().paddr();
        assert_eq!(kmem::read_u64(frame + 8 * 4), victim.0, "the kernel wrote into the reused frame");
        assert_eq!(s.w.k.check_invariants(), 0);
    }
}

#[test]
fn replies_unwind_the_stack_in_order() {
    for fast in [true, false] {
        let mut s = setup(fast);
        nested_calls(&mut s);
        let hits = s.w.k.fastpath_hits;
        s.w.syscall(s.b.tcb, Syscall::ReplyRecv, EP_B, MessageInfo::new(0, 0, 0, 1), &[44], REPLY_B);
        assert_eq!(s.w.k.cur, s.a.tcb);
        assert_eq!(s.a.tcb.sc(), s.sc, "the context returns to A");
        assert_eq!(s.sc.get().reply.get(), reply(&s.w, REPLY_A).0, "still lent to A through A's reply object");
        assert_eq!(s.w.k.check_invariants(), 0);
        s.w.syscall(s.a.tcb, Syscall::ReplyRecv, EP_A, MessageInfo::new(0, 0, 0, 1), &[55], REPLY_A);
        assert_eq!(s.w.k.cur, s.c.tcb);
        assert_eq!(s.c.tcb.sc(), s.sc, "the context is home");
        assert_eq!(s.sc.get().reply.get(), 0);
        assert_eq!(s.w.result(s.c.tcb).mrs[0], 55);
        if fast {
            // Nested donation is the general path's; the last reply, alone
            // in its stack, is the fast path's.
            assert_eq!(s.w.k.fastpath_hits, hits + 1, "fast-path hits");
        }
        assert_eq!(s.w.k.check_invariants(), 0);
    }
}

#[test]
fn deleting_a_thread_holding_a_lent_context_leaves_the_stack_to_return_it() {
    let mut s = setup(true);
    nested_calls(&mut s);
    s.w.invoke(ws::CNODE, Label::CNodeDelete, &[s.b.slot, 64], &[]).unwrap();
    assert_eq!(s.sc.get().tcb.get(), 0);
    assert_eq!(s.w.k.check_invariants(), 0);
    // A's call to B is aborted once B's reply object goes; the context
    // returns to A.
    s.w.invoke(ws::CNODE, Label::CNodeDelete, &[REPLY_B, 64], &[]).unwrap();
    assert_eq!(s.a.tcb.sc(), s.sc);
    assert_eq!(s.a.tcb.state(), ThreadState::Running);
    assert_eq!(s.w.k.check_invariants(), 0);
}
