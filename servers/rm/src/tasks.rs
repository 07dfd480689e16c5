//! `TaskList`: the tasks a caller may inspect, with the kernel's ids of
//! their threads, for the capability-graph auditor (docs/assurance.md §8),
//! which maps the threads of the kernel's dump to tasks and contexts; and
//! `RegionMappings`: which of those tasks maps which shared region (the
//! auditor lists who holds what memory besides capabilities).
//!
//! A task is listed if it is the caller, one of its descendants, or the
//! policy grants the caller `process getattr` on its context. rm lists
//! itself as pid 0 (its context from its startup information, checked the
//! same way); init (pid 1) is listed without a thread id, since rm does
//! not hold init's TCB.

use crate::security::may_getattr;
use crate::state::Rm;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::{MAPPINGS_PER_PAGE, MappingEntry, Pid, RegionId, Response, TASKS_PAGE_BYTES, TaskEntry};
use rampart_rt::cap::Tcb;
use rampart_uabi::startup::slot;

/// Longest program name listed (longer names are cut at a character
/// boundary).
const NAME_MAX: usize = 64;

fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].into()
}

/// rm's own context (from its startup information).
fn own_context() -> String {
    rampart_rt::startup::body().map(|b| b.security_context.clone()).unwrap_or_default()
}

/// The entry for `pid`, if it is live and `caller` may inspect it.
fn entry(rm: &Rm, caller: Pid, caller_ctx: &str, pid: Pid) -> Option<TaskEntry> {
    let (parent, name, context, thread) = if pid == 0 {
        (rampart_rm_api::INIT_PID, "rm".into(), own_context(), Tcb(slot::TCB).get_id().ok())
    } else {
        let p = rm.procs.get(pid).filter(|p| p.status.is_none())?;
        let (name, thread) = match rm.tasks.get(&pid) {
            Some(t) => (cut(&t.name, NAME_MAX), t.built.tcb.get_id().ok()),
            None => ("init".into(), None),
        };
        (p.parent, name, p.context.clone(), thread)
    };
    let visible = pid == caller || rm.procs.is_descendant(pid, caller) || may_getattr(rm, caller_ctx, &context);
    visible.then_some(TaskEntry { pid, parent, name, context, thread })
}

/// Whether `caller` may inspect live task `pid` (as for `TaskList`).
fn visible(rm: &Rm, caller: Pid, caller_ctx: &str, pid: Pid) -> bool {
    let Some(p) = rm.procs.get(pid).filter(|p| p.status.is_none()) else { return false };
    pid == caller || rm.procs.is_descendant(pid, caller) || may_getattr(rm, caller_ctx, &p.context)
}

/// `RegionMappings { from }` from `caller`: one page of the mappings of
/// shared regions (from region `from` on) whose owner and mapping task the
/// caller may both inspect, by region then mapping task.
pub fn mappings(rm: &Rm, caller: Pid, from: RegionId) -> Response {
    let caller_ctx = rm.procs.get(caller).map(|p| p.context.clone()).unwrap_or_default();
    let mut out = Vec::new();
    for (&region, r) in rm.regions.range(from..) {
        let shown: Vec<MappingEntry> = r
            .mappings
            .iter()
            .filter(|m| visible(rm, caller, &caller_ctx, r.owner) && visible(rm, caller, &caller_ctx, m.pid))
            .map(|m| MappingEntry { region, owner: r.owner, mapper: m.pid, pages: r.pages, writable: m.writable })
            .collect();
        if !out.is_empty() && out.len() + shown.len() > MAPPINGS_PER_PAGE {
            return Response::Mappings { mappings: out, next: Some(region) };
        }
        // A region mapped into more tasks than a page holds is cut (the
        // page size bounds the message; rm allows far fewer mappings).
        out.extend(shown.into_iter().take(MAPPINGS_PER_PAGE));
    }
    Response::Mappings { mappings: out, next: None }
}

/// `TaskList { from }` from `caller`: one page of entries.
pub fn list(rm: &Rm, caller: Pid, from: Pid) -> Response {
    let caller_ctx = rm.procs.get(caller).map(|p| p.context.clone()).unwrap_or_default();
    // rm (0), init (1), then the tasks rm built (all live), in pid order.
    let mut pids: Vec<Pid> = [0, rampart_rm_api::INIT_PID].into_iter().filter(|&p| p >= from).collect();
    pids.extend(rm.tasks.keys().copied().filter(|&p| p >= from && p > rampart_rm_api::INIT_PID));
    let (mut tasks, mut bytes) = (Vec::new(), 0);
    for (i, &pid) in pids.iter().enumerate() {
        let Some(e) = entry(rm, caller, &caller_ctx, pid) else { continue };
        if !tasks.is_empty() && bytes + e.encoded_bound() > TASKS_PAGE_BYTES {
            return Response::Tasks { tasks, next: Some(pids[i]) };
        }
        bytes += e.encoded_bound();
        tasks.push(e);
    }
    Response::Tasks { tasks, next: None }
}
