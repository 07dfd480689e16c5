//! Text processing on byte buffers: counting (`wc`), sorting (`sort`),
//! adjacent duplicates (`uniq`), first and last lines (`head`, `tail`) and
//! `echo -e` escapes. Lines are `\n`-terminated byte strings; a missing
//! final newline is tolerated.

use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// Splits `data` into lines without their `\n`.
pub fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.last() == Some(&b'\n') || data.is_empty() {
        v.pop();
    }
    v
}

/// What `wc` counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Newlines.
    pub lines: u64,
    /// Words (runs of non-white-space).
    pub words: u64,
    /// Bytes.
    pub bytes: u64,
    /// UTF-8 characters.
    pub chars: u64,
    /// Longest line in characters.
    pub max_line: u64,
}

impl Counts {
    /// Counts `data`, continuing a previous chunk (`in_word`: the previous
    /// chunk ended inside a word; `line`: characters on the current line).
    pub fn add(&mut self, data: &[u8], in_word: &mut bool, line: &mut u64) {
        self.bytes += data.len() as u64;
        for &b in data {
            if b & 0xc0 != 0x80 {
                self.chars += 1;
                if b != b'\n' {
                    *line += 1;
                }
            }
            if b == b'\n' {
                self.lines += 1;
                self.max_line = self.max_line.max(*line);
                *line = 0;
            }
            let space = matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
            if !space && !*in_word {
                self.words += 1;
            }
            *in_word = !space;
        }
        self.max_line = self.max_line.max(*line);
    }

    /// Counts one whole buffer.
    pub fn of(data: &[u8]) -> Counts {
        let mut c = Counts::default();
        c.add(data, &mut false, &mut 0);
        c
    }
}

/// `sort` options.
#[derive(Clone, Debug, Default)]
pub struct SortOptions {
    /// `-r`.
    pub reverse: bool,
    /// `-n`: compare leading numbers.
    pub numeric: bool,
    /// `-h`: compare sizes with suffixes (`2K` < `1M`).
    pub human: bool,
    /// `-f`: fold lower case to upper case.
    pub fold: bool,
    /// `-b`: ignore leading blanks.
    pub blanks: bool,
    /// `-u`: keep the first of equal lines.
    pub unique: bool,
    /// `-t`: field separator (default: runs of blanks).
    pub separator: Option<u8>,
    /// `-k START[,END]`: 1-based fields.
    pub key: Option<(usize, Option<usize>)>,
}

/// Parses a `-k` value: `2`, `2,3` (field numbers; character offsets and
/// per-key flags are not supported).
pub fn parse_key(s: &str) -> Option<(usize, Option<usize>)> {
    let (a, b) = s.split_once(',').map_or((s, None), |(a, b)| (a, Some(b)));
    let a: usize = a.parse().ok().filter(|&n| n > 0)?;
    let b = match b {
        Some(b) => Some(b.parse().ok().filter(|&n| n >= a)?),
        None => None,
    };
    Some((a, b))
}

/// Fields of `line`: split at `sep`, or at runs of blanks (each field keeps
/// its leading blanks, as POSIX `sort` does).
fn fields(line: &[u8], sep: Option<u8>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    match sep {
        Some(s) => {
            let mut start = 0;
            for (i, &b) in line.iter().enumerate() {
                if b == s {
                    out.push((start, i));
                    start = i + 1;
                }
            }
            out.push((start, line.len()));
        }
        None => {
            let mut i = 0;
            while i < line.len() {
                let start = i;
                while i < line.len() && matches!(line[i], b' ' | b'\t') {
                    i += 1;
                }
                while i < line.len() && !matches!(line[i], b' ' | b'\t') {
                    i += 1;
                }
                out.push((start, i));
            }
        }
    }
    out
}

fn key<'a>(line: &'a [u8], o: &SortOptions) -> &'a [u8] {
    let mut k = match o.key {
        None => line,
        Some((a, b)) => {
            let f = fields(line, o.separator);
            let Some(&(start, _)) = f.get(a - 1) else { return &[] };
            let end = b.and_then(|b| f.get(b - 1)).map_or(line.len(), |&(_, e)| e);
            &line[start..end.max(start)]
        }
    };
    if o.blanks || o.numeric || o.human || o.key.is_some() && o.separator.is_none() {
        while let [b' ' | b'\t', rest @ ..] = k {
            k = rest;
        }
    }
    k
}

