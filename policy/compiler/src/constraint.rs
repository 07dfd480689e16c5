//! Lowering of `constrain` / `mlsconstrain` (and `validatetrans`)
//! expressions to RPN.
//!
//! Operands: `u1 r1 t1` / `u2 r2 t2` (user, role, type of source / target;
//! in `validatetrans` of the old / new context) compare with `==` / `!=`
//! to their counterpart or to a set of names; `u3 r3 t3` (the relabelling
//! task, `validatetrans` only) compare with a set of names;
//! `l1 h1 l2 h2` (low/high level of source/target) compare with `dom`,
//! `domby`, `eq` (or `==`), `!=` and `incomp`, only in `mlsconstrain`.

use crate::prelude::*;
use rampart_policy::db::{ConsNode, Field, LevelRef, Side};
use rampart_policy::mls::LevelOp;

use crate::ast::{ConsExpr, ConsRight, Name};
use crate::diag::Diagnostics;
use crate::lower::concrete_names;
use crate::symbols::Symbols;

fn operand(n: &Name) -> (char, Side) {
    let mut c = n.text.chars();
    let kind = c.next().unwrap_or('?');
    let side = match c.next() {
        Some('1') => Side::Source,
        Some('3') => Side::Task,
        _ => Side::Target,
    };
    (kind, side)
}

/// True if `e` names the task (`u3 r3 t3`), which only `validatetrans`
/// may.
pub fn names_task(e: &ConsExpr) -> bool {
    match e {
        ConsExpr::Not(x) => names_task(x),
        ConsExpr::And(a, b) | ConsExpr::Or(a, b) => names_task(a) || names_task(b),
        ConsExpr::Cmp { left, right, .. } => {
            left.text.ends_with('3') || matches!(right, ConsRight::Operand(r) if r.text.ends_with('3'))
        }
    }
}

/// Appends the RPN of `e` to `out`, reporting misuse.
pub fn lower(sym: &Symbols, mls: bool, e: &ConsExpr, out: &mut Vec<ConsNode>, d: &mut Diagnostics) {
    match e {
        ConsExpr::Not(x) => {
            lower(sym, mls, x, out, d);
            out.push(ConsNode::Not);
        }
        ConsExpr::And(a, b) | ConsExpr::Or(a, b) => {
            lower(sym, mls, a, out, d);
            lower(sym, mls, b, out, d);
            out.push(if matches!(e, ConsExpr::And(..)) { ConsNode::And } else { ConsNode::Or });
        }
        ConsExpr::Cmp { left, op, right } => {
            let node = cmp(sym, mls, left, op, right, d);
            // Keep the RPN well formed even after an error.
            out.push(node.unwrap_or(ConsNode::SameField { field: Field::User, negate: false }));
        }
    }
}

fn cmp(sym: &Symbols, mls: bool, left: &Name, op: &Name, right: &ConsRight, d: &mut Diagnostics) -> Option<ConsNode> {
    let (lk, lside) = operand(left);
    if matches!(lk, 'l' | 'h') {
        if !mls {
            d.error(left.span, "level comparisons are only allowed in `mlsconstrain`");
            return None;
        }
        let ConsRight::Operand(r) = right else {
            d.error(op.span, "a level must be compared with another level (l1 h1 l2 h2)");
            return None;
        };
        let (rk, rside) = operand(r);
        if !matches!(rk, 'l' | 'h') {
            d.error(r.span, format!("`{}` is not a level operand", r.text));
            return None;
        }
        let op = match op.text.as_str() {
            "dom" => LevelOp::Dom,
            "domby" => LevelOp::DomBy,
            "eq" | "==" => LevelOp::Eq,
            "!=" => LevelOp::Ne,
            _ => LevelOp::Incomp,
        };
        return Some(ConsNode::Levels {
            left: LevelRef { side: lside, high: lk == 'h' },
            op,
            right: LevelRef { side: rside, high: rk == 'h' },
        });
    }
    let field = match lk {
        'u' => Field::User,
        'r' => Field::Role,
        _ => Field::Type,
    };
    let negate = match op.text.as_str() {
        "==" => false,
        "!=" => true,
        other => {
            d.error(op.span, format!("`{other}` compares levels; use `==` or `!=` for {}", left.text));
            return None;
        }
    };
    match right {
        ConsRight::Operand(r) => {
            let (rk, rside) = operand(r);
            if rk != lk || rside == lside || lside == Side::Task || rside == Side::Task {
                d.error(r.span, format!("`{}` can only be compared with its counterpart, not `{}`", left.text, r.text));
                return None;
            }
            Some(ConsNode::SameField { field, negate })
        }
        ConsRight::Names(names) => {
            let mut ids: Vec<u32> = match field {
                Field::Type => concrete_names(sym, names, d),
                Field::Role => names.iter().filter_map(|n| sym.role(n, d)).collect(),
                Field::User => names.iter().filter_map(|n| sym.user(n, d)).collect(),
            };
            ids.sort_unstable();
            ids.dedup();
            Some(ConsNode::FieldIn { field, side: lside, ids, negate })
        }
    }
}
