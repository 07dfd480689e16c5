//! Capabilities and CNodes: lookup failures, wrong types, copy/mint/move/
//! mutate/rotate/delete/revoke, guards and depths, multi-level CSpaces.

use crate::harness::{Env, ROOT, ROOT_PRIO, Test, TestResult, wait_done};
use crate::{check, check_eq, expect_err, fail, ok, test};
use core::sync::atomic::{AtomicU64, Ordering::SeqCst};
use rampart_abi::bootinfo::slot;
use rampart_abi::{CapType, Error, Label, ObjectType, Rights};
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cap::{CNode, CapPath, Frame};
use rampart_rt::cnode::guard_data;
use rampart_rt::invoke::{call_raw, error_detail};
use rampart_rt::ipc::{check_invariants, identify};
use rampart_rt::spawn::{Options, Space};

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(invariants_hold_at_start),
    test!(boot_caps_have_expected_types),
    test!(invoke_null_cap_fails),
    test!(invoke_unresolvable_cptr_fails),
    test!(unknown_label_is_illegal_operation),
    test!(label_for_wrong_object_type_is_illegal),
    test!(short_message_is_truncated_message),
    test!(copy_makes_independent_sibling),
    test!(copy_into_occupied_slot_is_delete_first),
    test!(copy_from_empty_slot_fails_lookup),
    test!(slot_depth_out_of_range_fails_lookup),
    test!(delete_empties_slot),
    test!(move_transfers_cap),
    test!(mutate_sets_guard),
    test!(guard_mismatch_fails_lookup),
    test!(rotate_moves_two_caps),
    test!(revoke_deletes_every_derived_cap),
    test!(revoked_cap_cannot_be_invoked),
    test!(revoke_makes_untyped_reusable),
    test!(two_level_cspace_lookup),
];

fn expect_type(cptr: u64, t: CapType) -> TestResult {
    check_eq!(identify(cptr), Some(t), "DebugCapIdentify");
    Ok(())
}

fn invariants_hold_at_start(_: &mut Env) -> TestResult {
    check_eq!(check_invariants(), 0, "DebugCheckInvariants");
    Ok(())
}

fn boot_caps_have_expected_types(env: &mut Env) -> TestResult {
    let want = [
        (slot::NULL, CapType::Null),
        (slot::TCB, CapType::Tcb),
        (slot::CNODE, CapType::CNode),
        (slot::VSPACE, CapType::VSpace),
        (slot::IRQ_CONTROL, CapType::IrqControl),
        (slot::ASID_CONTROL, CapType::AsidControl),
        (slot::ASID_POOL, CapType::AsidPool),
        (slot::IO_PORT_CONTROL, CapType::IoPortControl),
        (slot::BOOTINFO_FRAME, CapType::Frame),
        (slot::IPC_BUFFER, CapType::Frame),
        (slot::SCHED_CONTEXT, CapType::SchedContext),
        (slot::SCHED_CONTROL, CapType::SchedControl),
        (slot::AUDIT, CapType::Audit),
    ];
    for (s, t) in want {
        if identify(s) != Some(t) {
            fail!("slot {}: {:?}, expected {:?}", s, identify(s), t);
        }
    }
    let bi = env.bi;
    check!(!bi.untyped.is_empty() && !bi.user_image_frames.is_empty(), "boot info lists no untyped or image frames");
    for s in bi.untyped.start..bi.untyped.end {
        expect_type(s, CapType::Untyped)?;
    }
    for s in bi.user_image_frames.start..bi.user_image_frames.end {
        expect_type(s, CapType::Frame)?;
    }
    // The slot after the current allocation point is empty.
    expect_type(env.a.mark(), CapType::Null)
}

fn invoke_null_cap_fails(env: &mut Env) -> TestResult {
    let r = call_raw(slot::NULL, Label::CNodeDelete as u64, &[0, 64], &[]);
    check_eq!(r.error(), Some(Error::InvalidCapability), "invoking slot 0");
    let empty = ok!(env.a.slot());
    let r = call_raw(empty, Label::FrameGetAddress as u64, &[], &[]);
    check_eq!(r.error(), Some(Error::InvalidCapability), "invoking an empty slot");
    Ok(())
}

fn invoke_unresolvable_cptr_fails(_: &mut Env) -> TestResult {
    // Bits above the root CNode's radix must match its (zero) guard.
    for cptr in [1u64 << 40, u64::MAX, 1 << 63 | slot::CNODE] {
        let r = call_raw(cptr, Label::CNodeDelete as u64, &[0, 64], &[]);
        check_eq!(r.error(), Some(Error::InvalidCapability), "invoking an unresolvable cptr");
        check_eq!(identify(cptr), Some(CapType::Null), "DebugCapIdentify of an unresolvable cptr");
    }
    Ok(())
}

