//! Untyped memory: retyping every object type, argument checks, running
//! out of memory, alignment, zeroing and reuse.

use crate::harness::{Env, ROOT, Test, TestResult, peek, poke};
use crate::{check, check_eq, expect_err, fail, ok, test};
use rampart_abi::bootinfo::slot;
use rampart_abi::{CapType, Error, ObjectType, Rights};
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cap::{Frame, Untyped};
use rampart_rt::invoke::error_detail;
use rampart_rt::ipc::identify;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(retype_every_object_type),
    test!(retype_many_objects_at_once),
    test!(retype_past_size_is_not_enough_memory),
    test!(retype_into_used_slot_is_delete_first),
    test!(retype_invalid_type_or_size),
    test!(retype_count_out_of_range),
    test!(retype_slots_outside_cnode),
    test!(retype_destination_must_be_cnode),
    test!(retype_aligns_objects),
    test!(retyped_frames_are_zeroed_on_reuse),
];

/// Where test pages are mapped in the test task (bytes; 128 GiB).
pub const SCRATCH: u64 = 0x20_0000_0000;

fn retype_every_object_type(env: &mut Env) -> TestResult {
    let cases = [
        (ObjectType::Untyped, 12, CapType::Untyped),
        (ObjectType::Tcb, 0, CapType::Tcb),
        (ObjectType::Endpoint, 0, CapType::Endpoint),
        (ObjectType::Notification, 0, CapType::Notification),
        (ObjectType::Reply, 0, CapType::Reply),
        (ObjectType::CNode, 3, CapType::CNode),
        (ObjectType::SchedContext, 0, CapType::SchedContext),
        (ObjectType::Frame4K, 0, CapType::Frame),
        (ObjectType::Frame2M, 0, CapType::Frame),
        (ObjectType::PageTable, 0, CapType::PageTable),
        (ObjectType::PageDirectory, 0, CapType::PageDirectory),
        (ObjectType::Pdpt, 0, CapType::Pdpt),
        (ObjectType::VSpace, 0, CapType::VSpace),
    ];
    for (ty, size, cap) in cases {
        let s = match env.a.retype(ty, size) {
            Ok(s) => s,
            Err(e) => fail!("retyping {:?}: {:?}", ty, e),
        };
        if identify(s) != Some(cap) {
            fail!("{:?} object identifies as {:?}", ty, identify(s));
        }
    }
    Ok(())
}

fn retype_many_objects_at_once(env: &mut Env) -> TestResult {
    let first = ok!(env.a.slots(10));
    ok!(env.a.untyped().retype(ObjectType::Endpoint, 0, ROOT, slot::CNODE, ROOT_DEPTH, first, 10));
    for s in first..first + 10 {
        check_eq!(identify(s), Some(CapType::Endpoint), "object in a consecutive slot");
    }
    check_eq!(identify(first + 10), Some(CapType::Null), "slot after the last object");
    Ok(())
}

fn retype_past_size_is_not_enough_memory(env: &mut Env) -> TestResult {
    let u = ok!(env.a.untyped_object(12));
    let s = ok!(env.a.slots(2));
    expect_err!(u.retype(ObjectType::Frame4K, 0, ROOT, slot::CNODE, ROOT_DEPTH, s, 2), Error::NotEnoughMemory);
    check_eq!(error_detail()[0], 4096, "NotEnoughMemory detail (bytes left)");
    check_eq!(identify(s), Some(CapType::Null), "slot after a failed retype");
    ok!(u.retype(ObjectType::Frame4K, 0, ROOT, slot::CNODE, ROOT_DEPTH, s, 1));
    expect_err!(u.retype(ObjectType::Endpoint, 0, ROOT, slot::CNODE, ROOT_DEPTH, s + 1, 1), Error::NotEnoughMemory);
    check_eq!(error_detail()[0], 0, "bytes left in a full untyped");
    // An object larger than the whole untyped is a size error.
    expect_err!(u.retype(ObjectType::Untyped, 13, ROOT, slot::CNODE, ROOT_DEPTH, s + 1, 1), Error::InvalidArgument);
    Ok(())
}

fn retype_into_used_slot_is_delete_first(env: &mut Env) -> TestResult {
    let ut = env.a.untyped();
    let s = ok!(env.a.slots(2));
    let used = ok!(env.a.notification());
    check_eq!(used.0, s + 2, "allocator slot order");
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, slot::CNODE, ROOT_DEPTH, used.0, 1), Error::DeleteFirst);
    // A range running into a used slot creates nothing.
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, slot::CNODE, ROOT_DEPTH, s, 3), Error::DeleteFirst);
    check_eq!(identify(s), Some(CapType::Null), "first slot of the refused range");
    check_eq!(identify(used.0), Some(CapType::Notification), "the used slot");
    Ok(())
}

