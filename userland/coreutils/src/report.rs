//! Reports of the system programs: `stat`'s block, `df`'s table, `ps`'s
//! process list, and names from `/etc/passwd` and `/etc/group`.

use crate::fmt::{human, mode_string, stat_time, table};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

/// The name for numeric `id` in a `passwd`- or `group`-style database
/// (`name:x:ID:...` lines).
pub fn id_name(db: &str, id: u32) -> Option<String> {
    db.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        let _ = f.next()?;
        (f.next()?.parse::<u32>().ok()? == id).then(|| name.to_string())
    })
}

/// The numeric id of `name` in a `passwd`- or `group`-style database.
pub fn name_id(db: &str, name: &str) -> Option<u32> {
    db.lines().find_map(|l| {
        let mut f = l.split(':');
        (f.next()? == name).then_some(())?;
        let _ = f.next()?;
        f.next()?.parse().ok()
    })
}

/// What `stat` shows about one file.
#[derive(Clone, Debug, Default)]
pub struct StatInfo {
    /// The name as given.
    pub name: String,
    /// Target of a symbolic link.
    pub link: Option<String>,
    /// Size in bytes.
    pub size: u64,
    /// 512-byte blocks.
    pub blocks: u64,
    /// Preferred I/O size.
    pub blksize: u32,
    /// Full mode.
    pub mode: u32,
    /// Inode.
    pub ino: u64,
    /// Links.
    pub nlink: u32,
    /// Owner and its name.
    pub uid: (u32, String),
    /// Group and its name.
    pub gid: (u32, String),
    /// Security context.
    pub context: Option<String>,
    /// Access, modification, change, birth: (seconds, nanoseconds).
    pub times: [(i64, u32); 3],
    /// Birth, if recorded.
    pub btime: Option<(i64, u32)>,
    /// Major and minor number of a device node (`Device type:`, `%t`,
    /// `%T`); `(0, 0)` for other objects.
    pub rdev: (u32, u32),
}

/// The file type as `stat` names it.
pub fn type_name(mode: u32, size: u64) -> &'static str {
    match mode & 0o170000 {
        0o040000 => "directory",
        0o120000 => "symbolic link",
        0o020000 => "character special file",
        0o060000 => "block special file",
        0o010000 => "fifo",
        0o140000 => "socket",
        _ if size == 0 => "regular empty file",
        _ => "regular file",
    }
}

/// `stat`'s default block (GNU layout; `Context:` as with SELinux).
pub fn stat_block(s: &StatInfo) -> String {
    let mut out = String::new();
    match &s.link {
        Some(t) => out.push_str(&format!("  File: {} -> {}\n", s.name, t)),
        None => out.push_str(&format!("  File: {}\n", s.name)),
    }
    out.push_str(&format!(
        "  Size: {:<10}\tBlocks: {:<10} IO Block: {:<6} {}\n",
        s.size,
        s.blocks,
        s.blksize,
        type_name(s.mode, s.size)
    ));
    out.push_str(&format!("Device: 0,1\tInode: {:<11} Links: {:<5}", s.ino, s.nlink));
    if matches!(s.mode & 0o170000, 0o020000 | 0o060000) {
        out.push_str(&format!(" Device type: {},{}", s.rdev.0, s.rdev.1));
    }
    out = String::from(out.trim_end());
    out.push('\n');
    out.push_str(&format!(
        "Access: ({:04o}/{})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})\n",
        s.mode & 0o7777,
        mode_string(s.mode),
        s.uid.0,
        s.uid.1,
        s.gid.0,
        s.gid.1
    ));
    if let Some(c) = &s.context {
        out.push_str(&format!("Context: {c}\n"));
    }
    for (label, (sec, ns)) in ["Access", "Modify", "Change"].iter().zip(s.times) {
        out.push_str(&format!("{label}: {}\n", stat_time(sec, ns)));
    }
    match s.btime {
        Some((sec, ns)) => out.push_str(&format!(" Birth: {}\n", stat_time(sec, ns))),
        None => out.push_str(" Birth: -\n"),
    }
    out
}

/// Expands a `stat -c` format: `%n %N %s %b %B %f %a %A %F %i %h %u %U
/// %g %G %C %t %T %x %y %z %X %Y %Z %%` (`%t`/`%T`: a device node's major
/// and minor number in hex); other conversions are kept as written.
pub fn stat_format(fmt: &str, s: &StatInfo) -> String {
    let mut out = String::new();
    let mut it = fmt.chars();
    while let Some(c) = it.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(k) = it.next() else {
            out.push('%');
            break;
        };
        let v = match k {
            'n' => s.name.clone(),
            'N' => match &s.link {
                Some(t) => format!("'{}' -> '{}'", s.name, t),
                None => format!("'{}'", s.name),
            },
            's' => s.size.to_string(),
            'b' => s.blocks.to_string(),
            'B' => "512".into(),
            'f' => format!("{:x}", s.mode),
            'a' => format!("{:o}", s.mode & 0o7777),
            'A' => mode_string(s.mode),
            'F' => type_name(s.mode, s.size).into(),
            'i' => s.ino.to_string(),
            't' => format!("{:x}", s.rdev.0),
            'T' => format!("{:x}", s.rdev.1),
            'h' => s.nlink.to_string(),
            'u' => s.uid.0.to_string(),
            'U' => s.uid.1.clone(),
            'g' => s.gid.0.to_string(),
            'G' => s.gid.1.clone(),
            'C' => s.context.clone().unwrap_or_else(|| "?".into()),
            'x' => stat_time(s.times[0].0, s.times[0].1),
            'y' => stat_time(s.times[1].0, s.times[1].1),
            'z' => stat_time(s.times[2].0, s.times[2].1),
            'X' => s.times[0].0.to_string(),
            'Y' => s.times[1].0.to_string(),
            'Z' => s.times[2].0.to_string(),
            '%' => "%".into(),
            other => format!("%{other}"),
        };
        out.push_str(&v);
    }
    out
}

