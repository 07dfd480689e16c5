//! Argument and rights checks the review found missing (issue 13,
//! findings 4, 5 and 7): each test does what a hostile thread holding the
//! capabilities it could get would try.

use super::support::{S, spawn};
use crate::object::{NtfnRef, ThreadState};
use crate::testing::World;
use rampart_abi::bootinfo::{INIT_IPC_BUFFER_VADDR, slot as ws};
use rampart_abi::{Error, Label, MessageInfo, ObjectType, Rights, Syscall};

#[test]
fn a_read_only_frame_is_refused_as_ipc_buffer() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    w.retype(ObjectType::Frame4K, 0, S, 1).unwrap();
    // A read-only copy, as of a page shared read-only with this thread.
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::READ.0, 0], &[ws::CNODE]).unwrap();
    let vaddr = INIT_IPC_BUFFER_VADDR + 0x10_000;
    let e = w.invoke(t.slot, Label::TcbSetIpcBuffer, &[vaddr], &[S + 1]);
    assert_eq!(e, Err(Error::InvalidCapability));
    let e = w.invoke(t.slot, Label::TcbConfigure, &[0, vaddr], &[ws::CNODE, ws::VSPACE, S + 1]);
    assert_eq!(e, Err(Error::InvalidCapability));
    // The read-write original is accepted.
    w.invoke(t.slot, Label::TcbSetIpcBuffer, &[vaddr], &[S]).unwrap();
}

#[test]
fn io_port_ranges_do_not_wrap() {
    let mut w = World::new();
    w.invoke(ws::IO_PORT_CONTROL, Label::IoPortControlIssue, &[0x80, 0x80, S, 64], &[ws::CNODE]).unwrap();
    // Port numbers are 64-bit arguments: the last port touched must not
    // wrap around to the capability's range.
    for port in [u64::MAX, u64::MAX - 1, u64::MAX - 2, 0xffff_ffff_0000_0080] {
        for label in [Label::IoPortIn16, Label::IoPortIn32, Label::IoPortOut16, Label::IoPortOut32] {
            let e = w.invoke(S, label, &[port, 0], &[]);
            assert_eq!(e, Err(Error::RangeError), "port {port:#x} with {label:?}");
        }
    }
    assert!(w.k.m.port_writes.is_empty(), "a port was written: {:?}", w.k.m.port_writes);
    w.invoke(S, Label::IoPortOut8, &[0x80, 7], &[]).unwrap();
    assert_eq!(w.k.m.port_writes, vec![(0x80, 1, 7)]);
    assert_eq!(w.invoke(S, Label::IoPortOut16, &[0x80, 7], &[]), Err(Error::RangeError));
}

#[test]
fn binding_a_notification_needs_the_read_right() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    w.retype(ObjectType::Notification, 0, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::WRITE.0, 5], &[ws::CNODE]).unwrap();
    assert_eq!(w.invoke(t.slot, Label::TcbBindNotification, &[], &[S + 1]), Err(Error::InvalidCapability));
    assert_eq!(t.tcb.get().bound_ntfn.get(), 0);
    w.invoke(t.slot, Label::TcbBindNotification, &[], &[S]).unwrap();
    assert_eq!(NtfnRef(t.tcb.get().bound_ntfn.get()).get().bound_tcb.get(), t.tcb.0);
}

#[test]
fn cancel_badged_sends_needs_every_right() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    // A client's send-only badged copy, and the server's full one.
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::WRITE.0, 9], &[ws::CNODE]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 2, 64, S, 64, Rights::ALL.0, 9], &[ws::CNODE]).unwrap();
    let victim = spawn(&mut w, 1, 100, 0);
    w.syscall(victim.tcb, Syscall::Send, S + 2, MessageInfo::new(1, 0, 0, 0), &[], 0);
    assert_eq!(victim.tcb.state(), ThreadState::BlockedOnSend);
    let root = w.root_tcb();
    w.switch_to(root);
    assert_eq!(w.invoke(ws::CNODE, Label::CNodeCancelBadgedSends, &[S + 1, 64], &[]), Err(Error::IllegalOperation));
    assert_eq!(victim.tcb.state(), ThreadState::BlockedOnSend, "a send-only holder aborted a send");
    w.invoke(ws::CNODE, Label::CNodeCancelBadgedSends, &[S + 2, 64], &[]).unwrap();
    assert_ne!(victim.tcb.state(), ThreadState::BlockedOnSend);
}

#[test]
fn a_reply_capability_without_grant_transfers_no_capability() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    w.retype(ObjectType::Notification, 0, S + 2, 1).unwrap();
    // The server's reply capability without Grant; the client's endpoint
    // capability has GrantReply.
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 3, 64, S + 1, 64, Rights::RW.0, 0], &[ws::CNODE]).unwrap();
    let server = spawn(&mut w, 1, 120, 0);
    let client = spawn(&mut w, 2, 100, 0);
    w.invoke(ws::TCB, Label::TcbSuspend, &[], &[]).ok();
    for (reply_cap, expect_caps) in [(S + 3, 0), (S + 1, 1)] {
        w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
        w.set_receive_slot(client.tcb, 0, S + 10 + expect_caps, 64);
        w.syscall(client.tcb, Syscall::Call, S, MessageInfo::new(1, 0, 0, 0), &[], 0);
        assert_eq!(w.k.cur, server.tcb);
        w.set_message(server.tcb, &[], &[S + 2]);
        w.syscall(server.tcb, Syscall::Send, reply_cap, MessageInfo::new(0, 0, 1, 0), &[], 0);
        let got = w.result(client.tcb).info.extra_caps();
        assert_eq!(got as u64, expect_caps, "reply through slot {reply_cap}");
        assert_eq!(w.root.slot(S + 10 + expect_caps).cap().is_null(), expect_caps == 0);
    }
}

#[test]
fn a_message_between_threads_sharing_one_ipc_buffer_is_copied_onto_itself() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    let server = spawn(&mut w, 1, 120, 0);
    let client = spawn(&mut w, 2, 100, 0);
    // The client uses the server's IPC buffer frame at the same address.
    let (frame_slot, vaddr) = (server.slot + 1, server.tcb.get().ipc_buffer.get());
    w.invoke(ws::CNODE, Label::CNodeCopy, &[S + 2, 64, frame_slot, 64, Rights::ALL.0], &[ws::CNODE]).unwrap();
    w.invoke(client.slot, Label::TcbSetIpcBuffer, &[vaddr], &[S + 2]).unwrap();
    w.invoke(ws::TCB, Label::TcbSuspend, &[], &[]).ok();
    w.syscall(server.tcb, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    let words: Vec<u64> = (0..40).collect();
    w.syscall(client.tcb, Syscall::Call, S, MessageInfo::new(3, 0, 0, 40), &words, 0);
    assert_eq!(w.k.cur, server.tcb);
    assert_eq!(w.result(server.tcb).info.length(), 40);
    for (i, &v) in words.iter().enumerate() {
        assert_eq!(w.mr(server.tcb, i), v, "MR{i}");
    }
}
