//! The console's line discipline (docs/console.md), without any IPC: bytes
//! typed on the line go in, echo bytes and completed input come out.
//!
//! - **Cooked** mode (what programs get): characters are collected into a
//!   line and echoed; Backspace/DEL erases a character, Ctrl-U the line,
//!   Ctrl-W a word; Enter completes the line (delivered with `\n`);
//!   Ctrl-D on an empty line is end of input, on a non-empty one delivers
//!   the line without newline; Ctrl-C, Ctrl-Z and Ctrl-\ discard pending
//!   input and report `SIGINT`, `SIGTSTP` and `SIGQUIT` (the server has rm
//!   signal the terminal's foreground process group: termios `ISIG`).
//! - **Raw** mode (the shell's own editor): every byte is delivered as
//!   typed, nothing is echoed or interpreted — except the signal keys when
//!   the mode keeps `isig` (what `vi` and `less` ask for: termios with
//!   `ICANON` off and `ISIG` on), which signal as in cooked mode.
//! - Without `isig` the signal keys are ordinary input in either mode.
//!
//! Output processing turns `\n` into `\r\n`.
//!
//! In both modes, in-band window resize reports from the terminal
//! ([`resize`], DEC private mode 2048) are taken out of the input before
//! anything else sees it: they are never echoed or delivered, and the size
//! they carry is kept as the terminal's [`Ldisc::winsize`].
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod resize;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
pub use rampart_console_api::Mode;
use rampart_uabi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use resize::{ResizeParser, WinSize};

/// Longest line kept in cooked mode (further characters are refused with a bell).
pub const LINE_MAX: usize = 4096;
/// Most bytes of completed input buffered (older input is kept, newer dropped).
pub const INPUT_MAX: usize = 16384;

/// How long (ms) the terminal must stay silent before bytes held as a
/// possible resize report are given to readers as input ([`Ldisc::release_held`]):
/// longer than a report takes to arrive, shorter than a key press is felt.
pub const HOLD_MS: u64 = 100;

/// Ctrl-C (`VINTR`).
pub const INTR: u8 = 0x03;
/// Ctrl-\ (`VQUIT`).
pub const QUIT: u8 = 0x1c;
/// Ctrl-Z (`VSUSP`).
pub const SUSP: u8 = 0x1a;
/// Ctrl-D.
pub const EOF: u8 = 0x04;
/// Ctrl-U.
pub const KILL: u8 = 0x15;
/// Ctrl-W.
pub const WERASE: u8 = 0x17;

/// What one input byte caused besides echo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Nothing special.
    None,
    /// New input is ready for a reader.
    Ready,
    /// A signal key in cooked mode: this signal (`SIGINT`, `SIGTSTP`,
    /// `SIGQUIT`) to the foreground process group; pending input was
    /// dropped.
    Signal(u8),
    /// The terminal reported a new window size ([`Ldisc::winsize`]); in
    /// both modes, and never together with input.
    Resize,
}

impl Effect {
    /// The weightier of two effects of one input byte (a signal key over a
    /// resize over ready input over nothing).
    fn max(self, other: Effect) -> Effect {
        let rank = |e: Effect| match e {
            Effect::None => 0,
            Effect::Ready => 1,
            Effect::Resize => 2,
            Effect::Signal(_) => 3,
        };
        if rank(other) > rank(self) { other } else { self }
    }
}

/// A terminal's line discipline.
#[derive(Clone, Debug)]
pub struct Ldisc {
    /// The current mode.
    pub mode: Mode,
    line: Vec<u8>,
    ready: VecDeque<u8>,
    /// End-of-input markers not yet delivered.
    eofs: usize,
    /// End-of-input markers put back ([`Ldisc::unread`]): delivered before
    /// the ready bytes.
    eofs_first: usize,
    /// Picks resize reports out of the input.
    resize: ResizeParser,
    /// The last size the terminal reported.
    winsize: WinSize,
}

impl Default for Ldisc {
    fn default() -> Ldisc {
        Ldisc::new()
    }
}

impl Ldisc {
    /// A cooked terminal with echo.
    pub const fn new() -> Ldisc {
        Ldisc {
            mode: Mode::COOKED,
            line: Vec::new(),
            ready: VecDeque::new(),
            eofs: 0,
            eofs_first: 0,
            resize: ResizeParser::new(),
            winsize: WinSize::DEFAULT,
        }
    }

    /// The terminal's size in character cells: the last one it reported,
    /// [`WinSize::DEFAULT`] (24 × 80) until it reports one.
    pub fn winsize(&self) -> WinSize {
        self.winsize
    }

