//! `flow`: the information-flow graph of a policy and path searches on it.
//!
//! Nodes are concrete types. Each `allow S T : C P` rule (unconditional or
//! in either branch of a conditional) contributes, for every permission in
//! `P` whose weight in the permission map is at least `min_weight`:
//! an edge `s -> t` if the permission writes, and `t -> s` if it reads,
//! for every concrete `s` in `S` and `t` in `T`. An edge remembers its
//! largest weight and every rule that justifies it.
//!
//! What the model grants beyond the rules comes from its declaration
//! ([`ModelGrants`]): each extra grant adds edges like a rule (through the
//! same permission map), and a model granting everything (`allow-all`)
//! makes the graph complete.
//!
//! Excluded types (trusted mediators) are removed from the graph except
//! where they are the path's own source or sink.

use crate::prelude::*;
use alloc::collections::{BTreeMap, VecDeque};

use rampart_policy::PolicyDb;
use rampart_policy::db::RuleKind;

use crate::model::{ModelGrants, Scope};
use crate::permmap::{Override, effective};
use crate::rules::{Members, RuleRef, all_rules, perms_text, rule_text};

/// Options for building the graph.
#[derive(Clone, Debug)]
pub struct FlowOptions {
    /// Ignore permissions lighter than this (1-10; 1 keeps everything).
    pub min_weight: u8,
    /// Permission-map overrides.
    pub overrides: Vec<Override>,
}

impl Default for FlowOptions {
    fn default() -> Self {
        FlowOptions { min_weight: 1, overrides: vec![] }
    }
}

/// What grants the permissions behind an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A rule: index into [`all_rules`].
    Rule(usize),
    /// A grant of the model beyond the rules: index into
    /// [`ModelGrants::extras`].
    Model(usize),
    /// The model grants every permission.
    Everything,
}

/// Why an edge exists: what grants it, the permissions that carry the flow
/// (0 for [`Source::Everything`]), and whether the grant's source reads
/// (the flow goes target -> source) or writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// What grants the permissions.
    pub by: Source,
    /// Permissions carrying the flow.
    pub perms: u32,
    /// True if the flow is a read by the rule's source.
    pub read: bool,
}

/// An edge's weight and justifications.
#[derive(Clone, Debug, Default)]
pub struct EdgeInfo {
    /// Largest weight among the permissions.
    pub weight: u8,
    /// Justifications.
    pub reasons: Vec<Reason>,
}

/// The flow graph.
pub struct FlowGraph<'a> {
    db: &'a PolicyDb,
    model: &'a ModelGrants,
    rules: Vec<RuleRef<'a>>,
    adj: Vec<BTreeMap<u32, EdgeInfo>>,
}