fn unknown_label_is_illegal_operation(_: &mut Env) -> TestResult {
    for label in [0u64, 999, 1 << 40] {
        let r = call_raw(slot::CNODE, label, &[0, 64, 0, 0], &[]);
        check_eq!(r.error(), Some(Error::IllegalOperation), "unknown label on a CNode");
    }
    Ok(())
}

fn label_for_wrong_object_type_is_illegal(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    let r = call_raw(f, Label::CNodeDelete as u64, &[0, 64], &[]);
    check_eq!(r.error(), Some(Error::IllegalOperation), "CNodeDelete on a frame");
    let r = call_raw(slot::CNODE, Label::FrameGetAddress as u64, &[], &[]);
    check_eq!(r.error(), Some(Error::IllegalOperation), "FrameGetAddress on a CNode");
    let r = call_raw(
        f,
        Label::UntypedRetype as u64,
        &[ObjectType::Endpoint as u64, 0, slot::CNODE, 64, 0, 1],
        &[slot::CNODE],
    );
    check_eq!(r.error(), Some(Error::IllegalOperation), "UntypedRetype on a frame");
    // A source "CNode" that is not one: the lookup fails at its root.
    let s = ok!(env.a.slot());
    expect_err!(ROOT.copy(s, ROOT_DEPTH, CapPath::new(CNode(f.0), 1, 64), Rights::ALL), Error::FailedLookup);
    Ok(())
}

fn short_message_is_truncated_message(env: &mut Env) -> TestResult {
    let s = ok!(env.a.slot());
    let r = call_raw(slot::CNODE, Label::CNodeCopy as u64, &[s, 64], &[slot::CNODE]);
    check_eq!(r.error(), Some(Error::TruncatedMessage), "CNodeCopy with 2 words");
    let r =
        call_raw(env.a.untyped(), Label::UntypedRetype as u64, &[ObjectType::Endpoint as u64, 0, 2], &[slot::CNODE]);
    check_eq!(r.error(), Some(Error::TruncatedMessage), "UntypedRetype with 3 words");
    // Missing extra capability.
    let r = call_raw(slot::CNODE, Label::CNodeCopy as u64, &[s, 64, slot::TCB, 64, Rights::ALL.0], &[]);
    check!(r.error().is_some(), "CNodeCopy without its source CNode capability succeeded");
    expect_type(s, CapType::Null)
}

fn copy_makes_independent_sibling(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let c = ok!(env.a.copy(ep.0, Rights::ALL));
    expect_type(c, CapType::Endpoint)?;
    ok!(ROOT.delete(ep.0, ROOT_DEPTH));
    expect_type(ep.0, CapType::Null)?;
    // The copy survives the deletion of its source.
    expect_type(c, CapType::Endpoint)
}

fn copy_into_occupied_slot_is_delete_first(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let n = ok!(env.a.notification());
    expect_err!(ROOT.copy(n.0, ROOT_DEPTH, env.a.path(ep.0), Rights::ALL), Error::DeleteFirst);
    expect_type(n.0, CapType::Notification)
}

fn copy_from_empty_slot_fails_lookup(env: &mut Env) -> TestResult {
    let (src, dst) = (ok!(env.a.slot()), ok!(env.a.slot()));
    expect_err!(ROOT.copy(dst, ROOT_DEPTH, env.a.path(src), Rights::ALL), Error::FailedLookup);
    check_eq!(error_detail()[0], 1, "FailedLookup detail (1 = source slot)");
    expect_type(dst, CapType::Null)
}

fn slot_depth_out_of_range_fails_lookup(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let dst = ok!(env.a.slot());
    for depth in [0u64, 65, u64::MAX] {
        expect_err!(ROOT.copy(dst, depth, env.a.path(ep.0), Rights::ALL), Error::FailedLookup);
        expect_err!(ROOT.copy(dst, ROOT_DEPTH, CapPath::new(ROOT, ep.0, depth), Rights::ALL), Error::FailedLookup);
        expect_err!(ROOT.delete(ep.0, depth), Error::FailedLookup);
    }
    // A depth that resolves too few bits of the root CNode's guard + radix.
    expect_err!(ROOT.delete(ep.0, 32), Error::FailedLookup);
    expect_type(ep.0, CapType::Endpoint)
}

