//! Physical memory regions: building the free-memory list at boot and
//! carving it into naturally aligned power-of-two blocks for Untyped
//! capabilities (seL4 Reference Manual §2.4, "Untyped memory").

/// A half-open physical address range `[start, end)` in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Region {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
}

impl Region {
    /// Creates a region; an inverted range is empty.
    pub const fn new(start: u64, end: u64) -> Self {
        Region { start, end: if end < start { start } else { end } }
    }
    /// Size in bytes.
    pub const fn size(&self) -> u64 {
        self.end - self.start
    }
    /// True if the region holds no bytes.
    pub const fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    /// True if the two regions share at least one byte.
    pub const fn overlaps(&self, o: &Region) -> bool {
        self.start < o.end && o.start < self.end
    }
}

/// Error when a region list has no room left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListFull;

/// A sorted list of disjoint, non-adjacent regions with a fixed capacity
/// `N` (no allocation: the kernel has no heap).
#[derive(Clone, Copy, Debug)]
pub struct RegionList<const N: usize> {
    regions: [Region; N],
    len: usize,
}

impl<const N: usize> Default for RegionList<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> RegionList<N> {
    /// An empty list.
    pub const fn new() -> Self {
        RegionList { regions: [Region { start: 0, end: 0 }; N], len: 0 }
    }

    /// The regions in ascending address order.
    pub fn as_slice(&self) -> &[Region] {
        &self.regions[..self.len]
    }

    /// Total bytes covered.
    pub fn total(&self) -> u64 {
        self.as_slice().iter().map(Region::size).sum()
    }

    /// True if some region overlaps `r`.
    pub fn overlaps(&self, r: &Region) -> bool {
        self.as_slice().iter().any(|x| x.overlaps(r))
    }

    fn insert_at(&mut self, i: usize, r: Region) -> Result<(), ListFull> {
        if self.len == N {
            return Err(ListFull);
        }
        self.regions.copy_within(i..self.len, i + 1);
        self.regions[i] = r;
        self.len += 1;
        Ok(())
    }

    fn remove_at(&mut self, i: usize) {
        self.regions.copy_within(i + 1..self.len, i);
        self.len -= 1;
    }

    /// Adds `r`, merging with overlapping or adjacent regions.
    ///
    /// # Errors
    /// [`ListFull`] if a new entry is needed and the list is at capacity.
    pub fn add(&mut self, r: Region) -> Result<(), ListFull> {
        if r.is_empty() {
            return Ok(());
        }
        let mut merged = r;
        let mut i = 0;
        while i < self.len {
            let x = self.regions[i];
            if x.start <= merged.end && merged.start <= x.end {
                merged = Region::new(x.start.min(merged.start), x.end.max(merged.end));
                self.remove_at(i);
            } else {
                i += 1;
            }
        }
        let pos = self.as_slice().iter().position(|x| x.start > merged.start).unwrap_or(self.len);
        self.insert_at(pos, merged)
    }

    /// Removes every byte of `r` from the list, splitting regions as needed.
    ///
    /// # Errors
    /// [`ListFull`] if a split needs an entry and the list is at capacity (the
    /// list is then unchanged).
    pub fn remove(&mut self, r: Region) -> Result<(), ListFull> {
        if r.is_empty() {
            return Ok(());
        }
        // A split of one region into two is the only operation that grows the list.
        let splits = self.as_slice().iter().any(|x| x.start < r.start && r.end < x.end);
        if splits && self.len == N {
            return Err(ListFull);
        }
        let mut i = 0;
        while i < self.len {
            let x = self.regions[i];
            if !x.overlaps(&r) {
                i += 1;
                continue;
            }
            let left = Region::new(x.start, r.start.min(x.end));
            let right = Region::new(r.end.max(x.start), x.end);
            match (left.is_empty(), right.is_empty()) {
                (true, true) => self.remove_at(i),
                (false, true) => {
                    self.regions[i] = left;
                    i += 1;
                }
                (true, false) => {
                    self.regions[i] = right;
                    i += 1;
                }
                (false, false) => {
                    self.regions[i] = left;
                    self.insert_at(i + 1, right)?;
                    i += 2;
                }
            }
        }
        Ok(())
    }

    /// Takes `size` bytes aligned to `align` (a power of two) from the lowest
    /// region that fits, at or above `min`. Returns the start address.
    pub fn take(&mut self, size: u64, align: u64, min: u64) -> Option<u64> {
        for x in self.as_slice() {
            let start = x.start.max(min).checked_next_multiple_of(align)?;
            if start.checked_add(size)? <= x.end {
                self.remove(Region::new(start, start + size)).ok()?;
                return Some(start);
            }
        }
        None
    }
}

/// Splits `r` into the largest naturally aligned power-of-two blocks, each
/// between `2^min_bits` and `2^max_bits` bytes, in ascending order, calling
/// `f(start, size_bits)` for each. Bytes that cannot form a `2^min_bits`
/// block are skipped. Returns the number of blocks.
pub fn split_pow2(r: Region, min_bits: u32, max_bits: u32, mut f: impl FnMut(u64, u32)) -> usize {
    let mut n = 0;
    let mut a = r.start.next_multiple_of(1u64 << min_bits);
    while a < r.end {
        let align_bits = if a == 0 { 63 } else { a.trailing_zeros() };
        let room = r.end - a;
        let room_bits = 63 - room.leading_zeros();
        let bits = align_bits.min(room_bits).min(max_bits);
        if bits < min_bits {
            break;
        }
        f(a, bits);
        n += 1;
        a += 1u64 << bits;
    }
    n
}

