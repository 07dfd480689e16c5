//! `syslogd`: the system logger (a boot module init starts after the file
//! server, in `system_u:system_r:syslogd_t`). It copies every kernel-log
//! record (`rampart_abi::log`: the kernel's, servers' and drivers' messages,
//! AVC denials at debug level) to `/var/log/messages` on the root file
//! system, one line per record without its level prefix, as rsyslog does
//! on Linux (without the time and host columns: records carry no time).
//!
//! Rights, all from the policy: rm gives it a kernel-log capability with
//! the Read right (`system syslog_read`); the file server lets it create
//! and append to `var_log_t` files. It waits on its notification, which
//! the kernel signals on every new record (`LogSetNotification`).
//!
//! Until the file server serves the root (it starts with it), opening the
//! file fails; it retries on each new record, at most [`OPEN_TRIES`]
//! times, and gives up at once on a refusal (`EACCES`, `EROFS`, ...).
//! Records overwritten before they were copied are noted as `syslogd: N
//! messages lost`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use rampart_abi::log::{LOG_RECORD_BYTES, split_level};
use rampart_abi::{Label, Rights};
use rampart_libos::ErrorKind;
use rampart_libos::fs::{File, OpenOptions};
use rampart_libos::io::Write;
use rampart_libos::rampart_rt::cap::{CNode, Notification};
use rampart_libos::rampart_rt::{buffer, invoke::call_raw, pr_err, startup::named_cap};
use rampart_uabi::startup::slot;

rampart_libos::main!(main);

/// The log file.
pub const MESSAGES: &str = "/var/log/messages";
/// Attempts to open [`MESSAGES`] before giving up.
pub const OPEN_TRIES: u32 = 256;
/// Notification badge of new records.
const LOG_SIGNAL: u64 = 1;

fn main() -> i32 {
    let Some(log) = named_cap("log") else {
        pr_err!("syslogd: no kernel-log capability (the policy grants no syslog_read)");
        return 1;
    };
    let free = rampart_libos::sys::with(|st| st.slot());
    let cn = CNode(slot::CNODE);
    if cn.mint(free, 64, cn.path(slot::NOTIFICATION, 64), Rights::WRITE, LOG_SIGNAL).is_err()
        || call_raw(log, Label::LogSetNotification as u64, &[], &[free]).info.label() != 0
    {
        pr_err!("syslogd: cannot wait for kernel-log records");
        return 1;
    }
    let mut file: Option<File> = None;
    let mut tries = 0;
    let mut next = 0u64;
    loop {
        if file.is_none() {
            match OpenOptions::new().append(true).create(true).open(MESSAGES) {
                Ok(f) => file = Some(f),
                Err(e)
                    if matches!(e.kind(), ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem)
                        || tries >= OPEN_TRIES =>
                {
                    pr_err!("syslogd: cannot open {MESSAGES}: {}", e.message());
                    return 1;
                }
                Err(_) => tries += 1,
            }
        }
        if let Some(f) = &mut file {
            let (text, after) = drain(log, next);
            if !text.is_empty()
                && let Err(e) = f.write_all(text.as_bytes())
            {
                pr_err!("syslogd: cannot append to {MESSAGES}: {}", e.message());
                return 1;
            }
            next = after;
        }
        Notification(slot::NOTIFICATION).wait();
    }
}

/// The records numbered `from` on, one line each (level prefix removed),
/// and the number of the next record.
fn drain(log: u64, mut from: u64) -> (String, u64) {
    let mut out = String::new();
    loop {
        let r = call_raw(log, Label::LogRead as u64, &[from], &[]);
        let words = r.info.length();
        if r.info.label() != 0 || words < 3 || r.mrs[2] == 0 {
            return (out, from);
        }
        let (seq, len) = (r.mrs[0], (r.mrs[2] as usize).min(LOG_RECORD_BYTES));
        if seq > from {
            out.push_str(&alloc::format!("syslogd: {} messages lost\n", seq - from));
        }
        let mut text = [0u8; LOG_RECORD_BYTES];
        let b = buffer::expect_current();
        for i in 3..words.min(3 + LOG_RECORD_BYTES / 8) {
            let w = if i < 4 { r.mrs[i] } else { b.mr(i) };
            text[(i - 3) * 8..(i - 2) * 8].copy_from_slice(&w.to_le_bytes());
        }
        let (_, body) = split_level(&text[..len]);
        out.push_str(&String::from_utf8_lossy(body));
        if !out.ends_with('\n') {
            out.push('\n');
        }
        from = seq + 1;
    }
}
