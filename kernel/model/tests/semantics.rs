//! Scenario tests of the model's semantics: each checks one rule of the
//! specification on a small system, so a change to the model that breaks a
//! rule fails here with a readable name.

use rampart_abi::{Error, Rights};
use rampart_model::boot::Config;
use rampart_model::invariants::check;
use rampart_model::op::{Loc, Op, step};
use rampart_model::state::{CapKind, Msg, NewObj, Outcome, Sizes, SlotId, State, ThreadState};

/// Standard system: thread 0 has the untyped (slot 1) and the endpoint
/// (slot 2), thread 1 a copy of the endpoint (slot 1); 8 slots each.
fn system() -> (State, u64, u64) {
    let s = Config::standard(2, 3, 4, Sizes::Units).boot();
    let (t0, t1) = (s.threads[0], s.threads[1]);
    (s, t0, t1)
}

fn l(node: u32, index: u32) -> Loc {
    Loc { node, index }
}

fn run(s: &mut State, t: u64, op: Op) -> Vec<(u64, Outcome)> {
    let ev = step(s, t, &op).expect("applicable");
    check(s).expect("invariants hold");
    ev
}

fn cap_at(s: &State, t: u64, i: u32) -> Option<rampart_model::state::Cap> {
    s.cap(s.lookup(t, i)?)
}

#[test]
fn retype_carves_objects_and_exhausts_the_untyped() {
    let (mut s, t0, _) = system();
    let rt = |offset| Op::Retype { ut: 1, ty: NewObj::Endpoint, root: 0, node: None, offset, count: 4 };
    assert_eq!(run(&mut s, t0, rt(3)), vec![(t0, Outcome::Ok)]);
    assert!((3..7).all(|i| matches!(cap_at(&s, t0, i).map(|c| c.kind), Some(CapKind::Endpoint(_)))));
    // 16 units: four more fit, then memory is exhausted.
    let err = run(&mut s, t0, Op::Retype { ut: 1, ty: NewObj::Endpoint, root: 0, node: None, offset: 7, count: 1 });
    assert_eq!(err, vec![(t0, Outcome::Ok)]);
    assert_eq!(run(&mut s, t0, rt(3)), vec![(t0, Outcome::Err(Error::DeleteFirst))]);
}

#[test]
fn revoke_reclaims_memory_and_wakes_blocked_threads() {
    let (mut s, t0, t1) = system();
    let full = Op::Retype { ut: 1, ty: NewObj::Untyped(4), root: 0, node: None, offset: 3, count: 1 };
    run(&mut s, t0, full);
    let again = Op::Retype { ut: 1, ty: NewObj::Endpoint, root: 0, node: None, offset: 4, count: 1 };
    assert_eq!(run(&mut s, t0, again), vec![(t0, Outcome::Err(Error::NotEnoughMemory))]);
    // Make an endpoint from the child untyped, give it to thread 1 by IPC,
    // let thread 1 block on it, then revoke the parent untyped.
    run(&mut s, t0, Op::Retype { ut: 3, ty: NewObj::Endpoint, root: 0, node: None, offset: 4, count: 1 });
    run(&mut s, t1, Op::Recv { cap: 1, reply: None, recv_slot: Some(2), blocking: true });
    let ev = run(&mut s, t0, Op::Send { cap: 2, msg: Msg { label: 9, mr0: 1, cap: Some(4) }, blocking: true });
    assert!(matches!(ev[0], (t, Outcome::Msg { label: 9, caps: 1, .. }) if t == t1));
    run(&mut s, t1, Op::Recv { cap: 2, reply: None, recv_slot: None, blocking: true });
    assert!(matches!(s.thread_state(t1), ThreadState::BlockedOnRecv { .. }));
    let ev = run(&mut s, t0, Op::Revoke(l(0, 1)));
    assert!(ev.contains(&(t1, Outcome::Restart)), "{ev:?}");
    assert_eq!(s.thread_state(t1), ThreadState::Running);
    assert!(cap_at(&s, t1, 2).is_none() && cap_at(&s, t0, 3).is_none() && cap_at(&s, t0, 4).is_none());
    assert_eq!(run(&mut s, t0, again), vec![(t0, Outcome::Ok)]);
}