fn retype_invalid_type_or_size(env: &mut Env) -> TestResult {
    let ut = env.a.untyped();
    let s = ok!(env.a.slot());
    let r = |ty: u64, size: u64| {
        rampart_rt::invoke::invoke0(
            ut,
            rampart_abi::Label::UntypedRetype,
            &[ty, size, slot::CNODE, 64, s, 1],
            &[slot::CNODE],
        )
    };
    expect_err!(r(13, 0), Error::InvalidArgument);
    expect_err!(r(u64::MAX, 0), Error::InvalidArgument);
    expect_err!(ut.retype(ObjectType::Untyped, 3, ROOT, slot::CNODE, ROOT_DEPTH, s, 1), Error::InvalidArgument);
    expect_err!(ut.retype(ObjectType::Untyped, 48, ROOT, slot::CNODE, ROOT_DEPTH, s, 1), Error::InvalidArgument);
    expect_err!(ut.retype(ObjectType::CNode, 0, ROOT, slot::CNODE, ROOT_DEPTH, s, 1), Error::InvalidArgument);
    expect_err!(ut.retype(ObjectType::CNode, 25, ROOT, slot::CNODE, ROOT_DEPTH, s, 1), Error::InvalidArgument);
    check_eq!(identify(s), Some(CapType::Null), "slot after refused retypes");
    Ok(())
}

fn retype_count_out_of_range(env: &mut Env) -> TestResult {
    let ut = env.a.untyped();
    let s = ok!(env.a.slot());
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, slot::CNODE, ROOT_DEPTH, s, 0), Error::RangeError);
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, slot::CNODE, ROOT_DEPTH, s, 257), Error::RangeError);
    Ok(())
}

fn retype_slots_outside_cnode(env: &mut Env) -> TestResult {
    let ut = env.a.untyped();
    let c = ok!(env.a.cnode_object(4));
    // Into the radix-4 CNode: slots 0..16.
    ok!(ut.retype(ObjectType::Endpoint, 0, ROOT, c.0, ROOT_DEPTH, 15, 1));
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, c.0, ROOT_DEPTH, 16, 1), Error::RangeError);
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, c.0, ROOT_DEPTH, 14, 2), Error::DeleteFirst);
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, c.0, ROOT_DEPTH, 13, 4), Error::RangeError);
    Ok(())
}

fn retype_destination_must_be_cnode(env: &mut Env) -> TestResult {
    let ut = env.a.untyped();
    let ep = ok!(env.a.endpoint());
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, ep.0, ROOT_DEPTH, 0, 1), Error::FailedLookup);
    let empty = ok!(env.a.slot());
    expect_err!(ut.retype(ObjectType::Endpoint, 0, ROOT, empty, ROOT_DEPTH, 0, 1), Error::FailedLookup);
    // The root argument itself must be a CNode.
    let s = ok!(env.a.slot());
    let r = ut.retype(ObjectType::Endpoint, 0, rampart_rt::cap::CNode(ep.0), slot::CNODE, ROOT_DEPTH, s, 1);
    check!(r.is_err(), "retype with an endpoint as CSpace root succeeded");
    Ok(())
}

fn retype_aligns_objects(env: &mut Env) -> TestResult {
    let base = env.pool_paddr;
    let end = base + (1u64 << env.pool_bits);
    ok!(env.a.endpoint());
    let f = Frame(ok!(env.a.frame()).0);
    let a = ok!(f.get_address());
    check!(a % 4096 == 0, "4 KiB frame at {:#x}", a);
    check!(a >= base && a < end, "frame at {:#x} outside the pool {:#x}..{:#x}", a, base, end);
    ok!(env.a.endpoint());
    let big = Frame(ok!(env.a.retype(ObjectType::Frame2M, 0)));
    let b = ok!(big.get_address());
    check!(b % (2 << 20) == 0, "2 MiB frame at {:#x}", b);
    check!(b > a, "2 MiB frame at {:#x} below the earlier frame {:#x}", b, a);
    Ok(())
}

fn retyped_frames_are_zeroed_on_reuse(env: &mut Env) -> TestResult {
    let u: Untyped = ok!(env.a.untyped_object(12));
    let s = ok!(env.a.slot());
    let vs = env.parent.vspace;
    let mut paddr = 0;
    for round in 0..2 {
        ok!(u.retype(ObjectType::Frame4K, 0, ROOT, slot::CNODE, ROOT_DEPTH, s, 1));
        let f = Frame(s);
        let p = ok!(f.get_address());
        if round == 1 {
            check_eq!(p, paddr, "frame address after Revoke");
        }
        paddr = p;
        ok!(env.a.map_frame(vs, f, SCRATCH, Rights::RW, 0));
        for off in (0..4096).step_by(8) {
            if peek(SCRATCH + off) != 0 {
                fail!("round {}: word at offset {} of a new frame is {:#x}", round, off, peek(SCRATCH + off));
            }
        }
        for off in (0..4096).step_by(8) {
            poke(SCRATCH + off, 0xdead_beef_0000_0000 | off);
        }
        ok!(ROOT.revoke(u.0, ROOT_DEPTH));
        check_eq!(identify(s), Some(CapType::Null), "frame slot after Revoke");
    }
    Ok(())
}
