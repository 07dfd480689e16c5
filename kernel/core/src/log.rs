//! The kernel log ring and its invocations (`rampart_abi::log`).
//!
//! A fixed array of [`LOG_SLOTS`] records in the kernel's static state; no
//! allocation, constant-time append and read. The record number `seq` lives
//! in slot `seq % LOG_SLOTS`; the oldest readable record is
//! `next - LOG_SLOTS`. Appending never blocks and never fails: when the ring
//! is full the oldest record is overwritten. Readers detect the loss from
//! the sequence numbers.

use crate::invoke::{Inv, InvError, InvResult, expect};
use crate::kernel::Kernel;
use crate::machine::Machine;
use crate::object::NtfnRef;
use rampart_abi::log::{
    CONSOLE_LOGLEVEL_QUIET, LOG_FLAG_ECHO, LOG_READERS, LOG_RECORD_BYTES, LOG_SLOTS, log_write_words, split_level,
};
use rampart_abi::{CapType, Error, Label, Rights};

/// Text words per record.
const WORDS: usize = LOG_RECORD_BYTES / 8;

/// One record: its badge, length and text.
#[derive(Clone, Copy)]
struct Record {
    badge: u64,
    len: u64,
    text: [u64; WORDS],
}

/// The records' memory: a static in the kernel (too large for the kernel
/// stack the `Kernel` value is built on), a leaked allocation in host tests.
pub struct LogStorage([Record; LOG_SLOTS]);

impl Default for LogStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl LogStorage {
    /// Empty records.
    pub const fn new() -> Self {
        LogStorage([Record { badge: 0, len: 0, text: [0; WORDS] }; LOG_SLOTS])
    }
}

/// One reader's registration: the notification (physical address, 0:
/// none), the badge of its capability, and the badge of the Log
/// capability it was registered through (which reader it is).
#[derive(Clone, Copy, Default)]
struct Reader {
    ntfn: u64,
    ntfn_badge: u64,
    owner: u64,
}

/// The ring of records and the notifications readers asked for.
pub struct LogRing {
    /// The records (`None` until [`LogRing::attach`]: appends are dropped).
    records: Option<&'static mut LogStorage>,
    /// Sequence number of the next record written.
    next: u64,
    /// Readers' notifications signalled on every append, one per reader
    /// (the badge of the Log capability that registered it).
    readers: [Reader; LOG_READERS],
    /// Records below this level go to the console (`loglevel=`): echoed
    /// by test kernels, told to the reader by `LogSetNotification`.
    console_level: u8,
}

impl Default for LogRing {
    fn default() -> Self {
        Self::new()
    }
}

impl LogRing {
    /// An empty ring.
    pub const fn new() -> Self {
        LogRing {
            records: None,
            next: 0,
            readers: [Reader { ntfn: 0, ntfn_badge: 0, owner: 0 }; LOG_READERS],
            console_level: CONSOLE_LOGLEVEL_QUIET,
        }
    }

    /// Gives the ring its memory (once, at boot).
    pub fn attach(&mut self, storage: &'static mut LogStorage) {
        self.records = Some(storage);
    }

    /// Sets the console log level (the kernel command line's `loglevel=`,
    /// `rampart_abi::log::console_loglevel`).
    pub fn set_console_level(&mut self, level: u8) {
        self.console_level = level;
    }

    /// The console log level.
    pub fn console_level(&self) -> u8 {
        self.console_level
    }

    /// Sequence number of the next record written (records so far).
    pub fn next_seq(&self) -> u64 {
        self.next
    }

