use super::support::{S, check_cnode, spawn};
use crate::ipc::LABEL_IPC_ABORTED;
use crate::object::ThreadState;
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Error, Label, MessageInfo, ObjectType, Rights, Syscall};

/// Root slots: S endpoint, S+1 reply object, S+2 badged endpoint copy.
fn setup(w: &mut World) {
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 2, 64, S, 64, Rights::ALL.0, 0x77], &[ws::CNODE]).unwrap();
}

#[test]
fn call_and_reply_recv_round_trip() {
    let mut w = World::new();
    setup(&mut w);
    let server = spawn(&mut w, 1, 100, 0);
    // The server waits for a call.
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    assert_eq!(server.tcb.state(), ThreadState::BlockedOnReceive);
    // The root calls through the badged capability with 6 words.
    let root = w.root_tcb();
    w.set_message(root, &[0, 0, 0, 0, 44, 55], &[]);
    w.syscall(root, Syscall::Call, S + 2, MessageInfo::new(9, 0, 0, 6), &[11, 22, 33, 40], 0);
    assert_eq!(root.state(), ThreadState::BlockedOnReply);
    let got = w.result(server.tcb);
    assert_eq!((got.badge, got.info.label(), got.info.length()), (0x77, 9, 6));
    assert_eq!(got.mrs, [11, 22, 33, 40]);
    assert_eq!((w.mr(server.tcb, 4), w.mr(server.tcb, 5)), (44, 55));
    assert_eq!(w.k.cur, server.tcb, "the server runs directly after the call");
    // ReplyRecv: the root gets the reply, the server waits again.
    w.syscall(server.tcb, Syscall::ReplyRecv, S, MessageInfo::new(3, 0, 0, 1), &[99], S + 1);
    assert_eq!(server.tcb.state(), ThreadState::BlockedOnReceive);
    assert_eq!(root.state(), ThreadState::Running);
    let r = w.result(root);
    assert_eq!((r.info.label(), r.info.length(), r.mrs[0]), (3, 1, 99));
    check_cnode(&w);
}

#[test]
fn send_without_rights_and_on_empty_slots_fails() {
    let mut w = World::new();
    setup(&mut w);
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 3, 64, S, 64, Rights::READ.0, 0], &[ws::CNODE]).unwrap();
    let root = w.root_tcb();
    let r = w.syscall(root, Syscall::Send, S + 3, MessageInfo(0), &[], 0);
    assert_eq!(Error::from_label(r.info.label()), Some(Error::InvalidCapability));
    let r = w.syscall(root, Syscall::Call, 3000, MessageInfo(0), &[], 0);
    assert_eq!(Error::from_label(r.info.label()), Some(Error::InvalidCapability));
    let r = w.syscall(root, Syscall::Recv, S + 2, MessageInfo(0), &[], 3001);
    assert_eq!(Error::from_label(r.info.label()), Some(Error::InvalidCapability), "recv without reply object");
    // NBSend with no receiver: dropped, success.
    let r = w.syscall(root, Syscall::NBSend, S, MessageInfo(0), &[], 0);
    assert_eq!(r.info.label(), 0);
    assert_eq!(root.state(), ThreadState::Running);
}

#[test]
fn capability_transfer_needs_grant_and_unwraps_own_endpoint() {
    let mut w = World::new();
    setup(&mut w);
    w.retype(ObjectType::Notification, 0, S + 10, 1).unwrap();
    let server = spawn(&mut w, 1, 100, 0);
    w.set_receive_slot(server.tcb, 0, S + 20, 64);
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let root = w.root_tcb();
    // Send the notification and the badged endpoint (unwrapped) with Grant.
    w.set_message(root, &[], &[S + 10, S + 2]);
    w.syscall(root, Syscall::Send, S + 2, MessageInfo::new(1, 0, 2, 0), &[], 0);
    let got = w.result(server.tcb);
    assert_eq!(got.info.extra_caps(), 2);
    assert_eq!(got.info.caps_unwrapped(), 0b10);
    assert_eq!(w.cap_type(S + 20), rampart_abi::CapType::Notification);
    // Without Grant no capability moves.
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 3, 64, S, 64, Rights::WRITE.0, 5], &[ws::CNODE]).unwrap();
    w.set_receive_slot(server.tcb, 0, S + 21, 64);
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    w.set_message(root, &[], &[S + 10]);
    w.syscall(root, Syscall::Send, S + 3, MessageInfo::new(1, 0, 1, 0), &[], 0);
    assert_eq!(w.result(server.tcb).info.extra_caps(), 0);
    assert_eq!(w.cap_type(S + 21), rampart_abi::CapType::Null);
    check_cnode(&w);
}

