//! The client in the guest (feature `rt`): attaching to a network device
//! through devmgr.

use crate::{NetClient, Signal};
use rampart_devmgr_api::rt::Devmgr;
use rampart_rt::cap::{CPtr, Notification};
use rampart_uabi::Errno;

/// Signals the driver's notification.
pub struct NtfnSignal(pub Notification);

impl Signal for NtfnSignal {
    fn notify(&mut self) {
        self.0.signal();
    }
}

/// Attaches to network device `name` (e.g. `net0`) through `devmgr`, using
/// three free slots of the task's CNode, with the driver's signals
/// arriving on the task notification as `badge`.
///
/// # Errors
/// devmgr's errors (`ENOENT`, `EAGAIN`, `EACCES`, `EBUSY`), rm's, `EPROTO`
/// (a region whose header is not a frame-queue layout).
pub fn open(devmgr: &Devmgr, name: &str, slots: [CPtr; 3], badge: u64) -> Result<NetClient<NtfnSignal>, Errno> {
    let a = devmgr.attach(name, slots, badge)?;
    // SAFETY: rm mapped the region (read-write) at `vaddr` for this task
    // until it is freed, which this client never does; the device's driver
    // is the only other user of it.
    unsafe { NetClient::new(a.region.vaddr as *mut u8, a.region.bytes as usize, NtfnSignal(a.driver)) }
        .map_err(|_| Errno::EPROTO)
}
