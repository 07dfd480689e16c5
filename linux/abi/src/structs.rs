//! Linux structures the personality writes into a program's memory, with
//! their x86_64 layouts, as little-endian byte images (the shim copies the
//! bytes; no `repr(C)` struct is ever placed at a program-chosen address).

use alloc::vec::Vec;

/// File type bits of `st_mode` (inode(7)).
pub mod mode {
    /// Mask of the file type bits.
    pub const S_IFMT: u32 = 0o170_000;
    /// Directory.
    pub const S_IFDIR: u32 = 0o040_000;
    /// Character device.
    pub const S_IFCHR: u32 = 0o020_000;
    /// FIFO (pipe).
    pub const S_IFIFO: u32 = 0o010_000;
    /// Regular file.
    pub const S_IFREG: u32 = 0o100_000;
    /// Symbolic link.
    pub const S_IFLNK: u32 = 0o120_000;
}

/// `struct stat` for x86_64 (`arch/x86/include/uapi/asm/stat.h`; stat(2)):
/// 144 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Device.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Hard links.
    pub nlink: u64,
    /// Type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number (special files).
    pub rdev: u64,
    /// Size in bytes.
    pub size: i64,
    /// Preferred I/O size in bytes.
    pub blksize: i64,
    /// 512-byte blocks allocated.
    pub blocks: i64,
    /// Last access, seconds and nanoseconds since the Epoch.
    pub atime: (i64, i64),
    /// Last modification.
    pub mtime: (i64, i64),
    /// Last status change.
    pub ctime: (i64, i64),
}

/// Size of `struct stat` on x86_64.
pub const STAT_SIZE: usize = 144;

impl Stat {
    /// The byte image Linux programs read.
    pub fn to_bytes(&self) -> [u8; STAT_SIZE] {
        let mut b = [0u8; STAT_SIZE];
        let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
        put(0, &self.dev.to_le_bytes());
        put(8, &self.ino.to_le_bytes());
        put(16, &self.nlink.to_le_bytes());
        put(24, &self.mode.to_le_bytes());
        put(28, &self.uid.to_le_bytes());
        put(32, &self.gid.to_le_bytes());
        // 36: __pad0
        put(40, &self.rdev.to_le_bytes());
        put(48, &self.size.to_le_bytes());
        put(56, &self.blksize.to_le_bytes());
        put(64, &self.blocks.to_le_bytes());
        put(72, &self.atime.0.to_le_bytes());
        put(80, &self.atime.1.to_le_bytes());
        put(88, &self.mtime.0.to_le_bytes());
        put(96, &self.mtime.1.to_le_bytes());
        put(104, &self.ctime.0.to_le_bytes());
        put(112, &self.ctime.1.to_le_bytes());
        // 120..144: __unused[3]
        b
    }
}

/// `struct new_utsname` (`include/uapi/linux/utsname.h`; uname(2)): six
/// 65-byte NUL-terminated fields. Longer values are truncated.
pub fn utsname(sysname: &str, nodename: &str, release: &str, version: &str, machine: &str) -> [u8; 390] {
    let mut b = [0u8; 390];
    for (i, f) in [sysname, nodename, release, version, machine, "(none)"].iter().enumerate() {
        let n = f.len().min(64);
        b[i * 65..i * 65 + n].copy_from_slice(&f.as_bytes()[..n]);
    }
    b
}

/// `struct termios` as the kernel's `TCGETS` returns it
/// (`include/uapi/asm-generic/termbits.h`; termios(3)): four `u32` flag
/// words, `c_line`, 19 control characters — 36 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    /// Input flags.
    pub iflag: u32,
    /// Output flags.
    pub oflag: u32,
    /// Control flags.
    pub cflag: u32,
    /// Local flags.
    pub lflag: u32,
    /// Control characters (`VINTR`..).
    pub cc: [u8; 19],
}

/// `ioctl` request: get the terminal's attributes (ioctl_tty(2)).
pub const TCGETS: u64 = 0x5401;
/// `ioctl` request: set them now.
pub const TCSETS: u64 = 0x5402;
/// `ioctl` request: get the window size.
pub const TIOCGWINSZ: u64 = 0x5413;

impl Termios {
    /// A cooked terminal as Linux's `tty_std_termios` sets it (ICRNL|IXON,
    /// OPOST|ONLCR, B38400|CS8|CREAD|HUPCL, ISIG|ICANON|ECHO|ECHOE|ECHOK|
    /// ECHOCTL|ECHOKE|IEXTEN; `INIT_C_CC`).
    pub const fn cooked() -> Termios {
        Termios {
            iflag: 0o000_400 | 0o002_000,
            oflag: 0o000_001 | 0o000_004,
            cflag: 0o000_017 | 0o000_060 | 0o000_200 | 0o002_000,
            lflag: 0o000_001 | 0o000_002 | 0o000_010 | 0o000_020 | 0o000_040 | 0o001_000 | 0o004_000 | 0o100_000,
            cc: [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0],
        }
    }

