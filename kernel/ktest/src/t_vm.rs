//! Virtual memory: frames (4 KiB and 2 MiB), paging structures, mapping
//! errors, rights, Remap, VSpaceMapFrames/UnmapFrames, ASIDs.

use crate::harness::{Env, Probe, ROOT, Test, TestResult, peek, poke, probe};
use crate::t_untyped::SCRATCH;
use crate::{check, check_eq, expect_err, fail, ok, test};
use rampart_abi::bootinfo::slot;
use rampart_abi::object::vm_attr;
use rampart_abi::{CapType, Error, ObjectType, Rights};
use rampart_rt::alloc::ROOT_DEPTH;
use rampart_rt::cap::{AsidControl, AsidPool, Frame, PageDirectory, PageTable, Pdpt, VSpace};
use rampart_rt::invoke::error_detail;
use rampart_rt::ipc::identify;

/// The tests of this group.
pub const TESTS: &[Test] = &[
    test!(frame_map_4k_read_write),
    test!(frame_map_2m),
    test!(frame_map_over_existing_mapping),
    test!(frame_cap_maps_once),
    test!(frame_map_missing_tables_reports_level),
    test!(frame_map_misaligned),
    test!(frame_map_outside_user_space),
    test!(frame_unmap_not_mapped_is_noop),
    test!(frame_unmap_removes_mapping),
    test!(frame_delete_removes_mapping),
    test!(frame_remap_read_only_faults_on_write),
    test!(frame_remap_unmapped_fails),
    test!(frame_copy_without_write_maps_read_only),
    test!(page_table_map_over_existing),
    test!(page_table_unmap_removes_frames),
    test!(vspace_map_frames_several),
    test!(vspace_map_frames_stops_at_first_error),
    test!(vspace_needs_asid),
    test!(asid_control_make_pool),
    test!(vspace_delete_with_mappings),
];

const PAGE: u64 = 4096;

fn frame_map_4k_read_write(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::RW, 0));
    check_eq!(peek(SCRATCH + 8), 0, "word of a new frame");
    poke(SCRATCH + 8, 0x1234_5678_9abc_def0);
    poke(SCRATCH + PAGE - 8, 42);
    check_eq!(peek(SCRATCH + 8), 0x1234_5678_9abc_def0, "word written");
    check_eq!(peek(SCRATCH + PAGE - 8), 42, "last word written");
    Ok(())
}

fn frame_map_2m(env: &mut Env) -> TestResult {
    let f = Frame(ok!(env.a.retype(ObjectType::Frame2M, 0)));
    let va = SCRATCH + (4 << 20);
    ok!(env.a.map_frame(env.parent.vspace, f, va, Rights::RW, 0));
    poke(va, 7);
    poke(va + (2 << 20) - 8, 9);
    check_eq!(peek(va) + peek(va + (2 << 20) - 8), 16, "words at both ends of a 2 MiB frame");
    let p = ok!(f.get_address());
    check!(p % (2 << 20) == 0, "2 MiB frame at {:#x}", p);
    // The last page of the large frame is reachable; the next one is not.
    check_eq!(ok!(probe(env, va + (2 << 20) - 8, None)), Probe::Value(9), "probe inside the frame");
    check!(matches!(ok!(probe(env, va + (2 << 20), None)), Probe::Fault { .. }), "probe after the 2 MiB frame");
    Ok(())
}

fn frame_map_over_existing_mapping(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    let (f1, f2) = (ok!(env.a.frame()), ok!(env.a.frame()));
    ok!(env.a.map_frame(vs, f1, SCRATCH, Rights::RW, 0));
    poke(SCRATCH, 1);
    expect_err!(f2.map(vs, SCRATCH, Rights::RW, 0), Error::DeleteFirst);
    check_eq!(peek(SCRATCH), 1, "word in the first mapping");
    // A 2 MiB frame over the page table holding that page.
    let big = Frame(ok!(env.a.retype(ObjectType::Frame2M, 0)));
    expect_err!(big.map(vs, SCRATCH, Rights::RW, 0), Error::DeleteFirst);
    Ok(())
}

