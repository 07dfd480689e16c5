//! Capability-graph dump records (`Label::AuditDumpCapGraph`).
//!
//! The dump lists, for every thread, its CSpace and the capabilities in it,
//! so an auditor can compare the system's actual authority with its policy
//! (docs/architecture.md, "Assurance"). Each record is 4 little-endian words in the frame.
//!
//! Order: for each thread (kernel thread list order) one [`KIND_THREAD`]
//! record, then one [`KIND_CAP`] record per non-empty slot of the thread's
//! own capability registers (fault and timeout endpoints), of its CSpace root
//! CNode and of CNodes directly inside it (one level of nesting; every task
//! Rampart builds has a single-level CSpace). The records of a nested CNode's
//! slots ([`HELD_NESTED`]) follow the record of the capability to that CNode.
//! Threads sharing a CSpace list it only once, under the first of them.

/// A thread: `a` = thread id, `b` = CSpace root CNode id, `c` = VSpace id.
pub const KIND_THREAD: u64 = 1;
/// A capability held by the thread last listed (fields in [`AuditEntry`]).
pub const KIND_CAP: u64 = 2;

/// Where a capability is held ([`AuditEntry::c`] of a [`KIND_CAP`] record):
/// a slot of the CSpace root CNode.
pub const HELD_CSPACE: u64 = 0;
/// The thread's fault endpoint (a TCB slot: the kernel sends its faults there).
pub const HELD_FAULT: u64 = 1;
/// The thread's timeout endpoint (a TCB slot).
pub const HELD_TIMEOUT: u64 = 2;
/// A slot of a CNode held in the CSpace root (the last CNode capability
/// listed before it).
pub const HELD_NESTED: u64 = 3;

/// One record (32 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct AuditEntry {
    /// [`KIND_THREAD`] or [`KIND_CAP`] in bits 0..8; for capabilities the
    /// capability type in bits 8..16 and the rights in bits 16..20; for
    /// threads the TCB's object id (physical address) in bits 8..64.
    pub kind: u64,
    /// Thread id, or object id (physical address of the object).
    pub a: u64,
    /// CSpace id (thread), or badge (capability).
    pub b: u64,
    /// VSpace id (thread), or where the capability is held:
    /// [`HELD_CSPACE`], [`HELD_FAULT`], [`HELD_TIMEOUT`] or [`HELD_NESTED`].
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
    /// The TCB's object id (for [`KIND_THREAD`]): the physical address that
    /// [`KIND_CAP`] records of TCB capabilities name.
    pub const fn tcb_object(&self) -> u64 {
        self.kind >> 8
    }
}
