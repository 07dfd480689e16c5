//! `query`: search rules by source, target, class, permission and kind,
//! like SETools' `sesearch`.
//!
//! Name matching is *indirect* by default: a type `X` matches rules
//! written on `X` or on any attribute that contains `X`, and an attribute
//! matches rules on any type or attribute sharing a member with it. With
//! `direct`, only rules written with exactly that name match. Permissions
//! match when the rule grants *any* of them.
//!
//! A query lists rules. When the policy's model grants beyond its rules,
//! [`model_notes`] says what else matches, from the model's declaration.

use crate::prelude::*;
use rampart_policy::PolicyDb;
use rampart_policy::db::RuleKind;

use crate::model::{ModelGrants, Scope};
use crate::rules::{Members, all_rules, perms_text, rule_text};

/// Which rule kinds a query covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueryKind {
    /// `allow` / `auditallow` / `dontaudit`.
    Av(RuleKind),
    /// `neverallow`.
    NeverAllow,
    /// `type_transition`.
    TypeTransition,
}

/// A query; `None` fields match anything.
#[derive(Clone, Debug, Default)]
pub struct Query {
    /// Source type or attribute.
    pub source: Option<String>,
    /// Target type or attribute.
    pub target: Option<String>,
    /// Class name.
    pub class: Option<String>,
    /// Permissions (any of).
    pub perms: Vec<String>,
    /// Kinds (empty = `allow` only).
    pub kinds: Vec<QueryKind>,
    /// Match names exactly instead of through attributes.
    pub direct: bool,
}

/// A name in a query that the policy does not define.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName(pub String);

impl core::fmt::Display for UnknownName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "unknown name `{}` in query", self.0)
    }
}

struct Matcher<'a> {
    m: &'a Members,
    id: Option<(u32, &'a [u32])>,
    direct: bool,
}

impl Matcher<'_> {
    fn id_matches(&self, rule_id: u32) -> bool {
        match self.id {
            None => true,
            Some((id, _)) if self.direct => rule_id == id,
            Some((id, members)) => rule_id == id || self.m.of(rule_id).iter().any(|t| members.binary_search(t).is_ok()),
        }
    }

    fn set_matches(&self, set: &[u32]) -> bool {
        match self.id {
            None => true,
            Some((_, members)) => set.iter().any(|t| members.binary_search(t).is_ok()),
        }
    }
}

/// Runs a query; returns matching rules as source text with positions.
///
/// # Errors
/// [`UnknownName`] for a type, attribute, class or permission the policy
/// does not define.
pub fn query(db: &PolicyDb, q: &Query) -> Result<Vec<String>, UnknownName> {
    run(db, q, None)
}

/// What `model` grants beyond the rules that matches `q` (with `allow`
/// among its kinds), one line each: nothing for a model that only follows
/// its rules, one line for a model granting everything, and each matching
/// extra grant (`SOURCES TARGETS : CLASS PERMS`, then the model's reason).
/// Type names match extra grants through their members, whatever
/// `direct` says.
///
/// # Errors
/// As [`query`].
pub fn model_notes(db: &PolicyDb, model: &ModelGrants, q: &Query) -> Result<Vec<String>, UnknownName> {
    run(db, q, Some(model))
}

fn types_text(db: &PolicyDb, set: &[u32]) -> String {
    let concrete = db.types.iter().filter(|t| !t.attribute).count();
    match set {
        [one] => db.type_name(*one).to_string(),
        s if s.len() == concrete => "*".into(),
        s => format!("{{ {} }}", s.iter().map(|t| db.type_name(*t)).collect::<Vec<_>>().join(" ")),
    }
}

fn run(db: &PolicyDb, q: &Query, model: Option<&ModelGrants>) -> Result<Vec<String>, UnknownName> {
    let m = Members::new(db);
    let resolve = |n: &Option<String>| -> Result<Option<(u32, &[u32])>, UnknownName> {
        match n {
            None => Ok(None),
            Some(n) => {
                let id = db.type_id(n).ok_or_else(|| UnknownName(n.clone()))?;
                Ok(Some((id, m.of(id))))
            }
        }
    };
    let src = Matcher { m: &m, id: resolve(&q.source)?, direct: q.direct };
    let tgt = Matcher { m: &m, id: resolve(&q.target)?, direct: q.direct };
    let class = match &q.class {
        Some(c) => Some(db.class_id(c).ok_or_else(|| UnknownName(c.clone()))?),
        None => None,
    };
    let perm_mask = |c: u16| -> Result<u32, UnknownName> {
        q.perms.iter().try_fold(0, |acc, p| match db.perm_bit(c, p) {
            Some(b) => Ok(acc | b),
            None if class.is_some() => Err(UnknownName(p.clone())),
            None => Ok(acc),
        })
    };
    if let Some(c) = class {
        perm_mask(c)?;
    }
    let perms_ok = |c: u16, p: u32| -> bool { q.perms.is_empty() || perm_mask(c).is_ok_and(|m| m & p != 0) };
    let kinds = if q.kinds.is_empty() { vec![QueryKind::Av(RuleKind::Allow)] } else { q.kinds.clone() };
    let mut out = Vec::new();
    if let Some(model) = model {
        if !kinds.contains(&QueryKind::Av(RuleKind::Allow)) {
            return Ok(out);
        }
        if *model.scope() == Scope::Everything {
            out.push(format!("model {} grants every permission whatever the rules say", model.name()));
        }
        for e in model.extras() {
            if class.is_none_or(|c| c == e.class)
                && src.set_matches(&e.src)
                && tgt.set_matches(&e.tgt)
                && perms_ok(e.class, e.perms)
            {
                out.push(format!(
                    "model {} grants {} {} : {} {} beyond the rules: {}",
                    model.name(),
                    types_text(db, &e.src),
                    types_text(db, &e.tgt),
                    db.class(e.class).map_or("?", |c| c.name.as_str()),
                    perms_text(db, e.class, e.perms),
                    e.reason
                ));
            }
        }
        return Ok(out);
    }
    for r in all_rules(db) {
        let rule = r.rule;
        if kinds.contains(&QueryKind::Av(rule.kind))
            && class.is_none_or(|c| c == rule.class)
            && src.id_matches(rule.src)
            && tgt.id_matches(rule.tgt)
            && perms_ok(rule.class, rule.perms)
        {
            out.push(rule_text(db, r));
        }
    }
    if kinds.contains(&QueryKind::NeverAllow) {
        for n in &db.neverallows {
            if class.is_none_or(|c| c == n.class)
                && src.set_matches(&n.src)
                && (tgt.set_matches(&n.tgt) || (n.tgt_self && tgt.set_matches(&n.src)))
                && perms_ok(n.class, n.perms)
            {
                out.push(format!("{}  # {}", n.text, db.origin_string(n.origin)));
            }
        }
    }
    if kinds.contains(&QueryKind::TypeTransition) {
        for t in &db.transitions {
            if class.is_none_or(|c| c == t.class) && src.id_matches(t.src) && tgt.id_matches(t.tgt) {
                let name = t.name.as_ref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
                out.push(format!(
                    "type_transition {} {} : {} {}{};  # {}",
                    db.type_name(t.src),
                    db.type_name(t.tgt),
                    db.class(t.class).map_or("?", |c| c.name.as_str()),
                    db.type_name(t.new_type),
                    name,
                    db.origin_string(t.origin)
                ));
            }
        }
    }
    Ok(out)
}