fn frame_cap_maps_once(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(vs, f, SCRATCH, Rights::RW, 0));
    let other = ok!(env.a.frame());
    ok!(env.a.map_frame(vs, other, SCRATCH + PAGE, Rights::RW, 0));
    expect_err!(f.map(vs, SCRATCH + 2 * PAGE, Rights::RW, 0), Error::InvalidCapability);
    // A copy of the cap maps the same frame a second time.
    let c = Frame(ok!(env.a.copy(f.0, Rights::ALL)));
    ok!(c.map(vs, SCRATCH + 2 * PAGE, Rights::RW, 0));
    poke(SCRATCH + 16, 0xabc);
    check_eq!(peek(SCRATCH + 2 * PAGE + 16), 0xabc, "word through the second mapping");
    check_eq!(ok!(c.get_address()), ok!(f.get_address()), "physical address of the copy");
    Ok(())
}

fn new_vspace(env: &mut Env) -> Result<VSpace, crate::harness::Reason> {
    let vs = VSpace(ok!(env.a.retype(ObjectType::VSpace, 0)));
    ok!(AsidPool(slot::ASID_POOL).assign(vs));
    Ok(vs)
}

fn frame_map_missing_tables_reports_level(env: &mut Env) -> TestResult {
    let vs = new_vspace(env)?;
    let f = ok!(env.a.frame());
    let va = 0x40_0000_0000; // 256 GiB
    expect_err!(f.map(vs, va, Rights::RW, 0), Error::FailedLookup);
    check_eq!(error_detail()[0], 3, "missing level (PDPT)");
    ok!(Pdpt(ok!(env.a.retype(ObjectType::Pdpt, 0))).map(vs, 0));
    expect_err!(f.map(vs, va, Rights::RW, 0), Error::FailedLookup);
    check_eq!(error_detail()[0], 2, "missing level (PD)");
    ok!(PageDirectory(ok!(env.a.retype(ObjectType::PageDirectory, 0))).map(vs, va));
    expect_err!(f.map(vs, va, Rights::RW, 0), Error::FailedLookup);
    check_eq!(error_detail()[0], 1, "missing level (PT)");
    ok!(PageTable(ok!(env.a.retype(ObjectType::PageTable, 0))).map(vs, va));
    ok!(f.map(vs, va, Rights::RW, 0));
    // A page directory where one is already mapped.
    let pd2 = PageDirectory(ok!(env.a.retype(ObjectType::PageDirectory, 0)));
    expect_err!(pd2.map(vs, va), Error::DeleteFirst);
    Ok(())
}

fn frame_map_misaligned(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    let f = ok!(env.a.frame());
    ok!(env.a.map_table(vs, SCRATCH, 1));
    expect_err!(f.map(vs, SCRATCH + 0x10, Rights::RW, 0), Error::AlignmentError);
    let big = Frame(ok!(env.a.retype(ObjectType::Frame2M, 0)));
    expect_err!(big.map(vs, SCRATCH + (4 << 20) + PAGE, Rights::RW, 0), Error::AlignmentError);
    Ok(())
}

fn frame_map_outside_user_space(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    let f = ok!(env.a.frame());
    for va in [rampart_abi::USER_TOP, 0x8000_0000_0000, 0xffff_8000_0000_0000, 0xffff_ffff_8000_0000] {
        expect_err!(f.map(vs, va, Rights::RW, 0), Error::InvalidArgument);
    }
    Ok(())
}

fn frame_unmap_not_mapped_is_noop(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    ok!(f.unmap());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::RW, 0));
    ok!(f.unmap());
    ok!(f.unmap());
    // Unmapped, the cap maps again.
    ok!(f.map(env.parent.vspace, SCRATCH + PAGE, Rights::RW, 0));
    Ok(())
}

fn frame_unmap_removes_mapping(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::RW, 0));
    poke(SCRATCH + 24, 5);
    check_eq!(ok!(probe(env, SCRATCH + 24, None)), Probe::Value(5), "probe while mapped");
    ok!(f.unmap());
    match ok!(probe(env, SCRATCH + 24, None)) {
        Probe::Fault { addr, code } => {
            check_eq!(addr, SCRATCH + 24, "fault address");
            check_eq!(code & 0x3, 0, "error code bits P|W for a read of an absent page");
        }
        v => fail!("read after unmap gave {:?}", v),
    }
    Ok(())
}

fn frame_delete_removes_mapping(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::RW, 0));
    ok!(ROOT.delete(f.0, ROOT_DEPTH));
    check!(matches!(ok!(probe(env, SCRATCH, None)), Probe::Fault { .. }), "read after deleting the frame cap");
    Ok(())
}

