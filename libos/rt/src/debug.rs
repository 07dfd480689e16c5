//! Log lines for system components, written to the kernel log
//! (`rampart_abi::log`) through a capability the component was given: the
//! root task's is in its boot slot `LOG`; rm gives a task one (badged with
//! its pid, in startup slot `LOG`, listed as the named capability `log`)
//! only where the policy grants the task's domain `system syslog_write`.
//! Programs without one print nothing with these macros: they use their
//! standard output.
//!
//! A line is formatted into a fixed buffer and written as one record (a
//! longer line as several), so lines from different components never mix.

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::Label;
use rampart_abi::log::{LOG_RECORD_BYTES, log_write_words};

/// Capability pointer of this task's log capability (0: none).
static LOG: AtomicU64 = AtomicU64::new(0);

/// Uses the log capability at `cptr` from now on (0: none). The runtime
/// calls this at start; the thread must have an IPC buffer (records longer
/// than 24 bytes are written through it).
pub fn set_log(cptr: u64) {
    LOG.store(cptr, Relaxed);
}

/// True if this task can write log lines.
pub fn has_log() -> bool {
    LOG.load(Relaxed) != 0
}

/// Writes `text` as one record (at most [`LOG_RECORD_BYTES`]; the rest is
/// cut). Errors are ignored: logging never fails the caller.
pub fn write_record(text: &[u8]) {
    let cap = LOG.load(Relaxed);
    if cap == 0 || text.is_empty() {
        return;
    }
    let n = text.len().min(LOG_RECORD_BYTES);
    let mut words = [0u64; 1 + LOG_RECORD_BYTES / 8];
    words[0] = n as u64;
    for (i, chunk) in text[..n].chunks(8).enumerate() {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        words[1 + i] = u64::from_le_bytes(b);
    }
    let _ = crate::invoke::call_raw(cap, Label::LogWrite as u64, &words[..log_write_words(n)], &[]);
}

/// A `fmt::Write` sink that collects a line and writes it to the kernel
/// log at [`LineWriter::flush`] (or whenever the buffer fills).
pub struct LineWriter {
    buf: [u8; LOG_RECORD_BYTES],
    len: usize,
}

impl Default for LineWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl LineWriter {
    /// An empty line.
    pub const fn new() -> Self {
        LineWriter { buf: [0; LOG_RECORD_BYTES], len: 0 }
    }

    /// Writes what was collected as one record.
    pub fn flush(&mut self) {
        write_record(&self.buf[..self.len]);
        self.len = 0;
    }
}

impl fmt::Write for LineWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if !has_log() {
            return Ok(());
        }
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

/// Writes formatted text to the kernel log as one record.
#[macro_export]
macro_rules! dprint {
    ($($arg:tt)*) => {{
        let mut w = $crate::debug::LineWriter::new();
        let _ = core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
        w.flush();
    }};
}

/// Writes a formatted line to the kernel log as one record.
#[macro_export]
macro_rules! dprintln {
    () => { $crate::dprint!("\n") };
    ($($arg:tt)*) => {{
        let mut w = $crate::debug::LineWriter::new();
        let _ = core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
        let _ = core::fmt::Write::write_str(&mut w, "\n");
        w.flush();
    }};
}
