//! Log lines for system components, written to the kernel log
//! (`rampart_abi::log`) through a capability the component was given: the
//! root task's is in its boot slot `LOG`; rm gives a task one (badged with
//! its pid, in startup slot `LOG`, listed as the named capability `log`)
//! only where the policy grants the task's domain `system syslog_write`.
//! Programs without one print nothing with these macros: they use their
//! standard output.
//!
//! A line is formatted into a fixed buffer and written as one record (a
//! longer line as several, each with the level), so lines from different
//! components never mix.
//!
//! Levels are Linux's printk levels (`rampart_abi::log`): [`dprintln!`]
//! and [`pr_info!`] write info (6, servers' status lines), [`pr_err!`]
//! errors (3, shown on a quiet console), [`pr_warn!`], [`pr_notice!`],
//! [`pr_debug!`] (7: AVC denials, which go to the audit trail) and
//! [`pr_emerg!`] the others. The record starts with `<N>`; readers strip
//! it (`rampart_abi::log::split_level`).

use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::Label;
use rampart_abi::log::{LOG_RECORD_BYTES, LOGLEVEL_DEBUG, LOGLEVEL_INFO, log_write_words};

/// Bytes of the level prefix `<N>`.
const PREFIX: usize = 3;

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
/// log at [`LineWriter::flush`] (or whenever the buffer fills), each
/// record prefixed with the line's level (`<N>`).
pub struct LineWriter {
    buf: [u8; LOG_RECORD_BYTES],
    len: usize,
    level: u8,
}

impl Default for LineWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl LineWriter {
    /// An empty line at info level.
    pub const fn new() -> Self {
        Self::with_level(LOGLEVEL_INFO)
    }

    /// An empty line at `level` (`0..=7`; larger values mean debug).
    pub const fn with_level(level: u8) -> Self {
        let level = if level > LOGLEVEL_DEBUG { LOGLEVEL_DEBUG } else { level };
        let mut buf = [0; LOG_RECORD_BYTES];
        buf[0] = b'<';
        buf[1] = b'0' + level;
        buf[2] = b'>';
        LineWriter { buf, len: PREFIX, level }
    }

    /// Writes what was collected as one record (nothing if the line is
    /// empty).
    pub fn flush(&mut self) {
        if self.len > PREFIX {
            write_record(&self.buf[..self.len]);
        }
        self.len = PREFIX;
    }

    /// The line's level.
    pub fn level(&self) -> u8 {
        self.level
    }
}

impl fmt::Write for LineWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if !has_log() {
            return Ok(());
        }
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                // The continuation keeps the level (`flush` leaves the
                // prefix in place).
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

/// Writes a formatted line to the kernel log as one record at info level.
#[macro_export]
macro_rules! dprintln {
    () => { $crate::dprint!("\n") };
    ($($arg:tt)*) => { $crate::printk!($crate::debug::INFO, $($arg)*) };
}

/// Writes a formatted line to the kernel log at `level` (Linux's
/// `printk(KERN_...)`; the `pr_*` macros name the levels).
#[macro_export]
macro_rules! printk {
    ($level:expr, $($arg:tt)*) => {{
        let mut w = $crate::debug::LineWriter::with_level($level);
        let _ = core::fmt::Write::write_fmt(&mut w, format_args!($($arg)*));
        let _ = core::fmt::Write::write_str(&mut w, "\n");
        w.flush();
    }};
}

/// A line at emergency level (0): the component cannot go on.
#[macro_export]
macro_rules! pr_emerg { ($($arg:tt)*) => { $crate::printk!($crate::debug::EMERG, $($arg)*) }; }
/// A line at error level (3): shown even on a quiet console.
#[macro_export]
macro_rules! pr_err { ($($arg:tt)*) => { $crate::printk!($crate::debug::ERR, $($arg)*) }; }
/// A line at warning level (4).
#[macro_export]
macro_rules! pr_warn { ($($arg:tt)*) => { $crate::printk!($crate::debug::WARNING, $($arg)*) }; }
/// A line at notice level (5).
#[macro_export]
macro_rules! pr_notice { ($($arg:tt)*) => { $crate::printk!($crate::debug::NOTICE, $($arg)*) }; }
/// A line at info level (6), as [`dprintln!`].
#[macro_export]
macro_rules! pr_info { ($($arg:tt)*) => { $crate::printk!($crate::debug::INFO, $($arg)*) }; }
/// A line at debug level (7): in `dmesg`, on the console only with
/// `loglevel=8`.
#[macro_export]
macro_rules! pr_debug { ($($arg:tt)*) => { $crate::printk!($crate::debug::DEBUG, $($arg)*) }; }

pub use rampart_abi::log::{
    LOGLEVEL_DEBUG as DEBUG, LOGLEVEL_EMERG as EMERG, LOGLEVEL_ERR as ERR, LOGLEVEL_INFO as INFO,
    LOGLEVEL_NOTICE as NOTICE, LOGLEVEL_WARNING as WARNING,
};