    /// The 36-byte image.
    pub fn to_bytes(&self) -> [u8; 36] {
        let mut b = [0u8; 36];
        b[0..4].copy_from_slice(&self.iflag.to_le_bytes());
        b[4..8].copy_from_slice(&self.oflag.to_le_bytes());
        b[8..12].copy_from_slice(&self.cflag.to_le_bytes());
        b[12..16].copy_from_slice(&self.lflag.to_le_bytes());
        b[17..36].copy_from_slice(&self.cc);
        b
    }
}

/// `struct winsize` (rows, columns, then two unused pixel sizes): 8 bytes.
pub fn winsize(rows: u16, cols: u16) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[0..2].copy_from_slice(&rows.to_le_bytes());
    b[2..4].copy_from_slice(&cols.to_le_bytes());
    b
}

/// File type in a `linux_dirent64` (`DT_*`; getdents64(2)).
pub mod dtype {
    /// Unknown.
    pub const DT_UNKNOWN: u8 = 0;
    /// Directory.
    pub const DT_DIR: u8 = 4;
    /// Regular file.
    pub const DT_REG: u8 = 8;
    /// Symbolic link.
    pub const DT_LNK: u8 = 10;
}

/// Appends one `struct linux_dirent64` (`d_ino` u64, `d_off` i64,
/// `d_reclen` u16, `d_type` u8, NUL-terminated name, padded to 8 bytes) to
/// `out` if it fits in `cap` bytes in all; returns false (appending
/// nothing) otherwise, as getdents64(2) stops at a full buffer.
pub fn push_dirent64(out: &mut Vec<u8>, cap: usize, ino: u64, off: i64, dtype: u8, name: &[u8]) -> bool {
    let reclen = (19 + name.len() + 1).next_multiple_of(8);
    if out.len() + reclen > cap || reclen > u16::MAX as usize {
        return false;
    }
    out.extend_from_slice(&ino.to_le_bytes());
    out.extend_from_slice(&off.to_le_bytes());
    out.extend_from_slice(&(reclen as u16).to_le_bytes());
    out.push(dtype);
    out.extend_from_slice(name);
    out.resize(out.len() + reclen - 19 - name.len(), 0);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_layout_matches_glibc() {
        let s = Stat { ino: 12, mode: mode::S_IFREG | 0o644, uid: 1000, size: 27, mtime: (5, 6), ..Stat::default() };
        let b = s.to_bytes();
        assert_eq!(u64::from_le_bytes(b[8..16].try_into().unwrap()), 12);
        assert_eq!(u32::from_le_bytes(b[24..28].try_into().unwrap()), 0o100_644);
        assert_eq!(u32::from_le_bytes(b[28..32].try_into().unwrap()), 1000);
        assert_eq!(i64::from_le_bytes(b[48..56].try_into().unwrap()), 27);
        assert_eq!(i64::from_le_bytes(b[88..96].try_into().unwrap()), 5, "st_mtim.tv_sec at 88");
        assert_eq!(b.len(), 144);
    }

    #[test]
    fn utsname_truncates_and_terminates() {
        let long = "x".repeat(100);
        let u = utsname("Linux", &long, "6.1.0-rampart", "#1", "x86_64");
        assert_eq!(&u[0..6], b"Linux\0");
        assert_eq!(u[65 + 64], 0, "a 100-byte nodename keeps its NUL");
        assert_eq!(&u[4 * 65..4 * 65 + 7], b"x86_64\0");
    }

    #[test]
    fn termios_and_dirents() {
        let t = Termios::cooked().to_bytes();
        assert_eq!(u32::from_le_bytes(t[12..16].try_into().unwrap()) & 0o2, 0o2, "ICANON");
        assert_eq!(t[17], 3, "VINTR is ^C");
        let mut out = Vec::new();
        assert!(push_dirent64(&mut out, 64, 2, 1, dtype::DT_DIR, b"."));
        assert_eq!(out.len(), 24);
        assert_eq!(u16::from_le_bytes(out[16..18].try_into().unwrap()), 24);
        assert!(!push_dirent64(&mut out, 64, 3, 2, dtype::DT_REG, &[b'a'; 40]), "does not fit");
        assert_eq!(out.len(), 24, "nothing appended");
    }
}
