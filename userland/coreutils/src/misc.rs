//! Small parsers and helpers: durations (`sleep`), signal names (`kill`),
//! security contexts (`runcon`), audit-record filters (`audit`).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

/// `sleep`'s operand: a number (fractions allowed) with an optional unit
/// `s`, `m`, `h` or `d`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let (num, mult) = match s.as_bytes().last()? {
        b's' => (&s[..s.len() - 1], 1u64),
        b'm' => (&s[..s.len() - 1], 60),
        b'h' => (&s[..s.len() - 1], 3600),
        b'd' => (&s[..s.len() - 1], 86_400),
        _ => (s, 1),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if int.is_empty() && frac.is_empty() || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut nanos: u64 = 0;
    let mut scale = 100_000_000u64;
    for b in frac.bytes().take(9) {
        nanos += u64::from(b - b'0') * scale;
        scale /= 10;
    }
    let total_nanos = u128::from(whole) * 1_000_000_000 + u128::from(nanos);
    let total = total_nanos.checked_mul(u128::from(mult))?;
    let secs = u64::try_from(total / 1_000_000_000).ok()?;
    Some(Duration::new(secs, (total % 1_000_000_000) as u32))
}

/// A signal by name (`TERM`, `SIGTERM`, `term`) or number 0..=64 (`0`
/// checks that the process exists and may be signalled).
pub fn signal(s: &str) -> Option<u8> {
    if s == "0" {
        return Some(0);
    }
    rampart_uabi::signal::from_name(s)
}

/// `kill -l`: every named signal as `N) SIGNAME`, five per line (bash's
/// layout).
pub fn signal_table() -> alloc::vec::Vec<alloc::string::String> {
    let cells: alloc::vec::Vec<alloc::string::String> = rampart_uabi::signal::ALL
        .iter()
        .map(|&s| alloc::format!("{s:2}) SIG{:<8}", rampart_uabi::signal::name(s).unwrap_or("?")))
        .collect();
    cells.chunks(5).map(|c| c.concat().trim_end().into()).collect()
}

/// `kill -l ARG`: the name of signal `ARG` (a number, or an exit status
/// 128 + n), or the number of signal name `ARG`.
pub fn signal_lookup(arg: &str) -> Option<alloc::string::String> {
    if let Ok(n) = arg.parse::<u32>() {
        let n = if n > 128 { n - 128 } else { n };
        let n = u8::try_from(n).ok()?;
        return rampart_uabi::signal::name(n).map(alloc::string::String::from);
    }
    rampart_uabi::signal::from_name(arg).map(|n| alloc::format!("{n}"))
}

/// `current` with some of its fields replaced (`runcon -u -r -t -l`).
///
/// # Errors
/// `None` if `current` is not `user:role:type[:level]`.
pub fn compose_context(
    current: &str,
    user: Option<&str>,
    role: Option<&str>,
    ty: Option<&str>,
    level: Option<&str>,
) -> Option<String> {
    let mut parts: Vec<&str> = current.splitn(4, ':').collect();
    if parts.len() < 3 || parts.iter().take(3).any(|p| p.is_empty()) {
        return None;
    }
    for (i, v) in [user, role, ty].into_iter().enumerate() {
        if let Some(v) = v {
            parts[i] = v;
        }
    }
    match (level, parts.len()) {
        (Some(l), 4) => parts[3] = l,
        (Some(l), _) => parts.push(l),
        _ => {}
    }
    Some(parts.join(":"))
}

/// The type field of a context (`user_t` of `user_u:user_r:user_t`).
pub fn context_type(ctx: &str) -> &str {
    ctx.split(':').nth(2).unwrap_or("")
}

/// What an audit record must look like to be shown.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only denials (`Some(true)`) or only grants (`Some(false)`).
    pub denied: Option<bool>,
    /// The class is this name.
    pub class: Option<String>,
    /// This permission is among the record's.
    pub perm: Option<String>,
    /// The source context contains this text.
    pub source: Option<String>,
    /// The target context contains this text.
    pub target: Option<String>,
    /// The record's text contains this (anywhere).
    pub text: Option<String>,
}

impl AuditFilter {
    /// Whether a record with these fields passes (`perms` space-separated;
    /// `line` the whole record as printed).
    pub fn matches(&self, denied: bool, class: &str, perms: &str, source: &str, target: &str, line: &str) -> bool {
        self.denied.is_none_or(|d| d == denied)
            && self.class.as_deref().is_none_or(|c| c == class)
            && self.perm.as_deref().is_none_or(|p| perms.split_whitespace().any(|x| x == p))
            && self.source.as_deref().is_none_or(|s| source.contains(s))
            && self.target.as_deref().is_none_or(|t| target.contains(t))
            && self.text.as_deref().is_none_or(|t| line.contains(t))
    }
}

