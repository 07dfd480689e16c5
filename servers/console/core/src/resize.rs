//! In-band window resize reports (DEC private mode 2048).
//!
//! The protocol is "Private Mode for In-Band Window Resize Notifications"
//! (<https://gist.github.com/rockorager/e695fb2924d36b2bcf1fff4a3704bd83>),
//! implemented by the contour, kitty, ghostty and foot terminals. An
//! application enables it by writing
//! `CSI ? 2048 h` ([`ENABLE`]); the terminal then sends, at once and after
//! every resize of its text area,
//!
//! ```text
//! CSI 48 ; height_chars ; width_chars ; height_pix ; width_pix t
//! ```
//!
//! in the input stream. Pixel sizes are 0 when the terminal does not know
//! them; any field may carry colon-separated sub-parameters, which must be
//! ignored.
//!
//! [`ResizeParser`] picks these reports out of the bytes typed on the line:
//! report bytes never reach readers, every other byte is passed through in
//! order. A report may arrive split over any number of reads. Bytes are
//! held only while they are a prefix of a report, and at most
//! [`MAX_REPORT`] of them: the first byte that cannot continue a report
//! releases everything held. A lone ESC is therefore held until the next
//! byte arrives, or until the owner gives up on it
//! ([`ResizeParser::release`]: the console does after the terminal has
//! been silent for `HOLD_MS`).

/// What the console writes to enable reports (DECSET 2048).
pub const ENABLE: &[u8] = b"\x1b[?2048h";
/// What disables them (DECRST 2048).
pub const DISABLE: &[u8] = b"\x1b[?2048l";

/// The longest report accepted, in bytes (the introducer, four fields of up
/// to five digits and their sub-parameters, the final `t`). Longer
/// candidates are passed through as ordinary input.
pub const MAX_REPORT: usize = 64;

/// The most digits in one field (a value above `u16::MAX` makes the
/// report void, but it is still consumed).
const MAX_DIGITS: u8 = 5;

/// The fixed start of every report: `ESC [ 4 8 ;`.
const INTRODUCER: &[u8] = b"\x1b[48;";

/// A terminal's text area in character cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WinSize {
    /// Rows (lines).
    pub rows: u16,
    /// Columns.
    pub cols: u16,
}

impl WinSize {
    /// The size assumed until the terminal reports one: 24 × 80, the VT100's.
    pub const DEFAULT: WinSize = WinSize { rows: 24, cols: 80 };
}

impl Default for WinSize {
    fn default() -> WinSize {
        WinSize::DEFAULT
    }
}

/// How far the bytes held so far got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    /// A proper prefix of a report.
    Prefix,
    /// A whole report: its size, or `None` if a size is 0 or too large
    /// (consumed and ignored).
    Report(Option<WinSize>),
    /// Not a report.
    Not,
}

/// Classifies `seq` (which starts with ESC).
fn classify(seq: &[u8]) -> Class {
    let n = seq.len().min(INTRODUCER.len());
    if seq[..n] != INTRODUCER[..n] {
        return Class::Not;
    }
    if seq.len() <= INTRODUCER.len() {
        return Class::Prefix;
    }
    // Fields after `48;`: rows, columns, then (optionally) pixel height and
    // width; each is digits, then any number of `:digits` sub-parameters.
    let mut fields = [0u32; 4];
    let mut field = 0usize;
    let mut digits = 0u8;
    let mut sub = false;
    for &c in &seq[INTRODUCER.len()..] {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                if digits > MAX_DIGITS {
                    return Class::Not;
                }
                if !sub {
                    fields[field] = fields[field] * 10 + u32::from(c - b'0');
                }
            }
            b':' => {
                sub = true;
                digits = 0;
            }
            b';' => {
                field += 1;
                if field >= fields.len() {
                    return Class::Not;
                }
                sub = false;
                digits = 0;
            }
            b't' if field >= 1 => {
                let size = |v: u32| u16::try_from(v).ok().filter(|&v| v > 0);
                let ws = size(fields[0]).zip(size(fields[1])).map(|(rows, cols)| WinSize { rows, cols });
                return Class::Report(ws);
            }
            _ => return Class::Not,
        }
    }
    Class::Prefix
}

