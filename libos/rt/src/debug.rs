//! Formatted output over the kernel debug channel.

use core::fmt;

/// A `fmt::Write` sink that sends text to the kernel console in 32-byte
/// system calls.
pub struct DebugOut;

impl fmt::Write for DebugOut {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for chunk in s.as_bytes().chunks(32) {
            crate::syscall::debug_write_chunk(chunk);
        }
        Ok(())
    }
}

/// Prints to the debug console.
#[macro_export]
macro_rules! dprint {
    ($($arg:tt)*) => {{
        let _ = core::fmt::Write::write_fmt(&mut $crate::debug::DebugOut, format_args!($($arg)*));
    }};
}

/// Prints a line to the debug console.
#[macro_export]
macro_rules! dprintln {
    () => { $crate::dprint!("\n") };
    ($($arg:tt)*) => {{
        $crate::dprint!($($arg)*);
        $crate::dprint!("\n");
    }};
}
