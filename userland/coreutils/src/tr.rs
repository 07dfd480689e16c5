//! `tr`: translating, deleting and squeezing bytes.
//!
//! Sets are written as in POSIX: characters, escapes (`\n \t \r \a \b \f
//! \v \\ \NNN`), ranges (`a-z`), classes (`[:alpha:]`, `[:digit:]`,
//! `[:lower:]`, `[:upper:]`, `[:space:]`, `[:blank:]`, `[:punct:]`,
//! `[:alnum:]`, `[:cntrl:]`, `[:graph:]`, `[:print:]`, `[:xdigit:]`),
//! equivalence classes (`[=c=]`) and repeats in the second set (`[c*N]`,
//! `[c*]` to fill). Like GNU tr, a second set shorter than the first is
//! extended with its last byte (unless `-t` truncates the first).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One element of a set as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Bytes(Vec<u8>),
    /// `[c*N]`; `None` for `[c*]` (fill).
    Repeat(u8, Option<usize>),
}

/// The bytes of a POSIX character class.
fn class(name: &str) -> Option<Vec<u8>> {
    let pred: fn(u8) -> bool = match name {
        "alpha" => |b| b.is_ascii_alphabetic(),
        "digit" => |b| b.is_ascii_digit(),
        "alnum" => |b| b.is_ascii_alphanumeric(),
        "lower" => |b| b.is_ascii_lowercase(),
        "upper" => |b| b.is_ascii_uppercase(),
        "space" => |b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
        "blank" => |b| b == b' ' || b == b'\t',
        "punct" => |b| b.is_ascii_punctuation(),
        "cntrl" => |b| b.is_ascii_control(),
        "graph" => |b| b.is_ascii_graphic(),
        "print" => |b| b.is_ascii_graphic() || b == b' ',
        "xdigit" => |b| b.is_ascii_hexdigit(),
        _ => return None,
    };
    Some((0u8..=255).filter(|b| pred(*b)).collect())
}

/// One byte of a set at `i`, with escapes; returns it and the next index.
fn byte_at(s: &[u8], i: usize) -> (u8, usize) {
    if s[i] != b'\\' || i + 1 >= s.len() {
        return (s[i], i + 1);
    }
    let e = s[i + 1];
    let b = match e {
        b'n' => b'\n',
        b't' => b'\t',
        b'r' => b'\r',
        b'a' => 0x07,
        b'b' => 0x08,
        b'f' => 0x0c,
        b'v' => 0x0b,
        b'0'..=b'7' => {
            let mut v = 0u32;
            let mut j = i + 1;
            while j < s.len() && j < i + 4 && (b'0'..=b'7').contains(&s[j]) {
                v = v * 8 + u32::from(s[j] - b'0');
                j += 1;
            }
            return ((v & 0xff) as u8, j);
        }
        other => other,
    };
    (b, i + 2)
}

/// Parse a set as written.
fn parse(set: &str) -> Result<Vec<Item>, String> {
    let s = set.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'[' && i + 1 < s.len() {
            let rest = &set[i + 1..];
            if let Some(body) = rest.strip_prefix(':')
                && let Some(end) = body.find(":]")
            {
                let name = &body[..end];
                let bytes = class(name).ok_or_else(|| format!("invalid character class '{name}'"))?;
                items.push(Item::Bytes(bytes));
                i += 1 + 1 + end + 2;
                continue;
            }
            if let Some(body) = rest.strip_prefix('=')
                && let Some(end) = body.find("=]")
                && end > 0
            {
                let (b, _) = byte_at(body.as_bytes(), 0);
                items.push(Item::Bytes(alloc::vec![b]));
                i += 1 + 1 + end + 2;
                continue;
            }
            // `[c*N]` / `[c*]`
            let (c, j) = byte_at(s, i + 1);
            if j < s.len()
                && s[j] == b'*'
                && let Some(close) = set[j..].find(']')
            {
                let count = &set[j + 1..j + close];
                let n = if count.is_empty() {
                    None
                } else {
                    let radix = if count.starts_with('0') { 8 } else { 10 };
                    match usize::from_str_radix(count, radix) {
                        Ok(0) => None,
                        Ok(n) => Some(n),
                        Err(_) => return Err(format!("invalid repeat count '{count}' in [c*n] construct")),
                    }
                };
                items.push(Item::Repeat(c, n));
                i = j + close + 1;
                continue;
            }
        }
        let (b, next) = byte_at(s, i);
        if next < s.len() && s[next] == b'-' && next + 1 < s.len() {
            let (hi, after) = byte_at(s, next + 1);
            if hi < b {
                let text = String::from_utf8_lossy(&s[i..after]).into_owned();
                return Err(format!("range-endpoints of '{text}' are in reverse collating sequence order"));
            }
            items.push(Item::Bytes((b..=hi).collect()));
            i = after;
            continue;
        }
        items.push(Item::Bytes(alloc::vec![b]));
        i = next;
    }
    Ok(items)
}

