//! From denials to explanations and rules: `polc why` (SELinux's
//! `audit2why`) and `polc allow` (`audit2allow`).
//!
//! A denial is a (source context, target context, class, permissions)
//! tuple, typed on the command line or read from audit records
//! (`avc: denied { read } for ... scontext=S tcontext=T tclass=C`, as the
//! console, `ausearch` and secsrv's trail print them). For each permission
//! [`why`] says what refused it, in the order the engine decides:
//!
//! 1. no `allow` rule grants it (and whether a conditional rule would
//!    under another boolean setting: [`Reason::Boolean`]);
//! 2. a rule grants it but a `constrain` (or, under a lattice model, an
//!    `mlsconstrain`) takes it away: [`Reason::Constraint`] with the
//!    constraint's source position;
//! 3. rules and constraints allow it but the model refuses it (MLS read-up
//!    or write-down, Biba, role or range validity): [`Reason::Model`].
//!
//! [`allow_rules`] turns denials into the smallest set of `allow` rules
//! (one per source type, target type and class, permissions merged) and
//! flags each rule that a `neverallow` of the policy forbids, so the
//! researcher sees the conflict before rebuilding.

use crate::prelude::*;
use alloc::collections::BTreeMap;

use rampart_policy::cond::{eval_cond, eval_constraint};
use rampart_policy::db::{AvRule, RuleKind};
use rampart_policy::{ClassId, Context, Policy, PolicyDb};

use crate::rules::{Members, cond_text};

/// One denial to explain or turn into a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Source context text.
    pub scon: String,
    /// Target context text.
    pub tcon: String,
    /// Class name.
    pub class: String,
    /// Permission names.
    pub perms: Vec<String>,
}

/// Reads a denial from one audit line: `avc: denied { P... } for ...
/// scontext=S tcontext=T tclass=C ...` (field order free; granted records
/// and other lines give `None`).
pub fn parse_audit_line(line: &str) -> Option<Denial> {
    let rest = &line[line.find("denied")? + "denied".len()..];
    let open = rest.find('{')?;
    let close = rest[open..].find('}')? + open;
    let perms: Vec<String> = rest[open + 1..close].split_whitespace().map(ToString::to_string).collect();
    let field = |key: &str| -> Option<String> {
        let i = line.find(&format!(" {key}="))? + key.len() + 2;
        let v = line[i..].split_whitespace().next()?;
        Some(v.trim_matches('"').to_string())
    };
    if perms.is_empty() {
        return None;
    }
    Some(Denial { scon: field("scontext")?, tcon: field("tcontext")?, class: field("tclass")?, perms })
}

/// Why one permission was refused (or that it is not).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The policy allows it now (with the booleans as they are).
    Allowed,
    /// No `allow` rule grants it under any boolean setting.
    NoRule,
    /// A conditional rule grants it when the condition is `value`
    /// (`cond`: the condition as text; `origin`: the `if`).
    Boolean {
        /// The condition.
        cond: String,
        /// The value it must have.
        value: bool,
        /// Where the conditional is written.
        origin: String,
    },
    /// A rule grants it and this constraint takes it away.
    Constraint {
        /// `constrain` or `mlsconstrain`.
        kind: &'static str,
        /// Where it is written.
        origin: String,
    },
    /// Rules and constraints grant it; the model refuses it.
    Model {
        /// The model's name.
        model: String,
        /// For a lattice model: the source's and target's ranges and
        /// the permission's flow (`read`, `write`, `both`, `none`).
        levels: Option<(String, String, &'static str)>,
    },
}

