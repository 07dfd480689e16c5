//! Capability-graph dump records (`Label::AuditDumpCapGraph`).
//!
//! The dump lists, for every thread, its CSpace and the capabilities in it,
//! so an auditor can compare the system's actual authority with its policy
//! (DESIGN.md §6). Each record is 4 little-endian words in the frame.
//!
//! Order: for each thread (kernel thread list order) one [`KIND_THREAD`]
//! record, then one [`KIND_CAP`] record per non-empty slot of the thread's
//! own capability registers (fault and timeout endpoints), of its CSpace root
//! CNode and of CNodes directly inside it (one level of nesting; every task
//! Rampart builds has a single-level CSpace). Threads sharing a CSpace list
//! it only once, under the first of them.

/// A thread: `a` = thread id, `b` = CSpace root CNode id, `c` = VSpace id.
pub const KIND_THREAD: u64 = 1;
/// A capability held by the thread last listed (fields in [`AuditEntry`]).
pub const KIND_CAP: u64 = 2;

/// One record (32 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct AuditEntry {
    /// [`KIND_THREAD`] or [`KIND_CAP`] in bits 0..8; for capabilities the
    /// capability type in bits 8..16 and the rights in bits 16..20.
    pub kind: u64,
    /// Thread id, or object id (physical address of the object).
    pub a: u64,
    /// CSpace id (thread), or badge (capability).
    pub b: u64,
    /// VSpace id (thread), or where the capability is held: 0 CSpace, 1 the
    /// thread's fault endpoint slot, 2 its timeout endpoint slot.
    pub c: u64,
}

impl AuditEntry {
    /// Record kind.
    pub const fn record_kind(&self) -> u64 {
        self.kind & 0xff
    }
    /// Capability type (for [`KIND_CAP`]).
    pub const fn cap_type(&self) -> u64 {
        (self.kind >> 8) & 0xff
    }
    /// Rights (for [`KIND_CAP`]).
    pub const fn rights(&self) -> u64 {
        (self.kind >> 16) & 0xf
    }
}
