//! Formatting for the system-log tools (host-tested): `dmesg`'s lines from
//! kernel-log records (`rampart_abi::log`) and `ausearch`'s AVC records in
//! the Linux audit format.

use alloc::format;
use alloc::string::String;
use rampart_abi::log::{LEVEL_NAMES, split_level};

/// Which levels `dmesg` shows: bit `n` for level `n` (all by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Levels(pub u8);

impl Default for Levels {
    fn default() -> Self {
        Levels(0xff)
    }
}

impl Levels {
    /// `dmesg -l LIST`: comma-separated level names (`err,warn`) or
    /// numbers (`0..=7`), as util-linux accepts them. `None` for an unknown
    /// name.
    pub fn parse(list: &str) -> Option<Levels> {
        let mut m = 0u8;
        for w in list.split(',').filter(|w| !w.is_empty()) {
            let n = match LEVEL_NAMES.iter().position(|&n| n == w) {
                Some(n) => n,
                None => w.parse::<usize>().ok().filter(|&n| n < 8)?,
            };
            m |= 1 << n;
        }
        (m != 0).then_some(Levels(m))
    }

    /// Whether records of `level` are shown.
    pub fn has(self, level: u8) -> bool {
        level < 8 && self.0 & (1 << level) != 0
    }
}

/// How `dmesg` prints a record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmesgStyle {
    /// `-r`: the raw record, with its `<N>` level prefix.
    pub raw: bool,
    /// `-x`: the level's name first (`info  : `), as `dmesg --decode`.
    pub decode: bool,
}

/// One kernel-log record as `dmesg` prints it, without the line end, or
/// `None` if its level is not in `levels`. Records carry no time, so
/// there is no `[seconds]` column (as `dmesg -t`).
pub fn dmesg_line(record: &[u8], levels: Levels, style: DmesgStyle) -> Option<String> {
    let (level, text) = split_level(record);
    if !levels.has(level) {
        return None;
    }
    let text = String::from_utf8_lossy(text);
    let text = text.trim_end_matches('\n');
    Some(if style.raw {
        format!("<{level}>{text}")
    } else if style.decode {
        format!("kern  :{:<6}: {text}", LEVEL_NAMES[level as usize])
    } else {
        String::from(text)
    })
}

/// The fields of one AVC record of the security server's audit trail.
#[derive(Clone, Copy, Debug)]
pub struct Avc<'a> {
    /// Position in the trail (the event's serial number).
    pub seq: u64,
    /// A denial (else an audited grant).
    pub denied: bool,
    /// False for a denial not enforced (permissive mode).
    pub enforced: bool,
    /// Permission names, space separated.
    pub perms: &'a str,
    /// Source context.
    pub scontext: &'a str,
    /// Target context.
    pub tcontext: &'a str,
    /// Class name.
    pub tclass: &'a str,
    /// The object's description (a path, a service name; may be empty).
    pub object: &'a str,
    /// Context of the component that reported it.
    pub by: &'a str,
    /// Policy sequence number of the decision.
    pub seqno: u32,
    /// When the security server stored it, in milliseconds since the Unix
    /// epoch.
    pub time_ms: u64,
    /// The subject's process id (0: unknown).
    pub pid: u32,
    /// Identical events the record stands for (1 unless coalesced).
    pub repeat: u32,
}

/// `audit(SECONDS.MILLIS:SEQ)`, the event identifier of a Linux audit
/// record (auditd's `msg=` field): time since the Unix epoch and serial.
pub fn audit_stamp(time_ms: u64, seq: u64) -> String {
    format!("audit({}.{:03}:{seq})", time_ms / 1000, time_ms % 1000)
}

/// The record as a Linux audit line: `type=AVC
/// msg=audit(1767225612.345:SEQ): avc:  denied  { read } for  pid=N
/// name="..." scontext=... tcontext=... tclass=... permissive=0 by=...
/// seqno=N` (two spaces where auditd puts them), then ` repeat=N` when
/// identical events were coalesced into it.
pub fn avc_line(r: &Avc<'_>) -> String {
    let name = if r.object.is_empty() { String::new() } else { format!("name=\"{}\" ", r.object) };
    let repeat = if r.repeat > 1 { format!(" repeat={}", r.repeat) } else { String::new() };
    format!(
        "type=AVC msg={}: avc:  {}  {{ {} }} for  pid={} {name}scontext={} tcontext={} tclass={} permissive={} by={} seqno={}{repeat}",
        audit_stamp(r.time_ms, r.seq),
        if r.denied { "denied" } else { "granted" },
        r.perms,
        r.pid,
        r.scontext,
        r.tcontext,
        r.tclass,
        u8::from(r.denied && !r.enforced),
        r.by,
        r.seqno,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmesg_strips_levels_and_filters() {
        let all = Levels::default();
        let s = DmesgStyle::default();
        assert_eq!(dmesg_line(b"<6>secsrv: ready\n", all, s).as_deref(), Some("secsrv: ready"));
        assert_eq!(dmesg_line(b"plain", all, s).as_deref(), Some("plain"));
        let raw = DmesgStyle { raw: true, ..s };
        assert_eq!(dmesg_line(b"<7>fs: avc: denied\n", all, raw).as_deref(), Some("<7>fs: avc: denied"));
        assert_eq!(dmesg_line(b"plain", all, raw).as_deref(), Some("<4>plain"));
        let dec = DmesgStyle { decode: true, ..s };
        assert_eq!(dmesg_line(b"<3>x", all, dec).as_deref(), Some("kern  :err   : x"));
        let errs = Levels::parse("emerg,err").unwrap();
        assert_eq!(dmesg_line(b"<6>info", errs, s), None);
        assert_eq!(dmesg_line(b"<3>bad", errs, s).as_deref(), Some("bad"));
        assert_eq!(Levels::parse("7"), Some(Levels(0x80)));
        assert_eq!(Levels::parse("loud"), None);
        assert_eq!(Levels::parse(""), None);
    }

    #[test]
    fn avc_lines_read_like_auditd() {
        let r = Avc {
            seq: 12,
            denied: true,
            enforced: true,
            perms: "getattr",
            scontext: "user_u:user_r:user_t",
            tcontext: "system_u:object_r:secret_t",
            tclass: "dir",
            object: "/secret",
            by: "system_u:system_r:fs_t",
            seqno: 1,
            time_ms: 1_767_225_612_045,
            pid: 42,
            repeat: 1,
        };
        assert_eq!(
            avc_line(&r),
            "type=AVC msg=audit(1767225612.045:12): avc:  denied  { getattr } for  pid=42 name=\"/secret\" \
             scontext=user_u:user_r:user_t tcontext=system_u:object_r:secret_t tclass=dir permissive=0 \
             by=system_u:system_r:fs_t seqno=1"
        );
        let p = Avc { enforced: false, object: "", pid: 0, repeat: 7, ..r };
        let l = avc_line(&p);
        assert!(l.contains("for  pid=0 scontext=user_u") && l.contains("permissive=1"), "{l}");
        assert!(l.ends_with("seqno=1 repeat=7"), "{l}");
        assert_eq!(audit_stamp(999, 3), "audit(0.999:3)");
    }
}
