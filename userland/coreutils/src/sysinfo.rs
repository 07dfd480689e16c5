//! Output of `free` and `uptime`, and the device names of `mount`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// `free`'s unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// `-b`.
    Bytes,
    /// `-k` (the default).
    Kibi,
    /// `-m`.
    Mebi,
    /// `-g`.
    Gibi,
    /// `-h`: the largest unit that keeps the number small (`1.5Gi`).
    Human,
}

fn amount(bytes: u64, unit: Unit) -> String {
    match unit {
        Unit::Bytes => format!("{bytes}"),
        Unit::Kibi => format!("{}", bytes >> 10),
        Unit::Mebi => format!("{}", bytes >> 20),
        Unit::Gibi => format!("{}", bytes >> 30),
        Unit::Human => {
            let units = ["B", "Ki", "Mi", "Gi", "Ti"];
            let mut v = bytes as f64;
            let mut i = 0;
            while v >= 1024.0 && i + 1 < units.len() {
                v /= 1024.0;
                i += 1;
            }
            if i == 0 {
                format!("{bytes}B")
            } else if v < 10.0 {
                format!("{v:.1}{}", units[i])
            } else {
                format!("{v:.0}{}", units[i])
            }
        }
    }
}

/// `free`'s table for `total` bytes of RAM of which `free` are free (the
/// resource manager's statistics; there is no swap, no shared memory
/// accounting and no page cache outside the servers).
pub fn free_table(total: u64, free: u64, unit: Unit) -> Vec<String> {
    let used = total.saturating_sub(free);
    let row = |label: &str, vals: [u64; 6]| {
        let mut l = format!("{label:<8}");
        for v in vals {
            l.push_str(&format!("{:>12}", amount(v, unit)));
        }
        l
    };
    let swap = |label: &str| {
        let mut l = format!("{label:<8}");
        for _ in 0..3 {
            l.push_str(&format!("{:>12}", amount(0, unit)));
        }
        l
    };
    alloc::vec![
        format!("{:>20}{:>12}{:>12}{:>12}{:>12}{:>12}", "total", "used", "free", "shared", "buff/cache", "available"),
        row("Mem:", [total, used, free, 0, 0, free]),
        swap("Swap:"),
    ]
}

/// How long the system has been up, as `uptime` says it: `5 min`,
/// ` 2:03`, `3 days,  2:03`.
pub fn uptime_short(secs: u64) -> String {
    let days = secs / 86400;
    let hours = secs % 86400 / 3600;
    let mins = secs % 3600 / 60;
    let mut s = String::new();
    if days > 0 {
        s.push_str(&format!("{days} day{}, ", if days == 1 { "" } else { "s" }));
    }
    if hours > 0 {
        s.push_str(&format!("{hours:2}:{mins:02}"));
    } else {
        s.push_str(&format!("{mins} min"));
    }
    s
}

/// `uptime -p`: `up 1 day, 2 hours, 3 minutes`.
pub fn uptime_pretty(secs: u64) -> String {
    let parts = [
        (secs / 604800, "week"),
        (secs % 604800 / 86400, "day"),
        (secs % 86400 / 3600, "hour"),
        (secs % 3600 / 60, "minute"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, w)| format!("{n} {w}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if words.is_empty() { String::from("up 0 minutes") } else { format!("up {}", words.join(", ")) }
}

/// The device manager's name for a `mount` device argument: `blk1` or
/// `/dev/blk1`.
///
/// # Errors
/// A message for a name that cannot be a device.
pub fn device_name(arg: &str) -> Result<String, String> {
    let name = arg.strip_prefix("/dev/").unwrap_or(arg);
    if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!("{arg}: not a block device name (like /dev/blk1)"));
    }
    Ok(name.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_output() {
        let t = free_table(64 << 20, 16 << 20, Unit::Kibi);
        assert_eq!(t[0], "               total        used        free      shared  buff/cache   available");
        assert_eq!(t[1], "Mem:           65536       49152       16384           0           0       16384");
        assert_eq!(t[2], "Swap:              0           0           0");
        let h = free_table(3 << 29, 1 << 20, Unit::Human);
        assert_eq!(h[1], "Mem:           1.5Gi       1.5Gi       1.0Mi          0B          0B       1.0Mi");
        assert!(free_table(1 << 30, 0, Unit::Mebi)[1].contains("1024"));
        assert!(free_table(1 << 30, 0, Unit::Gibi)[1].starts_with("Mem:               1"));
        assert!(free_table(2048, 0, Unit::Bytes)[1].contains("2048"));
    }

    #[test]
    fn uptimes() {
        assert_eq!(uptime_short(59), "0 min");
        assert_eq!(uptime_short(5 * 60 + 3), "5 min");
        assert_eq!(uptime_short(2 * 3600 + 3 * 60), " 2:03");
        assert_eq!(uptime_short(86400 + 3600), "1 day,  1:00");
        assert_eq!(uptime_short(3 * 86400 + 60), "3 days, 1 min");
        assert_eq!(uptime_pretty(30), "up 0 minutes");
        assert_eq!(uptime_pretty(86400 + 2 * 3600 + 60), "up 1 day, 2 hours, 1 minute");
        assert_eq!(uptime_pretty(8 * 86400), "up 1 week, 1 day");
    }

    #[test]
    fn devices() {
        assert_eq!(device_name("/dev/blk1"), Ok("blk1".into()));
        assert_eq!(device_name("blk2"), Ok("blk2".into()));
        assert!(device_name("/dev/").is_err());
        assert!(device_name("../x").is_err());
    }
}
