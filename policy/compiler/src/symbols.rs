//! Declaration pass: every name the policy declares, from all files, before
//! any rule is lowered (so declarations may appear in any file and order).

use crate::prelude::*;
use hashbrown::HashMap;

use rampart_policy::db::{BoolDef, ClassDef, Named, RoleDef, TypeDef, UserDef};

use crate::ast::{Name, Stmt, StmtKind};
use crate::diag::{Diagnostics, Span, unknown};

/// Names declared by the policy, with their indexes.
#[derive(Debug, Default)]
pub struct Symbols {
    /// `model NAME;` and where.
    pub model: Option<(String, Span)>,
    /// `common` permission sets.
    pub commons: HashMap<String, Vec<String>>,
    /// Classes (class number = index + 1).
    pub classes: Vec<ClassDef>,
    class_ix: HashMap<String, u16>,
    /// Types and attributes.
    pub types: Vec<TypeDef>,
    type_ix: HashMap<String, u32>,
    /// Roles (types filled by the lowering pass). `object_r` is role 0.
    pub roles: Vec<RoleDef>,
    role_ix: HashMap<String, u32>,
    /// Users (roles and levels filled by the lowering pass).
    pub users: Vec<UserDef>,
    user_ix: HashMap<String, u32>,
    /// Booleans.
    pub bools: Vec<BoolDef>,
    bool_ix: HashMap<String, u32>,
    /// Sensitivities in dominance order.
    pub sens: Vec<Named>,
    sens_ix: HashMap<String, u16>,
    /// Categories.
    pub cats: Vec<Named>,
    cat_ix: HashMap<String, u16>,
    defined_at: HashMap<(u8, String), Span>,
}

/// Every statement, with those inside `if` blocks, in source order.
pub fn flatten(stmts: &[Stmt]) -> Vec<&Stmt> {
    let mut out = Vec::new();
    for s in stmts {
        out.push(s);
        if let StmtKind::If { then, els, .. } = &s.kind {
            out.extend(flatten(then));
            out.extend(flatten(els));
        }
    }
    out
}

impl Symbols {
    /// Records a definition of `name` in namespace `ns`; reports a
    /// duplicate (with the first definition's position) and returns false.
    fn define(&mut self, d: &mut Diagnostics, ns: u8, what: &str, name: &Name) -> bool {
        let key = (ns, name.text.clone());
        if let Some(prev) = self.defined_at.get(&key) {
            let prev = format!("{}:{}", prev.line, prev.col);
            d.error(name.span, format!("duplicate {what} `{}` (first declared at line {prev})", name.text));
            return false;
        }
        self.defined_at.insert(key, name.span);
        true
    }

    /// Runs the declaration pass over all statements.
    pub fn collect(stmts: &[&Stmt], d: &mut Diagnostics) -> Symbols {
        let mut s = Symbols::default();
        s.roles.push(RoleDef { name: "object_r".into(), types: vec![] });
        s.role_ix.insert("object_r".into(), 0);
        // Pass A: names that do not depend on others.
        let mut sens_decl: Vec<Named> = Vec::new();
        for st in stmts {
            match &st.kind {
                StmtKind::Model(n) => match &s.model {
                    Some((_, prev)) => {
                        d.error(n.span, format!("duplicate `model` statement (first at line {})", prev.line))
                    }
                    None => s.model = Some((n.text.clone(), n.span)),
                },
                StmtKind::Common { name, perms } if s.define(d, 0, "common", name) => {
                    let v = dedup_perms(perms, d);
                    s.commons.insert(name.text.clone(), v);
                }
                StmtKind::Attribute(n) if s.define(d, 1, "type or attribute", n) => {
                    s.add_type(n, true, &[]);
                }
                StmtKind::Bool { name, default } if s.define(d, 2, "boolean", name) => {
                    s.bool_ix.insert(name.text.clone(), s.bools.len() as u32);
                    s.bools.push(BoolDef { name: name.text.clone(), default: *default });
                }
                StmtKind::Sensitivity { name, aliases }
                    if s.define(d, 3, "sensitivity", name)
                        && aliases.iter().all(|a| s.define(d, 3, "sensitivity", a)) =>
                {
                    sens_decl.push(named(name, aliases));
                }
                StmtKind::Category { name, aliases }
                    if s.define(d, 4, "category", name) && aliases.iter().all(|a| s.define(d, 4, "category", a)) =>
                {
                    let i = s.cats.len() as u16;
                    for n in core::iter::once(name).chain(aliases) {
                        s.cat_ix.insert(n.text.clone(), i);
                    }
                    s.cats.push(named(name, aliases));
                }
                StmtKind::Role { name, .. } if !s.role_ix.contains_key(&name.text) => {
                    s.role_ix.insert(name.text.clone(), s.roles.len() as u32);
                    s.roles.push(RoleDef { name: name.text.clone(), types: vec![] });
                }
                StmtKind::User { name, .. } if !s.user_ix.contains_key(&name.text) => {
                    s.user_ix.insert(name.text.clone(), s.users.len() as u32);
                    s.users.push(UserDef { name: name.text.clone(), roles: vec![], default_level: None, range: None });
                }
                _ => {}
            }
        }
        // Pass B: classes (need commons), types (need attributes), dominance.
        let mut dominance: Option<&Vec<Name>> = None;
        for st in stmts {
            match &st.kind {
                StmtKind::Class { name, inherits, perms } if s.define(d, 5, "class", name) => {
                    s.add_class(name, inherits.as_ref(), perms, d)
                }
                StmtKind::Type { name, aliases, attrs } if s.define(d, 1, "type or attribute", name) => {
                    let attrs = s.resolve_attrs(attrs, d);
                    let t = s.add_type(name, false, &attrs);
                    s.add_aliases(t, aliases, d);
                }
                StmtKind::Dominance(v) => match dominance {
                    Some(_) => d.error(st.span, "duplicate `dominance` statement"),
                    None => dominance = Some(v),
                },
                _ => {}
            }
        }
        s.order_sensitivities(sens_decl, dominance, d);
        // Pass C: things that refer to types.
        for st in stmts {
            match &st.kind {
                StmtKind::TypeAttribute { ty, attrs } => {
                    if let Some(t) = s.concrete_type(ty, d) {
                        for a in s.resolve_attrs(attrs, d) {
                            let v = &mut s.types[t as usize].attrs;
                            if !v.contains(&a) {
                                v.push(a);
                                v.sort_unstable();
                            }
                        }
                    }
                }
                StmtKind::TypeAlias { ty, aliases } => {
                    if let Some(t) = s.concrete_type(ty, d) {
                        s.add_aliases(t, aliases, d);
                    }
                }
                _ => {}
            }
        }
        s
    }