    /// Appends `text` (cut at [`LOG_RECORD_BYTES`]) stamped with `badge`.
    pub fn push(&mut self, badge: u64, text: &[u8]) {
        let n = text.len().min(LOG_RECORD_BYTES);
        let mut words = [0u64; WORDS];
        for (i, chunk) in text[..n].chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            words[i] = u64::from_le_bytes(b);
        }
        self.push_words(badge, n as u64, words);
    }

    fn push_words(&mut self, badge: u64, len: u64, text: [u64; WORDS]) {
        let Some(r) = self.records.as_deref_mut() else { return };
        r.0[(self.next % LOG_SLOTS as u64) as usize] = Record { badge, len, text };
        self.next += 1;
    }

    /// The first record numbered `from` or later: (its number, badge,
    /// length, text words), or `None` if there is none yet.
    fn read(&self, from: u64) -> Option<(u64, u64, u64, [u64; WORDS])> {
        let oldest = self.next.saturating_sub(LOG_SLOTS as u64);
        let seq = from.max(oldest);
        if seq >= self.next {
            return None;
        }
        let r = self.records.as_deref()?.0[(seq % LOG_SLOTS as u64) as usize];
        Some((seq, r.badge, r.len, r.text))
    }

    /// The text of the first record numbered `from` or later, with its
    /// number and badge (for tests and the kernel's own use).
    pub fn get(&self, from: u64) -> Option<(u64, u64, [u8; LOG_RECORD_BYTES], usize)> {
        let (seq, badge, len, words) = self.read(from)?;
        let mut text = [0u8; LOG_RECORD_BYTES];
        for (i, w) in words.iter().enumerate() {
            text[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        Some((seq, badge, text, len as usize))
    }
}

impl<M: Machine> Kernel<M> {
    /// Appends a record written by the kernel itself.
    pub fn log_kernel(&mut self, text: &[u8]) {
        self.log.push(rampart_abi::log::LOG_BADGE_KERNEL, text);
        self.log_appended(text);
    }

    /// After an append: echo (test kernels; only records below the
    /// console level, without their level prefix) and wake the reader.
    fn log_appended(&mut self, text: &[u8]) {
        let (level, text) = split_level(text);
        if cfg!(feature = "log-echo") && level < self.log.console_level {
            self.m.debug_write(text);
        }
        for i in 0..LOG_READERS {
            let r = self.log.readers[i];
            if r.ntfn != 0 {
                self.signal(NtfnRef(r.ntfn), r.ntfn_badge);
            }
        }
    }

    /// A notification is being destroyed: stop signalling it.
    pub(crate) fn log_ntfn_destroyed(&mut self, n: NtfnRef) {
        for r in self.log.readers.iter_mut().filter(|r| r.ntfn == n.0) {
            *r = Reader::default();
        }
    }

    pub(crate) fn inv_log(&mut self, inv: &Inv) -> InvResult {
        let rights = inv.cap.rights();
        match inv.label {
            Some(Label::LogWrite) => {
                if !rights.contains(Rights::WRITE) {
                    return Err(InvError::new(Error::InvalidCapability));
                }
                let n = inv.mr(0)?;
                if n > LOG_RECORD_BYTES as u64 || log_write_words(n as usize) > inv.len() {
                    return Err(InvError::with2(Error::RangeError, 0, LOG_RECORD_BYTES as u64));
                }
                let mut words = [0u64; WORDS];
                for (i, w) in words.iter_mut().enumerate().take((n as usize).div_ceil(8)) {
                    *w = inv.mr(1 + i)?;
                }
                // Bytes past `n` in the last word are not the writer's text.
                let tail = n % 8;
                if tail != 0 {
                    words[(n / 8) as usize] &= (1u64 << (8 * tail)) - 1;
                }
                self.log.push_words(inv.cap.badge(), n, words);
                if cfg!(feature = "log-echo") {
                    let mut bytes = [0u8; LOG_RECORD_BYTES];
                    for (i, w) in words.iter().enumerate() {
                        bytes[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
                    }
                    self.log_appended(&bytes[..n as usize]);
                } else {
                    self.log_appended(&[]);
                }
                Ok(0)
            }
            Some(Label::LogRead) => {
                if !rights.contains(Rights::READ) {
                    return Err(InvError::new(Error::InvalidCapability));
                }
                let from = inv.mr(0)?;
                match self.log.read(from) {
                    None => {
                        inv.set_result(0, self.log.next);
                        inv.set_result(1, 0);
                        inv.set_result(2, 0);
                        Ok(3)
                    }
                    Some((seq, badge, len, text)) => {
                        // A reader without an IPC buffer gets what fits in
                        // the four register words: the header and 8 bytes.
                        let words = (len as usize).div_ceil(8);
                        let room = if inv.buf.is_some() { words } else { words.min(1) };
                        inv.set_result(0, seq);
                        inv.set_result(1, badge);
                        inv.set_result(2, if room < words { 8 * room as u64 } else { len });
                        for (i, w) in text.iter().enumerate().take(room) {
                            inv.set_result(3 + i, *w);
                        }
                        Ok(3 + room)
                    }
                }
            }
            Some(Label::LogSetNotification) => {
                if !rights.contains(Rights::READ) {
                    return Err(InvError::new(Error::InvalidCapability));
                }
                let root = self.cspace_root(inv.t);
                let (_, n) = inv.extra(root, 0)?;
                // Each reader (the badge of its Log capability) has one
                // registration, replaced by the next.
                let owner = inv.cap.badge();
                let mine = self.log.readers.iter().position(|r| r.ntfn != 0 && r.owner == owner);
                if n.is_null() {
                    if let Some(i) = mine {
                        self.log.readers[i] = Reader::default();
                    }
                } else {
                    expect(n, CapType::Notification, 0)?;
                    if !n.rights().contains(Rights::WRITE) {
                        return Err(InvError::with(Error::InvalidCapability, 0));
                    }
                    let free = mine.or_else(|| self.log.readers.iter().position(|r| r.ntfn == 0));
                    let Some(i) = free else { return Err(InvError::new(Error::NotEnoughMemory)) };
                    self.log.readers[i] = Reader { ntfn: n.paddr(), ntfn_badge: n.badge(), owner };
                }
                inv.set_result(0, if cfg!(feature = "log-echo") { LOG_FLAG_ECHO } else { 0 });
                inv.set_result(1, u64::from(self.log.console_level));
                Ok(2)
            }
            _ => Err(InvError::new(Error::IllegalOperation)),
        }
    }
}
