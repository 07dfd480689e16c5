//! What the analyses assume the policy's decision model grants.
//!
//! Every analysis that claims an *absence* (no neverallow violation, no
//! information flow) takes a [`ModelGrants`]: the model's own declaration
//! ([`rampart_policy::PolicyModel::grants`], contract in
//! [`rampart_policy::Grants`]) resolved against the policy. It can only be
//! built from a model that declares an upper bound on what it grants; for
//! a model this analyser cannot instantiate, a model declaring
//! [`Grants::Unknown`], or a declaration naming types or classes the policy
//! does not have, [`ModelGrants::resolve`] returns a [`Refusal`] instead,
//! so nothing is ever proved about rules a model does not follow.

use crate::prelude::*;
use core::fmt;

use rampart_policy::db::{ClassDef, RuleKind};
use rampart_policy::{Grants, ModelRegistry, PolicyDb, PolicyModel};

use crate::rules::Members;

/// One grant beyond the rules, with its types expanded to concrete types.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extra {
    /// Concrete source types (sorted).
    pub src: Vec<u32>,
    /// Concrete target types (sorted).
    pub tgt: Vec<u32>,
    /// Class number.
    pub class: u16,
    /// Permissions (within the class).
    pub perms: u32,
    /// The model's explanation.
    pub reason: String,
}

/// What the model may grant, relative to the rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Only what the `allow` rules grant.
    Rules,
    /// The rules plus these grants.
    Extra(Vec<Extra>),
    /// Every permission between any two types.
    Everything,
}

/// A model's declaration, checked against the policy. Never "unknown":
/// see the module documentation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelGrants {
    model: String,
    scope: Scope,
}

/// Why the analyses refuse a policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The policy names a model the registry does not have.
    UnknownModel {
        /// The model's name.
        model: String,
        /// The names the registry has.
        known: Vec<String>,
    },
    /// The model declares [`Grants::Unknown`].
    Undeclared {
        /// The model's name.
        model: String,
    },
    /// The declaration names a type, attribute or class the policy lacks.
    BadDeclaration {
        /// The model's name.
        model: String,
        /// What is wrong.
        what: String,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownModel { model, known } => write!(
                f,
                "model `{model}` is not one this analyser knows ({}), so what it may grant beyond the rules is \
                 unknown",
                known.join(", ")
            ),
            Refusal::Undeclared { model } => write!(
                f,
                "model `{model}` does not declare what it may grant beyond the rules (its PolicyModel::grants is \
                 Grants::Unknown)"
            ),
            Refusal::BadDeclaration { model, what } => write!(f, "model `{model}` declares an extra grant on {what}"),
        }
    }
}

impl core::error::Error for Refusal {}

/// Every permission of a class.
fn class_mask(c: &ClassDef) -> u32 {
    if c.perms.len() >= 32 { u32::MAX } else { (1u32 << c.perms.len()) - 1 }
}

impl ModelGrants {
    /// Instantiates the model `db` names from `registry` and resolves its
    /// declaration.
    ///
    /// # Errors
    /// [`Refusal::UnknownModel`] if the registry lacks it; otherwise as
    /// [`ModelGrants::of`].
    pub fn resolve(db: &PolicyDb, registry: &ModelRegistry) -> Result<ModelGrants, Refusal> {
        let model = registry.create(&db.model).map_err(|_| Refusal::UnknownModel {
            model: db.model.clone(),
            known: registry.names().map(String::from).collect(),
        })?;
        ModelGrants::of(db, model.as_ref())
    }

    /// [`ModelGrants::resolve`] with the built-in models (what `polc` uses).
    ///
    /// # Errors
    /// As [`ModelGrants::resolve`].
    pub fn builtin(db: &PolicyDb) -> Result<ModelGrants, Refusal> {
        ModelGrants::resolve(db, &ModelRegistry::builtin())
    }

    /// Resolves the declaration of `model` (whatever `db.model` says).
    ///
    /// # Errors
    /// [`Refusal::Undeclared`] for [`Grants::Unknown`];
    /// [`Refusal::BadDeclaration`] if an extra grant names a class, type or
    /// attribute `db` does not define (ignoring it would be unsound).
    pub fn of(db: &PolicyDb, model: &dyn PolicyModel) -> Result<ModelGrants, Refusal> {
        let name = model.name().to_string();
        let scope = match model.grants(db) {
            Grants::Unknown => return Err(Refusal::Undeclared { model: name }),
            Grants::SubsetOfRules => Scope::Rules,
            Grants::Everything => Scope::Everything,
            Grants::Extra(v) => {
                let m = Members::new(db);
                let bad = |what: String| Refusal::BadDeclaration { model: name.clone(), what };
                let expand = |ids: &[u32]| -> Result<Vec<u32>, Refusal> {
                    let mut out = Vec::new();
                    for &id in ids {
                        if id as usize >= db.types.len() {
                            return Err(bad(format!("type id {id}, which the policy does not define")));
                        }
                        out.extend_from_slice(m.of(id));
                    }
                    out.sort_unstable();
                    out.dedup();
                    Ok(out)
                };
                let mut out = Vec::new();
                for g in v {
                    let Some(c) = db.class(g.class) else {
                        return Err(bad(format!("class number {}, which the policy does not define", g.class)));
                    };
                    let mask = class_mask(c);
                    if g.perms & !mask != 0 {
                        return Err(bad(format!("permission bits {:#x} that class {} lacks", g.perms & !mask, c.name)));
                    }
                    let (src, tgt) = (expand(&g.src)?, expand(&g.tgt)?);
                    out.push(Extra { src, tgt, class: g.class, perms: g.perms, reason: g.reason });
                }
                Scope::Extra(out)
            }
        };
        Ok(ModelGrants { model: name, scope })
    }

    /// The model's name.
    pub fn name(&self) -> &str {
        &self.model
    }

    /// What it may grant.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The grants beyond the rules (empty unless [`Scope::Extra`]).
    pub fn extras(&self) -> &[Extra] {
        match &self.scope {
            Scope::Extra(v) => v,
            _ => &[],
        }
    }

    /// True if the model may grant only what the rules grant.
    pub fn rules_only(&self) -> bool {
        self.scope == Scope::Rules
    }

    /// The upper bound the analyses use for concrete types `s`, `t` and
    /// `class`: `R(s, t, class) ∪ X(s, t, class)` of the contract in
    /// [`rampart_policy::Grants`] (every `allow` rule, both branches of
    /// every conditional, plus what the model adds). Linear in the number
    /// of rules; for tests and one-off questions.
    pub fn may_grant(&self, db: &PolicyDb, s: u32, t: u32, class: u16) -> u32 {
        let mask = db.class(class).map_or(0, class_mask);
        if self.scope == Scope::Everything {
            return mask;
        }
        let covers = |id: u32, t: u32| id == t || db.types.get(t as usize).is_some_and(|d| d.attrs.contains(&id));
        let mut out = 0;
        let rules = db.rules.iter().chain(db.conds.iter().flat_map(|c| c.if_true.iter().chain(&c.if_false)));
        for r in rules {
            if r.kind == RuleKind::Allow && r.class == class && covers(r.src, s) && covers(r.tgt, t) {
                out |= r.perms;
            }
        }
        for e in self.extras() {
            if e.class == class && e.src.binary_search(&s).is_ok() && e.tgt.binary_search(&t).is_ok() {
                out |= e.perms;
            }
        }
        out & mask
    }
}
