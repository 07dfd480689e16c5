//! Recursive-descent parser: tokens -> statements.
//!
//! On a syntax error the parser reports `expected X, found Y` at the
//! offending token, skips to the end of the statement (the next `;` at the
//! same brace depth, or the `}` closing the enclosing block) and goes on,
//! so one run reports every independent error. Expressions (levels,
//! contexts, constraint and boolean expressions) are in [`crate::parse_expr`].

use crate::ast::*;
use crate::diag::{Diagnostics, Span};
use crate::lexer::{Tok, Token};
use crate::prelude::*;

/// Error already reported to the diagnostics.
#[derive(Debug)]
pub struct Reported;

/// Result of a parse step.
pub type PResult<T> = Result<T, Reported>;

/// Parser state over one file's tokens.
pub struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    /// Where errors go.
    pub diags: &'a mut Diagnostics,
}

/// Parses a whole file.
pub fn parse(toks: &[Token], diags: &mut Diagnostics) -> Vec<Stmt> {
    let mut p = Parser { toks, pos: 0, diags };
    let mut out = p.stmts_until_brace();
    if *p.peek() == Tok::RBrace {
        p.error_here("unmatched `}`");
        p.bump();
        out.extend(p.stmts_until_brace());
    }
    out
}

impl<'a> Parser<'a> {
    /// The current token.
    pub fn peek(&self) -> &Tok {
        &self.tok_at(0).tok
    }

    /// The token `n` ahead.
    pub fn tok_at(&self, n: usize) -> &Token {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[(self.pos + n).min(last)]
    }

    /// Position of the current token.
    pub fn span(&self) -> Span {
        self.tok_at(0).span
    }

    /// Consumes the current token.
    pub fn bump(&mut self) -> Token {
        let t = self.tok_at(0).clone();
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    /// Reports an error at the current token.
    pub fn error_here(&mut self, msg: impl Into<String>) -> Reported {
        let s = self.span();
        self.diags.error(s, msg);
        Reported
    }

    /// Reports `expected WHAT, found TOKEN`.
    pub fn expected(&mut self, what: &str) -> Reported {
        let found = self.peek().describe();
        self.error_here(format!("expected {what}, found {found}"))
    }

    /// Consumes `t` or reports an error.
    pub fn expect(&mut self, t: Tok, what: &str) -> PResult<Span> {
        if *self.peek() == t { Ok(self.bump().span) } else { Err(self.expected(what)) }
    }

    /// Consumes `t` if present.
    pub fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == t {
            self.bump();
            true
        } else {
            false
        }
    }

