//! serialdrv, the 16550 UART driver (`serial_t`, docs/devices.md §6).
//!
//! devmgr gives it exactly COM1's ports 0x3F8-0x3FF and the IOAPIC input
//! of ISA IRQ 4 (edge triggered, active high). It programs the UART for
//! 115200 8N1 with FIFOs and the receive-data interrupt (PC16550D
//! datasheet: IER bit 0, FCR 0xC7, MCR OUT2 gates the IRQ line), shares one
//! page of byte rings through devmgr and serves the console: every
//! received byte goes into the receive ring, every byte of the transmit
//! ring goes out once the transmitter holding register is empty (LSR bit
//! 5). While the receive ring is full the driver stops reading the UART
//! until the console frees space (it signals when its read empties a full
//! ring): the bytes wait in the UART's FIFO, and behind it in the
//! terminal's own buffer (QEMU's character device holds what the guest
//! has not read), instead of being dropped — a 30 KB script typed at once
//! arrives whole. On hardware without flow control a FIFO that overflows
//! meanwhile loses bytes in the UART (LSR bit 1, overrun).
#![no_std]
#![no_main]
// `unsafe` allowed: a driver: the byte rings shared with the console are set up over a raw
// region (the block has a `// SAFETY:` comment).
#![allow(unsafe_code)]

extern crate alloc;

use rampart_devmgr_api::Shared;
use rampart_drvkit::device::{self, EVENT_CLIENT};
use rampart_drvkit::start::{self, Failure};
use rampart_rt::cap::{IoPort, Notification};
use rampart_rt::dprintln;
use rampart_serialdrv_api::REGION_BYTES;
use rampart_uabi::Errno;

rampart_rt::program!(main);

const DATA: u16 = 0;
const IER: u16 = 1;
const FCR: u16 = 2;
const LCR: u16 = 3;
const MCR: u16 = 4;
const LSR: u16 = 5;

struct Uart {
    port: IoPort,
    base: u16,
}

impl Uart {
    fn out(&self, reg: u16, v: u8) {
        let _ = self.port.out8(self.base + reg, v);
    }

    fn inp(&self, reg: u16) -> u8 {
        self.port.in8(self.base + reg).unwrap_or(0)
    }

    /// 115200 8N1 (divisor 1), FIFOs on with a 14-byte trigger, DTR/RTS
    /// and OUT2 (the PC's IRQ gate), receive-data interrupt on.
    fn init(&self) {
        self.out(IER, 0);
        self.out(LCR, 0x80);
        self.out(DATA, 1);
        self.out(IER, 0);
        self.out(LCR, 0x03);
        self.out(FCR, 0xc7);
        self.out(MCR, 0x0b);
        self.out(IER, 0x01);
    }

    fn receive(&self) -> Option<u8> {
        (self.inp(LSR) & 1 != 0).then(|| self.inp(DATA))
    }

    /// Sends `b` once the holding register is empty (bounded wait: a UART
    /// that never drains loses the byte rather than hanging the driver).
    fn send(&self, b: u8) {
        let mut spins = 0;
        while self.inp(LSR) & 0x20 == 0 && spins < 100_000 {
            spins += 1;
        }
        self.out(DATA, b);
    }
}

fn main() -> i32 {
    start::main("serialdrv", run)
}

fn run(name: &str) -> Result<(), Failure> {
    let dev = device::claim().map_err(|e| ("collecting the grants", e))?;
    let &(port, first, last) = dev.ports.first().ok_or(("no I/O ports", Errno::ENODEV))?;
    if last < first + 7 {
        return Err(("port range", Errno::ENODEV));
    }
    let uart = Uart { port, base: first };
    uart.init();
    let irq = dev.route_irq().map_err(|e| ("interrupt", e))?;
    let region = rampart_rt::rm::region_alloc(REGION_BYTES as u64).map_err(|e| ("shared page", e))?;
    // SAFETY: the page is fresh from rm, mapped read-write for the driver's
    // life, not yet shared.
    let mut ends = unsafe { rampart_serialdrv_api::driver(region.vaddr as *mut u8, region.bytes as usize) }
        .map_err(|_| ("rings", Errno::EINVAL))?;
    let token = device::slot().map_err(|e| ("slots", e))?;
    rampart_rt::rm::region_share(region.id, true, token).map_err(|e| ("sharing", e))?;
    dev.devmgr.publish(Shared::Region, token).map_err(|e| ("publishing the page", e))?;
    let ntfn = device::event_cap(EVENT_CLIENT).map_err(|e| ("notification", e))?;
    dev.devmgr.publish(Shared::Notify, ntfn.0).map_err(|e| ("publishing the notification", e))?;
    device::drop_cap(token);
    device::drop_cap(ntfn.0);
    let domain = rampart_rt::startup::body().map_or("?", |b| b.security_context.as_str());
    dprintln!("serialdrv: {name}: domain {domain}");
    dprintln!("serialdrv: {name}: ports {first:#x}-{last:#x}, irq routed; cspace:{}", device::cspace_census());
    let s = device::slot().map_err(|e| ("slots", e))?;
    let client = loop {
        match dev.devmgr.take_client(s) {
            Ok(()) => break Notification(s),
            Err(Errno::EAGAIN) => {
                device::events().wait();
            }
            Err(e) => return Err(("client", e)),
        }
    };
    let mut out = [0u8; 64];
    loop {
        // Receive: drain the FIFO into the ring while it has room.
        let mut got = false;
        while ends.output.free().map_err(|_| ("receive ring corrupt", Errno::EIO))? > 0 {
            let Some(b) = uart.receive() else { break };
            got = true;
            // Room was checked above: the byte is queued.
            ends.output.push(b).map_err(|_| ("receive ring corrupt", Errno::EIO))?;
        }
        if got && ends.output.publish() {
            client.signal();
        }
        // Transmit what the client queued.
        let (n, signal) = ends.read(&mut out).map_err(|_| ("transmit ring corrupt", Errno::EIO))?;
        for &b in &out[..n] {
            uart.send(b);
        }
        if signal {
            client.signal();
        }
        if n > 0 || got {
            continue;
        }
        if ends.input.should_sleep().map_err(|_| ("transmit ring corrupt", Errno::EIO))? {
            let _ = irq.ack();
            let _ = device::events().wait();
        }
    }
}
