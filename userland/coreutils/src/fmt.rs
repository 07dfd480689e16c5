//! Formatting shared by the programs: permission strings, human-readable
//! sizes, calendar dates (UTC; Rampart has no time zones), `strftime`-style
//! formats, and `ls`-style columns.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// The `ls -l` string of a full mode: type letter and `rwx` triplets with
/// set-id and sticky bits (`drwxr-xr-x`, `-rwsr-xr-x`, `lrwxrwxrwx`).
pub fn mode_string(mode: u32) -> String {
    let t = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut s = String::with_capacity(10);
    s.push(t);
    let special = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
    for (i, shift) in [6u32, 3, 0].into_iter().enumerate() {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        let (flag, on, off) = special[i];
        s.push(match (bits & 1 != 0, mode & flag != 0) {
            (true, true) => on,
            (false, true) => off,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

/// A size for people: `512`, `1.5K`, `23M` (powers of 1024, one decimal
/// below 10, rounded up like GNU `-h`).
pub fn human(n: u64) -> String {
    const UNITS: [&str; 6] = ["K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return format!("{n}");
    }
    let mut div = 1024u128;
    let mut unit = 0;
    while u128::from(n) >= div * 1024 && unit < UNITS.len() - 1 {
        div *= 1024;
        unit += 1;
    }
    let n = u128::from(n);
    // Tenths, rounded up.
    let tenths = (n * 10).div_ceil(div);
    if tenths < 100 {
        format!("{}.{}{}", tenths / 10, tenths % 10, UNITS[unit])
    } else {
        format!("{}{}", n.div_ceil(div), UNITS[unit])
    }
}

/// A calendar time in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Civil {
    /// Year (e.g. 2026).
    pub year: i64,
    /// Month, 1..=12.
    pub month: u32,
    /// Day of the month, 1..=31.
    pub day: u32,
    /// Hour, 0..=23.
    pub hour: u32,
    /// Minute.
    pub min: u32,
    /// Second.
    pub sec: u32,
    /// Day of the week, 0 = Sunday.
    pub weekday: u32,
    /// Day of the year, 1..=366.
    pub yday: u32,
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS_LONG: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS_LONG: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Seconds since the Unix epoch as a UTC calendar time (proleptic
/// Gregorian; H. Hinnant's days-from-civil inverse).
pub fn civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let cum = [0u32, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = cum[month as usize - 1] + day + u32::from(month > 2 && is_leap(year));
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        min: rem / 60 % 60,
        sec: rem % 60,
        weekday: (days + 4).rem_euclid(7) as u32,
        yday,
    }
}

/// Formats `secs` (UTC) with a `strftime` subset: `%Y %m %d %H %M %S %y %e
/// %j %a %A %b %h %B %p %I %s %F %T %D %R %c %Z %z %n %t %%`; unknown
/// conversions are kept as written.
pub fn strftime(fmt: &str, secs: i64, nanos: u32) -> String {
    let c = civil(secs);
    let mut out = String::new();
    let mut it = fmt.chars();
    while let Some(ch) = it.next() {
        if ch != '%' {
            out.push(ch);
            continue;
        }
        let Some(k) = it.next() else {
            out.push('%');
            break;
        };
        let _ = match k {
            'Y' => write!(out, "{}", c.year),
            'y' => write!(out, "{:02}", c.year.rem_euclid(100)),
            'm' => write!(out, "{:02}", c.month),
            'd' => write!(out, "{:02}", c.day),
            'e' => write!(out, "{:2}", c.day),
            'H' => write!(out, "{:02}", c.hour),
            'I' => write!(out, "{:02}", (c.hour + 11) % 12 + 1),
            'p' => write!(out, "{}", if c.hour < 12 { "AM" } else { "PM" }),
            'M' => write!(out, "{:02}", c.min),
            'S' => write!(out, "{:02}", c.sec),
            'N' => write!(out, "{nanos:09}"),
            'j' => write!(out, "{:03}", c.yday),
            'a' => write!(out, "{}", DAYS[c.weekday as usize]),
            'A' => write!(out, "{}", DAYS_LONG[c.weekday as usize]),
            'b' | 'h' => write!(out, "{}", MONTHS[c.month as usize - 1]),
            'B' => write!(out, "{}", MONTHS_LONG[c.month as usize - 1]),
            'u' => write!(out, "{}", if c.weekday == 0 { 7 } else { c.weekday }),
            'w' => write!(out, "{}", c.weekday),
            's' => write!(out, "{secs}"),
            'F' => write!(out, "{}-{:02}-{:02}", c.year, c.month, c.day),
            'T' => write!(out, "{:02}:{:02}:{:02}", c.hour, c.min, c.sec),
            'R' => write!(out, "{:02}:{:02}", c.hour, c.min),
            'D' => write!(out, "{:02}/{:02}/{:02}", c.month, c.day, c.year.rem_euclid(100)),
            'c' => write!(out, "{}", strftime("%a %b %e %H:%M:%S %Y", secs, nanos)),
            'Z' => write!(out, "UTC"),
            'z' => write!(out, "+0000"),
            'n' => writeln!(out),
            't' => write!(out, "\t"),
            '%' => write!(out, "%"),
            other => write!(out, "%{other}"),
        };
    }
    out
}

/// `date`'s default output: `Thu Jan  1 00:00:00 UTC 2026`.
pub fn date_default(secs: i64) -> String {
    strftime("%a %b %e %H:%M:%S %Z %Y", secs, 0)
}

/// `ls -l`'s time column: `Jan  1 12:34` within six months of `now`,
/// else `Jan  1  2025`.
pub fn ls_time(secs: i64, now: i64) -> String {
    const HALF_YEAR: i64 = 182 * 86_400;
    if (now - secs).abs() < HALF_YEAR { strftime("%b %e %H:%M", secs, 0) } else { strftime("%b %e  %Y", secs, 0) }
}

/// `stat`'s time format: `2026-01-01 00:00:00.000000000 +0000`.
pub fn stat_time(secs: i64, nanos: u32) -> String {
    strftime("%Y-%m-%d %H:%M:%S.%N %z", secs, nanos)
}

/// Lays `names` out in columns down then across, as `ls` does on a
/// terminal `width` characters wide (two spaces between columns).
pub fn columns(names: &[String], width: usize) -> Vec<String> {
    if names.is_empty() {
        return Vec::new();
    }
    let lens: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    let mut best = 1;
    for cols in (1..=names.len()).rev() {
        let rows = names.len().div_ceil(cols);
        let total: usize = (0..cols)
            .map(|c| (0..rows).filter_map(|r| lens.get(c * rows + r)).copied().max().unwrap_or(0))
            .map(|w| w + 2)
            .sum();
        if total <= width + 2 {
            best = cols;
            break;
        }
    }
    let rows = names.len().div_ceil(best);
    let widths: Vec<usize> =
        (0..best).map(|c| (0..rows).filter_map(|r| lens.get(c * rows + r)).copied().max().unwrap_or(0)).collect();
    let mut out = Vec::new();
    for r in 0..rows {
        let mut line = String::new();
        for (c, w) in widths.iter().enumerate() {
            let i = c * rows + r;
            let Some(n) = names.get(i) else { break };
            line.push_str(n);
            if names.get((c + 1) * rows + r).is_some() {
                for _ in lens[i]..w + 2 {
                    line.push(' ');
                }
            }
        }
        out.push(line);
    }
    out
}

/// Rows of cells as a table: every column padded to its widest cell, numbers
/// (`right[i]`) right-aligned, one space between columns, the last column
/// not padded.
pub fn table(rows: &[Vec<String>], right: &[bool]) -> Vec<String> {
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = alloc::vec![0usize; ncols];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    rows.iter()
        .map(|r| {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate() {
                if i > 0 {
                    line.push(' ');
                }
                let pad = widths[i] - c.chars().count();
                let last = i + 1 == r.len();
                if right.get(i).copied().unwrap_or(false) {
                    line.extend(core::iter::repeat_n(' ', pad));
                    line.push_str(c);
                } else {
                    line.push_str(c);
                    if !last {
                        line.extend(core::iter::repeat_n(' ', pad));
                    }
                }
            }
            line
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn modes() {
        assert_eq!(mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(mode_string(0o100644), "-rw-r--r--");
        assert_eq!(mode_string(0o120777), "lrwxrwxrwx");
        assert_eq!(mode_string(0o104755), "-rwsr-xr-x");
        assert_eq!(mode_string(0o041777), "drwxrwxrwt");
        assert_eq!(mode_string(0o101644), "-rw-r--r-T");
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0");
        assert_eq!(human(1023), "1023");
        assert_eq!(human(1024), "1.0K");
        assert_eq!(human(1536), "1.5K");
        assert_eq!(human(1537), "1.6K");
        assert_eq!(human(10 * 1024), "10K");
        assert_eq!(human(64 << 20), "64M");
        assert_eq!(human(u64::MAX), "16E");
    }

    #[test]
    fn calendar() {
        let c = civil(0);
        assert_eq!((c.year, c.month, c.day, c.weekday, c.yday), (1970, 1, 1, 4, 1));
        let c = civil(1_767_225_600); // 2026-01-01
        assert_eq!((c.year, c.month, c.day, c.hour, c.weekday), (2026, 1, 1, 0, 4));
        let c = civil(951_782_400 + 86_399); // 2000-02-29 23:59:59
        assert_eq!((c.year, c.month, c.day, c.hour, c.min, c.sec, c.yday), (2000, 2, 29, 23, 59, 59, 60));
        let c = civil(-1);
        assert_eq!((c.year, c.month, c.day, c.hour), (1969, 12, 31, 23));
    }

    #[test]
    fn formats() {
        let t = 1_767_225_600 + 13 * 3600 + 5 * 60 + 9;
        assert_eq!(strftime("%F %T", t, 0), "2026-01-01 13:05:09");
        assert_eq!(strftime("%a %b %e %I%p %j %s %% %q", t, 0), "Thu Jan  1 01PM 001 1767272709 % %q");
        assert_eq!(date_default(t), "Thu Jan  1 13:05:09 UTC 2026");
        assert_eq!(ls_time(t, t + 60), "Jan  1 13:05");
        assert_eq!(ls_time(t, t + 365 * 86_400), "Jan  1  2026");
        assert_eq!(stat_time(t, 5), "2026-01-01 13:05:09.000000005 +0000");
        assert_eq!(strftime("100%", t, 0), "100%");
    }

    #[test]
    fn column_layout() {
        let names: Vec<String> = ["a", "bb", "ccc", "d", "eeeee"].iter().map(|s| s.to_string()).collect();
        assert_eq!(columns(&names, 80), vec!["a  bb  ccc  d  eeeee"]);
        assert_eq!(columns(&names, 10), vec!["a    d", "bb   eeeee", "ccc"]);
        assert_eq!(columns(&names, 1).len(), 5);
        assert!(columns(&[], 80).is_empty());
    }

    #[test]
    fn tables() {
        let rows = vec![
            vec!["PID".to_string(), "CMD".to_string()],
            vec!["7".to_string(), "sh".to_string()],
            vec!["12".to_string(), "ps -Z".to_string()],
        ];
        assert_eq!(table(&rows, &[true, false]), vec!["PID CMD", "  7 sh", " 12 ps -Z"]);
    }
}