/// One file system for `df`.
#[derive(Clone, Debug, Default)]
pub struct DfRow {
    /// Device name.
    pub source: String,
    /// Mount point.
    pub target: String,
    /// Block size.
    pub bsize: u64,
    /// Total, free, available-to-users blocks.
    pub blocks: (u64, u64, u64),
    /// Total and free inodes.
    pub inodes: (u64, u64),
}

/// `df`'s table: 1K-blocks (or `-h` sizes, or `-i` inodes).
pub fn df_table(rows: &[DfRow], human_sizes: bool, inodes: bool) -> Vec<String> {
    let mut t = Vec::new();
    if inodes {
        t.push(["Filesystem", "Inodes", "IUsed", "IFree", "IUse%", "Mounted on"].map(String::from).to_vec());
    } else if human_sizes {
        t.push(["Filesystem", "Size", "Used", "Avail", "Use%", "Mounted on"].map(String::from).to_vec());
    } else {
        t.push(["Filesystem", "1K-blocks", "Used", "Available", "Use%", "Mounted on"].map(String::from).to_vec());
    }
    let pct = |used: u64, avail: u64| {
        if used + avail == 0 { "-".to_string() } else { format!("{}%", (used * 100).div_ceil(used + avail)) }
    };
    for r in rows {
        if inodes {
            let used = r.inodes.0.saturating_sub(r.inodes.1);
            t.push(vec![
                r.source.clone(),
                r.inodes.0.to_string(),
                used.to_string(),
                r.inodes.1.to_string(),
                pct(used, r.inodes.1),
                r.target.clone(),
            ]);
            continue;
        }
        let (total, free, avail) = (r.blocks.0 * r.bsize, r.blocks.1 * r.bsize, r.blocks.2 * r.bsize);
        let used = total.saturating_sub(free);
        let show = |b: u64| if human_sizes { human(b) } else { b.div_ceil(1024).to_string() };
        t.push(vec![r.source.clone(), show(total), show(used), show(avail), pct(used, avail), r.target.clone()]);
    }
    table(&t, &[false, true, true, true, true, false])
}

/// One process for `ps`.
#[derive(Clone, Debug, Default)]
pub struct PsRow {
    /// Pid.
    pub pid: u32,
    /// Parent pid.
    pub ppid: u32,
    /// Security context.
    pub context: String,
    /// Bytes charged for it.
    pub charged: u64,
    /// Program name (its `argv[0]`).
    pub name: String,
    /// Processor time used, in microseconds.
    pub cpu_us: u64,
}

/// Processor time as BSD `ps` shows `TIME`: minutes, seconds and
/// hundredths (`M:SS.hh`).
pub fn cpu_time(us: u64) -> String {
    let cs = us / 10_000;
    format!("{}:{:02}.{:02}", cs / 6000, cs / 100 % 60, cs % 100)
}

/// One row of `ipcs`: a mapping of `owner`'s shared region into `mapper`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpcsRow {
    /// rm's region number.
    pub region: u32,
    /// The region's owner (pid).
    pub owner: u32,
    /// The process it is mapped into (pid).
    pub mapper: u32,
    /// Size in bytes.
    pub bytes: u64,
    /// Mapped writable.
    pub writable: bool,
}

/// `ipcs`'s table: `REGION OWNER MAPPER BYTES PERMS` (`rw` or `ro`), one
/// line per mapping (Linux `ipcs -m` lists segments with owner, bytes and
/// attached count; here each attachment is a line).
pub fn ipcs_table(rows: &[IpcsRow]) -> Vec<String> {
    let mut t = alloc::vec![["REGION", "OWNER", "MAPPER", "BYTES", "PERMS"].map(String::from).to_vec()];
    for r in rows {
        let perms = if r.writable { "rw" } else { "ro" };
        t.push(alloc::vec![
            r.region.to_string(),
            r.owner.to_string(),
            r.mapper.to_string(),
            r.bytes.to_string(),
            perms.to_string()
        ]);
    }
    table(&t, &[true, true, true, true, false])
}

