//! The lexer: turns source text into tokens, with words already split into
//! their quoting structure ([`WordPart`]s).
//!
//! Command substitutions `$(...)` are parsed by a nested
//! [`Parser`](crate::parser::Parser) over the same source, so the lexer and
//! the parser recurse into each other; a depth limit keeps hostile input
//! from exhausting the stack.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ast::{Param, ParamName, ParamOp, Word, WordPart};
use crate::error::{ParseError, ParseErrorKind};
use crate::parser::Parser;

/// Deepest nesting of substitutions, quotes in `${...}` and compound
/// commands the parser accepts.
pub const MAX_DEPTH: usize = 48;

/// An operator token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `|`
    Pipe,
    /// `||`
    OrIf,
    /// `&`
    Amp,
    /// `&&`
    AndIf,
    /// `;`
    Semi,
    /// `;;`
    DSemi,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `<`
    Less,
    /// `>`
    Great,
    /// `>>`
    DGreat,
    /// `<&`
    LessAnd,
    /// `>&`
    GreatAnd,
    /// `<>`
    LessGreat,
    /// `>|`
    Clobber,
    /// `&>`
    AndGreat,
    /// `<<`
    DLess,
    /// `<<-`
    DLessDash,
}

impl Op {
    /// The operator's text.
    pub fn text(self) -> &'static str {
        match self {
            Op::Pipe => "|",
            Op::OrIf => "||",
            Op::Amp => "&",
            Op::AndIf => "&&",
            Op::Semi => ";",
            Op::DSemi => ";;",
            Op::LParen => "(",
            Op::RParen => ")",
            Op::Less => "<",
            Op::Great => ">",
            Op::DGreat => ">>",
            Op::LessAnd => "<&",
            Op::GreatAnd => ">&",
            Op::LessGreat => "<>",
            Op::Clobber => ">|",
            Op::AndGreat => "&>",
            Op::DLess => "<<",
            Op::DLessDash => "<<-",
        }
    }

    /// Whether this operator starts a redirection.
    pub fn is_redirect(self) -> bool {
        matches!(
            self,
            Op::Less
                | Op::Great
                | Op::DGreat
                | Op::LessAnd
                | Op::GreatAnd
                | Op::LessGreat
                | Op::Clobber
                | Op::AndGreat
                | Op::DLess
                | Op::DLessDash
        )
    }
}

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A word.
    Word(Word),
    /// Digits directly before `<` or `>`.
    IoNumber(u32),
    /// An operator.
    Op(Op),
    /// A newline.
    Newline,
    /// The end of the input.
    Eof,
}

/// A token and its byte range in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// Byte offset of its first character.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

/// Where a run of word characters ends and how quoting behaves inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A plain word: ends at a metacharacter.
    Unquoted,
    /// Inside `"..."`: ends at `"`.
    Double,
    /// A here-document body: ends at the end of the text.
    HereDoc,
    /// The word of `${x-word}`: ends at `}`; `in_double` if the whole
    /// expansion is inside double quotes.
    Brace { in_double: bool },
}

impl Mode {
    fn quotes_active(self) -> bool {
        matches!(self, Mode::Unquoted | Mode::Brace { in_double: false })
    }
}

/// Collects word parts, merging adjacent text.
#[derive(Default)]
struct Parts {
    parts: Vec<WordPart>,
}

impl Parts {
    fn push_literal(&mut self, c: char) {
        if let Some(WordPart::Literal(s)) = self.parts.last_mut() {
            s.push(c);
        } else {
            self.parts.push(WordPart::Literal(c.to_string()));
        }
    }

    fn push_quoted(&mut self, text: &str) {
        if let Some(WordPart::Quoted(s)) = self.parts.last_mut() {
            s.push_str(text);
        } else {
            self.parts.push(WordPart::Quoted(text.into()));
        }
    }
}

fn is_meta(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')')
}

/// Whether `s` is a valid variable name.
pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// The lexer over one source text.
pub struct Lexer<'a> {
    pub(crate) src: &'a str,
    pub(crate) pos: usize,
    pub(crate) depth: usize,
    /// A newline followed by here-document bodies: `(newline offset, offset after the bodies)`.
    pub(crate) heredoc_skip: Option<(usize, usize)>,
}

