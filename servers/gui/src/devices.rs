//! The display and input devices, attached through devmgr: the
//! framebuffer region of `gpu0` (`rampart-gpudrv-api`) and the event rings
//! of `input0` and `input1` (`rampart-inputdrv-api`). The drivers' signals
//! arrive on the task notification with the badges below.

use rampart_connsrv_api::rt::Channel;
use rampart_devmgr_api::rt::Devmgr;
use rampart_gpudrv_api::{FLUSH_DONE_OFFSET, FLUSH_REQ_OFFSET, Geometry, Header, PIXELS_OFFSET};
use rampart_inputdrv_api::{ClientEnd, Event};
use rampart_rt::cap::{CPtr, Notification};
use rampart_rt::cpu::rdtsc;
use rampart_uabi::Errno;

/// The display.
pub const GPU: &str = "gpu0";
/// The input devices (QEMU's keyboard and tablet, in PCI order).
pub const INPUTS: [&str; 2] = ["input0", "input1"];
/// Badge of the display driver's signals (a flush was served).
pub const BADGE_GPU: u64 = 1 << 8;
/// Badges of the input drivers' signals.
pub const BADGE_INPUT: [u64; 2] = [1 << 9, 1 << 10];
/// Seconds to wait for devmgr and the drivers.
const READY_SECS: u64 = 60;

/// A failed start-up step and its errno.
pub type Failure = (&'static str, Errno);

/// The attached devices.
pub struct Devices {
    fb: *mut u8,
    geo: Geometry,
    gpu: Notification,
    flushes: u64,
    inputs: alloc::vec::Vec<ClientEnd>,
}

impl Devices {
    /// Screen width.
    pub fn width(&self) -> u32 {
        self.geo.width
    }

    /// Screen height.
    pub fn height(&self) -> u32 {
        self.geo.height
    }

    /// Copies rows `y0..y1`, columns `x0..x1` of `pixels` (a frame of the
    /// screen's size) into the framebuffer and has the driver flush it;
    /// waits until it has.
    pub fn flush(&mut self, pixels: &[u32], x0: u32, y0: u32, x1: u32, y1: u32) {
        let w = self.geo.width as usize;
        for y in y0 as usize..y1 as usize {
            let from = &pixels[y * w + x0 as usize..y * w + x1 as usize];
            // SAFETY: the row lies inside the pixel area of the region
            // (`Geometry::parse` checked `width * height * 4` bytes fit
            // after `PIXELS_OFFSET`; the caller keeps x and y on screen);
            // only the driver reads it.
            unsafe {
                let to = self.fb.add(PIXELS_OFFSET as usize + (y * w + x0 as usize) * 4) as *mut u32;
                core::ptr::copy_nonoverlapping(from.as_ptr(), to, from.len());
            }
        }
        self.flushes += 1;
        // SAFETY: the counters lie in the header at the region start.
        unsafe { core::ptr::write_volatile(self.fb.add(FLUSH_REQ_OFFSET) as *mut u64, self.flushes) };
        self.gpu.signal();
        let hz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1_000_000);
        let end = rdtsc() + 5 * hz;
        // SAFETY: as above; the driver writes `flush_done`.
        while unsafe { core::ptr::read_volatile(self.fb.add(FLUSH_DONE_OFFSET) as *const u64) } < self.flushes {
            if rdtsc() > end {
                rampart_rt::pr_warn!("gui: the display driver did not flush in 5 s");
                return;
            }
            rampart_rt::events::wait_for(BADGE_GPU);
        }
    }

    /// Calls `f` with every input event waiting in the rings.
    pub fn drain_input(&mut self, mut f: impl FnMut(Event)) {
        for ring in &mut self.inputs {
            while let Ok(Some(e)) = ring.pop() {
                f(e);
            }
            ring.release();
        }
    }
}

/// Connects to devmgr (slot 0), waits until the devices are ready and
/// attaches to them (slots 1..10).
///
/// # Errors
/// The failing step with its errno: `ENODEV` when there is no display.
pub fn open(ch: &Channel, s: [CPtr; 10]) -> Result<Devices, Failure> {
    let d = wait_ready(ch, s[0]).map_err(|e| ("waiting for the display", e))?;
    let a = d.attach(GPU, [s[1], s[2], s[3]], BADGE_GPU).map_err(|e| ("attaching gpu0", e))?;
    // SAFETY: rm mapped the region read-write at `vaddr` for this task
    // until it is freed, which the server never does.
    let h = unsafe { core::ptr::read_volatile(a.region.vaddr as *const Header) };
    let geo = Geometry::parse(&h, a.region.bytes).map_err(|_| ("framebuffer layout", Errno::EPROTO))?;
    let mut inputs = alloc::vec::Vec::new();
    for (i, name) in INPUTS.iter().enumerate() {
        let k = 4 + 3 * i;
        match d.attach(name, [s[k], s[k + 1], s[k + 2]], BADGE_INPUT[i]) {
            Ok(r) => {
                // SAFETY: as above; the driver is the region's only other
                // user.
                let end = unsafe { ClientEnd::open(r.region.vaddr as *mut u8, r.region.bytes as usize) }
                    .map_err(|_| ("input ring layout", Errno::EPROTO))?;
                inputs.push(end);
            }
            Err(e) => rampart_rt::pr_warn!("gui: no {name}: {e}"),
        }
    }
    Ok(Devices { fb: a.region.vaddr as *mut u8, geo, gpu: a.driver, flushes: 0, inputs })
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
        let ready = |n: &str| list.iter().find(|e| e.name == n).map(|e| e.ready);
        match (ready(GPU), INPUTS.iter().all(|n| ready(n) != Some(false))) {
            (Some(true), true) => return Ok(d),
            (None, _) => return Err(Errno::ENODEV),
            _ => {}
        }
        rampart_rt::syscall::yield_now();
    }
    Err(Errno::ETIMEDOUT)
}
