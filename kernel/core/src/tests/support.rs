//! Helpers shared by the host tests: creating threads and objects.

use crate::object::TcbRef;
use crate::slot;
use crate::testing::World;
use rampart_abi::bootinfo::{INIT_IPC_BUFFER_VADDR, slot as ws};
use rampart_abi::{Label, ObjectType, Rights};

/// Root slots used by tests (well above the boot-time ones).
pub const S: u64 = 100;

/// A thread created by [`spawn`]: its TCB, TCB slot and IPC buffer slot.
pub struct Thread {
    pub tcb: TcbRef,
    pub slot: u64,
}

/// Creates a thread sharing the root task's CSpace and VSpace, with its own
/// IPC buffer (mapped after the root's), scheduling context and `prio`.
/// `n` distinguishes threads (slot and address ranges).
pub fn spawn(w: &mut World, n: u64, prio: u64, fault_ep: u64) -> Thread {
    let base = 1000 + n * 10;
    w.retype(ObjectType::Tcb, 0, base, 1).unwrap();
    w.retype(ObjectType::Frame4K, 0, base + 1, 1).unwrap();
    w.retype(ObjectType::SchedContext, 0, base + 2, 1).unwrap();
    let vaddr = INIT_IPC_BUFFER_VADDR + 0x1000 * (n + 1);
    w.invoke(base + 1, Label::FrameMap, &[vaddr, Rights::RW.0, 0], &[ws::VSPACE]).unwrap();
    w.invoke(base, Label::TcbConfigure, &[0, vaddr], &[ws::CNODE, ws::VSPACE, base + 1]).unwrap();
    w.invoke(ws::SCHED_CONTROL, Label::SchedControlConfigure, &[5000, 5000, 0, n], &[base + 2]).unwrap();
    w.invoke(base, Label::TcbSetSchedParams, &[prio, prio], &[ws::TCB, base + 2, fault_ep]).unwrap();
    let tcb = TcbRef(w.root.slot(base).cap().paddr());
    Thread { tcb, slot: base }
}

/// Checks the CDT links of every slot of the root CNode.
pub fn check_cnode(w: &World) {
    for i in 0..w.root.slots() {
        let code = slot::check_links(w.root.slot(i));
        assert_eq!(code, 0, "CDT link violation {code} at root slot {i}");
    }
    assert_eq!(w.k.check_invariants(), 0);
}
