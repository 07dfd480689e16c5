use super::support::{S, check_cnode};
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{Error, Label, ObjectType, Rights};

/// Builds a second address space in slots S.. with tables for 0x4000_0000.
fn new_vspace(w: &mut World) {
    w.retype(ObjectType::VSpace, 0, S, 1).unwrap();
    w.retype(ObjectType::Pdpt, 0, S + 1, 1).unwrap();
    w.retype(ObjectType::PageDirectory, 0, S + 2, 1).unwrap();
    w.retype(ObjectType::PageTable, 0, S + 3, 1).unwrap();
    w.retype(ObjectType::Frame4K, 0, S + 4, 4).unwrap();
}

#[test]
fn mapping_needs_an_asid_and_every_table() {
    let mut w = World::new();
    new_vspace(&mut w);
    let va = 0x4000_0000u64;
    assert_eq!(w.invoke(S + 4, Label::FrameMap, &[va, 3, 0], &[S]), Err(Error::InvalidCapability), "no ASID yet");
    let asid = w.invoke(ws::ASID_POOL, Label::AsidPoolAssign, &[], &[S]).unwrap()[0];
    assert!(asid > 1);
    assert_eq!(w.invoke(ws::ASID_POOL, Label::AsidPoolAssign, &[], &[S]), Err(Error::InvalidCapability));
    let missing = |w: &mut World| w.invoke(S + 4, Label::FrameMap, &[va, 3, 0], &[S]);
    assert_eq!(missing(&mut w), Err(Error::FailedLookup));
    w.invoke(S + 1, Label::PdptMap, &[va, 0], &[S]).unwrap();
    assert_eq!(missing(&mut w), Err(Error::FailedLookup));
    w.invoke(S + 2, Label::PageDirectoryMap, &[va + 0x1000, 0], &[S]).unwrap();
    assert_eq!(w.root.slot(S + 2).cap().mapped_vaddr(), va, "table address is masked");
    w.invoke(S + 3, Label::PageTableMap, &[va, 0], &[S]).unwrap();
    w.invoke(S + 4, Label::FrameMap, &[va, 3, 0], &[S]).unwrap();
    // Mapping over an existing mapping fails; a mapped frame cap cannot map twice.
    assert_eq!(w.invoke(S + 5, Label::FrameMap, &[va, 3, 0], &[S]), Err(Error::DeleteFirst));
    assert_eq!(w.invoke(S + 4, Label::FrameMap, &[va + 0x1000, 3, 0], &[S]), Err(Error::InvalidCapability));
    // Unmap, and unmapping what is not mapped is a no-op.
    w.invoke(S + 4, Label::FrameUnmap, &[], &[]).unwrap();
    w.invoke(S + 4, Label::FrameUnmap, &[], &[]).unwrap();
    w.invoke(S + 5, Label::FrameMap, &[va, 3, 0], &[S]).unwrap();
    // Kernel and non-canonical addresses are refused.
    assert_eq!(w.invoke(S + 6, Label::FrameMap, &[0xffff_8000_0000_0000, 3, 0], &[S]), Err(Error::InvalidArgument));
    assert_eq!(w.invoke(S + 6, Label::FrameMap, &[va + 3, 3, 0], &[S]), Err(Error::AlignmentError));
    check_cnode(&w);
}

#[test]
fn map_frames_on_the_address_space_in_one_call() {
    let mut w = World::new();
    new_vspace(&mut w);
    w.invoke(ws::ASID_POOL, Label::AsidPoolAssign, &[], &[S]).unwrap();
    let va = 0x4000_0000u64;
    w.invoke(S + 1, Label::PdptMap, &[va, 0], &[S]).unwrap();
    w.invoke(S + 2, Label::PageDirectoryMap, &[va, 0], &[S]).unwrap();
    w.invoke(S + 3, Label::PageTableMap, &[va, 0], &[S]).unwrap();
    let r = w.invoke(S, Label::VSpaceMapFrames, &[va, Rights::RW.0, 0, 4, S + 4, S + 5, S + 6, S + 7], &[]).unwrap();
    assert_eq!(r, vec![4]);
    for i in 0..4 {
        let c = w.root.slot(S + 4 + i).cap();
        assert_eq!(c.mapped_vaddr(), va + i * 0x1000);
    }
    w.invoke(S, Label::VSpaceUnmapFrames, &[2, S + 4, S + 5], &[]).unwrap();
    assert_eq!(w.root.slot(S + 4).cap().mapped_asid(), 0);
    assert_eq!(w.root.slot(S + 6).cap().mapped_asid(), w.root.slot(S).cap().mapped_asid());
    // A stop on error reports how many were mapped.
    assert_eq!(
        w.invoke(S, Label::VSpaceMapFrames, &[va, 3, 0, 3, S + 4, S + 6, S + 5], &[]),
        Err(Error::InvalidCapability)
    );
}

#[test]
fn remap_reduces_rights_and_frame_address() {
    let mut w = World::new();
    w.retype(ObjectType::Frame4K, 0, S, 1).unwrap();
    let va = rampart_abi::bootinfo::INIT_IPC_BUFFER_VADDR + 0x9000;
    w.invoke(S, Label::FrameMap, &[va, Rights::RW.0, 0], &[ws::VSPACE]).unwrap();
    w.invoke(S, Label::FrameRemap, &[Rights::READ.0, 0], &[]).unwrap();
    let paddr = w.invoke(S, Label::FrameGetAddress, &[], &[]).unwrap()[0];
    assert_eq!(paddr, w.root.slot(S).cap().paddr());
    // Read-only copies cannot be remapped writable.
    w.invoke(ws::CNODE, Label::CNodeCopy, &[S + 1, 64, S, 64, Rights::READ.0], &[ws::CNODE]).unwrap();
    w.invoke(S + 1, Label::FrameMap, &[va + 0x1000, Rights::RW.0, 0], &[ws::VSPACE]).unwrap();
    assert_eq!(w.root.slot(S + 1).cap().rights(), Rights::READ);
}
