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
//!   badge, whenever a record is appended. Reply: MR0 = [`LOG_FLAG_ECHO`]
//!   if the kernel prints every record itself (test kernels), so a reader
//!   that shows records on the same console would print them twice.

/// Bytes of text in one record.
pub const LOG_RECORD_BYTES: usize = 224;
/// Records the ring holds.
pub const LOG_SLOTS: usize = 128;
/// Badge of the kernel's own records.
pub const LOG_BADGE_KERNEL: u64 = u64::MAX;
/// `LogSetNotification` result: the kernel echoes records to its console.
pub const LOG_FLAG_ECHO: u64 = 1;

/// Message words `LogWrite` needs for `n` bytes (MR0 plus the text).
pub const fn log_write_words(n: usize) -> usize {
    1 + n.div_ceil(8)
}
