//! Capability slots and the capability derivation tree (CDT).
//!
//! A slot (32 bytes) holds a capability and its node in the CDT. As in seL4
//! (the "mapping database"), the CDT is a doubly linked list of slots in
//! depth-first pre-order; a slot's descendants are the slots that follow it
//! for which [`is_parent_of`] holds. Two flags per node — *revocable* and
//! *first badged* — make parenthood decidable from neighbours alone.
//! Invariants (checked by [`check_invariants`] and the model in issue 9):
//! links are symmetric, every capability to an object is adjacent to the
//! others, and descendants follow their ancestors.

use crate::cap::Cap;
use crate::kmem::{self, KernelObject};
use core::cell::Cell;
use rampart_abi::CapType;

/// A capability slot: 2 capability words, 2 CDT words.
#[repr(C, align(32))]
pub struct Slot {
    cap0: Cell<u64>,
    cap1: Cell<u64>,
    /// Previous slot (physical address) | flags in bits 0..2.
    prev: Cell<u64>,
    /// Next slot (physical address).
    next: Cell<u64>,
}

// SAFETY: only `Cell<u64>` fields; zeroed memory is an empty slot.
unsafe impl KernelObject for Slot {}

const REVOCABLE: u64 = 1;
const FIRST_BADGED: u64 = 2;
const FLAGS: u64 = 3;

/// A reference to a slot by physical address (0 = none).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct SlotRef(pub u64);

impl SlotRef {
    /// No slot.
    pub const NONE: SlotRef = SlotRef(0);

    /// True for [`SlotRef::NONE`].
    #[inline(always)]
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    #[inline(always)]
    fn s(self) -> &'static Slot {
        kmem::obj::<Slot>(self.0)
    }

    /// The capability in the slot.
    #[inline(always)]
    pub fn cap(self) -> Cap {
        let s = self.s();
        Cap { w0: s.cap0.get(), w1: s.cap1.get() }
    }

    /// Replaces the capability without touching the CDT links (used for
    /// in-place updates: watermark, mapping state, zombie progress).
    #[inline(always)]
    pub fn set_cap(self, c: Cap) {
        let s = self.s();
        s.cap0.set(c.w0);
        s.cap1.set(c.w1);
    }

    /// Previous slot in the CDT.
    #[inline(always)]
    pub fn prev(self) -> SlotRef {
        SlotRef(self.s().prev.get() & !FLAGS)
    }
    /// Next slot in the CDT.
    #[inline(always)]
    pub fn next(self) -> SlotRef {
        SlotRef(self.s().next.get())
    }
    fn set_prev(self, p: SlotRef) {
        let s = self.s();
        s.prev.set(p.0 | (s.prev.get() & FLAGS));
    }
    fn set_next(self, n: SlotRef) {
        self.s().next.set(n.0);
    }
    /// The revocable flag.
    pub fn revocable(self) -> bool {
        self.s().prev.get() & REVOCABLE != 0
    }
    /// The first-badged flag.
    pub fn first_badged(self) -> bool {
        self.s().prev.get() & FIRST_BADGED != 0
    }
    fn set_flags(self, revocable: bool, first_badged: bool) {
        let s = self.s();
        s.prev.set((s.prev.get() & !FLAGS) | (revocable as u64) | ((first_badged as u64) << 1));
    }
    fn clear(self) {
        let s = self.s();
        s.cap0.set(0);
        s.cap1.set(0);
        s.prev.set(0);
        s.next.set(0);
    }
    /// Raw CDT words `(prev, next)`, for zombies that reuse them as a link
    /// while the slot is outside the tree.
    pub fn raw_links(self) -> (u64, u64) {
        let s = self.s();
        (s.prev.get(), s.next.get())
    }
    /// Sets the raw CDT words of a slot that is outside the tree.
    pub fn set_raw_links(self, prev: u64, next: u64) {
        let s = self.s();
        s.prev.set(prev);
        s.next.set(next);
    }

    /// The `i`-th slot of the slot array at `base` (a CNode or the slots in
    /// a TCB).
    #[inline(always)]
    pub fn index(base: u64, i: u64) -> SlotRef {
        SlotRef(base + (i << rampart_abi::object::SLOT_BITS))
    }
}

/// seL4's `isMDBParentOf`: is `b` a child of `a` in the CDT?
pub fn is_parent_of(a: SlotRef, b: SlotRef) -> bool {
    if !a.revocable() {
        return false;
    }
    let (ca, cb) = (a.cap(), b.cap());
    if !ca.same_region_as(cb) {
        return false;
    }
    match ca.cap_type() {
        CapType::Endpoint | CapType::Notification => {
            let badge = ca.badge();
            badge == 0 || (badge == cb.badge() && !b.first_badged())
        }
        _ => true,
    }
}

/// Inserts `cap`, derived from the capability in `src`, into the empty slot
/// `dest` directly after `src` (seL4 `cteInsert`).
pub fn insert(cap: Cap, src: SlotRef, dest: SlotRef) {
    debug_assert!(dest.cap().is_null());
    let revocable = cap.is_revocable_from(src.cap());
    let next = src.next();
    dest.set_cap(cap);
    dest.set_raw_links(0, 0);
    dest.set_prev(src);
    dest.set_next(next);
    dest.set_flags(revocable, revocable);
    src.set_next(dest);
    if !next.is_none() {
        next.set_prev(dest);
    }
}

