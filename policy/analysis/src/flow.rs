//! `flow`: the information-flow graph of a policy and path searches on it.
//!
//! Nodes are concrete types. Each `allow S T : C P` rule (unconditional or
//! in either branch of a conditional) contributes, for every permission in
//! `P` whose weight in the permission map is at least `min_weight`:
//! an edge `s -> t` if the permission writes, and `t -> s` if it reads,
//! for every concrete `s` in `S` and `t` in `T`. An edge remembers its
//! largest weight and every rule that justifies it. Under the `allow-all`
//! model the graph is complete.
//!
//! Excluded types (trusted mediators) are removed from the graph except
//! where they are the path's own source or sink.

use std::collections::{BTreeMap, VecDeque};

use rampart_policy::PolicyDb;
use rampart_policy::db::RuleKind;

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

/// Why an edge exists: a rule index (into [`all_rules`]), the permissions
/// that carry the flow, and whether the source of the rule reads (the flow
/// goes target -> source) or writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    /// Index into the graph's rule list; `usize::MAX` for `allow-all`.
    pub rule: usize,
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
    rules: Vec<RuleRef<'a>>,
    adj: Vec<BTreeMap<u32, EdgeInfo>>,
}

impl<'a> FlowGraph<'a> {
    /// Builds the graph.
    pub fn build(db: &'a PolicyDb, opts: &FlowOptions) -> FlowGraph<'a> {
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
        if db.model == "allow-all" {
            let all: Vec<u32> = (0..db.types.len() as u32).filter(|t| !db.types[*t as usize].attribute).collect();
            for &a in &all {
                for &b in &all {
                    add(a, b, 10, Reason { rule: usize::MAX, perms: 0, read: false });
                }
            }
        } else {
            for (i, r) in rules.iter().enumerate() {
                let rule = r.rule;
                if rule.kind != RuleKind::Allow {
                    continue;
                }
                let Some(cf) = map.get(usize::from(rule.class).wrapping_sub(1)) else { continue };
                let (mut rd, mut wr, mut wmax_r, mut wmax_w) = (0u32, 0u32, 0u8, 0u8);
                for (bit, (dir, w)) in cf.perms.iter().enumerate().take(32) {
                    if rule.perms & (1 << bit) == 0 || *w < opts.min_weight {
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
                for &s in m.of(rule.src) {
                    for &t in m.of(rule.tgt) {
                        if wr != 0 {
                            add(s, t, wmax_w, Reason { rule: i, perms: wr, read: false });
                        }
                        if rd != 0 {
                            add(t, s, wmax_r, Reason { rule: i, perms: rd, read: true });
                        }
                    }
                }
            }
        }
        FlowGraph { db, rules, adj }
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
                if r.rule == usize::MAX {
                    return format!("{an} -> {bn}: model allow-all grants every permission");
                }
                let rr = self.rules[r.rule];
                let class = self.db.class(rr.rule.class).map_or("?", |c| c.name.as_str());
                let p = perms_text(self.db, rr.rule.class, r.perms);
                let verb = if r.read { format!("{bn} reads {an}") } else { format!("{an} writes {bn}") };
                format!("{an} -> {bn}: {verb} via {class} {p}\n        {}", rule_text(self.db, rr))
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
