//! netdrv, the virtio-net driver (`netdrv_t`, docs/devices.md §7,
//! docs/network.md §2).
//!
//! Started by devmgr for one virtio-net function, it holds exactly that
//! function's BAR pages (mapped uncached through rm), its MSI-X vector and
//! its channel to devmgr. It drives the device with `virtio-drivers`'
//! `VirtIONetRaw` (virtio 1.2 §4.1 PCI transport, §5.1 network device:
//! receiveq 0, transmitq 1) over `rampart_drvkit`'s HAL, lays the frame
//! queues out in a region of its DMA memory (`rampart-netdrv-api`),
//! publishes that region and its notification through devmgr and then
//! serves the one client devmgr binds. The device reads and writes the
//! shared frame buffers directly: no copy in the driver. Every descriptor
//! the client hands over is checked (`DriverEnd`); a refused one is
//! dropped and counted.
#![no_std]
#![no_main]
// `unsafe` allowed: a driver: `virtio-drivers`' DMA calls and the packet queue region shared
// with the network server are `unsafe` (each block has a `// SAFETY:` comment).
#![allow(unsafe_code)]

extern crate alloc;

use rampart_drvkit::device;
use rampart_drvkit::hal::{self, RampartHal};
use rampart_drvkit::start::{self, Failure, at};
use rampart_netdrv_api::{BUF_BYTES, DriverEnd, Layout};
use rampart_rt::cap::{IrqHandler, Notification};
use rampart_rt::dprintln;
use rampart_uabi::Errno;
use virtio_drivers::device::net::VirtIONetRaw;
use virtio_drivers::transport::pci::PciTransport;

rampart_rt::program!(main);

/// Descriptors per virtqueue (QEMU offers 256).
const QUEUE: usize = 128;
/// Ring depth and buffers per direction.
const BUFS: u32 = 128;
/// Bytes of the shared region (a power of two: physically contiguous):
/// 32 KiB of header and rings + 256 buffers of 2 KiB.
const REGION_BYTES: u64 = 1 << 20;

type Net = VirtIONetRaw<RampartHal, PciTransport, QUEUE>;

fn main() -> i32 {
    start::main("netdrv", run)
}

fn run(name: &str) -> Result<(), Failure> {
    let (dev, transport) = start::virtio_pci()?;
    let net = Net::new(transport).map_err(at("virtio-net init"))?;
    dev.route_virtio_vectors(2).map_err(at("MSI-X vectors"))?;
    let irq = dev.route_irq().map_err(at("interrupt"))?;
    let mut scratch = [0u8; 64];
    let headroom = net.fill_buffer_header(&mut scratch).map_err(at("virtio-net header"))? as u32;
    let (region, _) = hal::dma_region(REGION_BYTES).map_err(at("shared region"))?;
    let layout = Layout {
        mac: net.mac_address(),
        depth: BUFS,
        headroom,
        rx_bufs: BUFS,
        tx_bufs: BUFS,
        region_len: region.bytes,
    };
    // SAFETY: the region is fresh from rm, mapped read-write in this task
    // for its whole life and not yet shared.
    let end = unsafe { DriverEnd::create(region.vaddr as *mut u8, layout) }.map_err(|_| ("layout", Errno::EINVAL))?;
    start::publish(&dev, &region)?;
    let m = layout.mac;
    dprintln!(
        "netdrv: {name}: mac {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, {BUFS}+{BUFS} buffers, region {} KiB; cspace:{}",
        m[0],
        m[1],
        m[2],
        m[3],
        m[4],
        m[5],
        region.bytes >> 10,
        device::cspace_census()
    );
    let client = start::wait_client(&dev)?;
    dprintln!("netdrv: {name}: client attached");
    let mut d = Driver { net, end, client, irq, rx_tok: [None; QUEUE], tx_tok: [None; QUEUE], dropped: 0 };
    for b in d.end.initial_rx() {
        d.post_rx(b)?;
    }
    d.serve().map_err(at("serving"))
}

struct Driver {
    net: Net,
    end: DriverEnd,
    client: Notification,
    irq: IrqHandler,
    /// rx buffer on the device under each virtqueue token.
    rx_tok: [Option<u32>; QUEUE],
    /// (tx buffer, bytes handed to the device) under each token.
    tx_tok: [Option<(u32, usize)>; QUEUE],
    /// Received frames dropped (bad header length, too long).
    dropped: u64,
}

