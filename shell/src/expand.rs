//! Word expansion: tilde, parameters, command substitution, arithmetic,
//! field splitting, pathname expansion (globbing) and quote removal, in
//! the POSIX order.
//!
//! The expander needs a few things from the shell — variable values, the
//! output of command substitutions, directory listings — and gets them
//! through the [`ExpandContext`] trait, so it is tested on its own.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::arith;
use crate::ast::{List, Param, ParamName, ParamOp, Word, WordPart};
use crate::glob::{self, GlobFs, PatChar};

/// An expansion that failed (`${x?message}`, bad arithmetic, a failed
/// assignment); the command is not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandError(pub String);

/// What the expander needs from the shell.
pub trait ExpandContext: GlobFs {
    /// The value of a variable, positional parameter (`$0`, `$1` ...) or
    /// special parameter (`$?`, `$$`, `$!`, `$#`, `$-`); `None` if unset.
    /// `$@` and `$*` are built from [`ExpandContext::positional_params`].
    fn lookup(&mut self, name: &ParamName) -> Option<String>;
    /// `$1`, `$2`, ...
    fn positional_params(&mut self) -> Vec<String>;
    /// Assign a variable (for `${x:=word}`).
    fn assign(&mut self, name: &str, value: &str) -> Result<(), ExpandError>;
    /// Run a command substitution and return its standard output.
    fn command_substitution(&mut self, list: &List) -> Result<String, ExpandError>;
    /// Whether expanding an unset parameter is an error (`set -u`).
    fn nounset(&mut self) -> bool {
        false
    }
    /// Whether pathname expansion is off (`set -f`).
    fn noglob(&mut self) -> bool {
        false
    }
    /// Told before an error that POSIX makes fatal for a non-interactive
    /// shell (`${x?}`, an unset parameter under `set -u`) is returned.
    fn fatal_error(&mut self) {}
}

/// A field being built: characters with their "literal" flag (quoted, so
/// not special to globbing), and whether a quote was seen (so an empty
/// field is kept: `""`).
#[derive(Default, Clone)]
struct Field {
    chars: Vec<PatChar>,
    keep: bool,
}

impl Field {
    fn push_str(&mut self, s: &str, literal: bool) {
        self.chars.extend(s.chars().map(|c| (c, literal)));
    }
}

/// How the result of a word is used.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Command words: field splitting and globbing.
    Fields,
    /// One string (assignments, redirection targets, `case` word).
    Single,
}

struct Expander<'c> {
    ctx: &'c mut dyn ExpandContext,
    mode: Mode,
    fields: Vec<Field>,
    cur: Field,
}

/// Expand command words into fields (split and globbed).
pub fn expand_words(ctx: &mut dyn ExpandContext, words: &[Word]) -> Result<Vec<String>, ExpandError> {
    let mut out = Vec::new();
    for w in words {
        out.extend(expand_word(ctx, w)?);
    }
    Ok(out)
}

/// Expand one word into fields (split and globbed).
pub fn expand_word(ctx: &mut dyn ExpandContext, word: &Word) -> Result<Vec<String>, ExpandError> {
    let fields = run(ctx, word, Mode::Fields)?;
    let mut out = Vec::new();
    let noglob = ctx.noglob();
    for f in fields {
        if !noglob && glob::has_glob(&f.chars) {
            let matches = glob::expand(&mut *ctx, &f.chars);
            if !matches.is_empty() {
                out.extend(matches);
                continue;
            }
        }
        out.push(glob::literal_text(&f.chars));
    }
    Ok(out)
}

/// Expand a word into one string: no field splitting, no globbing.
pub fn expand_single(ctx: &mut dyn ExpandContext, word: &Word) -> Result<String, ExpandError> {
    Ok(glob::literal_text(&expand_pattern(ctx, word)?))
}

/// Expand a word into a pattern (for `case` and `${x#pattern}`): one
/// string whose quoted characters are marked literal.
pub fn expand_pattern(ctx: &mut dyn ExpandContext, word: &Word) -> Result<Vec<PatChar>, ExpandError> {
    let fields = run(ctx, word, Mode::Single)?;
    Ok(fields.into_iter().next().map(|f| f.chars).unwrap_or_default())
}

fn run(ctx: &mut dyn ExpandContext, word: &Word, mode: Mode) -> Result<Vec<Field>, ExpandError> {
    let mut e = Expander { ctx, mode, fields: Vec::new(), cur: Field::default() };
    for (i, part) in word.parts.iter().enumerate() {
        e.part(part, i == 0)?;
    }
    let cur = core::mem::take(&mut e.cur);
    if mode == Mode::Single || !cur.chars.is_empty() || cur.keep {
        e.fields.push(cur);
    }
    Ok(e.fields)
}

