//! sectest: in-guest tests and benchmarks of the security architecture.
//!
//! `sectest child` connects to the security server and exits (the parent
//! checks that connsrv revoked the connection when rm reported the exit);
//! `sectest child echo` calls the echo service and exits without
//! disconnecting (the parent checks that the service forgot it).
//!
//! `sectest serve` is a tiny echo service registered as `sectest.echo`
//! (init starts it in domain `httpd_t` with `init.secure=`): it answers
//! each call with the caller's SID taken from the connection badge, the
//! value sent, and how many clients it keeps state for (keyed by badge,
//! forgotten when connsrv signals the connection closed). At start it also
//! tries to register `security` (not its name: refused and audited) and
//! registers [`POOL_NAMES`] more names (more than connsrv's boot pool of
//! endpoints, which init refills), unregisters them and registers
//! [`POOL_DONE`].
//!
//! `sectest` (the first program, `init.test=sec`, as `sysadm_t`) checks
//! that a connect the policy denies fails with `EACCES` and leaves an audit
//! record, that the same connect is allowed under `allow-all`, that a
//! policy reload at run time takes effect in connsrv and in its own AVC
//! (sequence number), permissive mode and booleans, that a policy change
//! revokes a live connection the new policy denies (`revoke`); then measures an AVC
//! hit, an AVC miss and a connect (instructions under `-icount`). It ends
//! with `sectest: N passed, M failed`.
#![no_std]
#![no_main]

extern crate alloc;

mod bench;
mod checks;
mod revoke;
mod shm;
// Reads and writes the shared region's words (`Region::shared`).
#[allow(unsafe_code)]
mod shm_revoke;
// A view of its own regions (`Region::shared`).
#[allow(unsafe_code)]
mod sealing;

use rampart_connsrv_api::clients::Clients;
use rampart_connsrv_api::rt::Channel;
use rampart_connsrv_api::{ConnBadge, EVENT_CLOSED};
use rampart_rt::cap::{CNode, Endpoint, Reply};
pub use rampart_rt::cpu::rdtsc;
use rampart_rt::dprintln;
use rampart_rt::server::{Action, Server};
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// The echo service's name.
pub const ECHO: &str = "sectest.echo";
/// Names the echo service registers besides its own: more than the 32
/// fresh endpoints init gives connsrv at boot.
pub const POOL_NAMES: u64 = 40;
/// Registered by the echo service once all [`POOL_NAMES`] went through.
pub const POOL_DONE: &str = "sectest.pool.done";
/// The echo service's reply: the caller's SID, the value it sent, and how
/// many clients the service keeps state for.
pub type EchoReply = (u32, u64, u32);
/// The value that asks the echo service for a writable token to one of
/// its regions (the reply carries the capability; `shm`).
pub const SHM_SHARE: u64 = 0x53_484d_5348_4152;
/// The value that asks the echo service for the word at offset 8 of the
/// region it shared last (`shm_revoke`): the reply's value.
pub const SHM_PEEK: u64 = 0x53_484d_5045_454b;
/// Where the echo service keeps the token it hands out.
const SHM_SLOT: u64 = 60;

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

