//! Parsing of `role_transition`, `range_transition`, `typebounds`,
//! `validatetrans` and `mlsvalidatetrans` (methods on [`Parser`]); the
//! syntax is SELinux's kernel policy language.

use crate::ast::*;
use crate::lexer::Tok;
use crate::parser::{PResult, Parser};
use crate::prelude::*;

impl Parser<'_> {
    /// The statement after keyword `kw` (already consumed).
    pub(crate) fn labeling_stmt(&mut self, kw: &str) -> PResult<StmtKind> {
        Ok(match kw {
            "role_transition" => {
                let roles = self.names("role")?;
                let types = self.type_set()?;
                let classes = self.optional_classes()?;
                let new = self.name("the new role")?;
                self.semi()?;
                StmtKind::RoleTransition { roles, types, classes, new }
            }
            "range_transition" => {
                let src = self.type_set()?;
                let tgt = self.type_set()?;
                let classes = self.optional_classes()?;
                let range = self.range()?;
                self.semi()?;
                StmtKind::RangeTransition { src, tgt, classes, range }
            }
            "typebounds" => {
                let parent = self.name("the bounding type")?;
                let mut children = vec![self.name("a bounded type")?];
                while self.eat(&Tok::Comma) {
                    children.push(self.name("a bounded type")?);
                }
                self.semi()?;
                StmtKind::TypeBounds { parent, children }
            }
            _ => {
                let classes = self.names("class")?;
                let expr = self.cons_expr()?;
                self.semi()?;
                StmtKind::ValidateTrans { mls: kw == "mlsvalidatetrans", classes, expr }
            }
        })
    }

    /// `: CLASSES`, or nothing (the rule is for `process`).
    fn optional_classes(&mut self) -> PResult<Vec<Name>> {
        if self.eat(&Tok::Colon) { self.names("class") } else { Ok(Vec::new()) }
    }
}
