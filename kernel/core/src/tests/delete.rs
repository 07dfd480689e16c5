use super::support::{S, check_cnode, spawn};
use crate::object::ThreadState;
use crate::slot::SlotRef;
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{CapType, Label, ObjectType, Rights};

/// Moves the capability in root slot `from` into slot `index` of the CNode
/// whose capability is in root slot `into`.
fn move_into(w: &mut World, into: u64, index: u64, from: u64) {
    let radix = w.root.slot(into).cap().size_bits() as u64;
    w.invoke(into, Label::CNodeMove, &[index, radix, from, 64], &[ws::CNODE]).unwrap();
}

#[test]
fn deleting_nested_cnodes_destroys_everything_inside() {
    let mut w = World::new();
    // A chain of 200 CNodes, each holding the only capability to the next,
    // and an endpoint at the bottom: deletion must not recurse.
    let n = 200;
    w.retype(ObjectType::CNode, 1, S, n).unwrap();
    w.retype(ObjectType::Endpoint, 0, S + n, 1).unwrap();
    let bottom = w.root.slot(S + n - 1).cap();
    move_into(&mut w, S + n - 1, 0, S + n);
    for i in (0..n - 1).rev() {
        move_into(&mut w, S + i, 0, S + i + 1);
    }
    assert_eq!(SlotRef::index(bottom.paddr(), 0).cap().cap_type(), CapType::Endpoint);
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S, 64], &[]).unwrap();
    assert_eq!(SlotRef::index(bottom.paddr(), 0).cap().cap_type(), CapType::Null);
    for i in 0..=n {
        assert_eq!(w.cap_type(S + i), CapType::Null);
    }
    // All memory is reusable: everything was a child of the untyped.
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[w.untyped, 64], &[]).unwrap();
    w.retype(ObjectType::Frame2M, 0, S, 8).unwrap();
    check_cnode(&w);
}

#[test]
fn a_cnode_holding_its_only_capability() {
    let mut w = World::new();
    w.retype(ObjectType::CNode, 2, S, 1).unwrap();
    let c = w.root.slot(S).cap();
    w.retype(ObjectType::Notification, 0, S + 1, 1).unwrap();
    move_into(&mut w, S, 1, S + 1);
    // Put the CNode's only capability inside itself, then delete it from there.
    move_into(&mut w, S, 3, S);
    assert_eq!(w.cap_type(S), CapType::Null);
    let inner = SlotRef::index(c.paddr(), 3);
    assert_eq!(inner.cap().cap_type(), CapType::CNode);
    // It is unreachable now except by revoking the untyped.
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[w.untyped, 64], &[]).unwrap();
    assert_eq!(inner.cap().cap_type(), CapType::Null);
    assert_eq!(SlotRef::index(c.paddr(), 1).cap().cap_type(), CapType::Null);
    check_cnode(&w);
}

#[test]
fn revoking_the_untyped_destroys_threads_and_their_objects() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.retype(ObjectType::Reply, 0, S + 1, 1).unwrap();
    w.syscall(t.tcb, rampart_abi::Syscall::Recv, S, rampart_abi::MessageInfo(0), &[], S + 1);
    assert_eq!(t.tcb.state(), ThreadState::BlockedOnReceive);
    w.switch_to(w.root_tcb());
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[w.untyped, 64], &[]).unwrap();
    assert!(w.k.m.destroyed.contains(&t.tcb.0), "TCB was not destroyed");
    assert_eq!(w.cap_type(t.slot), CapType::Null);
    assert_eq!(w.k.check_invariants(), 0);
    // Everything can be created again.
    let t2 = spawn(&mut w, 1, 100, 0);
    assert_eq!(t2.tcb.state(), ThreadState::Inactive);
    check_cnode(&w);
}

#[test]
fn a_thread_deleting_its_own_tcb() {
    let mut w = World::new();
    let t = spawn(&mut w, 1, 100, 0);
    // Give the thread the only capability to its own TCB, in a slot of its
    // CSpace (the shared root CNode), and let it delete it.
    w.invoke(t.slot, Label::TcbResume, &[], &[]).unwrap();
    w.switch_to(t.tcb);
    w.invoke_as(t.tcb, ws::CNODE, Label::CNodeDelete, &[t.slot, 64], &[]).ok();
    assert_eq!(w.cap_type(t.slot), CapType::Null);
    assert!(w.k.m.destroyed.contains(&t.tcb.0));
    w.k.schedule();
    assert_ne!(w.k.cur, t.tcb);
    assert_eq!(w.k.check_invariants(), 0);
}

