//! The SID table: security context <-> security identifier, with a
//! lifetime.
//!
//! A SID is `generation << INDEX_BITS | index`. Indices `1..=n` are the
//! policy's initial SIDs in declaration order (generation 0, so their SIDs
//! are `1..=n`); later contexts get a free index when first interned. A
//! SID's identity is its context *string*: on a policy reload every entry
//! is re-resolved against the new policy, so SIDs held by object servers
//! stay meaningful; an entry whose context is no longer valid resolves to
//! `None` and the engine treats it as the `unlabeled` initial SID.
//!
//! **Reclaim.** [`SidTable::release`] removes an entry. Its index is
//! reused later, but with the next generation, so the released SID itself
//! is never issued again: whoever still holds it (an AVC entry, an object
//! labelled with it, an audit record) gets [`PolicyError::UnknownSid`] for
//! it, never another context. An index whose generation would pass
//! [`MAX_GENERATION`] is retired instead of reused. Who may release what
//! (reference counts per holder) is the security server's business
//! (`rampart-secsrv-core`); the table only guarantees that a number never
//! changes meaning.
//!
//! **Capacity.** A table holds at most [`SidTable::capacity`] live SIDs
//! (initial ones included); interning beyond it is
//! [`PolicyError::SidTableFull`].

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;

use crate::db::Context;
use crate::error::PolicyError;
use crate::ids::Sid;

/// Bits of a SID that hold the table index.
pub const INDEX_BITS: u32 = 20;
/// Largest index (so at most this many entries).
pub const MAX_INDEX: u32 = (1 << INDEX_BITS) - 1;
/// Largest generation; an index released at this generation is retired.
pub const MAX_GENERATION: u32 = u32::MAX >> INDEX_BITS;

#[derive(Clone, Debug)]
struct Entry {
    /// Empty while the index is free or retired.
    text: String,
    ctx: Option<Context>,
    generation: u32,
    live: bool,
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub struct SidTable {
    entries: Vec<Entry>,
    by_text: BTreeMap<String, u32>,
    free: VecDeque<u32>,
    live: usize,
    capacity: usize,
    retired: usize,
}

impl Default for SidTable {
    fn default() -> SidTable {
        SidTable::with_capacity(MAX_INDEX as usize)
    }
}

fn split(sid: Sid) -> (usize, u32) {
    ((sid.0 & MAX_INDEX) as usize, sid.0 >> INDEX_BITS)
}

impl SidTable {
    /// An empty table holding up to [`MAX_INDEX`] SIDs.
    pub fn new() -> SidTable {
        SidTable::default()
    }

    /// An empty table holding up to `capacity` live SIDs (at most
    /// [`MAX_INDEX`]).
    pub fn with_capacity(capacity: usize) -> SidTable {
        SidTable {
            entries: Vec::new(),
            by_text: BTreeMap::new(),
            free: VecDeque::new(),
            live: 0,
            capacity: capacity.min(MAX_INDEX as usize),
            retired: 0,
        }
    }

    /// Changes the capacity (at most [`MAX_INDEX`]). Live SIDs beyond a
    /// smaller capacity stay; no new one is issued until enough are
    /// released.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.min(MAX_INDEX as usize);
    }

    /// Most live SIDs.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of live SIDs.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True if no SID is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Indices retired after [`MAX_GENERATION`] reuses (never issued again).
    pub fn retired(&self) -> usize {
        self.retired
    }

