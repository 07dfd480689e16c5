//! Parsing the kernel's capability-graph dump (`rampart_abi::audit`).

use alloc::vec::Vec;
use rampart_abi::CapType;
use rampart_abi::audit::{AuditEntry, HELD_CSPACE, HELD_FAULT, HELD_NESTED, HELD_TIMEOUT, KIND_CAP, KIND_THREAD};

/// A thread record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Thread {
    /// The kernel's thread id (`TcbGetId`).
    pub id: u64,
    /// Its TCB's object id (what TCB capabilities name).
    pub tcb: u64,
    /// Its CSpace root CNode's object id (0: none).
    pub cspace: u64,
    /// Its VSpace's object id (0: none).
    pub vspace: u64,
}

/// Where a listed capability sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    /// A slot of the thread's CSpace root.
    CSpace,
    /// The thread's fault endpoint (a TCB slot).
    Fault,
    /// The thread's timeout endpoint (a TCB slot).
    Timeout,
    /// A slot of a CNode held in the CSpace root; the CNode's object id.
    Nested(u64),
}

/// A capability listed under a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Held {
    /// Index into [`Dump::threads`] of the thread it is listed under.
    pub thread: usize,
    /// Capability type.
    pub cap_type: CapType,
    /// Object id (physical address).
    pub object: u64,
    /// Badge (endpoints and notifications).
    pub badge: u64,
    /// Rights (`rampart_abi::Rights` bits).
    pub rights: u64,
    /// Where it sits.
    pub at: Where,
}

/// A parsed dump.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dump {
    /// Threads in dump order.
    pub threads: Vec<Thread>,
    /// Capabilities in dump order.
    pub caps: Vec<Held>,
}

/// Why a dump is malformed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpError {
    /// Record `index` has an unknown kind.
    UnknownKind(usize),
    /// Record `index` is a capability before any thread.
    CapBeforeThread(usize),
    /// Record `index` has an unknown capability type.
    UnknownCapType(usize),
    /// Record `index` has an unknown place.
    UnknownPlace(usize),
    /// Record `index` is nested but follows no CNode capability of the
    /// CSpace root.
    NestedWithoutCNode(usize),
}

/// Parses `records` (the whole dump, in order).
///
/// # Errors
/// [`DumpError`] naming the first malformed record.
pub fn parse(records: &[AuditEntry]) -> Result<Dump, DumpError> {
    let mut d = Dump::default();
    // The CNode whose slots nested records belong to: the last CNode
    // capability listed in the current thread's CSpace root.
    let mut cnode: Option<u64> = None;
    for (i, r) in records.iter().enumerate() {
        match r.record_kind() {
            KIND_THREAD => {
                d.threads.push(Thread { id: r.a, tcb: r.tcb_object(), cspace: r.b, vspace: r.c });
                cnode = None;
            }
            KIND_CAP => {
                let thread = d.threads.len().checked_sub(1).ok_or(DumpError::CapBeforeThread(i))?;
                let cap_type = CapType::from_u64(r.cap_type()).ok_or(DumpError::UnknownCapType(i))?;
                let at = match r.c {
                    HELD_CSPACE => {
                        cnode = (cap_type == CapType::CNode).then_some(r.a);
                        Where::CSpace
                    }
                    HELD_FAULT => Where::Fault,
                    HELD_TIMEOUT => Where::Timeout,
                    HELD_NESTED => Where::Nested(cnode.ok_or(DumpError::NestedWithoutCNode(i))?),
                    _ => return Err(DumpError::UnknownPlace(i)),
                };
                d.caps.push(Held { thread, cap_type, object: r.a, badge: r.b, rights: r.rights(), at });
            }
            _ => return Err(DumpError::UnknownKind(i)),
        }
    }
    Ok(d)
}
