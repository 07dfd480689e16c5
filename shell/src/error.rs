//! Syntax errors and their positions.

use alloc::string::String;
use core::fmt;

/// A syntax error found by the lexer or the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset in the source where the error was found.
    pub offset: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

/// The kinds of syntax error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// A token that cannot appear here (`unexpected 'then'`).
    Unexpected(String),
    /// The input ended inside a construct; the string says what was
    /// expected (`'fi'`, `a command`, ...). An interactive shell asks for
    /// another line instead of reporting it.
    UnexpectedEof(&'static str),
    /// A quote or substitution not closed before the end of the input.
    Unterminated(&'static str),
    /// A malformed `${...}` expansion.
    BadSubstitution(String),
    /// Any other problem (invalid name, nesting too deep ...).
    Invalid(String),
}

impl ParseError {
    /// Whether more input could complete the source (an interactive shell
    /// then prompts with `PS2` for another line).
    pub fn is_incomplete(&self) -> bool {
        matches!(self.kind, ParseErrorKind::UnexpectedEof(_) | ParseErrorKind::Unterminated(_))
    }

    /// The 1-based line and column of the error in `src`.
    pub fn line_col(&self, src: &str) -> (usize, usize) {
        line_col(src, self.offset)
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `src`.
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("syntax error: ")?;
        match &self.kind {
            ParseErrorKind::Unexpected(tok) => write!(f, "unexpected '{tok}'"),
            ParseErrorKind::UnexpectedEof(what) => write!(f, "unexpected end of input (expecting {what})"),
            ParseErrorKind::Unterminated(what) => write!(f, "unterminated {what}"),
            ParseErrorKind::BadSubstitution(s) => write!(f, "bad substitution '{s}'"),
            ParseErrorKind::Invalid(s) => f.write_str(s),
        }
    }
}