    fn push_ready(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.ready.len() < INPUT_MAX {
                self.ready.push_back(b);
            }
        }
    }

    fn erase(&mut self, echo: &mut Vec<u8>) -> bool {
        if self.line.pop().is_some() {
            if self.mode.echo {
                echo.extend_from_slice(b"\x08 \x08");
            }
            true
        } else {
            false
        }
    }

    /// Feeds one byte typed on the line; echo bytes are appended to `echo`.
    /// A byte that may continue a resize report is held back (at most
    /// [`resize::MAX_REPORT`] bytes); the byte that shows it does not
    /// releases the held bytes, and the effect returned is the weightiest
    /// of theirs.
    pub fn input(&mut self, b: u8, echo: &mut Vec<u8>) -> Effect {
        let mut parser = core::mem::take(&mut self.resize);
        let mut fx = Effect::None;
        if let Some(ws) = parser.feed(b, &mut |x| fx = fx.max(self.discipline(x, echo))) {
            self.winsize = ws;
            fx = Effect::Resize;
        }
        self.resize = parser;
        fx
    }

    /// Whether bytes are held back as a possible start of a resize report
    /// (a lone ESC, `ESC [`, ...).
    pub fn holding(&self) -> bool {
        !self.resize.held().is_empty()
    }

    /// Releases the bytes held back as ordinary input (the server calls
    /// this once the terminal has sent nothing more for
    /// [`HOLD_MS`], so a lone ESC reaches a reader that waits with a
    /// timeout, as `vi` does); returns the weightiest effect.
    pub fn release_held(&mut self, echo: &mut Vec<u8>) -> Effect {
        let mut parser = core::mem::take(&mut self.resize);
        let mut fx = Effect::None;
        parser.release(&mut |x| fx = fx.max(self.discipline(x, echo)));
        self.resize = parser;
        fx
    }

    /// The line discipline proper, for one byte that is not part of a
    /// resize report.
    fn discipline(&mut self, b: u8, echo: &mut Vec<u8>) -> Effect {
        if self.mode.raw && !(self.mode.isig && matches!(b, INTR | QUIT | SUSP)) {
            self.push_ready(&[b]);
            return Effect::Ready;
        }
        match b {
            INTR | QUIT | SUSP if self.mode.isig => {
                self.flush();
                if self.mode.echo {
                    echo.extend_from_slice(&[b'^', b + 0x40, b'\r', b'\n']);
                }
                Effect::Signal(match b {
                    INTR => SIGINT,
                    QUIT => SIGQUIT,
                    _ => SIGTSTP,
                })
            }
            EOF => {
                if self.line.is_empty() {
                    self.eofs += 1;
                } else {
                    let l = core::mem::take(&mut self.line);
                    self.push_ready(&l);
                }
                Effect::Ready
            }
            b'\r' | b'\n' => {
                let mut l = core::mem::take(&mut self.line);
                l.push(b'\n');
                self.push_ready(&l);
                if self.mode.echo {
                    echo.extend_from_slice(b"\r\n");
                }
                Effect::Ready
            }
            0x7f | 0x08 => {
                self.erase(echo);
                Effect::None
            }
            KILL => {
                while self.erase(echo) {}
                Effect::None
            }
            WERASE => {
                while self.line.last() == Some(&b' ') && self.erase(echo) {}
                while self.line.last().is_some_and(|c| *c != b' ') && self.erase(echo) {}
                Effect::None
            }
            b if b < 0x20 && !matches!(b, b'\t' | INTR | QUIT | SUSP) => Effect::None,
            b => {
                if self.line.len() >= LINE_MAX {
                    echo.push(0x07);
                } else {
                    self.line.push(b);
                    if self.mode.echo {
                        echo.push(b);
                    }
                }
                Effect::None
            }
        }
    }

    /// Input for a reader wanting at most `max` bytes: `None` if nothing is
    /// ready yet, `Some(empty)` at end of input. Cooked reads return at most
    /// one line.
    pub fn take(&mut self, max: usize) -> Option<Vec<u8>> {
        if self.eofs_first > 0 {
            self.eofs_first -= 1;
            return Some(Vec::new());
        }
        if self.ready.is_empty() {
            if self.eofs > 0 {
                self.eofs -= 1;
                return Some(Vec::new());
            }
            return None;
        }
        let mut out = Vec::new();
        while out.len() < max.max(1) {
            let Some(b) = self.ready.pop_front() else { break };
            out.push(b);
            if b == b'\n' && !self.mode.raw {
                break;
            }
        }
        Some(out)
    }

    /// Whether a reader would get something now.
    pub fn readable(&self) -> bool {
        !self.ready.is_empty() || self.eofs > 0 || self.eofs_first > 0
    }

    /// Switches mode; a partial cooked line is delivered when going raw.
    pub fn set_mode(&mut self, mode: Mode) {
        if mode.raw && !self.mode.raw && !self.line.is_empty() {
            let l = core::mem::take(&mut self.line);
            self.push_ready(&l);
        }
        self.mode = mode;
    }

    /// Puts back input a reader did not take (its read was interrupted and
    /// the answer reached nobody): `data` is read first next time; empty
    /// data is an end-of-input marker.
    pub fn unread(&mut self, data: &[u8]) {
        if data.is_empty() {
            self.eofs_first += 1;
            return;
        }
        for &b in data.iter().rev() {
            self.ready.push_front(b);
        }
        self.ready.truncate(INPUT_MAX.max(data.len()));
    }

    /// Drops pending input (after a signal key).
    pub fn flush(&mut self) {
        self.eofs_first = 0;
        self.ready.clear();
        self.line.clear();
    }
}