impl<'a> FlowGraph<'a> {
    /// Builds the graph of `db`'s rules plus what `model` grants beyond
    /// them.
    pub fn build(db: &'a PolicyDb, model: &'a ModelGrants, opts: &FlowOptions) -> FlowGraph<'a> {
        let m = Members::new(db);
        let map = effective(db, &opts.overrides);
        let rules = all_rules(db);
        let mut adj: Vec<BTreeMap<u32, EdgeInfo>> = vec![BTreeMap::new(); db.types.len()];
        let mut add = |a: u32, b: u32, w: u8, reason: Reason| {
            if a == b {
                return;
            }
            let e = adj[a as usize].entry(b).or_default();
            e.weight = e.weight.max(w);
            if !e.reasons.contains(&reason) {
                e.reasons.push(reason);
            }
        };
        // Read and write permissions of `perms` at or above the minimum
        // weight, with their largest weights.
        let split = |class: u16, perms: u32| -> Option<(u32, u32, u8, u8)> {
            let cf = map.get(usize::from(class).wrapping_sub(1))?;
            let (mut rd, mut wr, mut wmax_r, mut wmax_w) = (0u32, 0u32, 0u8, 0u8);
            for (bit, (dir, w)) in cf.perms.iter().enumerate().take(32) {
                if perms & (1 << bit) == 0 || *w < opts.min_weight {
                    continue;
                }
                if dir.reads() {
                    rd |= 1 << bit;
                    wmax_r = wmax_r.max(*w);
                }
                if dir.writes() {
                    wr |= 1 << bit;
                    wmax_w = wmax_w.max(*w);
                }
            }
            Some((rd, wr, wmax_r, wmax_w))
        };
        let mut grant = |srcs: &[u32], tgts: &[u32], class: u16, perms: u32, by: Source| {
            let Some((rd, wr, wmax_r, wmax_w)) = split(class, perms) else { return };
            for &s in srcs {
                for &t in tgts {
                    if wr != 0 {
                        add(s, t, wmax_w, Reason { by, perms: wr, read: false });
                    }
                    if rd != 0 {
                        add(t, s, wmax_r, Reason { by, perms: rd, read: true });
                    }
                }
            }
        };
        if *model.scope() == Scope::Everything {
            // One justification per edge, whatever the class and direction.
            let all: Vec<u32> = (0..db.types.len() as u32).filter(|t| !db.types[*t as usize].attribute).collect();
            let mut w = 0u8;
            for class in 1..=db.classes.len() as u16 {
                if let Some((_, _, r, wr)) = split(class, u32::MAX) {
                    w = w.max(r).max(wr);
                }
            }
            if w > 0 {
                for &a in &all {
                    for &b in &all {
                        add(a, b, w, Reason { by: Source::Everything, perms: 0, read: false });
                    }
                }
            }
        } else {
            for (i, r) in rules.iter().enumerate() {
                let rule = r.rule;
                if rule.kind == RuleKind::Allow {
                    grant(m.of(rule.src), m.of(rule.tgt), rule.class, rule.perms, Source::Rule(i));
                }
            }
            for (i, e) in model.extras().iter().enumerate() {
                grant(&e.src, &e.tgt, e.class, e.perms, Source::Model(i));
            }
        }
        FlowGraph { db, model, rules, adj }
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.adj.iter().map(|a| a.len()).sum()
    }

    /// The edge `a -> b`, if any.
    pub fn edge(&self, a: u32, b: u32) -> Option<&EdgeInfo> {
        self.adj.get(a as usize)?.get(&b)
    }

    /// Types directly reachable from `a`.
    pub fn successors(&self, a: u32) -> impl Iterator<Item = u32> + '_ {
        self.adj.get(a as usize).into_iter().flat_map(|m| m.keys().copied())
    }

    /// A shortest path (fewest steps) from any of `from` to any of `to`,
    /// never passing through `exclude` (except at its ends), by
    /// breadth-first search. Exact: returns `None` only if no path exists.
    pub fn shortest_path(&self, from: &[u32], to: &[u32], exclude: &[u32]) -> Option<Vec<u32>> {
        let n = self.adj.len();
        let mut prev: Vec<Option<u32>> = vec![None; n];
        let mut seen = vec![false; n];
        let mut q = VecDeque::new();
        for &f in from {
            if (f as usize) < n && !seen[f as usize] {
                seen[f as usize] = true;
                q.push_back(f);
            }
        }
        while let Some(a) = q.pop_front() {
            if exclude.contains(&a) && !from.contains(&a) {
                continue;
            }
            for b in self.successors(a) {
                if seen[b as usize] {
                    continue;
                }
                seen[b as usize] = true;
                prev[b as usize] = Some(a);
                if to.contains(&b) {
                    let mut path = vec![b];
                    let mut cur = b;
                    while let Some(p) = prev[cur as usize] {
                        path.push(p);
                        cur = p;
                    }
                    path.reverse();
                    return Some(path);
                }
                q.push_back(b);
            }
        }
        None
    }

    /// Every simple path from `from` to `to` with at most `max_len` steps,
    /// stopping after `limit` paths, avoiding `exclude`; shortest first.
    pub fn all_paths(&self, from: u32, to: u32, max_len: usize, limit: usize, exclude: &[u32]) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        let mut path = vec![from];
        let mut on = vec![false; self.adj.len()];
        if let Some(x) = on.get_mut(from as usize) {
            *x = true;
        }
        self.dfs(to, max_len, limit, exclude, &mut path, &mut on, &mut out);
        out.sort_by_key(|p| p.len());
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn dfs(
        &self,
        to: u32,
        max_len: usize,
        limit: usize,
        exclude: &[u32],
        path: &mut Vec<u32>,
        on: &mut [bool],
        out: &mut Vec<Vec<u32>>,
    ) {
        if out.len() >= limit || path.len() > max_len {
            return;
        }
        let a = *path.last().unwrap_or(&to);
        for b in self.successors(a) {
            if out.len() >= limit {
                return;
            }
            if b == to {
                let mut p = path.clone();
                p.push(b);
                out.push(p);
                continue;
            }
            if on[b as usize] || exclude.contains(&b) {
                continue;
            }
            on[b as usize] = true;
            path.push(b);
            self.dfs(to, max_len, limit, exclude, path, on, out);
            path.pop();
            on[b as usize] = false;
        }
    }

    /// Explains one step `a -> b`: one line per justifying rule.
    pub fn explain_step(&self, a: u32, b: u32) -> Vec<String> {
        let Some(e) = self.edge(a, b) else { return vec![] };
        let (an, bn) = (self.db.type_name(a), self.db.type_name(b));
        e.reasons
            .iter()
            .map(|r| {
                let (class, grant) = match r.by {
                    Source::Everything => {
                        return format!("{an} -> {bn}: model {} grants every permission", self.model.name());
                    }
                    Source::Rule(i) => {
                        let rr = self.rules[i];
                        (rr.rule.class, rule_text(self.db, rr))
                    }
                    Source::Model(i) => {
                        let e = &self.model.extras()[i];
                        let p = perms_text(self.db, e.class, e.perms);
                        (e.class, format!("model {} grants {p} beyond the rules: {}", self.model.name(), e.reason))
                    }
                };
                let cname = self.db.class(class).map_or("?", |c| c.name.as_str());
                let p = perms_text(self.db, class, r.perms);
                let verb = if r.read { format!("{bn} reads {an}") } else { format!("{an} writes {bn}") };
                format!("{an} -> {bn}: {verb} via {cname} {p}\n        {grant}")
            })
            .collect()
    }

    /// Formats a path with one explanation block per step.
    pub fn explain_path(&self, path: &[u32]) -> String {
        let names: Vec<&str> = path.iter().map(|t| self.db.type_name(*t)).collect();
        let mut s = format!("{}\n", names.join(" -> "));
        for w in path.windows(2) {
            for line in self.explain_step(w[0], w[1]) {
                s.push_str("    ");
                s.push_str(&line);
                s.push('\n');
            }
        }
        s
    }
}
