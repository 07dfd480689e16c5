//! A 16550 UART through an I/O port capability (COM1 at 0x3f8).

use rampart_rt::cap::IoPort;

const DATA: u16 = 0;
const IER: u16 = 1;
const FCR: u16 = 2;
const LCR: u16 = 3;
const MCR: u16 = 4;
const LSR: u16 = 5;

/// The UART.
pub struct Uart {
    port: IoPort,
    base: u16,
}

impl Uart {
    /// The UART at COM1 through capability `cap`.
    pub fn new(cap: u64) -> Uart {
        Uart { port: IoPort(cap), base: 0x3f8 }
    }

    fn out(&self, reg: u16, v: u8) {
        let _ = self.port.out8(self.base + reg, v);
    }

    fn inp(&self, reg: u16) -> u8 {
        self.port.in8(self.base + reg).unwrap_or(0)
    }

    /// 115200 8N1, FIFOs on, receive interrupts on (OUT2 routes the IRQ).
    pub fn init(&self) {
        self.out(IER, 0);
        self.out(LCR, 0x80);
        self.out(DATA, 1);
        self.out(IER, 0);
        self.out(LCR, 0x03);
        self.out(FCR, 0xc7);
        self.out(MCR, 0x0b);
        self.out(IER, 0x01);
    }

    /// A received byte, if any.
    pub fn read(&self) -> Option<u8> {
        (self.inp(LSR) & 1 != 0).then(|| self.inp(DATA))
    }

    /// Sends bytes (waits for the transmitter).
    pub fn write(&self, bytes: &[u8]) {
        for &b in bytes {
            let mut spins = 0;
            while self.inp(LSR) & 0x20 == 0 && spins < 100_000 {
                spins += 1;
            }
            self.out(DATA, b);
        }
    }
}