/// Why each permission of `d` is refused under `p` (with its current
/// booleans), in the order of `d.perms`.
///
/// # Errors
/// A message for a context the policy does not accept, an unknown class
/// or permission.
pub fn why(p: &Policy, d: &Denial) -> Result<Vec<(String, Reason)>, String> {
    let s = p.valid_context(&d.scon).map_err(|e| format!("scontext {}: {e}", d.scon))?;
    let t = p.valid_context(&d.tcon).map_err(|e| format!("tcontext {}: {e}", d.tcon))?;
    let db = p.db();
    let class = db.class_id(&d.class).ok_or_else(|| format!("unknown class `{}`", d.class))?;
    let decided = p.compute_av_contexts(&s, &t, ClassId(class)).map_err(|e| e.to_string())?;
    let values: Vec<bool> = p.bools().map(|(_, v)| v).collect();
    let m = Members::new(db);
    let mut out = Vec::new();
    for name in &d.perms {
        let bit = db.perm_bit(class, name).ok_or_else(|| format!("class `{}` has no permission `{name}`", d.class))?;
        let reason = if decided.allowed & bit == bit {
            Reason::Allowed
        } else {
            explain_one(db, &m, &values, (&s, &t), class, bit, p.model_name())
        };
        out.push((name.clone(), reason));
    }
    Ok(out)
}

fn grants(m: &Members, r: &AvRule, (s, t): (u32, u32), class: u16, bit: u32) -> bool {
    r.kind == RuleKind::Allow
        && r.class == class
        && r.perms & bit == bit
        && m.of(r.src).binary_search(&s).is_ok()
        && m.of(r.tgt).binary_search(&t).is_ok()
}

fn explain_one(
    db: &PolicyDb,
    m: &Members,
    values: &[bool],
    (s, t): (&Context, &Context),
    class: u16,
    bit: u32,
    model: &str,
) -> Reason {
    let pair = (s.ty, t.ty);
    let active = db.rules.iter().any(|r| grants(m, r, pair, class, bit))
        || db.conds.iter().any(|c| {
            let rules = if eval_cond(&c.expr, values) { &c.if_true } else { &c.if_false };
            rules.iter().any(|r| grants(m, r, pair, class, bit))
        });
    if !active {
        // Only a conditional rule in the branch not taken can grant it.
        for c in &db.conds {
            let now = eval_cond(&c.expr, values);
            let other = if now { &c.if_false } else { &c.if_true };
            if other.iter().any(|r| grants(m, r, pair, class, bit)) {
                return Reason::Boolean {
                    cond: cond_text(db, &c.expr),
                    value: !now,
                    origin: db.origin_string(c.origin),
                };
            }
        }
        return Reason::NoRule;
    }
    let lattice = db.mls.is_some();
    for c in &db.constraints {
        if c.class == class && c.perms & bit != 0 && (!c.mls || lattice) && !eval_constraint(&c.expr, s, t) {
            return Reason::Constraint {
                kind: if c.mls { "mlsconstrain" } else { "constrain" },
                origin: db.origin_string(c.origin),
            };
        }
    }
    let levels = db.mls.as_ref().zip(s.range.as_ref()).zip(t.range.as_ref()).map(|((m, sr), tr)| {
        let names = db.perm_names(class, bit);
        let cname = db.class(class).map_or("", |c| c.name.as_str());
        let flow = match names.first().map(|p| rampart_policy::permmap::default_flow(cname, p).0) {
            Some(rampart_policy::FlowDir::Read) => "read",
            Some(rampart_policy::FlowDir::Write) => "write",
            Some(rampart_policy::FlowDir::Both) => "both",
            _ => "none",
        };
        (rampart_policy::context::format_range(m, sr), rampart_policy::context::format_range(m, tr), flow)
    });
    Reason::Model { model: model.to_string(), levels }
}

