//! Planning kernel objects: the paging structures a set of mappings needs,
//! and the packing of objects into power-of-two untyped chunks.
//!
//! A task is charged for the chunks its objects are carved from. Packing
//! sorts objects by size, largest first, and uses the binary decomposition
//! of the total (rounded up to one page) as the chunk sizes: because every
//! object and every chunk is a power of two and both are taken in
//! decreasing order, each chunk fills exactly (the free space of a chunk is
//! always a multiple of the next object's size), so the only waste is the
//! rounding of the total to a page. The kernel carves objects at an
//! untyped's watermark aligned to their size; in decreasing order no
//! padding ever appears, so the plan is exactly what the kernel does.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use rampart_abi::ObjectType;

/// Smallest chunk, log2 bytes (one page; the resource manager's buddy
/// allocator works in pages).
pub const MIN_CHUNK_BITS: u32 = 12;

/// Span covered by one entry of a paging structure, log2 bytes, by level:
/// 1 page table (2 MiB), 2 page directory (1 GiB), 3 PDPT (512 GiB).
pub const fn level_span_bits(level: u32) -> u32 {
    12 + 9 * level
}

/// A paging structure to create: `level` (1 PT, 2 PD, 3 PDPT) covering the
/// aligned region starting at `base`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Table {
    /// 3 PDPT, 2 page directory, 1 page table (sort order: top-down).
    pub level: u32,
    /// Base of the region it covers.
    pub base: u64,
}

impl Table {
    /// The object type.
    pub const fn object_type(&self) -> ObjectType {
        match self.level {
            1 => ObjectType::PageTable,
            2 => ObjectType::PageDirectory,
            _ => ObjectType::Pdpt,
        }
    }
}

/// Paging structures needed to map pages at `vaddrs` that are not in
/// `existing`, ordered top-down (PDPTs first) so each can be mapped in turn.
pub fn tables_needed(vaddrs: impl IntoIterator<Item = u64>, existing: &BTreeSet<Table>) -> Vec<Table> {
    let mut need = BTreeSet::new();
    for va in vaddrs {
        for level in 1..=3 {
            let base = va & !((1u64 << level_span_bits(level)) - 1);
            let t = Table { level, base };
            if !existing.contains(&t) {
                need.insert(t);
            }
        }
    }
    let mut v: Vec<Table> = need.into_iter().collect();
    v.sort_by(|a, b| b.level.cmp(&a.level).then(a.base.cmp(&b.base)));
    v
}

/// `count` objects of one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Group {
    /// Object type.
    pub ty: ObjectType,
    /// The retype size argument (CNode radix, untyped bits; else 0).
    pub size_arg: u64,
    /// How many.
    pub count: u64,
}

impl Group {
    /// `count` objects of `ty` with size argument `size_arg`.
    pub const fn new(ty: ObjectType, size_arg: u64, count: u64) -> Group {
        Group { ty, size_arg, count }
    }

    /// Size of one object, log2 bytes (`None` for a bad size argument).
    pub fn bits(&self) -> Option<u32> {
        self.ty.size_bits(self.size_arg)
    }
}

/// One retype: `count` objects of group `group` (index into the input)
/// starting at the group's object number `first`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retype {
    /// Index of the group in the input list.
    pub group: usize,
    /// Number of the first object within its group.
    pub first: u64,
    /// How many objects (at most the kernel's fan-out of 256).
    pub count: u64,
}

/// One chunk and the retypes carved from it, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkPlan {
    /// Chunk size, log2 bytes.
    pub bits: u32,
    /// Retypes in carving order.
    pub retypes: Vec<Retype>,
}

/// Kernel fan-out limit of one retype.
pub const RETYPE_MAX: u64 = 256;

/// Why objects could not be packed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackError {
    /// A group's size argument is invalid for its type.
    BadSize,
    /// The total overflows.
    TooLarge,
}

/// Total bytes the groups are charged: the sum of their sizes rounded up
/// to a page.
///
/// # Errors
/// [`PackError`].
pub fn total_bytes(groups: &[Group]) -> Result<u64, PackError> {
    let mut total = 0u64;
    for g in groups {
        let b = g.bits().ok_or(PackError::BadSize)?;
        let sz = 1u64.checked_shl(b).ok_or(PackError::TooLarge)?;
        total = sz.checked_mul(g.count).and_then(|x| x.checked_add(total)).ok_or(PackError::TooLarge)?;
    }
    total.checked_next_multiple_of(1 << MIN_CHUNK_BITS).ok_or(PackError::TooLarge)
}