fn main() -> i32 {
    let args = rampart_rt::process::args();
    match (args.get(1).map(|s| s.as_str()), args.get(2).map(|s| s.as_str())) {
        (Some("serve"), _) => return serve(),
        (Some("child"), Some("echo")) => return child_echo(),
        (Some("child"), Some("shm")) => return shm_revoke::child(),
        (Some("child"), _) => return child(),
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

/// `sectest child echo`: calls the echo service (which keeps state for
/// us) and exits without disconnecting. Status 0 if the call worked.
fn child_echo() -> i32 {
    let r = Channel::own()
        .connect(ECHO, 40)
        .map_err(|e| e.name())
        .and_then(|c| rampart_rt::ipc::codec::call::<u64, EchoReply>(c.ep, &1234).map_err(|e| e.errno().name()));
    match r {
        Ok((_, 1234, _)) => 0,
        r => {
            dprintln!("sectest: child cannot call the echo service: {r:?}");
            1
        }
    }
}

fn serve() -> i32 {
    let mut ch = Channel::own();
    let ep = match ch.register(ECHO, 40) {
        Ok(ep) => ep,
        Err(e) => {
            dprintln!("sectest: cannot register {ECHO}: {e}");
            return 1;
        }
    };
    if let Err(e) = ch.watch_closed_events(41) {
        dprintln!("sectest: serve: no closed-connection signals: {e}");
    }
    // Another server's name: not ours to take (audited).
    match ch.register("security", 42) {
        Ok(_) => dprintln!("sectest: serve: register security: allowed"),
        Err(e) => dprintln!("sectest: serve: register security: refused ({})", e.name()),
    }
    // Then unregisters them (the benchmarks measure connects on a registry
    // of the usual size) and registers POOL_DONE if all went through.
    let mut n = 0;
    for i in 0..POOL_NAMES {
        match ch.register(&alloc::format!("sectest.pool.{i}"), 50 + i) {
            Ok(_) => n += 1,
            Err(e) => {
                dprintln!("sectest: serve: cannot register sectest.pool.{i}: {e}");
                break;
            }
        }
    }
    for i in 0..n {
        let req = rampart_connsrv_api::Request::Unregister { name: alloc::format!("sectest.pool.{i}") };
        let _ = rampart_connsrv_api::client::Transport::call(&mut ch, &req);
    }
    dprintln!("sectest: serve: registered {n} more services");
    if n == POOL_NAMES
        && let Err(e) = ch.register(POOL_DONE, 49)
    {
        dprintln!("sectest: serve: cannot register {POOL_DONE}: {e}");
    }
    // httpd_t may not start processes in its own domain (no `process
    // spawn` on itself): rm refuses, although init started us.
    let req = rampart_rm_api::Spawn {
        image: Some(rampart_rm_api::Image::Bootfs("sectest".into())),
        argv: alloc::vec!["sectest".into(), "child".into()],
        ..Default::default()
    };
    match rampart_rt::rm::spawn(req) {
        Ok(pid) => {
            let _ = rampart_rt::rm::wait(Some(pid), true);
            dprintln!("sectest: serve: spawn in httpd_t: allowed");
        }
        Err(e) => dprintln!("sectest: serve: spawn in httpd_t: refused ({})", e.name()),
    }
    dprintln!("sectest: serving {ECHO}");
    let mut clients: Clients<u64> = Clients::new();
    let mut region = None;
    let mut server = Server::new(Endpoint(ep.0), Reply(slot::REPLY));
    server.run(&mut |_, m| {
        let Some(b) = ConnBadge::decode(m.badge) else {
            if m.badge & EVENT_CLOSED != 0 {
                let _ = rampart_connsrv_api::client::drain_closed(&mut ch, |c| {
                    clients.closed(c);
                });
            }
            return Action::NoReply;
        };
        let v: u64 = m.decode().unwrap_or(0);
        if let Some(x) = clients.entry(m.badge, |_| 0) {
            *x = v;
        }
        let reply: EchoReply = (b.sid, v, clients.len() as u32);
        if v == SHM_SHARE {
            // A region of ours, for whoever asks (rm decides who may map it).
            let _ = CNode(slot::CNODE).delete(SHM_SLOT, 64);
            let shared = shm_revoke::owner_share(SHM_SLOT);
            return match (shared, rampart_rt::ipc::codec::Outgoing::encode(&reply)) {
                (Ok(r), Ok(out)) => {
                    region = Some(r);
                    Action::Reply(out.with_cap(SHM_SLOT))
                }
                (r, _) => {
                    dprintln!("sectest: serve: cannot share a region: {r:?}");
                    Action::reply(&(b.sid, 0u64, 0u32))
                }
            };
        }
        if v == SHM_PEEK {
            return Action::reply(&(b.sid, shm_revoke::owner_peek(region.as_ref()), reply.2));
        }
        Action::reply(&reply)
    })
}
