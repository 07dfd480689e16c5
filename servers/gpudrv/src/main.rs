//! gpudrv, the virtio-gpu 2D driver (`gpudrv_t`, docs/gui.md §2).
//!
//! Started by devmgr for one virtio-gpu function (after `device claim` on
//! `gpu_device_t`), it holds exactly that function's BAR pages and its
//! channel to devmgr. With `virtio-drivers`' `VirtIOGpu` (virtio 1.2
//! §5.7: `RESOURCE_CREATE_2D`, `RESOURCE_ATTACH_BACKING`, `SET_SCANOUT`,
//! `TRANSFER_TO_HOST_2D`, `RESOURCE_FLUSH`) it sets up one framebuffer at
//! the display's resolution, lays a framebuffer region out
//! (`rampart-gpudrv-api`), publishes it and its notification through
//! devmgr and serves the one client devmgr binds (the GUI server): on each
//! signal with a new flush request it copies the region's pixels into the
//! device's backing and flushes, then tells the client which request it
//! served. Control-queue requests are synchronous (the driver polls the
//! used ring), so the driver needs no interrupt.
#![no_std]
#![no_main]
// `unsafe` allowed: a driver: the framebuffer region shared with the GUI
// server is read through raw pointers (each block has a `// SAFETY:`
// comment).
#![allow(unsafe_code)]

extern crate alloc;

use rampart_drvkit::device;
use rampart_drvkit::hal::RampartHal;
use rampart_drvkit::start::{self, Failure, at};
use rampart_gpudrv_api::{FLUSH_DONE_OFFSET, FLUSH_REQ_OFFSET, Geometry, Header, PIXELS_OFFSET};
use rampart_rt::dprintln;
use rampart_uabi::Errno;
use virtio_drivers::device::gpu::VirtIOGpu;
use virtio_drivers::transport::pci::PciTransport;

rampart_rt::program!(main);

type Gpu = VirtIOGpu<RampartHal, PciTransport>;

fn main() -> i32 {
    start::main("gpudrv", run)
}

fn run(name: &str) -> Result<(), Failure> {
    let (dev, transport) = start::virtio_pci()?;
    let mut gpu = Gpu::new(transport).map_err(at("virtio-gpu init"))?;
    let (width, height) = gpu.resolution().map_err(at("display info"))?;
    let fb = gpu.setup_framebuffer().map_err(at("framebuffer"))?;
    let (fb_ptr, fb_len) = (fb.as_mut_ptr(), fb.len());
    let want = PIXELS_OFFSET + u64::from(width) * u64::from(height) * 4;
    let region = rampart_rt::rm::region_alloc(want).map_err(at("shared region"))?;
    let geo = Geometry { width, height, region_len: region.bytes };
    geo.check().map_err(|_| ("display size", Errno::EINVAL))?;
    if (geo.pixel_bytes() as usize) > fb_len {
        return Err(("framebuffer size", Errno::EIO));
    }
    // SAFETY: the region is fresh from rm, mapped read-write in this task
    // for its whole life and not yet shared; the header is at its start.
    unsafe { core::ptr::write_volatile(region.vaddr as *mut Header, geo.header()) };
    start::publish(&dev, &region)?;
    dprintln!(
        "gpudrv: {name}: {width}x{height} framebuffer, region {} KiB; cspace:{}",
        region.bytes >> 10,
        device::cspace_census()
    );
    let client = start::wait_client(&dev)?;
    dprintln!("gpudrv: {name}: client attached");
    let base = region.vaddr as *mut u8;
    let bytes = geo.pixel_bytes() as usize;
    let mut done = 0u64;
    loop {
        // SAFETY: the counters are inside the header at the region start
        // (mapped for the driver's whole life); the client writes
        // `flush_req` concurrently, read as one aligned word.
        let req = unsafe { core::ptr::read_volatile(base.add(FLUSH_REQ_OFFSET) as *const u64) };
        if req != done {
            // SAFETY: the pixels lie at `PIXELS_OFFSET` for `bytes` bytes
            // inside the region (`geo.check`), the framebuffer holds at
            // least `bytes` (checked above) and the two do not overlap.
            // The client may write pixels meanwhile: that only changes
            // what this flush shows.
            unsafe { core::ptr::copy_nonoverlapping(base.add(PIXELS_OFFSET as usize), fb_ptr, bytes) };
            gpu.flush().map_err(at("flush"))?;
            done = req;
            // SAFETY: inside the header, as above.
            unsafe { core::ptr::write_volatile(base.add(FLUSH_DONE_OFFSET) as *mut u64, done) };
            client.signal();
            continue;
        }
        device::events().wait();
    }
}
