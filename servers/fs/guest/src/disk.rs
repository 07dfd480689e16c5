//! The root disk: the virtio-blk device `blk0`, attached through the device
//! manager (docs/devices.md); data moves through the driver's shared queues
//! (`rampart-blkdrv-api`), the driver's signals arrive on this task's
//! notification.

use alloc::rc::Rc;
use core::cell::RefCell;
use rampart_blkdrv_api::client::BlkClient;
use rampart_blkdrv_api::rt::NtfnSignal;
use rampart_connsrv_api::rt::Channel;
use rampart_devmgr_api::rt::Devmgr;
use rampart_fs::{BlockDevice, IoError};
use rampart_rt::cap::{CPtr, Tcb};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// The device name of the root disk.
pub const ROOT: &str = "blk0";
/// Badge of the driver's signals on the task notification.
pub const BADGE: u64 = 1 << 8;
/// Seconds to wait for the driver to come up.
const READY_SECS: u64 = 30;
/// Priority while waiting for the driver (below drivers' 150).
const WAIT_PRIORITY: u64 = 100;
/// The server's priority (init starts servers at 200).
const SERVER_PRIORITY: u64 = 200;

/// Connects to devmgr, which init starts after this server (retried while
/// it is not registered yet, below the drivers' priority).
fn connect_devmgr(ch: &Channel, s: CPtr) -> Result<Devmgr, Errno> {
    let me = Tcb(slot::TCB);
    let _ = me.set_priority(me, WAIT_PRIORITY);
    let mut r = ch.connect("devmgr", s);
    for _ in 0..100_000 {
        if r != Err(Errno::ENOENT) {
            break;
        }
        rampart_rt::syscall::yield_now();
        r = ch.connect("devmgr", s);
    }
    let _ = me.set_priority(me, SERVER_PRIORITY);
    Ok(Devmgr(r?.ep))
}

/// The block client, shareable (the volume engines clone their device).
#[derive(Clone)]
pub struct Disk(Rc<RefCell<BlkClient<NtfnSignal>>>);

fn rdtsc() -> u64 {
    // SAFETY: rdtsc is allowed in ring 3 and has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Connects to devmgr, waits until [`ROOT`] is ready, attaches to it.
/// `slots`: four free slots (devmgr channel, region, notifications).
///
/// # Errors
/// connsrv's, devmgr's and rm's errors; `ETIMEDOUT` (110) if the driver
/// never comes up.
pub fn open(ch: &Channel, slots: [CPtr; 4]) -> Result<Disk, Errno> {
    let d = connect_devmgr(ch, slots[0])?;
    let hz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1_000_000);
    let end = rdtsc() + READY_SECS * hz;
    // Poll below the drivers' priority (150) so the disk driver can start;
    // the server's own priority (200) comes back before it serves.
    let me = Tcb(slot::TCB);
    let _ = me.set_priority(me, WAIT_PRIORITY);
    let mut ready = false;
    while rdtsc() < end {
        if d.list().is_ok_and(|l| l.iter().any(|e| e.name == ROOT && e.ready)) {
            ready = true;
            break;
        }
        rampart_rt::syscall::yield_now();
    }
    let _ = me.set_priority(me, SERVER_PRIORITY);
    if !ready {
        return Err(Errno(110));
    }
    let c = rampart_blkdrv_api::rt::open(&d, ROOT, [slots[1], slots[2], slots[3]], BADGE)?;
    Ok(Disk(Rc::new(RefCell::new(c))))
}

impl BlockDevice for Disk {
    fn sector_count(&self) -> u64 {
        self.0.borrow().layout().capacity
    }
    fn read_sectors(&mut self, lba: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.0.borrow_mut().read_sectors(lba, buf)
    }
    fn write_sectors(&mut self, lba: u64, buf: &[u8]) -> Result<(), IoError> {
        self.0.borrow_mut().write_sectors(lba, buf)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        BlockDevice::flush(&mut *self.0.borrow_mut())
    }
    fn read_only(&self) -> bool {
        self.0.borrow().layout().read_only
    }
}
