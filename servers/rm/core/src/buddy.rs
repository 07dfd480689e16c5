//! A buddy allocator over untyped capabilities.
//!
//! Every block is an untyped capability of `2^bits` bytes in one of rm's
//! slots. Splitting a free block retypes it into two untyped children of
//! half its size (its capability stays, with children); the left child is
//! used, the right one becomes free. Freeing a block whose buddy is free
//! deletes both children, which leaves the parent without children (its
//! watermark is reset by the kernel at the next retype), and the parent is
//! free again — recursively. Boot untypeds are roots: they have no buddy.
//!
//! A block is handed out only with no children of its own, and the caller
//! revokes it (deleting everything made from it) before freeing it, so
//! "free" always means "no kernel object lives in this memory".
//!
//! The kernel work is done through [`BuddyOps`]; free lists are ordered by
//! physical address so allocation is deterministic.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

/// Smallest block, log2 bytes.
pub const MIN_BITS: u8 = 12;
/// Largest block, log2 bytes.
pub const MAX_BITS: u8 = 47;

/// A split the kernel (or the slot allocator) refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SplitFailed;

/// A block handle.
pub type BlockId = u32;

/// Kernel work for the allocator.
pub trait BuddyOps {
    /// Retypes the untyped in `slot` (which has no children) into two
    /// untyped of `2^child_bits` bytes; returns their slots (low half
    /// first).
    ///
    /// # Errors
    /// Any failure (e.g. no slots); the block stays whole.
    fn split(&mut self, slot: u64, child_bits: u8) -> Result<(u64, u64), SplitFailed>;
    /// Deletes the two children capabilities and frees their slots.
    fn merge(&mut self, low: u64, high: u64);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Free,
    Used,
    Split(BlockId, BlockId),
}

#[derive(Clone, Copy, Debug)]
struct Block {
    slot: u64,
    paddr: u64,
    bits: u8,
    parent: Option<BlockId>,
    state: State,
}

/// Why an allocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuddyError {
    /// No free block is large enough.
    NoMemory,
    /// The size is outside `MIN_BITS..=MAX_BITS`.
    BadSize,
    /// A split failed in the kernel.
    SplitFailed,
}

/// The allocator.
#[derive(Debug, Default)]
pub struct Buddy {
    blocks: Vec<Option<Block>>,
    spare: Vec<BlockId>,
    free: Vec<BTreeSet<(u64, BlockId)>>,
    free_bytes: u64,
    total_bytes: u64,
}

impl Buddy {
    /// An empty allocator.
    pub fn new() -> Buddy {
        Buddy { free: (0..=MAX_BITS).map(|_| BTreeSet::new()).collect(), ..Default::default() }
    }

    fn new_block(&mut self, b: Block) -> BlockId {
        if let Some(id) = self.spare.pop() {
            self.blocks[id as usize] = Some(b);
            id
        } else {
            self.blocks.push(Some(b));
            (self.blocks.len() - 1) as BlockId
        }
    }

    fn get(&self, id: BlockId) -> Block {
        self.blocks[id as usize].expect("live block")
    }

    fn set_state(&mut self, id: BlockId, s: State) {
        if let Some(b) = self.blocks[id as usize].as_mut() {
            b.state = s;
        }
    }

    fn push_free(&mut self, id: BlockId) {
        let b = self.get(id);
        self.set_state(id, State::Free);
        self.free[b.bits as usize].insert((b.paddr, id));
    }

    fn take_free(&mut self, id: BlockId) {
        let b = self.get(id);
        self.free[b.bits as usize].remove(&(b.paddr, id));
    }