#[test]
fn badges_are_minted_once_and_copies_never_gain_rights() {
    let (mut s, t0, _) = system();
    run(&mut s, t0, Op::Copy { dest: l(0, 3), src: l(0, 2), rights: Rights::WRITE, data: Some(5) });
    let c = cap_at(&s, t0, 3).expect("minted");
    assert_eq!((c.badge, c.rights), (5, Rights::WRITE));
    let remint = Op::Copy { dest: l(0, 4), src: l(0, 3), rights: Rights::ALL, data: Some(6) };
    assert_eq!(run(&mut s, t0, remint), vec![(t0, Outcome::Err(Error::IllegalOperation))]);
    run(&mut s, t0, Op::Copy { dest: l(0, 4), src: l(0, 3), rights: Rights::ALL, data: None });
    assert_eq!(cap_at(&s, t0, 4).map(|c| (c.badge, c.rights)), Some((5, Rights::WRITE)));
    // The badged copy is a child of the mint: revoking the mint deletes it.
    run(&mut s, t0, Op::Revoke(l(0, 3)));
    assert!(cap_at(&s, t0, 4).is_none() && cap_at(&s, t0, 3).is_some());
}

#[test]
fn untyped_capabilities_cannot_be_copied() {
    let (mut s, t0, _) = system();
    let op = Op::Copy { dest: l(0, 3), src: l(0, 1), rights: Rights::ALL, data: None };
    assert_eq!(run(&mut s, t0, op), vec![(t0, Outcome::Err(Error::IllegalOperation))]);
}

#[test]
fn call_and_reply_transfer_capabilities_only_with_grant() {
    let (mut s, t0, t1) = system();
    run(&mut s, t0, Op::Retype { ut: 1, ty: NewObj::Reply, root: 0, node: None, offset: 3, count: 1 });
    run(&mut s, t0, Op::Recv { cap: 2, reply: Some(3), recv_slot: None, blocking: true });
    let ev = run(&mut s, t1, Op::Call { cap: 1, msg: Msg { label: 2, mr0: 7, cap: Some(0) }, recv_slot: Some(4) });
    // The caller's CNode cap went nowhere: the server named no receive slot.
    assert_eq!(ev, vec![(t0, Outcome::Msg { badge: 0, label: 2, mr0: 7, caps: 0, unwrapped: 0, unwrapped_badge: 0 })]);
    assert_eq!(
        s.thread_state(t1),
        ThreadState::BlockedOnReply {
            reply: s.objects.keys().copied().find(|a| s.reply(*a).is_some()).expect("reply")
        }
    );
    // The reply carries thread 0's untyped? No: untyped cannot be copied.
    // It carries the endpoint, into the caller's receive slot 4.
    let ev = run(&mut s, t0, Op::Send { cap: 3, msg: Msg { label: 0, mr0: 1, cap: Some(2) }, blocking: true });
    assert!(ev.contains(&(t1, Outcome::Msg { badge: 0, label: 0, mr0: 1, caps: 1, unwrapped: 0, unwrapped_badge: 0 })));
    assert!(matches!(cap_at(&s, t1, 4).map(|c| c.kind), Some(CapKind::Endpoint(_))));
    assert_eq!(s.thread_state(t1), ThreadState::Running);
}

#[test]
fn a_capability_to_the_carrying_endpoint_is_unwrapped_into_its_badge() {
    let (mut s, t0, t1) = system();
    run(&mut s, t0, Op::Copy { dest: l(0, 3), src: l(0, 2), rights: Rights::ALL, data: Some(42) });
    run(&mut s, t1, Op::Recv { cap: 1, reply: None, recv_slot: Some(2), blocking: true });
    let ev = run(&mut s, t0, Op::Send { cap: 3, msg: Msg { label: 1, mr0: 0, cap: Some(3) }, blocking: true });
    assert_eq!(ev[0], (t1, Outcome::Msg { badge: 42, label: 1, mr0: 0, caps: 1, unwrapped: 1, unwrapped_badge: 42 }));
    assert!(cap_at(&s, t1, 2).is_none(), "unwrapped, not transferred");
}