/// `chmod`'s mode operand applied to `old` (permission bits): octal
/// (`644`, `4755`) or symbolic clauses separated by commas
/// (`u+x`, `go-w`, `a=r`, `+X`, `u=rw,o=`); `X` adds execute only for
/// directories or files that already have an execute bit.
///
/// # Errors
/// `None` for a malformed mode.
pub fn parse_mode(spec: &str, old: u32, is_dir: bool) -> Option<u32> {
    if !spec.is_empty() && spec.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let m = u32::from_str_radix(spec, 8).ok()?;
        return (m <= 0o7777).then_some(m);
    }
    let mut mode = old & 0o7777;
    for clause in spec.split(',') {
        let b = clause.as_bytes();
        let mut i = 0;
        let mut who = 0u32;
        while i < b.len() && matches!(b[i], b'u' | b'g' | b'o' | b'a') {
            who |= match b[i] {
                b'u' => 0o4700,
                b'g' => 0o2070,
                b'o' => 0o1007,
                _ => 0o7777,
            };
            i += 1;
        }
        // No "who": all (the umask is not applied; Rampart has none).
        if who == 0 {
            who = 0o7777;
        }
        if i >= b.len() {
            return None;
        }
        while i < b.len() {
            let op = b[i];
            if !matches!(op, b'+' | b'-' | b'=') {
                return None;
            }
            i += 1;
            let mut bits = 0u32;
            while i < b.len() && !matches!(b[i], b'+' | b'-' | b'=') {
                bits |= match b[i] {
                    b'r' => 0o444,
                    b'w' => 0o222,
                    b'x' => 0o111,
                    b'X' if is_dir || old & 0o111 != 0 => 0o111,
                    b'X' => 0,
                    b's' => 0o6000,
                    b't' => 0o1000,
                    _ => return None,
                };
                i += 1;
            }
            let bits = bits & who;
            match op {
                b'+' => mode |= bits,
                b'-' => mode &= !bits,
                _ => mode = (mode & !(who & 0o777 | who & 0o7000)) | bits,
            }
        }
    }
    Some(mode)
}

#[cfg(test)]
mod tests {
    #[test]
    fn signal_names_and_the_table() {
        use super::{signal, signal_lookup, signal_table};
        assert_eq!(signal("TERM"), Some(15));
        assert_eq!(signal("sigkill"), Some(9));
        assert_eq!(signal("0"), Some(0));
        assert_eq!(signal("99"), None);
        assert_eq!(signal_lookup("143").as_deref(), Some("TERM"));
        assert_eq!(signal_lookup("2").as_deref(), Some("INT"));
        assert_eq!(signal_lookup("WINCH").as_deref(), Some("28"));
        assert_eq!(signal_lookup("200"), None);
        let t = signal_table();
        assert_eq!(t.len(), 7);
        assert!(t[0].starts_with(" 1) SIGHUP"), "{}", t[0]);
        assert!(t[6].contains("31) SIGSYS"), "{}", t[6]);
    }

    use super::*;

    #[test]
    fn modes() {
        assert_eq!(parse_mode("644", 0o777, false), Some(0o644));
        assert_eq!(parse_mode("4755", 0, false), Some(0o4755));
        assert_eq!(parse_mode("u+x", 0o644, false), Some(0o744));
        assert_eq!(parse_mode("go-r", 0o644, false), Some(0o600));
        assert_eq!(parse_mode("a=r", 0o755, false), Some(0o444));
        assert_eq!(parse_mode("+x", 0o600, false), Some(0o711));
        assert_eq!(parse_mode("u=rw,o=", 0o757, false), Some(0o650));
        assert_eq!(parse_mode("a+X", 0o644, false), Some(0o644));
        assert_eq!(parse_mode("a+X", 0o644, true), Some(0o755));
        assert_eq!(parse_mode("u+s,+t", 0o755, false), Some(0o5755));
        assert_eq!(parse_mode("u+rw-x", 0o711, false), Some(0o611));
        for bad in ["", "u", "q+x", "u+q", "99", "77777", "u+x,"] {
            assert_eq!(parse_mode(bad, 0o644, false), None, "{bad}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("0.25"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration(".5s"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5m"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1d"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_duration("x"), None);
        assert_eq!(parse_duration("."), None);
        assert_eq!(parse_duration("-1"), None);
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("99999999999999999999d"), None);
    }

    #[test]
    fn signals() {
        assert_eq!(signal("9"), Some(9));
        assert_eq!(signal("KILL"), Some(9));
        assert_eq!(signal("sigterm"), Some(15));
        assert_eq!(signal("0"), Some(0));
        assert_eq!(signal("99"), None);
        assert_eq!(signal("BOGUS"), None);
    }

    #[test]
    fn contexts() {
        let c = "user_u:user_r:user_t";
        assert_eq!(compose_context(c, None, None, Some("httpd_t"), None).as_deref(), Some("user_u:user_r:httpd_t"));
        assert_eq!(
            compose_context("root:sysadm_r:sysadm_t:s0", None, Some("user_r"), Some("user_t"), Some("s1")).as_deref(),
            Some("root:user_r:user_t:s1")
        );
        assert_eq!(compose_context(c, None, None, None, Some("s0")).as_deref(), Some("user_u:user_r:user_t:s0"));
        assert_eq!(compose_context("bad", None, None, None, None), None);
        assert_eq!(context_type(c), "user_t");
    }

    #[test]
    fn audit_filters() {
        let f = AuditFilter { denied: Some(true), perm: Some("read".into()), ..Default::default() };
        assert!(f.matches(true, "file", "open read", "a", "b", ""));
        assert!(!f.matches(false, "file", "read", "a", "b", ""));
        assert!(!f.matches(true, "file", "readx", "a", "b", ""));
        let f = AuditFilter { class: Some("dir".into()), source: Some("user_t".into()), ..Default::default() };
        assert!(f.matches(false, "dir", "search", "user_u:user_r:user_t", "x", ""));
        assert!(!f.matches(false, "file", "search", "user_u:user_r:user_t", "x", ""));
        let f = AuditFilter { text: Some("policy".into()), ..Default::default() };
        assert!(f.matches(true, "", "", "", "", "tcontext=system_u:object_r:policy_file_t"));
    }
}
