//! `cut`: bytes (`-b`), characters (`-c`) or fields (`-f`, with `-d`) of
//! each line, chosen by a list of positions (`1,3-5,7-`, `-2`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// A list of 1-based inclusive ranges (`usize::MAX`: to the end).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ranges(Vec<(usize, usize)>);

impl Ranges {
    /// Parse `1,3-5,7-,-2`.
    ///
    /// # Errors
    /// `cut`'s message for a bad list.
    pub fn parse(list: &str) -> Result<Ranges, String> {
        let mut v = Vec::new();
        for part in list.split([',', ' ']) {
            let num = |s: &str| -> Result<usize, String> {
                let n: usize = s.parse().map_err(|_| format!("invalid byte, character or field list '{list}'"))?;
                if n == 0 { Err(String::from("fields and positions are numbered from 1")) } else { Ok(n) }
            };
            let r = match part.split_once('-') {
                None if part.is_empty() => return Err(format!("invalid byte, character or field list '{list}'")),
                None => {
                    let n = num(part)?;
                    (n, n)
                }
                Some(("", "")) => return Err(String::from("invalid range with no endpoint: -")),
                Some(("", hi)) => (1, num(hi)?),
                Some((lo, "")) => (num(lo)?, usize::MAX),
                Some((lo, hi)) => {
                    let (lo, hi) = (num(lo)?, num(hi)?);
                    if hi < lo {
                        return Err(String::from("invalid decreasing range"));
                    }
                    (lo, hi)
                }
            };
            v.push(r);
        }
        v.sort();
        Ok(Ranges(v))
    }

    /// Whether position `n` (1-based) is chosen.
    pub fn contains(&self, n: usize) -> bool {
        self.0.iter().any(|(lo, hi)| (*lo..=*hi).contains(&n))
    }
}

/// What to cut.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `-b`: bytes.
    Bytes,
    /// `-c`: UTF-8 characters.
    Chars,
    /// `-f`: fields separated by `delim` (default tab); `only_delimited`
    /// (`-s`) drops lines without the delimiter.
    Fields {
        /// The delimiter byte.
        delim: u8,
        /// `-s`.
        only_delimited: bool,
    },
}

/// How to cut each line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cut {
    /// Bytes, characters or fields.
    pub mode: Mode,
    /// The positions.
    pub ranges: Ranges,
    /// `--complement`: the positions not listed.
    pub complement: bool,
    /// `--output-delimiter`: between fields (default: the input delimiter)
    /// or between separate byte/character ranges (default: nothing).
    pub out_delim: Option<Vec<u8>>,
}

impl Cut {
    fn chosen(&self, n: usize) -> bool {
        self.ranges.contains(n) != self.complement
    }

    /// Cut one line (without its newline) into `out`; false if the line
    /// is dropped (`-s` and no delimiter).
    pub fn line(&self, line: &[u8], out: &mut Vec<u8>) -> bool {
        match &self.mode {
            Mode::Bytes => self.pieces(line.iter().map(core::slice::from_ref), out),
            Mode::Chars => {
                let mut pieces = Vec::new();
                let mut i = 0;
                while i < line.len() {
                    let len = match line[i] {
                        0xc0..=0xdf => 2,
                        0xe0..=0xef => 3,
                        0xf0..=0xf7 => 4,
                        _ => 1,
                    };
                    let end = (i + len).min(line.len());
                    pieces.push(&line[i..end]);
                    i = end;
                }
                self.pieces(pieces.into_iter(), out);
            }
            Mode::Fields { delim, only_delimited } => {
                if !line.contains(delim) {
                    if *only_delimited {
                        return false;
                    }
                    out.extend_from_slice(line);
                    return true;
                }
                let sep = self.out_delim.clone().unwrap_or_else(|| alloc::vec![*delim]);
                let mut first = true;
                for (i, field) in line.split(|b| b == delim).enumerate() {
                    if self.chosen(i + 1) {
                        if !first {
                            out.extend_from_slice(&sep);
                        }
                        out.extend_from_slice(field);
                        first = false;
                    }
                }
            }
        }
        true
    }

    fn pieces<'a>(&self, pieces: impl Iterator<Item = &'a [u8]>, out: &mut Vec<u8>) {
        let mut prev: Option<usize> = None;
        for (i, p) in pieces.enumerate() {
            if !self.chosen(i + 1) {
                continue;
            }
            if let (Some(sep), Some(prev)) = (&self.out_delim, prev)
                && prev + 1 != i
            {
                out.extend_from_slice(sep);
            }
            out.extend_from_slice(p);
            prev = Some(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(mode: Mode, list: &str, complement: bool, out_delim: Option<&str>, line: &str) -> Option<String> {
        let c = Cut {
            mode,
            ranges: Ranges::parse(list).unwrap(),
            complement,
            out_delim: out_delim.map(|s| s.as_bytes().to_vec()),
        };
        let mut out = Vec::new();
        c.line(line.as_bytes(), &mut out).then(|| String::from_utf8(out).unwrap())
    }

    #[test]
    fn lists() {
        assert_eq!(Ranges::parse("1,3-4,6-").unwrap(), Ranges(alloc::vec![(1, 1), (3, 4), (6, usize::MAX)]));
        assert_eq!(Ranges::parse("-2").unwrap(), Ranges(alloc::vec![(1, 2)]));
        assert_eq!(Ranges::parse("0"), Err("fields and positions are numbered from 1".into()));
        assert_eq!(Ranges::parse("3-1"), Err("invalid decreasing range".into()));
        assert_eq!(Ranges::parse("-"), Err("invalid range with no endpoint: -".into()));
        assert!(Ranges::parse("a").is_err());
        assert!(Ranges::parse("1,,2").is_err());
    }

    #[test]
    fn bytes_chars_fields() {
        assert_eq!(cut(Mode::Bytes, "1-3", false, None, "abcdef"), Some("abc".into()));
        assert_eq!(cut(Mode::Bytes, "2,4-", false, None, "abcdef"), Some("bdef".into()));
        assert_eq!(cut(Mode::Bytes, "1,3", false, Some(":"), "abc"), Some("a:c".into()));
        assert_eq!(cut(Mode::Chars, "2-3", false, None, "héllo"), Some("él".into()));
        assert_eq!(cut(Mode::Chars, "2", true, None, "abc"), Some("ac".into()));
        let f = |d: u8, s: bool| Mode::Fields { delim: d, only_delimited: s };
        assert_eq!(cut(f(b':', false), "1,3", false, None, "root:x:0:0"), Some("root:0".into()));
        assert_eq!(cut(f(b':', false), "2-", false, Some(" "), "a:b:c"), Some("b c".into()));
        assert_eq!(cut(f(b'\t', false), "2", false, None, "a\tb\tc"), Some("b".into()));
        assert_eq!(cut(f(b':', false), "2", false, None, "nodelim"), Some("nodelim".into()));
        assert_eq!(cut(f(b':', true), "2", false, None, "nodelim"), None);
        assert_eq!(cut(f(b':', false), "2", true, None, "a:b:c"), Some("a:c".into()));
        assert_eq!(cut(f(b':', false), "5", false, None, "a:b"), Some("".into()));
    }
}
