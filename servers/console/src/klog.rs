//! The kernel log on the terminal (docs/console.md, "System messages"):
//! records system components wrote to the kernel log (`rampart_abi::log`)
//! are printed as they arrive, from the first one of the boot, if their
//! level is below the console log level (`loglevel=N` on the kernel
//! command line, which the kernel reports; quiet by default: errors only),
//! unless the kernel already echoes them itself (test kernels). Every
//! record stays in the log for `dmesg`.
//!
//! The console reads the log through the capability rm gave it because the
//! policy grants `console_t` `system syslog_read`; the kernel signals the
//! console's notification (badge [`LOG_SIGNAL`]) on every new record.

use rampart_abi::Label;
use rampart_abi::log::{CONSOLE_LOGLEVEL_QUIET, LOG_FLAG_ECHO, LOG_RECORD_BYTES, LOGLEVEL_WARNING, split_level};
use rampart_rt::cap::{CNode, CPtr};
use rampart_rt::invoke::call_raw;
use rampart_uabi::startup::slot;

/// Notification badge bit of new log records.
pub const LOG_SIGNAL: u64 = 4;

/// The reading end of the kernel log.
pub struct KernelLog {
    cap: CPtr,
    /// Sequence number of the next record to show.
    next: u64,
    /// Records below this level are shown.
    level: u8,
}

impl KernelLog {
    /// Registers for new-record signals through a badged copy of the
    /// task's notification made in `free`. `None` if this task has no log
    /// capability with the Read right, or the kernel echoes records itself.
    pub fn open(free: CPtr) -> Option<KernelLog> {
        let cap = rampart_rt::startup::named_cap("log")?;
        let cn = CNode(slot::CNODE);
        cn.mint(free, 64, cn.path(slot::NOTIFICATION, 64), rampart_abi::Rights::WRITE, LOG_SIGNAL).ok()?;
        let r = call_raw(cap, Label::LogSetNotification as u64, &[], &[free]);
        if r.info.label() != 0 {
            return None;
        }
        if r.mrs[0] & LOG_FLAG_ECHO != 0 {
            // Already on the console: stop the signals and show nothing.
            let _ = call_raw(cap, Label::LogSetNotification as u64, &[], &[0]);
            return None;
        }
        let level = if r.info.length() >= 2 { r.mrs[1] as u8 } else { CONSOLE_LOGLEVEL_QUIET };
        Some(KernelLog { cap, next: 0, level })
    }

    /// Passes the text of every record not shown yet whose level is below
    /// the console level to `show` (a note first if some were overwritten
    /// before they could be shown).
    pub fn drain(&mut self, mut show: impl FnMut(&[u8])) {
        loop {
            let r = call_raw(self.cap, Label::LogRead as u64, &[self.next], &[]);
            if r.info.label() != 0 {
                return;
            }
            let words = r.info.length();
            let (seq, len) = (r.mrs[0], r.mrs[2] as usize);
            if len == 0 || words < 3 {
                return;
            }
            if seq > self.next && self.level > LOGLEVEL_WARNING {
                let note = alloc::format!("console: {} system messages lost\n", seq - self.next);
                show(note.as_bytes());
            }
            let mut text = [0u8; LOG_RECORD_BYTES];
            let b = rampart_rt::buffer::expect_current();
            for i in 3..words.min(3 + LOG_RECORD_BYTES / 8) {
                let w = if i < 4 { r.mrs[i] } else { b.mr(i) };
                text[(i - 3) * 8..(i - 2) * 8].copy_from_slice(&w.to_le_bytes());
            }
            let (level, body) = split_level(&text[..len.min(LOG_RECORD_BYTES)]);
            if level < self.level {
                show(body);
            }
            self.next = seq + 1;
        }
    }
}
