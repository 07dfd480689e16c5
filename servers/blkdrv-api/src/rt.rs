//! The client in the guest (feature `rt`): attaching to a block device
//! through devmgr and waiting on the task's notification.

use crate::client::{BlkClient, Signal};
use rampart_devmgr_api::rt::Devmgr;
use rampart_rt::cap::{CPtr, Notification};
use rampart_uabi::Errno;

/// Signals over kernel notifications: the driver's, and this task's own
/// (slot 5), on which the driver's signals arrive with `badge`. Other
/// events that arrive while the client waits are stashed for the task's
/// own loop ([`rampart_rt::events`]: the server loop delivers them).
pub struct NtfnSignal {
    /// The driver's notification.
    pub driver: Notification,
    /// Our badge bit on the task notification.
    pub badge: u64,
}

impl Signal for NtfnSignal {
    fn notify(&mut self) {
        self.driver.signal();
    }

    fn wait(&mut self) {
        rampart_rt::events::wait_for(self.badge);
    }
}

/// Attaches to block device `name` (e.g. `blk0`) through `devmgr`, using
/// three free slots of the task's CNode, with the driver's signals
/// arriving on the task notification as `badge`.
///
/// # Errors
/// devmgr's errors (`ENOENT`, `EAGAIN`, `EACCES`, `EBUSY`), rm's, `EPROTO`
/// (a region whose header is not a block queue layout).
pub fn open(devmgr: &Devmgr, name: &str, slots: [CPtr; 3], badge: u64) -> Result<BlkClient<NtfnSignal>, Errno> {
    let a = devmgr.attach(name, slots, badge)?;
    let sig = NtfnSignal { driver: a.driver, badge };
    // SAFETY: rm mapped the region (read-write) at `vaddr` for this task
    // until it is freed, which this client never does; the device's driver
    // is the only other user of it.
    unsafe { BlkClient::new(a.region.vaddr as *mut u8, a.region.bytes as usize, sig) }.map_err(|_| Errno::EPROTO)
}
