//! The permission map: how each permission moves information.
//!
//! Lattice models (MLS, Biba) and the information-flow analysis share this
//! map. Each permission has a direction ([`FlowDir`], seen from the subject)
//! and a weight from 1 (little bandwidth, e.g. `lock`) to 10 (direct data
//! transfer, e.g. `read`). The built-in map ([`default_flow`]) goes by
//! permission name, with a few class-specific entries; a policy overrides
//! it with `permflow` statements, and the analysis tools accept a further
//! override file. A permission the map does not know is treated as
//! `open` is [`FlowDir::None`]: opening moves no data, the `read` or
//! `write` that follows does. A permission the map does not know is
//! treated as [`FlowDir::Both`] with weight 1: unknown permissions are assumed to leak
//! a little in both directions, so analyses over-approximate rather than
//! miss flows.

use alloc::vec::Vec;

use crate::db::PolicyDb;
use crate::ids::{AccessVector, FlowDir};

/// The built-in direction and weight of `perm` in class `class`.
pub fn default_flow(class: &str, perm: &str) -> (FlowDir, u8) {
    use FlowDir::{Both, None, Read, Write};
    match (class, perm) {
        ("process", "getattr") => (Read, 7),
        ("process", "transition" | "dyntransition" | "spawn") => (Write, 5),
        ("process", "signal" | "sigkill") => (Write, 3),
        ("process", "setcurrent") => (None, 1),
        ("service", "connect") => (Both, 10),
        ("service", "register") => (Write, 3),
        ("security", "load_policy" | "setenforce" | "setbool") => (Write, 10),
        ("security", "compute_av" | "check_context") => (Both, 3),
        ("security", "read_audit" | "dump_capgraph") => (Read, 10),
        ("security", "audit_write") => (Write, 5),
        ("resource", "map_device") => (Both, 10),
        ("device", "claim") => (Both, 10),
        ("console", "setfg") => (Write, 5),
        ("filesystem", "mount") => (Write, 5),
        (_, "read" | "recv" | "entrypoint" | "execute_no_trans" | "execute") => (Read, 10),
        (_, "write" | "append" | "send") => (Write, 10),
        (_, "getattr") => (Read, 7),
        (_, "setattr") => (Write, 7),
        (_, "search") => (Read, 3),
        (_, "open") => (None, 1),
        (_, "lock") => (Read, 1),
        (_, "ioctl") => (Both, 5),
        (_, "create" | "unlink" | "rename" | "link" | "add_name" | "remove_name" | "rmdir" | "reparent") => (Write, 5),
        (_, "bind" | "connect" | "shutdown" | "name_bind" | "name_connect") => (Write, 1),
        (_, "listen" | "accept") => (Read, 1),
        (_, "create_task" | "destroy_task" | "create_region") => (Write, 5),
        _ => (Both, 1),
    }
}

/// The effective map of one class: `(direction, weight)` per permission bit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClassFlows {
    /// Entry `i` is permission bit `i`.
    pub perms: Vec<(FlowDir, u8)>,
    /// Permissions that read (information flows target -> source).
    pub read_mask: AccessVector,
    /// Permissions that write (information flows source -> target).
    pub write_mask: AccessVector,
}

/// The effective map of a policy: entry `c - 1` is class number `c`.
/// Built from [`default_flow`], then the policy's `permflow` statements,
/// then `overrides` (class number, permissions, direction, weight), later
/// entries winning.
pub fn flow_table(db: &PolicyDb, overrides: &[(u16, AccessVector, FlowDir, u8)]) -> Vec<ClassFlows> {
    let mut table: Vec<ClassFlows> = db
        .classes
        .iter()
        .map(|c| ClassFlows {
            perms: c.perms.iter().map(|p| default_flow(&c.name, p)).collect(),
            read_mask: 0,
            write_mask: 0,
        })
        .collect();
    let pf = db.permflows.iter().map(|p| (p.class, p.perms, p.dir, p.weight));
    for (class, perms, dir, weight) in pf.chain(overrides.iter().copied()) {
        if let Some(cf) = usize::from(class).checked_sub(1).and_then(|i| table.get_mut(i)) {
            for (i, e) in cf.perms.iter_mut().enumerate() {
                if i < 32 && perms & (1 << i) != 0 {
                    *e = (dir, weight);
                }
            }
        }
    }
    for cf in &mut table {
        for (i, (dir, _)) in cf.perms.iter().enumerate().take(32) {
            if dir.reads() {
                cf.read_mask |= 1 << i;
            }
            if dir.writes() {
                cf.write_mask |= 1 << i;
            }
        }
    }
    table
}