/// Output processing: `\n` becomes `\r\n` (appended to `out`).
pub fn output(data: &[u8], out: &mut Vec<u8>) {
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn feed(l: &mut Ldisc, s: &[u8]) -> (Vec<u8>, Vec<Effect>) {
        let mut echo = Vec::new();
        let fx = s.iter().map(|&b| l.input(b, &mut echo)).collect();
        (echo, fx)
    }

    #[test]
    fn cooked_line_with_editing() {
        let mut l = Ldisc::new();
        let (echo, _) = feed(&mut l, b"lx\x7fs -l\r");
        assert_eq!(echo, b"lx\x08 \x08s -l\r\n");
        assert_eq!(l.take(100), Some(b"ls -l\n".to_vec()));
        assert_eq!(l.take(100), None);
        feed(&mut l, b"one two\x17three\x15four\n");
        assert_eq!(l.take(100), Some(b"four\n".to_vec()));
    }

    #[test]
    fn one_line_per_read_and_short_reads() {
        let mut l = Ldisc::new();
        feed(&mut l, b"ab\ncd\n");
        assert_eq!(l.take(1), Some(b"a".to_vec()));
        assert_eq!(l.take(10), Some(b"b\n".to_vec()));
        assert_eq!(l.take(10), Some(b"cd\n".to_vec()));
    }

    #[test]
    fn ctrl_d_and_ctrl_c() {
        let mut l = Ldisc::new();
        let (_, fx) = feed(&mut l, b"abc\x04");
        assert_eq!(fx[3], Effect::Ready);
        assert_eq!(l.take(10), Some(b"abc".to_vec()));
        feed(&mut l, b"\x04");
        assert_eq!(l.take(10), Some(vec![]));
        assert_eq!(l.take(10), None);
        let (echo, fx) = feed(&mut l, b"sleep\x03");
        assert_eq!(fx[5], Effect::Signal(SIGINT));
        assert!(echo.ends_with(b"^C\r\n"));
        assert_eq!(l.take(10), None);
        // Ctrl-Z and Ctrl-\ also drop typed-ahead lines.
        let (echo, fx) = feed(&mut l, b"ls\nx\x1a");
        assert_eq!(fx[4], Effect::Signal(SIGTSTP));
        assert!(echo.ends_with(b"^Z\r\n"));
        assert_eq!(l.take(10), None);
        let (_, fx) = feed(&mut l, b"\x1c");
        assert_eq!(fx[0], Effect::Signal(SIGQUIT));
    }

    #[test]
    fn unread_input_comes_back_first() {
        let mut l = Ldisc::new();
        feed(&mut l, b"one\ntwo\n");
        let first = l.take(100).unwrap();
        l.unread(&first);
        assert_eq!(l.take(100), Some(b"one\n".to_vec()));
        l.unread(&[]);
        assert_eq!(l.take(100), Some(vec![]), "end of input put back");
        assert_eq!(l.take(100), Some(b"two\n".to_vec()));
    }

    #[test]
    fn raw_mode_with_isig_signals_and_passes_the_rest() {
        let mut l = Ldisc::new();
        let mut echo = Vec::new();
        l.set_mode(Mode { raw: true, echo: false, isig: true });
        assert_eq!(l.input(b'x', &mut echo), Effect::Ready);
        assert_eq!(l.input(0x1b, &mut echo), Effect::None, "a lone ESC may start a resize report");
        assert_eq!(l.input(b':', &mut echo), Effect::Ready);
        assert_eq!(l.input(INTR, &mut echo), Effect::Signal(SIGINT));
        assert_eq!(l.take(10), None, "the signal key dropped pending input");
        assert_eq!(l.input(SUSP, &mut echo), Effect::Signal(SIGTSTP));
        assert_eq!(l.input(QUIT, &mut echo), Effect::Signal(SIGQUIT));
        assert!(echo.is_empty(), "{echo:?}");
        assert_eq!(l.input(b'q', &mut echo), Effect::Ready);
        assert_eq!(l.take(10), Some(b"q".to_vec()));
    }

    #[test]
    fn a_held_lone_esc_is_released_as_input() {
        let mut l = Ldisc::new();
        let mut echo = Vec::new();
        l.set_mode(Mode { raw: true, echo: false, isig: true });
        assert_eq!(l.input(0x1b, &mut echo), Effect::None);
        assert!(l.holding() && !l.readable());
        assert_eq!(l.release_held(&mut echo), Effect::Ready);
        assert!(!l.holding());
        assert_eq!(l.take(10), Some(alloc::vec![0x1b]));
        // A whole report is still taken out after a release of nothing.
        assert_eq!(l.release_held(&mut echo), Effect::None);
        for &b in resize::report(40, 120, 0, 0).as_bytes() {
            l.input(b, &mut echo);
        }
        assert_eq!(l.take(10), None);
        assert_eq!(l.winsize(), WinSize { rows: 40, cols: 120 });
    }

    #[test]
    fn without_isig_signal_keys_are_input() {
        let mut l = Ldisc::new();
        let mut echo = Vec::new();
        l.set_mode(Mode { raw: false, echo: false, isig: false });
        assert_eq!(l.input(INTR, &mut echo), Effect::None);
        l.input(b'\r', &mut echo);
        assert_eq!(l.take(10), Some(alloc::vec![INTR, b'\n']));
        l.set_mode(Mode::RAW);
        assert_eq!(l.input(SUSP, &mut echo), Effect::Ready);
        assert_eq!(l.take(10), Some(alloc::vec![SUSP]));
    }

    #[test]
    fn raw_mode_passes_everything() {
        let mut l = Ldisc::new();
        feed(&mut l, b"par");
        l.set_mode(Mode::RAW);
        let (echo, fx) = feed(&mut l, b"\x03\x1b[A");
        assert!(echo.is_empty());
        // ESC and `[` wait for the byte that shows they are not a resize report.
        assert_eq!(fx, [Effect::Ready, Effect::None, Effect::None, Effect::Ready]);
        assert_eq!(l.take(100), Some(b"par\x03\x1b[A".to_vec()));
    }

    #[test]
    fn resize_reports_in_cooked_and_raw_mode() {
        let mut l = Ldisc::new();
        assert_eq!(l.winsize(), WinSize { rows: 24, cols: 80 });
        let (echo, fx) = feed(&mut l, b"ec\x1b[48;30;100;0;0tho\r");
        assert_eq!(echo, b"echo\r\n");
        assert_eq!(fx.iter().filter(|f| **f == Effect::Resize).count(), 1);
        assert_eq!(l.take(100), Some(b"echo\n".to_vec()));
        assert_eq!(l.winsize(), WinSize { rows: 30, cols: 100 });
        l.set_mode(Mode::RAW);
        // Split over two reads, between an arrow key and a letter.
        let (echo, _) = feed(&mut l, b"\x1b[A\x1b[48;40;1");
        assert!(echo.is_empty());
        assert_eq!(l.take(100), Some(b"\x1b[A".to_vec()));
        let (_, fx) = feed(&mut l, b"20;0;0tq");
        assert_eq!(
            fx,
            [
                Effect::None,
                Effect::None,
                Effect::None,
                Effect::None,
                Effect::None,
                Effect::None,
                Effect::Resize,
                Effect::Ready
            ]
        );
        assert_eq!(l.take(100), Some(b"q".to_vec()));
        assert_eq!(l.winsize(), WinSize { rows: 40, cols: 120 });
    }

    #[test]
    fn a_broken_report_is_input() {
        let mut l = Ldisc::new();
        l.set_mode(Mode::RAW);
        let (_, fx) = feed(&mut l, b"\x1b[48;1");
        assert!(fx.iter().all(|f| *f == Effect::None));
        assert_eq!(l.take(100), None);
        let (_, fx) = feed(&mut l, b"x");
        assert_eq!(fx, [Effect::Ready]);
        assert_eq!(l.take(100), Some(b"\x1b[48;1x".to_vec()));
        // In cooked mode a Ctrl-C that breaks a held prefix still interrupts.
        l.set_mode(Mode::COOKED);
        let (_, fx) = feed(&mut l, b"\x1b[4\x03");
        assert_eq!(fx.last(), Some(&Effect::Signal(SIGINT)));
        assert_eq!(l.winsize(), WinSize::DEFAULT);
    }

    #[test]
    fn onlcr() {
        let mut out = Vec::new();
        output(b"a\nb", &mut out);
        assert_eq!(out, b"a\r\nb");
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..5000), raw: bool) {
            let mut l = Ldisc::new();
            if raw { l.set_mode(Mode::RAW); }
            let mut echo = Vec::new();
            for b in bytes { l.input(b, &mut echo); let _ = l.take(7); }
            proptest::prop_assert!(l.line.len() <= LINE_MAX && l.ready.len() <= INPUT_MAX);
        }
    }
}
