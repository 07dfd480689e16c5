//! blkdrv, the virtio-blk driver (`blkdrv_t`, docs/devices.md §6-8).
//!
//! Started by devmgr for one virtio-blk function, it holds exactly that
//! function's BAR pages (mapped uncached through rm), its MSI-X vector and
//! its channel to devmgr. It drives the device with `virtio-drivers`
//! (virtio 1.2 §4.1 PCI transport, §5.2 block device) over
//! `rampart_drvkit`'s HAL, lays the block queues out in a region of its DMA
//! memory, publishes that region and its notification through devmgr and
//! then serves the one client devmgr binds: each request is checked, the
//! device transfers straight to or from the shared data area (no copy in
//! the driver), and a completion goes back. Up to the virtqueue's size of
//! requests are in flight at once.
#![no_std]
#![no_main]
// `unsafe` allowed: a driver: `virtio-drivers`' DMA calls and the block queue region shared
// with the client are `unsafe` (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]

extern crate alloc;

use alloc::boxed::Box;
use rampart_blkdrv_api::client::DriverEnd;
use rampart_blkdrv_api::{Layout, Op, SECTOR};
use rampart_drvkit::device;
use rampart_drvkit::hal::{self, RampartHal};
use rampart_drvkit::start::{self, Failure, at};
use rampart_rt::cap::{IrqHandler, Notification};
use rampart_rt::dprintln;
use rampart_uabi::Errno;
use virtio_drivers::device::blk::{BlkReq, BlkResp, VirtIOBlk};
use virtio_drivers::transport::pci::PciTransport;

rampart_rt::program!(main);

/// Requests in flight on the device (virtio-drivers' queue size).
const IN_FLIGHT: usize = 16;
/// Ring depth of the block queues.
const DEPTH: u32 = 16;
/// Bytes of the shared region (a power of two: physically contiguous).
const REGION_BYTES: u64 = 2 << 20;

type Blk = VirtIOBlk<RampartHal, PciTransport>;

fn main() -> i32 {
    start::main("blkdrv", run)
}

fn run(name: &str) -> Result<(), Failure> {
    let (dev, transport) = start::virtio_pci()?;
    let blk = Blk::new(transport).map_err(at("virtio-blk init"))?;
    dev.route_virtio_vectors(1).map_err(at("MSI-X vectors"))?;
    let irq = dev.route_irq().map_err(at("interrupt"))?;
    let (region, _) = hal::dma_region(REGION_BYTES).map_err(at("shared region"))?;
    let layout =
        Layout::new(blk.capacity(), blk.readonly(), DEPTH, region.bytes).map_err(|_| ("layout", Errno::EINVAL))?;
    // SAFETY: the region is fresh from rm, mapped read-write in this task
    // for its whole life and not yet shared.
    let end = unsafe { DriverEnd::create(region.vaddr as *mut u8, layout) }.map_err(|_| ("layout", Errno::EINVAL))?;
    start::publish(&dev, &region)?;
    dprintln!("blkdrv: {name}: domain {}", rampart_rt::startup::body().map_or("?", |b| b.security_context.as_str()));
    dprintln!(
        "blkdrv: {name}: {} sectors{}, queue {}, region {} KiB; cspace:{}",
        blk.capacity(),
        if blk.readonly() { " read-only" } else { "" },
        blk.virt_queue_size(),
        region.bytes >> 10,
        device::cspace_census()
    );
    let client = start::wait_client(&dev)?;
    dprintln!("blkdrv: {name}: client attached");
    Driver { blk, end, client, irq, slots: Slots::new() }.serve().map_err(at("serving"))
}

/// A request on the device: the client's id, what it asked, and the header
/// slot its virtio request and response live in.
#[derive(Clone, Copy)]
struct Flight {
    id: u32,
    op: Op,
    k: usize,
}

/// Per-request virtio headers (shared with the device through the HAL's
/// bounce slots while in flight).
struct Slots {
    req: Box<[BlkReq; IN_FLIGHT]>,
    resp: Box<[BlkResp; IN_FLIGHT]>,
    used: [bool; IN_FLIGHT],
}

impl Slots {
    fn new() -> Slots {
        Slots {
            req: Box::new(core::array::from_fn(|_| BlkReq::default())),
            resp: Box::new(core::array::from_fn(|_| BlkResp::default())),
            used: [false; IN_FLIGHT],
        }
    }
}

struct Driver {
    blk: Blk,
    end: DriverEnd,
    client: Notification,
    irq: IrqHandler,
    slots: Slots,
}