    fn add_type(&mut self, n: &Name, attribute: bool, attrs: &[u32]) -> u32 {
        let i = self.types.len() as u32;
        let mut attrs = attrs.to_vec();
        attrs.sort_unstable();
        attrs.dedup();
        self.types.push(TypeDef { name: n.text.clone(), attribute, aliases: vec![], attrs });
        self.type_ix.insert(n.text.clone(), i);
        i
    }

    fn add_aliases(&mut self, t: u32, aliases: &[Name], d: &mut Diagnostics) {
        for a in aliases {
            if self.define(d, 1, "type or attribute", a) {
                self.type_ix.insert(a.text.clone(), t);
                self.types[t as usize].aliases.push(a.text.clone());
            }
        }
    }

    fn resolve_attrs(&self, attrs: &[Name], d: &mut Diagnostics) -> Vec<u32> {
        attrs
            .iter()
            .filter_map(|a| match self.type_ix.get(&a.text) {
                Some(&i) if self.types[i as usize].attribute => Some(i),
                Some(_) => {
                    d.error(a.span, format!("`{}` is a type, not an attribute", a.text));
                    None
                }
                None => {
                    let m = unknown("attribute", &a.text, self.attribute_names());
                    d.error(a.span, m);
                    None
                }
            })
            .collect()
    }

    fn add_class(&mut self, name: &Name, inherits: Option<&Name>, own: &[Name], d: &mut Diagnostics) {
        let mut perms = Vec::new();
        if let Some(c) = inherits {
            match self.commons.get(&c.text) {
                Some(p) => perms.extend(p.iter().cloned()),
                None => d.error(c.span, unknown("common", &c.text, self.commons.keys().map(|k| k.as_str()))),
            }
        }
        for p in own {
            if perms.contains(&p.text) {
                d.error(p.span, format!("duplicate permission `{}` in class `{}`", p.text, name.text));
            } else {
                perms.push(p.text.clone());
            }
        }
        if perms.len() > rampart_policy::ids::MAX_PERMS {
            d.error(
                name.span,
                format!("class `{}` has {} permissions; at most 32 are allowed", name.text, perms.len()),
            );
            perms.truncate(rampart_policy::ids::MAX_PERMS);
        }
        self.class_ix.insert(name.text.clone(), self.classes.len() as u16 + 1);
        self.classes.push(ClassDef { name: name.text.clone(), common: inherits.map(|c| c.text.clone()), perms });
    }

    fn order_sensitivities(&mut self, decl: Vec<Named>, dom: Option<&Vec<Name>>, d: &mut Diagnostics) {
        let ordered: Vec<Named> = match dom {
            None => decl,
            Some(order) => {
                let mut out = Vec::new();
                for n in order {
                    match decl.iter().find(|s| s.name == n.text || s.aliases.contains(&n.text)) {
                        Some(s) if out.iter().any(|o: &Named| o.name == s.name) => {
                            d.error(n.span, format!("sensitivity `{}` appears twice in `dominance`", n.text))
                        }
                        Some(s) => out.push(s.clone()),
                        None => d.error(n.span, unknown("sensitivity", &n.text, decl.iter().map(|s| s.name.as_str()))),
                    }
                }
                for s in &decl {
                    if !out.iter().any(|o| o.name == s.name) {
                        let span = self.defined_at.get(&(3, s.name.clone())).copied().unwrap_or_default();
                        d.error(span, format!("sensitivity `{}` is missing from `dominance`", s.name));
                    }
                }
                out
            }
        };
        for (i, s) in ordered.iter().enumerate() {
            for n in core::iter::once(&s.name).chain(&s.aliases) {
                self.sens_ix.insert(n.clone(), i as u16);
            }
        }
        self.sens = ordered;
    }