impl<'a> Lexer<'a> {
    /// A lexer starting at byte `pos` of `src`, `depth` levels deep in substitutions.
    pub fn new(src: &'a str, pos: usize, depth: usize) -> Self {
        Lexer { src, pos, depth, heredoc_skip: None }
    }

    /// The current byte offset.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The source text.
    pub fn src(&self) -> &'a str {
        self.src
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek2(&self) -> Option<char> {
        let mut it = self.src[self.pos..].chars();
        it.next();
        it.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    pub(crate) fn err(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError { offset, kind }
    }

    /// The next token.
    pub fn next_token(&mut self) -> Result<Token, ParseError> {
        // Blanks, line continuations and comments.
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r') => {
                    self.pos += 1;
                }
                Some('\\') if self.peek2() == Some('\n') => {
                    self.pos += 2;
                    if self.pos == self.src.len() {
                        return Err(self.err(self.pos, ParseErrorKind::Unterminated("line continuation")));
                    }
                }
                Some('#') => {
                    while !matches!(self.peek(), None | Some('\n')) {
                        self.bump();
                    }
                }
                _ => break,
            }
        }
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Ok(Token { tok: Tok::Eof, start, end: start });
        };
        if c == '\n' {
            self.pos += 1;
            if let Some((nl, resume)) = self.heredoc_skip
                && nl == start
            {
                self.pos = resume;
                self.heredoc_skip = None;
            }
            return Ok(Token { tok: Tok::Newline, start, end: start + 1 });
        }
        if let Some(op) = self.lex_op() {
            return Ok(Token { tok: Tok::Op(op), start, end: self.pos });
        }
        let parts = self.lex_parts(Mode::Unquoted)?;
        let word = Word { parts };
        if let Some(digits) = word.as_literal()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && matches!(self.peek(), Some('<' | '>'))
            && let Ok(n) = digits.parse::<u32>()
        {
            return Ok(Token { tok: Tok::IoNumber(n), start, end: self.pos });
        }
        Ok(Token { tok: Tok::Word(word), start, end: self.pos })
    }

    fn lex_op(&mut self) -> Option<Op> {
        let rest = &self.src[self.pos..];
        const OPS: [(&str, Op); 18] = [
            ("<<-", Op::DLessDash),
            ("&&", Op::AndIf),
            ("||", Op::OrIf),
            (";;", Op::DSemi),
            (">>", Op::DGreat),
            ("<&", Op::LessAnd),
            (">&", Op::GreatAnd),
            ("<>", Op::LessGreat),
            (">|", Op::Clobber),
            ("&>", Op::AndGreat),
            ("<<", Op::DLess),
            ("|", Op::Pipe),
            ("&", Op::Amp),
            (";", Op::Semi),
            ("(", Op::LParen),
            (")", Op::RParen),
            ("<", Op::Less),
            (">", Op::Great),
        ];
        let (text, op) = OPS.iter().find(|(t, _)| rest.starts_with(t))?;
        self.pos += text.len();
        Some(*op)
    }

    /// Lex word parts until the end of `mode`.
    pub(crate) fn lex_parts(&mut self, mode: Mode) -> Result<Vec<WordPart>, ParseError> {
        let open = self.pos;
        let mut parts = Parts::default();
        loop {
            let Some(c) = self.peek() else {
                return match mode {
                    Mode::Unquoted | Mode::HereDoc => Ok(parts.parts),
                    Mode::Double => Err(self.err(open, ParseErrorKind::Unterminated("double quote"))),
                    Mode::Brace { .. } => Err(self.err(open, ParseErrorKind::Unterminated("'${'"))),
                };
            };
            match (mode, c) {
                (Mode::Unquoted, c) if is_meta(c) => return Ok(parts.parts),
                (Mode::Double, '"') | (Mode::Brace { .. }, '}') => {
                    self.pos += 1;
                    return Ok(parts.parts);
                }
                _ => {}
            }
            match c {
                '\\' => {
                    self.pos += 1;
                    match self.peek() {
                        Some('\n') => {
                            self.pos += 1;
                            if self.pos == self.src.len() && mode != Mode::HereDoc {
                                return Err(self.err(self.pos, ParseErrorKind::Unterminated("line continuation")));
                            }
                        }
                        None => parts.push_literal('\\'),
                        Some(n) => {
                            let escapable = mode.quotes_active()
                                || matches!(n, '$' | '`' | '\\')
                                || (mode == Mode::Double && n == '"')
                                || (matches!(mode, Mode::Brace { .. }) && n == '}');
                            if escapable {
                                self.pos += n.len_utf8();
                                let mut buf = [0; 4];
                                parts.push_quoted(n.encode_utf8(&mut buf));
                            } else {
                                parts.push_quoted("\\");
                            }
                        }
                    }
                }
                '\'' if mode.quotes_active() => {
                    self.pos += 1;
                    let body_start = self.pos;
                    let Some(len) = self.src[body_start..].find('\'') else {
                        return Err(self.err(body_start - 1, ParseErrorKind::Unterminated("single quote")));
                    };
                    let text = &self.src[body_start..body_start + len];
                    self.pos = body_start + len + 1;
                    // An empty '' still makes the word non-empty.
                    parts.parts.push(WordPart::Quoted(text.into()));
                }
                '"' if mode.quotes_active() => {
                    self.pos += 1;
                    self.enter(self.pos - 1)?;
                    let inner = self.lex_parts(Mode::Double);
                    self.depth -= 1;
                    parts.parts.push(WordPart::DoubleQuoted(inner?));
                }
                '$' => {
                    self.pos += 1;
                    let in_double = !mode.quotes_active();
                    match self.lex_dollar(in_double)? {
                        Some(part) => parts.parts.push(part),
                        None if mode.quotes_active() => parts.push_literal('$'),
                        None => parts.push_quoted("$"),
                    }
                }
                '`' => {
                    self.pos += 1;
                    let part = self.lex_backquote()?;
                    parts.parts.push(part);
                }
                c => {
                    self.pos += c.len_utf8();
                    if mode.quotes_active() {
                        parts.push_literal(c);
                    } else {
                        let mut buf = [0; 4];
                        parts.push_quoted(c.encode_utf8(&mut buf));
                    }
                }
            }
        }
    }

    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(at, ParseErrorKind::Invalid("nesting too deep".into())));
        }
        self.depth += 1;
        Ok(())
    }

    /// After a `$`: the expansion, or `None` for a literal dollar sign.
    fn lex_dollar(&mut self, in_double: bool) -> Result<Option<WordPart>, ParseError> {
        let at = self.pos - 1;
        let Some(c) = self.peek() else { return Ok(None) };
        let plain = |name| Ok(Some(WordPart::Param(Box::new(Param { name, op: ParamOp::Plain }))));
        match c {
            '(' if self.peek2() == Some('(') => {
                self.pos += 2;
                self.enter(at)?;
                let r = self.lex_arith(at);
                self.depth -= 1;
                r.map(Some)
            }
            '(' => {
                self.pos += 1;
                self.enter(at)?;
                let r = Parser::parse_substitution(self.src, self.pos, self.depth);
                self.depth -= 1;
                let (list, end) = r?;
                self.pos = end;
                Ok(Some(WordPart::CommandSub(list)))
            }
            '{' => {
                self.pos += 1;
                self.enter(at)?;
                let r = self.lex_brace_param(at, in_double);
                self.depth -= 1;
                r.map(Some)
            }
            c if c == '_' || c.is_ascii_alphabetic() => {
                let start = self.pos;
                while matches!(self.peek(), Some(c) if c == '_' || c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                plain(ParamName::Var(self.src[start..self.pos].into()))
            }
            c if c.is_ascii_digit() => {
                self.pos += 1;
                plain(ParamName::Positional(c as usize - '0' as usize))
            }
            '?' | '$' | '!' | '#' | '@' | '*' | '-' => {
                self.pos += 1;
                plain(ParamName::Special(c))
            }
            _ => Ok(None),
        }
    }

    /// `$((...))`: the text up to the matching `))`, lexed as a here-document body.
    fn lex_arith(&mut self, at: usize) -> Result<WordPart, ParseError> {
        let start = self.pos;
        let mut depth = 0usize;
        loop {
            match self.bump() {
                None => return Err(self.err(at, ParseErrorKind::Unterminated("'$(('"))),
                Some('(') => depth += 1,
                Some(')') if depth > 0 => depth -= 1,
                Some(')') => {
                    if self.eat(')') {
                        break;
                    }
                    return Err(self.err(self.pos - 1, ParseErrorKind::Unexpected(")".into())));
                }
                Some(_) => {}
            }
        }
        let text = &self.src[start..self.pos - 2];
        let mut inner = Lexer::new(text, 0, self.depth);
        let parts = inner.lex_parts(Mode::HereDoc).map_err(|mut e| {
            e.offset += start;
            e
        })?;
        Ok(WordPart::Arith(Word { parts }))
    }

    /// After `${`.
    fn lex_brace_param(&mut self, at: usize, in_double: bool) -> Result<WordPart, ParseError> {
        let bad = |lx: &Self| {
            let end = lx.src[at..].find('}').map_or(lx.src.len(), |i| at + i + 1);
            lx.err(at, ParseErrorKind::BadSubstitution(lx.src[at..end].into()))
        };
        let mut length = false;
        if self.peek() == Some('#') && !matches!(self.peek2(), Some('}') | None) {
            self.pos += 1;
            length = true;
        }
        let name_start = self.pos;
        let name = match self.peek() {
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                while matches!(self.peek(), Some(c) if c == '_' || c.is_ascii_alphanumeric()) {
                    self.pos += 1;
                }
                ParamName::Var(self.src[name_start..self.pos].into())
            }
            Some(c) if c.is_ascii_digit() => {
                while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
                    self.pos += 1;
                }
                match self.src[name_start..self.pos].parse() {
                    Ok(n) => ParamName::Positional(n),
                    Err(_) => return Err(bad(self)),
                }
            }
            Some(c @ ('?' | '$' | '!' | '#' | '@' | '*' | '-')) => {
                self.pos += 1;
                ParamName::Special(c)
            }
            None => return Err(self.err(at, ParseErrorKind::Unterminated("'${'"))),
            Some(_) => return Err(bad(self)),
        };
        if self.eat('}') {
            let op = if length { ParamOp::Length } else { ParamOp::Plain };
            return Ok(WordPart::Param(Box::new(Param { name, op })));
        }
        if length {
            return Err(if self.peek().is_none() {
                self.err(at, ParseErrorKind::Unterminated("'${'"))
            } else {
                bad(self)
            });
        }
        let colon = self.eat(':');
        let op_char = self.bump();
        let doubled = match op_char {
            Some('#') if !colon => self.eat('#'),
            Some('%') if !colon => self.eat('%'),
            _ => false,
        };
        // A trimming pattern is quoted on its own, even inside double quotes.
        let in_double = in_double && !matches!(op_char, Some('#' | '%'));
        let word = Word { parts: self.lex_parts(Mode::Brace { in_double })? };
        let op = match op_char {
            Some('-') => ParamOp::Default(colon, word),
            Some('=') => ParamOp::Assign(colon, word),
            Some('+') => ParamOp::Alternative(colon, word),
            Some('?') => ParamOp::Error(colon, word),
            Some('#') if !colon => ParamOp::TrimPrefix(doubled, word),
            Some('%') if !colon => ParamOp::TrimSuffix(doubled, word),
            None => return Err(self.err(at, ParseErrorKind::Unterminated("'${'"))),
            Some(_) => return Err(bad(self)),
        };
        if matches!(op, ParamOp::Assign(..)) && !matches!(name, ParamName::Var(_)) {
            return Err(bad(self));
        }
        Ok(WordPart::Param(Box::new(Param { name, op })))
    }

    /// After a backquote: the old-style command substitution up to the closing one.
    fn lex_backquote(&mut self) -> Result<WordPart, ParseError> {
        let at = self.pos - 1;
        let mut text = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err(at, ParseErrorKind::Unterminated("backquote"))),
                Some('`') => break,
                Some('\\') => match self.peek() {
                    Some(c @ ('$' | '`' | '\\')) => {
                        self.pos += 1;
                        text.push(c);
                    }
                    _ => text.push('\\'),
                },
                Some(c) => text.push(c),
            }
        }
        self.enter(at)?;
        let r = Parser::parse_nested(&text, self.depth);
        self.depth -= 1;
        let list = r.map_err(|mut e| {
            e.offset = at;
            e
        })?;
        Ok(WordPart::CommandSub(list))
    }
}