/// Packs `groups` into chunks (see the module documentation).
///
/// # Errors
/// [`PackError`].
pub fn pack(groups: &[Group]) -> Result<Vec<ChunkPlan>, PackError> {
    let total = total_bytes(groups)?;
    let mut order: Vec<usize> = (0..groups.len()).filter(|&i| groups[i].count > 0).collect();
    // Largest first; stable, so equal sizes keep the caller's order.
    order.sort_by_key(|&i| core::cmp::Reverse(groups[i].bits().unwrap_or(0)));
    let mut chunks: Vec<ChunkPlan> = (MIN_CHUNK_BITS..64)
        .rev()
        .filter(|b| total & (1u64 << b) != 0)
        .map(|bits| ChunkPlan { bits, retypes: Vec::new() })
        .collect();
    let mut ci = 0;
    let mut free = chunks.first().map_or(0, |c| 1u64 << c.bits);
    for gi in order {
        let g = groups[gi];
        let size = 1u64 << g.bits().ok_or(PackError::BadSize)?;
        let mut done = 0;
        while done < g.count {
            while free < size {
                ci += 1;
                // Cannot happen (module proof); checked rather than trusted.
                let c = chunks.get(ci).ok_or(PackError::TooLarge)?;
                free = 1u64 << c.bits;
            }
            let n = (free / size).min(g.count - done).min(RETYPE_MAX);
            chunks[ci].retypes.push(Retype { group: gi, first: done, count: n });
            free -= n * size;
            done += n;
        }
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec;

    fn check(groups: &[Group]) {
        let chunks = pack(groups).unwrap();
        let total = total_bytes(groups).unwrap();
        assert_eq!(chunks.iter().map(|c| 1u64 << c.bits).sum::<u64>(), total);
        let mut seen = vec![0u64; groups.len()];
        for c in &chunks {
            // Simulate the kernel's watermark: no padding, never past the end.
            let mut wm = 0u64;
            for r in &c.retypes {
                let size = 1u64 << groups[r.group].bits().unwrap();
                assert_eq!(wm % size, 0, "padding would appear");
                assert_eq!(r.first, seen[r.group]);
                assert!(r.count <= RETYPE_MAX);
                wm += size * r.count;
                seen[r.group] += r.count;
            }
            assert!(wm <= 1u64 << c.bits);
        }
        for (g, n) in groups.iter().zip(seen) {
            assert_eq!(g.count, n);
        }
        assert!(total - groups.iter().map(|g| (1u64 << g.bits().unwrap()) * g.count).sum::<u64>() < 4096);
    }

    #[test]
    fn packs_a_task() {
        check(&[
            Group::new(ObjectType::Tcb, 0, 1),
            Group::new(ObjectType::CNode, 12, 1),
            Group::new(ObjectType::SchedContext, 0, 1),
            Group::new(ObjectType::VSpace, 0, 1),
            Group::new(ObjectType::Frame4K, 0, 600),
            Group::new(ObjectType::Notification, 0, 1),
            Group::new(ObjectType::Reply, 0, 1),
            Group::new(ObjectType::PageTable, 0, 3),
        ]);
    }

    #[test]
    fn random_groups_pack_exactly() {
        let types = [
            (ObjectType::Tcb, 0),
            (ObjectType::CNode, 6),
            (ObjectType::CNode, 12),
            (ObjectType::Frame4K, 0),
            (ObjectType::Endpoint, 0),
            (ObjectType::Frame2M, 0),
            (ObjectType::Untyped, 17),
            (ObjectType::Reply, 0),
        ];
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut g = vec![];
            for _ in 0..(s % 6 + 1) {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let (t, a) = types[(s % types.len() as u64) as usize];
                g.push(Group::new(t, a, (s >> 20) % 700));
            }
            check(&g);
        }
    }

    #[test]
    fn tables_top_down_and_deduplicated() {
        let existing = BTreeSet::from([Table { level: 3, base: 0 }]);
        let t = tables_needed([0x40_0000, 0x40_1000, 0x60_0000, 0x7fff_efff_f000], &existing);
        assert_eq!(t.iter().filter(|t| t.level == 3).count(), 1); // only the high PDPT
        assert_eq!(t.iter().filter(|t| t.level == 2).count(), 2);
        assert_eq!(t.iter().filter(|t| t.level == 1).count(), 3);
        assert!(t.windows(2).all(|w| w[0].level >= w[1].level));
    }

    #[test]
    fn bad_sizes_are_errors() {
        assert_eq!(pack(&[Group::new(ObjectType::CNode, 30, 1)]), Err(PackError::BadSize));
        assert_eq!(total_bytes(&[Group::new(ObjectType::Untyped, 47, u64::MAX)]), Err(PackError::TooLarge));
    }
}
