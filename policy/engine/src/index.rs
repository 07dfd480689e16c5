//! [`PolicyIndex`]: a validated [`PolicyDb`] plus the lookup structures the
//! models need (access-vector table for the current boolean values,
//! per-type attribute lists, transition table, permission map).
//!
//! Access-vector lookup follows SELinux: rules keep the attributes they were
//! written with, and a query for concrete types `(s, t)` looks up every
//! pair in `ids(s) × ids(t)`, where `ids(x)` is `x` plus its attributes.

use alloc::string::String;
use alloc::vec::Vec;
use hashbrown::HashMap;

use crate::cond::eval_cond;
use crate::db::{AvRule, PolicyDb, RuleKind};
use crate::error::PolicyError;
use crate::ids::AccessVector;
use crate::mls::MlsRange;
use crate::permmap::{ClassFlows, flow_table};

/// The three vectors stored per (source, target, class) key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AvEntry {
    /// Union of `allow` rules.
    pub allow: AccessVector,
    /// Union of `auditallow` rules.
    pub auditallow: AccessVector,
    /// Union of `dontaudit` rules.
    pub dontaudit: AccessVector,
}

/// `(src, tgt, class)` -> list of `(object name, new type)`, named first.
type TransitionTable = HashMap<(u32, u32, u16), Vec<(Option<String>, u32)>>;

/// A validated policy with its lookup structures.
#[derive(Clone, Debug)]
pub struct PolicyIndex {
    /// The policy.
    pub db: PolicyDb,
    /// Current boolean values (index = boolean id).
    pub bools: Vec<bool>,
    /// Effective rules for the current boolean values.
    avtab: HashMap<(u32, u32, u16), AvEntry>,
    /// `ids(x)`: for each type, itself followed by its attributes.
    type_ids: Vec<Vec<u32>>,
    /// `(src, tgt, class)` -> list of `(name, new type)`, unnamed last.
    transitions: TransitionTable,
    /// Permission map per class.
    flows: Vec<ClassFlows>,
    /// Number of the `process` class, if the policy defines it.
    pub process_class: Option<u16>,
    /// Index of the `object_r` role, if defined.
    pub object_role: Option<u32>,
    /// `(role, type, class)` -> new role (`role_transition`).
    role_trans: HashMap<(u32, u32, u16), u32>,
    /// `(src, tgt, class)` -> new range (`range_transition`).
    range_trans: HashMap<(u32, u32, u16), MlsRange>,
    /// child type -> its bound (`typebounds`).
    bounds: HashMap<u32, u32>,
}

