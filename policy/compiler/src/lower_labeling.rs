//! Lowering of `role_transition`, `range_transition`, `typebounds` and
//! `validatetrans` (methods on the lowering pass).

use crate::prelude::*;
use hashbrown::HashMap;

use rampart_policy::db::{RangeTransition, RoleTransition, TypeBounds, ValidateTrans};

use crate::ast::*;
use crate::diag::Span;
use crate::levels;
use crate::lower::{Lower, origin};
use crate::sets;

impl Lower<'_> {
    /// The classes a rule names, or `process` when it names none.
    fn classes_or_process(&mut self, span: Span, classes: &[Name]) -> Vec<u16> {
        if !classes.is_empty() {
            return self.classes(classes);
        }
        match self.db.class_id("process") {
            Some(c) => vec![c],
            None => {
                self.d.error(span, "the rule names no class and the policy has no `process` class");
                vec![]
            }
        }
    }

    pub(crate) fn role_transition(
        &mut self,
        span: Span,
        roles: &[Name],
        types: &TypeSet,
        classes: &[Name],
        new: &Name,
    ) {
        let t = sets::type_set(self.sym, types, false, self.d);
        let rs: Vec<u32> = roles.iter().filter_map(|r| self.sym.role(r, self.d)).collect();
        let Some(n) = self.sym.role(new, self.d) else { return };
        let mut seen: HashMap<(u32, u32, u16), u32> =
            self.db.role_transitions.iter().map(|r| ((r.role, r.ty, r.class), r.new_role)).collect();
        for c in self.classes_or_process(span, classes) {
            for &r in &rs {
                for &ty in &t.concrete {
                    match seen.get(&(r, ty, c)) {
                        Some(&old) if old == n => continue,
                        Some(&old) => {
                            let m = format!(
                                "conflicting role_transition for {} {} : {}: `{}` here, `{}` earlier",
                                self.sym.roles[r as usize].name,
                                self.sym.types[ty as usize].name,
                                self.sym.classes[usize::from(c) - 1].name,
                                new.text,
                                self.sym.roles[old as usize].name,
                            );
                            self.d.error(span, m);
                            continue;
                        }
                        None => {}
                    }
                    seen.insert((r, ty, c), n);
                    self.db.role_transitions.push(RoleTransition {
                        role: r,
                        ty,
                        class: c,
                        new_role: n,
                        origin: origin(span),
                    });
                }
            }
        }
    }

    pub(crate) fn range_transition(
        &mut self,
        span: Span,
        src: &TypeSet,
        tgt: &TypeSet,
        classes: &[Name],
        range: &RangeAst,
    ) {
        if !self.sym.is_mls() {
            self.d.error(span, "`range_transition` needs an MLS policy");
            return;
        }
        let s = sets::type_set(self.sym, src, false, self.d);
        let t = sets::type_set(self.sym, tgt, false, self.d);
        let Some(r) = levels::range(self.sym, range, self.d) else { return };
        for c in self.classes_or_process(span, classes) {
            for &a in &s.concrete {
                for &b in &t.concrete {
                    if let Some(old) = self.db.range_transitions.iter().find(|x| (x.src, x.tgt, x.class) == (a, b, c)) {
                        if old.range != r {
                            let m = format!(
                                "conflicting range_transition for {} {} : {}",
                                self.sym.types[a as usize].name,
                                self.sym.types[b as usize].name,
                                self.sym.classes[usize::from(c) - 1].name,
                            );
                            self.d.error(span, m);
                        }
                        continue;
                    }
                    self.db.range_transitions.push(RangeTransition {
                        src: a,
                        tgt: b,
                        class: c,
                        range: r.clone(),
                        origin: origin(span),
                    });
                }
            }
        }
    }

    pub(crate) fn typebounds(&mut self, parent: &Name, children: &[Name]) {
        let Some(p) = self.sym.concrete_type(parent, self.d) else { return };
        for ch in children {
            let Some(c) = self.sym.concrete_type(ch, self.d) else { continue };
            if c == p {
                self.d.error(ch.span, format!("type `{}` cannot bound itself", ch.text));
                continue;
            }
            if let Some(b) = self.db.bounds.iter().find(|b| b.child == c) {
                if b.parent != p {
                    let m =
                        format!("type `{}` already bounded by `{}`", ch.text, self.sym.types[b.parent as usize].name);
                    self.d.error(ch.span, m);
                }
                continue;
            }
            // A cycle (a bounds b bounds a) would make every bound vacuous.
            let mut up = Some(p);
            while let Some(x) = up {
                if x == c {
                    self.d.error(ch.span, format!("typebounds cycle through `{}`", ch.text));
                    return;
                }
                up = self.db.bounds.iter().find(|b| b.child == x).map(|b| b.parent);
            }
            self.db.bounds.push(TypeBounds { parent: p, child: c, origin: origin(ch.span) });
        }
    }

    pub(crate) fn validatetrans(&mut self, span: Span, mls: bool, classes: &[Name], expr: &ConsExpr) {
        if mls && !self.sym.is_mls() {
            self.d.error(span, "`mlsvalidatetrans` needs an MLS policy");
            return;
        }
        let mut rpn = Vec::new();
        crate::constraint::lower(self.sym, mls, expr, &mut rpn, self.d);
        for c in self.classes(classes) {
            self.db.validatetrans.push(ValidateTrans { class: c, expr: rpn.clone(), mls, origin: origin(span) });
        }
    }
}
