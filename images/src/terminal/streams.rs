//! The byte streams between the user's terminal and the guest's serial
//! line, as the runner sees them (pure logic, tested on the host):
//!
//! - [`OutFilter`] takes the guest's requests for in-band resize reports
//!   (`CSI ? 2048 h`/`l`, DEC private mode 2048) out of its output: the
//!   runner answers them itself, and the user's terminal must not switch
//!   the mode on (it would stay on after the runner exits and send reports
//!   to the next program);
//! - [`Mux`] follows QEMU's `Ctrl-A` escape in the user's input, so a
//!   report is never typed into the QEMU monitor or right after a `Ctrl-A`
//!   (QEMU would take its ESC as an escape command).

use rampart_console_core::resize::{DISABLE, ENABLE};

/// What the guest asked of the terminal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `CSI ? 2048 h`: report the size now and after every resize.
    Enable,
    /// `CSI ? 2048 l`: stop reporting.
    Disable,
}

/// Removes mode-2048 requests from the guest's output, across reads.
#[derive(Clone, Debug, Default)]
pub struct OutFilter {
    held: Vec<u8>,
}

impl OutFilter {
    /// A filter holding nothing.
    pub fn new() -> OutFilter {
        OutFilter::default()
    }

    /// Filters `data`: bytes for the user's terminal are appended to `out`,
    /// the requests found to `requests`. A possible start of a request at
    /// the end of `data` is held until the next call.
    pub fn filter(&mut self, data: &[u8], out: &mut Vec<u8>, requests: &mut Vec<Request>) {
        for &b in data {
            if self.held.is_empty() && b != 0x1b {
                out.push(b);
                continue;
            }
            self.held.push(b);
            if self.held == ENABLE {
                requests.push(Request::Enable);
                self.held.clear();
            } else if self.held == DISABLE {
                requests.push(Request::Disable);
                self.held.clear();
            } else if !ENABLE.starts_with(&self.held) && !DISABLE.starts_with(&self.held) {
                // Only `b` can start a new request (the rest was a prefix,
                // with no ESC after its first byte).
                let keep = usize::from(b == 0x1b && self.held.len() > 1);
                out.extend_from_slice(&self.held[..self.held.len() - keep]);
                self.held.drain(..self.held.len() - keep);
            }
        }
    }
}

/// `Ctrl-A`, QEMU's mux escape character.
pub const CTRL_A: u8 = 0x01;

/// Where QEMU's mux stands after the user's input so far: whether the next
/// byte completes an escape (`Ctrl-A` then a command letter), and whether
/// the monitor has the focus (`Ctrl-A c` toggles it; the serial line has
/// it at start).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mux {
    escape: bool,
    monitor: bool,
}

impl Mux {
    /// Follows one byte of the user's input.
    pub fn byte(&mut self, b: u8) {
        if self.escape {
            self.escape = false;
            if b == b'c' {
                self.monitor = !self.monitor;
            }
        } else if b == CTRL_A {
            self.escape = true;
        }
    }

    /// Whether bytes written now reach the guest's serial line as typed.
    pub fn to_guest(&self) -> bool {
        !self.escape && !self.monitor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(f: &mut OutFilter, chunks: &[&[u8]]) -> (Vec<u8>, Vec<Request>) {
        let (mut out, mut req) = (Vec::new(), Vec::new());
        for c in chunks {
            f.filter(c, &mut out, &mut req);
        }
        (out, req)
    }

    #[test]
    fn requests_are_removed_even_when_split() {
        let whole = b"boot\r\n\x1b[?2048hprompt\x1b[?2048l$ ";
        for cut in 0..whole.len() {
            let (out, req) = run(&mut OutFilter::new(), &[&whole[..cut], &whole[cut..]]);
            assert_eq!(out, b"boot\r\nprompt$ ", "cut at {cut}");
            assert_eq!(req, [Request::Enable, Request::Disable], "cut at {cut}");
        }
    }

    #[test]
    fn other_sequences_pass() {
        let text: &[u8] = b"\x1b[K\x1b[?25l\x1b[?2047h\x1b[?20\x1b[?2048x\x1b\x1b[?2048h.";
        let (out, req) = run(&mut OutFilter::new(), &[text]);
        assert_eq!(out, b"\x1b[K\x1b[?25l\x1b[?2047h\x1b[?20\x1b[?2048x\x1b.");
        assert_eq!(req, [Request::Enable]);
    }

    #[test]
    fn the_mux_escape() {
        let mut m = Mux::default();
        assert!(m.to_guest());
        m.byte(CTRL_A);
        assert!(!m.to_guest());
        m.byte(CTRL_A); // Ctrl-A Ctrl-A sends one Ctrl-A
        assert!(m.to_guest());
        for b in [CTRL_A, b'c'] {
            m.byte(b);
        }
        assert!(!m.to_guest(), "the monitor has the focus");
        for b in b"info status\r" {
            m.byte(*b);
        }
        assert!(!m.to_guest());
        for b in [CTRL_A, b'c', b'l', b's'] {
            m.byte(b);
        }
        assert!(m.to_guest());
        for b in [CTRL_A, b'h'] {
            m.byte(b);
        }
        assert!(m.to_guest());
    }
}
