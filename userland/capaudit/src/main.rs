//! capaudit: the capability-graph auditor (docs/assurance.md §8).
//!
//! init starts it with `init.audit=NAME` in the administrator's domain
//! (`sysadm_t`, the only domain the policy grants `security
//! dump_capgraph`), at the lowest priority, with the kernel's `Audit`
//! capability and one frame for the dump (named capabilities `audit` and
//! `audit-frame`). Arguments: `NAME` (audit once a task of that name runs)
//! and init's thread id (rm does not hold init's TCB).
//!
//! It runs only when every other thread is blocked, so once `NAME` runs
//! the system is idle: it dumps the graph until two consecutive dumps
//! agree, maps the kernel's thread ids to tasks and contexts with rm's
//! `TaskList`, asks the security server for `service connect` on every
//! edge (`rampart_capaudit` does the rest) and prints one line per edge and
//! a summary: `capaudit: PASS` or `capaudit: FAIL`. Before the edges it
//! lists the shared-region mappings (rm's `RegionMappings`: which task maps which
//! other task's region, with the policy's `shm read`/`write` verdict), the
//! memory the capability graph does not show; they do not change the
//! verdict (rm revokes what a policy change forbids, except the rings of
//! tasks init started).
//!
//! It then stays, subscribed to the security server's policy-change
//! notification, and audits the whole system again after every reload,
//! boolean change or change of mode (issue 19: no live channel may survive
//! a change that forbids it; connsrv revokes them). It exits only if the
//! audit could not run (status 2), or, without notifications, after the
//! first audit: status 0 if the system's authority is within the policy,
//! 1 if not.
#![no_std]
#![no_main]

extern crate alloc;

mod gather;

use alloc::collections::BTreeMap;
use alloc::string::String;
use rampart_capaudit::Subject;
use rampart_capaudit::check::{TRUSTED, check};
use rampart_capaudit::graph::build;
use rampart_capaudit::memory::Mapping;
use rampart_connsrv_api::rt::Channel;
use rampart_rt::cap::Notification;
use rampart_rt::dprintln;
use rampart_secsrv_api::EVENT_POLICY;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::{Ipc, subscribe_policy_changes};
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// Slot of the connection to the security server.
const SECURITY_SLOT: u64 = 40;
/// Slot of the policy-change notification given to the security server.
const EVENTS_SLOT: u64 = 41;
/// Context of the `security` object (the policy's `security` initial SID).
const SECURITY_CONTEXT: &str = "system_u:object_r:security_t";
/// How long to wait for the named task, in seconds.
const WAIT_SECONDS: u64 = 120;

fn main() -> i32 {
    let args = rampart_rt::process::args();
    let wait_for = args.get(1).cloned().unwrap_or_default();
    let Some(init_thread) = args.get(2).and_then(|s| s.parse::<u64>().ok()) else {
        dprintln!("capaudit: usage: capaudit NAME INIT-THREAD-ID");
        return 2;
    };
    match run(&wait_for, init_thread) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            dprintln!("capaudit: FAIL: {e}");
            2
        }
    }
}

fn run(wait_for: &str, init_thread: u64) -> Result<bool, String> {
    let conn = Channel::own()
        .connect(rampart_connsrv_api::SECURITY_SERVICE, SECURITY_SLOT)
        .map_err(|e| alloc::format!("connect to the security server: {e}"))?;
    let mut sec = Client(Ipc(conn.ep));
    may_dump(&mut sec)?;
    let mut g = gather::Gatherer::new()?;
    g.wait_for(wait_for, WAIT_SECONDS)?;
    // Subscribe before the first audit, so no change goes unseen.
    let watching = subscribe_policy_changes(Ipc(conn.ep), EVENTS_SLOT);
    let passed = audit(&mut g, &mut sec, init_thread)?;
    if let Err(e) = watching {
        dprintln!("capaudit: no policy-change notifications ({e}): audited once");
        return Ok(passed);
    }
    watch(&mut g, &mut sec, init_thread)
}

/// Audits again after every policy change (reload, boolean, enforcing
/// mode), forever: the notification wakes the auditor, which (at the
/// lowest priority) runs only once every other thread is blocked, so
/// connsrv has handled the change (revoked what the new policy denies)
/// by then. Changes that arrive during an audit are coalesced into the
/// next one.
fn watch(g: &mut gather::Gatherer, sec: &mut Client<Ipc>, init_thread: u64) -> ! {
    loop {
        if Notification(slot::NOTIFICATION).wait() & EVENT_POLICY == 0 {
            continue;
        }
        match sec.status() {
            Ok(s) => dprintln!(
                "capaudit: policy changed (policy {}, seqno {}, {}): auditing again",
                s.policy,
                s.seqno,
                if s.enforcing { "enforcing" } else { "permissive" }
            ),
            Err(e) => dprintln!("capaudit: policy changed (status: {e}): auditing again"),
        }
        if let Err(e) = audit(g, sec, init_thread) {
            dprintln!("capaudit: FAIL: {e}");
        }
    }
}

