//! The root disk: the virtio-blk device `blk0`, attached through the device
//! manager (docs/devices.md); data moves through the driver's shared queues
//! (`rampart-blkdrv-api`), the driver's signals arrive on this task's
//! notification.

use alloc::collections::BTreeMap;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use rampart_blkdrv_api::client::BlkClient;
use rampart_blkdrv_api::rt::NtfnSignal;
use rampart_connsrv_api::rt::Channel;
use rampart_devmgr_api::rt::Devmgr;
use rampart_fs::{BlockDevice, IoError};
use rampart_rt::cap::{CPtr, Tcb};
use rampart_rt::cpu::rdtsc;
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

/// Connects to devmgr, waits until [`ROOT`] is ready, attaches to it.
/// `slots`: four free slots (devmgr channel, region, notifications).
///
/// # Errors
/// connsrv's, devmgr's and rm's errors; `ETIMEDOUT` (110) if the driver
/// never comes up.
pub fn open(ch: &Channel, slots: [CPtr; 4]) -> Result<(Devmgr, Disk), Errno> {
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
        return Err(Errno::ETIMEDOUT);
    }
    let c = rampart_blkdrv_api::rt::open(&d, ROOT, [slots[1], slots[2], slots[3]], BADGE)?;
    Ok((d, Disk(Rc::new(RefCell::new(c)))))
}

/// The block devices `Request::Mount` may use: attached through devmgr on
/// first use and kept attached (a driver serves one client), so a device
/// can be unmounted and mounted again. A device is in use while a mounted
/// volume holds its client.
pub struct Disks {
    devmgr: Devmgr,
    attached: BTreeMap<String, Disk>,
    /// Free CNode slots for attachments (three each).
    free: Vec<CPtr>,
    next_slot: Rc<Cell<CPtr>>,
}

impl Disks {
    /// Disks reached through `devmgr`; `root` is the root disk (never
    /// mounted twice); slots come from `next_slot`.
    pub fn new(devmgr: Devmgr, root: Disk, next_slot: Rc<Cell<CPtr>>) -> Disks {
        let mut attached = BTreeMap::new();
        attached.insert(String::from(ROOT), root);
        Disks { devmgr, attached, free: Vec::new(), next_slot }
    }

    fn slot(&mut self) -> CPtr {
        self.free.pop().unwrap_or_else(|| {
            let s = self.next_slot.get();
            self.next_slot.set(s + 1);
            s
        })
    }

    /// The client of block device `name`, attaching it on first use.
    ///
    /// # Errors
    /// `ENODEV` for a name that is not a block device devmgr lists,
    /// `EAGAIN` while its driver is not ready, `EBUSY` while a mounted
    /// volume uses it, `ENOSPC` after [`rampart_fs::MAX_MOUNTS`] devices,
    /// devmgr's and rm's errors.
    pub fn get(&mut self, name: &str) -> Result<Disk, Errno> {
        if let Some(d) = self.attached.get(name) {
            // One reference here; more mean a volume holds it.
            return if Rc::strong_count(&d.0) > 1 { Err(Errno::EBUSY) } else { Ok(d.clone()) };
        }
        if !name.starts_with("blk") || self.attached.len() > rampart_fs::MAX_MOUNTS {
            return Err(if name.starts_with("blk") { Errno::ENOSPC } else { Errno::ENODEV });
        }
        let list = self.devmgr.list()?;
        let e = list.iter().find(|e| e.name == name).ok_or(Errno::ENODEV)?;
        if !e.ready {
            return Err(Errno::EAGAIN);
        }
        let slots = [self.slot(), self.slot(), self.slot()];
        let badge = BADGE << self.attached.len();
        match rampart_blkdrv_api::rt::open(&self.devmgr, name, slots, badge) {
            Ok(c) => {
                let d = Disk(Rc::new(RefCell::new(c)));
                self.attached.insert(String::from(name), d.clone());
                Ok(d)
            }
            Err(err) => {
                for s in slots {
                    let _ = rampart_rt::cap::CNode(slot::CNODE).delete(s, 64);
                    self.free.push(s);
                }
                Err(err)
            }
        }
    }
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