    /// Names of attributes (for suggestions).
    pub fn attribute_names(&self) -> impl Iterator<Item = &str> {
        self.types.iter().filter(|t| t.attribute).map(|t| t.name.as_str())
    }

    /// Looks up a type, attribute or alias; reports unknown names.
    pub fn type_or_attr(&self, n: &Name, d: &mut Diagnostics) -> Option<u32> {
        let r = self.type_ix.get(&n.text).copied();
        if r.is_none() {
            let cands = self.type_ix.keys().map(|k| k.as_str());
            d.error(n.span, unknown("type or attribute", &n.text, cands));
        }
        r
    }

    /// Looks up a concrete type; reports unknown names and attributes.
    pub fn concrete_type(&self, n: &Name, d: &mut Diagnostics) -> Option<u32> {
        let t = self.type_or_attr(n, d)?;
        if self.types[t as usize].attribute {
            d.error(n.span, format!("`{}` is an attribute; a type is required here", n.text));
            return None;
        }
        Some(t)
    }

    /// Concrete members of an id (the type itself, or an attribute's types).
    pub fn expand(&self, t: u32) -> Vec<u32> {
        match self.types.get(t as usize) {
            Some(d) if d.attribute => {
                (0..self.types.len() as u32).filter(|&i| self.types[i as usize].attrs.contains(&t)).collect()
            }
            Some(_) => vec![t],
            None => vec![],
        }
    }

    /// All concrete types.
    pub fn all_types(&self) -> Vec<u32> {
        (0..self.types.len() as u32).filter(|&i| !self.types[i as usize].attribute).collect()
    }

    /// Looks up a class number.
    pub fn class(&self, n: &Name, d: &mut Diagnostics) -> Option<u16> {
        let r = self.class_ix.get(&n.text).copied();
        if r.is_none() {
            d.error(n.span, unknown("class", &n.text, self.classes.iter().map(|c| c.name.as_str())));
        }
        r
    }

    /// Looks up a role.
    pub fn role(&self, n: &Name, d: &mut Diagnostics) -> Option<u32> {
        let r = self.role_ix.get(&n.text).copied();
        if r.is_none() {
            let m = if self.type_ix.contains_key(&n.text) {
                format!("`{}` is a type, but a role is required here", n.text)
            } else {
                unknown("role", &n.text, self.roles.iter().map(|r| r.name.as_str()))
            };
            d.error(n.span, m);
        }
        r
    }

    /// Looks up a user.
    pub fn user(&self, n: &Name, d: &mut Diagnostics) -> Option<u32> {
        let r = self.user_ix.get(&n.text).copied();
        if r.is_none() {
            d.error(n.span, unknown("user", &n.text, self.users.iter().map(|u| u.name.as_str())));
        }
        r
    }

    /// Looks up a boolean.
    pub fn boolean(&self, n: &Name, d: &mut Diagnostics) -> Option<u32> {
        let r = self.bool_ix.get(&n.text).copied();
        if r.is_none() {
            d.error(n.span, unknown("boolean", &n.text, self.bools.iter().map(|b| b.name.as_str())));
        }
        r
    }

    /// Looks up a sensitivity (its dominance rank).
    pub fn sensitivity(&self, n: &Name, d: &mut Diagnostics) -> Option<u16> {
        let r = self.sens_ix.get(&n.text).copied();
        if r.is_none() {
            d.error(n.span, unknown("sensitivity", &n.text, self.sens.iter().map(|s| s.name.as_str())));
        }
        r
    }

    /// Looks up a category number.
    pub fn category(&self, n: &Name, d: &mut Diagnostics) -> Option<u16> {
        let r = self.cat_ix.get(&n.text).copied();
        if r.is_none() {
            d.error(n.span, unknown("category", &n.text, self.cats.iter().map(|c| c.name.as_str())));
        }
        r
    }

    /// True if the policy declares sensitivities.
    pub fn is_mls(&self) -> bool {
        !self.sens.is_empty()
    }
}

fn named(n: &Name, aliases: &[Name]) -> Named {
    Named { name: n.text.clone(), aliases: aliases.iter().map(|a| a.text.clone()).collect() }
}

fn dedup_perms(perms: &[Name], d: &mut Diagnostics) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for p in perms {
        if v.contains(&p.text) {
            d.error(p.span, format!("duplicate permission `{}`", p.text));
        } else {
            v.push(p.text.clone());
        }
    }
    v
}
