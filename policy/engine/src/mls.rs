//! MLS levels and ranges: sensitivities, category sets and dominance.
//!
//! A [`Level`] is a sensitivity (its index in the policy's `dominance`
//! order, so a larger number is more sensitive) plus a set of categories.
//! Level `a` *dominates* `b` when `a.sens >= b.sens` and `a.cats ⊇ b.cats`.
//! Levels are only partially ordered: two levels can be incomparable.
//! The same lattice carries integrity grades in the Biba model.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// A set of category numbers, stored as a little-endian bit set of 64-bit
/// words with no trailing zero words (so equal sets compare equal).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CatSet(Vec<u64>);

impl CatSet {
    /// The empty set.
    pub fn new() -> CatSet {
        CatSet(Vec::new())
    }

    /// Adds category `c`.
    pub fn insert(&mut self, c: u16) {
        let w = usize::from(c / 64);
        if self.0.len() <= w {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1u64 << (c % 64);
    }

    /// True if category `c` is in the set.
    pub fn contains(&self, c: u16) -> bool {
        self.0.get(usize::from(c / 64)).is_some_and(|w| w & (1u64 << (c % 64)) != 0)
    }

    /// True if every category of `other` is in `self`.
    pub fn is_superset(&self, other: &CatSet) -> bool {
        other.0.iter().enumerate().all(|(i, w)| w & !self.0.get(i).copied().unwrap_or(0) == 0)
    }

    /// True if the set has no categories.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// The categories in increasing order.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        self.0.iter().enumerate().flat_map(|(i, w)| {
            (0..64u16).filter_map(move |b| {
                let c = u16::try_from(i).ok()?.checked_mul(64)?.checked_add(b)?;
                (w & (1u64 << b) != 0).then_some(c)
            })
        })
    }

    /// The highest category number plus one (0 for the empty set).
    pub fn bound(&self) -> usize {
        self.iter().last().map_or(0, |c| usize::from(c) + 1)
    }

    /// True if the representation is canonical (no trailing zero word).
    pub fn is_canonical(&self) -> bool {
        self.0.last().is_none_or(|w| *w != 0)
    }
}

/// An MLS level (or Biba integrity grade): sensitivity plus categories.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Level {
    /// Index of the sensitivity in the dominance order (0 = lowest).
    pub sens: u16,
    /// The categories.
    pub cats: CatSet,
}

impl Level {
    /// True if `self` dominates `other` (`self >= other` in the lattice).
    pub fn dominates(&self, other: &Level) -> bool {
        self.sens >= other.sens && self.cats.is_superset(&other.cats)
    }

    /// True if neither level dominates the other.
    pub fn incomparable(&self, other: &Level) -> bool {
        !self.dominates(other) && !other.dominates(self)
    }
}

/// An MLS range `low-high` (`high` must dominate `low`). An object usually
/// has `low == high`; a process's `low` is its current level and `high` its
/// clearance.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MlsRange {
    /// Current / low level.
    pub low: Level,
    /// Clearance / high level.
    pub high: Level,
}

impl MlsRange {
    /// A single-level range.
    pub fn single(l: Level) -> MlsRange {
        MlsRange { low: l.clone(), high: l }
    }

    /// True if `high` dominates `low`.
    pub fn is_well_formed(&self) -> bool {
        self.high.dominates(&self.low)
    }

    /// True if `other` lies within `self` (`self.low <= other.low` and
    /// `other.high <= self.high`).
    pub fn contains(&self, other: &MlsRange) -> bool {
        other.low.dominates(&self.low) && self.high.dominates(&other.high)
    }
}

/// A comparison between two levels, as used by `mlsconstrain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LevelOp {
    /// `dom`: left dominates right.
    Dom,
    /// `domby`: right dominates left.
    DomBy,
    /// `eq` (or `==`): equal.
    Eq,
    /// `!=`: not equal.
    Ne,
    /// `incomp`: incomparable.
    Incomp,
}

impl LevelOp {
    /// Evaluates `a OP b`.
    pub fn eval(self, a: &Level, b: &Level) -> bool {
        match self {
            LevelOp::Dom => a.dominates(b),
            LevelOp::DomBy => b.dominates(a),
            LevelOp::Eq => a == b,
            LevelOp::Ne => a != b,
            LevelOp::Incomp => a.incomparable(b),
        }
    }

    /// The policy-language spelling.
    pub fn keyword(self) -> &'static str {
        match self {
            LevelOp::Dom => "dom",
            LevelOp::DomBy => "domby",
            LevelOp::Eq => "eq",
            LevelOp::Ne => "!=",
            LevelOp::Incomp => "incomp",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lvl(sens: u16, cats: &[u16]) -> Level {
        let mut c = CatSet::new();
        for x in cats {
            c.insert(*x);
        }
        Level { sens, cats: c }
    }

    #[test]
    fn dominance_is_a_partial_order() {
        let a = lvl(2, &[0, 1]);
        let b = lvl(1, &[0]);
        let c = lvl(1, &[2]);
        assert!(a.dominates(&b));
        assert!(!b.dominates(&a));
        assert!(b.incomparable(&c));
        assert!(a.dominates(&a));
        assert!(LevelOp::DomBy.eval(&b, &a));
        assert!(LevelOp::Incomp.eval(&a, &c));
    }

    #[test]
    fn catset_high_bits_and_iteration() {
        let l = lvl(0, &[3, 64, 200]);
        assert_eq!(l.cats.iter().collect::<Vec<_>>(), [3, 64, 200]);
        assert!(l.cats.contains(200) && !l.cats.contains(199));
        assert_eq!(l.cats.bound(), 201);
        assert!(l.cats.is_canonical());
    }

    #[test]
    fn range_containment() {
        let r = MlsRange { low: lvl(0, &[]), high: lvl(3, &[0, 1, 2]) };
        assert!(r.is_well_formed());
        assert!(r.contains(&MlsRange::single(lvl(2, &[1]))));
        assert!(!r.contains(&MlsRange::single(lvl(2, &[5]))));
    }
}
