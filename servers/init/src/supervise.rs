//! init as supervisor: the ordered table of servers, starting them through
//! rm with init as their fault handler, restarting a server that faults
//! (bounded, logged), and powering off when the first program ends.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_abi::Rights;
use rampart_abi::bootfs::Bootfs;
use rampart_rm_api::{ExitStatus, FaultReport, Image, Pid, Spawn};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{Endpoint, Reply};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::Message;

/// The servers init starts after rm, in this order (docs/userland.md §1),
/// each if its boot module exists and it is enabled. Servers not written
/// yet are listed disabled so the order is fixed in one place.
pub const SERVERS: &[(&str, bool)] =
    &[("secsrv", true), ("connsrv", true), ("devmgr", false), ("console", false), ("fs", false), ("net", false)];

/// How often a faulting server is restarted before init gives up.
pub const MAX_RESTARTS: u32 = 3;
/// Badge bit of init's fault endpoint capabilities (bits 0..16: index).
pub const FAULT: u64 = 1 << 60;
/// The index used for rm's faults.
pub const RM_INDEX: u64 = 0xffff;

/// A supervised server.
pub struct Server {
    /// Boot module name.
    pub name: String,
    /// Arguments.
    pub argv: Vec<String>,
    /// Current pid (0: not running).
    pub pid: Pid,
    /// Restarts so far.
    pub restarts: u32,
    /// init's fault endpoint capability for it (badged `FAULT | index`).
    pub fault_ep: Endpoint,
}

fn start(s: &mut Server) -> bool {
    let req = Spawn {
        image: Some(Image::Bootfs(s.name.clone())),
        argv: s.argv.clone(),
        priority: Some(200),
        ..Default::default()
    };
    match rampart_rt::rm::spawn_supervised(req, s.fault_ep.0) {
        Ok(pid) => {
            dprintln!("init: started server {} (pid {pid})", s.name);
            s.pid = pid;
            true
        }
        Err(e) => {
            rampart_rt::pr_err!("init: cannot start server {}: {e}", s.name);
            s.pid = 0;
            false
        }
    }
}

/// Starts the enabled servers of [`SERVERS`] present in `fs`, then the
/// `extra` ones (`init.servers=NAME[:ARG],...`).
pub fn start_servers(fs: &Bootfs, alloc: &mut Allocator, ep: Endpoint, extra: &[(String, Vec<String>)]) -> Vec<Server> {
    let mut list: Vec<(String, Vec<String>)> = Vec::new();
    for &(name, enabled) in SERVERS {
        if crate::security::CORE.contains(&name) || name == "devmgr" {
            continue; // started by `security::start` with their endpoints
        }
        match (fs.find(name).is_some(), enabled) {
            (true, true) => list.push((name.to_string(), alloc::vec![name.to_string()])),
            (true, false) => dprintln!("init: server {name} is not enabled yet"),
            _ => {}
        }
    }
    list.extend(extra.iter().cloned());
    let mut out = Vec::new();
    for (i, (name, argv)) in list.into_iter().enumerate() {
        let Ok(f) = alloc.mint(ep.0, Rights::ALL, FAULT | i as u64) else {
            dprintln!("init: out of slots for {name}");
            continue;
        };
        let mut s = Server { name, argv, pid: 0, restarts: 0, fault_ep: Endpoint(f) };
        start(&mut s);
        out.push(s);
    }
    out
}

/// How supervision ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ended {
    /// The exit code to power off with.
    pub code: i32,
    /// rm still serves (it did not fault), so init can ask it to power off.
    pub rm_alive: bool,
    /// A trusted server (secsrv, connsrv) ended: the orderly steps that
    /// need them (the audit wait, the file server's unmount) are skipped.
    pub trusted_lost: bool,
}

/// The exit code init powers off with when a trusted server ended.
pub const TRUSTED_LOST_CODE: i32 = 0x71;

/// Supervises until the first program (`first`) ends; returns its exit
/// code (init then powers off with it). `refill` gives connsrv fresh
/// endpoints when it signals its pool is low
/// ([`crate::security::EVENT_POOL`]).
///
/// Fail-stop: when one of `trusted` (secsrv, connsrv: the policy and the
/// channels) ends, init does not go on with mediation missing — it says
/// so on the console and returns [`TRUSTED_LOST_CODE`] to power off
/// (docs/reliability.md, "Trusted servers").
pub fn run(
    ep: Endpoint,
    reply: Reply,
    servers: &mut [Server],
    (first, trusted): (Pid, &[(Pid, &str)]),
    refill: &mut dyn FnMut(),
) -> Ended {
    loop {
        let r = rampart_rt::ipc::recv(ep, reply.0);
        let msg = Message::from_result(&r);
        if r.badge & FAULT == 0 {
            if r.badge & crate::security::EVENT_POOL != 0 {
                refill();
            }
            // The bound notification: children of init ended.
            while let Ok(Some((pid, status))) = rampart_rt::rm::wait(None, false) {
                if pid == first {
                    dprintln!("init: first program (pid {pid}) ended: {}", describe(&status));
                    return Ended { code: status.code(), rm_alive: true, trusted_lost: false };
                }
                if let Some((_, name)) = trusted.iter().find(|(p, _)| *p == pid) {
                    rampart_rt::pr_emerg!(
                        "init: trusted server {name} (pid {pid}) ended ({}); the system cannot run without it: powering off",
                        describe(&status)
                    );
                    return Ended { code: TRUSTED_LOST_CODE, rm_alive: true, trusted_lost: true };
                }
                if let Some(s) = servers.iter_mut().find(|s| s.pid == pid) {
                    dprintln!("init: server {} (pid {pid}) ended: {}", s.name, describe(&status));
                    s.pid = 0;
                }
            }
            continue;
        }
        let idx = r.badge & 0xffff;
        let report = FaultReport::from_message(msg.label(), msg.words());
        if idx == RM_INDEX {
            dprintln!("init: rm faulted: {report}; powering off");
            return Ended { code: 0x70, rm_alive: false, trusted_lost: false };
        }
        let Some(s) = servers.get_mut(idx as usize) else { continue };
        dprintln!("init: server {} (pid {}) faulted: {report}", s.name, s.pid);
        if s.pid != 0 {
            let _ = rampart_rt::rm::kill(s.pid);
            s.pid = 0;
        }
        if s.restarts < MAX_RESTARTS {
            s.restarts += 1;
            dprintln!("init: restarting {} ({} of {MAX_RESTARTS})", s.name, s.restarts);
            start(s);
        } else {
            dprintln!("init: giving up on {} after {MAX_RESTARTS} restarts", s.name);
        }
    }
}

fn describe(s: &ExitStatus) -> String {
    match s {
        ExitStatus::Exited(c) => alloc::format!("exit status {c}"),
        ExitStatus::Signaled(s) => {
            alloc::format!("killed by SIG{}", rampart_uabi::signal::name(*s).unwrap_or("?"))
        }
        ExitStatus::Faulted(f) => alloc::format!("killed by fault: {f}"),
    }
}
