use super::support::{S, check_cnode};
use crate::testing::World;
use rampart_abi::bootinfo::slot as ws;
use rampart_abi::{CapType, Error, Label, ObjectType, Rights};

#[test]
fn retype_creates_typed_capabilities() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 3).unwrap();
    w.retype(ObjectType::Notification, 0, S + 3, 1).unwrap();
    w.retype(ObjectType::CNode, 4, S + 4, 1).unwrap();
    assert_eq!(w.cap_type(S), CapType::Endpoint);
    assert_eq!(w.cap_type(S + 2), CapType::Endpoint);
    assert_eq!(w.cap_type(S + 3), CapType::Notification);
    assert_eq!(w.cap_type(S + 4), CapType::CNode);
    assert_eq!(w.root.slot(S + 4).cap().size_bits(), 4);
    check_cnode(&w);
}

#[test]
fn retype_errors() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    assert_eq!(w.retype(ObjectType::Endpoint, 0, S, 1), Err(Error::DeleteFirst));
    assert_eq!(
        w.invoke(w.untyped, Label::UntypedRetype, &[99, 0, 0, 0, S + 1, 1], &[ws::CNODE]),
        Err(Error::InvalidArgument)
    );
    assert_eq!(w.retype(ObjectType::CNode, 0, S + 1, 1), Err(Error::InvalidArgument));
    assert_eq!(w.retype(ObjectType::Untyped, 30, S + 1, 1), Err(Error::InvalidArgument));
    assert_eq!(w.retype(ObjectType::Endpoint, 0, 4095, 2), Err(Error::RangeError));
    assert_eq!(w.retype(ObjectType::Endpoint, 0, S + 1, 0), Err(Error::RangeError));
    assert_eq!(w.invoke(w.untyped, Label::UntypedRetype, &[2, 0, 0, 0], &[ws::CNODE]), Err(Error::TruncatedMessage));
    // Invoking a non-untyped kernel object with the retype label.
    assert_eq!(
        w.invoke(ws::CNODE, Label::UntypedRetype, &[2, 0, 0, 0, S + 1, 1], &[ws::CNODE]),
        Err(Error::IllegalOperation)
    );
    // Invoking an empty slot.
    assert_eq!(
        w.invoke(S + 50, Label::UntypedRetype, &[2, 0, 0, 0, S + 1, 1], &[ws::CNODE]),
        Err(Error::InvalidCapability)
    );
}

#[test]
fn retype_past_the_end_reports_bytes_left_and_reuse_after_revoke() {
    let mut w = World::new();
    // 16 MiB untyped: eight 2 MiB frames fit, the ninth does not.
    w.retype(ObjectType::Frame2M, 0, S, 8).unwrap();
    let r = w.invoke(w.untyped, Label::UntypedRetype, &[ObjectType::Frame2M as u64, 0, 0, 0, S + 8, 1], &[ws::CNODE]);
    assert_eq!(r, Err(Error::NotEnoughMemory));
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[w.untyped, 64], &[]).unwrap();
    for i in 0..8 {
        assert_eq!(w.cap_type(S + i), CapType::Null, "revoke left slot {i}");
    }
    w.retype(ObjectType::Frame2M, 0, S, 8).unwrap();
    check_cnode(&w);
}

#[test]
fn copy_mint_and_revoke_derived() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    // Mint a badged, send-only copy; copy that again.
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::WRITE.0, 42], &[ws::CNODE]).unwrap();
    let m = w.root.slot(S + 1).cap();
    assert_eq!((m.badge(), m.rights()), (42, Rights::WRITE));
    w.invoke(ws::CNODE, Label::CNodeCopy, &[S + 2, 64, S + 1, 64, Rights::ALL.0], &[ws::CNODE]).unwrap();
    assert_eq!(w.root.slot(S + 2).cap().rights(), Rights::WRITE, "copy amplified rights");
    // A badge cannot be changed once set.
    assert_eq!(
        w.invoke(ws::CNODE, Label::CNodeMint, &[S + 3, 64, S + 1, 64, Rights::ALL.0, 7], &[ws::CNODE]),
        Err(Error::IllegalOperation)
    );
    // Revoking the original removes every derived capability.
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[S, 64], &[]).unwrap();
    assert_eq!(w.cap_type(S), CapType::Endpoint);
    assert_eq!(w.cap_type(S + 1), CapType::Null);
    assert_eq!(w.cap_type(S + 2), CapType::Null);
    check_cnode(&w);
}