impl Driver {
    /// The data-area bytes of a checked request.
    fn buffer(&self, offset: u64, count: u32) -> &'static mut [u8] {
        // SAFETY: `Req::check` put `offset + count * 512` inside the data
        // area, which lies in the shared region mapped for the driver's
        // whole life. The client may write these bytes concurrently; that
        // only changes the data it asked for (the driver never interprets
        // them).
        unsafe { core::slice::from_raw_parts_mut(self.end.data(offset), (u64::from(count) * SECTOR) as usize) }
    }

    fn serve(mut self) -> Result<(), Errno> {
        let mut flights: [Option<Flight>; IN_FLIGHT] = [None; IN_FLIGHT];
        let mut busy = 0usize;
        let mut flush_waiting: Option<u32> = None;
        loop {
            let mut progress = false;
            // Completions from the device.
            while let Some(token) = self.blk.peek_used() {
                let Some(f) = flights.get_mut(usize::from(token)).and_then(Option::take) else {
                    return Err(Errno::EIO); // the device used a descriptor we never gave it
                };
                busy -= 1;
                self.slots.used[f.k] = false;
                let status = self.finish(token, f);
                self.end.complete(f.id, status)?;
                progress = true;
            }
            if let Some(id) = flush_waiting
                && busy == 0
            {
                let status = match self.blk.flush() {
                    Ok(()) => 0,
                    Err(virtio_drivers::Error::Unsupported) => Errno::ENOTSUP.0 as u32,
                    Err(_) => Errno::EIO.0 as u32,
                };
                self.end.complete(id, status)?;
                flush_waiting = None;
                progress = true;
            }
            // New requests, while the device has room.
            while busy < IN_FLIGHT && flush_waiting.is_none() {
                let Some((id, op)) = self.end.next_request()? else { break };
                progress = true;
                match op {
                    Err(e) => {
                        self.end.complete(id, e.0 as u32)?;
                    }
                    Ok(Op::Flush) => flush_waiting = Some(id),
                    Ok(op) => match self.submit(id, op) {
                        Ok((token, f)) => {
                            flights[usize::from(token)] = Some(f);
                            busy += 1;
                        }
                        Err(e) => {
                            self.end.complete(id, e.0 as u32)?;
                        }
                    },
                }
            }
            if self.end.publish() {
                self.client.signal();
            }
            if self.end.release() {
                self.client.signal();
            }
            if progress {
                continue;
            }
            let idle = self.end.should_sleep()? && self.blk.peek_used().is_none();
            if idle {
                let _ = self.irq.ack();
                device::events().wait();
            }
        }
    }

    /// Puts a checked read or write on the device; returns its token.
    fn submit(&mut self, id: u32, op: Op) -> Result<(u16, Flight), Errno> {
        let k = self.slots.used.iter().position(|u| !u).ok_or(Errno::EBUSY)?;
        let r = match op {
            Op::Read { sector, count, offset } => {
                let buf = self.buffer(offset, count);
                // SAFETY: the header slot `k` and the data-area buffer stay
                // untouched by the driver until `finish` completes this
                // token.
                unsafe {
                    self.blk.read_blocks_nb(sector as usize, &mut self.slots.req[k], buf, &mut self.slots.resp[k])
                }
            }
            Op::Write { sector, count, offset } => {
                let buf = self.buffer(offset, count);
                // SAFETY: as above.
                unsafe {
                    self.blk.write_blocks_nb(sector as usize, &mut self.slots.req[k], buf, &mut self.slots.resp[k])
                }
            }
            Op::Flush => return Err(Errno::EINVAL),
        };
        let token = r.map_err(|_| Errno::EIO)?;
        if usize::from(token) >= IN_FLIGHT {
            return Err(Errno::EIO);
        }
        self.slots.used[k] = true;
        Ok((token, Flight { id, op, k }))
    }

    /// Completes `token` on the device; returns the request's status.
    fn finish(&mut self, token: u16, f: Flight) -> u32 {
        let k = f.k;
        let r = match f.op {
            Op::Read { offset, count, .. } => {
                let buf = self.buffer(offset, count);
                // SAFETY: the same header slot and buffer `submit` gave for
                // this token.
                unsafe { self.blk.complete_read_blocks(token, &self.slots.req[k], buf, &mut self.slots.resp[k]) }
            }
            Op::Write { offset, count, .. } => {
                let buf = self.buffer(offset, count);
                // SAFETY: as above.
                unsafe { self.blk.complete_write_blocks(token, &self.slots.req[k], buf, &mut self.slots.resp[k]) }
            }
            Op::Flush => Ok(()),
        };
        match r {
            Ok(()) => 0,
            Err(_) => Errno::EIO.0 as u32,
        }
    }
}
