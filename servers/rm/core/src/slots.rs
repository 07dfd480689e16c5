//! Ranges of capability slots in rm's CNode: first-fit allocation of
//! consecutive slots, and freeing with coalescing.

use alloc::collections::BTreeMap;

/// Free slot ranges.
#[derive(Debug, Default, Clone)]
pub struct Slots {
    free: BTreeMap<u64, u64>,
    free_count: u64,
}

impl Slots {
    /// All slots `[start, end)` free.
    pub fn new(start: u64, end: u64) -> Slots {
        let mut s = Slots::default();
        if start < end {
            s.free.insert(start, end - start);
            s.free_count = end - start;
        }
        s
    }

    /// `n` consecutive slots (first fit); the first, or `None`.
    pub fn alloc(&mut self, n: u64) -> Option<u64> {
        if n == 0 {
            return None;
        }
        let (&start, &len) = self.free.iter().find(|&(_, &len)| len >= n)?;
        self.free.remove(&start);
        if len > n {
            self.free.insert(start + n, len - n);
        }
        self.free_count -= n;
        Some(start)
    }

    /// Frees `[start, start + n)`.
    ///
    /// # Panics
    /// If part of the range is already free (a bug in rm).
    pub fn free(&mut self, start: u64, n: u64) {
        if n == 0 {
            return;
        }
        let mut s = start;
        let mut len = n;
        if let Some((&ps, &pl)) = self.free.range(..=start).next_back() {
            assert!(ps + pl <= start, "double free of slots {start}..{}", start + n);
            if ps + pl == start {
                self.free.remove(&ps);
                s = ps;
                len += pl;
            }
        }
        if let Some((&ns, &nl)) = self.free.range(start..).next() {
            assert!(start + n <= ns, "double free of slots {start}..{}", start + n);
            if start + n == ns {
                self.free.remove(&ns);
                len += nl;
            }
        }
        self.free.insert(s, len);
        self.free_count += n;
    }

    /// Free slots.
    pub fn free_count(&self) -> u64 {
        self.free_count
    }

    /// Number of free ranges (fragmentation).
    pub fn ranges(&self) -> usize {
        self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn alloc_free_coalesce() {
        let mut s = Slots::new(100, 200);
        let a = s.alloc(10).unwrap();
        let b = s.alloc(20).unwrap();
        let c = s.alloc(5).unwrap();
        assert_eq!((a, b, c), (100, 110, 130));
        assert_eq!(s.alloc(1000), None);
        s.free(b, 20);
        assert_eq!(s.alloc(15), Some(110));
        s.free(110, 15);
        s.free(a, 10);
        s.free(c, 5);
        assert_eq!(s.ranges(), 1);
        assert_eq!(s.free_count(), 100);
    }

    #[test]
    fn random_never_overlaps() {
        let mut s = Slots::new(0, 4096);
        let mut held: Vec<(u64, u64)> = Vec::new();
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(2) {
                let n = 1 + (x >> 10) % 64;
                if let Some(a) = s.alloc(n) {
                    assert!(held.iter().all(|&(b, m)| a + n <= b || b + m <= a));
                    held.push((a, n));
                }
            } else if !held.is_empty() {
                let (a, n) = held.swap_remove((x >> 20) as usize % held.len());
                s.free(a, n);
            }
        }
        for (a, n) in held {
            s.free(a, n);
        }
        assert_eq!((s.free_count(), s.ranges()), (4096, 1));
    }
}