/// Calls `f` for every part of `[0, limit)` that is in no region of
/// `taken` (sorted, disjoint) and in no range of `exclude` (any order), in
/// ascending order. Needs no list, so it cannot run out of room: the device
/// memory given out as Untyped is computed this way from the RAM map (a
/// bounded list that overflowed once left RAM in the device list; issue 13
/// finding 7).
pub fn gaps(taken: &[Region], limit: u64, exclude: &[Region], mut f: impl FnMut(Region)) {
    let mut emit = |g: Region| {
        // Cut the excluded ranges out of the gap, lowest first.
        let mut start = g.start;
        while start < g.end {
            let next_cut =
                exclude.iter().filter(|x| !x.is_empty() && x.end > start && x.start < g.end).min_by_key(|x| x.start);
            match next_cut {
                Some(x) if x.start <= start => start = x.end,
                Some(x) => {
                    f(Region::new(start, x.start));
                    start = x.end;
                }
                None => {
                    f(Region::new(start, g.end));
                    start = g.end;
                }
            }
        }
    };
    let mut cursor = 0u64;
    for r in taken {
        if r.start >= limit {
            break;
        }
        if r.start > cursor {
            emit(Region::new(cursor, r.start));
        }
        cursor = cursor.max(r.end);
    }
    if cursor < limit {
        emit(Region::new(cursor, limit));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(rs: &[(u64, u64)]) -> RegionList<8> {
        let mut l = RegionList::new();
        for &(s, e) in rs {
            l.add(Region::new(s, e)).unwrap();
        }
        l
    }

    #[test]
    fn add_merges_and_sorts() {
        let l = list(&[(100, 200), (0, 50), (50, 60), (150, 300)]);
        assert_eq!(l.as_slice(), &[Region::new(0, 60), Region::new(100, 300)]);
        assert_eq!(l.total(), 260);
    }

    #[test]
    fn remove_splits_and_trims() {
        let mut l = list(&[(0, 100), (200, 300)]);
        l.remove(Region::new(10, 20)).unwrap();
        l.remove(Region::new(90, 210)).unwrap();
        l.remove(Region::new(290, 1000)).unwrap();
        assert_eq!(l.as_slice(), &[Region::new(0, 10), Region::new(20, 90), Region::new(210, 290)]);
    }

    #[test]
    fn remove_when_full_fails_without_change() {
        let mut l: RegionList<2> = RegionList::new();
        l.add(Region::new(0, 100)).unwrap();
        l.add(Region::new(200, 300)).unwrap();
        let before = l;
        assert_eq!(l.remove(Region::new(10, 20)), Err(ListFull));
        assert_eq!(l.as_slice(), before.as_slice());
        // Trimming needs no new entry and still works.
        l.remove(Region::new(0, 10)).unwrap();
        assert_eq!(l.as_slice()[0], Region::new(10, 100));
    }

    #[test]
    fn take_respects_alignment_and_minimum() {
        let mut l = list(&[(0x1000, 0x9000)]);
        assert_eq!(l.take(0x1000, 0x4000, 0), Some(0x4000));
        assert_eq!(l.take(0x1000, 0x1000, 0x2000), Some(0x2000));
        assert_eq!(l.take(0x10000, 0x1000, 0), None);
        assert_eq!(l.total(), 0x8000 - 0x2000);
    }

    #[test]
    fn split_pow2_covers_aligned_blocks() {
        let mut blocks = Vec::new();
        let n = split_pow2(Region::new(0x1000, 0x10_0000), 12, 20, |a, b| blocks.push((a, b)));
        assert_eq!(n, blocks.len());
        let mut cursor = 0x1000;
        for &(a, b) in &blocks {
            assert_eq!(a, cursor);
            assert_eq!(a % (1 << b), 0, "block {a:#x} not aligned to 2^{b}");
            cursor += 1 << b;
        }
        assert_eq!(cursor, 0x10_0000);
        // Unaligned tail bytes below the minimum size are skipped.
        let mut sizes = 0u64;
        split_pow2(Region::new(0x1234, 0x5678), 12, 20, |_, b| sizes += 1 << b);
        assert_eq!(sizes, 0x5000 - 0x2000);
    }

    #[test]
    fn split_pow2_caps_block_size() {
        let mut v = Vec::new();
        split_pow2(Region::new(0, 1 << 24), 12, 22, |a, b| v.push((a, b)));
        assert_eq!(v.len(), 4);
        assert!(v.iter().all(|&(_, b)| b == 22));
    }

    #[test]
    fn gaps_cover_the_complement_without_a_list() {
        // 200 RAM regions: far more than any bounded list held.
        let ram: Vec<Region> = (0..200u64).map(|i| Region::new(i * 0x10_000, i * 0x10_000 + 0x8000)).collect();
        let exclude = [Region::new(0x3_8000, 0x3_9000), Region::new(0xff_0000, 0x100_0000)];
        let mut out = Vec::new();
        gaps(&ram, 0x100_0000, &exclude, |g| out.push(g));
        for g in &out {
            assert!(!g.is_empty());
            assert!(ram.iter().all(|r| !r.overlaps(g)), "gap {g:?} overlaps RAM");
            assert!(exclude.iter().all(|x| !x.overlaps(g)), "gap {g:?} overlaps an excluded range");
        }
        let covered: u64 = out.iter().map(Region::size).sum();
        assert_eq!(covered, 0x100_0000 - 200 * 0x8000 - 0x1000 - 0x1_0000);
        assert!(out.windows(2).all(|w| w[0].end <= w[1].start), "not ascending");
    }
}
