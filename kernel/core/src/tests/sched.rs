use super::support::{S, spawn};
use crate::object::{FaultLabel, ThreadState};
use crate::regs::r;
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Label, MessageInfo, ObjectType, Rights, Syscall};

#[test]
fn unknown_syscall_becomes_a_fault_message_and_reply_sets_registers() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 2, 64, S, 64, Rights::ALL.0, 0xf0], &[ws::CNODE]).unwrap();
    let t = spawn(&mut w, 1, 100, S + 2);
    // The root waits for faults.
    let root = w.root_tcb();
    w.syscall(root, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    w.syscall(t.tcb, Syscall::Recv, 0, MessageInfo(0), &[], 0); // placeholder to make t current
    let regs = &t.tcb.get().regs;
    regs.set(r::RAX, 1234);
    regs.set(r::RBX, 5);
    w.switch_to(t.tcb);
    let _ = w.k.syscall();
    assert_eq!(t.tcb.state(), ThreadState::BlockedOnReply);
    let m = w.result(root);
    assert_eq!(m.badge, 0xf0);
    assert_eq!(m.info.label(), FaultLabel::UnknownSyscall as u64);
    assert_eq!(m.mrs[0], 1234, "rax");
    assert_eq!(m.mrs[1], 5, "rbx");
    assert_eq!(w.mr(root, 18), 1234, "syscall number");
    // Reply with label 0 and new rax/rbx: the thread resumes with them.
    w.syscall(root, Syscall::Send, S + 1, MessageInfo::new(0, 0, 0, 2), &[77, 88], 0);
    assert_eq!(t.tcb.state(), ThreadState::Running);
    assert_eq!((regs.get(r::RAX), regs.get(r::RBX)), (77, 88));
}

#[test]
fn a_fault_without_handler_stops_the_thread() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    w.invoke(t.slot, Label::TcbResume, &[], &[]).unwrap();
    w.switch_to(t.tcb);
    w.k.handle_exception(14, 4, 0xdead_0000);
    assert_eq!(t.tcb.state(), ThreadState::Inactive);
    assert_ne!(w.k.cur, t.tcb);
}

#[test]
fn page_fault_message_has_address_and_code() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    let t = spawn(&mut w, 1, 100, S);
    let root = w.root_tcb();
    w.syscall(root, Syscall::Recv, S, MessageInfo(0), &[], S + 1);
    w.invoke(t.slot, Label::TcbResume, &[], &[]).ok();
    w.switch_to(t.tcb);
    t.tcb.get().regs.set(r::RIP, 0x40_1234);
    w.k.handle_exception(14, 0x14, 0xdead_0000);
    let m = w.result(root);
    assert_eq!(m.info.label(), FaultLabel::VmFault as u64);
    assert_eq!(m.mrs, [0x40_1234, 0xdead_0000, 1, 0x14]);
}

#[test]
fn priorities_are_bounded_by_the_authority_mcp() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    // t's MCP is 100: it cannot raise anyone above 100.
    assert_eq!(w.invoke(t.slot, Label::TcbSetPriority, &[101], &[t.slot]), Err(rampart_abi::Error::RangeError));
    w.invoke(t.slot, Label::TcbSetPriority, &[50], &[t.slot]).unwrap();
    assert_eq!(t.tcb.priority(), 50);
}

#[test]
fn round_robin_at_equal_priority_and_budget_enforcement() {
    let mut w = World::new();
    let a = spawn(&mut w, 1, 50, 0);
    let b = spawn(&mut w, 2, 50, 0);
    w.invoke(a.slot, Label::TcbResume, &[], &[]).unwrap();
    w.invoke(b.slot, Label::TcbResume, &[], &[]).unwrap();
    // The root (255) stops: a and b share the CPU in 5-tick slices.
    let root = w.root_tcb();
    w.invoke(ws::TCB, Label::TcbSuspend, &[], &[]).ok();
    w.k.schedule();
    assert!(w.k.cur == a.tcb || w.k.cur == b.tcb);
    let mut runs = [0u32; 2];
    for _ in 0..100 {
        w.k.handle_interrupt(0);
        w.k.schedule();
        if w.k.cur == a.tcb {
            runs[0] += 1;
        } else if w.k.cur == b.tcb {
            runs[1] += 1;
        }
        assert_eq!(w.k.check_invariants(), 0);
    }
    assert!(runs[0] >= 40 && runs[1] >= 40, "unfair: {runs:?}");
    assert_eq!(root.state(), ThreadState::Inactive);
}
