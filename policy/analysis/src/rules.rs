//! A uniform view of a policy's access-vector rules for analysis: every
//! unconditional rule and the rules of *both* branches of every
//! conditional (so results hold for every boolean setting), with helpers
//! to expand attributes and print rules as source text.

use crate::prelude::*;
use rampart_policy::PolicyDb;
use rampart_policy::db::{AvRule, CondNode};

/// A rule and where it lives.
#[derive(Clone, Copy, Debug)]
pub struct RuleRef<'a> {
    /// The rule.
    pub rule: &'a AvRule,
    /// `Some((conditional index, branch))` for conditional rules.
    pub cond: Option<(usize, bool)>,
}

/// Every rule of the policy (unconditional first).
pub fn all_rules(db: &PolicyDb) -> Vec<RuleRef<'_>> {
    let mut v: Vec<RuleRef<'_>> = db.rules.iter().map(|rule| RuleRef { rule, cond: None }).collect();
    for (i, c) in db.conds.iter().enumerate() {
        v.extend(c.if_true.iter().map(|rule| RuleRef { rule, cond: Some((i, true)) }));
        v.extend(c.if_false.iter().map(|rule| RuleRef { rule, cond: Some((i, false)) }));
    }
    v
}

/// Precomputed concrete members of every type and attribute.
#[derive(Clone, Debug)]
pub struct Members(Vec<Vec<u32>>);

impl Members {
    /// Computes the member lists.
    pub fn new(db: &PolicyDb) -> Members {
        let mut m: Vec<Vec<u32>> =
            (0..db.types.len() as u32).map(|i| if db.types[i as usize].attribute { vec![] } else { vec![i] }).collect();
        for (i, t) in db.types.iter().enumerate() {
            for a in &t.attrs {
                if let Some(v) = m.get_mut(*a as usize) {
                    v.push(i as u32);
                }
            }
        }
        Members(m)
    }

    /// Concrete types of `id` (sorted; empty if out of range).
    pub fn of(&self, id: u32) -> &[u32] {
        self.0.get(id as usize).map_or(&[], |v| v.as_slice())
    }
}

/// Prints a permission set as `p` or `{ p q }`.
pub fn perms_text(db: &PolicyDb, class: u16, perms: u32) -> String {
    let names = db.perm_names(class, perms);
    if names.len() == 1 { names[0].to_string() } else { format!("{{ {} }}", names.join(" ")) }
}

/// Prints a boolean condition in infix form.
pub fn cond_text(db: &PolicyDb, expr: &[CondNode]) -> String {
    let mut st: Vec<String> = Vec::new();
    for n in expr {
        let s = match n {
            CondNode::Bool(b) => db.bools.get(*b as usize).map_or("?".into(), |b| b.name.clone()),
            CondNode::Not => format!("!{}", st.pop().unwrap_or_default()),
            op => {
                let b = st.pop().unwrap_or_default();
                let a = st.pop().unwrap_or_default();
                let o = match op {
                    CondNode::And => "&&",
                    CondNode::Or => "||",
                    CondNode::Xor => "^",
                    CondNode::Eq => "==",
                    _ => "!=",
                };
                format!("({a} {o} {b})")
            }
        };
        st.push(s);
    }
    st.pop().unwrap_or_default()
}

/// Prints a rule as source text, with its condition and origin as a
/// comment: `allow a_t b_t : file { read write };  # if (x) [true] at f:1:1`.
pub fn rule_text(db: &PolicyDb, r: RuleRef<'_>) -> String {
    let rule = r.rule;
    let class = db.class(rule.class).map_or("?", |c| c.name.as_str());
    let mut s = format!(
        "{} {} {} : {} {};",
        rule.kind.keyword(),
        db.type_name(rule.src),
        db.type_name(rule.tgt),
        class,
        perms_text(db, rule.class, rule.perms)
    );
    let mut notes = Vec::new();
    if let Some((i, branch)) = r.cond
        && let Some(c) = db.conds.get(i)
    {
        notes.push(format!("if ({}) [{}]", cond_text(db, &c.expr), branch));
    }
    if rule.origin.is_some() {
        notes.push(db.origin_string(rule.origin));
    }
    if !notes.is_empty() {
        s.push_str("  # ");
        s.push_str(&notes.join(" "));
    }
    s
}