fn frame_remap_read_only_faults_on_write(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::RW, 0));
    check_eq!(ok!(probe(env, SCRATCH, Some(11))), Probe::Value(0), "write while writable");
    check_eq!(peek(SCRATCH), 11, "word written by the probe");
    ok!(f.remap(Rights::READ, 0));
    match ok!(probe(env, SCRATCH, Some(12))) {
        Probe::Fault { addr, code } => {
            check_eq!(addr, SCRATCH, "fault address");
            check_eq!(code & 0x3, 0x3, "error code bits P|W for a write to a read-only page");
        }
        v => fail!("write after Remap(READ) gave {:?}", v),
    }
    check_eq!(ok!(probe(env, SCRATCH, None)), Probe::Value(11), "read after Remap(READ)");
    ok!(f.remap(Rights::RW, 0));
    check_eq!(ok!(probe(env, SCRATCH, Some(13))), Probe::Value(0), "write after Remap(RW)");
    check_eq!(peek(SCRATCH), 13, "word written after Remap(RW)");
    Ok(())
}

fn frame_remap_unmapped_fails(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    expect_err!(f.remap(Rights::READ, 0), Error::IllegalOperation);
    Ok(())
}

fn frame_copy_without_write_maps_read_only(env: &mut Env) -> TestResult {
    let f = ok!(env.a.frame());
    let ro = Frame(ok!(env.a.copy(f.0, Rights::READ)));
    ok!(env.a.map_frame(env.parent.vspace, ro, SCRATCH, Rights::RW, 0));
    check_eq!(ok!(probe(env, SCRATCH, None)), Probe::Value(0), "read through a read-only cap's mapping");
    check!(matches!(ok!(probe(env, SCRATCH, Some(1))), Probe::Fault { .. }), "write through a read-only cap's mapping");
    // Remap cannot add rights the cap lacks (refused, or masked).
    if ro.remap(Rights::RW, 0).is_ok() {
        let p = ok!(probe(env, SCRATCH, Some(1)));
        check!(matches!(p, Probe::Fault { .. }), "write after Remap(RW) of a read-only cap");
    }
    Ok(())
}

fn page_table_map_over_existing(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    ok!(env.a.map_table(vs, SCRATCH, 1));
    let pt = PageTable(ok!(env.a.retype(ObjectType::PageTable, 0)));
    expect_err!(pt.map(vs, SCRATCH), Error::DeleteFirst);
    ok!(pt.map(vs, SCRATCH + (2 << 20)));
    expect_err!(pt.map(vs, SCRATCH + (4 << 20)), Error::InvalidCapability);
    ok!(pt.unmap());
    ok!(pt.map(vs, SCRATCH + (4 << 20)));
    Ok(())
}

fn page_table_unmap_removes_frames(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    ok!(env.a.map_table(vs, SCRATCH, 2)); // the page directory only
    let pt = PageTable(ok!(env.a.retype(ObjectType::PageTable, 0)));
    ok!(pt.map(vs, SCRATCH));
    let f = ok!(env.a.frame());
    ok!(f.map(vs, SCRATCH + PAGE, Rights::RW, 0));
    poke(SCRATCH + PAGE, 3);
    ok!(pt.unmap());
    check!(matches!(ok!(probe(env, SCRATCH + PAGE, None)), Probe::Fault { .. }), "read after unmapping its table");
    Ok(())
}

fn vspace_map_frames_several(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    ok!(env.a.map_table(vs, SCRATCH, 1));
    let first = ok!(env.a.retype_n(ObjectType::Frame4K, 0, 4));
    let frames = [first, first + 1, first + 2, first + 3];
    check_eq!(ok!(vs.map_frames(SCRATCH, Rights::RW, 0, &frames)), 4, "frames mapped");
    for (i, _) in frames.iter().enumerate() {
        poke(SCRATCH + i as u64 * PAGE, 100 + i as u64);
    }
    // Each address is backed by the frame named at its position.
    for (i, &f) in frames.iter().enumerate() {
        let c = Frame(ok!(env.a.copy(f, Rights::ALL)));
        let va = SCRATCH + (1 << 20) + i as u64 * PAGE;
        ok!(c.map(vs, va, Rights::READ, 0));
        check_eq!(peek(va), 100 + i as u64, "word through a second mapping of frame i");
    }
    ok!(vs.unmap_frames(&frames[1..3]));
    check_eq!(ok!(probe(env, SCRATCH, None)), Probe::Value(100), "frame 0 after unmapping 1 and 2");
    check!(matches!(ok!(probe(env, SCRATCH + PAGE, None)), Probe::Fault { .. }), "frame 1 after UnmapFrames");
    check!(matches!(ok!(probe(env, SCRATCH + 2 * PAGE, None)), Probe::Fault { .. }), "frame 2 after UnmapFrames");
    check_eq!(ok!(probe(env, SCRATCH + 3 * PAGE, None)), Probe::Value(103), "frame 3 after unmapping 1 and 2");
    Ok(())
}

