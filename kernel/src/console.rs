//! Kernel console: formatted output to the serial port.
//!
//! Every kernel prints its boot lines (before any user code runs) and fatal
//! errors here. Nothing a user thread does reaches it in the release
//! kernel: messages after boot go to the kernel log (`rampart_kcore::log`),
//! which only test kernels echo here (docs/kernel.md, "Kernel flavours").
//! The kernel is single-core and runs with interrupts disabled, so output
//! needs no lock.

use core::fmt;

/// A `fmt::Write` sink over the serial port that turns `\n` into `\r\n`.
pub struct Console;

impl fmt::Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Writes raw bytes to the console (`\n` becomes `\r\n`).
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            crate::arch::serial::write_byte(b'\r');
        }
        crate::arch::serial::write_byte(b);
    }
}

/// Prints to the kernel console (boot and fatal errors only).
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::console::Console, format_args!($($arg)*));
    }};
}

/// Prints a line to the kernel console (boot and fatal errors only).
#[macro_export]
macro_rules! kprintln {
    () => { $crate::kprint!("\n") };
    ($($arg:tt)*) => {{
        $crate::kprint!($($arg)*);
        $crate::kprint!("\n");
    }};
}