impl Expander<'_> {
    fn part(&mut self, part: &WordPart, first: bool) -> Result<(), ExpandError> {
        match part {
            WordPart::Literal(s) => {
                let s = if first { self.tilde(s) } else { s.as_str().into() };
                self.cur.push_str(&s, false);
                // A tilde's expansion is literal, but the rest stays a pattern.
                Ok(())
            }
            WordPart::Quoted(s) => {
                self.cur.push_str(s, true);
                self.cur.keep = true;
                Ok(())
            }
            WordPart::DoubleQuoted(inner) => {
                let only_empty_at = matches!(inner.as_slice(), [WordPart::Param(p)]
                    if p.name == ParamName::Special('@') && p.op == ParamOp::Plain)
                    && self.ctx.positional_params().is_empty();
                for p in inner {
                    self.quoted_part(p)?;
                }
                if !only_empty_at {
                    self.cur.keep = true;
                }
                Ok(())
            }
            WordPart::Param(p) => {
                if p.op == ParamOp::Plain && matches!(p.name, ParamName::Special('@' | '*')) {
                    let params = self.ctx.positional_params();
                    if self.mode == Mode::Single {
                        self.cur.push_str(&params.join(" "), false);
                    } else {
                        for (i, v) in params.iter().enumerate() {
                            if i > 0 {
                                self.finish_field();
                            }
                            self.split_into(v);
                        }
                    }
                    return Ok(());
                }
                let value = self.param(p, false)?;
                self.unquoted_value(&value);
                Ok(())
            }
            WordPart::CommandSub(list) => {
                let out = self.ctx.command_substitution(list)?;
                self.unquoted_value(out.trim_end_matches('\n'));
                Ok(())
            }
            WordPart::Arith(w) => {
                let v = self.arith(w)?;
                self.unquoted_value(&v);
                Ok(())
            }
        }
    }

    fn quoted_part(&mut self, part: &WordPart) -> Result<(), ExpandError> {
        match part {
            WordPart::Literal(s) | WordPart::Quoted(s) => self.cur.push_str(s, true),
            WordPart::DoubleQuoted(inner) => {
                for p in inner {
                    self.quoted_part(p)?;
                }
            }
            WordPart::Param(p) if p.op == ParamOp::Plain && p.name == ParamName::Special('@') => {
                let params = self.ctx.positional_params();
                for (i, v) in params.iter().enumerate() {
                    if i > 0 {
                        if self.mode == Mode::Single {
                            self.cur.push_str(" ", true);
                        } else {
                            self.finish_field();
                            self.cur.keep = true;
                        }
                    }
                    self.cur.push_str(v, true);
                }
            }
            WordPart::Param(p) => {
                let v = self.param(p, true)?;
                self.cur.push_str(&v, true);
            }
            WordPart::CommandSub(list) => {
                let out = self.ctx.command_substitution(list)?;
                self.cur.push_str(out.trim_end_matches('\n'), true);
            }
            WordPart::Arith(w) => {
                let v = self.arith(w)?;
                self.cur.push_str(&v, true);
            }
        }
        Ok(())
    }

    fn tilde(&mut self, s: &str) -> String {
        let Some(rest) = s.strip_prefix('~') else { return s.into() };
        if !(rest.is_empty() || rest.starts_with('/')) {
            return s.into();
        }
        match self.ctx.lookup(&ParamName::Var("HOME".into())) {
            Some(home) => {
                // The home directory is literal text.
                self.cur.push_str(&home, true);
                rest.into()
            }
            None => s.into(),
        }
    }

    fn finish_field(&mut self) {
        let f = core::mem::take(&mut self.cur);
        self.fields.push(f);
    }

    /// An unquoted expansion result: split into fields (in `Fields` mode).
    fn unquoted_value(&mut self, value: &str) {
        if self.mode == Mode::Single {
            self.cur.push_str(value, false);
        } else {
            self.split_into(value);
        }
    }

    fn split_into(&mut self, value: &str) {
        let ifs = self.ctx.lookup(&ParamName::Var("IFS".into())).unwrap_or_else(|| " \t\n".into());
        if ifs.is_empty() {
            self.cur.push_str(value, false);
            return;
        }
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            if !ifs.contains(c) {
                self.cur.chars.push((c, false));
                continue;
            }
            let white = c.is_whitespace();
            // Swallow the rest of the separator: IFS white space around it.
            while let Some(&n) = chars.peek() {
                if ifs.contains(n) && n.is_whitespace() {
                    chars.next();
                } else {
                    break;
                }
            }
            let mut delimited = !white;
            if white
                && let Some(&n) = chars.peek()
                && ifs.contains(n)
                && !n.is_whitespace()
            {
                chars.next();
                delimited = true;
                while chars.peek().is_some_and(|n| ifs.contains(*n) && n.is_whitespace()) {
                    chars.next();
                }
            }
            if delimited || !self.cur.chars.is_empty() || self.cur.keep {
                self.finish_field();
            }
        }
    }

    fn arith(&mut self, w: &Word) -> Result<String, ExpandError> {
        let text = expand_single(self.ctx, w)?;
        let ctx = &mut *self.ctx;
        let mut unset: Option<String> = None;
        let mut var = |name: &str| {
            let v = ctx.lookup(&ParamName::Var(name.into()));
            if v.is_none() && unset.is_none() {
                unset = Some(name.into());
            }
            v
        };
        let r = arith::eval(&text, &mut var);
        if let Some(name) = unset
            && self.ctx.nounset()
        {
            self.ctx.fatal_error();
            return Err(ExpandError(format!("{name}: parameter not set")));
        }
        r.map(|v| v.to_string()).map_err(|e| ExpandError(format!("{}: {e}", text.trim())))
    }

    /// The value of a parameter expansion (before splitting).
    fn param(&mut self, p: &Param, quoted: bool) -> Result<String, ExpandError> {
        let value = match p.name {
            ParamName::Special('@' | '*') => {
                let params = self.ctx.positional_params();
                if p.op == ParamOp::Length {
                    return Ok(params.len().to_string());
                }
                let sep = match self.ctx.lookup(&ParamName::Var("IFS".into())) {
                    Some(ifs) => ifs.chars().next().map(String::from).unwrap_or_default(),
                    None => " ".into(),
                };
                (!params.is_empty()).then(|| params.join(&sep))
            }
            ref name => self.ctx.lookup(name),
        };
        let checked =
            matches!(p.op, ParamOp::Plain | ParamOp::Length | ParamOp::TrimPrefix(..) | ParamOp::TrimSuffix(..));
        if value.is_none() && checked && !matches!(p.name, ParamName::Special('@' | '*')) && self.ctx.nounset() {
            self.ctx.fatal_error();
            return Err(ExpandError(format!("{}: parameter not set", param_display(&p.name))));
        }
        let is_set = |colon: bool| match &value {
            None => false,
            Some(v) => !(colon && v.is_empty()),
        };
        let word = |this: &mut Self, w: &Word| -> Result<String, ExpandError> {
            let _ = quoted;
            expand_single(this.ctx, w)
        };
        match &p.op {
            ParamOp::Plain => Ok(value.unwrap_or_default()),
            ParamOp::Length => Ok(value.unwrap_or_default().chars().count().to_string()),
            ParamOp::Default(colon, w) => {
                if is_set(*colon) {
                    Ok(value.unwrap_or_default())
                } else {
                    word(self, w)
                }
            }
            ParamOp::Assign(colon, w) => {
                if is_set(*colon) {
                    return Ok(value.unwrap_or_default());
                }
                let v = word(self, w)?;
                if let ParamName::Var(name) = &p.name {
                    self.ctx.assign(name, &v)?;
                }
                Ok(v)
            }
            ParamOp::Alternative(colon, w) => {
                if is_set(*colon) {
                    word(self, w)
                } else {
                    Ok(String::new())
                }
            }
            ParamOp::Error(colon, w) => {
                if is_set(*colon) {
                    return Ok(value.unwrap_or_default());
                }
                let msg = word(self, w)?;
                let msg = if msg.is_empty() { "parameter null or not set".into() } else { msg };
                self.ctx.fatal_error();
                Err(ExpandError(format!("{}: {msg}", param_display(&p.name))))
            }
            ParamOp::TrimPrefix(longest, w) | ParamOp::TrimSuffix(longest, w) => {
                let value = value.unwrap_or_default();
                let pat = expand_pattern(self.ctx, w)?;
                let prefix = matches!(p.op, ParamOp::TrimPrefix(..));
                Ok(trim(&value, &pat, prefix, *longest))
            }
        }
    }
}

/// How a parameter is written in messages (`x`, `1`, `?`).
fn param_display(name: &ParamName) -> String {
    match name {
        ParamName::Var(v) => v.clone(),
        ParamName::Positional(n) => n.to_string(),
        ParamName::Special(c) => c.to_string(),
    }
}

/// Remove the shortest or longest prefix (or suffix) of `value` matching `pat`.
fn trim(value: &str, pat: &[PatChar], prefix: bool, longest: bool) -> String {
    let bounds: Vec<usize> = value.char_indices().map(|(i, _)| i).chain([value.len()]).collect();
    let candidates: Vec<usize> = if prefix == longest { bounds.iter().rev().copied().collect() } else { bounds };
    for i in candidates {
        let (piece, rest) = if prefix { (&value[..i], &value[i..]) } else { (&value[i..], &value[..i]) };
        if glob::matches(pat, piece) {
            return rest.into();
        }
    }
    value.into()
}
