//! `check`: every `neverallow` against every rule.
//!
//! A rule violates `neverallow S T : C P` when it is an `allow` on class
//! `C` granting some permission in `P`, and some concrete source type of
//! the rule is in `S` while some concrete target type is in `T` (or, for a
//! `self` target, the rule's source and target share a concrete type that
//! is in `S`). Conditional rules count whatever the booleans' values, so a
//! clean check holds for every boolean setting. Under the `allow-all` model
//! every permission is granted, so every non-empty neverallow is violated
//! by the model itself.

use rampart_policy::PolicyDb;
use rampart_policy::db::{NeverAllow, RuleKind};

use crate::rules::{Members, RuleRef, all_rules, rule_text};

/// One neverallow violation.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Index of the neverallow in `db.neverallows`.
    pub neverallow: usize,
    /// The offending rule as text with its source position, or a note
    /// that the model grants everything.
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

fn witness(m: &Members, n: &NeverAllow, r: RuleRef<'_>) -> Option<(u32, u32)> {
    let srcs = m.of(r.rule.src);
    let tgts = m.of(r.rule.tgt);
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

/// Checks every neverallow of `db`; returns the violations (empty = pass).
pub fn check(db: &PolicyDb) -> Vec<Violation> {
    let m = Members::new(db);
    let rules = all_rules(db);
    let mut out = Vec::new();
    for (i, n) in db.neverallows.iter().enumerate() {
        if db.model == "allow-all" {
            let t = n.tgt.first().copied().or(if n.tgt_self { n.src.first().copied() } else { None });
            if let (Some(s), Some(t)) = (n.src.first(), t) {
                out.push(Violation {
                    neverallow: i,
                    rule: "model allow-all grants every permission".into(),
                    source: db.type_name(*s).into(),
                    target: db.type_name(t).into(),
                    perms: db.perm_names(n.class, n.perms).into_iter().map(String::from).collect(),
                });
            }
            continue;
        }
        for r in &rules {
            let rule = r.rule;
            if rule.kind != RuleKind::Allow || rule.class != n.class || rule.perms & n.perms == 0 {
                continue;
            }
            if let Some((s, t)) = witness(&m, n, *r) {
                out.push(Violation {
                    neverallow: i,
                    rule: rule_text(db, *r),
                    source: db.type_name(s).into(),
                    target: db.type_name(t).into(),
                    perms: db.perm_names(n.class, rule.perms & n.perms).into_iter().map(String::from).collect(),
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
