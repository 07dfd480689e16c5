//! The orderly part of power-off (docs/reliability.md, "Shutdown"): when
//! the first program has ended, init asks the file server to shut down
//! (`rampart_fs_api::Request::Shutdown`: close every connection, commit
//! and unmount every volume, mark the root clean) before it asks rm to
//! power the machine off, so the next boot needs no journal recovery.
//!
//! init reaches the file server as any client does, through connsrv
//! (the policy allows `init_t` to connect to `fs_t` and grants it
//! `filesystem unmount` on the root file system; `system_u` is uid 0 in
//! the file server's identity table). A file server that is not running
//! (no login session, `init.first=` a test program) or that fails the
//! unmount is reported on the console; power-off goes on either way.
//!
//! Before that, init waits (at most [`AUDIT_WAIT_MS`]) until the audit
//! daemon has confirmed every record of the trail written
//! (`AuditStats::logged`), so the denials of the session's last moments
//! reach `/var/log/audit/audit.log` instead of dying with the RAM ring.

use rampart_abi::bootinfo::slot;
use rampart_abi::tcb::MAX_PRIORITY;
use rampart_connsrv_api::rt::Channel;
use rampart_fs_api::{Request, Response};
use rampart_rt::alloc::{Allocator, ROOT_DEPTH};
use rampart_rt::cap::Endpoint;
use rampart_rt::cap::{CNode, Tcb, Timer, TimerControl};
use rampart_rt::dprintln;
use rampart_rt::timer::Sleeper;

/// Longest wait for the audit daemon at power-off, in milliseconds.
pub const AUDIT_WAIT_MS: u64 = 2000;

/// init's priority while it waits for the audit daemon: the programs'
/// (`rm`'s `PROGRAM_PRIORITY`, at which rm starts auditd). At its own
/// priority (the kernel's maximum) init's `yield` would only ever return to
/// init itself, and auditd would never run to write what init waits for;
/// at the programs' priority a yield lets auditd and every other program
/// take its turn, round robin, and init still comes back to power off
/// even if some program never blocks.
pub const AUDIT_WAIT_PRIORITY: u64 = 100;

/// Waits until every audit record is logged, if a logger subscribed;
/// reports what was left unwritten after [`AUDIT_WAIT_MS`] (measured on
/// the TSC at `tsc_hz` ticks per second, `BootInfo::tsc_hz`; 1 GHz assumed
/// when the kernel did not measure it).
///
/// Between two polls init sleeps [`AUDIT_POLL_MS`] on a kernel timer
/// (docs/kernel.md, "Timers and timeouts"), so every thread runs meanwhile,
/// whatever its priority. Without a timer (none left, no memory) it falls
/// back to yielding at [`AUDIT_WAIT_PRIORITY`].
pub fn audit_trail(core: &crate::security::Core, tsc_hz: u64, alloc: &mut Allocator) {
    if let Some(s) = sleeper(alloc) {
        wait_for_auditd(core, tsc_hz, Some(s));
        let _ = s.timer.cancel();
        return;
    }
    rampart_rt::pr_warn!("init: no kernel timer for the audit wait; yielding at priority {AUDIT_WAIT_PRIORITY}");
    let me = Tcb(slot::TCB);
    let lowered = me.set_priority(me, AUDIT_WAIT_PRIORITY).is_ok();
    wait_for_auditd(core, tsc_hz, None);
    if lowered && let Err(e) = me.set_priority(me, MAX_PRIORITY) {
        rampart_rt::pr_err!("init: cannot restore its priority: {e:?}");
    }
}

/// Interval between two polls of the audit statistics, in milliseconds.
pub const AUDIT_POLL_MS: u64 = 5;

/// How long init lets the console drain before powering off after a
/// trusted server ended, in milliseconds: the messages saying why are
/// relayed to the serial line by the console server and its driver.
pub const TRUSTED_LOST_LINGER_MS: u64 = 500;

