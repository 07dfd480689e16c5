//! The persistent audit log (host-tested logic of `userland/auditd` and of
//! `ausearch -if FILE`): file names and rotation, the daemon's own records,
//! where to resume after a restart or a reboot, and reading records back.
//!
//! The format is the Linux audit daemon's (auditd(8), auditd.conf(5)):
//! one record per line, `type=AVC msg=audit(SECONDS.MILLIS:SEQ): ...`
//! ([`crate::klog::avc_line`]), the daemon's own events as
//! `type=DAEMON_START`, `type=DAEMON_ROTATE` and `type=DAEMON_ERR` records
//! with serial 0. The log rotates like auditd's `max_log_file_action =
//! ROTATE`: when appending would pass [`MAX_LOG_FILE`] bytes,
//! `audit.log.3` becomes `audit.log.4` (the old `.4` is removed), ...,
//! `audit.log` becomes `audit.log.1`, and a new `audit.log` starts
//! ([`NUM_LOGS`] files in all).

use crate::klog::audit_stamp;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The log directory (`auditd_log_t`, mode 0700 root).
pub const LOG_DIR: &str = "/var/log/audit";
/// The current log.
pub const LOG_FILE: &str = "/var/log/audit/audit.log";
/// Default size at which the log rotates, in bytes (auditd.conf's
/// `max_log_file`, there in MiB).
pub const MAX_LOG_FILE: u64 = 1 << 20;
/// Default number of log files kept, the current one included (auditd.conf's
/// `num_logs`).
pub const NUM_LOGS: u32 = 5;

/// The log's settings (`auditd.max_log_file=BYTES` and `auditd.num_logs=N`
/// on the kernel command line, which init passes on as arguments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Rotate when a write would pass this size, in bytes (at least 4096).
    pub max_log_file: u64,
    /// Files kept, the current one included (2 to 99).
    pub num_logs: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config { max_log_file: MAX_LOG_FILE, num_logs: NUM_LOGS }
    }
}

impl Config {
    /// The settings from `args` (`max_log_file=N`, `num_logs=N`; other
    /// words are ignored, bad or out-of-range values keep the default).
    pub fn from_args<'a>(args: impl IntoIterator<Item = &'a str>) -> Config {
        let mut c = Config::default();
        for a in args {
            let a = a.strip_prefix("auditd.").unwrap_or(a);
            if let Some(v) = a.strip_prefix("max_log_file=").and_then(|v| v.parse::<u64>().ok()) {
                c.max_log_file = v.max(4096);
            } else if let Some(v) = a.strip_prefix("num_logs=").and_then(|v| v.parse::<u32>().ok()) {
                c.num_logs = v.clamp(2, 99);
            }
        }
        c
    }

    /// Whether appending `add` bytes to a log of `size` bytes must rotate
    /// first (never for an empty log: one record always fits).
    pub fn must_rotate(&self, size: u64, add: u64) -> bool {
        size > 0 && size.saturating_add(add) > self.max_log_file
    }
}

/// The path of log number `n`: `audit.log` for 0, `audit.log.N` after.
pub fn log_name(n: u32) -> String {
    if n == 0 { String::from(LOG_FILE) } else { format!("{LOG_FILE}.{n}") }
}

/// One rotation as file operations, in order: remove the oldest kept log,
/// then rename each one a number up (`(from, to)` pairs, oldest first).
pub fn rotation(num_logs: u32) -> (String, Vec<(String, String)>) {
    let last = num_logs.max(2) - 1;
    let renames = (0..last).rev().map(|n| (log_name(n), log_name(n + 1))).collect();
    (log_name(last), renames)
}

/// A daemon record: `type=KIND msg=audit(T:0): TEXT`.
pub fn daemon_line(kind: &str, time_ms: u64, text: &str) -> String {
    format!("type={kind} msg={}: {text}", audit_stamp(time_ms, 0))
}