/// The leading number of `s` (`-12.5`, `3`, nothing = 0) times the
/// suffix multiplier for `-h`.
fn number(s: &[u8], human: bool) -> f64 {
    let mut i = 0;
    if s.first() == Some(&b'-') {
        i = 1;
    }
    while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'.') {
        i += 1;
    }
    let mut v: f64 = core::str::from_utf8(&s[..i]).ok().and_then(|t| t.parse().ok()).unwrap_or(0.0);
    if human {
        let m = match s.get(i) {
            Some(b'K' | b'k') => 1e3,
            Some(b'M') => 1e6,
            Some(b'G') => 1e9,
            Some(b'T') => 1e12,
            Some(b'P') => 1e15,
            _ => 1.0,
        };
        v *= m;
    }
    v
}

/// Compares two lines under `o` (without `-r`; ties are broken by the
/// whole line in byte order unless `-u`, as GNU `sort` does).
pub fn compare(a: &[u8], b: &[u8], o: &SortOptions) -> Ordering {
    let (ka, kb) = (key(a, o), key(b, o));
    let primary = if o.numeric || o.human {
        number(ka, o.human).partial_cmp(&number(kb, o.human)).unwrap_or(Ordering::Equal)
    } else if o.fold {
        ka.iter().map(u8::to_ascii_uppercase).cmp(kb.iter().map(u8::to_ascii_uppercase))
    } else {
        ka.cmp(kb)
    };
    if primary != Ordering::Equal || o.unique {
        return primary;
    }
    a.cmp(b)
}

/// Sorts `lines` in place under `o` (stable; `-r` reverses, `-u` keeps the
/// first of each run of equal keys).
pub fn sort_lines(lines: &mut Vec<&[u8]>, o: &SortOptions) {
    lines.sort_by(|a, b| {
        let c = compare(a, b, o);
        if o.reverse { c.reverse() } else { c }
    });
    if o.unique {
        lines.dedup_by(|a, b| compare(a, b, o) == Ordering::Equal);
    }
}

/// `uniq` options.
#[derive(Clone, Copy, Debug, Default)]
pub struct UniqOptions {
    /// `-c`: prefix counts.
    pub count: bool,
    /// `-d`: only repeated lines.
    pub repeated: bool,
    /// `-u`: only unique lines.
    pub unique: bool,
    /// `-i`: ignore case.
    pub ignore_case: bool,
}

/// `uniq` over `lines`: one output line (without `\n`) per run.
pub fn uniq(lines: &[&[u8]], o: &UniqOptions) -> Vec<Vec<u8>> {
    let same = |a: &[u8], b: &[u8]| if o.ignore_case { a.eq_ignore_ascii_case(b) } else { a == b };
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i + 1;
        while j < lines.len() && same(lines[i], lines[j]) {
            j += 1;
        }
        let n = j - i;
        if !(o.repeated && n == 1 || o.unique && n > 1) {
            let mut l = Vec::new();
            if o.count {
                l.extend_from_slice(alloc::format!("{n:7} ").as_bytes());
            }
            l.extend_from_slice(lines[i]);
            out.push(l);
        }
        i = j;
    }
    out
}

/// How much of `chunk` a streaming `head` prints when `left` bytes
/// (`bytes`) or lines are still wanted; `left` is decreased accordingly.
/// `head -c N` and `head -n N` read only this far, so an endless input
/// (`/dev/zero`, a producer that never stops) ends as with GNU `head`.
pub fn head_take(chunk: &[u8], left: &mut u64, bytes: bool) -> usize {
    if bytes {
        let n = (*left).min(chunk.len() as u64);
        *left -= n;
        return n as usize;
    }
    for (i, &b) in chunk.iter().enumerate() {
        if *left == 0 {
            return i;
        }
        if b == b'\n' {
            *left -= 1;
            if *left == 0 {
                return i + 1;
            }
        }
    }
    if *left == 0 { 0 } else { chunk.len() }
}

/// The first `n` lines of `data` (or all but the last `n` with
/// `all_but`), with their newlines.
pub fn head_lines(data: &[u8], n: u64, all_but: bool) -> &[u8] {
    let total =
        data.iter().filter(|&&b| b == b'\n').count() as u64 + u64::from(data.last().is_some_and(|&b| b != b'\n'));
    let keep = if all_but { total.saturating_sub(n) } else { n };
    if keep == 0 {
        return &[];
    }
    let mut seen = 0;
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' {
            seen += 1;
            if seen >= keep {
                return &data[..=i];
            }
        }
    }
    data
}

