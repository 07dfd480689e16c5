//! Security contexts in text form: `user:role:type[:range]`.
//!
//! A range is `low[-high]`, a level is `sensitivity[:categories]` and
//! categories are a comma-separated list of names or `first.last` spans
//! (`s0-s3:c0.c15`, `s1:c2,c5`). Names may be aliases; [`format_context`]
//! always prints primary names, spans of three or more categories as
//! `first.last`, and omits `high` when it equals `low`.
//!
//! In an MLS policy a context written without a range gets the user's
//! default level, or the policy's `defaultlevel`. A non-MLS policy rejects
//! contexts that carry a range.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::db::{Context, MlsDefs, PolicyDb};
use crate::error::PolicyError;
use crate::mls::{CatSet, Level, MlsRange};

/// Longest context string accepted, in bytes.
pub const MAX_CONTEXT_LEN: usize = 4096;

fn err(msg: String) -> PolicyError {
    PolicyError::BadContext(msg)
}

/// Parses a context string into ids. Checks names and level syntax, not
/// model validity (see [`crate::PolicyModel::validate_context`]).
///
/// # Errors
/// [`PolicyError::BadContext`] for syntax errors, unknown names, a range in
/// a non-MLS policy, or a range whose high level does not dominate its low.
pub fn parse_context(db: &PolicyDb, s: &str) -> Result<Context, PolicyError> {
    if s.len() > MAX_CONTEXT_LEN {
        return Err(err("context too long".into()));
    }
    let mut parts = s.splitn(4, ':');
    let (Some(u), Some(r), Some(t)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(err(format!("`{s}` is not user:role:type[:range]")));
    };
    let user = db.user_id(u).ok_or_else(|| err(format!("unknown user `{u}`")))?;
    let role = db.role_id(r).ok_or_else(|| err(format!("unknown role `{r}`")))?;
    let ty = db
        .type_id(t)
        .filter(|&i| db.types.get(i as usize).is_some_and(|d| !d.attribute))
        .ok_or_else(|| err(format!("unknown type `{t}`")))?;
    let range = match (parts.next(), &db.mls) {
        (None, None) => None,
        (Some(_), None) => return Err(err("range given in a non-MLS policy".into())),
        (Some(rs), Some(m)) => Some(parse_range(m, rs)?),
        (None, Some(m)) => {
            let def = db
                .users
                .get(user as usize)
                .and_then(|u| u.default_level.clone())
                .unwrap_or_else(|| m.default_level.clone());
            Some(MlsRange::single(def))
        }
    };
    Ok(Context { user, role, ty, range })
}

/// Parses `low[-high]`.
///
/// # Errors
/// [`PolicyError::BadContext`] on syntax errors, unknown names or if high
/// does not dominate low.
pub fn parse_range(m: &MlsDefs, s: &str) -> Result<MlsRange, PolicyError> {
    let (lo, hi) = match s.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let low = parse_level(m, lo)?;
    let high = match hi {
        Some(h) => parse_level(m, h)?,
        None => low.clone(),
    };
    let r = MlsRange { low, high };
    if !r.is_well_formed() {
        return Err(err(format!("range `{s}`: high does not dominate low")));
    }
    Ok(r)
}

fn find(list: &[crate::db::Named], name: &str) -> Option<u16> {
    let i = list.iter().position(|n| n.name == name || n.aliases.iter().any(|a| a == name))?;
    u16::try_from(i).ok()
}

/// Parses `sens[:cat,cat.cat]`.
///
/// # Errors
/// [`PolicyError::BadContext`] on syntax errors or unknown names.
pub fn parse_level(m: &MlsDefs, s: &str) -> Result<Level, PolicyError> {
    let (sens, cats) = match s.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (s, None),
    };
    let sens = find(&m.sensitivities, sens).ok_or_else(|| err(format!("unknown sensitivity `{sens}`")))?;
    let mut set = CatSet::new();
    if let Some(cats) = cats {
        for item in cats.split(',') {
            let (a, b) = match item.split_once('.') {
                Some((a, b)) => (a, b),
                None => (item, item),
            };
            let a = find(&m.categories, a).ok_or_else(|| err(format!("unknown category `{a}`")))?;
            let b = find(&m.categories, b).ok_or_else(|| err(format!("unknown category `{b}`")))?;
            if a > b {
                return Err(err(format!("category span `{item}` is reversed")));
            }
            for c in a..=b {
                set.insert(c);
            }
        }
    }
    Ok(Level { sens, cats: set })
}

/// Formats a level with primary names.
pub fn format_level(m: &MlsDefs, l: &Level) -> String {
    let mut out = String::from(m.sensitivities.get(usize::from(l.sens)).map_or("?", |n| n.name.as_str()));
    let cats: Vec<u16> = l.cats.iter().collect();
    let cname = |c: u16| m.categories.get(usize::from(c)).map_or("?", |n| n.name.as_str());
    let mut i = 0;
    let mut first = true;
    while i < cats.len() {
        let mut j = i;
        while j + 1 < cats.len() && cats[j + 1] == cats[j] + 1 {
            j += 1;
        }
        out.push(if first { ':' } else { ',' });
        first = false;
        if j >= i + 2 {
            out.push_str(cname(cats[i]));
            out.push('.');
            out.push_str(cname(cats[j]));
            i = j + 1;
        } else {
            out.push_str(cname(cats[i]));
            i += 1;
        }
    }
    out
}

/// Formats a range, omitting `high` when equal to `low`.
pub fn format_range(m: &MlsDefs, r: &MlsRange) -> String {
    if r.low == r.high {
        format_level(m, &r.low)
    } else {
        format!("{}-{}", format_level(m, &r.low), format_level(m, &r.high))
    }
}

/// Formats a context in canonical text form.
pub fn format_context(db: &PolicyDb, c: &Context) -> String {
    let u = db.users.get(c.user as usize).map_or("?", |u| u.name.as_str());
    let r = db.roles.get(c.role as usize).map_or("?", |r| r.name.as_str());
    let t = db.type_name(c.ty);
    match (&c.range, &db.mls) {
        (Some(range), Some(m)) => format!("{u}:{r}:{t}:{}", format_range(m, range)),
        _ => format!("{u}:{r}:{t}"),
    }
}
