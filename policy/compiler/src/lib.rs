//! # policy-compiler — Rampart's policy language compiler
//!
//! Turns policy source files (modules) into a binary policy
//! ([`rampart_policy::PolicyDb`], encoded with [`rampart_policy::encode`]).
//! The language is described in `docs/policy-language.md`.
//!
//! Pipeline: [`lexer`] -> [`parser`] (per file, with error recovery) ->
//! [`symbols`] (declarations from *all* files, so order does not matter) ->
//! [`lower`] (rules, with semantic checks) -> final checks (model, context
//! validity, structural validation).
//!
//! Every problem is a [`Diagnostic`] printed as `file:line:col: error:
//! message`; the compiler reports as many as it can in one run. Source text
//! is untrusted: no input makes the compiler panic (property-tested).
//!
//! ```
//! let src = policy_compiler::Source::new("p.pol", "model te;
//!     class file { read write }
//!     type a_t; type b_t;
//!     allow a_t b_t : file read;");
//! let out = policy_compiler::compile(&[src]).unwrap();
//! assert_eq!(out.db.rules.len(), 1);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// The `alloc` names every module uses (the compiler is `no_std` so that
/// the guest's `semodule` can run it; the `std` feature adds file I/O).
pub(crate) mod prelude {
    pub use alloc::boxed::Box;
    pub use alloc::format;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}

pub mod ast;
pub mod bounds;
pub mod constraint;
pub mod diag;
pub mod levels;
pub mod lexer;
pub mod lower;
mod lower_labeling;
mod parse_expr;
mod parse_labeling;
pub mod parser;
pub mod sets;
pub mod symbols;

#[cfg(feature = "std")]
use std::path::Path;

use crate::prelude::*;

use rampart_policy::index::PolicyIndex;
use rampart_policy::model::te::te_validate;
use rampart_policy::{ModelRegistry, PolicyDb};

pub use diag::{Diagnostic, Diagnostics, Severity, Span};

/// One source file.
#[derive(Clone, Debug)]
pub struct Source {
    /// Name used in diagnostics (usually the path).
    pub name: String,
    /// Contents.
    pub text: String,
}

impl Source {
    /// A source from a name and text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source { name: name.into(), text: text.into() }
    }

    /// Reads a file.
    ///
    /// # Errors
    /// The I/O error, if it cannot be read as UTF-8 text.
    #[cfg(feature = "std")]
    pub fn read(path: &Path) -> std::io::Result<Source> {
        Ok(Source::new(path.display().to_string(), std::fs::read_to_string(path)?))
    }
}

/// A successful compilation.
#[derive(Clone, Debug)]
pub struct Output {
    /// The compiled policy (with source positions in `origin` fields).
    pub db: PolicyDb,
    /// Warnings.
    pub warnings: Vec<Diagnostic>,
}

/// Parses one source into statements (diagnostics go to `d`).
pub fn parse_source(src: &Source, file: u16, d: &mut Diagnostics) -> Vec<ast::Stmt> {
    let toks = lexer::lex(&src.text, file, d);
    parser::parse(&toks, d)
}

/// Compiles several sources as one policy.
///
/// # Errors
/// Every diagnostic (errors and warnings, in report order) if there is at
/// least one error.
pub fn compile(sources: &[Source]) -> Result<Output, Vec<Diagnostic>> {
    let mut d = Diagnostics::new(sources.iter().map(|s| s.name.clone()).collect());
    if sources.len() > usize::from(u16::MAX) {
        d.error(Span::default(), "too many source files");
        return Err(d.list);
    }
    let mut stmts = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        stmts.extend(parse_source(s, i as u16, &mut d));
    }
    let flat = symbols::flatten(&stmts);
    let mut sym = symbols::Symbols::collect(&flat, &mut d);
    check_model(&sym, sources, &mut d);
    let (mut db, uses) = lower::lower(&stmts, &mut sym, &mut d);
    db.files = sources.iter().map(|s| s.name.clone()).collect();
    if d.error_count() == 0 {
        match rampart_policy::validate::validate(&db) {
            Ok(()) => {
                let idx = PolicyIndex::new(db.clone());
                for (c, span) in &uses {
                    if let Err(e) = te_validate(&idx, c) {
                        d.error(*span, e.to_string());
                    }
                }
            }
            Err(e) => d.error(Span::default(), format!("internal error: {e}")),
        }
    }
    if d.error_count() > 0 {
        return Err(d.list);
    }
    Ok(Output { db, warnings: d.list })
}

fn check_model(sym: &symbols::Symbols, sources: &[Source], d: &mut Diagnostics) {
    let reg = ModelRegistry::builtin();
    match &sym.model {
        None => {
            let file = Span { file: 0, line: 1, col: 1 };
            let names = sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ");
            d.error(file, format!("no `model` statement in {names} (add e.g. `model te;`)"));
        }
        Some((m, span)) => {
            if reg.create(m).is_err() {
                let known: Vec<&str> = reg.names().collect();
                let msg = diag::unknown("model", m, known.iter().copied());
                d.error(*span, format!("{msg}; known models: {}", known.join(", ")));
            } else if (m == "mls" || m == "biba") && !sym.is_mls() {
                d.error(*span, format!("model `{m}` needs sensitivities (declare `sensitivity` and `dominance`)"));
            }
        }
    }
}

/// Expands inputs: a directory stands for its `*.pol` files (sorted by
/// name, not recursive); a file stands for itself.
///
/// # Errors
/// The I/O error if a directory cannot be read.
#[cfg(feature = "std")]
pub fn expand_inputs<P: AsRef<Path>>(inputs: &[P]) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        let p = p.as_ref();
        if p.is_dir() {
            let mut v: Vec<_> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "pol"))
                .collect();
            v.sort();
            out.extend(v);
        } else {
            out.push(p.to_path_buf());
        }
    }
    Ok(out)
}

/// Reads and compiles files (directories expand to their `*.pol` files).
///
/// # Errors
/// `Err(Ok(diagnostics))` for policy errors, `Err(Err(io))` if a file cannot
/// be read.
#[cfg(feature = "std")]
pub fn compile_files<P: AsRef<Path>>(paths: &[P]) -> Result<Output, Result<Vec<Diagnostic>, std::io::Error>> {
    let sources = expand_inputs(paths)
        .map_err(Err)?
        .iter()
        .map(|p| Source::read(p).map_err(Err))
        .collect::<Result<Vec<_>, _>>()?;
    compile(&sources).map_err(Ok)
}
