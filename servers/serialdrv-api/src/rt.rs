//! The console's client in the guest (feature `rt`).

use crate::Ends;
use rampart_devmgr_api::rt::Devmgr;
use rampart_rt::cap::{CPtr, Notification};
use rampart_uabi::Errno;

/// An attached serial line.
pub struct Serial {
    /// The rings.
    pub ends: Ends,
    /// The driver's notification.
    pub driver: Notification,
}

/// Attaches to serial device `name` (`serial0`) through `devmgr` with three
/// free slots; the driver's signals arrive on the task notification as
/// `badge`.
///
/// # Errors
/// devmgr's and rm's errors; `EPROTO` (not a serial page).
pub fn open(devmgr: &Devmgr, name: &str, slots: [CPtr; 3], badge: u64) -> Result<Serial, Errno> {
    let a = devmgr.attach(name, slots, badge)?;
    // SAFETY: rm mapped the page read-write for this task; only the driver
    // shares it.
    let ends =
        unsafe { crate::client(a.region.vaddr as *mut u8, a.region.bytes as usize) }.map_err(|_| Errno::EPROTO)?;
    Ok(Serial { ends, driver: a.driver })
}

impl Serial {
    /// Writes all of `data` (waiting on the task notification while the
    /// ring is full).
    ///
    /// # Errors
    /// `EIO` (corrupt ring).
    pub fn write_all(&mut self, mut data: &[u8]) -> Result<(), Errno> {
        while !data.is_empty() {
            let (n, signal) = self.ends.write(data).map_err(|_| Errno::EIO)?;
            if signal {
                self.driver.signal();
            }
            data = &data[n..];
            if !data.is_empty() && self.ends.output.should_sleep().map_err(|_| Errno::EIO)? {
                // Any bit wakes us (we re-check the ring); the task's loop
                // still gets every one ([`rampart_rt::events`]).
                rampart_rt::events::stash(Notification(rampart_uabi::startup::slot::NOTIFICATION).wait());
            }
        }
        Ok(())
    }

    /// Reads at least one byte (waiting on the task notification).
    ///
    /// # Errors
    /// `EIO` (corrupt ring).
    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        loop {
            let (n, signal) = self.ends.read(buf).map_err(|_| Errno::EIO)?;
            if signal {
                self.driver.signal();
            }
            if n > 0 {
                return Ok(n);
            }
            if self.ends.input.should_sleep().map_err(|_| Errno::EIO)? {
                // Any bit wakes us (we re-check the ring); the task's loop
                // still gets every one ([`rampart_rt::events`]).
                rampart_rt::events::stash(Notification(rampart_uabi::startup::slot::NOTIFICATION).wait());
            }
        }
    }
}