/// `ps`'s table: `PID PPID CMD`, with `-Z` the `LABEL` first and with
/// `-l` the memory charged (KiB) and the processor time used (`TIME`).
pub fn ps_table(rows: &[PsRow], context: bool, long: bool) -> Vec<String> {
    let mut t = Vec::new();
    let mut right = Vec::new();
    let mut head = Vec::new();
    if context {
        head.push("LABEL".to_string());
        right.push(false);
    }
    head.extend(["PID".to_string(), "PPID".to_string()]);
    right.extend([true, true]);
    if long {
        head.extend(["MEM(K)".to_string(), "TIME".to_string()]);
        right.extend([true, true]);
    }
    head.push("CMD".into());
    right.push(false);
    t.push(head);
    for r in rows {
        let mut l = Vec::new();
        if context {
            l.push(r.context.clone());
        }
        l.push(r.pid.to_string());
        l.push(r.ppid.to_string());
        if long {
            l.push(r.charged.div_ceil(1024).to_string());
            l.push(cpu_time(r.cpu_us));
        }
        l.push(r.name.clone());
        t.push(l);
    }
    table(&t, &right)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n";

    #[test]
    fn names_and_ids() {
        assert_eq!(id_name(PASSWD, 1000).as_deref(), Some("user"));
        assert_eq!(id_name(PASSWD, 0).as_deref(), Some("root"));
        assert_eq!(id_name(PASSWD, 7), None);
        assert_eq!(id_name("garbage\n::x:\n", 0), None);
        assert_eq!(name_id(PASSWD, "user"), Some(1000));
        assert_eq!(name_id(PASSWD, "nobody"), None);
    }

    fn info() -> StatInfo {
        StatInfo {
            name: "notes.txt".into(),
            size: 12,
            blocks: 8,
            blksize: 4096,
            mode: 0o100644,
            ino: 14,
            nlink: 1,
            uid: (1000, "user".into()),
            gid: (1000, "user".into()),
            context: Some("user_u:object_r:user_home_t".into()),
            times: [(1_767_225_600, 0), (1_767_225_601, 5), (1_767_225_602, 0)],
            ..Default::default()
        }
    }

    #[test]
    fn stat_output() {
        let b = stat_block(&info());
        assert!(
            b.starts_with("  File: notes.txt\n  Size: 12        \tBlocks: 8          IO Block: 4096   regular file\n"),
            "{b}"
        );
        assert!(b.contains("Access: (0644/-rw-r--r--)  Uid: ( 1000/    user)   Gid: ( 1000/    user)\n"), "{b}");
        assert!(b.contains("Context: user_u:object_r:user_home_t\n"));
        assert!(b.contains("Modify: 2026-01-01 00:00:01.000000005 +0000\n"));
        assert!(b.ends_with(" Birth: -\n"));
        assert_eq!(
            stat_format("%n %s %a %A %U %C %F %%%q", &info()),
            "notes.txt 12 644 -rw-r--r-- user user_u:object_r:user_home_t regular file %%q"
        );
        assert_eq!(type_name(0o100644, 0), "regular empty file");
        assert!(b.contains("Device: 0,1\tInode: 14          Links: 1\n"), "{b}");
    }

    #[test]
    fn stat_of_a_device_node() {
        let null = StatInfo { name: "/dev/null".into(), mode: 0o020666, ino: 3, rdev: (1, 3), ..info() };
        let b = stat_block(&null);
        assert!(b.contains("character special file\n"), "{b}");
        assert!(b.contains("Inode: 3           Links: 1     Device type: 1,3\n"), "{b}");
        assert_eq!(stat_format("%F %t,%T %a", &null), "character special file 1,3 666");
    }

    #[test]
    fn df_output() {
        let r = DfRow {
            source: "blk0".into(),
            target: "/".into(),
            bsize: 4096,
            blocks: (16384, 12288, 12288),
            inodes: (16384, 16000),
        };
        assert_eq!(
            df_table(core::slice::from_ref(&r), false, false),
            vec!["Filesystem 1K-blocks  Used Available Use% Mounted on", "blk0           65536 16384     49152  25% /"]
        );
        assert_eq!(df_table(core::slice::from_ref(&r), true, false)[1], "blk0        64M  16M   48M  25% /");
        assert_eq!(df_table(&[r], false, true)[1], "blk0        16384   384 16000    3% /");
    }

    #[test]
    fn ps_output() {
        let rows = [
            PsRow {
                pid: 9,
                ppid: 8,
                context: "user_u:user_r:user_t".into(),
                charged: 300_000,
                name: "sh".into(),
                cpu_us: 61_234_567,
            },
            PsRow {
                pid: 12,
                ppid: 9,
                context: "user_u:user_r:user_t".into(),
                charged: 2048,
                name: "ps".into(),
                cpu_us: 9_999,
            },
        ];
        assert_eq!(ps_table(&rows, false, false), vec!["PID PPID CMD", "  9    8 sh", " 12    9 ps"]);
        assert_eq!(
            ps_table(&rows, true, true),
            vec![
                "LABEL                PID PPID MEM(K)    TIME CMD",
                "user_u:user_r:user_t   9    8    293 1:01.23 sh",
                "user_u:user_r:user_t  12    9      2 0:00.00 ps"
            ]
        );
    }
}