/// The time (ms) and serial of an `audit(...)` stamp in `line`.
pub fn stamp_of(line: &str) -> Option<(u64, u64)> {
    let rest = line.split_once("msg=audit(")?.1;
    let (inner, _) = rest.split_once(')')?;
    let (time, seq) = inner.split_once(':')?;
    let (s, ms) = time.split_once('.')?;
    let ms: u64 = if ms.len() == 3 { ms.parse().ok()? } else { return None };
    Some((s.parse::<u64>().ok()?.checked_mul(1000)?.checked_add(ms)?, seq.parse().ok()?))
}

/// The time and serial of the last `type=AVC` record in `text` (a log, or
/// its tail: a first partial line is skipped by the `type=AVC` test).
pub fn last_record(text: &str) -> Option<(u64, u64)> {
    text.lines().rev().filter(|l| l.starts_with("type=AVC ")).find_map(stamp_of)
}

/// Where the daemon resumes reading the trail (the position for
/// `ReadAudit`), given the last record its log holds (`last`: time in ms
/// and serial), the clock now, the security server's record count since
/// boot, and the time of the record at `last`'s serial if the server
/// still keeps it. A log whose last record is from this boot resumes after
/// it (records already logged are not logged again); one from an earlier
/// boot (its time is in this boot's future, its serial beyond this boot's
/// count, or the server's record of that serial is another) starts at
/// this boot's first record. Serial 1 rather than 0 so that records
/// overwritten before the daemon started count as lost.
pub fn resume_from(last: Option<(u64, u64)>, now_ms: u64, total: u64, kept_time: Option<u64>) -> u64 {
    match last {
        Some((t, seq)) if t <= now_ms && seq <= total && kept_time.is_none_or(|k| k == t) => seq + 1,
        _ => 1,
    }
}

/// The fields of an AVC record line that `ausearch` filters on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvcFields<'a> {
    /// A denial.
    pub denied: bool,
    /// Permission names, space separated.
    pub perms: &'a str,
    /// `scontext=`.
    pub scontext: &'a str,
    /// `tcontext=`.
    pub tcontext: &'a str,
    /// `tclass=`.
    pub tclass: &'a str,
}