/// Waits [`TRUSTED_LOST_LINGER_MS`] on a kernel timer (every other thread
/// runs meanwhile), or not at all without one.
pub fn linger(tsc_hz: u64, alloc: &mut Allocator) {
    let hz = if tsc_hz == 0 { 1_000_000_000 } else { tsc_hz };
    if let Some(s) = sleeper(alloc) {
        let _ = s.sleep_until(rampart_rt::cpu::rdtsc().saturating_add(hz / 1000 * TRUSTED_LOST_LINGER_MS));
        let _ = s.timer.cancel();
    }
}

/// A kernel timer and a notification of init's own (init is the root task
/// and holds TimerControl).
fn sleeper(alloc: &mut Allocator) -> Option<Sleeper> {
    let ntfn = alloc.notification().ok()?;
    let s = alloc.slot().ok()?;
    TimerControl(slot::TIMER_CONTROL).get(CNode(slot::CNODE), s, ROOT_DEPTH).ok()?;
    Some(Sleeper { timer: Timer(s), ntfn })
}

fn wait_for_auditd(core: &crate::security::Core, tsc_hz: u64, sleeper: Option<Sleeper>) {
    let mut c = rampart_secsrv_api::client::Client(rampart_secsrv_api::rt::Ipc(core.secsrv));
    let hz = if tsc_hz == 0 { 1_000_000_000 } else { tsc_hz };
    let deadline = rampart_rt::cpu::rdtsc().saturating_add(hz / 1000 * AUDIT_WAIT_MS);
    loop {
        let st = match c.audit_stats() {
            Ok(st) => st,
            Err(e) => return dprintln!("init: audit statistics: {e}"),
        };
        if st.loggers == 0 || st.logged >= st.total {
            if st.loggers > 0 {
                dprintln!("init: audit trail logged ({} records)", st.total);
            }
            return;
        }
        if rampart_rt::cpu::rdtsc() >= deadline {
            rampart_rt::pr_warn!(
                "init: {} audit record(s) not written by the audit daemon at power-off",
                st.total - st.logged
            );
            return;
        }
        match sleeper {
            Some(s) if s.sleep_until(rampart_rt::cpu::rdtsc().saturating_add(hz / 1000 * AUDIT_POLL_MS)).is_ok() => {}
            _ => rampart_rt::ipc::yield_now(),
        }
    }
}

/// init's context, for its own connsrv channel.
const INIT_CONTEXT: &str = "system_u:system_r:init_t";

/// Asks the file server to unmount everything; prints the outcome.
pub fn file_server(core: &crate::security::Core, alloc: &mut Allocator) {
    let (Ok(own), Ok(fs)) = (alloc.slot(), alloc.slot()) else {
        rampart_rt::pr_err!("init: no slot to reach the file server; the root stays mounted");
        return;
    };
    // The trusted channel serves init's administrative requests only; a
    // task channel of its own (pid 0: no rm task has it) connects.
    let req = rampart_connsrv_api::Request::NewTask { pid: 0, context: INIT_CONTEXT.into() };
    match core.connsrv.call_cap(&req, own) {
        Ok((rampart_connsrv_api::Response::Channel { .. }, true)) => {}
        Ok(_) => {
            rampart_rt::pr_err!("init: connsrv gave no channel; the root stays mounted");
            return;
        }
        Err(e) => {
            rampart_rt::pr_err!("init: no connsrv channel ({e}); the root stays mounted");
            return;
        }
    }
    let conn = match Channel(Endpoint(own)).connect("fs", fs) {
        Ok(c) => c,
        // No file server in this boot (tests of servers alone).
        Err(e) => {
            dprintln!("init: no file server to shut down ({e})");
            return;
        }
    };
    match rampart_rt::ipc::codec::call::<_, Response>(conn.ep, &Request::Shutdown) {
        Ok(Response::Ok) => rampart_rt::pr_notice!("init: root file system unmounted cleanly"),
        Ok(Response::Err(e)) => rampart_rt::pr_err!("init: the file server could not unmount the root: {e}"),
        Ok(r) => rampart_rt::pr_err!("init: unexpected answer to the file server shutdown: {r:?}"),
        Err(e) => rampart_rt::pr_err!("init: file server shutdown: {}", e.errno()),
    }
}
