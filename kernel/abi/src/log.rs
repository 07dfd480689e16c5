//! The kernel log (`CapType::Log`): a bounded ring of records that system
//! components append to and a reader drains (Linux's printk buffer and
//! `dmesg`, held by capability).
//!
//! Why it is in the kernel: release kernels have no debug system calls
//! (nothing a thread can do reaches the console), yet the kernel's own
//! messages after boot and the servers' messages from before any server is
//! running need a sink that cannot block, deadlock or lose the source of a
//! line. Appending is a copy into a static ring; nothing is printed by the
//! kernel except in test kernels (which echo each record to the serial
//! console as it arrives).
//!
//! Records: [`LOG_SLOTS`] fixed slots of at most [`LOG_RECORD_BYTES`] bytes,
//! each stamped with a sequence number (0, 1, 2, ... since boot) and the
//! badge of the capability that wrote it, which its holder cannot choose:
//! the root task mints one badge per component. When the ring is full the
//! oldest record is overwritten; a reader sees the loss as a gap in the
//! sequence numbers.
//!
//! Invocations (labels in [`crate::Label`]):
//! - `LogWrite` (Write right): MR0 = byte count `n` (at most
//!   [`LOG_RECORD_BYTES`]), MR1.. = the bytes, little-endian, 8 per word
//!   (so the message has `1 + ceil(n / 8)` words). `RangeError` if `n` is
//!   too large or the message shorter than that.
//! - `LogRead` (Read right): MR0 = the first sequence number wanted. Reply:
//!   MR0 = sequence number of the record returned (greater than asked if
//!   older records were overwritten; the next number to be written if there
//!   is none, with length 0), MR1 = its badge, MR2 = its length in bytes,
//!   MR3.. = the bytes as in `LogWrite`.
//! - `LogSetNotification` (Read right): cap0 = a notification with the
//!   Write right (or none, to stop): it is signalled, with its capability's
//!   badge, whenever a record is appended. Each reader (the badge of the
//!   Log capability invoked) has one registration, replacing its previous
//!   one; at most [`LOG_READERS`] readers (`NotEnoughMemory` beyond). Reply: MR0 = [`LOG_FLAG_ECHO`]
//!   if the kernel prints every record itself (test kernels), so a reader
//!   that shows records on the same console would print them twice; MR1 =
//!   the console log level (`loglevel=N` on the kernel command line,
//!   [`CONSOLE_LOGLEVEL_QUIET`] without it).
//!
//! Levels (Linux's printk levels): a record may start with `<N>`, `N` in
//! `0..=7` ([`LOGLEVEL_EMERG`] .. [`LOGLEVEL_DEBUG`]); a record without one
//! has [`MESSAGE_LOGLEVEL_DEFAULT`]. A record goes to the console only if
//! its level is below the console log level, as on Linux; every record
//! stays in the ring for `dmesg`. [`split_level`] parses the prefix.

/// Bytes of text in one record.
pub const LOG_RECORD_BYTES: usize = 224;
/// Records the ring holds.
pub const LOG_SLOTS: usize = 512;
/// Readers that may register a notification at once (the console and
/// `syslogd`, with room to spare).
pub const LOG_READERS: usize = 4;
/// Badge of the kernel's own records.
pub const LOG_BADGE_KERNEL: u64 = u64::MAX;
/// `LogSetNotification` result: the kernel echoes records to its console.
pub const LOG_FLAG_ECHO: u64 = 1;

/// Message words `LogWrite` needs for `n` bytes (MR0 plus the text).
pub const fn log_write_words(n: usize) -> usize {
    1 + n.div_ceil(8)
}

/// System is unusable.
pub const LOGLEVEL_EMERG: u8 = 0;
/// Action must be taken immediately.
pub const LOGLEVEL_ALERT: u8 = 1;
/// Critical conditions.
pub const LOGLEVEL_CRIT: u8 = 2;
/// Error conditions.
pub const LOGLEVEL_ERR: u8 = 3;
/// Warning conditions.
pub const LOGLEVEL_WARNING: u8 = 4;
/// Normal but significant condition.
pub const LOGLEVEL_NOTICE: u8 = 5;
/// Informational (servers' status lines).
pub const LOGLEVEL_INFO: u8 = 6;
/// Debug-level messages (AVC denials, also in the audit trail).
pub const LOGLEVEL_DEBUG: u8 = 7;
/// Level of a record without a `<N>` prefix (Linux's
/// `MESSAGE_LOGLEVEL_DEFAULT`).
pub const MESSAGE_LOGLEVEL_DEFAULT: u8 = LOGLEVEL_WARNING;
/// Console log level without `loglevel=` (Linux's `quiet`): only records
/// below warning (errors and worse) reach the console.
pub const CONSOLE_LOGLEVEL_QUIET: u8 = 4;
/// Console log level that shows every record, debug included
/// (`loglevel=8`; the test harness boots with it).
pub const CONSOLE_LOGLEVEL_ALL: u8 = 8;

/// Names of the levels, as `dmesg` prints them (`err`, `info`, ...).
pub const LEVEL_NAMES: [&str; 8] = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"];

/// Splits a record into its level and text: a leading `<N>` (`N` one digit
/// `0..=7`) is the level, otherwise the level is
/// [`MESSAGE_LOGLEVEL_DEFAULT`] and the text is the whole record.
pub fn split_level(record: &[u8]) -> (u8, &[u8]) {
    match record {
        [b'<', d @ b'0'..=b'7', b'>', rest @ ..] => (d - b'0', rest),
        _ => (MESSAGE_LOGLEVEL_DEFAULT, record),
    }
}

/// The console log level a kernel command line asks for: the last
/// `loglevel=N` (`N` in `0..=8`; larger values mean 8), else
/// [`CONSOLE_LOGLEVEL_QUIET`]. Malformed values are ignored, as Linux does.
pub fn console_loglevel(cmdline: &str) -> u8 {
    cmdline
        .split_ascii_whitespace()
        .rev()
        .filter_map(|w| w.strip_prefix("loglevel="))
        .find_map(|v| v.parse::<u32>().ok())
        .map_or(CONSOLE_LOGLEVEL_QUIET, |n| n.min(CONSOLE_LOGLEVEL_ALL as u32) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_parsed_from_the_prefix() {
        assert_eq!(split_level(b"<3>fs: cannot mount"), (3, &b"fs: cannot mount"[..]));
        assert_eq!(split_level(b"<7>"), (7, &b""[..]));
        assert_eq!(split_level(b"secsrv: ready"), (MESSAGE_LOGLEVEL_DEFAULT, &b"secsrv: ready"[..]));
        assert_eq!(split_level(b"<8>x"), (MESSAGE_LOGLEVEL_DEFAULT, &b"<8>x"[..]));
        assert_eq!(split_level(b"<3"), (MESSAGE_LOGLEVEL_DEFAULT, &b"<3"[..]));
    }

    #[test]
    fn console_level_comes_from_the_last_loglevel_option() {
        assert_eq!(console_loglevel(""), CONSOLE_LOGLEVEL_QUIET);
        assert_eq!(console_loglevel("policy=te loglevel=7"), 7);
        assert_eq!(console_loglevel("loglevel=7 loglevel=2"), 2);
        assert_eq!(console_loglevel("loglevel=99"), 8);
        assert_eq!(console_loglevel("loglevel=x init.first=login"), CONSOLE_LOGLEVEL_QUIET);
        assert_eq!(console_loglevel("xloglevel=7"), CONSOLE_LOGLEVEL_QUIET);
    }
}
