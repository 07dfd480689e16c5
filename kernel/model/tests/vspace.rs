//! Address spaces, directed: building a page-table path, mapping a frame,
//! deleting a page table while mapped, unmapping through a stale
//! capability, ASID assignment — each step run on the model and on the
//! kernel and compared (`refine::replay`), with the model's results
//! checked too. Random runs reach such sequences only now and then.

use rampart_abi::Rights;
use rampart_model::inv::Inv;
use rampart_model::op::{Loc, Op, step};
use rampart_model::refine::{config, replay};
use rampart_model::state::{CapKind, NewObj, Outcome};

#[test]
fn map_a_frame_delete_its_table_and_assign_an_asid() {
    let cfg = config();
    let l = cfg.layout();
    let (t0, t1) = (l.tcbs[0], l.tcbs[1]);
    // Thread 0 retypes the paging structures and a frame into thread 1's
    // CNode (its capability at slot 5); thread 1 holds a copy of thread 0's
    // VSpace capability (slot 10) and maps them.
    let retype = |ty, offset| (t0, Op::Retype { ut: 1, ty, root: 5, node: None, offset, count: 1 });
    let map = |cap, level| (t1, Op::Invoke { cap, inv: Inv::TableMap { level, vs: 10, vaddr: 0x1000_0000 } });
    let frame_map = (t1, Op::Invoke { cap: 14, inv: Inv::FrameMap { vs: 10, vaddr: 0x1000_0000, rights: 3, attr: 0 } });
    let trace = vec![
        retype(NewObj::Table(3), 11),
        retype(NewObj::Table(2), 12),
        retype(NewObj::Table(1), 13),
        retype(NewObj::Frame, 14),
        // The frame cannot be mapped before its page table exists.
        frame_map,
        map(11, 3),
        map(12, 2),
        map(13, 1),
        frame_map,
        // Mapped once per capability.
        frame_map,
        // Deleting the page table while mapped unmaps and empties it; the
        // frame capability still records its mapping, and unmapping
        // through it now finds nothing to remove.
        (t1, Op::Delete(Loc { node: 0, index: 13 })),
        (t1, Op::Invoke { cap: 14, inv: Inv::FrameUnmap }),
        // A new VSpace gets the next free ASID (4) from thread 0's pool.
        (t0, Op::Retype { ut: 1, ty: NewObj::VSpace, root: 0, node: None, offset: 15, count: 1 }),
        (t0, Op::Invoke { cap: 13, inv: Inv::AsidAssign(15) }),
        (t0, Op::Invoke { cap: 13, inv: Inv::AsidAssign(15) }),
    ];
    if let Err((i, e)) = replay(&cfg, &trace) {
        panic!("operation {i} ({:?}): {e}", trace[i].1);
    }
    let mut m = cfg.boot();
    let mut results = Vec::new();
    for (t, op) in &trace {
        let ev = step(&mut m, *t, op).expect("applicable");
        results.push(ev.iter().rev().find(|(x, _)| x == t).map(|(_, o)| *o));
    }
    use rampart_abi::Error::*;
    assert_eq!(results[4], Some(Outcome::Err(FailedLookup)));
    assert_eq!(results[8], Some(Outcome::Ok));
    assert_eq!(results[9], Some(Outcome::Err(InvalidCapability)));
    assert_eq!(results[13], Some(Outcome::Words { n: 1, w: [4, 0] }));
    assert_eq!(results[14], Some(Outcome::Err(InvalidCapability)));
    let frame = m.cap(m.lookup(t1, 14).expect("slot")).expect("frame");
    assert!(matches!(frame.kind, CapKind::Frame { mapped: None, .. }) && frame.rights == Rights::RW, "{frame:?}");
    // The page directory no longer points at the deleted page table.
    let pd = m.cap(m.lookup(t1, 12).expect("slot")).and_then(|c| c.obj()).expect("page directory");
    assert!(m.table(pd).expect("table").entries.is_empty());
}