/// The bytes of a set; `fill_to` is how long `[c*]` makes it.
fn expand(items: &[Item], fill_to: usize) -> Vec<u8> {
    let fixed: usize = items
        .iter()
        .map(|it| match it {
            Item::Bytes(b) => b.len(),
            Item::Repeat(_, Some(n)) => *n,
            Item::Repeat(_, None) => 0,
        })
        .sum();
    let mut out = Vec::new();
    for it in items {
        match it {
            Item::Bytes(b) => out.extend_from_slice(b),
            Item::Repeat(c, Some(n)) => out.extend(core::iter::repeat_n(*c, (*n).min(1 << 20))),
            Item::Repeat(c, None) => out.extend(core::iter::repeat_n(*c, fill_to.saturating_sub(fixed))),
        }
    }
    out
}

/// What `tr` was asked to do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrOptions {
    /// `-c`/`-C`: the complement of the first set.
    pub complement: bool,
    /// `-d`: delete the first set.
    pub delete: bool,
    /// `-s`: squeeze repeats of the last set given.
    pub squeeze: bool,
    /// `-t`: truncate the first set to the second's length.
    pub truncate: bool,
}

/// A prepared translation.
#[derive(Clone, Debug)]
pub struct Tr {
    map: [u8; 256],
    delete: [bool; 256],
    squeeze: [bool; 256],
    /// The last byte written (for squeezing across chunks).
    last: Option<u8>,
}

impl Tr {
    /// Prepare `tr` with the operands `sets`.
    ///
    /// # Errors
    /// The message `tr` prints (missing or extra operands, bad sets).
    pub fn new(opts: TrOptions, sets: &[String]) -> Result<Tr, String> {
        let translating = !opts.delete && sets.len() >= 2;
        let needed = match (opts.delete, opts.squeeze) {
            (true, true) => 2,
            (true, false) => 1,
            (false, true) => 1,
            (false, false) => 2,
        };
        if sets.is_empty() {
            return Err(String::from("missing operand"));
        }
        if sets.len() < needed {
            let hint = if opts.delete {
                "Two strings must be given when both deleting and squeezing repeats."
            } else {
                "Two strings must be given when translating."
            };
            return Err(format!("missing operand after '{}'\n{hint}", sets[sets.len() - 1]));
        }
        let max = if opts.delete && !opts.squeeze { 1 } else { 2 };
        if sets.len() > max {
            let hint = if opts.delete && !opts.squeeze {
                "\nOnly one string may be given when deleting without squeezing repeats."
            } else {
                ""
            };
            return Err(format!("extra operand '{}'{hint}", sets[max]));
        }
        let items1 = parse(&sets[0])?;
        if items1.iter().any(|i| matches!(i, Item::Repeat(..))) {
            return Err(String::from("the [c*] repeat construct may not appear in string1"));
        }
        let mut set1 = expand(&items1, 0);
        if opts.complement {
            let mut member = [false; 256];
            for b in &set1 {
                member[*b as usize] = true;
            }
            set1 = (0u8..=255).filter(|b| !member[*b as usize]).collect();
        }
        let set2 = match sets.get(1) {
            Some(s) => expand(&parse(s)?, set1.len()),
            None => Vec::new(),
        };
        let mut tr = Tr { map: [0; 256], delete: [false; 256], squeeze: [false; 256], last: None };
        for (i, m) in tr.map.iter_mut().enumerate() {
            *m = i as u8;
        }
        if opts.delete {
            for b in &set1 {
                tr.delete[*b as usize] = true;
            }
        }
        if translating {
            if set2.is_empty() && !set1.is_empty() {
                return Err(String::from("when not truncating set1, string2 must be non-empty"));
            }
            let n = if opts.truncate { set1.len().min(set2.len()) } else { set1.len() };
            for (i, b) in set1.iter().take(n).enumerate() {
                tr.map[*b as usize] = set2[i.min(set2.len() - 1)];
            }
        }
        if opts.squeeze {
            let last = if translating || opts.delete { &set2 } else { &set1 };
            for b in last {
                tr.squeeze[*b as usize] = true;
            }
        }
        Ok(tr)
    }

