//! The 16550 UART on COM1 (I/O port 0x3f8), polled, for kernel messages.
//!
//! Register layout per the PC16550D datasheet: THR/RBR at +0, IER at +1,
//! FCR at +2, LCR at +3, MCR at +4, LSR at +5. The kernel only transmits; a
//! user-level UART driver takes the device over once it exists (it receives
//! the COM1 I/O port capability).

use super::cpu::{inb, outb};

const COM1: u16 = 0x3f8;
const LSR_THR_EMPTY: u8 = 0x20;

/// Programs COM1 for 115200 baud, 8 data bits, no parity, 1 stop bit,
/// FIFOs on, interrupts off.
pub fn init() {
    outb(COM1 + 1, 0x00); // no interrupts
    outb(COM1 + 3, 0x80); // DLAB on
    outb(COM1, 0x01); // divisor 1 = 115200 baud
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); // 8N1, DLAB off
    outb(COM1 + 2, 0xC7); // FIFO on, clear, 14-byte threshold
    outb(COM1 + 4, 0x03); // DTR | RTS
}

/// Writes one byte, waiting (bounded) for the transmitter to be ready.
pub fn write_byte(b: u8) {
    // Bounded wait: a missing UART must not hang the kernel.
    for _ in 0..100_000 {
        if inb(COM1 + 5) & LSR_THR_EMPTY != 0 {
            break;
        }
    }
    outb(COM1, b);
}