/// The fields of a `type=AVC` line of the log, `None` for other lines.
pub fn parse_avc(line: &str) -> Option<AvcFields<'_>> {
    if !line.starts_with("type=AVC ") {
        return None;
    }
    let field = |k: &str| line.split(' ').find_map(|w| w.strip_prefix(k)).filter(|v| !v.is_empty());
    let body = line.split_once("avc:  ")?.1;
    let denied = body.starts_with("denied");
    let perms = body.split_once("{ ")?.1.split_once(" }")?.0;
    Some(AvcFields {
        denied,
        perms,
        scontext: field("scontext=")?,
        tcontext: field("tcontext=")?,
        tclass: field("tclass=")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::klog::{Avc, avc_line};

    fn line(seq: u64, t: u64) -> String {
        avc_line(&Avc {
            seq,
            denied: true,
            enforced: true,
            perms: "read open",
            scontext: "user_u:user_r:user_t",
            tcontext: "system_u:object_r:secret_t",
            tclass: "file",
            object: "/secret/plans",
            by: "system_u:system_r:fs_t",
            seqno: 1,
            time_ms: t,
            pid: 9,
            repeat: 1,
        })
    }

    #[test]
    fn rotation_names_and_order() {
        assert_eq!(log_name(0), "/var/log/audit/audit.log");
        assert_eq!(log_name(4), "/var/log/audit/audit.log.4");
        let (gone, renames) = rotation(5);
        assert_eq!(gone, "/var/log/audit/audit.log.4");
        let r: Vec<(&str, &str)> = renames.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            r,
            [
                ("/var/log/audit/audit.log.3", "/var/log/audit/audit.log.4"),
                ("/var/log/audit/audit.log.2", "/var/log/audit/audit.log.3"),
                ("/var/log/audit/audit.log.1", "/var/log/audit/audit.log.2"),
                ("/var/log/audit/audit.log", "/var/log/audit/audit.log.1"),
            ]
        );
        let (gone, renames) = rotation(0);
        assert_eq!((gone.as_str(), renames.len()), ("/var/log/audit/audit.log.1", 1));
    }

    #[test]
    fn config_from_the_command_line() {
        assert_eq!(Config::from_args(["auditd"]), Config::default());
        let c = Config::from_args(["auditd", "max_log_file=16384", "auditd.num_logs=3", "num_logs=x"]);
        assert_eq!(c, Config { max_log_file: 16384, num_logs: 3 });
        assert_eq!(Config::from_args(["max_log_file=1", "num_logs=1000"]), Config { max_log_file: 4096, num_logs: 99 });
        assert!(!c.must_rotate(0, 1 << 30), "an empty log takes any record");
        assert!(!c.must_rotate(16000, 384));
        assert!(c.must_rotate(16000, 385));
    }

    #[test]
    fn stamps_and_the_last_record() {
        let l = line(42, 1_767_225_612_045);
        assert_eq!(stamp_of(&l), Some((1_767_225_612_045, 42)));
        assert_eq!(stamp_of("type=AVC msg=audit(12.5:3): x"), None);
        assert_eq!(stamp_of("type=AVC msg=audit(99999999999999999999.000:3): x"), None);
        let log = format!(
            "{}\n{}\n{}\n",
            line(41, 1000),
            l,
            daemon_line("DAEMON_ROTATE", 2000, "op=rotate-logs res=success")
        );
        assert_eq!(last_record(&log), Some((1_767_225_612_045, 42)));
        // A tail cut mid-line still finds whole records.
        assert_eq!(last_record(&log[10..]), Some((1_767_225_612_045, 42)));
        assert_eq!(last_record("type=DAEMON_START msg=audit(1.000:0): op=start\n"), None);
        assert_eq!(
            daemon_line("DAEMON_ERR", 1_500, "op=lost lost=3"),
            "type=DAEMON_ERR msg=audit(1.500:0): op=lost lost=3"
        );
    }

    #[test]
    fn resumes_after_a_restart_starts_over_after_a_reboot() {
        // Nothing logged yet: from the first record (earlier ones lost).
        assert_eq!(resume_from(None, 5000, 10, None), 1);
        // Restart within a boot: the record is still kept with its time.
        assert_eq!(resume_from(Some((4000, 7)), 5000, 10, Some(4000)), 8);
        // ... or already overwritten (the daemon counts the gap as lost).
        assert_eq!(resume_from(Some((4000, 7)), 5000, 900, None), 8);
        // Reboot: the clock restarted (the record is in the future) ...
        assert_eq!(resume_from(Some((9000, 7)), 5000, 10, Some(4000)), 1);
        // ... the serial is beyond this boot's count ...
        assert_eq!(resume_from(Some((4000, 70)), 5000, 10, None), 1);
        // ... or this boot's record of that serial has another time.
        assert_eq!(resume_from(Some((4000, 7)), 5000, 10, Some(4100)), 1);
    }

    #[test]
    fn avc_lines_parse_back() {
        let l = line(3, 1000);
        let f = parse_avc(&l).unwrap();
        assert_eq!(
            f,
            AvcFields {
                denied: true,
                perms: "read open",
                scontext: "user_u:user_r:user_t",
                tcontext: "system_u:object_r:secret_t",
                tclass: "file"
            }
        );
        assert_eq!(parse_avc("type=DAEMON_START msg=audit(1.000:0): op=start"), None);
        assert_eq!(parse_avc("type=AVC msg=audit(1.000:1): avc:  denied  { read"), None);
        assert_eq!(parse_avc(""), None);
    }
}
