//! What a Linux program's `struct termios` means for Rampart's terminal
//! (termios(3), ioctl_tty(2)): the few local-mode flags the console's line
//! discipline models, and the `VMIN`/`VTIME` rules of non-canonical reads.
//!
//! The console knows three settings of a terminal (docs/console.md):
//! canonical (cooked) or not (raw), echo, and whether the signal keys
//! signal (`ISIG`). Everything else in a `termios` (input and output
//! processing flags, the control characters) is the program's to set and
//! read back: the shim keeps the last image a program set and overlays the
//! console's three settings on it, so `TCGETS` tells the truth about what
//! the terminal does even after another process changed it.

use crate::structs::Termios;

/// `c_lflag` `ISIG`: the INTR, QUIT and SUSP characters raise signals.
pub const ISIG: u32 = 0o000_001;
/// `c_lflag` `ICANON`: canonical mode (line editing, reads by line).
pub const ICANON: u32 = 0o000_002;
/// `c_lflag` `ECHO`: echo input characters.
pub const ECHO: u32 = 0o000_010;
/// Index of `VTIME` in `c_cc`: timeout of a non-canonical read, in
/// deciseconds.
pub const VTIME: usize = 5;
/// Index of `VMIN` in `c_cc`: fewest bytes a non-canonical read waits for.
pub const VMIN: usize = 6;

/// `ioctl` request `TCSETSW`: set the attributes after output drains.
pub const TCSETSW: u64 = 0x5403;
/// `ioctl` request `TCSETSF`: drain output, discard pending input, set.
pub const TCSETSF: u64 = 0x5404;
/// `ioctl` request `TIOCGPGRP`: the terminal's foreground process group.
pub const TIOCGPGRP: u64 = 0x540F;
/// `ioctl` request `TIOCSPGRP`: set the foreground process group.
pub const TIOCSPGRP: u64 = 0x5410;
/// `ioctl` request `TIOCSWINSZ`: set the window size.
pub const TIOCSWINSZ: u64 = 0x5414;
/// `ioctl` request `FIONREAD` (`TIOCINQ`): bytes waiting to be read.
pub const FIONREAD: u64 = 0x541B;
/// `ioctl` request `TIOCGSID`: the terminal's session.
pub const TIOCGSID: u64 = 0x5429;

/// The settings of a terminal the console's line discipline models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineMode {
    /// Canonical mode (`ICANON`): the console's cooked mode; else raw.
    pub canonical: bool,
    /// `ECHO`.
    pub echo: bool,
    /// `ISIG`: Ctrl-C, Ctrl-\ and Ctrl-Z signal the foreground group.
    pub isig: bool,
}

/// How a read on a non-canonical terminal waits (termios(3), "Canonical
/// and noncanonical mode").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawRead {
    /// `VMIN > 0`: wait for input (the console answers with what is there,
    /// at least one byte; a read may return fewer than `VMIN` bytes, which
    /// every caller must handle anyway).
    Block,
    /// `VMIN == 0, VTIME == 0`: return what is there, 0 if nothing.
    Poll,
    /// `VMIN == 0, VTIME > 0`: wait at most this many milliseconds for a
    /// byte, then return 0.
    Timeout(u32),
}

impl Termios {
    /// Reads the 36-byte image a program passes to `TCSETS*`.
    pub fn from_bytes(b: &[u8; 36]) -> Termios {
        let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut cc = [0u8; 19];
        cc.copy_from_slice(&b[17..36]);
        Termios { iflag: w(0), oflag: w(4), cflag: w(8), lflag: w(12), cc }
    }

    /// The console settings this image asks for.
    pub fn line_mode(&self) -> LineMode {
        LineMode { canonical: self.lflag & ICANON != 0, echo: self.lflag & ECHO != 0, isig: self.lflag & ISIG != 0 }
    }

    /// This image with `ICANON`, `ECHO` and `ISIG` as in `m`, every other
    /// flag and character kept.
    pub fn with_line_mode(mut self, m: LineMode) -> Termios {
        for (bit, on) in [(ICANON, m.canonical), (ECHO, m.echo), (ISIG, m.isig)] {
            if on {
                self.lflag |= bit;
            } else {
                self.lflag &= !bit;
            }
        }
        self
    }

    /// How a read waits in non-canonical mode, from `VMIN` and `VTIME`
    /// (`VMIN > 0` with `VTIME > 0` waits for the first byte without limit,
    /// as Linux does).
    pub fn raw_read(&self) -> RawRead {
        match (self.cc[VMIN], self.cc[VTIME]) {
            (0, 0) => RawRead::Poll,
            (0, t) => RawRead::Timeout(u32::from(t) * 100),
            _ => RawRead::Block,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What busybox `vi` sets (`set_termios_to_raw(.., TERMIOS_RAW_CRNL)`):
    /// ICANON, ECHO, ECHONL and IEXTEN off, ISIG kept, VMIN 1, VTIME 0.
    fn vi_raw() -> Termios {
        let mut t = Termios::cooked();
        t.lflag &= !(ICANON | ECHO | 0o000_100 | 0o100_000);
        t.iflag &= !(0o002_000 | 0o000_400);
        t.oflag &= !0o000_004;
        t.cc[VMIN] = 1;
        t.cc[VTIME] = 0;
        t
    }

    #[test]
    fn cooked_is_canonical_with_echo_and_signals() {
        let m = Termios::cooked().line_mode();
        assert_eq!(m, LineMode { canonical: true, echo: true, isig: true });
        assert_eq!(Termios::cooked().raw_read(), RawRead::Block);
    }

    #[test]
    fn vi_raw_mode_maps_to_raw_with_signals() {
        let t = vi_raw();
        assert_eq!(t.line_mode(), LineMode { canonical: false, echo: false, isig: true });
        assert_eq!(t.raw_read(), RawRead::Block);
    }

    #[test]
    fn bytes_round_trip() {
        for t in [Termios::cooked(), vi_raw()] {
            assert_eq!(Termios::from_bytes(&t.to_bytes()), t);
        }
    }

    #[test]
    fn overlaying_the_console_mode_keeps_the_rest() {
        let t = vi_raw();
        // Another process put the terminal back to cooked: the image says
        // so, and keeps the program's own iflag, oflag and characters.
        let back = t.with_line_mode(LineMode { canonical: true, echo: true, isig: true });
        assert_eq!(back.line_mode(), Termios::cooked().line_mode());
        assert_eq!((back.iflag, back.oflag, back.cc), (t.iflag, t.oflag, t.cc));
        assert_eq!(back.lflag & !(ICANON | ECHO | ISIG), t.lflag & !(ICANON | ECHO | ISIG));
        let none = Termios::cooked().with_line_mode(LineMode { canonical: false, echo: false, isig: false });
        assert_eq!(none.lflag & (ICANON | ECHO | ISIG), 0);
    }

    #[test]
    fn vmin_and_vtime() {
        let mut t = vi_raw();
        t.cc[VMIN] = 0;
        assert_eq!(t.raw_read(), RawRead::Poll);
        t.cc[VTIME] = 3;
        assert_eq!(t.raw_read(), RawRead::Timeout(300));
        t.cc[VTIME] = 255;
        assert_eq!(t.raw_read(), RawRead::Timeout(25_500));
        t.cc[VMIN] = 4;
        assert_eq!(t.raw_read(), RawRead::Block);
    }
}
