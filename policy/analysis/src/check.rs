//! `check`: every `neverallow` against every rule.
//!
//! A rule violates `neverallow S T : C P` when it is an `allow` on class
//! `C` granting some permission in `P`, and some concrete source type of
//! the rule is in `S` while some concrete target type is in `T` (or, for a
//! `self` target, the rule's source and target share a concrete type that
//! is in `S`). Conditional rules count whatever the booleans' values, so a
//! clean check holds for every boolean setting.
//!
//! What the model grants beyond the rules comes from its declaration
//! ([`ModelGrants`]): each extra grant is checked like a rule, and a model
//! granting everything (`allow-all`) violates every non-empty neverallow by
//! itself.

use crate::prelude::*;
use rampart_policy::PolicyDb;
use rampart_policy::db::{NeverAllow, RuleKind};

use crate::model::{ModelGrants, Scope};
use crate::rules::{Members, all_rules, perms_text, rule_text};

/// One neverallow violation.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Index of the neverallow in `db.neverallows`.
    pub neverallow: usize,
    /// The offending rule as text with its source position, or the
    /// model's grant beyond the rules.
    pub rule: String,
    /// An example source type (name).
    pub source: String,
    /// An example target type (name).
    pub target: String,
    /// The forbidden permissions the rule grants.
    pub perms: Vec<String>,
}

fn first_common(a: &[u32], b: &[u32]) -> Option<u32> {
    a.iter().copied().find(|x| b.binary_search(x).is_ok())
}

/// A (source, target) pair of `srcs` × `tgts` that `n` forbids.
fn witness(n: &NeverAllow, srcs: &[u32], tgts: &[u32]) -> Option<(u32, u32)> {
    if let Some(s) = first_common(srcs, &n.src)
        && let Some(t) = first_common(tgts, &n.tgt)
    {
        return Some((s, t));
    }
    if n.tgt_self {
        let s = srcs.iter().copied().find(|s| n.src.binary_search(s).is_ok() && tgts.binary_search(s).is_ok())?;
        return Some((s, s));
    }
    None
}

/// Checks every neverallow of `db` against its rules and what `model`
/// grants beyond them; returns the violations (empty = pass).
pub fn check(db: &PolicyDb, model: &ModelGrants) -> Vec<Violation> {
    let m = Members::new(db);
    let rules = all_rules(db);
    let mut out = Vec::new();
    let perms = |class: u16, p: u32| db.perm_names(class, p).into_iter().map(String::from).collect::<Vec<_>>();
    for (i, n) in db.neverallows.iter().enumerate() {
        if *model.scope() == Scope::Everything {
            let t = n.tgt.first().copied().or(if n.tgt_self { n.src.first().copied() } else { None });
            if let (Some(s), Some(t)) = (n.src.first(), t) {
                out.push(Violation {
                    neverallow: i,
                    rule: format!("model {} grants every permission", model.name()),
                    source: db.type_name(*s).into(),
                    target: db.type_name(t).into(),
                    perms: perms(n.class, n.perms),
                });
            }
            continue;
        }
        for r in &rules {
            let rule = r.rule;
            if rule.kind != RuleKind::Allow || rule.class != n.class || rule.perms & n.perms == 0 {
                continue;
            }
            if let Some((s, t)) = witness(n, m.of(rule.src), m.of(rule.tgt)) {
                out.push(Violation {
                    neverallow: i,
                    rule: rule_text(db, *r),
                    source: db.type_name(s).into(),
                    target: db.type_name(t).into(),
                    perms: perms(n.class, rule.perms & n.perms),
                });
            }
        }
        for e in model.extras() {
            if e.class != n.class || e.perms & n.perms == 0 {
                continue;
            }
            if let Some((s, t)) = witness(n, &e.src, &e.tgt) {
                out.push(Violation {
                    neverallow: i,
                    rule: format!(
                        "model {} grants {} beyond the rules: {}",
                        model.name(),
                        perms_text(db, e.class, e.perms),
                        e.reason
                    ),
                    source: db.type_name(s).into(),
                    target: db.type_name(t).into(),
                    perms: perms(n.class, e.perms & n.perms),
                });
            }
        }
    }
    out
}

/// Formats a violation as a multi-line report:
/// `file:line:col: neverallow violated: TEXT` then the offending rule.
pub fn report(db: &PolicyDb, v: &Violation) -> String {
    let n = &db.neverallows[v.neverallow];
    format!(
        "{}: neverallow violated: {}\n    {} -> {} : {} {{ {} }}\n    by: {}",
        db.origin_string(n.origin),
        n.text,
        v.source,
        v.target,
        db.class(n.class).map_or("?", |c| c.name.as_str()),
        v.perms.join(" "),
        v.rule
    )
}
