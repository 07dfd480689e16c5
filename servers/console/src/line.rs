//! The serial line: the 16550 driver's byte rings (`serial0`), attached
//! through the device manager (docs/devices.md). The driver signals this
//! task's notification (with the console's badge) when input arrives and
//! when transmit space frees up.

use rampart_connsrv_api::rt::Channel;
use rampart_devmgr_api::rt::Devmgr;
use rampart_rt::cap::{CPtr, Tcb};
use rampart_serialdrv_api::rt::Serial;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// The device.
pub const DEVICE: &str = "serial0";
/// Priority while waiting for devmgr and the driver (below drivers' 150).
const WAIT_PRIORITY: u64 = 100;
/// The server's priority (init starts servers at 200).
const SERVER_PRIORITY: u64 = 200;
/// Polls of devmgr before giving up.
const WAIT_POLLS: u32 = 200_000;

/// The attached line.
pub struct Line(Serial);

impl Line {
    /// Connects to devmgr (started by init after this server), waits until
    /// [`DEVICE`] is ready and attaches to its rings; `slots`: four free
    /// slots; the driver's signals arrive with `badge`.
    ///
    /// # Errors
    /// connsrv's, devmgr's and rm's errors; `ETIMEDOUT` (110).
    pub fn open(ch: &Channel, slots: [CPtr; 4], badge: u64) -> Result<Line, Errno> {
        let me = Tcb(slot::TCB);
        // Poll below the drivers' priority so devmgr and the driver run.
        let _ = me.set_priority(me, WAIT_PRIORITY);
        let r = wait(ch, slots, badge);
        let _ = me.set_priority(me, SERVER_PRIORITY);
        r.map(Line)
    }

    /// Reads what is there (0: nothing), never waiting.
    pub fn read(&mut self, buf: &mut [u8]) -> usize {
        match self.0.ends.read(buf) {
            Ok((n, signal)) => {
                if signal {
                    self.0.driver.signal();
                }
                n
            }
            Err(_) => 0,
        }
    }

    /// Writes all of `data` (waits while the transmit ring is full).
    pub fn write(&mut self, data: &[u8]) {
        if self.0.write_all(data).is_err() {
            rampart_rt::pr_err!("console: the transmit ring is corrupt");
        }
    }
}

fn wait(ch: &Channel, slots: [CPtr; 4], badge: u64) -> Result<Serial, Errno> {
    let mut r = ch.connect("devmgr", slots[0]);
    let mut polls = 0;
    while r == Err(Errno::ENOENT) && polls < WAIT_POLLS {
        polls += 1;
        rampart_rt::syscall::yield_now();
        r = ch.connect("devmgr", slots[0]);
    }
    let d = Devmgr(r?.ep);
    while !d.list().is_ok_and(|l| l.iter().any(|e| e.name == DEVICE && e.ready)) {
        polls += 1;
        if polls > WAIT_POLLS {
            return Err(Errno::ETIMEDOUT);
        }
        rampart_rt::syscall::yield_now();
    }
    rampart_serialdrv_api::rt::open(&d, DEVICE, [slots[1], slots[2], slots[3]], badge)
}
