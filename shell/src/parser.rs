//! The parser: a recursive-descent parser for the shell grammar (a subset
//! of POSIX `sh`, see `docs/shell.md`), producing the [AST](crate::ast).
//!
//! A script is parsed one *complete command* (a line, or several lines of
//! an unfinished compound command) at a time with
//! [`Parser::next_command`], so commands before a syntax error still run,
//! as in other shells.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ast::{
    AndOr, Assignment, CaseArm, Command, Compound, Connector, Item, List, Pipeline, RedirKind, Redirect, SimpleCommand,
    Word, WordPart,
};
use crate::error::{ParseError, ParseErrorKind};
use crate::lexer::{Lexer, MAX_DEPTH, Op, Tok, Token, is_name};

/// Reserved words that end a list (the parser stops before them).
const CLOSERS: [&str; 8] = ["then", "elif", "else", "fi", "do", "done", "esac", "}"];

/// Words reserved in command position (for `type`).
pub const RESERVED: [&str; 15] =
    ["if", "then", "elif", "else", "fi", "while", "until", "for", "in", "do", "done", "case", "esac", "{", "}"];

/// A parser over one source text.
pub struct Parser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Token>,
    depth: usize,
}

type PResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    /// A parser at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        Parser { lex: Lexer::new(src, 0, 0), peeked: None, depth: 0 }
    }

    /// Parse all of `src`.
    pub fn parse(src: &str) -> PResult<List> {
        let mut p = Parser::new(src);
        let list = p.list()?;
        p.expect_eof()?;
        Ok(list)
    }

    /// Parse the text of a backquoted substitution.
    pub(crate) fn parse_nested(src: &str, depth: usize) -> PResult<List> {
        let mut p = Parser { lex: Lexer::new(src, 0, depth), peeked: None, depth };
        let list = p.list()?;
        p.expect_eof()?;
        Ok(list)
    }

    /// Parse the list of a `$(...)` starting at byte `pos` of `src` (just
    /// after the parenthesis); returns it and the offset after the `)`.
    pub(crate) fn parse_substitution(src: &str, pos: usize, depth: usize) -> PResult<(List, usize)> {
        let mut p = Parser { lex: Lexer::new(src, pos, depth), peeked: None, depth };
        let list = p.list()?;
        let tok = p.next()?;
        match tok.tok {
            Tok::Op(Op::RParen) => Ok((list, tok.end)),
            Tok::Eof => Err(ParseError { offset: pos - 2, kind: ParseErrorKind::Unterminated("'$('") }),
            _ => Err(p.unexpected(&tok)),
        }
    }

    /// The next complete command: and-or lists up to the end of a line
    /// (compound commands may span lines). `None` at the end of the input.
    pub fn next_command(&mut self) -> Option<PResult<List>> {
        let r = (|| {
            self.skip_newlines()?;
            if self.peek()?.tok == Tok::Eof {
                return Ok(None);
            }
            let mut list = List::default();
            loop {
                let item = self.item()?;
                let last = item.is_none();
                if let Some(item) = item {
                    list.items.push(item);
                }
                let tok = self.peek()?;
                match tok.tok {
                    Tok::Newline => {
                        self.next()?;
                        break;
                    }
                    Tok::Eof => break,
                    _ if last => {
                        let tok = tok.clone();
                        return Err(self.unexpected(&tok));
                    }
                    _ => {}
                }
            }
            Ok(Some(list))
        })();
        match r {
            Ok(None) => None,
            Ok(Some(list)) => Some(Ok(list)),
            Err(e) => {
                self.recover();
                Some(Err(e))
            }
        }
    }

    /// After an error: skip to the next line so parsing can go on.
    fn recover(&mut self) {
        self.peeked = None;
        let src = self.lex.src();
        let pos = self.lex.pos();
        let next = src[pos.min(src.len())..].find('\n').map_or(src.len(), |i| pos + i + 1);
        self.lex = Lexer::new(src, next, self.depth);
    }

    fn peek(&mut self) -> PResult<&Token> {
        if self.peeked.is_none() {
            self.peeked = Some(self.lex.next_token()?);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn next(&mut self) -> PResult<Token> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next_token(),
        }
    }

    fn token_text(&self, tok: &Token) -> String {
        match &tok.tok {
            Tok::Op(op) => op.text().into(),
            Tok::Newline => "newline".into(),
            Tok::Eof => "end of input".into(),
            _ => self.lex.src()[tok.start..tok.end].into(),
        }
    }

    fn unexpected(&self, tok: &Token) -> ParseError {
        let kind = match tok.tok {
            Tok::Eof => ParseErrorKind::UnexpectedEof("a command"),
            _ => ParseErrorKind::Unexpected(self.token_text(tok)),
        };
        ParseError { offset: tok.start, kind }
    }

    fn expect_eof(&mut self) -> PResult<()> {
        let tok = self.next()?;
        if tok.tok == Tok::Eof { Ok(()) } else { Err(self.unexpected(&tok)) }
    }

    fn skip_newlines(&mut self) -> PResult<()> {
        while self.peek()?.tok == Tok::Newline {
            self.next()?;
        }
        Ok(())
    }

    /// The reserved word at the current token, if it is one.
    fn peek_reserved(&mut self) -> PResult<Option<&'static str>> {
        let Tok::Word(w) = &self.peek()?.tok else { return Ok(None) };
        Ok(w.as_literal().and_then(|s| RESERVED.iter().chain(["!"].iter()).find(|r| **r == s).copied()))
    }

    fn expect_reserved(&mut self, word: &'static str, what: &'static str) -> PResult<()> {
        if self.peek_reserved()? == Some(word) {
            self.next()?;
            return Ok(());
        }
        let tok = self.next()?;
        Err(match tok.tok {
            Tok::Eof => ParseError { offset: tok.start, kind: ParseErrorKind::UnexpectedEof(what) },
            _ => self.unexpected(&tok),
        })
    }

    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            let offset = self.lex.pos();
            return Err(ParseError { offset, kind: ParseErrorKind::Invalid("nesting too deep".into()) });
        }
        self.depth += 1;
        Ok(())
    }

    /// A list: items separated by `;`, `&` and newlines, up to the end of
    /// the input, a closing reserved word, `)` or `;;` (not consumed).
    fn list(&mut self) -> PResult<List> {
        let mut list = List::default();
        loop {
            self.skip_newlines()?;
            match self.item()? {
                Some(item) => list.items.push(item),
                None => return Ok(list),
            }
        }
    }

    /// One and-or list with its separator, or `None` at the end of a list.
    fn item(&mut self) -> PResult<Option<Item>> {
        let tok = self.peek()?;
        if matches!(tok.tok, Tok::Eof | Tok::Op(Op::RParen | Op::DSemi)) {
            return Ok(None);
        }
        if let Some(r) = self.peek_reserved()?
            && CLOSERS.contains(&r)
        {
            return Ok(None);
        }
        let start = self.peek()?.start;
        let and_or = self.and_or()?;
        let end = self.lex.pos().min(self.peeked.as_ref().map_or(usize::MAX, |t| t.start));
        let text = self.lex.src()[start..end.max(start)].trim().into();
        let mut background = false;
        let sep = self.peek()?.tok.clone();
        match sep {
            Tok::Op(Op::Semi) => {
                self.next()?;
            }
            Tok::Op(Op::Amp) => {
                self.next()?;
                background = true;
            }
            Tok::Newline | Tok::Eof | Tok::Op(Op::RParen | Op::DSemi) => {}
            _ if self.peek_reserved()?.is_some_and(|r| CLOSERS.contains(&r)) => {}
            _ => {
                let tok = self.next()?;
                return Err(self.unexpected(&tok));
            }
        }
        Ok(Some(Item { and_or, background, text }))
    }

    fn and_or(&mut self) -> PResult<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let conn = match self.peek()?.tok {
                Tok::Op(Op::AndIf) => Connector::And,
                Tok::Op(Op::OrIf) => Connector::Or,
                _ => return Ok(AndOr { first, rest }),
            };
            self.next()?;
            self.skip_newlines()?;
            rest.push((conn, self.pipeline()?));
        }
    }

    fn pipeline(&mut self) -> PResult<Pipeline> {
        let negated = self.peek_reserved()? == Some("!");
        if negated {
            self.next()?;
        }
        let mut commands = alloc::vec![self.command()?];
        while self.peek()?.tok == Tok::Op(Op::Pipe) {
            self.next()?;
            self.skip_newlines()?;
            commands.push(self.command()?);
        }
        Ok(Pipeline { negated, commands })
    }

    fn command(&mut self) -> PResult<Command> {
        self.enter()?;
        let r = self.command_inner();
        self.depth -= 1;
        r
    }

    fn command_inner(&mut self) -> PResult<Command> {
        if self.peek()?.tok == Tok::Op(Op::LParen) {
            self.next()?;
            let body = self.list()?;
            self.close_list(&body)?;
            let tok = self.next()?;
            if tok.tok != Tok::Op(Op::RParen) {
                return Err(self.missing(&tok, "')'"));
            }
            return self.finish_compound(Compound::Subshell(body));
        }
        match self.peek_reserved()? {
            Some("{") => {
                self.next()?;
                let body = self.list()?;
                self.close_list(&body)?;
                self.expect_reserved("}", "'}'")?;
                self.finish_compound(Compound::Group(body))
            }
            Some("if") => self.if_clause(),
            Some(w @ ("while" | "until")) => {
                self.next()?;
                let cond = self.list()?;
                self.close_list(&cond)?;
                self.expect_reserved("do", "'do'")?;
                let body = self.do_body()?;
                self.finish_compound(Compound::Loop { until: w == "until", cond, body })
            }
            Some("for") => self.for_clause(),
            Some("case") => self.case_clause(),
            Some(_) => {
                let tok = self.next()?;
                Err(self.unexpected(&tok))
            }
            None => self.simple_command(),
        }
    }

    /// A list that must not be empty: report the token that ended it.
    fn close_list(&mut self, list: &List) -> PResult<()> {
        if list.items.is_empty() {
            let tok = self.peek()?.clone();
            return Err(self.unexpected(&tok));
        }
        Ok(())
    }

    fn missing(&self, tok: &Token, what: &'static str) -> ParseError {
        match tok.tok {
            Tok::Eof => ParseError { offset: tok.start, kind: ParseErrorKind::UnexpectedEof(what) },
            _ => self.unexpected(tok),
        }
    }

    fn finish_compound(&mut self, c: Compound) -> PResult<Command> {
        let mut redirects = Vec::new();
        while let Some(r) = self.redirect()? {
            redirects.push(r);
        }
        Ok(Command::Compound(Box::new(c), redirects))
    }

    fn do_body(&mut self) -> PResult<List> {
        let body = self.list()?;
        self.close_list(&body)?;
        self.expect_reserved("done", "'done'")?;
        Ok(body)
    }

    fn if_clause(&mut self) -> PResult<Command> {
        self.next()?;
        let mut branches = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.list()?;
            self.close_list(&cond)?;
            self.expect_reserved("then", "'then'")?;
            let body = self.list()?;
            self.close_list(&body)?;
            branches.push((cond, body));
            match self.peek_reserved()? {
                Some("elif") => {
                    self.next()?;
                }
                Some("else") => {
                    self.next()?;
                    let body = self.list()?;
                    self.close_list(&body)?;
                    otherwise = Some(body);
                    self.expect_reserved("fi", "'fi'")?;
                    break;
                }
                _ => {
                    self.expect_reserved("fi", "'fi'")?;
                    break;
                }
            }
        }
        self.finish_compound(Compound::If { branches, otherwise })
    }

    fn for_clause(&mut self) -> PResult<Command> {
        self.next()?;
        let tok = self.next()?;
        let var = match &tok.tok {
            Tok::Word(w) if w.as_literal().is_some_and(is_name) => String::from(w.as_literal().unwrap_or_default()),
            _ => return Err(self.missing(&tok, "a variable name")),
        };
        self.skip_newlines()?;
        let mut words = None;
        if self.peek_reserved()? == Some("in") {
            self.next()?;
            let mut list = Vec::new();
            loop {
                let tok = self.next()?;
                match tok.tok {
                    Tok::Word(w) => list.push(w),
                    Tok::Op(Op::Semi) | Tok::Newline => break,
                    _ => return Err(self.missing(&tok, "'do'")),
                }
            }
            words = Some(list);
        } else if self.peek()?.tok == Tok::Op(Op::Semi) {
            self.next()?;
        }
        self.skip_newlines()?;
        self.expect_reserved("do", "'do'")?;
        let body = self.do_body()?;
        self.finish_compound(Compound::For { var, words, body })
    }

    fn case_clause(&mut self) -> PResult<Command> {
        self.next()?;
        let tok = self.next()?;
        let Tok::Word(word) = tok.tok else { return Err(self.missing(&tok, "a word")) };
        self.skip_newlines()?;
        self.expect_reserved("in", "'in'")?;
        let mut arms = Vec::new();
        loop {
            self.skip_newlines()?;
            if self.peek_reserved()? == Some("esac") {
                self.next()?;
                break;
            }
            if self.peek()?.tok == Tok::Eof {
                let tok = self.next()?;
                return Err(self.missing(&tok, "'esac'"));
            }
            if self.peek()?.tok == Tok::Op(Op::LParen) {
                self.next()?;
            }
            let mut patterns = Vec::new();
            loop {
                let tok = self.next()?;
                let Tok::Word(w) = tok.tok else { return Err(self.missing(&tok, "a pattern")) };
                patterns.push(w);
                let tok = self.next()?;
                match tok.tok {
                    Tok::Op(Op::Pipe) => {}
                    Tok::Op(Op::RParen) => break,
                    _ => return Err(self.missing(&tok, "')'")),
                }
            }
            let body = self.list()?;
            arms.push(CaseArm { patterns, body });
            if self.peek()?.tok == Tok::Op(Op::DSemi) {
                self.next()?;
            } else {
                self.expect_reserved("esac", "'esac'")?;
                break;
            }
        }
        self.finish_compound(Compound::Case { word, arms })
    }

    /// A redirection at the current token, if there is one.
    fn redirect(&mut self) -> PResult<Option<Redirect>> {
        let fd = match self.peek()?.tok {
            Tok::IoNumber(n) => {
                self.next()?;
                Some(n)
            }
            Tok::Op(op) if op.is_redirect() => None,
            _ => return Ok(None),
        };
        let tok = self.next()?;
        let Tok::Op(op) = tok.tok else { return Err(self.unexpected(&tok)) };
        let kind = match op {
            Op::Less => RedirKind::Input,
            Op::Great | Op::Clobber => RedirKind::Output,
            Op::DGreat => RedirKind::Append,
            Op::LessGreat => RedirKind::ReadWrite,
            Op::LessAnd => RedirKind::DupInput,
            Op::GreatAnd => RedirKind::DupOutput,
            Op::AndGreat => RedirKind::OutputBoth,
            Op::DLess | Op::DLessDash => RedirKind::HereDoc,
            _ => return Err(self.unexpected(&tok)),
        };
        let target_tok = self.next()?;
        let Tok::Word(target) = target_tok.tok else { return Err(self.missing(&target_tok, "a file name")) };
        let target = if kind == RedirKind::HereDoc {
            let (delim, quoted) = crate::heredoc::delimiter(&target);
            self.lex.read_heredoc(&delim, quoted, op == Op::DLessDash)?
        } else {
            target
        };
        Ok(Some(Redirect { fd, kind, target }))
    }

    fn simple_command(&mut self) -> PResult<Command> {
        let mut cmd = SimpleCommand::default();
        loop {
            if let Some(r) = self.redirect()? {
                cmd.redirects.push(r);
                continue;
            }
            let Tok::Word(_) = self.peek()?.tok else { break };
            let tok = self.next()?;
            let Tok::Word(word) = tok.tok else { unreachable!("peeked a word") };
            if cmd.words.is_empty() {
                match split_assignment(&word) {
                    Some(a) => {
                        cmd.assignments.push(a);
                        continue;
                    }
                    None if cmd.assignments.is_empty()
                        && cmd.redirects.is_empty()
                        && self.peek()?.tok == Tok::Op(Op::LParen) =>
                    {
                        return self.function_def(word, tok.start);
                    }
                    None => {}
                }
            }
            cmd.words.push(word);
        }
        if cmd.words.is_empty() && cmd.assignments.is_empty() && cmd.redirects.is_empty() {
            let tok = self.next()?;
            return Err(self.unexpected(&tok));
        }
        Ok(Command::Simple(cmd))
    }

    /// `name ( ) compound-command`, after the name.
    fn function_def(&mut self, name: Word, at: usize) -> PResult<Command> {
        self.next()?;
        let tok = self.next()?;
        if tok.tok != Tok::Op(Op::RParen) {
            return Err(self.missing(&tok, "')'"));
        }
        let name = match name.as_literal() {
            Some(n) if valid_function_name(n) => String::from(n),
            _ => {
                let text = String::from(&self.lex.src()[at..tok.end]);
                return Err(ParseError {
                    offset: at,
                    kind: ParseErrorKind::Invalid(alloc::format!("bad function name in '{text}'")),
                });
            }
        };
        self.skip_newlines()?;
        let body = self.command()?;
        if !matches!(body, Command::Compound(..)) {
            return Err(ParseError {
                offset: at,
                kind: ParseErrorKind::Invalid("function body must be a compound command".into()),
            });
        }
        Ok(Command::FunctionDef(name, Box::new(body)))
    }
}

fn valid_function_name(n: &str) -> bool {
    !n.is_empty()
        && !RESERVED.contains(&n)
        && !n.bytes().all(|b| b.is_ascii_digit())
        && n.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `NAME=value` in a word: the assignment, if the word is one.
fn split_assignment(word: &Word) -> Option<Assignment> {
    let Some(WordPart::Literal(first)) = word.parts.first() else { return None };
    let eq = first.find('=')?;
    let name = &first[..eq];
    if !is_name(name) {
        return None;
    }
    let mut value = Word::default();
    if eq + 1 < first.len() {
        value.parts.push(WordPart::Literal(first[eq + 1..].into()));
    }
    value.parts.extend(word.parts[1..].iter().cloned());
    Some(Assignment { name: name.into(), value })
}
