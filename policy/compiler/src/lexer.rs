//! The lexer: source text -> tokens with positions.
//!
//! Identifiers are `[A-Za-z_][A-Za-z0-9_]*`; numbers are decimal; strings
//! are `"..."` with `\"` and `\\` escapes (other backslashes are kept, so
//! regular expressions read naturally); comments run from `#` or `//` to
//! the end of the line. `<<none>>` is a single token.

use crate::diag::{Diagnostics, Span};
use crate::prelude::*;

/// A token kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// Identifier or keyword.
    Ident(String),
    /// String literal (unescaped).
    Str(String),
    /// Decimal number.
    Num(u64),
    /// `<<none>>`.
    NoneCtx,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `;`
    Semi,
    /// `:`
    Colon,
    /// `,`
    Comma,
    /// `~`
    Tilde,
    /// `*`
    Star,
    /// `-`
    Minus,
    /// `.`
    Dot,
    /// `->`
    Arrow,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `!`
    Bang,
    /// `^`
    Caret,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token is shown in error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Str(s) => format!("string \"{s}\""),
            Tok::Num(n) => format!("number {n}"),
            Tok::NoneCtx => "`<<none>>`".into(),
            Tok::Eof => "end of file".into(),
            t => format!("`{}`", punct(t)),
        }
    }
}

fn punct(t: &Tok) -> &'static str {
    match t {
        Tok::LBrace => "{",
        Tok::RBrace => "}",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::Semi => ";",
        Tok::Colon => ":",
        Tok::Comma => ",",
        Tok::Tilde => "~",
        Tok::Star => "*",
        Tok::Minus => "-",
        Tok::Dot => ".",
        Tok::Arrow => "->",
        Tok::EqEq => "==",
        Tok::NotEq => "!=",
        Tok::AndAnd => "&&",
        Tok::OrOr => "||",
        Tok::Bang => "!",
        Tok::Caret => "^",
        _ => "?",
    }
}

/// A token and where it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Kind and payload.
    pub tok: Tok,
    /// Position of its first character.
    pub span: Span,
}

/// Splits `src` (file number `file`) into tokens, ending with [`Tok::Eof`].
/// Invalid characters and unterminated strings are reported to `diags` and
/// skipped, so parsing can go on and report more errors.
pub fn lex(src: &str, file: u16, diags: &mut Diagnostics) -> Vec<Token> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1u32, 1u32);
    let at = |line, col| Span { file, line, col };
    while i < chars.len() {
        let c = chars[i];
        let start = at(line, col);
        let peek = chars.get(i + 1).copied();
        let mut adv = 1usize;
        let tok = match c {
            '\n' => {
                i += 1;
                line += 1;
                col = 1;
                continue;
            }
            c if c.is_whitespace() => None,
            '#' => {
                while i + adv < chars.len() && chars[i + adv] != '\n' {
                    adv += 1;
                }
                None
            }
            '/' if peek == Some('/') => {
                while i + adv < chars.len() && chars[i + adv] != '\n' {
                    adv += 1;
                }
                None
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                while chars.get(i + adv).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    adv += 1;
                }
                Some(Tok::Ident(chars[i..i + adv].iter().collect()))
            }
            c if c.is_ascii_digit() => {
                while chars.get(i + adv).is_some_and(|c| c.is_ascii_digit()) {
                    adv += 1;
                }
                let text: String = chars[i..i + adv].iter().collect();
                match text.parse() {
                    Ok(n) => Some(Tok::Num(n)),
                    Err(_) => {
                        diags.error(start, format!("number `{text}` is too large"));
                        None
                    }
                }
            }
            '"' => {
                let mut s = String::new();
                let mut closed = false;
                while let Some(&c) = chars.get(i + adv) {
                    adv += 1;
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\n' => break,
                        '\\' if matches!(chars.get(i + adv), Some('"' | '\\')) => {
                            s.push(chars[i + adv]);
                            adv += 1;
                        }
                        c => s.push(c),
                    }
                }
                if !closed {
                    diags.error(start, "unterminated string");
                }
                Some(Tok::Str(s))
            }
            '<' if chars[i..].starts_with(&['<', '<', 'n', 'o', 'n', 'e', '>', '>']) => {
                adv = 8;
                Some(Tok::NoneCtx)
            }
            '-' if peek == Some('>') => {
                adv = 2;
                Some(Tok::Arrow)
            }
            '=' if peek == Some('=') => {
                adv = 2;
                Some(Tok::EqEq)
            }
            '!' if peek == Some('=') => {
                adv = 2;
                Some(Tok::NotEq)
            }
            '&' if peek == Some('&') => {
                adv = 2;
                Some(Tok::AndAnd)
            }
            '|' if peek == Some('|') => {
                adv = 2;
                Some(Tok::OrOr)
            }
            '{' => Some(Tok::LBrace),
            '}' => Some(Tok::RBrace),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            ';' => Some(Tok::Semi),
            ':' => Some(Tok::Colon),
            ',' => Some(Tok::Comma),
            '~' => Some(Tok::Tilde),
            '*' => Some(Tok::Star),
            '-' => Some(Tok::Minus),
            '.' => Some(Tok::Dot),
            '!' => Some(Tok::Bang),
            '^' => Some(Tok::Caret),
            other => {
                diags.error(start, format!("unexpected character `{}`", other.escape_debug()));
                None
            }
        };
        if let Some(tok) = tok {
            out.push(Token { tok, span: start });
        }
        // Advance, tracking lines inside strings/comments (never contain
        // newlines except an unterminated string, which stops before it).
        for _ in 0..adv {
            if chars.get(i) == Some(&'\n') {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
            i += 1;
        }
    }
    out.push(Token { tok: Tok::Eof, span: at(line, col) });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        let mut d = Diagnostics::new(vec!["t".into()]);
        lex(s, 0, &mut d).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn tokens_and_positions() {
        let mut d = Diagnostics::new(vec!["t".into()]);
        let t = lex("allow a_t b_t:file { read };\n  # c\n s0-s1:c0.c3", 0, &mut d);
        assert_eq!(t[0].tok, Tok::Ident("allow".into()));
        assert_eq!(t[3].tok, Tok::Colon);
        assert_eq!(t[3].span.col, 14);
        let s0 = t.iter().find(|t| t.tok == Tok::Ident("s0".into())).unwrap();
        assert_eq!((s0.span.line, s0.span.col), (3, 2));
        assert!(d.list.is_empty());
    }

    #[test]
    fn strings_none_and_errors() {
        assert_eq!(
            kinds(r#""/bin(/.*)?" <<none>> -> != $"#),
            vec![Tok::Str("/bin(/.*)?".into()), Tok::NoneCtx, Tok::Arrow, Tok::NotEq, Tok::Eof]
        );
        let mut d = Diagnostics::new(vec!["f.pol".into()]);
        lex("a $ \"open", 0, &mut d);
        let msgs: Vec<String> = d.list.iter().map(|x| x.to_string()).collect();
        assert_eq!(msgs, ["f.pol:1:3: error: unexpected character `$`", "f.pol:1:5: error: unterminated string"]);
    }
}