/// Inserts a capability for a freshly created object as a child of the
/// untyped in `parent` (seL4 `insertNewCap`).
pub fn insert_new(cap: Cap, parent: SlotRef, dest: SlotRef) {
    let next = parent.next();
    dest.set_cap(cap);
    dest.set_raw_links(0, 0);
    dest.set_prev(parent);
    dest.set_next(next);
    dest.set_flags(true, true);
    parent.set_next(dest);
    if !next.is_none() {
        next.set_prev(dest);
    }
}

/// Places `cap` in an empty slot with no CDT relations (boot-time root
/// capabilities, and the initial capability of a new subtree).
pub fn insert_root(cap: Cap, dest: SlotRef) {
    dest.set_cap(cap);
    dest.set_raw_links(0, 0);
    dest.set_flags(true, true);
}

/// Unlinks `slot` from the CDT and empties it (seL4 `emptySlot`, without
/// finalisation). The next node inherits the first-badged flag.
pub fn remove(slot: SlotRef) {
    let (prev, next) = (slot.prev(), slot.next());
    if !prev.is_none() {
        prev.set_next(next);
    }
    if !next.is_none() {
        next.set_prev(prev);
        let fb = next.first_badged() || slot.first_badged();
        next.set_flags(next.revocable(), fb);
    }
    slot.clear();
}

/// Unlinks `slot` from the CDT but leaves its capability in place (the slot
/// is about to become a zombie).
pub fn remove_links_keep_cap(slot: SlotRef) {
    let cap = slot.cap();
    remove(slot);
    slot.set_cap(cap);
}

/// Moves the capability (with its CDT position) from `src` to the empty
/// slot `dest`, replacing the capability by `cap` (seL4 `cteMove`).
pub fn move_cap(cap: Cap, src: SlotRef, dest: SlotRef) {
    let (prev, next) = (src.prev(), src.next());
    let (r, fb) = (src.revocable(), src.first_badged());
    dest.set_cap(cap);
    dest.set_raw_links(0, 0);
    dest.set_prev(prev);
    dest.set_next(next);
    dest.set_flags(r, fb);
    src.clear();
    if !prev.is_none() {
        prev.set_next(dest);
    }
    if !next.is_none() {
        next.set_prev(dest);
    }
}

/// Swaps two non-empty slots' capabilities and CDT positions (seL4
/// `cteSwap`), replacing them with `cap1` (now in `s2`) and `cap2` (now in `s1`).
pub fn swap(cap1: Cap, s1: SlotRef, cap2: Cap, s2: SlotRef) {
    if s1 == s2 {
        s1.set_cap(cap1);
        return;
    }
    let (p1, n1, r1, f1) = (s1.prev(), s1.next(), s1.revocable(), s1.first_badged());
    let (p2, n2, r2, f2) = (s2.prev(), s2.next(), s2.revocable(), s2.first_badged());
    // Adjacent slots need the links re-pointed to each other.
    let fix = |x: SlotRef| {
        if x == s1 {
            s2
        } else if x == s2 {
            s1
        } else {
            x
        }
    };
    s1.set_cap(cap2);
    s1.set_raw_links(0, 0);
    s1.set_prev(fix(p2));
    s1.set_next(fix(n2));
    s1.set_flags(r2, f2);
    s2.set_cap(cap1);
    s2.set_raw_links(0, 0);
    s2.set_prev(fix(p1));
    s2.set_next(fix(n1));
    s2.set_flags(r1, f1);
    for (p, n, me) in [(fix(p1), fix(n1), s2), (fix(p2), fix(n2), s1)] {
        if !p.is_none() {
            p.set_next(me);
        }
        if !n.is_none() {
            n.set_prev(me);
        }
    }
}

/// True if `slot` is the last capability to its object (seL4
/// `isFinalCapability`): capabilities to one object are adjacent in the CDT.
pub fn is_final(slot: SlotRef) -> bool {
    let cap = slot.cap();
    let (prev, next) = (slot.prev(), slot.next());
    let prev_same = !prev.is_none() && prev.cap().same_object_as(cap);
    let next_same = !next.is_none() && cap.same_object_as(next.cap());
    !prev_same && !next_same
}

/// True if some slot follows `slot` as its descendant.
pub fn has_children(slot: SlotRef) -> bool {
    let next = slot.next();
    !next.is_none() && is_parent_of(slot, next)
}

/// Checks the local CDT invariants around `slot`: symmetric links, and a
/// non-null capability in every linked slot. Returns a violation code
/// (0 = fine).
pub fn check_links(slot: SlotRef) -> u64 {
    let c = slot.cap();
    if c.is_null() {
        return if slot.prev().is_none() && slot.next().is_none() { 0 } else { 1 };
    }
    if c.cap_type() == CapType::Zombie {
        return 0; // outside the tree; links reused
    }
    let (p, n) = (slot.prev(), slot.next());
    if !p.is_none() && (p.next() != slot || p.cap().is_null()) {
        return 2;
    }
    if !n.is_none() && (n.prev() != slot || n.cap().is_null()) {
        return 3;
    }
    0
}
