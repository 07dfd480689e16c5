//! Evaluation of boolean (conditional-rule) and constraint expressions.
//!
//! Both are stored in reverse Polish notation. Evaluation never panics: a
//! malformed expression (which [`crate::validate`] rejects anyway)
//! evaluates to `false`, i.e. the guarded rules stay inactive and the
//! constrained permissions are denied.

use alloc::vec::Vec;

use crate::db::{CondNode, ConsNode, Context, Field, LevelRef, Side};

/// Evaluates a boolean-condition expression over the current values.
pub fn eval_cond(expr: &[CondNode], values: &[bool]) -> bool {
    let mut st: Vec<bool> = Vec::with_capacity(8);
    for n in expr {
        let v = match n {
            CondNode::Bool(b) => match values.get(*b as usize) {
                Some(v) => *v,
                None => return false,
            },
            CondNode::Not => match st.pop() {
                Some(v) => !v,
                None => return false,
            },
            op => {
                let (Some(b), Some(a)) = (st.pop(), st.pop()) else {
                    return false;
                };
                match op {
                    CondNode::And => a && b,
                    CondNode::Or => a || b,
                    CondNode::Xor | CondNode::Ne => a != b,
                    _ => a == b,
                }
            }
        };
        st.push(v);
    }
    st.len() == 1 && st[0]
}

fn field(c: &Context, f: Field) -> u32 {
    match f {
        Field::User => c.user,
        Field::Role => c.role,
        Field::Type => c.ty,
    }
}

fn side<'a>(c: &[&'a Context; 3], side: Side) -> &'a Context {
    match side {
        Side::Source => c[0],
        Side::Target => c[1],
        Side::Task => c[2],
    }
}

fn level<'a>(c: &[&'a Context; 3], r: LevelRef) -> Option<&'a crate::mls::Level> {
    let range = side(c, r.side).range.as_ref()?;
    Some(if r.high { &range.high } else { &range.low })
}

/// Evaluates a constraint expression for source context `s` and target
/// context `t`. Level comparisons on contexts without ranges are false;
/// a task operand (`u3`, never in a valid constraint) names the source.
pub fn eval_constraint(expr: &[ConsNode], s: &Context, t: &Context) -> bool {
    eval(expr, [s, t, s])
}

/// Evaluates a `validatetrans` expression for the old context `old`, the
/// new context `new` and the relabelling task `task`.
pub fn eval_validatetrans(expr: &[ConsNode], old: &Context, new: &Context, task: &Context) -> bool {
    eval(expr, [old, new, task])
}

fn eval(expr: &[ConsNode], c: [&Context; 3]) -> bool {
    let mut st: Vec<bool> = Vec::with_capacity(8);
    for n in expr {
        let v = match n {
            ConsNode::Not => match st.pop() {
                Some(v) => !v,
                None => return false,
            },
            ConsNode::And | ConsNode::Or => {
                let (Some(b), Some(a)) = (st.pop(), st.pop()) else {
                    return false;
                };
                if matches!(n, ConsNode::And) { a && b } else { a || b }
            }
            ConsNode::SameField { field: f, negate } => (field(c[0], *f) == field(c[1], *f)) != *negate,
            ConsNode::FieldIn { field: f, side: sd, ids, negate } => {
                ids.binary_search(&field(side(&c, *sd), *f)).is_ok() != *negate
            }
            ConsNode::Levels { left, op, right } => match (level(&c, *left), level(&c, *right)) {
                (Some(a), Some(b)) => op.eval(a, b),
                _ => false,
            },
        };
        st.push(v);
    }
    st.len() == 1 && st[0]
}

#[cfg(test)]
mod tests {
    use super::*;
    use CondNode::*;

    #[test]
    fn cond_rpn() {
        // a && !b
        let e = [Bool(0), Bool(1), Not, And];
        assert!(eval_cond(&e, &[true, false]));
        assert!(!eval_cond(&e, &[true, true]));
        assert!(eval_cond(&[Bool(0), Bool(1), Xor], &[true, false]));
        assert!(eval_cond(&[Bool(0), Bool(1), CondNode::Eq], &[false, false]));
    }

    #[test]
    fn malformed_is_false() {
        assert!(!eval_cond(&[And], &[]));
        assert!(!eval_cond(&[Bool(7)], &[true]));
        assert!(!eval_cond(&[Bool(0), Bool(0)], &[true]));
        let c = Context { user: 0, role: 0, ty: 0, range: None };
        assert!(!eval_constraint(&[ConsNode::Not], &c, &c));
    }
}
