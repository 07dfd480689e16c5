//! Parsing of levels, ranges, contexts, constraint expressions and boolean
//! conditions (methods on [`Parser`]).
//!
//! Precedence, loosest first: `or`/`||`, `and`/`&&`, `not`/`!`; boolean
//! conditions also have `^`, `==`, `!=` (binding tighter than `&&`).

use crate::ast::*;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};
use crate::prelude::*;

/// Constraint operand keywords.
pub const OPERANDS: &[&str] = &["u1", "u2", "u3", "r1", "r2", "r3", "t1", "t2", "t3", "l1", "l2", "h1", "h2"];

impl Parser<'_> {
    /// `sens[:cat[.cat][,cat...]]`.
    pub fn level(&mut self) -> PResult<LevelAst> {
        let sens = self.name("a sensitivity")?;
        let mut cats = Vec::new();
        if *self.peek() == Tok::Colon && matches!(self.tok_at(1).tok, Tok::Ident(_)) {
            self.bump();
            loop {
                let a = self.name("a category")?;
                let b = if self.eat(&Tok::Dot) { Some(self.name("a category")?) } else { None };
                cats.push((a, b));
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        Ok(LevelAst { sens, cats })
    }

    /// `low[-high]`.
    pub fn range(&mut self) -> PResult<RangeAst> {
        let low = self.level()?;
        let high = if self.eat(&Tok::Minus) { Some(self.level()?) } else { None };
        Ok(RangeAst { low, high })
    }

    /// `user:role:type[:range]`.
    pub fn context(&mut self) -> PResult<ContextAst> {
        let span = self.span();
        let user = self.name("a security context (user:role:type)")?;
        self.expect(Tok::Colon, "`:` in a security context")?;
        let role = self.name("a role")?;
        self.expect(Tok::Colon, "`:` in a security context")?;
        let ty = self.name("a type")?;
        let range = if self.eat(&Tok::Colon) { Some(self.range()?) } else { None };
        Ok(ContextAst { user, role, ty, range, span })
    }

    fn is_word(&self, a: &str, b: &Tok) -> bool {
        self.at_kw(a) || self.peek() == b
    }

    /// A constraint expression.
    pub fn cons_expr(&mut self) -> PResult<ConsExpr> {
        let mut e = self.cons_and()?;
        while self.is_word("or", &Tok::OrOr) {
            self.bump();
            let r = self.cons_and()?;
            e = ConsExpr::Or(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn cons_and(&mut self) -> PResult<ConsExpr> {
        let mut e = self.cons_unary()?;
        while self.is_word("and", &Tok::AndAnd) {
            self.bump();
            let r = self.cons_unary()?;
            e = ConsExpr::And(Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn cons_unary(&mut self) -> PResult<ConsExpr> {
        if self.is_word("not", &Tok::Bang) {
            self.bump();
            return Ok(ConsExpr::Not(Box::new(self.cons_unary()?)));
        }
        if self.eat(&Tok::LParen) {
            let e = self.cons_expr()?;
            self.expect(Tok::RParen, "`)`")?;
            return Ok(e);
        }
        let left = self.name("an operand (u1 u2 u3 r1 r2 r3 t1 t2 t3 l1 l2 h1 h2)")?;
        if !OPERANDS.contains(&left.text.as_str()) {
            self.diags.error(
                left.span,
                format!("expected an operand (u1 u2 u3 r1 r2 r3 t1 t2 t3 l1 l2 h1 h2), found `{}`", left.text),
            );
            return Err(crate::parser::Reported);
        }
        let op_span = self.span();
        let op = match self.peek().clone() {
            Tok::EqEq => "==".to_string(),
            Tok::NotEq => "!=".to_string(),
            Tok::Ident(s) if ["dom", "domby", "eq", "incomp"].contains(&s.as_str()) => s,
            _ => return Err(self.expected("`==`, `!=`, `dom`, `domby`, `eq` or `incomp`")),
        };
        self.bump();
        let op = Name { text: op, span: op_span };
        let right = match self.peek().clone() {
            Tok::Ident(s) if OPERANDS.contains(&s.as_str()) => ConsRight::Operand(self.name("")?),
            Tok::Ident(_) | Tok::LBrace => ConsRight::Names(self.names("name")?),
            _ => return Err(self.expected("an operand or a set of names")),
        };
        Ok(ConsExpr::Cmp { left, op, right })
    }

    /// A boolean condition.
    pub fn cond_expr(&mut self) -> PResult<CondExpr> {
        let mut e = self.cond_and()?;
        while self.is_word("or", &Tok::OrOr) {
            self.bump();
            let r = self.cond_and()?;
            e = CondExpr::Bin(CondOp::Or, Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn cond_and(&mut self) -> PResult<CondExpr> {
        let mut e = self.cond_cmp()?;
        while self.is_word("and", &Tok::AndAnd) {
            self.bump();
            let r = self.cond_cmp()?;
            e = CondExpr::Bin(CondOp::And, Box::new(e), Box::new(r));
        }
        Ok(e)
    }

    fn cond_cmp(&mut self) -> PResult<CondExpr> {
        let mut e = self.cond_unary()?;
        loop {
            let op = match self.peek() {
                Tok::Caret => CondOp::Xor,
                Tok::EqEq => CondOp::Eq,
                Tok::NotEq => CondOp::Ne,
                Tok::Ident(s) if s == "xor" => CondOp::Xor,
                _ => return Ok(e),
            };
            self.bump();
            let r = self.cond_unary()?;
            e = CondExpr::Bin(op, Box::new(e), Box::new(r));
        }
    }

    fn cond_unary(&mut self) -> PResult<CondExpr> {
        if self.is_word("not", &Tok::Bang) {
            self.bump();
            return Ok(CondExpr::Not(Box::new(self.cond_unary()?)));
        }
        if self.eat(&Tok::LParen) {
            let e = self.cond_expr()?;
            self.expect(Tok::RParen, "`)`")?;
            return Ok(e);
        }
        Ok(CondExpr::Bool(self.name("a boolean")?))
    }
}
