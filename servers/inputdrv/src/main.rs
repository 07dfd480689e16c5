//! inputdrv, the virtio-input driver (`inputdrv_t`, docs/gui.md §2).
//!
//! Started by devmgr for one virtio-input function (a keyboard or a
//! tablet; `device claim` on `input_device_t`), it holds that function's
//! BAR pages, its MSI-X vector and its channel to devmgr. With
//! `virtio-drivers`' `VirtIOInput` (virtio 1.2 §5.8: eventq 0, statusq 1)
//! it moves every evdev event the device reports into the event ring of a
//! region it shares with its one client, the GUI server
//! (`rampart-inputdrv-api`), and signals the client when the ring goes
//! from empty to non-empty. It interprets nothing: focus, the secure
//! attention key and routing are the GUI server's.
#![no_std]
#![no_main]
// `unsafe` allowed: a driver: the event ring lives in a region shared with
// the GUI server (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]

extern crate alloc;

use rampart_drvkit::device;
use rampart_drvkit::hal::RampartHal;
use rampart_drvkit::start::{self, Failure, at};
use rampart_inputdrv_api::{DriverEnd, Event, REGION_BYTES};
use rampart_rt::dprintln;
use rampart_uabi::Errno;
use virtio_drivers::device::input::VirtIOInput;
use virtio_drivers::transport::pci::PciTransport;

rampart_rt::program!(main);

type Input = VirtIOInput<RampartHal, PciTransport>;

fn main() -> i32 {
    start::main("inputdrv", run)
}

fn run(name: &str) -> Result<(), Failure> {
    let (dev, transport) = start::virtio_pci()?;
    let mut input = Input::new(transport).map_err(at("virtio-input init"))?;
    dev.route_virtio_vectors(2).map_err(at("MSI-X vectors"))?;
    let irq = dev.route_irq().map_err(at("interrupt"))?;
    let kind = input.name().unwrap_or_default();
    let region = rampart_rt::rm::region_alloc(REGION_BYTES as u64).map_err(at("shared region"))?;
    // SAFETY: the region is fresh from rm, page-aligned, mapped read-write
    // in this task for its whole life and not yet shared.
    let mut end = unsafe { DriverEnd::create(region.vaddr as *mut u8, region.bytes as usize) }
        .map_err(|_| ("ring layout", Errno::EINVAL))?;
    start::publish(&dev, &region)?;
    dprintln!("inputdrv: {name}: {kind:?}; cspace:{}", device::cspace_census());
    let client = start::wait_client(&dev)?;
    dprintln!("inputdrv: {name}: client attached");
    let mut seen = 0u64;
    loop {
        let _ = input.ack_interrupt();
        let mut any = false;
        while let Some(e) = input.pop_pending_event() {
            any = true;
            if seen == 0 {
                dprintln!("inputdrv: {name}: first event: type {} code {} value {}", e.event_type, e.code, e.value);
            }
            seen += 1;
            end.push(Event { kind: e.event_type, code: e.code, value: e.value })
                .map_err(|_| ("event ring", Errno::EIO))?;
        }
        if end.publish() {
            client.signal();
        }
        if !any {
            let _ = irq.ack();
            device::events().wait();
        }
    }
}
