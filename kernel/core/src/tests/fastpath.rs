//! The fast path must be indistinguishable from the general path: the same
//! scenarios run with it on and off must leave identical observable state.

use super::support::{S, spawn};
use crate::object::{ReplyRef, TcbRef};
use crate::regs::r;
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Label, MessageInfo, ObjectType, Rights, Syscall};

/// Everything a user or the scheduler could observe about some threads.
fn observe(w: &World, ts: &[TcbRef], reply: ReplyRef) -> Vec<u64> {
    let rel = |p: u64| if p == 0 { 0 } else { p - w.base() };
    let rg = reply.get();
    let mut v = vec![
        rel(w.k.cur.0),
        rel(rg.caller.get()),
        rel(rg.sc.get()),
        rel(rg.receiver.get()),
        rel(rg.above.get()),
        rel(rg.below.get()),
    ];
    for t in ts {
        let g = t.get();
        v.extend([g.state.get(), rel(g.sc.get()), rel(g.reply.get()), rel(g.blocked_on.get()), g.in_ready_queue.get()]);
        for reg in [r::RDI, r::RSI, r::RDX, r::R8, r::R9, r::R10, r::RIP] {
            v.push(g.regs.get(reg));
        }
    }
    assert_eq!(w.k.check_invariants(), 0);
    v
}

/// A client and a server (passive or not) exchange `rounds` calls.
fn scenario(fast: bool, passive: bool, words: u64, rounds: u64) -> Vec<u64> {
    let mut w = World::new();
    w.k.fastpath_enabled = fast;
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 2, 64, S, 64, Rights::ALL.0, 0x55], &[ws::CNODE]).unwrap();
    let server = spawn(&mut w, 1, 120, 0);
    let client = spawn(&mut w, 2, 100, 0);
    if passive {
        w.invoke(server.slot, Label::TcbSetSchedParams, &[120, 120], &[ws::TCB, 0, 0]).unwrap();
    }
    // The root (priority 255) steps aside so the two threads are the best.
    w.invoke(ws::TCB, Label::TcbSuspend, &[], &[]).ok();
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let reply = ReplyRef(w.root.slot(S + 1).cap().paddr());
    let mut trace = Vec::new();
    for i in 0..rounds {
        w.syscall(client.tcb, Syscall::Call, S + 2, MessageInfo::new(7, 0, 0, words), &[i, i + 1, i + 2, i + 3], 0);
        trace.extend(observe(&w, &[client.tcb, server.tcb], reply));
        if w.k.cur != server.tcb {
            break;
        }
        w.syscall(server.tcb, Syscall::ReplyRecv, S, MessageInfo::new(0, 0, 0, words), &[10 * i, 1, 2, 3], S + 1);
        trace.extend(observe(&w, &[client.tcb, server.tcb], reply));
    }
    let expected_hits = if fast && words <= 4 { 2 * rounds } else { 0 };
    assert_eq!(w.k.fastpath_hits, expected_hits, "fast path hits (fast={fast}, words={words})");
    trace
}

#[test]
fn fast_and_general_paths_agree() {
    for passive in [false, true] {
        for words in [0, 1, 4, 5] {
            let fast = scenario(true, passive, words, 5);
            let slow = scenario(false, passive, words, 5);
            assert_eq!(fast, slow, "divergence (passive={passive}, words={words})");
            assert!(fast.len() > 20, "scenario did not run");
        }
    }
}

#[test]
fn fast_path_is_taken_for_register_messages() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    let server = spawn(&mut w, 1, 120, 0);
    let client = spawn(&mut w, 2, 100, 0);
    w.invoke(ws::TCB, Label::TcbSuspend, &[], &[]).ok();
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    w.switch_to(client.tcb);
    let regs = &client.tcb.get().regs;
    regs.set(r::RDI, S);
    regs.set(r::RSI, MessageInfo::new(1, 0, 0, 2).0);
    assert!(w.k.fastpath_call().is_some(), "call not taken by the fast path");
    assert_eq!(w.k.cur, server.tcb);
    let sregs = &server.tcb.get().regs;
    sregs.set(r::RDI, S);
    sregs.set(r::R12, S + 1);
    sregs.set(r::RSI, MessageInfo::new(0, 0, 0, 1).0);
    assert!(w.k.fastpath_reply_recv().is_some(), "reply_recv not taken by the fast path");
    assert_eq!(w.k.cur, client.tcb);
    // Capabilities force the general path.
    regs.set(r::RSI, MessageInfo::new(1, 0, 1, 0).0);
    assert!(w.k.fastpath_call().is_none());
}
