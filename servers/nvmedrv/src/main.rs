//! nvmedrv, the NVMe driver (`blkdrv_t`, docs/hardware.md).
//!
//! Started by devmgr for one PCI function of class 01/08/02 (mass storage,
//! non-volatile memory controller, NVM Express), it holds exactly that
//! function's BAR0 pages (the MSI-X table pages stay with devmgr), its
//! interrupt grant and its channel to devmgr — the same grants as the
//! virtio-blk driver — and presents namespace 1 to its one client exactly
//! as `blkdrv` presents a virtio-blk disk: it **reuses the block queue
//! protocol of `rampart-blkdrv-api`** (same region layout, 512-byte
//! sectors, same errors), so the file server mounts `blk0` without knowing
//! which driver serves it.
//!
//! Design (NVM Express Base Specification 1.4): the controller is reset
//! and enabled through CC/CSTS with an admin queue pair (§7.6.1), Identify
//! Controller and Namespace give MDTS and the LBA format (§5.15), one I/O
//! queue pair is created (§5.3, §5.4) and each client request becomes one
//! or more Read/Write/Flush commands (§6.9, §6.15, §6.8) whose data
//! pointers (PRP1/PRP2 or a PRP list, §4.3) address the shared region's
//! data area directly (zero copy). **First step: one command in flight.**
//! Its completion is found by the phase tag; with MSI-X (entry 0, which
//! devmgr programs) I/O completion queue 1 raises that vector and the
//! driver sleeps on its notification after a few polls; without MSI-X it
//! polls with a bounded spin of `yield`s. Admin commands at start-up are
//! always polled with the bounded spin. Several commands in flight are
//! future work.
//!
//! Trust: the device and the client are untrusted. Requests are checked by
//! `Req::check` and against the namespace's blocks; every register value,
//! completion entry and Identify field is bounds-checked
//! (`rampart_drvkit::nvme`); device misbehaviour becomes `EIO`.
#![no_std]
#![no_main]
// `unsafe` allowed: a driver: MMIO registers, queues and PRP lists in DMA
// memory the device reads and writes (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]

extern crate alloc;

mod ctrl;

use crate::ctrl::Ctrl;
use rampart_blkdrv_api::client::DriverEnd;
use rampart_blkdrv_api::{Layout, Op, SECTOR};
use rampart_devmgr_api::IrqKind;
use rampart_drvkit::device;
use rampart_drvkit::hal;
use rampart_drvkit::nvme::nvm;
use rampart_drvkit::start::{self, Failure, at};
use rampart_rt::cap::Notification;
use rampart_rt::dprintln;
use rampart_uabi::Errno;

rampart_rt::program!(main);

/// Ring depth of the block queues.
const DEPTH: u32 = 16;
/// Bytes of the shared region (a power of two: physically contiguous).
const REGION_BYTES: u64 = 2 << 20;
/// Bytes of BAR0 the driver needs mapped: the registers and the first
/// doorbell page (admin and I/O queue 1 doorbells for any DSTRD up to 8).
const BAR0_NEEDED: u64 = 0x2000;
/// PCI command register and its bus-master and INTx-disable bits.
const PCI_COMMAND: u16 = 0x04;
const PCI_BUS_MASTER: u32 = 1 << 2;
const PCI_INTX_DISABLE: u32 = 1 << 10;

fn main() -> i32 {
    start::main("nvmedrv", run)
}

