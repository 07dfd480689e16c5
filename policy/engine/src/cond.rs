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

fn level<'a>(s: &'a Context, t: &'a Context, r: LevelRef) -> Option<&'a crate::mls::Level> {
    let c = match r.side {
        Side::Source => s,
        Side::Target => t,
    };
    let range = c.range.as_ref()?;
    Some(if r.high { &range.high } else { &range.low })
}

/// Evaluates a constraint expression for source context `s` and target
/// context `t`. Level comparisons on contexts without ranges are false.
pub fn eval_constraint(expr: &[ConsNode], s: &Context, t: &Context) -> bool {
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
            ConsNode::SameField { field: f, negate } => (field(s, *f) == field(t, *f)) != *negate,
            ConsNode::FieldIn { field: f, side, ids, negate } => {
                let c = if *side == Side::Source { s } else { t };
                ids.binary_search(&field(c, *f)).is_ok() != *negate
            }
            ConsNode::Levels { left, op, right } => match (level(s, t, *left), level(s, t, *right)) {
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