    /// Transform a chunk of input, appending to `out`.
    pub fn run(&mut self, input: &[u8], out: &mut Vec<u8>) {
        for &b in input {
            if self.delete[b as usize] {
                continue;
            }
            let m = self.map[b as usize];
            if self.squeeze[m as usize] && self.last == Some(m) {
                continue;
            }
            out.push(m);
            self.last = Some(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn tr(opts: TrOptions, sets: &[&str], input: &str) -> Result<String, String> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let mut t = Tr::new(opts, &sets)?;
        let mut out = Vec::new();
        t.run(input.as_bytes(), &mut out);
        Ok(String::from_utf8(out).unwrap())
    }

    const NONE: TrOptions = TrOptions { complement: false, delete: false, squeeze: false, truncate: false };

    #[test]
    fn translate() {
        assert_eq!(tr(NONE, &["a-z", "A-Z"], "hello, World"), Ok("HELLO, WORLD".into()));
        assert_eq!(tr(NONE, &["[:lower:]", "[:upper:]"], "abc1"), Ok("ABC1".into()));
        assert_eq!(tr(NONE, &[" ", "\\n"], "a b c"), Ok("a\nb\nc".into()));
        assert_eq!(tr(NONE, &["abc", "x"], "aabbcd"), Ok("xxxxxd".into()));
        assert_eq!(tr(TrOptions { truncate: true, ..NONE }, &["abc", "x"], "abcd"), Ok("xbcd".into()));
        assert_eq!(tr(NONE, &["a-c", "[x*]"], "abcd"), Ok("xxxd".into()));
        assert_eq!(tr(NONE, &["a-d", "[x*2]yz"], "abcd"), Ok("xxyz".into()));
        assert_eq!(tr(NONE, &["\\101", "b"], "AA"), Ok("bb".into()));
        assert_eq!(tr(NONE, &["[=a=]", "b"], "aa"), Ok("bb".into()));
        assert_eq!(tr(TrOptions { complement: true, ..NONE }, &["a-z\\n", "_"], "ab1 c\n"), Ok("ab__c\n".into()));
    }

    #[test]
    fn delete_and_squeeze() {
        let d = TrOptions { delete: true, ..NONE };
        assert_eq!(tr(d, &["[:digit:]"], "a1b22c"), Ok("abc".into()));
        assert_eq!(tr(TrOptions { complement: true, ..d }, &["[:alpha:]"], "a1 b!"), Ok("ab".into()));
        let s = TrOptions { squeeze: true, ..NONE };
        assert_eq!(tr(s, &[" "], "a   b  c"), Ok("a b c".into()));
        assert_eq!(tr(s, &["a-z", "A-Z"], "aabbcc"), Ok("ABC".into()));
        assert_eq!(tr(TrOptions { squeeze: true, delete: true, ..NONE }, &["0-9", " "], "a1  2 b"), Ok("a b".into()));
        // Squeezing goes on across chunks.
        let mut t = Tr::new(s, &[" ".to_string()]).unwrap();
        let mut out = Vec::new();
        t.run(b"a  ", &mut out);
        t.run(b"  b", &mut out);
        assert_eq!(out, b"a b");
    }

    #[test]
    fn errors() {
        assert_eq!(tr(NONE, &[], ""), Err("missing operand".into()));
        assert_eq!(
            tr(NONE, &["a"], ""),
            Err("missing operand after 'a'\nTwo strings must be given when translating.".into())
        );
        let d = TrOptions { delete: true, ..NONE };
        assert!(tr(d, &["a", "b"], "").unwrap_err().starts_with("extra operand 'b'"));
        assert_eq!(tr(NONE, &["a", "b", "c"], ""), Err("extra operand 'c'".into()));
        assert_eq!(
            tr(NONE, &["z-a", "b"], ""),
            Err("range-endpoints of 'z-a' are in reverse collating sequence order".into())
        );
        assert_eq!(tr(NONE, &["[:foo:]", "b"], ""), Err("invalid character class 'foo'".into()));
        assert!(tr(NONE, &["[a*]", "b"], "").is_err());
        assert!(tr(NONE, &["a", ""], "").is_err());
    }
}