fn run(name: &str) -> Result<(), Failure> {
    hal::init().map_err(at("DMA memory"))?;
    let dev = device::claim().map_err(at("collecting the grants"))?;
    let bar = dev.info.bars.iter().find(|b| b.index == 0).ok_or(("BAR0", Errno::ENODEV))?;
    let regs = hal::mmio_virt(bar.addr, BAR0_NEEDED).ok_or(("BAR0 registers", Errno::ENODEV))?;
    let cmd = dev.devmgr.config_read(PCI_COMMAND).map_err(at("PCI command"))?;
    dev.devmgr
        .config_write(PCI_COMMAND, (cmd & 0xffff) | PCI_BUS_MASTER | PCI_INTX_DISABLE)
        .map_err(at("bus mastering"))?;
    // MSI-X entry 0 (programmed by devmgr) signals I/O completions; with
    // another kind of interrupt the driver polls.
    let irq = match dev.irq {
        Some((_, IrqKind::MsiX { entry })) => Some((dev.route_irq().map_err(at("interrupt"))?, entry)),
        _ => None,
    };
    let interrupts = irq.is_some();
    let c = Ctrl::init(regs, BAR0_NEEDED, irq).map_err(at("controller init"))?;
    let (region, _) = hal::dma_region(REGION_BYTES).map_err(at("shared region"))?;
    let layout = Layout::new(c.ns.sectors(), false, DEPTH, region.bytes).map_err(|_| ("layout", Errno::EINVAL))?;
    // SAFETY: the region is fresh from rm, mapped read-write in this task
    // for its whole life and not yet shared.
    let end = unsafe { DriverEnd::create(region.vaddr as *mut u8, layout) }.map_err(|_| ("layout", Errno::EINVAL))?;
    start::publish(&dev, &region)?;
    dprintln!("nvmedrv: {name}: domain {}", rampart_rt::startup::body().map_or("?", |b| b.security_context.as_str()));
    let v = c.version();
    dprintln!(
        "nvmedrv: {name}: NVMe {}.{}, namespace 1: {} blocks of {} bytes ({} sectors), max transfer {} KiB, {}; cspace:{}",
        v >> 16,
        (v >> 8) & 0xff,
        c.ns.blocks,
        1u32 << c.ns.lba_shift,
        c.ns.sectors(),
        c.max_transfer() >> 10,
        if interrupts { "MSI-X completions" } else { "polled completions" },
        device::cspace_census()
    );
    let client = start::wait_client(&dev)?;
    dprintln!("nvmedrv: {name}: client attached");
    Driver { c, end, client }.serve().map_err(at("serving"))
}

struct Driver {
    c: Ctrl,
    end: DriverEnd,
    client: Notification,
}

impl Driver {
    fn serve(mut self) -> Result<(), Errno> {
        loop {
            let mut progress = false;
            while let Some((id, op)) = self.end.next_request()? {
                progress = true;
                let status = match op.and_then(|op| self.exec(op)) {
                    Ok(()) => 0,
                    Err(e) => e.0 as u32,
                };
                self.end.complete(id, status)?;
                // Hand the request slot back and the completion over at
                // once: the client may be waiting for either to queue more.
                let released = self.end.release();
                if self.end.publish() || released {
                    self.client.signal();
                }
            }
            if self.end.publish() {
                self.client.signal();
            }
            if self.end.release() {
                self.client.signal();
            }
            if !progress && self.end.should_sleep()? {
                device::events().wait();
            }
        }
    }

    /// Runs one checked request to completion, split into commands of at
    /// most the controller's transfer size.
    ///
    /// # Errors
    /// `EINVAL` (a range not aligned to the namespace's logical blocks or
    /// past its end), `EIO` (the device failed).
    fn exec(&mut self, op: Op) -> Result<(), Errno> {
        let (opcode, sector, count, offset) = match op {
            Op::Read { sector, count, offset } => (nvm::READ, sector, count, offset),
            Op::Write { sector, count, offset } => (nvm::WRITE, sector, count, offset),
            Op::Flush => return self.c.io(nvm::FLUSH, 0, 0, 0),
        };
        let (mut lba, mut blocks) = self.c.ns.blocks_of(sector, count).ok_or(Errno::EINVAL)?;
        let shift = self.c.ns.lba_shift;
        let len = u64::from(count) * SECTOR;
        let Some(mut phys) = hal::dma_phys(self.end.data(offset) as u64, len) else {
            rampart_rt::pr_warn!("nvmedrv: data area at {offset:#x} is not DMA memory");
            return Err(Errno::EIO);
        };
        let per_cmd = ((self.c.max_transfer() >> shift) as u32).clamp(1, 1 << 16);
        while blocks > 0 {
            let n = blocks.min(per_cmd);
            self.c.io(opcode, lba, n, phys)?;
            lba += u64::from(n);
            phys += u64::from(n) << shift;
            blocks -= n;
        }
        Ok(())
    }
}
