//! Type-set and permission-set resolution, and printing sets back as
//! source text (for neverallow reports).

use crate::prelude::*;
use alloc::collections::BTreeSet;

use crate::ast::{PermSet, SetItem, TypeSet};
use crate::diag::{Diagnostics, unknown};
use crate::symbols::Symbols;

/// A resolved type set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// Ids as written (attributes kept) when the set is a plain list of
    /// names; otherwise the concrete types after expansion.
    pub ids: Vec<u32>,
    /// The concrete types the set stands for.
    pub concrete: Vec<u32>,
    /// `self` was among the items.
    pub has_self: bool,
}

/// Resolves a type set. `allow_self` is true for rule targets.
/// Unknown names are reported and skipped.
pub fn type_set(sym: &Symbols, set: &TypeSet, allow_self: bool, d: &mut Diagnostics) -> Resolved {
    let mut plus: BTreeSet<u32> = BTreeSet::new();
    let mut minus: BTreeSet<u32> = BTreeSet::new();
    let mut written: Vec<u32> = Vec::new();
    let mut simple = !set.complement;
    let mut has_self = false;
    for item in &set.items {
        match item {
            SetItem::Star(_) => {
                simple = false;
                plus.extend(sym.all_types());
            }
            SetItem::SelfRef(span) => {
                if allow_self {
                    has_self = true;
                } else {
                    d.error(*span, "`self` is only allowed in a rule's target");
                }
            }
            SetItem::Name { name, neg } => {
                if let Some(t) = sym.type_or_attr(name, d) {
                    if *neg {
                        simple = false;
                        minus.extend(sym.expand(t));
                    } else {
                        written.push(t);
                        plus.extend(sym.expand(t));
                    }
                }
            }
        }
    }
    if has_self && set.complement {
        d.error(set.span, "`self` cannot be complemented");
    }
    let mut concrete: BTreeSet<u32> = plus.difference(&minus).copied().collect();
    if set.complement {
        concrete = sym.all_types().into_iter().filter(|t| !concrete.contains(t)).collect();
    }
    let concrete: Vec<u32> = concrete.into_iter().collect();
    let ids = if simple {
        written.sort_unstable();
        written.dedup();
        written
    } else {
        concrete.clone()
    };
    Resolved { ids, concrete, has_self }
}

/// Resolves a permission set against class `class` (number). Unknown
/// permissions are reported.
pub fn perm_set(sym: &Symbols, class: u16, set: &PermSet, d: &mut Diagnostics) -> u32 {
    let Some(cd) = sym.classes.get(usize::from(class) - 1) else {
        return 0;
    };
    let all = if cd.perms.len() >= 32 { u32::MAX } else { (1u32 << cd.perms.len()) - 1 };
    if set.star {
        return all;
    }
    let mut v = 0u32;
    for n in &set.names {
        match cd.perms.iter().position(|p| *p == n.text) {
            Some(i) => v |= 1 << i,
            None => {
                let what = format!("permission of class `{}`", cd.name);
                d.error(n.span, unknown(&what, &n.text, cd.perms.iter().map(|p| p.as_str())));
            }
        }
    }
    if set.complement { all & !v } else { v }
}

/// Prints a type set as written.
pub fn type_set_text(set: &TypeSet) -> String {
    let items: Vec<String> = set
        .items
        .iter()
        .map(|i| match i {
            SetItem::Star(_) => "*".into(),
            SetItem::SelfRef(_) => "self".into(),
            SetItem::Name { name, neg } => format!("{}{}", if *neg { "-" } else { "" }, name.text),
        })
        .collect();
    let body = if items.len() == 1 { items[0].clone() } else { format!("{{ {} }}", items.join(" ")) };
    if set.complement { format!("~{body}") } else { body }
}

/// Prints a permission set as written.
pub fn perm_set_text(set: &PermSet) -> String {
    if set.star {
        return "*".into();
    }
    let names: Vec<&str> = set.names.iter().map(|n| n.text.as_str()).collect();
    let body = if names.len() == 1 { names[0].to_string() } else { format!("{{ {} }}", names.join(" ")) };
    if set.complement { format!("~{body}") } else { body }
}
