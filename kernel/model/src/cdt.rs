//! The capability derivation tree as an explicit parent map (seL4 abstract
//! specification: `cap_insert`, `cap_move`, `empty_slot`, `is_final_cap`).
//!
//! A capability's CDT parent is the capability it was derived from, if that
//! one "controls" it: an untyped controls everything made or copied from
//! it; an original capability to an object controls its copies; an
//! unbadged original endpoint/notification controls its badged mints, and a
//! badged original its copies with the same badge. A copy of a capability
//! that controls nothing (a non-original copy) becomes its sibling. Revoke
//! deletes exactly the descendants.

use crate::state::{Cap, CapKind, SlotId, State};

/// seL4 `is_cap_revocable`: does a capability `new` derived from `src`
/// start a subtree of its own (is it an "original")?
pub fn is_revocable(new: &Cap, src: &Cap) -> bool {
    match new.kind {
        CapKind::Endpoint(_) | CapKind::Notification(_) => new.badge != src.badge,
        CapKind::Untyped { .. } => true,
        CapKind::IrqHandler(_) => src.kind == CapKind::IrqControl,
        CapKind::IoPort { .. } => src.kind == CapKind::IoPortControl,
        _ => false,
    }
}

impl State {
    /// Does the capability `outer` name a region or object containing what
    /// `inner` names (seL4 `same_region_as`)?
    pub fn covers_region(&self, outer: &Cap, inner: &Cap) -> bool {
        match outer.kind {
            CapKind::Untyped { .. } => {
                let (a, an) = self.cap_region(outer);
                let (b, bn) = self.cap_region(inner);
                bn > 0 && b >= a && b + bn <= a + an
            }
            CapKind::IrqControl => matches!(inner.kind, CapKind::IrqControl | CapKind::IrqHandler(_)),
            CapKind::IoPortControl => matches!(inner.kind, CapKind::IoPortControl | CapKind::IoPort { .. }),
            _ => {
                std::mem::discriminant(&outer.kind) == std::mem::discriminant(&inner.kind)
                    && outer.ident() == inner.ident()
            }
        }
    }

    /// seL4 `should_be_parent_of`: is the capability in `src` the CDT parent
    /// of `new` (whose originality is `new_original`)?
    fn should_be_parent(&self, src: SlotId, new: &Cap, new_original: bool) -> bool {
        let Some(sc) = self.cap(src) else { return false };
        if !self.original.contains(&src) || !self.covers_region(&sc, new) {
            return false;
        }
        if sc.is_badged_kind() { sc.badge == 0 || (sc.badge == new.badge && !new_original) } else { true }
    }

    /// The CDT parent of `s`.
    pub fn parent(&self, s: SlotId) -> Option<SlotId> {
        self.cdt.get(&s).copied()
    }

    /// The CDT children of `s`, in slot order.
    pub fn children(&self, s: SlotId) -> Vec<SlotId> {
        self.cdt.iter().filter(|(_, p)| **p == s).map(|(c, _)| *c).collect()
    }

    /// True if `s` has CDT children.
    pub fn has_children(&self, s: SlotId) -> bool {
        self.cdt.values().any(|p| *p == s)
    }

    /// Every descendant of `s` (children, their children, ...).
    pub fn descendants(&self, s: SlotId) -> Vec<SlotId> {
        let mut out = Vec::new();
        let mut todo = vec![s];
        while let Some(x) = todo.pop() {
            for c in self.children(x) {
                out.push(c);
                todo.push(c);
            }
        }
        out
    }

    /// Places an original capability with no parent in the empty slot `dest`
    /// (boot).
    pub fn insert_root(&mut self, cap: Cap, dest: SlotId) {
        self.set_cap(dest, Some(cap));
        self.cdt.remove(&dest);
        self.original.insert(dest);
    }

    /// Places the capability of a new object, a child of the untyped in
    /// `parent`, in the empty slot `dest` (Retype).
    pub fn insert_new(&mut self, cap: Cap, parent: SlotId, dest: SlotId) {
        self.set_cap(dest, Some(cap));
        self.cdt.insert(dest, parent);
        self.original.insert(dest);
    }

    /// seL4 `cap_insert`: puts `new`, derived from the capability in `src`,
    /// in the empty slot `dest`. (Untyped capabilities are never copied,
    /// see [`State::derive`].)
    pub fn cap_insert(&mut self, new: Cap, src: SlotId, dest: SlotId) {
        let sc = self.cap(src).expect("source capability");
        let new_original = is_revocable(&new, &sc);
        let parent = if self.should_be_parent(src, &new, new_original) { Some(src) } else { self.parent(src) };
        self.set_cap(dest, Some(new));
        match parent {
            Some(p) => self.cdt.insert(dest, p),
            None => self.cdt.remove(&dest),
        };
        if new_original {
            self.original.insert(dest);
        } else {
            self.original.remove(&dest);
        }
    }

    /// seL4 `cap_move`: moves the capability in `src` to the empty slot
    /// `dest` as `new`, keeping its place in the tree.
    pub fn cap_move(&mut self, new: Cap, src: SlotId, dest: SlotId) {
        self.set_cap(src, None);
        self.set_cap(dest, Some(new));
        if let Some(p) = self.cdt.remove(&src) {
            self.cdt.insert(dest, p);
        }
        for p in self.cdt.values_mut() {
            if *p == src {
                *p = dest;
            }
        }
        if self.original.remove(&src) {
            self.original.insert(dest);
        }
    }

    /// Empties `s` without finalising anything: its children become
    /// children of its parent (seL4 `empty_slot`).
    pub fn empty_slot(&mut self, s: SlotId) {
        let parent = self.cdt.remove(&s);
        let kids = self.children(s);
        for c in kids {
            match parent {
                Some(p) => self.cdt.insert(c, p),
                None => self.cdt.remove(&c),
            };
        }
        self.original.remove(&s);
        self.set_cap(s, None);
    }

    /// True if the capability in `s` is the last one naming its object
    /// (always for untyped memory, which is not an object).
    pub fn is_final(&self, s: SlotId) -> bool {
        let Some(c) = self.cap(s) else { return false };
        let Some(id) = c.ident() else { return true };
        !self.all_caps().iter().any(|(s2, c2)| *s2 != s && c2.ident() == Some(id))
    }
}