    /// A fresh SID for `text`: a free index at its current generation, or a
    /// new index.
    fn issue(&mut self, text: &str, ctx: Option<Context>) -> Result<Sid, PolicyError> {
        if self.live >= self.capacity {
            return Err(PolicyError::SidTableFull);
        }
        let index = match self.free.pop_front() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.entries.len() + 1).map_err(|_| PolicyError::SidTableFull)?;
                if i > MAX_INDEX {
                    return Err(PolicyError::SidTableFull);
                }
                self.entries.push(Entry { text: String::new(), ctx: None, generation: 0, live: false });
                i
            }
        };
        let e = &mut self.entries[index as usize - 1];
        *e = Entry { text: text.into(), ctx, generation: e.generation, live: true };
        self.live += 1;
        Ok(Sid(e.generation << INDEX_BITS | index))
    }

    /// Returns the SID of canonical context text `text` and whether it is
    /// new, issuing one (resolved to `ctx`) if needed.
    ///
    /// # Errors
    /// [`PolicyError::SidTableFull`] at capacity.
    pub fn intern_new(&mut self, text: &str, ctx: Context) -> Result<(Sid, bool), PolicyError> {
        if let Some(&s) = self.by_text.get(text) {
            if let Some(e) = self.entries.get_mut(split(Sid(s)).0 - 1) {
                e.ctx = Some(ctx);
            }
            return Ok((Sid(s), false));
        }
        let sid = self.issue(text, Some(ctx))?;
        self.by_text.insert(text.into(), sid.0);
        Ok((sid, true))
    }

    /// As [`SidTable::intern_new`], without saying whether it is new.
    ///
    /// # Errors
    /// [`PolicyError::SidTableFull`] at capacity.
    pub fn intern(&mut self, text: &str, ctx: Context) -> Result<Sid, PolicyError> {
        self.intern_new(text, ctx).map(|(s, _)| s)
    }

    /// Issues a new SID for `text` even if one exists (used for initial
    /// SIDs, which keep their numbers even when two share a context).
    ///
    /// # Errors
    /// [`PolicyError::SidTableFull`] at capacity.
    pub fn push(&mut self, text: &str, ctx: Option<Context>) -> Result<Sid, PolicyError> {
        let sid = self.issue(text, ctx)?;
        self.by_text.entry(text.into()).or_insert(sid.0);
        Ok(sid)
    }

    /// Replaces the text and context of a live SID (initial SIDs on
    /// reload).
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] if it is not live.
    pub fn set(&mut self, sid: Sid, text: &str, ctx: Option<Context>) -> Result<(), PolicyError> {
        let e = self.entry_mut(sid)?;
        e.text = text.into();
        e.ctx = ctx;
        self.by_text.entry(text.into()).or_insert(sid.0);
        Ok(())
    }

    /// Removes live SID `sid`. Its number is never issued again (see the
    /// module documentation).
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] if it is not live.
    pub fn release(&mut self, sid: Sid) -> Result<(), PolicyError> {
        let e = self.entry_mut(sid)?;
        let text = core::mem::take(&mut e.text);
        e.ctx = None;
        e.live = false;
        e.generation += 1;
        let reusable = e.generation <= MAX_GENERATION;
        if self.by_text.get(&text) == Some(&sid.0) {
            self.by_text.remove(&text);
        }
        self.live -= 1;
        if reusable {
            self.free.push_back(sid.0 & MAX_INDEX);
        } else {
            self.retired += 1;
        }
        Ok(())
    }

    /// True if `sid` is live (issued and not released).
    pub fn is_live(&self, sid: Sid) -> bool {
        self.entry(sid).is_ok()
    }

    /// The live SID of `text`, if any.
    pub fn find(&self, text: &str) -> Option<Sid> {
        self.by_text.get(text).map(|s| Sid(*s))
    }

    /// The context text of `sid`.
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] if it is not live.
    pub fn text(&self, sid: Sid) -> Result<&str, PolicyError> {
        self.entry(sid).map(|e| e.text.as_str())
    }

    /// The resolved context of `sid` (`None` if invalid under the current
    /// policy).
    ///
    /// # Errors
    /// [`PolicyError::UnknownSid`] if it is not live.
    pub fn context(&self, sid: Sid) -> Result<Option<&Context>, PolicyError> {
        self.entry(sid).map(|e| e.ctx.as_ref())
    }

    fn entry(&self, sid: Sid) -> Result<&Entry, PolicyError> {
        let (i, g) = split(sid);
        i.checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .filter(|e| e.live && e.generation == g)
            .ok_or(PolicyError::UnknownSid(sid.0))
    }

    fn entry_mut(&mut self, sid: Sid) -> Result<&mut Entry, PolicyError> {
        let (i, g) = split(sid);
        i.checked_sub(1)
            .and_then(|i| self.entries.get_mut(i))
            .filter(|e| e.live && e.generation == g)
            .ok_or(PolicyError::UnknownSid(sid.0))
    }

    /// Re-resolves every live entry with `resolve` (after a reload).
    pub fn reresolve(&mut self, mut resolve: impl FnMut(&str) -> Option<Context>) {
        for e in self.entries.iter_mut().filter(|e| e.live) {
            e.ctx = resolve(&e.text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(t: u32) -> Context {
        Context { user: 0, role: 0, ty: t, range: None }
    }

    #[test]
    fn released_numbers_never_come_back() {
        let mut t = SidTable::with_capacity(3);
        let a = t.push("init", None).unwrap();
        assert_eq!(a, Sid(1), "the first SIDs keep their historical numbers");
        let (b, new) = t.intern_new("b", ctx(1)).unwrap();
        assert!(new);
        assert_eq!(t.intern_new("b", ctx(1)).unwrap(), (b, false));
        t.release(b).unwrap();
        assert_eq!(t.text(b), Err(PolicyError::UnknownSid(b.0)), "a stale SID is unknown, not another context");
        assert_eq!(t.release(b), Err(PolicyError::UnknownSid(b.0)));
        assert_eq!(t.find("b"), None);
        let c = t.intern("c", ctx(2)).unwrap();
        assert_eq!(c.0 & MAX_INDEX, b.0 & MAX_INDEX, "the index is reused");
        assert_ne!(c, b, "with a new generation");
        assert_eq!(t.text(b), Err(PolicyError::UnknownSid(b.0)));
        assert_eq!(t.text(c), Ok("c"));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn capacity_is_enforced_and_freed_by_release() {
        let mut t = SidTable::with_capacity(2);
        let a = t.intern("a", ctx(1)).unwrap();
        t.intern("b", ctx(2)).unwrap();
        assert_eq!(t.intern("c", ctx(3)), Err(PolicyError::SidTableFull));
        assert_eq!(t.intern("a", ctx(1)), Ok(a), "an existing context needs no room");
        t.release(a).unwrap();
        assert!(t.intern("c", ctx(3)).is_ok());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn an_index_is_retired_after_its_last_generation() {
        let mut t = SidTable::with_capacity(4);
        let mut seen = alloc::collections::BTreeSet::new();
        for _ in 0..=MAX_GENERATION {
            let s = t.intern("x", ctx(1)).unwrap();
            assert!(seen.insert(s.0), "SID {s:?} issued twice");
            t.release(s).unwrap();
        }
        assert_eq!(t.retired(), 1);
        let s = t.intern("x", ctx(1)).unwrap();
        assert_eq!(s.0 & MAX_INDEX, 2, "the retired index is not reused");
        assert!(seen.insert(s.0));
    }

    #[test]
    fn never_issued_and_zero_are_unknown() {
        let t = SidTable::new();
        for s in [0, 1, MAX_INDEX, u32::MAX] {
            assert_eq!(t.text(Sid(s)), Err(PolicyError::UnknownSid(s)));
        }
    }
}
