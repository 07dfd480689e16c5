//! `auditd`: the audit daemon (a boot module init starts after the file
//! server, in `system_u:system_r:auditd_t`). It copies every record of the
//! security server's audit trail to `/var/log/audit/audit.log` in the Linux
//! audit format, rotating the log by size (`coreutils::auditlog`), so the
//! trail outlives the 256-record RAM ring and the boot.
//!
//! Rights, all from the policy: `security read_audit` (reading the trail
//! and subscribing to new-record notifications), the file server's
//! `auditd_log_t` files in `/var/log/audit` (mode 0700 root: users can
//! neither read nor write them). No polling: secsrv signals its
//! notification (badge [`EVENT_AUDIT`]) whenever records arrive, and it
//! drains the trail then.
//!
//! Records the ring overwrote before they were logged are counted and
//! written as a `type=DAEMON_ERR ... op=lost lost=N` record. On start it
//! reads the tail of the log and resumes after the last record it holds
//! if that record is from this boot (`auditlog::resume_from`), so a
//! restart duplicates nothing and a reboot misses nothing.
//!
//! Settings: `max_log_file=BYTES` and `num_logs=N` in its arguments
//! (init passes `auditd.*` words of the kernel command line).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use coreutils::auditlog::{self, Config, LOG_FILE, daemon_line};
use coreutils::klog::{Avc, avc_line};
use rampart_abi::Rights;
use rampart_libos::ErrorKind;
use rampart_libos::fs::{self, File, OpenOptions, SeekFrom};
use rampart_libos::io::{Read, Write};
use rampart_libos::rampart_rt::cap::{CNode, Notification};
use rampart_libos::rampart_rt::{clock, pr_err};
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_secsrv_api::{AuditEntry, EVENT_AUDIT};
use rampart_uabi::startup::slot;

rampart_libos::main!(main);

/// Attempts to open the log (the file server starts with the daemon)
/// before giving up.
pub const OPEN_TRIES: u32 = 256;
/// Bytes of the log's end read at start to find the last record.
const TAIL: u64 = 4096;

struct Log {
    file: File,
    size: u64,
    cfg: Config,
}

fn main() -> i32 {
    let args = rampart_libos::env::args();
    let cfg = Config::from_args(args.iter().map(String::as_str));
    let ep = match rampart_libos::sys::connect_service("security") {
        Ok(ep) => ep,
        Err(e) => {
            pr_err!("auditd: cannot reach the security server: {e}");
            return 1;
        }
    };
    let mut sec = Client(Ipc(ep));
    let free = rampart_libos::sys::with(|st| st.slot());
    let cn = CNode(slot::CNODE);
    if cn.mint(free, 64, cn.path(slot::NOTIFICATION, 64), Rights::WRITE, EVENT_AUDIT).is_err() {
        pr_err!("auditd: cannot mint its notification");
        return 1;
    }
    if let Err(e) = Ipc(ep).subscribe_audit(free) {
        pr_err!("auditd: the security server refused the subscription: {e}");
        return 1;
    }
    let mut log = None;
    let mut tries = 0;
    let mut next = 0u64;
    loop {
        if log.is_none() {
            match open(cfg) {
                Ok(l) => {
                    let l = log.insert(l);
                    next = resume(l, &mut sec);
                }
                Err(e)
                    if matches!(e.kind(), ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem)
                        || tries >= OPEN_TRIES =>
                {
                    pr_err!("auditd: cannot open {LOG_FILE}: {}", e.message());
                    return 1;
                }
                Err(_) => tries += 1,
            }
        }
        if let Some(l) = &mut log {
            match drain(l, &mut sec, next) {
                Ok(n) => next = n,
                Err(e) => {
                    pr_err!("auditd: cannot write {LOG_FILE}: {e}");
                    return 1;
                }
            }
        }
        Notification(slot::NOTIFICATION).wait();
    }
}

fn open(cfg: Config) -> rampart_libos::Result<Log> {
    let file = OpenOptions::new().append(true).create(true).mode(0o600).open(LOG_FILE)?;
    let size = file.metadata()?.len();
    Ok(Log { file, size, cfg })
}