fn delete_empties_slot(env: &mut Env) -> TestResult {
    let n = ok!(env.a.notification());
    ok!(ROOT.delete(n.0, ROOT_DEPTH));
    expect_type(n.0, CapType::Null)?;
    // Deleting an empty slot is not an error.
    ok!(ROOT.delete(n.0, ROOT_DEPTH));
    Ok(())
}

fn move_transfers_cap(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint());
    let dst = ok!(env.a.slot());
    ok!(ROOT.move_(dst, ROOT_DEPTH, env.a.path(ep.0)));
    expect_type(ep.0, CapType::Null)?;
    expect_type(dst, CapType::Endpoint)?;
    let n = ok!(env.a.notification());
    expect_err!(ROOT.move_(dst, ROOT_DEPTH, env.a.path(n.0)), Error::DeleteFirst);
    expect_type(n.0, CapType::Notification)?;
    // Moving from the now empty source.
    let dst2 = ok!(env.a.slot());
    expect_err!(ROOT.move_(dst2, ROOT_DEPTH, env.a.path(ep.0)), Error::FailedLookup);
    expect_type(dst2, CapType::Null)
}

/// A CNode of radix 4 holding an endpoint at index 3; returns its slot.
fn small_cnode_with_endpoint(env: &mut Env) -> Result<u64, crate::harness::Reason> {
    let c = ok!(env.a.cnode_object(4));
    let ep = ok!(env.a.endpoint());
    ok!(c.move_(3, 4, env.a.path(ep.0)));
    Ok(c.0)
}

fn mutate_sets_guard(env: &mut Env) -> TestResult {
    let c = small_cnode_with_endpoint(env)?;
    let g = ok!(env.a.slot());
    ok!(ROOT.mutate(g, ROOT_DEPTH, env.a.path(c), guard_data(0b101, 3)));
    expect_type(c, CapType::Null)?;
    expect_type(g, CapType::CNode)?;
    // The guarded CNode resolves 3 guard bits + 4 radix bits.
    let out = ok!(env.a.slot());
    ok!(ROOT.move_(out, ROOT_DEPTH, CapPath::new(CNode(g), 0b101 << 4 | 3, 7)));
    expect_type(out, CapType::Endpoint)
}

fn guard_mismatch_fails_lookup(env: &mut Env) -> TestResult {
    let c = small_cnode_with_endpoint(env)?;
    let g = ok!(env.a.mint(c, Rights::ALL, guard_data(0b101, 3)));
    let out = ok!(env.a.slot());
    let from = |index, depth| CapPath::new(CNode(g), index, depth);
    expect_err!(ROOT.copy(out, ROOT_DEPTH, from(0b100 << 4 | 3, 7), Rights::ALL), Error::FailedLookup);
    expect_err!(ROOT.copy(out, ROOT_DEPTH, from(0b101 << 4 | 3, 6), Rights::ALL), Error::FailedLookup);
    expect_err!(ROOT.copy(out, ROOT_DEPTH, from(0b1010 << 4 | 3, 8), Rights::ALL), Error::FailedLookup);
    // The unguarded original still resolves 4 bits.
    ok!(ROOT.copy(out, ROOT_DEPTH, CapPath::new(CNode(c), 3, 4), Rights::ALL));
    expect_type(out, CapType::Endpoint)
}

fn rotate_moves_two_caps(env: &mut Env) -> TestResult {
    let src = ok!(env.a.endpoint()).0;
    let pivot = ok!(env.a.notification()).0;
    let dst = ok!(env.a.slot());
    // seL4 semantics: pivot -> destination, source -> pivot.
    ok!(ROOT.rotate(dst, ROOT_DEPTH, env.a.path(src), env.a.path(pivot), 0, 0));
    expect_type(dst, CapType::Notification)?;
    expect_type(pivot, CapType::Endpoint)?;
    expect_type(src, CapType::Null)?;
    // Source = destination swaps the two.
    ok!(ROOT.rotate(pivot, ROOT_DEPTH, env.a.path(pivot), env.a.path(dst), 0, 0));
    expect_type(pivot, CapType::Notification)?;
    expect_type(dst, CapType::Endpoint)?;
    // The destination must be empty otherwise.
    let other = ok!(env.a.frame()).0;
    expect_err!(ROOT.rotate(other, ROOT_DEPTH, env.a.path(dst), env.a.path(pivot), 0, 0), Error::DeleteFirst);
    expect_type(other, CapType::Frame)?;
    expect_type(dst, CapType::Endpoint)
}