#[test]
fn sending_without_grant_transfers_no_capability() {
    let (mut s, t0, t1) = system();
    run(&mut s, t0, Op::Copy { dest: l(0, 3), src: l(0, 2), rights: Rights::WRITE, data: None });
    run(&mut s, t1, Op::Recv { cap: 1, reply: None, recv_slot: Some(2), blocking: true });
    let ev = run(&mut s, t0, Op::Send { cap: 3, msg: Msg { label: 1, mr0: 0, cap: Some(1) }, blocking: true });
    assert!(matches!(ev[0], (_, Outcome::Msg { caps: 0, .. })));
    assert!(cap_at(&s, t1, 2).is_none());
}

#[test]
fn notifications_accumulate_badges() {
    let mut cfg = Config::standard(2, 3, 4, Sizes::Units);
    cfg.notifications = 1;
    cfg.caps.push(rampart_model::boot::BootCap {
        badge: 0,
        ..rampart_model::boot::BootCap::new(0, 3, rampart_model::boot::BootObj::Notification(0))
    });
    let mut s = cfg.boot();
    let t0 = s.threads[0];
    run(&mut s, t0, Op::Copy { dest: l(0, 4), src: l(0, 3), rights: Rights::ALL, data: Some(1) });
    run(&mut s, t0, Op::Copy { dest: l(0, 5), src: l(0, 3), rights: Rights::ALL, data: Some(4) });
    run(&mut s, t0, Op::Send { cap: 4, msg: Msg::default(), blocking: true });
    run(&mut s, t0, Op::Send { cap: 5, msg: Msg::default(), blocking: true });
    let ev = run(&mut s, t0, Op::Recv { cap: 3, reply: None, recv_slot: None, blocking: true });
    assert_eq!(ev, vec![(t0, Outcome::Signal(5))]);
    let ev = run(&mut s, t0, Op::Recv { cap: 3, reply: Some(1), recv_slot: None, blocking: false });
    // A poll of an idle notification finds nothing (the reply argument is
    // only looked up for endpoints).
    assert_eq!(ev, vec![(t0, Outcome::Empty)]);
}

#[test]
fn deleting_a_cnode_deletes_its_contents() {
    let (mut s, t0, _) = system();
    run(&mut s, t0, Op::Retype { ut: 1, ty: NewObj::CNode(1), root: 0, node: None, offset: 3, count: 1 });
    run(&mut s, t0, Op::Copy { dest: l(3, 0), src: l(0, 2), rights: Rights::ALL, data: Some(3) });
    let cn = match cap_at(&s, t0, 3).map(|c| c.kind) {
        Some(CapKind::CNode { obj, .. }) => obj,
        other => panic!("{other:?}"),
    };
    assert!(s.cap(SlotId { obj: cn, index: 0 }).is_some());
    run(&mut s, t0, Op::Delete(l(0, 3)));
    assert!(!s.objects.contains_key(&cn));
    assert_eq!(s.all_caps().iter().filter(|(_, c)| c.badge == 3).count(), 0);
}

#[test]
fn a_reply_object_serves_one_receiver_at_a_time() {
    // Refinement system: thread 0 holds a capability to thread 1's CNode.
    let mut s = rampart_model::refine::config().boot();
    let (t0, t1) = (s.threads[0], s.threads[1]);
    run(&mut s, t0, Op::Copy { dest: l(0, 14), src: l(5, 3), rights: Rights::ALL, data: None });
    run(&mut s, t1, Op::Recv { cap: 4, reply: Some(3), recv_slot: None, blocking: true });
    assert!(matches!(s.thread_state(t1), ThreadState::BlockedOnRecv { reply: Some(_), .. }));
    // Thread 0 polls endpoint 0 with the same reply object: thread 1 is
    // taken out of its receive (it restarts it when it runs).
    let ev = run(&mut s, t0, Op::Recv { cap: 2, reply: Some(14), recv_slot: None, blocking: false });
    assert_eq!(ev, vec![(t1, Outcome::Restart), (t0, Outcome::Empty)]);
    assert_eq!(s.thread_state(t1), ThreadState::Running);
}
