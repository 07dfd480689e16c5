//! The network server (docs/network.md): the `rampart-net` core (smoltcp
//! with mediated sockets) over the virtio-net driver's frame queues,
//! registered as service "net" with the connection server.
//!
//! - Connections: every client reaches the server through a badge minted by
//!   connsrv, which carries the client's SID ([`ConnBadge`]); the first
//!   request of a new badge creates the connection in the core, and the
//!   state is keyed by the whole badge, never by the connection number
//!   alone. Connections closed by connsrv (client exited) are taken when
//!   connsrv signals them ([`rampart_connsrv_api::EVENT_CLOSED`]) and every
//!   [`CLOSED_POLL`] requests; connsrv does not reuse a number until it has
//!   been taken.
//! - Shared regions: `AttachRegion` carries an rm region token; payload
//!   bytes of `Send`/`Recv` live there, never in messages.
//!   `AttachNotification` carries the client's notification (readiness).
//! - Blocking: a request the core holds keeps its caller's reply object
//!   (one of the spare reply objects init staged as `reply0`..) until the
//!   core answers it after a later poll ([`loop`]).
//! - Mediation: the core's AVC asks the security server ([`sec::SecIpc`]);
//!   denials are printed on the debug console and submitted to secsrv's
//!   audit trail.
//! - Time: there is no timer service yet. With nothing to time the server
//!   blocks in `Recv` (frames and requests wake it); while smoltcp or a
//!   held operation has a deadline it polls its endpoint without blocking
//!   and yields, at [`IDLE_PRIORITY`] (the programs' priority, so it
//!   shares the processor with them), and returns to its priority as soon
//!   as something arrives.
#![no_std]
#![no_main]

extern crate alloc;

mod dev;
mod lp;
mod sec;

use rampart_connsrv_api::rt::Channel;
use rampart_net::{Config, IpConfig, NetServer, StaticIp};
use rampart_rt::cap::{CNode, Reply};
use rampart_rt::cpu::rdtsc;

use rampart_rt::dprintln;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

/// Requests between two polls for closed connections.
pub const CLOSED_POLL: u32 = 32;
/// Priority while waiting for a deadline without a timer: the programs'
/// (rm's default for what init starts). Lower, a program waiting in a
/// loop of yields (a pipe read, `poll` probing the terminal) would keep
/// the server from ever running again, so frames for that very program
/// would never be taken in; at the same priority yields alternate.
pub const IDLE_PRIORITY: u64 = 100;
/// Spare reply objects init stages (`reply0`..).
pub const SPARE_REPLIES: usize = 20;
const CNODE: CNode = CNode(slot::CNODE);

/// Milliseconds since boot (the TSC at its calibrated frequency).
pub fn now_ms() -> u64 {
    let khz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz / 1000).max(1);
    rdtsc() / khz
}

fn main() -> i32 {
    let mut next = slot::FIRST_FREE;
    let mut slot = || {
        next += 1;
        next - 1
    };
    let ch = Channel::own();
    let secure = match ch.connect(rampart_connsrv_api::SECURITY_SERVICE, slot()) {
        Ok(c) => Ipc(c.ep),
        Err(e) => {
            rampart_rt::pr_err!("net: no security server: {e}");
            return 1;
        }
    };
    let nic = match dev::open(&ch, [slot(), slot(), slot(), slot()]) {
        Ok(d) => d,
        Err(rampart_uabi::Errno::ENODEV) => {
            rampart_rt::pr_warn!("net: no network interface ({}); not serving", dev::NIC);
            return 0;
        }
        Err(e) => {
            rampart_rt::pr_err!("net: cannot attach {}: {e} (errno {})", dev::NIC, e.0);
            return 2;
        }
    };
    let mac = nic.mac();
    let cfg = Config { ip: IpConfig::Static(StaticIp::qemu_user()), seed: rdtsc(), max_held: 16, ..Config::default() };
    let core = match NetServer::new(nic, sec::SecIpc(secure), cfg, now_ms()) {
        Ok(c) => c,
        Err(e) => {
            rampart_rt::pr_err!("net: cannot start the stack: {e:?}");
            return 3;
        }
    };
    // Reloads, boolean and mode changes reach the object manager through
    // the notification (docs/security-architecture.md, "Policy changes").
    if let Err(e) = rampart_secsrv_api::rt::subscribe_policy_changes(secure, slot()) {
        rampart_rt::pr_err!("net: cannot subscribe to policy changes: {e}");
        return 5;
    }
    let ep = match ch.register("net", slot()) {
        Ok(ep) => ep,
        Err(e) => {
            rampart_rt::pr_err!("net: cannot register: {e}");
            return 4;
        }
    };
    if let Err(e) = ch.watch_closed_events(slot()) {
        dprintln!("net: closed connections will only be polled: {e}");
    }
    let spare: alloc::vec::Vec<Reply> = (0..SPARE_REPLIES)
        .filter_map(|i| rampart_rt::startup::named_cap(&alloc::format!("reply{i}")).map(Reply))
        .collect();
    let ifi = core.stack.info();
    let (a, prefix) = ifi.addr.unwrap_or_default();
    dprintln!(
        "net: {} mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x} ip {}.{}.{}.{}/{}, serving \"net\" ({} reply objects for held requests)",
        dev::NIC,
        mac[0],
        mac[1],
        mac[2],
        mac[3],
        mac[4],
        mac[5],
        a[0],
        a[1],
        a[2],
        a[3],
        prefix,
        spare.len()
    );
    let first_free = next;
    lp::Loop::new(core, ch, ep, secure, spare, first_free).run()
}