impl PolicyIndex {
    /// Builds the index for an already validated policy, with booleans at
    /// their defaults.
    pub fn new(db: PolicyDb) -> PolicyIndex {
        let bools = db.bools.iter().map(|b| b.default).collect();
        let type_ids = db
            .types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut v = Vec::with_capacity(1 + t.attrs.len());
                v.push(u32::try_from(i).unwrap_or(u32::MAX));
                v.extend_from_slice(&t.attrs);
                v
            })
            .collect();
        let mut transitions = TransitionTable::new();
        for t in &db.transitions {
            transitions.entry((t.src, t.tgt, t.class)).or_default().push((t.name.clone(), t.new_type));
        }
        for v in transitions.values_mut() {
            v.sort_by_key(|(n, _)| n.is_none());
        }
        let flows = flow_table(&db, &[]);
        let process_class = db.class_id("process");
        let object_role = db.role_id("object_r");
        let role_trans = db.role_transitions.iter().map(|r| ((r.role, r.ty, r.class), r.new_role)).collect();
        let range_trans = db.range_transitions.iter().map(|r| ((r.src, r.tgt, r.class), r.range.clone())).collect();
        let bounds = db.bounds.iter().map(|b| (b.child, b.parent)).collect();
        let mut idx = PolicyIndex {
            db,
            bools,
            avtab: HashMap::new(),
            type_ids,
            transitions,
            flows,
            process_class,
            object_role,
            role_trans,
            range_trans,
            bounds,
        };
        idx.rebuild_avtab();
        idx
    }

    /// Recomputes the effective rules after a boolean change.
    pub fn rebuild_avtab(&mut self) {
        let mut tab: HashMap<(u32, u32, u16), AvEntry> = HashMap::new();
        let mut add = |r: &AvRule| {
            let e = tab.entry((r.src, r.tgt, r.class)).or_default();
            match r.kind {
                RuleKind::Allow => e.allow |= r.perms,
                RuleKind::AuditAllow => e.auditallow |= r.perms,
                RuleKind::DontAudit => e.dontaudit |= r.perms,
            }
        };
        self.db.rules.iter().for_each(&mut add);
        for c in &self.db.conds {
            let branch = if eval_cond(&c.expr, &self.bools) { &c.if_true } else { &c.if_false };
            branch.iter().for_each(&mut add);
        }
        self.avtab = tab;
    }

    /// Sets boolean `name` and rebuilds the effective rules.
    ///
    /// # Errors
    /// [`PolicyError::UnknownName`] if no such boolean exists.
    pub fn set_bool(&mut self, name: &str, value: bool) -> Result<(), PolicyError> {
        let i = self.db.bool_id(name).ok_or_else(|| PolicyError::UnknownName(name.into()))?;
        if let Some(b) = self.bools.get_mut(i as usize) {
            *b = value;
        }
        self.rebuild_avtab();
        Ok(())
    }

    /// `ids(t)`: the type itself and its attributes (empty if out of range).
    pub fn ids(&self, t: u32) -> &[u32] {
        self.type_ids.get(t as usize).map_or(&[], |v| v.as_slice())
    }

    /// The union of the rules matching concrete types `s`, `t` and `class`.
    pub fn lookup(&self, s: u32, t: u32, class: u16) -> AvEntry {
        let mut out = AvEntry::default();
        for &a in self.ids(s) {
            for &b in self.ids(t) {
                if let Some(e) = self.avtab.get(&(a, b, class)) {
                    out.allow |= e.allow;
                    out.auditallow |= e.auditallow;
                    out.dontaudit |= e.dontaudit;
                }
            }
        }
        out
    }

    /// The `type_transition` result for `(s, t, class)` and an optional
    /// object name: a rule naming `name` wins over an unnamed rule.
    pub fn transition(&self, s: u32, t: u32, class: u16, name: Option<&str>) -> Option<u32> {
        let v = self.transitions.get(&(s, t, class))?;
        v.iter()
            .find(|(n, _)| n.is_some() && n.as_deref() == name)
            .or_else(|| v.iter().find(|(n, _)| n.is_none()))
            .map(|(_, ty)| *ty)
    }

    /// The `role_transition` result for a process in `role` creating an
    /// object of `class` from (executing, or in) an object of type `ty`.
    pub fn role_transition(&self, role: u32, ty: u32, class: u16) -> Option<u32> {
        self.role_trans.get(&(role, ty, class)).copied()
    }

    /// The `range_transition` result for `(s, t, class)`.
    pub fn range_transition(&self, s: u32, t: u32, class: u16) -> Option<&MlsRange> {
        self.range_trans.get(&(s, t, class))
    }

    /// The type bounding concrete type `t` (`typebounds`), if any.
    pub fn bound_of(&self, t: u32) -> Option<u32> {
        self.bounds.get(&t).copied()
    }

    /// The permission map of class number `class`.
    pub fn flows(&self, class: u16) -> Option<&ClassFlows> {
        usize::from(class).checked_sub(1).and_then(|i| self.flows.get(i))
    }

    /// True if concrete type `t` is exempt from the lattice rules.
    pub fn is_trusted(&self, t: u32) -> bool {
        self.db.mls.as_ref().is_some_and(|m| m.trusted.binary_search(&t).is_ok())
    }

    /// The full permission mask of class `class` (0 if unknown).
    pub fn class_mask(&self, class: u16) -> AccessVector {
        match self.db.class(class) {
            Some(c) if c.perms.len() >= 32 => u32::MAX,
            Some(c) => (1u32 << c.perms.len()) - 1,
            None => 0,
        }
    }
}
