//! `DebugShutdown` is honoured only for the root task (threads in its
//! VSpace); any other thread gets `IllegalOperation` and the machine runs on.

use super::support::{S, spawn};
use crate::object::TcbRef;
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Error, Label, MessageInfo, ObjectType, Rights, Syscall};

fn shutdown(w: &mut World, t: TcbRef, code: u64) -> Option<Error> {
    let r = w.syscall(t, Syscall::DebugShutdown, 0, MessageInfo(0), &[code], 0);
    Error::from_label(r.info.label())
}

/// A thread in a new address space (slots S..S+7), sharing the root CNode.
fn foreign_thread(w: &mut World) -> TcbRef {
    let va = 0x4000_0000u64;
    w.retype(ObjectType::VSpace, 0, S, 1).unwrap();
    w.retype(ObjectType::Pdpt, 0, S + 1, 1).unwrap();
    w.retype(ObjectType::PageDirectory, 0, S + 2, 1).unwrap();
    w.retype(ObjectType::PageTable, 0, S + 3, 1).unwrap();
    w.retype(ObjectType::Frame4K, 0, S + 4, 1).unwrap();
    w.retype(ObjectType::Tcb, 0, S + 5, 1).unwrap();
    w.retype(ObjectType::SchedContext, 0, S + 6, 1).unwrap();
    w.invoke(ws::ASID_POOL, Label::AsidPoolAssign, &[], &[S]).unwrap();
    w.invoke(S + 1, Label::PdptMap, &[va, 0], &[S]).unwrap();
    w.invoke(S + 2, Label::PageDirectoryMap, &[va, 0], &[S]).unwrap();
    w.invoke(S + 3, Label::PageTableMap, &[va, 0], &[S]).unwrap();
    w.invoke(S + 4, Label::FrameMap, &[va, Rights::RW.0, 0], &[S]).unwrap();
    w.invoke(S + 5, Label::TcbConfigure, &[0, va], &[ws::CNODE, S, S + 4]).unwrap();
    w.invoke(ws::SCHED_CONTROL, Label::SchedControlConfigure, &[5000, 5000, 0, 7], &[S + 6]).unwrap();
    w.invoke(S + 5, Label::TcbSetSchedParams, &[100, 100], &[ws::TCB, S + 6, 0]).unwrap();
    TcbRef(w.root.slot(S + 5).cap().paddr())
}

#[test]
fn the_root_task_may_shut_down() {
    let mut w = World::new();
    let root = w.root_tcb();
    assert!(w.k.is_root_thread(root));
    assert_eq!(shutdown(&mut w, root, 7), None);
    assert_eq!(w.k.m.shutdown, Some(7));
}

#[test]
fn a_thread_in_the_root_address_space_is_the_root_task() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    assert!(w.k.is_root_thread(t.tcb));
    assert_eq!(shutdown(&mut w, t.tcb, 3), None);
    assert_eq!(w.k.m.shutdown, Some(3));
}

#[test]
fn any_other_thread_is_refused() {
    let mut w = World::new();
    let t = foreign_thread(&mut w);
    assert!(w.k.thread_vspace(t).is_some(), "it has a valid address space");
    assert!(!w.k.is_root_thread(t));
    assert_eq!(shutdown(&mut w, t, 9), Some(Error::IllegalOperation));
    assert_eq!(w.k.m.shutdown, None, "the machine must keep running");
    // The refusal does not stop the thread: it can go on making calls.
    assert_eq!(shutdown(&mut w, t, 9), Some(Error::IllegalOperation));
    assert_eq!(w.k.check_invariants(), 0);
}