/// Separates resize reports from the other bytes of an input stream.
#[derive(Clone, Debug)]
pub struct ResizeParser {
    held: [u8; MAX_REPORT],
    len: usize,
}

impl Default for ResizeParser {
    fn default() -> ResizeParser {
        ResizeParser::new()
    }
}

impl ResizeParser {
    /// A parser holding nothing.
    pub const fn new() -> ResizeParser {
        ResizeParser { held: [0; MAX_REPORT], len: 0 }
    }

    /// Bytes held back as a possible start of a report.
    pub fn held(&self) -> &[u8] {
        &self.held[..self.len]
    }

    /// Feeds one input byte. Bytes that are not part of a report are handed
    /// to `pass`, in order (possibly several at once, when `b` shows that
    /// the bytes held are not a report). Returns the size once a whole
    /// report was read; a report with a zero or oversized field is
    /// consumed and yields `None`.
    pub fn feed(&mut self, b: u8, pass: &mut impl FnMut(u8)) -> Option<WinSize> {
        if self.len == 0 && b != 0x1b {
            pass(b);
            return None;
        }
        self.held[self.len] = b;
        self.len += 1;
        match classify(&self.held[..self.len]) {
            Class::Prefix if self.len < MAX_REPORT => None,
            Class::Report(ws) => {
                self.len = 0;
                ws
            }
            Class::Prefix | Class::Not => {
                // Everything before `b` was a prefix of a report, so it
                // holds no ESC after the first byte: only `b` itself can
                // start a new report.
                let keep = usize::from(b == 0x1b && self.len > 1);
                for &h in &self.held[..self.len - keep] {
                    pass(h);
                }
                self.len = keep;
                if keep == 1 {
                    self.held[0] = 0x1b;
                }
                None
            }
        }
    }

    /// Gives up on the bytes held: they are handed to `pass` as ordinary
    /// input, in order (the terminal sent nothing more for a while, so they
    /// are a key such as a lone ESC, not the start of a report).
    pub fn release(&mut self, pass: &mut impl FnMut(u8)) {
        for &h in &self.held[..self.len] {
            pass(h);
        }
        self.len = 0;
    }
}

