//! Pattern matching (`*`, `?`, `[...]`) and pathname expansion.
//!
//! A pattern is a sequence of [`PatChar`]s: characters that came from
//! quotes or escapes are *literal* and never special. Pathname expansion
//! reads directories through the [`GlobFs`] trait, so it works over any
//! file system (the OS, or a mock in tests).

use alloc::string::String;
use alloc::vec::Vec;

/// One pattern character and whether it is literal (quoted): a literal `*`
/// only matches a `*`.
pub type PatChar = (char, bool);

/// Directory access for pathname expansion.
pub trait GlobFs {
    /// The names in directory `dir` (as written in the pattern, relative to
    /// the working directory unless it starts with `/`; `.` for the working
    /// directory), or `None` if it cannot be read.
    fn read_dir(&mut self, dir: &str) -> Option<Vec<String>>;
    /// Whether `path` (relative to the working directory unless absolute) exists.
    fn exists(&mut self, path: &str) -> bool;
    /// Whether `path` is a directory.
    fn is_dir(&mut self, path: &str) -> bool;
}

/// Pattern characters for unquoted text.
pub fn pattern(s: &str) -> Vec<PatChar> {
    s.chars().map(|c| (c, false)).collect()
}

/// Whether the pattern contains an unquoted `*`, `?` or `[`.
pub fn has_glob(pat: &[PatChar]) -> bool {
    pat.iter().any(|&(c, lit)| !lit && matches!(c, '*' | '?' | '['))
}

/// The pattern with quoting removed (what an unmatched pattern expands to).
pub fn literal_text(pat: &[PatChar]) -> String {
    pat.iter().map(|&(c, _)| c).collect()
}

/// Parse a bracket expression starting at `pat[i] == '['`: returns whether
/// `c` matches it and the index after the closing `]`, or `None` if the
/// bracket is not closed (then `[` is an ordinary character).
fn bracket(pat: &[PatChar], i: usize, c: char) -> Option<(bool, usize)> {
    let mut j = i + 1;
    let negate = matches!(pat.get(j), Some(&('!' | '^', false)));
    if negate {
        j += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &(pc, lit) = pat.get(j)?;
        if pc == ']' && !lit && !first {
            return Some((matched != negate, j + 1));
        }
        first = false;
        // Character classes: [:alpha:] and friends.
        if pc == '[' && !lit && matches!(pat.get(j + 1), Some(&(':', false))) {
            let rest: String = pat[j + 2..].iter().map(|&(c, _)| c).collect();
            if let Some(end) = rest.find(":]") {
                let class = &rest[..end];
                matched |= match class {
                    "alpha" => c.is_alphabetic(),
                    "digit" => c.is_ascii_digit(),
                    "alnum" => c.is_alphanumeric(),
                    "upper" => c.is_uppercase(),
                    "lower" => c.is_lowercase(),
                    "space" => c.is_whitespace(),
                    "blank" => c == ' ' || c == '\t',
                    "punct" => c.is_ascii_punctuation(),
                    "xdigit" => c.is_ascii_hexdigit(),
                    "cntrl" => c.is_control(),
                    "print" => !c.is_control(),
                    "graph" => !c.is_control() && c != ' ',
                    _ => false,
                };
                j += 2 + rest[..end].chars().count() + 2;
                continue;
            }
        }
        if let (Some(&('-', false)), Some(&(hi, _))) = (pat.get(j + 1), pat.get(j + 2))
            && (hi != ']' || pat[j + 2].1)
        {
            matched |= pc <= c && c <= hi;
            j += 3;
            continue;
        }
        matched |= pc == c;
        j += 1;
    }
}

/// Whether `text` matches the whole pattern.
pub fn matches(pat: &[PatChar], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: (pattern index after it, text index).
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pat.get(p) {
            Some(&('*', false)) => {
                star = Some((p + 1, t));
                p += 1;
                continue;
            }
            Some(&('?', false)) => Some(p + 1),
            Some(&('[', false)) => match bracket(pat, p, text[t]) {
                Some((true, next)) => Some(next),
                Some((false, _)) => None,
                None => (text[t] == '[').then_some(p + 1),
            },
            Some(&(c, _)) => (c == text[t]).then_some(p + 1),
            None => None,
        };
        match step {
            Some(next) => {
                p = next;
                t += 1;
            }
            None => match star {
                Some((sp, st)) => {
                    p = sp;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|&pc| pc == ('*', false))
}

/// Expand a pathname pattern: the matching paths, sorted, or an empty list
/// if nothing matches. Names starting with `.` only match a pattern
/// component that starts with a literal `.`.
pub fn expand(fs: &mut dyn GlobFs, pat: &[PatChar]) -> Vec<String> {
    let absolute = pat.first().is_some_and(|&(c, _)| c == '/');
    let components: Vec<&[PatChar]> = pat.split(|&(c, _)| c == '/').collect();
    let mut paths: Vec<String> = alloc::vec![String::from(if absolute { "/" } else { "" })];
    let last = components.len() - 1;
    for (i, comp) in components.iter().enumerate() {
        if comp.is_empty() {
            if i == 0 && absolute {
                continue;
            }
            if i == last {
                // A trailing slash: directories only.
                paths.retain(|p| {
                    let p = p.trim_end_matches('/');
                    fs.is_dir(if p.is_empty() { "/" } else { p })
                });
                continue;
            }
            continue;
        }
        let mut next = Vec::new();
        if has_glob(comp) {
            let explicit_dot = comp.first().is_some_and(|&(c, _)| c == '.');
            for base in &paths {
                let dir = if base.is_empty() { "." } else { base.as_str() };
                let Some(mut names) = fs.read_dir(dir) else { continue };
                names.sort();
                for name in names {
                    if (name.starts_with('.') && !explicit_dot) || !matches(comp, &name) {
                        continue;
                    }
                    let mut p = base.clone();
                    p.push_str(&name);
                    if i != last {
                        p.push('/');
                    }
                    next.push(p);
                }
            }
        } else {
            let text = literal_text(comp);
            for base in &paths {
                let mut p = base.clone();
                p.push_str(&text);
                if i != last {
                    p.push('/');
                }
                next.push(p);
            }
        }
        paths = next;
        if paths.is_empty() {
            return paths;
        }
    }
    paths.retain(|p| {
        let probe = if p.len() > 1 { p.trim_end_matches('/') } else { p.as_str() };
        fs.exists(probe)
    });
    paths.sort();
    paths.dedup();
    paths
}
