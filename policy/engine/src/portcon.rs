//! Port-context lookup: (protocol, port) -> context. The narrowest
//! matching range wins; among equally narrow ranges, the first declared.

use crate::db::{Context, PortCon};
use crate::ids::Protocol;

/// Finds the context of `port` for `proto`, if any rule covers it.
pub fn lookup(rules: &[PortCon], proto: Protocol, port: u16) -> Option<&Context> {
    rules
        .iter()
        .filter(|r| r.proto == proto && r.low <= port && port <= r.high)
        .min_by_key(|r| r.high - r.low)
        .map(|r| &r.context)
}
