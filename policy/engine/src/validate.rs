//! Structural validation of a decoded [`PolicyDb`].
//!
//! After [`validate`] succeeds every index in the policy is in range, every
//! RPN expression is well formed, every level names declared sensitivities
//! and categories, and every context is consistent with whether the policy
//! is MLS-enabled. The engine still uses checked indexing everywhere, so a
//! bug here degrades to a denial, not a panic.

use alloc::format;
use alloc::string::String;

use crate::db::{CondNode, ConsNode, Context, PolicyDb};
use crate::error::PolicyError;
use crate::ids::MAX_PERMS;
use crate::mls::{Level, MlsRange};

/// Longest accepted file-context pattern, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;

fn bad(msg: String) -> PolicyError {
    PolicyError::Invalid(msg)
}

/// Checks the internal consistency of a decoded policy.
///
/// # Errors
/// [`PolicyError::Invalid`] describing the first inconsistency found.
pub fn validate(db: &PolicyDb) -> Result<(), PolicyError> {
    let nt = db.types.len();
    let is_type = |t: u32| db.types.get(t as usize).is_some_and(|d| !d.attribute);
    let is_any = |t: u32| (t as usize) < nt;
    let class_ok = |c: u16| db.class(c).is_some();

    if db.classes.len() >= usize::from(u16::MAX) {
        return Err(bad("too many classes".into()));
    }
    for c in &db.classes {
        if c.perms.len() > MAX_PERMS {
            return Err(bad(format!("class {} has more than 32 permissions", c.name)));
        }
    }
    for t in &db.types {
        for a in &t.attrs {
            if t.attribute || !db.types.get(*a as usize).is_some_and(|d| d.attribute) {
                return Err(bad(format!("type {} has a bad attribute", t.name)));
            }
        }
    }
    for r in &db.roles {
        if !r.types.iter().all(|t| is_type(*t)) {
            return Err(bad(format!("role {} authorises a non-type", r.name)));
        }
    }
    for u in &db.users {
        if !u.roles.iter().all(|r| (*r as usize) < db.roles.len()) {
            return Err(bad(format!("user {} has a bad role", u.name)));
        }
        if let Some(l) = &u.default_level {
            check_level(db, l)?;
        }
        if let Some(r) = &u.range {
            check_range(db, r)?;
        }
        if db.mls.is_none() && (u.range.is_some() || u.default_level.is_some()) {
            return Err(bad(format!("user {} has a level in a non-MLS policy", u.name)));
        }
    }
    for (a, b) in &db.role_allows {
        if (*a as usize) >= db.roles.len() || (*b as usize) >= db.roles.len() {
            return Err(bad("bad role allow".into()));
        }
    }
    if let Some(m) = &db.mls {
        if m.sensitivities.is_empty() || m.sensitivities.len() > usize::from(u16::MAX) {
            return Err(bad("MLS policy needs 1..65535 sensitivities".into()));
        }
        if m.categories.len() > usize::from(u16::MAX) {
            return Err(bad("too many categories".into()));
        }
        check_level(db, &m.default_level)?;
        if !m.trusted.iter().all(|t| is_type(*t)) {
            return Err(bad("bad trusted type".into()));
        }
    }
    let rule_ok = |r: &crate::db::AvRule| is_any(r.src) && is_any(r.tgt) && class_ok(r.class);
    if !db.rules.iter().all(rule_ok) {
        return Err(bad("access-vector rule with a bad index".into()));
    }
    for c in &db.conds {
        if !c.if_true.iter().chain(&c.if_false).all(rule_ok) {
            return Err(bad("conditional rule with a bad index".into()));
        }
        check_cond_expr(db, &c.expr)?;
    }
    for t in &db.transitions {
        if !(is_type(t.src) && is_type(t.tgt) && is_type(t.new_type) && class_ok(t.class)) {
            return Err(bad("type_transition with a bad index".into()));
        }
    }
    for c in &db.constraints {
        if !class_ok(c.class) {
            return Err(bad("constraint on a bad class".into()));
        }
        if c.expr.iter().any(names_task) {
            return Err(bad("constraint naming a task (u3 r3 t3)".into()));
        }
        check_cons_expr(db, &c.expr)?;
    }
    check_labeling(db)?;
    for f in &db.filecons {
        if f.pattern.len() > MAX_PATTERN_LEN {
            return Err(bad("file-context pattern too long".into()));
        }
        if let Some(c) = &f.context {
            check_context(db, c)?;
        }
    }
    for p in &db.portcons {
        if p.low > p.high {
            return Err(bad("port range low > high".into()));
        }
        check_context(db, &p.context)?;
    }
    for s in &db.servicecons {
        if !crate::servicecon::valid_pattern(&s.pattern) {
            return Err(bad("bad service-name pattern".into()));
        }
        check_context(db, &s.context)?;
    }
    for s in &db.initial_sids {
        check_context(db, &s.context)?;
    }
    for p in &db.permflows {
        if !class_ok(p.class) || p.weight == 0 || p.weight > 10 {
            return Err(bad("bad permflow".into()));
        }
    }
    for n in &db.neverallows {
        if !(n.src.iter().chain(&n.tgt).all(|t| is_type(*t)) && class_ok(n.class)) {
            return Err(bad("neverallow with a bad index".into()));
        }
    }
    for a in &db.assertions {
        if !a.from.iter().chain(&a.to).chain(&a.except).all(|t| is_type(*t)) {
            return Err(bad("assertion with a bad index".into()));
        }
    }
    Ok(())
}

