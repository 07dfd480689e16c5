//! Lowering pass: statements -> [`PolicyDb`], with semantic checks.
//!
//! Runs after [`crate::symbols`], so every name is known. Roles and users
//! are completed first (contexts depend on users' default levels), then
//! every other statement in source order.

use crate::prelude::*;
use alloc::collections::BTreeSet;
use hashbrown::HashMap;

use rampart_policy::db::*;
use rampart_policy::ids::{FileKind, FlowDir, Protocol};
use rampart_policy::mls::Level;

use crate::ast::*;
use crate::diag::{Diagnostics, Span};
use crate::levels;
use crate::sets::{self, perm_set_text, type_set_text};
use crate::symbols::{Symbols, flatten};

/// Contexts written in the source, checked for validity at the end.
pub type ContextUses = Vec<(Context, Span)>;

pub(crate) fn origin(s: Span) -> Option<Origin> {
    Some(Origin { file: s.file, line: s.line, col: s.col })
}

/// `(src, tgt, class, object name)` -> (new type, where written).
type TransitionKeys = HashMap<(u32, u32, u16, Option<String>), (u32, Span)>;

pub(crate) struct Lower<'a> {
    pub(crate) sym: &'a Symbols,
    pub(crate) d: &'a mut Diagnostics,
    pub(crate) db: PolicyDb,
    default_level: Level,
    trans: TransitionKeys,
    sids: HashMap<String, Span>,
    uses: ContextUses,
}

/// Lowers all statements (top level of every file, in order).
pub fn lower(stmts: &[Stmt], sym: &mut Symbols, d: &mut Diagnostics) -> (PolicyDb, ContextUses) {
    let flat = flatten(stmts);
    complete_roles_users(&flat, sym, d);
    let default_level = default_level(&flat, sym, d);
    let mut db = PolicyDb::empty(sym.model.as_ref().map_or("te", |m| m.0.as_str()));
    db.classes = sym.classes.clone();
    db.types = sym.types.clone();
    db.roles = sym.roles.clone();
    db.users = sym.users.clone();
    db.bools = sym.bools.clone();
    if sym.is_mls() {
        db.mls = Some(MlsDefs {
            sensitivities: sym.sens.clone(),
            categories: sym.cats.clone(),
            default_level: default_level.clone(),
            trusted: vec![],
        });
    }
    let mut l = Lower { sym, d, db, default_level, trans: HashMap::new(), sids: HashMap::new(), uses: vec![] };
    for s in stmts {
        l.stmt(s);
    }
    l.finish_filecons();
    crate::bounds::check(&l.db, l.sym, l.d);
    (l.db, l.uses)
}

fn default_level(flat: &[&Stmt], sym: &Symbols, d: &mut Diagnostics) -> Level {
    let mut out = None;
    for s in flat {
        if let StmtKind::DefaultLevel(l) = &s.kind {
            if out.is_some() {
                d.error(s.span, "duplicate `defaultlevel` statement");
            }
            out = levels::level(sym, l, d);
        }
    }
    out.unwrap_or_default()
}

fn complete_roles_users(flat: &[&Stmt], sym: &mut Symbols, d: &mut Diagnostics) {
    for s in flat {
        match &s.kind {
            StmtKind::Role { name, types: Some(set) } => {
                let r = sets::type_set(sym, set, false, d);
                if let Some(ri) = sym.role(name, d) {
                    let v = &mut sym.roles[ri as usize].types;
                    v.extend(r.concrete);
                    v.sort_unstable();
                    v.dedup();
                }
            }
            StmtKind::User { name, roles, level, range } => {
                let Some(ui) = sym.user(name, d) else { continue };
                let rs: Vec<u32> = roles.iter().flatten().filter_map(|r| sym.role(r, d)).collect();
                let lv = level.as_ref().and_then(|l| levels::level(sym, l, d));
                let rg = range.as_ref().and_then(|r| levels::range(sym, r, d));
                let u = &mut sym.users[ui as usize];
                u.roles.extend(rs);
                u.roles.sort_unstable();
                u.roles.dedup();
                if let Some(l) = lv {
                    if u.default_level.as_ref().is_some_and(|o| *o != l) {
                        d.error(name.span, format!("user `{}` given two different levels", name.text));
                    }
                    u.default_level = Some(l);
                }
                if let Some(r) = rg {
                    if u.range.as_ref().is_some_and(|o| *o != r) {
                        d.error(name.span, format!("user `{}` given two different ranges", name.text));
                    }
                    u.range = Some(r);
                }
                if let (Some(l), Some(r)) = (&u.default_level, &u.range)
                    && !(l.dominates(&r.low) && r.high.dominates(l))
                {
                    d.error(name.span, format!("user `{}`'s level is outside its range", name.text));
                }
            }
            _ => {}
        }
    }
}