fn vspace_map_frames_stops_at_first_error(env: &mut Env) -> TestResult {
    let vs = env.parent.vspace;
    let blocker = ok!(env.a.frame());
    ok!(env.a.map_frame(vs, blocker, SCRATCH + 2 * PAGE, Rights::RW, 0));
    let first = ok!(env.a.retype_n(ObjectType::Frame4K, 0, 4));
    let frames = [first, first + 1, first + 2, first + 3];
    expect_err!(vs.map_frames(SCRATCH, Rights::RW, 0, &frames), Error::DeleteFirst);
    check_eq!(error_detail()[0], 2, "frames mapped before the error");
    poke(SCRATCH + PAGE, 1);
    // Frames 2 and 3 were not mapped, so their caps map elsewhere.
    ok!(Frame(first + 2).map(vs, SCRATCH + 8 * PAGE, Rights::RW, 0));
    ok!(Frame(first + 3).map(vs, SCRATCH + 9 * PAGE, Rights::RW, 0));
    expect_err!(Frame(first + 1).map(vs, SCRATCH + 10 * PAGE, Rights::RW, 0), Error::InvalidCapability);
    Ok(())
}

fn vspace_needs_asid(env: &mut Env) -> TestResult {
    let vs = VSpace(ok!(env.a.retype(ObjectType::VSpace, 0)));
    let pdpt = Pdpt(ok!(env.a.retype(ObjectType::Pdpt, 0)));
    expect_err!(pdpt.map(vs, 0), Error::InvalidCapability);
    ok!(AsidPool(slot::ASID_POOL).assign(vs));
    expect_err!(AsidPool(slot::ASID_POOL).assign(vs), Error::InvalidCapability);
    ok!(pdpt.map(vs, 0));
    // Assigning a non-VSpace.
    expect_err!(AsidPool(slot::ASID_POOL).assign(VSpace(pdpt.0)), Error::InvalidCapability);
    Ok(())
}

fn asid_control_make_pool(env: &mut Env) -> TestResult {
    let ctl = AsidControl(slot::ASID_CONTROL);
    let u8k = ok!(env.a.untyped_object(13));
    let dst = ok!(env.a.slot());
    expect_err!(ctl.make_pool(u8k, ROOT, dst, ROOT_DEPTH), Error::InvalidCapability);
    let used = ok!(env.a.untyped_object(12));
    let child = ok!(env.a.slot());
    ok!(used.retype(ObjectType::Endpoint, 0, ROOT, slot::CNODE, ROOT_DEPTH, child, 1));
    check!(ctl.make_pool(used, ROOT, dst, ROOT_DEPTH).is_err(), "MakePool from an untyped with children succeeded");
    check_eq!(identify(dst), Some(CapType::Null), "slot after a refused MakePool");
    let u = ok!(env.a.untyped_object(12));
    ok!(ctl.make_pool(u, ROOT, dst, ROOT_DEPTH));
    check_eq!(identify(dst), Some(CapType::AsidPool), "new pool");
    let vs = VSpace(ok!(env.a.retype(ObjectType::VSpace, 0)));
    ok!(AsidPool(dst).assign(vs));
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(vs, f, SCRATCH, Rights::RW, vm_attr::EXECUTE));
    Ok(())
}

fn vspace_delete_with_mappings(env: &mut Env) -> TestResult {
    let vs = new_vspace(env)?;
    let f = ok!(env.a.frame());
    ok!(env.a.map_frame(vs, f, SCRATCH, Rights::RW, 0));
    ok!(ROOT.delete(vs.0, ROOT_DEPTH));
    // The frame's mapping died with the address space: it maps again.
    ok!(f.unmap());
    ok!(env.a.map_frame(env.parent.vspace, f, SCRATCH, Rights::RW, 0));
    poke(SCRATCH, 77);
    check_eq!(peek(SCRATCH), 77, "word through the new mapping");
    Ok(())
}