#[test]
fn long_messages_are_clamped() {
    let mut w = World::new();
    setup(&mut w);
    let server = spawn(&mut w, 1, 100, 0);
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let root = w.root_tcb();
    w.syscall(root, Syscall::Send, S, MessageInfo::new(0, 0, 0, 127), &[], 0);
    assert_eq!(w.result(server.tcb).info.length(), 120);
}

#[test]
fn notifications_or_badges_and_poll() {
    let mut w = World::new();
    w.retype(ObjectType::Notification, 0, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::ALL.0, 0b01], &[ws::CNODE]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 2, 64, S, 64, Rights::ALL.0, 0b10], &[ws::CNODE]).unwrap();
    let root = w.root_tcb();
    let r = w.syscall(root, Syscall::NBRecv, S, MessageInfo(0), &[], 0);
    assert_eq!(r.badge, 0, "poll with nothing pending");
    w.syscall(root, Syscall::Send, S + 1, MessageInfo(0), &[], 0);
    w.syscall(root, Syscall::Send, S + 2, MessageInfo(0), &[], 0);
    let r = w.syscall(root, Syscall::Wait, S, MessageInfo(0), &[], 0);
    assert_eq!(r.badge, 0b11);
    // A waiter is woken by a signal.
    let waiter = spawn(&mut w, 1, 100, 0);
    w.syscall(waiter.tcb, Syscall::Wait, S, MessageInfo(0), &[], 0);
    assert_eq!(waiter.tcb.state(), ThreadState::BlockedOnNotification);
    w.syscall(root, Syscall::Send, S + 2, MessageInfo(0), &[], 0);
    assert_eq!(waiter.tcb.state(), ThreadState::Running);
    assert_eq!(w.result(waiter.tcb).badge, 0b10);
}

#[test]
fn bound_notification_wakes_an_endpoint_receive() {
    let mut w = World::new();
    setup(&mut w);
    w.retype(ObjectType::Notification, 0, S + 10, 1).unwrap();
    let server = spawn(&mut w, 1, 100, 0);
    w.invoke(server.slot, Label::TcbBindNotification, &[], &[S + 10]).unwrap();
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let root = w.root_tcb();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 11, 64, S + 10, 64, Rights::ALL.0, 4], &[ws::CNODE]).unwrap();
    w.syscall(root, Syscall::Send, S + 11, MessageInfo(0), &[], 0);
    assert_eq!(server.tcb.state(), ThreadState::Running);
    assert_eq!(w.result(server.tcb).badge, 4);
}

#[test]
fn destroying_the_reply_object_aborts_the_caller() {
    let mut w = World::new();
    setup(&mut w);
    let server = spawn(&mut w, 1, 100, 0);
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let root = w.root_tcb();
    let client = spawn(&mut w, 2, 100, 0);
    w.syscall(client.tcb, Syscall::Call, S, MessageInfo(0), &[], 0);
    assert_eq!(client.tcb.state(), ThreadState::BlockedOnReply);
    w.switch_to(root);
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 1, 64], &[]).unwrap();
    assert_eq!(client.tcb.state(), ThreadState::Running);
    assert_eq!(w.result(client.tcb).info.label(), LABEL_IPC_ABORTED);
    check_cnode(&w);
}