/// One line per permission: `PERM: ...` in words, with the rule to add
/// for [`Reason::NoRule`].
pub fn why_text(d: &Denial, reasons: &[(String, Reason)]) -> Vec<String> {
    let ty = |c: &str| c.split(':').nth(2).unwrap_or(c).to_string();
    reasons
        .iter()
        .map(|(perm, r)| match r {
            Reason::Allowed => format!("{perm}: allowed by the loaded policy (with its current booleans)"),
            Reason::NoRule => format!(
                "{perm}: no allow rule grants it; missing: allow {} {} : {} {perm};",
                ty(&d.scon),
                ty(&d.tcon),
                d.class
            ),
            Reason::Boolean { cond, value, origin } => {
                format!("{perm}: allowed when `{cond}` is {value} (the conditional at {origin}); see setsebool")
            }
            Reason::Constraint { kind, origin } => {
                format!("{perm}: a rule grants it, but the {kind} at {origin} refuses these contexts")
            }
            Reason::Model { model, levels: Some((s, t, flow)) } => format!(
                "{perm}: rules and constraints grant it; the `{model}` model refuses it: source {s}, target {t}, \
                 a {flow} flow ({})",
                match (model.as_str(), *flow) {
                    ("mls", "read") => "reading needs the source to dominate the target",
                    ("mls", "write") => "writing needs the target to dominate the source",
                    ("biba", "read") => "reading needs the target's integrity to dominate the source's",
                    ("biba", "write") => "writing needs the source's integrity to dominate the target's",
                    _ => "both directions need equal levels",
                }
            ),
            Reason::Model { model, levels: None } => {
                format!("{perm}: rules and constraints grant it; the `{model}` model refuses it")
            }
        })
        .collect()
}

/// A proposed rule and the neverallows it would violate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposal {
    /// `allow S T : C { P... };`
    pub rule: String,
    /// Each neverallow it violates, as `file:line:col: TEXT`.
    pub violates: Vec<String>,
}

/// The smallest set of `allow` rules granting `denials` (types from the
/// contexts; permissions merged per source type, target type and class;
/// sorted), each with the neverallows of `db` it would violate. Denials
/// naming unknown types, classes or permissions are skipped and returned
/// as messages.
pub fn allow_rules(db: &PolicyDb, denials: &[Denial]) -> (Vec<Proposal>, Vec<String>) {
    let mut want: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    let mut skipped = Vec::new();
    for d in denials {
        let ty = |c: &str| c.split(':').nth(2).map(ToString::to_string);
        let (Some(s), Some(t)) = (ty(&d.scon), ty(&d.tcon)) else {
            skipped.push(format!("not a context: {} or {}", d.scon, d.tcon));
            continue;
        };
        if db.type_id(&s).is_none() || db.type_id(&t).is_none() || db.class_id(&d.class).is_none() {
            skipped.push(format!("unknown type or class in {s} {t} : {}", d.class));
            continue;
        }
        let e = want.entry((s, t, d.class.clone())).or_default();
        for p in &d.perms {
            if !e.contains(p) {
                e.push(p.clone());
            }
        }
    }
    let mut out = Vec::new();
    for ((s, t, c), mut perms) in want {
        let class = db.class_id(&c).unwrap_or(0);
        perms.retain(|p| {
            let ok = db.perm_bit(class, p).is_some();
            if !ok {
                skipped.push(format!("class `{c}` has no permission `{p}`"));
            }
            ok
        });
        if perms.is_empty() {
            continue;
        }
        perms.sort();
        let bits = perms.iter().filter_map(|p| db.perm_bit(class, p)).fold(0, |a, b| a | b);
        let (si, ti) = (db.type_id(&s).unwrap_or(0), db.type_id(&t).unwrap_or(0));
        let violates = db
            .neverallows
            .iter()
            .filter(|n| {
                n.class == class
                    && n.perms & bits != 0
                    && n.src.binary_search(&si).is_ok()
                    && (n.tgt.binary_search(&ti).is_ok() || (n.tgt_self && si == ti))
            })
            .map(|n| format!("{}: {}", db.origin_string(n.origin), n.text))
            .collect();
        let p = if perms.len() == 1 { perms[0].clone() } else { format!("{{ {} }}", perms.join(" ")) };
        out.push(Proposal { rule: format!("allow {s} {t} : {c} {p};"), violates });
    }
    (out, skipped)
}