/// One audit of the whole system against the policy loaded now: prints a
/// line per edge, the summary and `PASS` or `FAIL`; returns whether it
/// passed.
fn audit(g: &mut gather::Gatherer, sec: &mut Client<Ipc>, init_thread: u64) -> Result<bool, String> {
    let (dump, tasks, attempts) = g.snapshot()?;
    let mut by_thread: BTreeMap<u64, Subject> = BTreeMap::new();
    for t in &tasks {
        let s = Subject { pid: t.pid, name: t.name.clone(), context: t.context.clone() };
        match t.thread {
            Some(id) => {
                by_thread.insert(id, s);
            }
            None if t.pid == rampart_rm_api::INIT_PID => {
                by_thread.insert(init_thread, s);
            }
            None => {}
        }
    }
    dprintln!(
        "capaudit: dump of {} threads and {} capabilities ({} dumps until two agreed), {} tasks",
        dump.threads.len(),
        dump.caps.len(),
        attempts,
        tasks.len()
    );
    let graph = build(&dump, &by_thread);
    let mut decide = |h: &str, r: &str| connect_allowed(sec, h, r);
    let report = check(&graph, TRUSTED, &mut decide);
    // Shared memory first: the summary and the verdict stay the last lines.
    memory(sec, &tasks);
    for l in report.lines(&graph) {
        dprintln!("capaudit: {l}");
    }
    let passed = report.passed(&graph);
    dprintln!("capaudit: {}", if passed { "PASS" } else { "FAIL" });
    Ok(passed)
}

/// Lists the shared-region mappings rm shows this task, each with the
/// policy's verdict (`shm read`, plus `write` for a writable mapping, from
/// the mapper's context to the owner's).
fn memory(sec: &mut Client<Ipc>, tasks: &[rampart_rm_api::TaskEntry]) {
    let maps = match rampart_rt::rm::region_mappings() {
        Ok(m) => m,
        Err(e) => {
            dprintln!("capaudit: memory: rm refused the mappings: {e}");
            return;
        }
    };
    let maps: alloc::vec::Vec<Mapping> = maps
        .iter()
        .map(|m| Mapping { region: m.region, owner: m.owner, mapper: m.mapper, pages: m.pages, writable: m.writable })
        .collect();
    let subjects: alloc::vec::Vec<Subject> =
        tasks.iter().map(|t| Subject { pid: t.pid, name: t.name.clone(), context: t.context.clone() }).collect();
    let mut decide = |mapper: &str, owner: &str, writable: bool| shm_allowed(sec, mapper, owner, writable);
    for l in rampart_capaudit::memory::lines(&maps, &subjects, &mut decide) {
        dprintln!("capaudit: {l}");
    }
}

/// Does the policy grant `shm read` (and `write`) from `mapper` to `owner`?
fn shm_allowed(sec: &mut Client<Ipc>, mapper: &str, owner: &str, writable: bool) -> Result<bool, String> {
    let e = |w: &'static str| move |x| alloc::format!("{w}: {x}");
    let m = sec.context_to_sid(mapper).map_err(e("mapper context"))?;
    let o = sec.context_to_sid(owner).map_err(e("owner context"))?;
    let class = sec.class_id("shm").map_err(e("class shm"))?;
    let want: &[&str] = if writable { &["read", "write"] } else { &["read"] };
    let bits = sec.perms(class, want).map_err(e("permission shm"))?;
    let d = sec.compute_av(m, o, class).map_err(e("compute_av"))?;
    Ok(d.allowed & bits == bits)
}

/// Checks that the policy grants this task `security dump_capgraph` (the
/// permission that stands for holding the `Audit` capability).
fn may_dump(sec: &mut Client<Ipc>) -> Result<(), String> {
    let e = |w: &'static str| move |x| alloc::format!("{w}: {x}");
    let me = sec.who_am_i().map_err(e("who am I"))?;
    let target = sec.context_to_sid(SECURITY_CONTEXT).map_err(e("security context"))?;
    let class = sec.class_id("security").map_err(e("class security"))?;
    let bit = sec.perms(class, &["dump_capgraph"]).map_err(e("permission dump_capgraph"))?;
    let d = sec.compute_av(me, target, class).map_err(e("compute_av"))?;
    if d.allowed & bit != bit {
        return Err("the policy does not grant this domain security dump_capgraph".into());
    }
    Ok(())
}

/// Does the policy grant `service connect` from `holder` to `receiver`?
fn connect_allowed(sec: &mut Client<Ipc>, holder: &str, receiver: &str) -> Result<bool, String> {
    let e = |w: &'static str| move |x| alloc::format!("{w}: {x}");
    let h = sec.context_to_sid(holder).map_err(e("holder context"))?;
    let r = sec.context_to_sid(receiver).map_err(e("receiver context"))?;
    let class = sec.class_id("service").map_err(e("class service"))?;
    let bit = sec.perms(class, &["connect"]).map_err(e("permission connect"))?;
    let d = sec.compute_av(h, r, class).map_err(e("compute_av"))?;
    Ok(d.allowed & bit == bit)
}
