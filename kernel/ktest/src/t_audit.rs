//! Thread ids and the capability-graph audit dump.

use crate::harness::{Env, ROOT_PRIO, Test, TestResult};
use crate::t_untyped::SCRATCH;
use crate::{check, check_eq, ok, test};
use rampart_abi::audit::{KIND_CAP, KIND_THREAD};
use rampart_abi::bootinfo::slot;
use rampart_abi::{CapType, Error, Rights};
use rampart_rt::audit::read_entry;
use rampart_rt::cap::{Audit, Frame, Tcb};
use rampart_rt::spawn::{Options, Space};

/// The tests of this group.
pub const TESTS: &[Test] = &[test!(tcb_get_id_distinct), test!(audit_dump_lists_threads_and_caps)];

fn tcb_get_id_distinct(env: &mut Env) -> TestResult {
    let own = ok!(Tcb(slot::TCB).get_id());
    let (a, b) = (ok!(env.a.tcb()), ok!(env.a.tcb()));
    let (ia, ib) = (ok!(a.get_id()), ok!(b.get_id()));
    check!(own != ia && own != ib && ia != ib, "thread ids not distinct: {own}, {ia}, {ib}");
    let copy = Tcb(ok!(env.a.copy(a.0, Rights::ALL)));
    check_eq!(ok!(copy.get_id()), ia, "id through a copy of the TCB capability");
    let f = ok!(env.a.frame());
    check_eq!(Tcb(f.0).get_id(), Err(Error::IllegalOperation), "TcbGetId on a frame");
    Ok(())
}

fn audit_dump_lists_threads_and_caps(env: &mut Env) -> TestResult {
    let audit = Audit(slot::AUDIT);
    let root_id = ok!(Tcb(slot::TCB).get_id());
    let ep = ok!(env.a.endpoint());
    ok!(env.a.mint(ep.0, Rights::WRITE, 0xabc));
    let dump = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, dump, SCRATCH, Rights::RW, 0));
    let dump_paddr = ok!(dump.get_address());
    let read_only = Frame(ok!(env.a.copy(dump.0, Rights::READ)));
    check!(audit.dump_cap_graph(read_only, 0).is_err(), "dump into a read-only frame accepted");
    // A thread with its own CSpace, holding its TCB and CNode.
    let cnode = ok!(env.a.cnode_object(4));
    let mut o = Options::new(ROOT_PRIO);
    o.cspace = Space::Own { cnode, radix: 4, self_caps: true };
    o.resume = false;
    let child = env.spawn(|_| 0, 0, &o)?;
    let child_id = ok!(child.tcb.get_id());

    let (mut cursor, mut records, mut calls) = (0u64, 0u64, 0);
    let (mut root_seen, mut child_seen, mut badged_seen, mut frame_seen, mut child_tcb_seen) =
        (false, false, false, false, false);
    let mut current = 0;
    loop {
        let (next, n) = ok!(audit.dump_cap_graph(dump, cursor));
        calls += 1;
        for i in 0..n as usize {
            let e = read_entry(SCRATCH, i);
            match e.record_kind() {
                KIND_THREAD => {
                    current = e.a;
                    root_seen |= e.a == root_id;
                    child_seen |= e.a == child_id;
                }
                KIND_CAP => {
                    let ty = e.cap_type();
                    badged_seen |= current == root_id
                        && ty == CapType::Endpoint as u64
                        && e.b == 0xabc
                        && e.rights() == Rights::WRITE.0;
                    frame_seen |= current == root_id && ty == CapType::Frame as u64 && e.a == dump_paddr;
                    child_tcb_seen |= current == child_id && ty == CapType::Tcb as u64;
                }
                k => crate::fail!("record {} has unknown kind {}", records + i as u64, k),
            }
        }
        records += n;
        if next == 0 {
            break;
        }
        check!(next > cursor && calls < 10_000, "cursor does not advance: {} after {}", next, cursor);
        cursor = next;
    }
    crate::harness::note(format_args!("audit: {records} records in {calls} calls"));
    check!(root_seen && child_seen, "thread records: test task {}, child {}", root_seen, child_seen);
    check!(badged_seen, "no write-only endpoint capability with badge 0xabc under the test task");
    check!(frame_seen, "the dump frame's own capability is missing");
    check!(child_tcb_seen, "the child's TCB capability in its own CSpace is missing");
    Ok(())
}