/// Checks that a level names declared sensitivities and categories.
///
/// # Errors
/// [`PolicyError::Invalid`] if the policy is not MLS or the level is out of
/// range.
pub fn check_level(db: &PolicyDb, l: &Level) -> Result<(), PolicyError> {
    let m = db.mls.as_ref().ok_or_else(|| bad("level in a non-MLS policy".into()))?;
    if usize::from(l.sens) >= m.sensitivities.len() || l.cats.bound() > m.categories.len() || !l.cats.is_canonical() {
        return Err(bad("level out of range".into()));
    }
    Ok(())
}

/// Checks both ends of a range and that high dominates low.
///
/// # Errors
/// [`PolicyError::Invalid`] as for [`check_level`], or if high does not
/// dominate low.
pub fn check_range(db: &PolicyDb, r: &MlsRange) -> Result<(), PolicyError> {
    check_level(db, &r.low)?;
    check_level(db, &r.high)?;
    if !r.is_well_formed() {
        return Err(bad("range high does not dominate low".into()));
    }
    Ok(())
}

/// Checks that a context's ids are in range, its type is concrete and it
/// has a range exactly when the policy is MLS.
///
/// # Errors
/// [`PolicyError::Invalid`] describing the problem.
pub fn check_context(db: &PolicyDb, c: &Context) -> Result<(), PolicyError> {
    let ty_ok = db.types.get(c.ty as usize).is_some_and(|d| !d.attribute);
    if (c.user as usize) >= db.users.len() || (c.role as usize) >= db.roles.len() || !ty_ok {
        return Err(bad("context with a bad index".into()));
    }
    match (&c.range, db.mls.is_some()) {
        (Some(r), true) => check_range(db, r),
        (None, false) => Ok(()),
        _ => Err(bad("context range does not match the policy's MLS setting".into())),
    }
}

/// Simulates an RPN expression's stack: every operator has its operands and
/// exactly one value remains. Returns the maximum depth.
fn check_stack<T>(nodes: &[T], arity: impl Fn(&T) -> usize) -> Result<usize, PolicyError> {
    let (mut depth, mut max) = (0usize, 0usize);
    for n in nodes {
        let pops = arity(n);
        depth = depth.checked_sub(pops).ok_or_else(|| bad("expression stack underflow".into()))? + 1;
        max = max.max(depth);
    }
    if depth != 1 {
        return Err(bad("expression does not reduce to one value".into()));
    }
    Ok(max)
}

fn check_cond_expr(db: &PolicyDb, e: &[CondNode]) -> Result<(), PolicyError> {
    for n in e {
        if let CondNode::Bool(b) = n
            && (*b as usize) >= db.bools.len()
        {
            return Err(bad("condition names a bad boolean".into()));
        }
    }
    check_stack(e, |n| match n {
        CondNode::Bool(_) => 0,
        CondNode::Not => 1,
        _ => 2,
    })
    .map(|_| ())
}

fn names_task(n: &ConsNode) -> bool {
    match n {
        ConsNode::FieldIn { side, .. } => *side == crate::db::Side::Task,
        ConsNode::Levels { left, right, .. } => {
            left.side == crate::db::Side::Task || right.side == crate::db::Side::Task
        }
        _ => false,
    }
}

/// `role_transition`, `range_transition`, `typebounds`, `validatetrans`.
fn check_labeling(db: &PolicyDb) -> Result<(), PolicyError> {
    let is_type = |t: u32| db.types.get(t as usize).is_some_and(|d| !d.attribute);
    let is_role = |r: u32| (r as usize) < db.roles.len();
    let class_ok = |c: u16| db.class(c).is_some();
    for r in &db.role_transitions {
        if !(is_role(r.role) && is_role(r.new_role) && is_type(r.ty) && class_ok(r.class)) {
            return Err(bad("role_transition with a bad index".into()));
        }
    }
    for r in &db.range_transitions {
        if db.mls.is_none() {
            return Err(bad("range_transition in a non-MLS policy".into()));
        }
        if !(is_type(r.src) && is_type(r.tgt) && class_ok(r.class)) {
            return Err(bad("range_transition with a bad index".into()));
        }
        check_range(db, &r.range)?;
    }
    for b in &db.bounds {
        if !(is_type(b.parent) && is_type(b.child)) || b.parent == b.child {
            return Err(bad("typebounds with a bad index".into()));
        }
    }
    for v in &db.validatetrans {
        if !class_ok(v.class) {
            return Err(bad("validatetrans on a bad class".into()));
        }
        check_cons_expr(db, &v.expr)?;
    }
    Ok(())
}

fn check_cons_expr(db: &PolicyDb, e: &[ConsNode]) -> Result<(), PolicyError> {
    for n in e {
        if let ConsNode::Levels { .. } = n
            && db.mls.is_none()
        {
            return Err(bad("level comparison in a non-MLS policy".into()));
        }
    }
    check_stack(e, |n| match n {
        ConsNode::Not => 1,
        ConsNode::And | ConsNode::Or => 2,
        _ => 0,
    })
    .map(|_| ())
}
