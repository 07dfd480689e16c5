//! Kernel console: formatted output to the serial port.
//!
//! The kernel prints only with the `debug-console` feature (on in debug and
//! test images); without it `kprintln!` compiles to nothing and the kernel
//! is silent, as DESIGN.md §3 requires. The kernel is single-core and runs
//! with interrupts disabled, so output needs no lock.

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
    if cfg!(feature = "debug-console") {
        for &b in bytes {
            if b == b'\n' {
                crate::arch::serial::write_byte(b'\r');
            }
            crate::arch::serial::write_byte(b);
        }
    }
}

/// Prints to the kernel console (debug builds only).
#[macro_export]
macro_rules! kprint {
    ($($arg:tt)*) => {{
        if cfg!(feature = "debug-console") {
            let _ = core::fmt::Write::write_fmt(&mut $crate::console::Console, format_args!($($arg)*));
        }
    }};
}

/// Prints a line to the kernel console (debug builds only).
#[macro_export]
macro_rules! kprintln {
    () => { $crate::kprint!("\n") };
    ($($arg:tt)*) => {{
        $crate::kprint!($($arg)*);
        $crate::kprint!("\n");
    }};
}
