//! The capability-graph audit (`Label::AuditDumpCapGraph`): the kernel
//! writes records describing every thread and the capabilities it holds
//! (`rampart_abi::audit`) into a frame supplied by the auditor.

use crate::cap::{Audit, Cap, Frame};
use crate::invoke::invoke;
use rampart_abi::audit::AuditEntry;
use rampart_abi::{Error, Label, PAGE_SIZE};

/// Most records one dump call can write into a 4 KiB frame.
pub const ENTRIES_PER_FRAME: usize = PAGE_SIZE / core::mem::size_of::<AuditEntry>();

impl Audit {
    /// Writes the capability graph from `cursor` (0 first) into the start
    /// of `frame` (a writable frame capability). Returns the next cursor (0
    /// when the dump is complete) and the number of records written.
    ///
    /// # Errors
    /// `InvalidCapability` (`frame` is not a writable frame),
    /// `InvalidArgument` (cursor).
    pub fn dump_cap_graph(self, frame: Frame, cursor: u64) -> Result<(u64, u64), Error> {
        invoke(self, Label::AuditDumpCapGraph, &[cursor], &[frame.cptr()]).map(|r| (r.mrs[0], r.mrs[1]))
    }
}

/// Reads record `i` of a dump from the frame mapped at `addr` in this
/// address space.
///
/// # Panics
/// If `i` is beyond one frame's records.
pub fn read_entry(addr: u64, i: usize) -> AuditEntry {
    assert!(i < ENTRIES_PER_FRAME, "audit record {i} is beyond the frame");
    let p = (addr as *const AuditEntry).wrapping_add(i);
    // SAFETY: the caller mapped the dump frame readable at `addr` (records
    // are plain words and every bit pattern is valid); `i` stays within the
    // 4 KiB frame; a volatile read because the kernel wrote the frame.
    unsafe { p.read_volatile() }
}
