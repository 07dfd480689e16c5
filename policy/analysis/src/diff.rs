//! `polc diff` (like SETools' `sediff`): what changed between two
//! policies, by name (numbers differ between policies), section by
//! section, and which direct information flows appear or disappear.
//!
//! Every section is a map from a key (a type, a rule's `source target :
//! class`, a file pattern, ...) to a set of values (its attributes, its
//! permissions, its context, ...): a key only in the new policy is
//! *added*, only in the old one *removed*, and in both with different
//! values *changed* (the values added and removed are listed). Rules are
//! compared after attribute expansion to concrete types, so moving a rule
//! from a type to an attribute that contains it changes nothing.

use crate::prelude::*;
use alloc::collections::{BTreeMap, BTreeSet};

use rampart_policy::PolicyDb;
use rampart_policy::context::{format_context, format_level, format_range};
use rampart_policy::db::{AvRule, ConsNode, Field, Side};

use crate::flow::{FlowGraph, FlowOptions};
use crate::model::ModelGrants;
use crate::rules::{Members, cond_text};

/// One section: key -> values.
pub type Facts = BTreeMap<String, BTreeSet<String>>;

/// What changed in one section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SectionDiff {
    /// Section title (`types`, `allow rules`, ...).
    pub title: String,
    /// Keys only in the new policy, with their values.
    pub added: Vec<(String, Vec<String>)>,
    /// Keys only in the old policy, with their values.
    pub removed: Vec<(String, Vec<String>)>,
    /// Keys in both with different values: (key, values added, values removed).
    pub changed: Vec<(String, Vec<String>, Vec<String>)>,
}