#[test]
fn badged_revoke_only_removes_its_subtree() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 1, 64, S, 64, Rights::ALL.0, 1], &[ws::CNODE]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMint, &[S + 2, 64, S, 64, Rights::ALL.0, 2], &[ws::CNODE]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeCopy, &[S + 3, 64, S + 1, 64, Rights::ALL.0], &[ws::CNODE]).unwrap();
    w.invoke(ws::CNODE, Label::CNodeRevoke, &[S + 1, 64], &[]).unwrap();
    assert_eq!(w.cap_type(S + 3), CapType::Null);
    assert_eq!(w.cap_type(S + 2), CapType::Endpoint);
    assert_eq!(w.cap_type(S + 1), CapType::Endpoint);
    check_cnode(&w);
}

#[test]
fn move_mutate_rotate_and_delete() {
    let mut w = World::new();
    w.retype(ObjectType::Endpoint, 0, S, 2).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMove, &[S + 5, 64, S, 64], &[ws::CNODE]).unwrap();
    assert_eq!((w.cap_type(S), w.cap_type(S + 5)), (CapType::Null, CapType::Endpoint));
    assert_eq!(w.invoke(ws::CNODE, Label::CNodeMove, &[S + 5, 64, S + 1, 64], &[ws::CNODE]), Err(Error::DeleteFirst));
    assert_eq!(w.invoke(ws::CNODE, Label::CNodeMove, &[S + 6, 64, S + 7, 64], &[ws::CNODE]), Err(Error::FailedLookup));
    // Rotate: S+1 -> S+6 (dest), S+5 -> S+1 (pivot) ... pivot moves to dest, src to pivot.
    let (a, b) = (w.root.slot(S + 1).cap(), w.root.slot(S + 5).cap());
    w.invoke(ws::CNODE, Label::CNodeRotate, &[S + 6, 64, S + 1, 64, S + 5, 64, 0, 0], &[ws::CNODE, ws::CNODE]).unwrap();
    assert_eq!(w.root.slot(S + 6).cap(), b);
    assert_eq!(w.root.slot(S + 5).cap(), a);
    assert_eq!(w.cap_type(S + 1), CapType::Null);
    w.invoke(ws::CNODE, Label::CNodeDelete, &[S + 6, 64], &[]).unwrap();
    assert_eq!(w.cap_type(S + 6), CapType::Null);
    check_cnode(&w);
}

#[test]
fn untyped_capabilities_cannot_be_copied() {
    let mut w = World::new();
    let u = w.untyped;
    assert_eq!(
        w.invoke(ws::CNODE, Label::CNodeCopy, &[S, 64, u, 64, Rights::ALL.0], &[ws::CNODE]),
        Err(Error::IllegalOperation)
    );
}

#[test]
fn guards_and_depths() {
    let mut w = World::new();
    // A 2^4 CNode with a 4-bit guard 0b1010: 8-bit addresses guard|index.
    w.retype(ObjectType::CNode, 4, S, 1).unwrap();
    w.invoke(ws::CNODE, Label::CNodeMutate, &[S + 1, 64, S, 64, 0b1010 | (4 << 58)], &[ws::CNODE]).unwrap();
    w.retype(ObjectType::Endpoint, 0, S + 2, 1).unwrap();
    let idx = (0b1010 << 4) | 3;
    w.invoke(S + 1, Label::CNodeCopy, &[idx, 8, S + 2, 64, Rights::ALL.0], &[ws::CNODE]).unwrap();
    // Wrong guard and wrong depth fail.
    let bad_guard = (0b0110 << 4) | 3;
    assert_eq!(
        w.invoke(S + 1, Label::CNodeCopy, &[bad_guard, 8, S + 2, 64, 15], &[ws::CNODE]),
        Err(Error::FailedLookup)
    );
    assert_eq!(w.invoke(S + 1, Label::CNodeCopy, &[idx, 7, S + 2, 64, 15], &[ws::CNODE]), Err(Error::FailedLookup));
    assert_eq!(w.invoke(S + 1, Label::CNodeCopy, &[idx, 0, S + 2, 64, 15], &[ws::CNODE]), Err(Error::FailedLookup));
    assert_eq!(w.invoke(S + 1, Label::CNodeCopy, &[idx, 65, S + 2, 64, 15], &[ws::CNODE]), Err(Error::FailedLookup));
    // The root CNode's 52-bit guard: a 12-bit depth cannot reach its slots.
    assert_eq!(
        w.invoke(ws::CNODE, Label::CNodeCopy, &[S + 3, 12, S + 2, 64, 15], &[ws::CNODE]),
        Err(Error::FailedLookup)
    );
    let inner = w.root.slot(S + 1).cap();
    assert_eq!(crate::slot::SlotRef::index(inner.paddr(), 3).cap().cap_type(), CapType::Endpoint);
    check_cnode(&w);
}
