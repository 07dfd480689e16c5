//! The `typebounds` check: a bounded (child) type may not be granted any
//! permission its bound (parent) lacks, where a rule's target that is the
//! child itself counts as the parent (SELinux's bounds rule, checked at
//! build time like `checkpolicy` does). Unconditional `allow` rules of the
//! child are checked against the parent's unconditional rules; a
//! conditional rule against the parent's unconditional rules plus those in
//! the same branch. Bounds chain: the parent's own bound is checked for it.

use crate::prelude::*;
use alloc::collections::BTreeSet;
use hashbrown::HashMap;

use rampart_policy::db::{AvRule, PolicyDb, RuleKind};

use crate::diag::{Diagnostics, Span};
use crate::symbols::Symbols;

/// `(source, target, class)` -> allowed vector, for concrete types.
type Grants = HashMap<(u32, u32, u16), u32>;

fn add(g: &mut Grants, sym: &Symbols, keep: &BTreeSet<u32>, rules: &[AvRule]) {
    for r in rules.iter().filter(|r| r.kind == RuleKind::Allow) {
        let srcs: Vec<u32> = sym.expand(r.src).into_iter().filter(|s| keep.contains(s)).collect();
        if srcs.is_empty() {
            continue;
        }
        let tgts = sym.expand(r.tgt);
        for &s in &srcs {
            for &t in &tgts {
                *g.entry((s, t, r.class)).or_default() |= r.perms;
            }
        }
    }
}

fn span_of(r: &AvRule) -> Span {
    r.origin.map_or(Span { file: 0, line: 0, col: 0 }, |o| Span { file: o.file, line: o.line, col: o.col })
}

/// Reports every rule that grants a bounded type more than its bound.
pub fn check(db: &PolicyDb, sym: &Symbols, d: &mut Diagnostics) {
    if db.bounds.is_empty() {
        return;
    }
    let keep: BTreeSet<u32> = db.bounds.iter().flat_map(|b| [b.parent, b.child]).collect();
    let mut base = Grants::new();
    add(&mut base, sym, &keep, &db.rules);
    let mut branches: Vec<(Grants, &[AvRule])> = vec![(base.clone(), &db.rules)];
    for c in &db.conds {
        for rules in [&c.if_true, &c.if_false] {
            let mut g = base.clone();
            add(&mut g, sym, &keep, rules);
            branches.push((g, rules));
        }
    }
    for b in &db.bounds {
        let (pn, cn) = (&sym.types[b.parent as usize].name, &sym.types[b.child as usize].name);
        for (grants, rules) in &branches {
            for r in rules.iter().filter(|r| r.kind == RuleKind::Allow) {
                if !sym.expand(r.src).contains(&b.child) {
                    continue;
                }
                for t in sym.expand(r.tgt) {
                    let target = if t == b.child { b.parent } else { t };
                    let has = grants.get(&(b.parent, target, r.class)).copied().unwrap_or(0);
                    let extra = r.perms & !has;
                    if extra == 0 {
                        continue;
                    }
                    let class = db.class(r.class).map_or("?", |c| c.name.as_str());
                    let m = format!(
                        "typebounds violation: `{cn}` is granted {{ {} }} on `{}` : {class}, which its bound `{pn}` is not",
                        db.perm_names(r.class, extra).join(" "),
                        sym.types[t as usize].name,
                    );
                    d.error(span_of(r), m);
                }
            }
        }
    }
}
