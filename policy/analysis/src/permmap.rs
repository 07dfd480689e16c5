//! Permission-map override files for the flow analyses.
//!
//! Format: one mapping per line, `CLASS PERM DIRECTION [WEIGHT]`, where
//! DIRECTION is `read`, `write`, `both` or `none` and WEIGHT is 1-10
//! (default 10); `*` as PERM means every permission of the class; `#`
//! starts a comment. Entries override the policy's `permflow` statements,
//! which override the built-in map (`rampart_policy::permmap`).

use crate::prelude::*;
use rampart_policy::PolicyDb;
use rampart_policy::ids::FlowDir;
use rampart_policy::permmap::{ClassFlows, flow_table};

/// One parsed override: class number, permissions, direction, weight.
pub type Override = (u16, u32, FlowDir, u8);

/// Parses an override file against `db`.
///
/// # Errors
/// `line N: message` for the first bad line.
pub fn parse(db: &PolicyDb, text: &str) -> Result<Vec<Override>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let err = |m: String| format!("line {}: {m}", i + 1);
        let f: Vec<&str> = line.split_whitespace().collect();
        if !(3..=4).contains(&f.len()) {
            return Err(err("expected `CLASS PERM DIRECTION [WEIGHT]`".into()));
        }
        let class = db.class_id(f[0]).ok_or_else(|| err(format!("unknown class `{}`", f[0])))?;
        let perms = if f[1] == "*" {
            u32::MAX
        } else {
            db.perm_bit(class, f[1]).ok_or_else(|| err(format!("unknown permission `{}` of class `{}`", f[1], f[0])))?
        };
        let dir = FlowDir::from_keyword(f[2]).ok_or_else(|| err(format!("bad direction `{}`", f[2])))?;
        let weight = match f.get(3) {
            None => 10,
            Some(w) => w
                .parse::<u8>()
                .ok()
                .filter(|w| (1..=10).contains(w))
                .ok_or_else(|| err(format!("bad weight `{w}` (1-10)")))?,
        };
        out.push((class, perms, dir, weight));
    }
    Ok(out)
}

/// The effective map: built-in, then the policy's `permflow`, then
/// `overrides`.
pub fn effective(db: &PolicyDb, overrides: &[Override]) -> Vec<ClassFlows> {
    flow_table(db, overrides)
}

/// Prints the effective map in the override-file format.
pub fn dump(db: &PolicyDb, overrides: &[Override]) -> String {
    let mut s = String::new();
    for (c, cf) in db.classes.iter().zip(effective(db, overrides)) {
        for (p, (dir, w)) in c.perms.iter().zip(&cf.perms) {
            s.push_str(&format!("{} {} {} {}\n", c.name, p, dir.keyword(), w));
        }
    }
    s
}