fn revoke_deletes_every_derived_cap(env: &mut Env) -> TestResult {
    let ep = ok!(env.a.endpoint()).0;
    let c1 = ok!(env.a.copy(ep, Rights::ALL));
    let m1 = ok!(env.a.mint(ep, Rights::ALL, 7));
    let c2 = ok!(env.a.copy(m1, Rights::RW));
    let m2 = ok!(env.a.mint(c1, Rights::WRITE, 9));
    for s in [c1, m1, c2, m2] {
        expect_type(s, CapType::Endpoint)?;
    }
    ok!(ROOT.revoke(ep, ROOT_DEPTH));
    for s in [c1, m1, c2, m2] {
        if identify(s) != Some(CapType::Null) {
            fail!("slot {} still holds {:?} after Revoke", s, identify(s));
        }
    }
    expect_type(ep, CapType::Endpoint)
}

fn revoked_cap_cannot_be_invoked(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    let c = Frame(ok!(env.a.copy(f.0, Rights::ALL)));
    let a = ok!(c.get_address());
    ok!(ROOT.revoke(f.0, ROOT_DEPTH));
    expect_err!(c.get_address(), Error::InvalidCapability);
    check_eq!(ok!(f.get_address()), a, "address through the revoked cap's parent");
    Ok(())
}

fn revoke_makes_untyped_reusable(env: &mut Env) -> TestResult {
    let u = ok!(env.a.untyped_object(14)); // 16 KiB: four frames
    let first = ok!(env.a.slots(4));
    ok!(u.retype(ObjectType::Frame4K, 0, ROOT, slot::CNODE, ROOT_DEPTH, first, 4));
    let addr0 = ok!(Frame(first).get_address());
    let extra = ok!(env.a.slot());
    expect_err!(u.retype(ObjectType::Frame4K, 0, ROOT, slot::CNODE, ROOT_DEPTH, extra, 1), Error::NotEnoughMemory);
    ok!(ROOT.revoke(u.0, ROOT_DEPTH));
    for s in first..first + 4 {
        expect_type(s, CapType::Null)?;
    }
    ok!(u.retype(ObjectType::Frame4K, 0, ROOT, slot::CNODE, ROOT_DEPTH, first, 4));
    check_eq!(ok!(Frame(first).get_address()), addr0, "first frame after reuse");
    Ok(())
}

static TWO_LEVEL: [AtomicU64; 3] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Cptr of slot `s` of the level-2 CNode in [`two_level_cspace_lookup`]:
/// 4 bits select level-1 slot 3, 52 guard bits are 0, 8 bits select `s`.
const fn l2(s: u64) -> u64 {
    3 << 60 | s
}

fn two_level_child(_: u64) -> u64 {
    TWO_LEVEL[0].store(rampart_rt::syscall::debug_cap_identify(l2(5)), SeqCst);
    TWO_LEVEL[1].store(rampart_rt::syscall::debug_cap_identify(l2(6)), SeqCst);
    TWO_LEVEL[2].store(rampart_rt::syscall::debug_cap_identify(l2(1)), SeqCst);
    0
}

fn two_level_cspace_lookup(env: &mut Env) -> TestResult {
    let l1 = ok!(env.a.cnode_object(4));
    let l2cap = ok!(env.a.cnode_object(8));
    let ep = ok!(env.a.endpoint());
    ok!(l2cap.copy(5, 8, env.a.path(ep.0), Rights::ALL));
    ok!(l1.mint(3, 4, env.a.path(l2cap.0), Rights::ALL, guard_data(0, 52)));
    for w in &TWO_LEVEL {
        w.store(u64::MAX, SeqCst);
    }
    let mut o = Options::new(ROOT_PRIO);
    o.cspace = Space::Custom { cnode: l1, data: guard_data(0, 0) };
    o.ipc_buffer = false;
    o.resume = false;
    let t = env.spawn(two_level_child, 0, &o)?;
    // Let the thread stop itself through its TCB at level-2 slot 1.
    ok!(l2cap.copy(1, 8, env.a.path(t.tcb.0), Rights::ALL));
    t.block().tcb.store(l2(1), SeqCst);
    ok!(t.tcb.resume());
    check!(wait_done(&t), "child did not finish");
    check_eq!(TWO_LEVEL[0].load(SeqCst), CapType::Endpoint as u64, "type at level-2 slot 5");
    check_eq!(TWO_LEVEL[1].load(SeqCst), CapType::Null as u64, "type at level-2 slot 6");
    check_eq!(TWO_LEVEL[2].load(SeqCst), CapType::Tcb as u64, "type at level-2 slot 1");
    Ok(())
}