/// The last record's time and serial, from the end of the log (or of
/// `audit.log.1` if the log was just rotated).
fn last_logged() -> Option<(u64, u64)> {
    let tail = |n: u32| -> Option<(u64, u64)> {
        let mut f = File::open(&auditlog::log_name(n)).ok()?;
        let size = f.metadata().ok()?.len();
        f.seek(SeekFrom::Start(size.saturating_sub(TAIL))).ok()?;
        let mut b = Vec::new();
        f.read_to_end(&mut b).ok()?;
        auditlog::last_record(&String::from_utf8_lossy(&b))
    };
    tail(0).or_else(|| tail(1))
}

/// Writes the start record and returns where to read the trail from.
fn resume(l: &mut Log, sec: &mut Client<Ipc>) -> u64 {
    let last = last_logged();
    let total = sec.status().map_or(0, |s| s.audit_total);
    let kept = last.and_then(|(_, seq)| {
        let b = sec.read_audit(seq).ok()?;
        b.records.first().filter(|r| r.seq == seq).map(|r| r.time_ms)
    });
    let now = clock::unix_time_ms();
    let from = auditlog::resume_from(last, now, total, kept);
    let pid = rampart_libos::process::id();
    let text = alloc::format!("op=start pid={pid} resume={from} res=success");
    let _ = append(l, &[daemon_line("DAEMON_START", now, &text)]);
    from
}

/// Logs every record from position `from` on; returns the next position.
fn drain(l: &mut Log, sec: &mut Client<Ipc>, mut from: u64) -> Result<u64, String> {
    loop {
        let b = sec.read_audit(from).map_err(|e| alloc::format!("reading the trail: {e}"))?;
        let mut lines = Vec::with_capacity(b.records.len() + 1);
        if b.lost > 0 {
            let total = sec.audit_stats().map_or(0, |s| s.lost);
            let text = alloc::format!("op=lost lost={} total_lost={total} res=failed", b.lost);
            lines.push(daemon_line("DAEMON_ERR", clock::unix_time_ms(), &text));
        }
        lines.extend(b.records.iter().map(line));
        append(l, &lines).map_err(|e| e.message().to_string())?;
        if b.records.is_empty() || b.next <= from {
            return Ok(from.max(b.next));
        }
        from = b.next;
    }
}

fn line(r: &AuditEntry) -> String {
    avc_line(&Avc {
        seq: r.seq,
        denied: r.denied,
        enforced: r.enforced,
        perms: &r.perms,
        scontext: &r.source,
        tcontext: &r.target,
        tclass: &r.class,
        object: &r.object,
        by: &r.reporter,
        seqno: r.seqno,
        time_ms: r.time_ms,
        pid: r.pid,
        repeat: r.repeat,
    })
}

/// Appends `lines`, rotating first when they would take the log past its
/// size limit.
fn append(l: &mut Log, lines: &[String]) -> rampart_libos::Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let mut text = String::new();
    for s in lines {
        text.push_str(s);
        text.push('\n');
    }
    if l.cfg.must_rotate(l.size, text.len() as u64) {
        rotate(l)?;
    }
    l.file.write_all(text.as_bytes())?;
    l.size += text.len() as u64;
    Ok(())
}

/// `audit.log.N-1` → `.N` ... `audit.log` → `.1`, and a new `audit.log`
/// opening with a `DAEMON_ROTATE` record.
fn rotate(l: &mut Log) -> rampart_libos::Result<()> {
    let (oldest, renames) = auditlog::rotation(l.cfg.num_logs);
    let _ = fs::remove_file(&oldest);
    for (from, to) in &renames {
        match fs::rename(from, to) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let mut n = open(l.cfg)?;
    let rec = daemon_line("DAEMON_ROTATE", clock::unix_time_ms(), "op=rotate-logs res=success") + "\n";
    n.file.write_all(rec.as_bytes())?;
    n.size += rec.len() as u64;
    *l = n;
    Ok(())
}