impl Lower<'_> {
    fn stmt(&mut self, s: &Stmt) {
        match &s.kind {
            StmtKind::Av { kind: AvKind::NeverAllow, src, tgt, classes, perms } => {
                self.neverallow(s, src, tgt, classes, perms)
            }
            StmtKind::Av { kind, src, tgt, classes, perms } => {
                let rules = self.av_rules(s.span, *kind, src, tgt, classes, perms);
                self.db.rules.extend(rules);
            }
            StmtKind::TypeTransition { src, tgt, classes, new, object } => {
                self.type_transition(s.span, src, tgt, classes, new, object.as_ref())
            }
            StmtKind::RoleAllow { from, to } => {
                for a in from {
                    for b in to {
                        if let (Some(x), Some(y)) = (self.sym.role(a, self.d), self.sym.role(b, self.d))
                            && !self.db.role_allows.contains(&(x, y))
                        {
                            self.db.role_allows.push((x, y));
                        }
                    }
                }
            }
            StmtKind::Constrain { mls, classes, perms, expr } => self.constrain(s.span, *mls, classes, perms, expr),
            StmtKind::MlsTrusted(set) => {
                let r = sets::type_set(self.sym, set, false, self.d);
                match &mut self.db.mls {
                    Some(m) => {
                        m.trusted.extend(r.concrete);
                        m.trusted.sort_unstable();
                        m.trusted.dedup();
                    }
                    None => self.d.error(s.span, "`mlstrusted` needs an MLS policy"),
                }
            }
            StmtKind::If { cond, then, els } => self.cond(s.span, cond, then, els),
            StmtKind::FileCon { pattern, kind, ctx } => self.filecon(s.span, pattern, kind.as_ref(), ctx.as_ref()),
            StmtKind::PortCon { proto, low, high, ctx } => self.portcon(s.span, proto, *low, *high, ctx),
            StmtKind::ServiceCon { pattern, ctx } => self.servicecon(s.span, pattern, ctx),
            StmtKind::Sid { name, ctx } => {
                if let Some(prev) = self.sids.get(&name.text) {
                    let m = format!("duplicate initial SID `{}` (first at line {})", name.text, prev.line);
                    self.d.error(name.span, m);
                } else if let Some(c) = self.context(ctx) {
                    self.sids.insert(name.text.clone(), name.span);
                    self.db.initial_sids.push(InitialSid { name: name.text.clone(), context: c });
                }
            }
            StmtKind::PermFlow { class, perms, dir, weight } => self.permflow(class, perms, dir, *weight),
            StmtKind::RoleTransition { roles, types, classes, new } => {
                self.role_transition(s.span, roles, types, classes, new)
            }
            StmtKind::RangeTransition { src, tgt, classes, range } => {
                self.range_transition(s.span, src, tgt, classes, range)
            }
            StmtKind::TypeBounds { parent, children } => self.typebounds(parent, children),
            StmtKind::ValidateTrans { mls, classes, expr } => self.validatetrans(s.span, *mls, classes, expr),
            StmtKind::AssertNoFlow { from, to, except } => {
                let (except, except_names) = match except {
                    Some(set) => (sets::type_set(self.sym, set, false, self.d).concrete, vec![type_set_text(set)]),
                    None => (vec![], vec![]),
                };
                let f = self.sym.type_or_attr(from, self.d).map(|t| self.sym.expand(t));
                let t = self.sym.type_or_attr(to, self.d).map(|t| self.sym.expand(t));
                if let (Some(f), Some(t)) = (f, t) {
                    self.db.assertions.push(FlowAssertion {
                        from_name: from.text.clone(),
                        to_name: to.text.clone(),
                        from: f,
                        to: t,
                        except,
                        except_names,
                        origin: origin(s.span),
                    });
                }
            }
            _ => {}
        }
    }

    fn context(&mut self, c: &ContextAst) -> Option<Context> {
        let r = levels::context(self.sym, c, &self.default_level, self.d)?;
        self.uses.push((r.clone(), c.span));
        Some(r)
    }

    pub(crate) fn classes(&mut self, names: &[Name]) -> Vec<u16> {
        names.iter().filter_map(|n| self.sym.class(n, self.d)).collect()
    }

    fn av_rules(
        &mut self,
        span: Span,
        kind: AvKind,
        src: &TypeSet,
        tgt: &TypeSet,
        classes: &[Name],
        perms: &PermSet,
    ) -> Vec<AvRule> {
        let kind = match kind {
            AvKind::Allow => RuleKind::Allow,
            AvKind::AuditAllow => RuleKind::AuditAllow,
            _ => RuleKind::DontAudit,
        };
        let errors_before = self.d.error_count();
        let s = sets::type_set(self.sym, src, false, self.d);
        let t = sets::type_set(self.sym, tgt, true, self.d);
        if self.d.error_count() == errors_before && (s.concrete.is_empty() || (t.concrete.is_empty() && !t.has_self)) {
            self.d.warn(span, "rule has no effect: its source or target set is empty");
        }
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for &a in &s.ids {
            pairs.extend(t.ids.iter().map(|&b| (a, b)));
        }
        if t.has_self {
            pairs.extend(s.concrete.iter().map(|&a| (a, a)));
        }
        let mut out = Vec::new();
        for c in self.classes(classes) {
            let p = sets::perm_set(self.sym, c, perms, self.d);
            if p == 0 {
                continue;
            }
            for &(a, b) in &pairs {
                out.push(AvRule { kind, src: a, tgt: b, class: c, perms: p, origin: origin(span) });
            }
        }
        out
    }

    fn neverallow(&mut self, s: &Stmt, src: &TypeSet, tgt: &TypeSet, classes: &[Name], perms: &PermSet) {
        let sr = sets::type_set(self.sym, src, false, self.d);
        let tr = sets::type_set(self.sym, tgt, true, self.d);
        let resolved: Vec<(u16, &Name)> =
            classes.iter().filter_map(|n| self.sym.class(n, self.d).map(|c| (c, n))).collect();
        for (c, cname) in resolved {
            let p = sets::perm_set(self.sym, c, perms, self.d);
            let text = format!(
                "neverallow {} {} : {} {};",
                type_set_text(src),
                type_set_text(tgt),
                cname.text,
                perm_set_text(perms)
            );
            self.db.neverallows.push(NeverAllow {
                src: sr.concrete.clone(),
                tgt: tr.concrete.clone(),
                tgt_self: tr.has_self,
                class: c,
                perms: p,
                text,
                origin: origin(s.span),
            });
        }
    }

    fn type_transition(
        &mut self,
        span: Span,
        src: &TypeSet,
        tgt: &TypeSet,
        classes: &[Name],
        new: &Name,
        object: Option<&Name>,
    ) {
        let s = sets::type_set(self.sym, src, false, self.d);
        let t = sets::type_set(self.sym, tgt, false, self.d);
        let Some(n) = self.sym.concrete_type(new, self.d) else { return };
        let name = object.map(|o| o.text.clone());
        for c in self.classes(classes) {
            for &a in &s.concrete {
                for &b in &t.concrete {
                    let key = (a, b, c, name.clone());
                    match self.trans.get(&key) {
                        Some((old, _)) if *old == n => continue,
                        Some((old, at)) => {
                            let m = format!(
                                "conflicting type_transition for {} {} : {}: `{}` here, `{}` at line {}",
                                self.sym.types[a as usize].name,
                                self.sym.types[b as usize].name,
                                self.sym.classes[usize::from(c) - 1].name,
                                new.text,
                                self.sym.types[*old as usize].name,
                                at.line
                            );
                            self.d.error(span, m);
                            continue;
                        }
                        None => {}
                    }
                    self.trans.insert(key, (n, span));
                    self.db.transitions.push(TypeTransition {
                        src: a,
                        tgt: b,
                        class: c,
                        name: name.clone(),
                        new_type: n,
                        origin: origin(span),
                    });
                }
            }
        }
    }

    fn cond(&mut self, span: Span, cond: &CondExpr, then: &[Stmt], els: &[Stmt]) {
        let mut expr = Vec::new();
        self.cond_rpn(cond, &mut expr);
        let branch = |l: &mut Self, stmts: &[Stmt]| {
            let mut out = Vec::new();
            for s in stmts {
                match &s.kind {
                    StmtKind::Av { kind, src, tgt, classes, perms } if *kind != AvKind::NeverAllow => {
                        out.extend(l.av_rules(s.span, *kind, src, tgt, classes, perms));
                    }
                    _ => l.d.error(s.span, "only allow, auditallow and dontaudit rules may appear inside `if`"),
                }
            }
            out
        };
        let if_true = branch(self, then);
        let if_false = branch(self, els);
        self.db.conds.push(CondBlock { expr, if_true, if_false, origin: origin(span) });
    }

    fn cond_rpn(&mut self, e: &CondExpr, out: &mut Vec<CondNode>) {
        match e {
            CondExpr::Bool(n) => {
                let b = self.sym.boolean(n, self.d).unwrap_or(0);
                out.push(CondNode::Bool(b));
            }
            CondExpr::Not(x) => {
                self.cond_rpn(x, out);
                out.push(CondNode::Not);
            }
            CondExpr::Bin(op, a, b) => {
                self.cond_rpn(a, out);
                self.cond_rpn(b, out);
                out.push(match op {
                    CondOp::And => CondNode::And,
                    CondOp::Or => CondNode::Or,
                    CondOp::Xor => CondNode::Xor,
                    CondOp::Eq => CondNode::Eq,
                    CondOp::Ne => CondNode::Ne,
                });
            }
        }
    }

    fn constrain(&mut self, span: Span, mls: bool, classes: &[Name], perms: &PermSet, expr: &ConsExpr) {
        if crate::constraint::names_task(expr) {
            self.d.error(span, "`u3`, `r3` and `t3` name the relabelling task: only `validatetrans` may use them");
            return;
        }
        let mut rpn = Vec::new();
        crate::constraint::lower(self.sym, mls, expr, &mut rpn, self.d);
        if mls && !self.sym.is_mls() {
            self.d.error(span, "`mlsconstrain` needs an MLS policy");
        }
        for c in self.classes(classes) {
            let p = sets::perm_set(self.sym, c, perms, self.d);
            self.db.constraints.push(Constraint { class: c, perms: p, expr: rpn.clone(), mls, origin: origin(span) });
        }
    }

    fn filecon(&mut self, span: Span, pattern: &Name, kind: Option<&Name>, ctx: Option<&ContextAst>) {
        if let Err(e) = rampart_policy::filecon::compile_pattern(&pattern.text) {
            let msg = match e {
                rampart_policy::PolicyError::Invalid(m) => m,
                other => other.to_string(),
            };
            self.d.error(pattern.span, format!("bad path pattern: {msg}"));
            return;
        }
        let kind = match kind {
            None => None,
            Some(k) if k.text == "any" => None,
            Some(k) => match FileKind::from_keyword(&k.text) {
                Some(fk) => Some(fk),
                None => {
                    let kws = FileKind::ALL.iter().map(|k| k.keyword());
                    let m = crate::diag::unknown("file kind", &k.text, kws);
                    self.d.error(k.span, m);
                    return;
                }
            },
        };
        let context = match ctx {
            Some(c) => match self.context(c) {
                Some(c) => Some(c),
                None => return,
            },
            None => None,
        };
        self.db.filecons.retain(|f| !(f.pattern == pattern.text && f.kind == kind));
        self.db.filecons.push(FileCon { pattern: pattern.text.clone(), kind, context, origin: origin(span) });
    }

    fn finish_filecons(&mut self) {
        fn key(f: &FileCon) -> (bool, core::cmp::Reverse<usize>, core::cmp::Reverse<usize>, bool) {
            const META: &[char] = &['.', '^', '$', '?', '*', '+', '|', '[', '(', '{', '\\'];
            let stem = f.pattern.find(META).unwrap_or(f.pattern.len());
            let has_meta = stem < f.pattern.len();
            (has_meta, core::cmp::Reverse(stem), core::cmp::Reverse(f.pattern.len()), f.kind.is_none())
        }
        self.db.filecons.sort_by_key(key);
    }

    fn portcon(&mut self, span: Span, proto: &Name, low: u64, high: u64, ctx: &ContextAst) {
        let Some(p) = Protocol::from_keyword(&proto.text) else {
            self.d.error(proto.span, format!("unknown protocol `{}` (expected `tcp` or `udp`)", proto.text));
            return;
        };
        if high > 65535 || low > high {
            self.d.error(span, format!("bad port range {low}-{high} (ports are 0-65535, low <= high)"));
            return;
        }
        let Some(c) = self.context(ctx) else { return };
        let (low, high) = (low as u16, high as u16);
        self.db.portcons.retain(|r| !(r.proto == p && r.low == low && r.high == high));
        self.db.portcons.push(PortCon { proto: p, low, high, context: c, origin: origin(span) });
    }

    fn servicecon(&mut self, span: Span, pattern: &Name, ctx: &ContextAst) {
        if !rampart_policy::servicecon::valid_pattern(&pattern.text) {
            let m = format!(
                "bad service name `{}` (1-255 printable ASCII characters without spaces; `*` only at the end)",
                pattern.text
            );
            self.d.error(pattern.span, m);
            return;
        }
        let Some(c) = self.context(ctx) else { return };
        self.db.servicecons.retain(|r| r.pattern != pattern.text);
        self.db.servicecons.push(ServiceCon { pattern: pattern.text.clone(), context: c, origin: origin(span) });
    }

    fn permflow(&mut self, class: &Name, perms: &PermSet, dir: &Name, weight: Option<(u64, Span)>) {
        let Some(c) = self.sym.class(class, self.d) else { return };
        let p = sets::perm_set(self.sym, c, perms, self.d);
        let Some(dr) = FlowDir::from_keyword(&dir.text) else {
            let m = format!("expected `read`, `write`, `both` or `none`, found `{}`", dir.text);
            self.d.error(dir.span, m);
            return;
        };
        let w = match weight {
            None => 10,
            Some((w @ 1..=10, _)) => w as u8,
            Some((w, sp)) => {
                self.d.error(sp, format!("flow weight {w} is out of range (1-10)"));
                return;
            }
        };
        self.db.permflows.push(PermFlow { class: c, perms: p, dir: dr, weight: w });
    }
}

/// Sorted concrete ids of a set of names (types expand attributes).
pub fn concrete_names(sym: &Symbols, names: &[Name], d: &mut Diagnostics) -> Vec<u32> {
    let mut set = BTreeSet::new();
    for n in names {
        if let Some(t) = sym.type_or_attr(n, d) {
            set.extend(sym.expand(t));
        }
    }
    set.into_iter().collect()
}
