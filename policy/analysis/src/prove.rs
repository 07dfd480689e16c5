//! `prove`: discharge assertions on a compiled policy.
//!
//! Obligations are every `neverallow` (see [`crate::check`]) and every
//! `noflow A -> B [except X]` assertion, from the policy source or added by
//! the caller. A noflow assertion is decided exactly on the flow graph of
//! [`crate::flow`] (all rules, both branches of every conditional, the
//! permission map at `min_weight`): it holds iff no type of `B` is
//! reachable from a type of `A` by a path of one or more edges whose
//! intermediate nodes avoid `X`. Reachability is breadth-first search, so
//! the answer is exact for the graph and a failed assertion comes with a
//! *shortest* counterexample path, each step justified by the rules that
//! create it. A type in both `A` and `B` is a trivial violation.
//!
//! Both kinds of obligation are decided over the rules *plus* what the
//! policy's model declares it may grant beyond them ([`ModelGrants`]), so a
//! proof holds for the model, not just for the rules. There is no way to
//! call [`prove`] without such a declaration: a model that makes none is
//! refused when the [`ModelGrants`] is resolved.

use crate::prelude::*;
use rampart_policy::PolicyDb;
use rampart_policy::db::FlowAssertion;

use crate::check::{check, report};
use crate::flow::{FlowGraph, FlowOptions};
use crate::model::ModelGrants;

/// The outcome of one obligation.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// What was to be proved, as text.
    pub claim: String,
    /// Where it was written (`file:line:col`, or `command line`).
    pub origin: String,
    /// `None` if proved, else the counterexample as text.
    pub counterexample: Option<String>,
}

impl Outcome {
    /// True if proved.
    pub fn proved(&self) -> bool {
        self.counterexample.is_none()
    }
}

/// Builds a noflow assertion from type or attribute names.
///
/// # Errors
/// The unknown name.
pub fn noflow(db: &PolicyDb, from: &str, to: &str, except: &[String]) -> Result<FlowAssertion, String> {
    let expand = |n: &str| db.type_id(n).map(|t| db.expand_type(t)).ok_or_else(|| n.to_string());
    let mut ex = Vec::new();
    for e in except {
        ex.extend(expand(e)?);
    }
    ex.sort_unstable();
    ex.dedup();
    Ok(FlowAssertion {
        from_name: from.into(),
        to_name: to.into(),
        from: expand(from)?,
        to: expand(to)?,
        except: ex,
        except_names: except.to_vec(),
        origin: None,
    })
}

/// Decides one noflow assertion on a built graph.
pub fn prove_noflow(db: &PolicyDb, g: &FlowGraph<'_>, a: &FlowAssertion) -> Outcome {
    let mut claim = format!("noflow {} -> {}", a.from_name, a.to_name);
    if !a.except_names.is_empty() {
        claim.push_str(&format!(" except {}", a.except_names.join(" ")));
    }
    let origin = if a.origin.is_some() { db.origin_string(a.origin) } else { "command line".into() };
    let cx = if let Some(t) = a.from.iter().find(|t| a.to.contains(t)) {
        Some(format!("type {} is both a source and a sink", db.type_name(*t)))
    } else {
        g.shortest_path(&a.from, &a.to, &a.except).map(|p| g.explain_path(&p))
    };
    Outcome { claim, origin, counterexample: cx }
}

/// Proves every neverallow and every noflow assertion of `db` plus
/// `extra`, under what `model` may grant; returns one outcome per
/// obligation, in order.
pub fn prove(db: &PolicyDb, model: &ModelGrants, extra: &[FlowAssertion], opts: &FlowOptions) -> Vec<Outcome> {
    let violations = check(db, model);
    let mut out: Vec<Outcome> = db
        .neverallows
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let v: Vec<String> = violations.iter().filter(|v| v.neverallow == i).map(|v| report(db, v)).collect();
            Outcome {
                claim: n.text.clone(),
                origin: db.origin_string(n.origin),
                counterexample: (!v.is_empty()).then(|| v.join("\n")),
            }
        })
        .collect();
    let g = FlowGraph::build(db, model, opts);
    for a in db.assertions.iter().chain(extra) {
        out.push(prove_noflow(db, &g, a));
    }
    out
}