impl SectionDiff {
    /// True if nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Compares two sections.
pub fn diff_facts(title: &str, old: &Facts, new: &Facts) -> SectionDiff {
    let mut d = SectionDiff { title: title.into(), ..Default::default() };
    for (k, v) in new {
        match old.get(k) {
            None => d.added.push((k.clone(), v.iter().cloned().collect())),
            Some(o) if o != v => {
                d.changed.push((k.clone(), v.difference(o).cloned().collect(), o.difference(v).cloned().collect()))
            }
            Some(_) => {}
        }
    }
    for (k, v) in old {
        if !new.contains_key(k) {
            d.removed.push((k.clone(), v.iter().cloned().collect()));
        }
    }
    d
}

fn put(f: &mut Facts, key: String, value: impl Into<String>) {
    f.entry(key).or_default().insert(value.into());
}

fn key_only(f: &mut Facts, key: String) {
    f.entry(key).or_default();
}

fn class_name(db: &PolicyDb, c: u16) -> &str {
    db.class(c).map_or("?", |c| c.name.as_str())
}

fn range_text(db: &PolicyDb, r: &rampart_policy::MlsRange) -> String {
    db.mls.as_ref().map_or_else(|| "?".into(), |m| format_range(m, r))
}

/// Expanded access-vector rules: `KIND src tgt : class` -> permissions.
fn av_facts(db: &PolicyDb, m: &Members, rules: &[AvRule], prefix: &str, f: &mut Facts) {
    for r in rules {
        for &s in m.of(r.src) {
            for &t in m.of(r.tgt) {
                let key = format!(
                    "{prefix}{} {} {} : {}",
                    r.kind.keyword(),
                    db.type_name(s),
                    db.type_name(t),
                    class_name(db, r.class)
                );
                for p in db.perm_names(r.class, r.perms) {
                    put(f, key.clone(), p);
                }
            }
        }
    }
}

/// A constraint expression in the source language's infix form.
pub fn cons_text(db: &PolicyDb, expr: &[ConsNode]) -> String {
    let side = |s: Side| match s {
        Side::Source => '1',
        Side::Target => '2',
        Side::Task => '3',
    };
    let field = |f: Field| match f {
        Field::User => 'u',
        Field::Role => 'r',
        Field::Type => 't',
    };
    let mut st: Vec<String> = Vec::new();
    for n in expr {
        let s = match n {
            ConsNode::Not => format!("not {}", st.pop().unwrap_or_default()),
            ConsNode::And | ConsNode::Or => {
                let b = st.pop().unwrap_or_default();
                let a = st.pop().unwrap_or_default();
                format!("({a} {} {b})", if matches!(n, ConsNode::And) { "and" } else { "or" })
            }
            ConsNode::SameField { field: f, negate } => {
                let c = field(*f);
                format!("{c}1 {} {c}2", if *negate { "!=" } else { "==" })
            }
            ConsNode::FieldIn { field: f, side: sd, ids, negate } => {
                let names: Vec<&str> = ids
                    .iter()
                    .map(|&i| match f {
                        Field::Type => db.type_name(i),
                        Field::Role => db.roles.get(i as usize).map_or("?", |r| r.name.as_str()),
                        Field::User => db.users.get(i as usize).map_or("?", |u| u.name.as_str()),
                    })
                    .collect();
                format!("{}{} {} {{ {} }}", field(*f), side(*sd), if *negate { "!=" } else { "==" }, names.join(" "))
            }
            ConsNode::Levels { left, op, right } => {
                let l = |r: rampart_policy::db::LevelRef| format!("{}{}", if r.high { 'h' } else { 'l' }, side(r.side));
                format!("{} {} {}", l(*left), op.keyword(), l(*right))
            }
        };
        st.push(s);
    }
    st.pop().unwrap_or_default()
}

/// The comparable facts of `db`, by section title (in output order).
pub fn facts(db: &PolicyDb) -> Vec<(&'static str, Facts)> {
    let m = Members::new(db);
    let mut out: Vec<(&'static str, Facts)> = Vec::new();
    let mut f = Facts::new();
    put(&mut f, "model".into(), db.model.clone());
    out.push(("model", f));
    let mut f = Facts::new();
    for c in &db.classes {
        key_only(&mut f, c.name.clone());
        for p in &c.perms {
            put(&mut f, c.name.clone(), p.clone());
        }
    }
    out.push(("classes", f));
    let (mut types, mut attrs) = (Facts::new(), Facts::new());
    for t in &db.types {
        let target = if t.attribute { &mut attrs } else { &mut types };
        key_only(target, t.name.clone());
        for a in &t.attrs {
            put(target, t.name.clone(), db.type_name(*a));
        }
        for a in &t.aliases {
            put(target, t.name.clone(), format!("alias {a}"));
        }
    }
    out.push(("types", types));
    out.push(("attributes", attrs));
    let mut f = Facts::new();
    for r in &db.roles {
        key_only(&mut f, r.name.clone());
        for t in &r.types {
            put(&mut f, r.name.clone(), db.type_name(*t));
        }
    }
    for (a, b) in &db.role_allows {
        let name = |i: u32| db.roles.get(i as usize).map_or("?", |r| r.name.as_str());
        put(&mut f, format!("allow {}", name(*a)), name(*b));
    }
    out.push(("roles", f));
    let mut f = Facts::new();
    for u in &db.users {
        key_only(&mut f, u.name.clone());
        for r in &u.roles {
            put(&mut f, u.name.clone(), db.roles.get(*r as usize).map_or("?", |r| r.name.as_str()));
        }
        if let (Some(l), Some(mls)) = (&u.default_level, &db.mls) {
            put(&mut f, u.name.clone(), format!("level {}", format_level(mls, l)));
        }
        if let Some(r) = &u.range {
            put(&mut f, u.name.clone(), format!("range {}", range_text(db, r)));
        }
    }
    out.push(("users", f));
    let mut f = Facts::new();
    if let Some(mls) = &db.mls {
        for s in &mls.sensitivities {
            key_only(&mut f, format!("sensitivity {}", s.name));
        }
        for c in &mls.categories {
            key_only(&mut f, format!("category {}", c.name));
        }
        put(&mut f, "defaultlevel".into(), format_level(mls, &mls.default_level));
        for t in &mls.trusted {
            put(&mut f, "mlstrusted".into(), db.type_name(*t));
        }
    }
    out.push(("MLS lattice", f));
    let mut f = Facts::new();
    for b in &db.bools {
        put(&mut f, b.name.clone(), format!("default {}", b.default));
    }
    out.push(("booleans", f));
    let mut f = Facts::new();
    av_facts(db, &m, &db.rules, "", &mut f);
    out.push(("access-vector rules", f));
    let mut f = Facts::new();
    for c in &db.conds {
        let e = cond_text(db, &c.expr);
        av_facts(db, &m, &c.if_true, &format!("if ({e}) "), &mut f);
        av_facts(db, &m, &c.if_false, &format!("if !({e}) "), &mut f);
    }
    out.push(("conditional rules", f));
    let mut f = Facts::new();
    for t in &db.transitions {
        let name = t.name.as_ref().map_or(String::new(), |n| format!(" \"{n}\""));
        let key = format!(
            "type_transition {} {} : {}{name}",
            db.type_name(t.src),
            db.type_name(t.tgt),
            class_name(db, t.class)
        );
        put(&mut f, key, db.type_name(t.new_type));
    }
    let role = |i: u32| db.roles.get(i as usize).map_or("?", |r| r.name.as_str());
    for r in &db.role_transitions {
        let key = format!("role_transition {} {} : {}", role(r.role), db.type_name(r.ty), class_name(db, r.class));
        put(&mut f, key, role(r.new_role));
    }
    for r in &db.range_transitions {
        let key =
            format!("range_transition {} {} : {}", db.type_name(r.src), db.type_name(r.tgt), class_name(db, r.class));
        put(&mut f, key, range_text(db, &r.range));
    }
    for b in &db.bounds {
        put(&mut f, format!("typebounds {}", db.type_name(b.child)), db.type_name(b.parent));
    }
    out.push(("transitions and bounds", f));
    let mut f = Facts::new();
    for c in &db.constraints {
        let kw = if c.mls { "mlsconstrain" } else { "constrain" };
        let key = format!(
            "{kw} {} {{ {} }} {}",
            class_name(db, c.class),
            db.perm_names(c.class, c.perms).join(" "),
            cons_text(db, &c.expr)
        );
        key_only(&mut f, key);
    }
    for v in &db.validatetrans {
        let kw = if v.mls { "mlsvalidatetrans" } else { "validatetrans" };
        key_only(&mut f, format!("{kw} {} {}", class_name(db, v.class), cons_text(db, &v.expr)));
    }
    out.push(("constraints", f));
    let mut f = Facts::new();
    for fc in &db.filecons {
        let kind = fc.kind.map_or("any", |k| k.keyword());
        let ctx = fc.context.as_ref().map_or_else(|| "<<none>>".into(), |c| format_context(db, c));
        put(&mut f, format!("filecon \"{}\" {kind}", fc.pattern), ctx);
    }
    for p in &db.portcons {
        let key = format!("portcon {} {}-{}", p.proto.keyword(), p.low, p.high);
        put(&mut f, key, format_context(db, &p.context));
    }
    for s in &db.servicecons {
        put(&mut f, format!("servicecon \"{}\"", s.pattern), format_context(db, &s.context));
    }
    for s in &db.initial_sids {
        put(&mut f, format!("sid {}", s.name), format_context(db, &s.context));
    }
    out.push(("labelling", f));
    let mut f = Facts::new();
    for n in &db.neverallows {
        key_only(&mut f, n.text.clone());
    }
    for a in &db.assertions {
        let except =
            if a.except_names.is_empty() { String::new() } else { format!(" except {}", a.except_names.join(" ")) };
        key_only(&mut f, format!("assert noflow {} -> {}{except}", a.from_name, a.to_name));
    }
    out.push(("assertions", f));
    out
}

/// Direct information flows (`A -> B` between concrete types) with their
/// weight, as the flow analysis sees them; `None` when the model does not
/// declare what it grants (the analysis refuses it).
pub fn flow_facts(db: &PolicyDb) -> Option<Facts> {
    let model = ModelGrants::builtin(db).ok()?;
    let g = FlowGraph::build(db, &model, &FlowOptions::default());
    let mut f = Facts::new();
    for a in 0..db.types.len() as u32 {
        for b in g.successors(a) {
            if let Some(e) = g.edge(a, b) {
                put(&mut f, format!("{} -> {}", db.type_name(a), db.type_name(b)), format!("weight {}", e.weight));
            }
        }
    }
    Some(f)
}

/// The whole comparison: every section, then the flows (or a note why
/// they were not compared).
pub fn diff(old: &PolicyDb, new: &PolicyDb) -> (Vec<SectionDiff>, Result<SectionDiff, String>) {
    let (a, b) = (facts(old), facts(new));
    let sections = a.iter().zip(&b).map(|((t, x), (_, y))| diff_facts(t, x, y)).collect();
    let flows = match (flow_facts(old), flow_facts(new)) {
        (Some(x), Some(y)) => Ok(diff_facts("information flows", &x, &y)),
        _ => Err("a model does not declare what it grants: flows not compared".into()),
    };
    (sections, flows)
}
