//! `hexdump` lines: canonical (`-C`: offset, 16 hex bytes, ASCII) and the
//! default two-byte words (little-endian, like BSD `hexdump`), with `*`
//! for repeated lines.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

/// Output style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `-C`.
    Canonical,
    /// Default: offset and eight 16-bit words per line.
    Words,
}

/// Formats lines of 16 bytes as they come; remembers the previous line to
/// print `*` for repeats (as `hexdump` does without `-v`).
#[derive(Clone, Debug)]
pub struct Dumper {
    style: Style,
    /// Offset of the next line.
    pub offset: u64,
    prev: Option<[u8; 16]>,
    starred: bool,
    verbose: bool,
}

impl Dumper {
    /// A dumper starting at `offset`; `verbose` (`-v`) prints repeats.
    pub fn new(style: Style, offset: u64, verbose: bool) -> Dumper {
        Dumper { style, offset, prev: None, starred: false, verbose }
    }

    /// The output for one line of at most 16 bytes (empty for a repeat
    /// after the first `*`).
    pub fn line(&mut self, bytes: &[u8]) -> String {
        let mut out = String::new();
        let full = bytes.len() == 16;
        if full && !self.verbose {
            let mut arr = [0u8; 16];
            arr.copy_from_slice(bytes);
            if self.prev == Some(arr) {
                self.offset += 16;
                if !self.starred {
                    self.starred = true;
                    return String::from("*\n");
                }
                return out;
            }
            self.prev = Some(arr);
        } else {
            self.prev = None;
        }
        self.starred = false;
        match self.style {
            Style::Canonical => {
                let _ = write!(out, "{:08x}  ", self.offset);
                for i in 0..16 {
                    match bytes.get(i) {
                        Some(b) => {
                            let _ = write!(out, "{b:02x} ");
                        }
                        None => out.push_str("   "),
                    }
                    if i == 7 {
                        out.push(' ');
                    }
                }
                out.push_str(" |");
                for &b in bytes {
                    out.push(if (0x20..0x7f).contains(&b) { b as char } else { '.' });
                }
                out.push_str("|\n");
            }
            Style::Words => {
                let _ = write!(out, "{:07x}", self.offset);
                for pair in bytes.chunks(2) {
                    let w = u16::from(pair[0]) | (u16::from(pair.get(1).copied().unwrap_or(0)) << 8);
                    let _ = write!(out, " {w:04x}");
                }
                out.push('\n');
            }
        }
        self.offset += bytes.len() as u64;
        out
    }

    /// The closing line: the offset after the last byte.
    pub fn end(&self) -> String {
        match self.style {
            Style::Canonical => format!("{:08x}\n", self.offset),
            Style::Words => format!("{:07x}\n", self.offset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical() {
        let mut d = Dumper::new(Style::Canonical, 0, false);
        assert_eq!(
            d.line(b"Hello, Rampart!\n"),
            "00000000  48 65 6c 6c 6f 2c 20 52  61 6d 70 61 72 74 21 0a  |Hello, Rampart!.|\n"
        );
        assert_eq!(d.line(b"ab"), "00000010  61 62                                             |ab|\n");
        assert_eq!(d.end(), "00000012\n");
    }

    #[test]
    fn repeats_are_starred() {
        let mut d = Dumper::new(Style::Canonical, 0, false);
        let z = [0u8; 16];
        assert!(d.line(&z).starts_with("00000000"));
        assert_eq!(d.line(&z), "*\n");
        assert_eq!(d.line(&z), "");
        assert!(d.line(b"x").starts_with("00000030"));
        let mut v = Dumper::new(Style::Canonical, 0, true);
        v.line(&z);
        assert!(v.line(&z).starts_with("00000010"));
    }

    #[test]
    fn words() {
        let mut d = Dumper::new(Style::Words, 0, false);
        assert_eq!(d.line(b"abc"), "0000000 6261 0063\n");
        assert_eq!(d.end(), "0000003\n");
    }
}