/// The last `n` lines of `data` (or from line `n` on, 1-based, with
/// `from_start` — `tail -n +N`).
pub fn tail_lines(data: &[u8], n: u64, from_start: bool) -> &[u8] {
    if from_start {
        let mut line = 1;
        for (i, &b) in data.iter().enumerate() {
            if line >= n {
                return &data[i..];
            }
            if b == b'\n' {
                line += 1;
            }
        }
        return &[];
    }
    if n == 0 {
        return &[];
    }
    let end = if data.last() == Some(&b'\n') { data.len() - 1 } else { data.len() };
    let mut seen = 0;
    for i in (0..end).rev() {
        if data[i] == b'\n' {
            seen += 1;
            if seen == n {
                return &data[i + 1..];
            }
        }
    }
    data
}

/// `echo -e` escapes: `\n \t \\ \a \b \e \f \r \v \0NNN \xHH`; `\c`
/// stops the output (returned as `true`).
pub fn unescape(s: &str) -> (String, bool) {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    let mut bytes = Vec::new();
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            bytes.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        let c = b[i];
        i += 1;
        match c {
            b'n' => bytes.push(b'\n'),
            b't' => bytes.push(b'\t'),
            b'\\' => bytes.push(b'\\'),
            b'a' => bytes.push(7),
            b'b' => bytes.push(8),
            b'e' => bytes.push(0x1b),
            b'f' => bytes.push(0x0c),
            b'r' => bytes.push(b'\r'),
            b'v' => bytes.push(0x0b),
            b'c' => {
                out.push_str(&String::from_utf8_lossy(&bytes));
                return (out, true);
            }
            b'0' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 3 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                    v = v * 8 + u32::from(b[i] - b'0');
                    i += 1;
                    k += 1;
                }
                bytes.push(v as u8);
            }
            b'x' => {
                let mut v = 0u32;
                let mut k = 0;
                while k < 2 && i < b.len() && b[i].is_ascii_hexdigit() {
                    v = v * 16 + (b[i] as char).to_digit(16).unwrap_or(0);
                    i += 1;
                    k += 1;
                }
                if k == 0 {
                    bytes.extend_from_slice(b"\\x");
                } else {
                    bytes.push(v as u8);
                }
            }
            other => {
                bytes.push(b'\\');
                bytes.push(other);
            }
        }
    }
    out.push_str(&String::from_utf8_lossy(&bytes));
    (out, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn splitting_lines() {
        assert_eq!(lines(b"a\nb\n"), vec![&b"a"[..], b"b"]);
        assert_eq!(lines(b"a\nb"), vec![&b"a"[..], b"b"]);
        assert!(lines(b"").is_empty());
        assert_eq!(lines(b"\n"), vec![&b""[..]]);
    }

    #[test]
    fn word_counts() {
        let c = Counts::of(b"pear apple\n  fig\n");
        assert_eq!((c.lines, c.words, c.bytes, c.max_line), (2, 3, 17, 10));
        let mut c = Counts::default();
        let (mut w, mut l) = (false, 0);
        c.add(b"hel", &mut w, &mut l);
        c.add(b"lo wor", &mut w, &mut l);
        c.add(b"ld", &mut w, &mut l);
        assert_eq!((c.words, c.lines, c.chars), (2, 0, 11));
        assert_eq!(Counts::of("héllo\n".as_bytes()).chars, 6);
    }

    fn sorted(input: &[u8], o: &SortOptions) -> Vec<&'static str> {
        let mut l = lines(input);
        sort_lines(&mut l, o);
        l.iter().map(|x| alloc::string::String::from_utf8(x.to_vec()).unwrap().leak() as &str).collect()
    }

    #[test]
    fn sorting() {
        let d = SortOptions::default();
        assert_eq!(sorted(b"pear\napple\nfig\n", &d), vec!["apple", "fig", "pear"]);
        let n = SortOptions { numeric: true, ..Default::default() };
        assert_eq!(sorted(b"10\n9\n-1\nx\n", &n), vec!["-1", "x", "9", "10"]);
        let r = SortOptions { numeric: true, reverse: true, ..Default::default() };
        assert_eq!(sorted(b"1\n3\n2\n", &r), vec!["3", "2", "1"]);
        let u = SortOptions { unique: true, fold: true, ..Default::default() };
        assert_eq!(sorted(b"b\nA\na\nB\n", &u), vec!["A", "b"]);
        let k = SortOptions { key: Some((2, Some(2))), separator: Some(b':'), numeric: true, ..Default::default() };
        assert_eq!(sorted(b"a:3\nb:1\nc:2\n", &k), vec!["b:1", "c:2", "a:3"]);
        let k = SortOptions { key: Some((2, None)), ..Default::default() };
        assert_eq!(sorted(b"x  b\ny a\n", &k), vec!["y a", "x  b"]);
        let h = SortOptions { human: true, ..Default::default() };
        assert_eq!(sorted(b"1M\n2K\n3\n", &h), vec!["3", "2K", "1M"]);
    }

    #[test]
    fn keys() {
        assert_eq!(parse_key("2"), Some((2, None)));
        assert_eq!(parse_key("2,3"), Some((2, Some(3))));
        assert_eq!(parse_key("0"), None);
        assert_eq!(parse_key("3,2"), None);
        assert_eq!(parse_key("x"), None);
    }

    #[test]
    fn uniq_runs() {
        let l = lines(b"a\na\nb\nc\nc\nc\n");
        let s = |v: Vec<Vec<u8>>| v.into_iter().map(|x| String::from_utf8(x).unwrap()).collect::<Vec<_>>();
        assert_eq!(s(uniq(&l, &UniqOptions::default())), vec!["a", "b", "c"]);
        assert_eq!(
            s(uniq(&l, &UniqOptions { count: true, ..Default::default() })),
            vec!["      2 a", "      1 b", "      3 c"]
        );
        assert_eq!(s(uniq(&l, &UniqOptions { repeated: true, ..Default::default() })), vec!["a", "c"]);
        assert_eq!(s(uniq(&l, &UniqOptions { unique: true, ..Default::default() })), vec!["b"]);
        let l = lines(b"X\nx\n");
        assert_eq!(s(uniq(&l, &UniqOptions { ignore_case: true, ..Default::default() })), vec!["X"]);
    }

    #[test]
    fn streaming_head_stops_where_it_has_enough() {
        let mut left = 5;
        assert_eq!(head_take(&[0; 3], &mut left, true), 3);
        assert_eq!(head_take(&[0; 3], &mut left, true), 2);
        assert_eq!((left, head_take(&[0; 3], &mut left, true)), (0, 0));
        let mut left = 2;
        assert_eq!(head_take(b"a\nb", &mut left, false), 3);
        assert_eq!(head_take(b"c\nd\n", &mut left, false), 2);
        assert_eq!(left, 0);
        let mut left = 3;
        assert_eq!(head_take(b"no newline", &mut left, false), 10);
        assert_eq!(left, 3);
        let mut zero = 0;
        assert_eq!(head_take(b"x\n", &mut zero, false), 0);
        // The chunks together give what head_lines gives for the whole.
        let d = b"1\n22\n333\n4444\n";
        for cut in 0..d.len() {
            let mut left = 3;
            let (a, b) = d.split_at(cut);
            let ta = head_take(a, &mut left, false);
            let mut out = a[..ta].to_vec();
            if left > 0 {
                let tb = head_take(b, &mut left, false);
                out.extend_from_slice(&b[..tb]);
            }
            assert_eq!(out, head_lines(d, 3, false), "cut at {cut}");
        }
    }

    #[test]
    fn heads_and_tails() {
        let d = b"1\n2\n3\n4\n";
        assert_eq!(head_lines(d, 2, false), b"1\n2\n");
        assert_eq!(head_lines(d, 9, false), d);
        assert_eq!(head_lines(d, 0, false), b"");
        assert_eq!(head_lines(d, 1, true), b"1\n2\n3\n");
        assert_eq!(head_lines(b"1\n2", 1, true), b"1\n");
        assert_eq!(tail_lines(d, 2, false), b"3\n4\n");
        assert_eq!(tail_lines(b"1\n2\n3", 2, false), b"2\n3");
        assert_eq!(tail_lines(d, 9, false), d);
        assert_eq!(tail_lines(d, 0, false), b"");
        assert_eq!(tail_lines(d, 3, true), b"3\n4\n");
        assert_eq!(tail_lines(d, 1, true), d);
        assert_eq!(tail_lines(d, 7, true), b"");
    }

    #[test]
    fn escapes() {
        assert_eq!(unescape("a\\tb\\n"), ("a\tb\n".into(), false));
        assert_eq!(unescape("x\\cy"), ("x".into(), true));
        assert_eq!(unescape("\\x41\\0101\\q\\"), ("AA\\q\\".into(), false));
        assert_eq!(unescape("\\xz"), ("\\xz".into(), false));
    }
}
