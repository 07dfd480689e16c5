//! sectest: in-guest tests and benchmarks of the security architecture.
//!
//! `sectest child` connects to the security server and exits (the parent
//! checks that connsrv revoked the connection when rm reported the exit).
//!
//! `sectest serve` is a tiny echo service registered as `sectest.echo`
//! (init starts it in domain `httpd_t` with `init.secure=`): it answers
//! each call with the caller's SID taken from the connection badge.
//!
//! `sectest` (the first program, `init.test=sec`, as `sysadm_t`) checks
//! that a connect the policy denies fails with `EACCES` and leaves an audit
//! record, that the same connect is allowed under `allow-all`, that a
//! policy reload at run time takes effect in connsrv and in its own AVC
//! (sequence number), permissive mode and booleans; then measures an AVC
//! hit, an AVC miss and a connect (instructions under `-icount`). It ends
//! with `sectest: N passed, M failed`.
#![no_std]
#![no_main]

extern crate alloc;

mod bench;
mod checks;

use rampart_connsrv_api::ConnBadge;
use rampart_connsrv_api::rt::Channel;
use rampart_rt::cap::{Endpoint, Reply};
use rampart_rt::dprintln;
use rampart_rt::server::{Action, Server};
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// The echo service's name.
pub const ECHO: &str = "sectest.echo";

/// Pass/fail counters.
pub struct T {
    passed: u32,
    failed: u32,
}

impl T {
    /// Records one check.
    pub fn check(&mut self, ok: bool, what: &str) {
        if ok {
            self.passed += 1;
            dprintln!("sectest: ok   {what}");
        } else {
            self.failed += 1;
            dprintln!("sectest: FAIL {what}");
        }
    }
}

/// The time-stamp counter (retired instructions under `-icount shift=0`).
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc is allowed in ring 3 and has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

fn main() -> i32 {
    match rampart_rt::process::args().get(1).map(|s| s.as_str()) {
        Some("serve") => return serve(),
        Some("child") => return child(),
        _ => {}
    }
    let mut t = T { passed: 0, failed: 0 };
    dprintln!("sectest: pid {} started", rampart_rt::process::pid());
    checks::run(&mut t);
    dprintln!("sectest: {} passed, {} failed", t.passed, t.failed);
    if t.failed == 0 { 0 } else { 1 }
}

/// `sectest child`: connects to the security server and exits without
/// disconnecting (connsrv must revoke the connection when rm reports the
/// exit). Status 0 if the connect worked.
fn child() -> i32 {
    match Channel::own().connect("security", 40) {
        Ok(_) => 0,
        Err(e) => {
            dprintln!("sectest: child cannot connect: {e}");
            1
        }
    }
}

fn serve() -> i32 {
    let ch = Channel::own();
    let ep = match ch.register(ECHO, 40) {
        Ok(ep) => ep,
        Err(e) => {
            dprintln!("sectest: cannot register {ECHO}: {e}");
            return 1;
        }
    };
    dprintln!("sectest: serving {ECHO}");
    let mut server = Server::new(Endpoint(ep.0), Reply(slot::REPLY));
    server.run(&mut |_, m| {
        let sid = ConnBadge::decode(m.badge).map_or(0, |b| b.sid);
        let v: u64 = m.decode().unwrap_or(0);
        Action::reply(&(sid, v))
    })
}