/// The report a terminal of `rows` × `cols` cells (and `height_px` ×
/// `width_px` pixels, 0 if unknown) sends: `CSI 48 ; rows ; cols ;
/// height_px ; width_px t`.
pub fn report(rows: u16, cols: u16, height_px: u16, width_px: u16) -> alloc::string::String {
    alloc::format!("\x1b[48;{rows};{cols};{height_px};{width_px}t")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Feeds `input`; returns the bytes passed through and the sizes
    /// reported.
    fn run(p: &mut ResizeParser, input: &[u8]) -> (Vec<u8>, Vec<WinSize>) {
        let mut out = Vec::new();
        let sizes = input.iter().filter_map(|&b| p.feed(b, &mut |x| out.push(x))).collect();
        (out, sizes)
    }

    fn ws(rows: u16, cols: u16) -> WinSize {
        WinSize { rows, cols }
    }

    #[test]
    fn a_report_is_consumed() {
        let mut p = ResizeParser::new();
        let (out, sizes) = run(&mut p, b"ab\x1b[48;30;100;600;800tcd");
        assert_eq!(out, b"abcd");
        assert_eq!(sizes, [ws(30, 100)]);
        assert!(p.held().is_empty());
    }

    #[test]
    fn reports_split_anywhere() {
        let r = report(40, 120, 0, 0);
        for cut in 0..r.len() {
            let mut p = ResizeParser::new();
            let (mut out, mut sizes) = run(&mut p, &r.as_bytes()[..cut]);
            let (o2, s2) = run(&mut p, &[r.as_bytes()[cut..].as_ref(), b"x"].concat());
            out.extend(o2);
            sizes.extend(s2);
            assert_eq!(out, b"x", "cut at {cut}");
            assert_eq!(sizes, [ws(40, 120)], "cut at {cut}");
        }
    }

    #[test]
    fn sub_parameters_and_short_forms() {
        let mut p = ResizeParser::new();
        let (out, sizes) = run(&mut p, b"\x1b[48;24:1;80:2:3;0;0t\x1b[48;50;132t");
        assert!(out.is_empty());
        assert_eq!(sizes, [ws(24, 80), ws(50, 132)]);
    }

    #[test]
    fn void_reports_are_consumed_without_a_size() {
        let mut p = ResizeParser::new();
        let (out, sizes) = run(&mut p, b"\x1b[48;0;80;0;0t\x1b[48;;80t\x1b[48;70000;80;0;0t.");
        assert_eq!(out, b".");
        assert!(sizes.is_empty());
    }

    #[test]
    fn other_sequences_pass_through() {
        let mut p = ResizeParser::new();
        for s in [
            &b"\x1b[A"[..],
            b"\x1b[3~",
            b"\x1bOH",
            b"\x1b[4;5H",
            b"\x1b[481;2t",
            b"\x1b[48t",
            b"\x1b[48;1;2;3;4;5t",
            b"\x1b[48;1;2x",
            b"\x1b[48;123456;1t",
            b"\x1bx",
        ] {
            let (out, sizes) = run(&mut p, s);
            assert_eq!(out, s, "{s:?}");
            assert!(sizes.is_empty(), "{s:?}");
            assert!(p.held().is_empty(), "{s:?}");
        }
    }

    #[test]
    fn an_escape_that_breaks_a_prefix_starts_anew() {
        let mut p = ResizeParser::new();
        let (out, sizes) = run(&mut p, b"\x1b[48;1\x1b\x1b[48;5;6t!");
        assert_eq!(out, b"\x1b[48;1\x1b!");
        assert_eq!(sizes, [ws(5, 6)]);
    }

    #[test]
    fn garbage_is_bounded() {
        let mut p = ResizeParser::new();
        let mut long = Vec::from(&b"\x1b[48;1"[..]);
        long.extend(core::iter::repeat_n(b':', 200));
        let mut out = Vec::new();
        for &b in &long {
            p.feed(b, &mut |x| out.push(x));
            assert!(p.held().len() < MAX_REPORT);
        }
        assert_eq!(out.len() + p.held().len(), long.len());
        assert_eq!(&out[..], &long[..out.len()]);
    }

    proptest::proptest! {
        /// Whatever arrives, every byte comes out exactly once, in order,
        /// unless it belonged to a report.
        #[test]
        fn bytes_are_kept_in_order(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000)) {
            let mut p = ResizeParser::new();
            let mut out = Vec::new();
            for &b in &bytes {
                p.feed(b, &mut |x| out.push(x));
                proptest::prop_assert!(p.held().len() < MAX_REPORT);
            }
            out.extend_from_slice(p.held());
            proptest::prop_assert_eq!(out, bytes);
        }

        /// Reports mixed into arbitrary printable text are all found and
        /// the text survives.
        #[test]
        fn reports_in_text(text in "[ -~]{0,40}", rows in 1u16.., cols in 1u16.., cut in 0usize..60) {
            let r = report(rows, cols, 0, 0);
            let mut input = Vec::from(text.as_bytes());
            let at = cut.min(input.len());
            input.splice(at..at, r.bytes());
            let mut p = ResizeParser::new();
            let mut out = Vec::new();
            let mut got = None;
            for &b in &input {
                if let Some(ws) = p.feed(b, &mut |x| out.push(x)) { got = Some(ws); }
            }
            proptest::prop_assert_eq!(got, Some(WinSize { rows, cols }));
            proptest::prop_assert_eq!(out, text.as_bytes());
        }
    }
}
