//! Diagnostics: every error and warning carries a source position and is
//! printed as `file:line:col: error: message`.

use crate::prelude::*;
use core::fmt;

/// A position in a source file: file index, 1-based line and column
/// (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// Index into the list of sources given to the compiler.
    pub file: u16,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Compilation fails.
    Error,
    /// Reported, compilation continues.
    Warning,
}

/// One message about the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where.
    pub span: Span,
    /// File name (as given to the compiler).
    pub file: String,
    /// What, in lower case without a trailing period.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}:{}:{}: {}: {}", self.file, self.span.line, self.span.col, sev, self.message)
    }
}

/// Collects diagnostics for a set of files.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    files: Vec<String>,
    /// Everything reported so far, in report order.
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// A collector for the given file names.
    pub fn new(files: Vec<String>) -> Diagnostics {
        Diagnostics { files, list: Vec::new() }
    }

    fn push(&mut self, severity: Severity, span: Span, message: String) {
        let file = self.files.get(usize::from(span.file)).cloned().unwrap_or_else(|| "<input>".into());
        self.list.push(Diagnostic { severity, span, file, message });
    }

    /// Reports an error.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.push(Severity::Error, span, message.into());
    }

    /// Reports a warning.
    pub fn warn(&mut self, span: Span, message: impl Into<String>) {
        self.push(Severity::Warning, span, message.into());
    }

    /// Number of errors.
    pub fn error_count(&self) -> usize {
        self.list.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.list.iter().filter(|d| d.severity == Severity::Error)
    }
}

/// The closest candidate to `name` by edit distance, if close enough to be
/// a plausible typo (used for "did you mean" hints).
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.len() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Optimal-string-alignment distance: insertions, deletions,
/// substitutions and adjacent transpositions (`fiel` -> `file`) cost 1.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Formats "unknown X `name`" with a "did you mean" hint when one fits.
pub fn unknown<'a>(what: &str, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match suggest(name, candidates) {
        Some(s) => format!("unknown {what} `{name}` (did you mean `{s}`?)"),
        None => format!("unknown {what} `{name}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("fiel", "file"), 1);
        assert_eq!(suggest("httpd_tt", ["httpd_t", "user_t"]), Some("httpd_t"));
        assert_eq!(suggest("zzz", ["httpd_t"]), None);
    }
}