#[test]
fn deleting_a_mapped_frame_copy_removes_its_mapping() {
    let mut w = World::new();
    w.retype(ObjectType::Frame4K, 0, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeCopy, &[S + 1, 64, S, 64, Rights::ALL.0], &[ws::CNODE]).unwrap();
    let va = rampart_abi::bootinfo::INIT_IPC_BUFFER_VADDR + 0x8000;
    w.invoke(S + 1, Label::FrameMap, &[va, Rights::RW.0, 0], &[ws::VSPACE]).unwrap();
    let before = w.k.m.flushes.len();
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 1, 64], &[]).unwrap();
    assert!(w.k.m.flushes.len() > before, "no TLB flush for the removed mapping");
    // The address is free again for the original capability.
    w.invoke(S, Label::FrameMap, &[va, Rights::RW.0, 0], &[ws::VSPACE]).unwrap();
}

#[test]
fn capability_graph_dump_lists_threads_and_their_capabilities() {
    use rampart_abi::audit::{KIND_CAP, KIND_THREAD};
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::WRITE.0, 9], &[ws::CNODE]).unwrap();
    let t = spawn(&mut w, 1, 100, S + 1);
    w.retype(ObjectType::Frame4K, 0, S + 2, 1).unwrap();
    let frame = w.root.slot(S + 2).cap().paddr();
    // A CNode inside the root CNode, holding a badged endpoint.
    w.retype(ObjectType::CNode, 2, S + 3, 1).unwrap();
    w.invoke(S + 3, Label::CNodeMint, &[1, 2, S, 64, Rights::WRITE.0, 5], &[ws::CNODE]).unwrap();
    let read = |i: u64, k: u64| crate::kmem::read_u64(frame + 32 * i + 8 * k);
    let mut cursor = 0;
    let mut records = Vec::new();
    loop {
        let r = w.invoke(ws::AUDIT, Label::AuditDumpCapGraph, &[cursor], &[S + 2]).unwrap();
        for i in 0..r[1] {
            records.push([read(i, 0), read(i, 1), read(i, 2), read(i, 3)]);
        }
        cursor = r[0];
        if cursor == 0 {
            break;
        }
    }
    let threads: Vec<_> = records.iter().filter(|r| r[0] & 0xff == KIND_THREAD).collect();
    assert_eq!(threads.len(), 2, "root and the spawned thread");
    // The spawned thread's fault endpoint is listed with its badge.
    assert!(
        records
            .iter()
            .any(|r| r[0] & 0xff == KIND_CAP && r[1] == w.root.slot(S).cap().paddr() && r[2] == 9 && r[3] == 1)
    );
    // The shared root CNode is listed once: one Endpoint record with badge 0.
    let ep = |r: &&[u64; 4]| r[0] & 0xff == KIND_CAP && (r[0] >> 8) & 0xff == CapType::Endpoint as u64;
    let unbadged = records.iter().filter(ep).filter(|r| r[1] == w.root.slot(S).cap().paddr() && r[2] == 0).count();
    assert_eq!(unbadged, 1);
    let id = w.invoke(t.slot, Label::TcbGetId, &[], &[]).unwrap()[0];
    // A thread record names its TCB object as TCB capabilities do.
    let tcb = w.root.slot(t.slot).cap().paddr();
    assert!(threads.iter().any(|r| r[1] == id && r[0] >> 8 == tcb));
    // The nested CNode's slot is marked as such and follows the CNode's
    // own record; nothing in the root CNode is marked nested.
    let nested = |r: &[u64; 4]| r[0] & 0xff == KIND_CAP && r[3] == rampart_abi::audit::HELD_NESTED;
    let at = records.iter().position(|r| nested(r) && r[2] == 5).expect("nested record");
    assert_eq!(records.iter().filter(|r| nested(r)).count(), 1);
    assert_eq!((records[at - 1][0] >> 8) & 0xff, CapType::CNode as u64);
    assert_eq!(records[at - 1][1], w.root.slot(S + 3).cap().paddr());
    // Without a writable frame the dump is refused.
    assert_eq!(w.invoke(ws::AUDIT, Label::AuditDumpCapGraph, &[0], &[S]), Err(rampart_abi::Error::InvalidCapability));
}