/// A server learns that its answer reached nobody: the caller was
/// suspended (interrupted for a signal) while the server held its reply
/// object, so a `Send` on that reply object fails instead of vanishing
/// (the console keeps the input it would have handed over).
#[test]
fn replying_to_an_aborted_caller_fails() {
    let mut w = World::new();
    setup(&mut w);
    let server = spawn(&mut w, 1, 100, 0);
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let client = spawn(&mut w, 2, 100, 0);
    w.syscall(client.tcb, Syscall::Call, S, MessageInfo(0), &[], 0);
    assert_eq!(client.tcb.state(), ThreadState::BlockedOnReply);
    w.switch_to(w.root_tcb());
    w.invoke(client.slot, Label::TcbSuspend, &[], &[]).unwrap();
    assert_eq!(w.result(client.tcb).info.label(), LABEL_IPC_ABORTED);
    let r = w.syscall(server.tcb, Syscall::Send, S + 1, MessageInfo::new(5, 0, 0, 1), &[1], 0);
    assert_eq!(Error::from_label(r.info.label()), Some(Error::IllegalOperation), "nobody took the answer");
    assert_eq!(client.tcb.state(), ThreadState::Inactive, "the suspended caller got nothing");
    // A delivered answer succeeds; answering twice fails the second time.
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let root = w.root_tcb();
    w.syscall(root, Syscall::Call, S, MessageInfo(0), &[], 0);
    let r = w.syscall(server.tcb, Syscall::Send, S + 1, MessageInfo::new(5, 0, 0, 1), &[1], 0);
    assert_eq!(r.info.label(), 0);
    assert_eq!(w.result(root).info.label(), 5);
    let r = w.syscall(server.tcb, Syscall::Send, S + 1, MessageInfo::new(5, 0, 0, 1), &[1], 0);
    assert_eq!(Error::from_label(r.info.label()), Some(Error::IllegalOperation));
    check_cnode(&w);
}

#[test]
fn deleting_an_endpoint_restarts_blocked_threads() {
    let mut w = World::new();
    setup(&mut w);
    let t = spawn(&mut w, 1, 100, 0);
    w.syscall(t.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let rip = t.tcb.get().regs.get(crate::regs::r::RIP);
    w.switch_to(w.root_tcb());
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[S, 64], &[]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S, 64], &[]).unwrap();
    assert_eq!(t.tcb.state(), ThreadState::Running);
    assert_eq!(t.tcb.get().regs.get(crate::regs::r::RIP), rip.wrapping_sub(2), "syscall is re-executed");
    check_cnode(&w);
}

/// Found by the model's refinement tests: a receive that completes at once
/// must not bind its caller to a reply object another thread is still
/// receiving with (that thread's next caller would overwrite the binding).
#[test]
fn a_reply_object_serves_one_receiver_at_a_time() {
    let mut w = World::new();
    setup(&mut w);
    w.retype(ObjectType::Endpoint, 0, S + 5, 1).unwrap();
    let t1 = spawn(&mut w, 1, 100, 0);
    let c1 = spawn(&mut w, 2, 100, 0);
    let c2 = spawn(&mut w, 3, 100, 0);
    // t1 blocks receiving on S+5 with reply object S+1.
    w.syscall(t1.tcb, Syscall::Recv, S + 5, MessageInfo(0), &[], S + 1);
    let rip = t1.tcb.get().regs.get(crate::regs::r::RIP);
    // c1 calls S and waits; the root takes the call with the same reply object.
    w.syscall(c1.tcb, Syscall::Call, S, MessageInfo(0), &[], 0);
    let root = w.root_tcb();
    w.syscall(root, Syscall::NBRecv, S, MessageInfo(0), &[], S + 1);
    // t1's receive was cancelled and will be re-executed.
    assert_eq!(t1.tcb.state(), ThreadState::Running);
    assert_eq!(t1.tcb.get().regs.get(crate::regs::r::RIP), rip.wrapping_sub(2));
    // c2's call to S+5 finds no receiver and queues; c1 still owns the reply.
    w.syscall(c2.tcb, Syscall::Call, S + 5, MessageInfo(0), &[], 0);
    let reply = crate::object::ReplyRef(w.root.slot(S + 1).cap().paddr());
    assert_eq!(reply.get().caller.get(), c1.tcb.0);
    // Replying reaches c1.
    w.syscall(root, Syscall::Send, S + 1, MessageInfo::new(5, 0, 0, 0), &[], 0);
    assert_eq!(c1.tcb.state(), ThreadState::Running);
    assert_eq!(w.result(c1.tcb).info.label(), 5);
    check_cnode(&w);
}
