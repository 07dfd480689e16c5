//! Shared memory in the audit: which task maps which other task's region
//! (rm's `RegionMappings`), besides the capabilities the kernel dumps. A
//! mapping is memory two tasks share, a channel the capability graph does
//! not show (rm holds the frame capabilities, not the tasks).

use crate::Subject;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One mapping of a shared region (rm's `MappingEntry`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// rm's region number.
    pub region: u32,
    /// The task that allocated the region.
    pub owner: u32,
    /// The task the region is mapped into.
    pub mapper: u32,
    /// Size in 4 KiB pages.
    pub pages: u64,
    /// Mapped writable.
    pub writable: bool,
}

/// What the policy says of a mapping: `shm read` (and `shm write` if
/// writable) from the mapper's context to the owner's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Granted.
    Granted,
    /// Not granted (rm keeps mappings into tasks init started: the
    /// system's rings; any other is revoked at the policy change).
    NotGranted,
    /// No decision (a task the auditor cannot name, or the security
    /// server's error).
    Undecided(String),
}

/// One report line per mapping, `memory: region R (N pages) of pid P
/// (NAME, CONTEXT) mapped rw|ro by pid Q (NAME, CONTEXT): VERDICT`, then a
/// summary `memory: M mappings of shared regions: G granted, N not granted,
/// U undecided`. `decide(mapper_context, owner_context, writable)` asks
/// the policy; tasks not in `tasks` are shown as `?`.
pub fn lines(
    maps: &[Mapping],
    tasks: &[Subject],
    decide: &mut dyn FnMut(&str, &str, bool) -> Result<bool, String>,
) -> Vec<String> {
    let who = |pid: u32| match tasks.iter().find(|t| t.pid == pid) {
        Some(t) => (format!("pid {pid} ({}, {})", t.name, t.context), Some(t.context.as_str())),
        None => (format!("pid {pid} (?)"), None),
    };
    let (mut granted, mut denied, mut undecided) = (0, 0, 0);
    let mut out = Vec::with_capacity(maps.len() + 1);
    for m in maps {
        let ((owner, octx), (mapper, mctx)) = (who(m.owner), who(m.mapper));
        let verdict = match (mctx, octx) {
            (Some(mc), Some(oc)) => match decide(mc, oc, m.writable) {
                Ok(true) => Verdict::Granted,
                Ok(false) => Verdict::NotGranted,
                Err(e) => Verdict::Undecided(e),
            },
            _ => Verdict::Undecided("task not listed".into()),
        };
        let v = match &verdict {
            Verdict::Granted => {
                granted += 1;
                String::from("shm allowed by policy")
            }
            Verdict::NotGranted => {
                denied += 1;
                String::from("shm NOT granted by the policy")
            }
            Verdict::Undecided(e) => {
                undecided += 1;
                format!("undecided ({e})")
            }
        };
        let mode = if m.writable { "rw" } else { "ro" };
        out.push(format!("memory: region {} ({} pages) of {owner} mapped {mode} by {mapper}: {v}", m.region, m.pages));
    }
    out.push(format!(
        "memory: {} mappings of shared regions: {granted} granted, {denied} not granted, {undecided} undecided",
        maps.len()
    ));
    out
}
