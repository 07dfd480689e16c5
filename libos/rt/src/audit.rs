//! The capability-graph audit (`Label::AuditDumpCapGraph`).

use crate::cap::Audit;
use crate::invoke::invoke;
use rampart_abi::{Error, Label};

/// One capability in the graph dump.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapEdge {
    /// Identifier of the TCB whose CSpace holds the capability.
    pub holder: u64,
    /// Object identifier (low 58 bits) and `CapType` (bits 58..64).
    pub object: u64,
    /// Rights (bits 0..4) and badge-present (bit 4).
    pub rights: u64,
    /// The badge, if present.
    pub badge: u64,
}

impl Audit {
    /// Reads one batch of the capability graph from `cursor` (0 first) into
    /// `out`. Returns (next cursor, 0 when done; entries written).
    ///
    /// # Errors
    /// `InvalidArgument` (cursor).
    ///
    /// # Panics
    /// If the reply carries entries and the caller has no IPC buffer.
    pub fn dump_cap_graph(self, cursor: u64, out: &mut [CapEdge]) -> Result<(u64, usize), Error> {
        let r = invoke(self, Label::AuditDumpCapGraph, &[cursor], &[])?;
        let avail = (r.info.length().saturating_sub(2)) / 4;
        let n = (r.mrs[1] as usize).min(avail).min(out.len());
        for (i, e) in out.iter_mut().enumerate().take(n) {
            let b = 2 + 4 * i;
            *e = CapEdge { holder: r.mr(b), object: r.mr(b + 1), rights: r.mr(b + 2), badge: r.mr(b + 3) };
        }
        Ok((r.mrs[0], n))
    }
}
