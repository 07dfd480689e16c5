//! The network device: the virtio-net device `net0`, attached through the
//! device manager (docs/devices.md); frames move through the driver's
//! shared queues (`rampart-netdrv-api`), the driver's signals arrive on
//! this task's notification.

use rampart_connsrv_api::rt::Channel;
use rampart_devmgr_api::rt::Devmgr;
use rampart_netdrv_api::NetClient;
use rampart_netdrv_api::rt::NtfnSignal;
use rampart_rt::cap::{CPtr, Tcb};
use rampart_rt::cpu::rdtsc;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// The device name of the network interface.
pub const NIC: &str = "net0";
/// Badge of the driver's signals on the task notification.
pub const BADGE: u64 = 1 << 8;
/// Seconds to wait for devmgr and the driver to come up.
const READY_SECS: u64 = 30;
/// Priority while waiting for the driver (below drivers' 150).
const WAIT_PRIORITY: u64 = 100;
/// The server's priority (init starts servers at 200).
pub const SERVER_PRIORITY: u64 = 200;

/// Connects to devmgr and waits (below the drivers' priority, so they can
/// start) until [`NIC`] is ready, then attaches to it. `slots`: four free
/// slots (devmgr channel, region, notifications).
///
/// # Errors
/// connsrv's, devmgr's and rm's errors; `ENODEV` if devmgr has no such
/// device (no NIC on this machine); `ETIMEDOUT` (110) if the driver never
/// comes up.
pub fn open(ch: &Channel, slots: [CPtr; 4]) -> Result<NetClient<NtfnSignal>, Errno> {
    let me = Tcb(slot::TCB);
    let _ = me.set_priority(me, WAIT_PRIORITY);
    let r = wait_ready(ch, slots[0]);
    let _ = me.set_priority(me, SERVER_PRIORITY);
    let d = r?;
    rampart_netdrv_api::rt::open(&d, NIC, [slots[1], slots[2], slots[3]], BADGE)
}

fn wait_ready(ch: &Channel, s: CPtr) -> Result<Devmgr, Errno> {
    let hz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1_000_000);
    let end = rdtsc() + READY_SECS * hz;
    let mut r = ch.connect("devmgr", s);
    while r == Err(Errno::ENOENT) && rdtsc() < end {
        rampart_rt::syscall::yield_now();
        r = ch.connect("devmgr", s);
    }
    let d = Devmgr(r?.ep);
    while rdtsc() < end {
        let list = d.list()?;
        match list.iter().find(|e| e.name == NIC) {
            Some(e) if e.ready => return Ok(d),
            Some(_) => {}
            None => return Err(Errno::ENODEV),
        }
        rampart_rt::syscall::yield_now();
    }
    Err(Errno::ETIMEDOUT)
}