impl Driver {
    /// `len` bytes of buffer `b` (which the driver holds).
    fn buf(&self, b: u32, len: usize) -> &'static mut [u8] {
        // SAFETY: `DriverEnd` hands out only indices of buffers inside the
        // region (mapped for the driver's whole life) that it holds;
        // `len` ≤ `BUF_BYTES`. The client may write these bytes
        // concurrently (a hostile client); that only changes its own
        // frame, which the driver never interprets.
        unsafe { core::slice::from_raw_parts_mut(self.end.buffer(b), len.min(BUF_BYTES as usize)) }
    }

    /// Puts rx buffer `b` on the device.
    fn post_rx(&mut self, b: u32) -> Result<(), Failure> {
        let buf = self.buf(b, BUF_BYTES as usize);
        // SAFETY: the buffer stays untouched by the driver until its token
        // completes (`rx_tok` holds it).
        let tok = unsafe { self.net.receive_begin(buf) }.map_err(at("receive queue"))?;
        let slot = self.rx_tok.get_mut(usize::from(tok)).ok_or(("receive token", Errno::EIO))?;
        *slot = Some(b);
        Ok(())
    }

    fn serve(mut self) -> Result<(), Errno> {
        let headroom = self.end.layout().headroom as usize;
        let room = self.end.layout().frame_room() as usize;
        loop {
            let mut progress = false;
            // Frames the device received.
            while let Some(tok) = self.net.poll_receive() {
                let b = self.rx_tok.get_mut(usize::from(tok)).and_then(Option::take).ok_or(Errno::EIO)?;
                let buf = self.buf(b, BUF_BYTES as usize);
                // SAFETY: the same buffer `post_rx` gave for this token.
                let r = unsafe { self.net.receive_complete(tok, buf) };
                match r {
                    Ok((h, n)) if h == headroom && n > 0 && n <= room => {
                        if !self.end.rx_done(b, n as u32)? {
                            self.post_rx(b).map_err(|f| f.1)?;
                        }
                    }
                    _ => {
                        self.dropped += 1;
                        self.post_rx(b).map_err(|f| f.1)?;
                    }
                }
                progress = true;
            }
            // Frames the device sent.
            while let Some(tok) = self.net.poll_transmit() {
                let (b, len) = self.tx_tok.get_mut(usize::from(tok)).and_then(Option::take).ok_or(Errno::EIO)?;
                let buf = self.buf(b, len);
                // SAFETY: the same buffer and length `transmit_begin` got.
                let _ = unsafe { self.net.transmit_complete(tok, buf) };
                self.end.tx_done(b)?;
                progress = true;
            }
            // Empty rx buffers back from the client.
            while let Some(r) = self.end.next_rx_free()? {
                if let Ok(b) = r {
                    self.post_rx(b).map_err(|f| f.1)?;
                }
                progress = true;
            }
            // Frames to send, while the device has room.
            while self.net.can_send() {
                let Some(r) = self.end.next_tx()? else { break };
                progress = true;
                let Ok((b, len)) = r else { continue };
                let total = headroom + len as usize;
                let buf = self.buf(b, total);
                if self.net.fill_buffer_header(&mut buf[..headroom]).is_err() {
                    self.end.tx_done(b)?;
                    continue;
                }
                // SAFETY: the buffer stays untouched by the driver until its
                // token completes (`tx_tok` holds it).
                match unsafe { self.net.transmit_begin(buf) } {
                    Ok(tok) => {
                        let slot = self.tx_tok.get_mut(usize::from(tok)).ok_or(Errno::EIO)?;
                        *slot = Some((b, total));
                    }
                    Err(_) => {
                        self.end.tx_done(b)?;
                    }
                }
            }
            if self.end.publish() {
                self.client.signal();
            }
            if progress {
                continue;
            }
            let tx = self.net.can_send();
            if self.end.should_sleep(tx)? && self.net.poll_receive().is_none() {
                let _ = self.irq.ack();
                device::events().wait();
            }
        }
    }
}
