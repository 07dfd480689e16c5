//! `grep` patterns: basic (BRE, the default), extended (`-E`) and fixed
//! (`-F`) strings, compiled with `regex-automata` — the engine of the
//! `regex` crate, which itself needs `std`; programs here are `no_std`.
//!
//! Matching is on bytes with ASCII classes (`\w`, `[[:alpha:]]`), like GNU
//! grep in the C locale.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use regex_automata::meta::Regex;
use regex_automata::util::syntax;

/// The pattern dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// POSIX basic regular expressions: `\( \) \{ \} \| \+ \?` are
    /// operators, the bare characters are literal.
    Basic,
    /// Extended regular expressions (`-E`).
    Extended,
    /// Fixed strings (`-F`).
    Fixed,
}

/// How to match.
#[derive(Clone, Copy, Debug)]
pub struct MatchOptions {
    /// The dialect.
    pub dialect: Dialect,
    /// `-i`.
    pub ignore_case: bool,
    /// `-w`: the match must be a whole word.
    pub word: bool,
    /// `-x`: the match must be the whole line.
    pub line: bool,
}

/// Escapes every regex metacharacter of `s`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A basic regular expression rewritten as an extended one.
pub fn bre_to_ere(p: &str) -> String {
    let mut out = String::with_capacity(p.len() + 8);
    let chars: Vec<char> = p.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let n = chars[i + 1];
                match n {
                    '(' | ')' | '{' | '}' | '|' | '+' | '?' => out.push(n),
                    _ => {
                        out.push('\\');
                        out.push(n);
                    }
                }
                i += 2;
                continue;
            }
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            // A leading `*` (or one after `^` or `\(`) is literal in a BRE.
            '*' if out.is_empty() || out.ends_with('^') || out.ends_with('(') && !out.ends_with("\\(") => {
                out.push_str("\\*");
            }
            '[' => {
                // Copy a bracket expression verbatim (`]` first is literal).
                let start = i;
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    i += 1;
                }
                while i < chars.len() && chars[i] != ']' {
                    if chars[i] == '[' && matches!(chars.get(i + 1), Some(':' | '.' | '=')) {
                        let close = chars[i + 1];
                        i += 2;
                        while i + 1 < chars.len() && !(chars[i] == close && chars[i + 1] == ']') {
                            i += 1;
                        }
                        i += 2;
                        continue;
                    }
                    i += 1;
                }
                let end = (i + 1).min(chars.len());
                out.extend(&chars[start..end]);
                i = end;
                continue;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// A compiled set of patterns (a line matches if any pattern does).
#[derive(Clone, Debug)]
pub struct Matcher {
    re: Regex,
}

impl Matcher {
    /// Compiles `patterns` under `o`.
    ///
    /// # Errors
    /// The regex error, as text.
    pub fn new(patterns: &[String], o: &MatchOptions) -> Result<Matcher, String> {
        let parts: Vec<String> = patterns
            .iter()
            .map(|p| match o.dialect {
                Dialect::Basic => bre_to_ere(p),
                Dialect::Extended => p.clone(),
                Dialect::Fixed => escape(p),
            })
            .map(|p| format!("(?:{p})"))
            .collect();
        let mut all = parts.join("|");
        if o.line {
            all = format!("^(?:{all})$");
        } else if o.word {
            all = format!(r"(?:^|\b)(?:{all})(?:\b|$)");
        }
        let cfg = syntax::Config::new().unicode(false).utf8(false).case_insensitive(o.ignore_case).multi_line(false);
        let re = Regex::builder().syntax(cfg).build(&all).map_err(|e| format!("{e}"))?;
        Ok(Matcher { re })
    }

    /// Whether `line` (without its newline) matches.
    pub fn is_match(&self, line: &[u8]) -> bool {
        self.re.is_match(line)
    }

    /// The non-empty matches in `line` (`-o`), as byte ranges.
    pub fn find_all(&self, line: &[u8]) -> Vec<(usize, usize)> {
        self.re.find_iter(line).filter(|m| m.start() < m.end()).map(|m| (m.start(), m.end())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn m(p: &str, dialect: Dialect) -> Matcher {
        let o = MatchOptions { dialect, ignore_case: false, word: false, line: false };
        Matcher::new(&[p.to_string()], &o).unwrap()
    }

    #[test]
    fn basic_expressions() {
        assert_eq!(bre_to_ere(r"a\(b\)\{2\}c+"), r"a(b){2}c\+");
        assert_eq!(bre_to_ere("*a"), r"\*a");
        assert_eq!(bre_to_ere("[(]x"), "[(]x");
        assert_eq!(bre_to_ere("[[:digit:]]+"), r"[[:digit:]]\+");
        let x = m("a|b", Dialect::Basic);
        assert!(x.is_match(b"xa|by") && !x.is_match(b"a"));
        assert!(m(r"a\|b", Dialect::Basic).is_match(b"b"));
        assert!(m("^p.*r$", Dialect::Basic).is_match(b"pear"));
    }

    #[test]
    fn extended_and_fixed() {
        assert!(m("a|b", Dialect::Extended).is_match(b"b"));
        assert!(m("[0-9]+x", Dialect::Extended).is_match(b"ab12x"));
        let f = m("a.b*", Dialect::Fixed);
        assert!(f.is_match(b"xa.b*") && !f.is_match(b"axbb"));
        assert!(
            Matcher::new(
                &["(".to_string()],
                &MatchOptions { dialect: Dialect::Extended, ignore_case: false, word: false, line: false }
            )
            .is_err()
        );
    }

    #[test]
    fn flags() {
        let o = MatchOptions { dialect: Dialect::Basic, ignore_case: true, word: false, line: false };
        assert!(Matcher::new(&["PEAR".to_string()], &o).unwrap().is_match(b"a pear"));
        let o = MatchOptions { dialect: Dialect::Basic, ignore_case: false, word: true, line: false };
        let w = Matcher::new(&["fig".to_string()], &o).unwrap();
        assert!(w.is_match(b"a fig tree") && w.is_match(b"fig") && !w.is_match(b"figs"));
        let o = MatchOptions { dialect: Dialect::Basic, ignore_case: false, word: false, line: true };
        let l = Matcher::new(&["fig".to_string(), "pear".to_string()], &o).unwrap();
        assert!(l.is_match(b"pear") && !l.is_match(b"pears"));
        assert_eq!(m("p.", Dialect::Basic).find_all(b"apple pie"), vec![(1, 3), (6, 8)]);
    }
}