    /// Adds a root block: the untyped in `slot` at `paddr` of `2^bits`
    /// bytes, with no children. Blocks smaller than [`MIN_BITS`] or larger
    /// than [`MAX_BITS`] are ignored (returns `None`).
    pub fn add_root(&mut self, slot: u64, paddr: u64, bits: u8) -> Option<BlockId> {
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return None;
        }
        let id = self.new_block(Block { slot, paddr, bits, parent: None, state: State::Free });
        self.push_free(id);
        self.free_bytes += 1 << bits;
        self.total_bytes += 1 << bits;
        Some(id)
    }

    /// Allocates a block of `2^bits` bytes; returns it and its slot.
    ///
    /// # Errors
    /// [`BuddyError`].
    pub fn alloc(&mut self, bits: u8, ops: &mut dyn BuddyOps) -> Result<(BlockId, u64), BuddyError> {
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return Err(BuddyError::BadSize);
        }
        let order = (bits..=MAX_BITS).find(|&o| !self.free[o as usize].is_empty()).ok_or(BuddyError::NoMemory)?;
        let &(_, mut id) = self.free[order as usize].iter().next().ok_or(BuddyError::NoMemory)?;
        self.take_free(id);
        let mut b = self.get(id);
        while b.bits > bits {
            let child = b.bits - 1;
            let Ok((lo, hi)) = ops.split(b.slot, child) else {
                self.push_free(id);
                return Err(BuddyError::SplitFailed);
            };
            let l =
                self.new_block(Block { slot: lo, paddr: b.paddr, bits: child, parent: Some(id), state: State::Used });
            let h = self.new_block(Block {
                slot: hi,
                paddr: b.paddr + (1u64 << child),
                bits: child,
                parent: Some(id),
                state: State::Free,
            });
            self.set_state(id, State::Split(l, h));
            self.push_free(h);
            id = l;
            b = self.get(id);
        }
        self.set_state(id, State::Used);
        self.free_bytes -= 1 << bits;
        Ok((id, b.slot))
    }

    /// Returns block `id` (whose contents the caller has revoked), merging
    /// it with free buddies.
    ///
    /// # Panics
    /// If `id` is not an allocated block (a bug in rm).
    pub fn free(&mut self, id: BlockId, ops: &mut dyn BuddyOps) {
        let b = self.get(id);
        assert_eq!(b.state, State::Used, "freeing a block that is not allocated");
        self.free_bytes += 1 << b.bits;
        let mut id = id;
        loop {
            let b = self.get(id);
            let Some(p) = b.parent else { break };
            let State::Split(l, h) = self.get(p).state else { break };
            let buddy = if l == id { h } else { l };
            if self.get(buddy).state != State::Free {
                break;
            }
            self.take_free(buddy);
            let (lb, hb) = (self.get(l), self.get(h));
            ops.merge(lb.slot, hb.slot);
            self.blocks[l as usize] = None;
            self.blocks[h as usize] = None;
            self.spare.push(l);
            self.spare.push(h);
            self.set_state(p, State::Used);
            id = p;
        }
        self.push_free(id);
    }

    /// Slot of block `id`.
    pub fn slot(&self, id: BlockId) -> u64 {
        self.get(id).slot
    }

    /// Size of block `id` in log2 bytes.
    pub fn bits(&self, id: BlockId) -> u8 {
        self.get(id).bits
    }

    /// Physical address of block `id`.
    pub fn paddr(&self, id: BlockId) -> u64 {
        self.get(id).paddr
    }

    /// Free bytes.
    pub fn free_bytes(&self) -> u64 {
        self.free_bytes
    }

    /// Bytes managed.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// The largest free block in bytes (0 if none).
    pub fn largest_free(&self) -> u64 {
        (MIN_BITS..=MAX_BITS).rev().find(|&o| !self.free[o as usize].is_empty()).map_or(0, |o| 1 << o)
    }

    /// Number of live blocks (split parents included).
    pub fn live_blocks(&self) -> usize {
        self.blocks.iter().filter(|b| b.is_some()).count()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::{BTreeMap, BTreeSet as Set};

    /// Fake kernel: slots are numbers; records which slots hold untyped.
    #[derive(Default)]
    struct Fake {
        next: u64,
        live: Set<u64>,
        fail_after: Option<usize>,
        splits: usize,
    }

    impl BuddyOps for Fake {
        fn split(&mut self, slot: u64, _bits: u8) -> Result<(u64, u64), SplitFailed> {
            assert!(self.live.contains(&slot));
            if self.fail_after.is_some_and(|n| self.splits >= n) {
                return Err(SplitFailed);
            }
            self.splits += 1;
            self.next += 2;
            self.live.insert(self.next - 1);
            self.live.insert(self.next);
            Ok((self.next - 1, self.next))
        }
        fn merge(&mut self, lo: u64, hi: u64) {
            assert!(self.live.remove(&lo) && self.live.remove(&hi));
        }
    }

    fn setup() -> (Buddy, Fake) {
        let mut f = Fake { next: 1000, ..Default::default() };
        let mut b = Buddy::new();
        for (slot, paddr, bits) in [(1, 0x10_0000, 20u8), (2, 0x20_0000, 21), (3, 0x1000, 12)] {
            f.live.insert(slot);
            b.add_root(slot, paddr, bits);
        }
        (b, f)
    }

    #[test]
    fn split_and_merge_restore_everything() {
        let (mut b, mut f) = setup();
        let total = b.free_bytes();
        assert_eq!(total, (1 << 20) + (2 << 20) + 4096);
        let live0 = f.live.clone();
        let a = b.alloc(12, &mut f).unwrap();
        let c = b.alloc(14, &mut f).unwrap();
        let d = b.alloc(12, &mut f).unwrap();
        assert_eq!(b.free_bytes(), total - 4096 * 2 - (1 << 14));
        assert_ne!(b.paddr(a.0), b.paddr(d.0));
        for x in [c, a, d] {
            b.free(x.0, &mut f);
        }
        assert_eq!(b.free_bytes(), total);
        assert_eq!(f.live, live0, "every split was merged back");
        assert_eq!(b.live_blocks(), 3);
    }

    #[test]
    fn exhaustion_and_failed_split() {
        let (mut b, mut f) = setup();
        assert_eq!(b.alloc(22, &mut f), Err(BuddyError::NoMemory));
        assert_eq!(b.alloc(8, &mut f), Err(BuddyError::BadSize));
        f.fail_after = Some(0);
        let free = b.free_bytes();
        // The 4 KiB root needs no split.
        assert!(b.alloc(12, &mut f).is_ok());
        assert_eq!(b.alloc(12, &mut f), Err(BuddyError::SplitFailed));
        assert_eq!(b.free_bytes(), free - 4096);
    }

    #[test]
    fn random_alloc_free_never_leaks_or_overlaps() {
        let (mut b, mut f) = setup();
        let total = b.free_bytes();
        let live0 = f.live.clone();
        let mut held: BTreeMap<BlockId, (u64, u64)> = BTreeMap::new();
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            if !s.is_multiple_of(3) || held.is_empty() {
                let bits = 12 + (s >> 8) as u8 % 8;
                if let Ok((id, _)) = b.alloc(bits, &mut f) {
                    let (lo, hi) = (b.paddr(id), b.paddr(id) + (1 << bits));
                    for &(l, h) in held.values() {
                        assert!(hi <= l || h <= lo, "overlap");
                    }
                    held.insert(id, (lo, hi));
                }
            } else {
                let k = *held.keys().nth((s >> 16) as usize % held.len()).unwrap();
                held.remove(&k);
                b.free(k, &mut f);
            }
            let used: u64 = held.values().map(|(l, h)| h - l).sum();
            assert_eq!(b.free_bytes() + used, total);
        }
        for k in held.keys().copied().collect::<Vec<_>>() {
            b.free(k, &mut f);
        }
        assert_eq!(b.free_bytes(), total);
        assert_eq!(f.live, live0);
        assert_eq!(b.largest_free(), 2 << 20);
    }
}