    /// True if the current token is the identifier `kw`.
    pub fn at_kw(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s == kw)
    }

    /// Consumes an identifier.
    pub fn name(&mut self, what: &str) -> PResult<Name> {
        match self.peek().clone() {
            Tok::Ident(text) => {
                let span = self.bump().span;
                Ok(Name { text, span })
            }
            _ => Err(self.expected(what)),
        }
    }

    /// `name` or `{ name... }`.
    pub fn names(&mut self, what: &str) -> PResult<Vec<Name>> {
        if self.eat(&Tok::LBrace) {
            let mut v = Vec::new();
            while *self.peek() != Tok::RBrace {
                if *self.peek() == Tok::Comma {
                    let msg = format!("expected {what}, found `,` (separate set items with spaces)");
                    return Err(self.error_here(msg));
                }
                v.push(self.name(what)?);
            }
            self.bump();
            if v.is_empty() {
                return Err(self.error_here(format!("empty set of {what}s")));
            }
            Ok(v)
        } else {
            Ok(vec![self.name(what)?])
        }
    }

    /// Expects `;`. A missing `;` before a statement keyword on a later
    /// line is reported but treated as present, so the next statement is
    /// not swallowed by error recovery.
    pub(crate) fn semi(&mut self) -> PResult<()> {
        if self.eat(&Tok::Semi) {
            return Ok(());
        }
        let prev_line = self.pos.checked_sub(1).map_or(0, |p| self.toks[p].span.line);
        let next_stmt = matches!(self.peek(), Tok::Ident(k) if KEYWORDS.contains(&k.as_str()));
        let err = self.expected("`;`");
        if next_stmt && self.span().line > prev_line {
            return Ok(());
        }
        Err(err)
    }

    /// Skips to the end of the statement that started at token `start`
    /// (the next `;` outside the braces it opened).
    fn recover(&mut self, start: usize) {
        let mut depth = self.toks[start.min(self.pos)..self.pos].iter().fold(0usize, |d, t| match t.tok {
            Tok::LBrace => d + 1,
            Tok::RBrace => d.saturating_sub(1),
            _ => d,
        });
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::Semi if depth == 0 => {
                    self.bump();
                    return;
                }
                Tok::LBrace => depth += 1,
                Tok::RBrace if depth == 0 => return,
                Tok::RBrace => {
                    depth -= 1;
                    if depth == 0 {
                        self.bump();
                        if *self.peek() == Tok::Semi {
                            self.bump();
                        }
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// Statements until `}` or end of file (neither consumed).
    fn stmts_until_brace(&mut self) -> Vec<Stmt> {
        let mut out = Vec::new();
        while !matches!(self.peek(), Tok::RBrace | Tok::Eof) {
            let before = self.pos;
            match self.stmt() {
                Ok(s) => out.push(s),
                Err(Reported) => {
                    self.recover(before);
                    if self.pos == before && *self.peek() != Tok::RBrace {
                        self.bump();
                    }
                }
            }
        }
        out
    }

    /// A type set (see [`TypeSet`]).
    pub fn type_set(&mut self) -> PResult<TypeSet> {
        let span = self.span();
        let complement = self.eat(&Tok::Tilde);
        let mut items = Vec::new();
        if self.eat(&Tok::LBrace) {
            while *self.peek() != Tok::RBrace {
                items.push(self.set_item(true)?);
            }
            self.bump();
            if items.is_empty() {
                return Err(self.error_here("empty type set"));
            }
        } else {
            items.push(self.set_item(false)?);
        }
        Ok(TypeSet { items, complement, span })
    }

    fn set_item(&mut self, in_braces: bool) -> PResult<SetItem> {
        let span = self.span();
        if self.eat(&Tok::Star) {
            return Ok(SetItem::Star(span));
        }
        let neg = in_braces && self.eat(&Tok::Minus);
        let name = self.name("a type or attribute")?;
        if name.text == "self" && !neg {
            return Ok(SetItem::SelfRef(span));
        }
        Ok(SetItem::Name { name, neg })
    }

    /// A permission set (see [`PermSet`]).
    pub fn perm_set(&mut self) -> PResult<PermSet> {
        let span = self.span();
        if self.eat(&Tok::Star) {
            return Ok(PermSet { names: vec![], star: true, complement: false, span });
        }
        let complement = self.eat(&Tok::Tilde);
        let names = self.names("permission")?;
        Ok(PermSet { names, star: false, complement, span })
    }

    fn aliases(&mut self) -> PResult<Vec<Name>> {
        if self.at_kw("alias") {
            self.bump();
            self.names("alias")
        } else {
            Ok(vec![])
        }
    }

    fn block_end(&mut self) {
        self.eat(&Tok::Semi);
    }

    /// One statement.
    pub fn stmt(&mut self) -> PResult<Stmt> {
        let span = self.span();
        let kw = match self.peek() {
            Tok::Ident(s) => s.clone(),
            _ => return Err(self.expected("a statement")),
        };
        self.bump();
        let kind = match kw.as_str() {
            "model" => {
                let mut n = self.name("a model name")?;
                while self.eat(&Tok::Minus) {
                    let more = self.name("a model name")?;
                    n.text = format!("{}-{}", n.text, more.text);
                }
                self.semi()?;
                StmtKind::Model(n)
            }
            "common" => {
                let name = self.name("a common name")?;
                let perms = self.names("permission")?;
                self.block_end();
                StmtKind::Common { name, perms }
            }
            "class" => {
                let name = self.name("a class name")?;
                let inherits = if self.at_kw("inherits") {
                    self.bump();
                    Some(self.name("a common name")?)
                } else {
                    None
                };
                let perms = if *self.peek() == Tok::LBrace { self.names("permission")? } else { vec![] };
                if inherits.is_none() && perms.is_empty() {
                    return Err(self.expected("`inherits` or `{`"));
                }
                self.block_end();
                StmtKind::Class { name, inherits, perms }
            }
            "sensitivity" | "category" => {
                let name = self.name(&format!("a {kw} name"))?;
                let aliases = self.aliases()?;
                self.semi()?;
                if kw == "sensitivity" {
                    StmtKind::Sensitivity { name, aliases }
                } else {
                    StmtKind::Category { name, aliases }
                }
            }
            "dominance" => {
                let v = self.names("sensitivity")?;
                self.block_end();
                StmtKind::Dominance(v)
            }
            "defaultlevel" => {
                let l = self.level()?;
                self.semi()?;
                StmtKind::DefaultLevel(l)
            }
            "attribute" => {
                let n = self.name("an attribute name")?;
                self.semi()?;
                StmtKind::Attribute(n)
            }
            "type" => {
                let name = self.name("a type name")?;
                let aliases = self.aliases()?;
                let mut attrs = Vec::new();
                while self.eat(&Tok::Comma) {
                    attrs.push(self.name("an attribute")?);
                }
                self.semi()?;
                StmtKind::Type { name, aliases, attrs }
            }
            "typeattribute" => {
                let ty = self.name("a type")?;
                let mut attrs = vec![self.name("an attribute")?];
                while self.eat(&Tok::Comma) {
                    attrs.push(self.name("an attribute")?);
                }
                self.semi()?;
                StmtKind::TypeAttribute { ty, attrs }
            }
            "typealias" => {
                let ty = self.name("a type")?;
                let aliases = self.aliases()?;
                if aliases.is_empty() {
                    return Err(self.expected("`alias`"));
                }
                self.semi()?;
                StmtKind::TypeAlias { ty, aliases }
            }
            "bool" => {
                let name = self.name("a boolean name")?;
                let default = match self.peek() {
                    Tok::Ident(s) if s == "true" => true,
                    Tok::Ident(s) if s == "false" => false,
                    _ => return Err(self.expected("`true` or `false`")),
                };
                self.bump();
                self.semi()?;
                StmtKind::Bool { name, default }
            }
            "allow" | "auditallow" | "dontaudit" | "neverallow" => self.av(&kw)?,
            "role_transition" | "range_transition" | "typebounds" | "validatetrans" | "mlsvalidatetrans" => {
                self.labeling_stmt(&kw)?
            }
            "type_transition" => {
                let src = self.type_set()?;
                let tgt = self.type_set()?;
                self.expect(Tok::Colon, "`:`")?;
                let classes = self.names("class")?;
                let new = self.name("the new type")?;
                let object = match self.peek().clone() {
                    Tok::Str(text) => {
                        let span = self.bump().span;
                        Some(Name { text, span })
                    }
                    _ => None,
                };
                self.semi()?;
                StmtKind::TypeTransition { src, tgt, classes, new, object }
            }
            "role" => {
                let name = self.name("a role name")?;
                let types = if self.at_kw("types") {
                    self.bump();
                    Some(self.type_set()?)
                } else {
                    None
                };
                self.semi()?;
                StmtKind::Role { name, types }
            }
            "user" => self.user()?,
            "constrain" | "mlsconstrain" => {
                let classes = self.names("class")?;
                let perms = self.perm_set()?;
                let expr = self.cons_expr()?;
                self.semi()?;
                StmtKind::Constrain { mls: kw == "mlsconstrain", classes, perms, expr }
            }
            "mlstrusted" => {
                let s = self.type_set()?;
                self.semi()?;
                StmtKind::MlsTrusted(s)
            }
            "if" => self.if_stmt()?,
            "filecon" => self.filecon()?,
            "portcon" => {
                let proto = self.name("`tcp` or `udp`")?;
                let (low, high) = self.port_range()?;
                let ctx = self.context()?;
                self.semi()?;
                StmtKind::PortCon { proto, low, high, ctx }
            }
            "servicecon" => {
                let Tok::Str(text) = self.peek().clone() else { return Err(self.expected("a quoted service name")) };
                let pattern = Name { text, span: self.bump().span };
                let ctx = self.context()?;
                self.semi()?;
                StmtKind::ServiceCon { pattern, ctx }
            }
            "sid" => {
                let name = self.name("an initial SID name")?;
                let ctx = self.context()?;
                self.semi()?;
                StmtKind::Sid { name, ctx }
            }
            "permflow" => {
                let class = self.name("a class")?;
                let perms = self.perm_set()?;
                let dir = self.name("`read`, `write`, `both` or `none`")?;
                let weight = match *self.peek() {
                    Tok::Num(n) => Some((n, self.bump().span)),
                    _ => None,
                };
                self.semi()?;
                StmtKind::PermFlow { class, perms, dir, weight }
            }
            "assert" => {
                if !self.at_kw("noflow") {
                    return Err(self.expected("`noflow`"));
                }
                self.bump();
                let from = self.name("a type or attribute")?;
                self.expect(Tok::Arrow, "`->`")?;
                let to = self.name("a type or attribute")?;
                let except = if self.at_kw("except") {
                    self.bump();
                    Some(self.type_set()?)
                } else {
                    None
                };
                self.semi()?;
                StmtKind::AssertNoFlow { from, to, except }
            }
            other => {
                let msg = match crate::diag::suggest(other, KEYWORDS.iter().copied()) {
                    Some(s) => format!("unknown statement `{other}` (did you mean `{s}`?)"),
                    None => format!("unknown statement `{other}`"),
                };
                self.diags.error(span, msg);
                return Err(Reported);
            }
        };
        Ok(Stmt { span, kind })
    }

    fn av(&mut self, kw: &str) -> PResult<StmtKind> {
        let src = self.type_set()?;
        let tgt = self.type_set()?;
        if kw == "allow" && *self.peek() == Tok::Semi {
            self.bump();
            let names = |s: TypeSet| {
                s.items
                    .into_iter()
                    .filter_map(|i| match i {
                        SetItem::Name { name, neg: false } => Some(name),
                        _ => None,
                    })
                    .collect()
            };
            return Ok(StmtKind::RoleAllow { from: names(src), to: names(tgt) });
        }
        self.expect(Tok::Colon, "`:`")?;
        let classes = self.names("class")?;
        let perms = self.perm_set()?;
        self.semi()?;
        let kind = match kw {
            "allow" => AvKind::Allow,
            "auditallow" => AvKind::AuditAllow,
            "dontaudit" => AvKind::DontAudit,
            _ => AvKind::NeverAllow,
        };
        Ok(StmtKind::Av { kind, src, tgt, classes, perms })
    }

    fn user(&mut self) -> PResult<StmtKind> {
        let name = self.name("a user name")?;
        let (mut roles, mut level, mut range) = (None, None, None);
        loop {
            if self.at_kw("roles") {
                self.bump();
                roles = Some(self.names("role")?);
            } else if self.at_kw("level") {
                self.bump();
                level = Some(self.level()?);
            } else if self.at_kw("range") {
                self.bump();
                range = Some(self.range()?);
            } else {
                break;
            }
        }
        self.semi()?;
        Ok(StmtKind::User { name, roles, level, range })
    }

    fn if_stmt(&mut self) -> PResult<StmtKind> {
        self.expect(Tok::LParen, "`(`")?;
        let cond = self.cond_expr()?;
        self.expect(Tok::RParen, "`)`")?;
        let then = self.block()?;
        let els = if self.at_kw("else") {
            self.bump();
            self.block()?
        } else {
            vec![]
        };
        Ok(StmtKind::If { cond, then, els })
    }

    fn block(&mut self) -> PResult<Vec<Stmt>> {
        self.expect(Tok::LBrace, "`{`")?;
        let v = self.stmts_until_brace();
        self.expect(Tok::RBrace, "`}`")?;
        Ok(v)
    }

    fn filecon(&mut self) -> PResult<StmtKind> {
        let pattern = match self.peek().clone() {
            Tok::Str(text) => Name { text, span: self.bump().span },
            _ => return Err(self.expected("a quoted path pattern")),
        };
        let kind = match (self.peek(), &self.tok_at(1).tok) {
            (Tok::Ident(_), t) if *t != Tok::Colon => Some(self.name("a file kind")?),
            _ => None,
        };
        let ctx = if self.eat(&Tok::NoneCtx) { None } else { Some(self.context()?) };
        self.semi()?;
        Ok(StmtKind::FileCon { pattern, kind, ctx })
    }

    fn port_range(&mut self) -> PResult<(u64, u64)> {
        let Tok::Num(low) = *self.peek() else {
            return Err(self.expected("a port number"));
        };
        self.bump();
        if self.eat(&Tok::Minus) {
            let Tok::Num(high) = *self.peek() else {
                return Err(self.expected("a port number"));
            };
            self.bump();
            Ok((low, high))
        } else {
            Ok((low, low))
        }
    }
}

/// Statement keywords (for "did you mean").
pub const KEYWORDS: &[&str] = &[
    "model",
    "common",
    "class",
    "sensitivity",
    "dominance",
    "category",
    "defaultlevel",
    "attribute",
    "type",
    "typeattribute",
    "typealias",
    "bool",
    "allow",
    "auditallow",
    "dontaudit",
    "neverallow",
    "type_transition",
    "role_transition",
    "range_transition",
    "typebounds",
    "validatetrans",
    "mlsvalidatetrans",
    "role",
    "user",
    "constrain",
    "mlsconstrain",
    "mlstrusted",
    "if",
    "filecon",
    "portcon",
    "servicecon",
    "sid",
    "permflow",
    "assert",
];
