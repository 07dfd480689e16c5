//! File-context lookup: path + file kind -> context.
//!
//! Each `filecon` pattern is a regular expression (the `regex` crate's
//! syntax, without Unicode classes) matched against the *whole* path; the
//! compiler orders rules most specific first (see the language reference),
//! and the first rule whose pattern and kind match wins. Patterns are
//! compiled once at policy load with `regex-automata`'s meta engine, which
//! works in `no_std` with `alloc`; a pattern that fails to compile (only
//! possible in a hand-made binary) makes the load fail.
//!
//! Memory is bounded for the security server's fixed heap: a pattern's
//! automaton may take at most [`PATTERN_NFA_MAX`] bytes (else the load
//! fails), and matching uses the PikeVM only, whose scratch space is fixed
//! by the automaton's size: the lazy DFA and the backtracker, whose caches
//! grow with the paths looked up (up to megabytes per pattern), are off.

use alloc::format;
use alloc::vec::Vec;
use regex_automata::meta::Regex;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input};

use crate::db::{Context, FileCon};
use crate::error::PolicyError;
use crate::ids::FileKind;

/// Longest path accepted by [`FileContexts::lookup`], in bytes.
pub const MAX_PATH_LEN: usize = 4096;
/// Most heap a pattern's compiled automaton may take, in bytes.
pub const PATTERN_NFA_MAX: usize = 64 << 10;

/// Compiles one pattern, anchored at both ends.
///
/// # Errors
/// [`PolicyError::Invalid`] with the regex error if it does not compile.
pub fn compile_pattern(pattern: &str) -> Result<Regex, PolicyError> {
    let config = Regex::config().nfa_size_limit(Some(PATTERN_NFA_MAX)).hybrid(false).backtrack(false);
    Regex::builder()
        .configure(config)
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(&format!(r"^(?:{pattern})\z"))
        .map_err(|e| PolicyError::Invalid(format!("file-context pattern `{pattern}`: {e}")))
}

/// The compiled file-context rules of a policy.
#[derive(Clone, Debug)]
pub struct FileContexts {
    rules: Vec<(Regex, Option<FileKind>, Option<Context>)>,
}

impl FileContexts {
    /// Compiles every rule.
    ///
    /// # Errors
    /// [`PolicyError::Invalid`] if a pattern does not compile.
    pub fn new(rules: &[FileCon]) -> Result<FileContexts, PolicyError> {
        let rules = rules
            .iter()
            .map(|r| Ok((compile_pattern(&r.pattern)?, r.kind, r.context.clone())))
            .collect::<Result<_, PolicyError>>()?;
        Ok(FileContexts { rules })
    }

    /// Finds the context for `path` of kind `kind`: `Ok(Some(ctx))`, or
    /// `Ok(None)` for a `<<none>>` rule (the file stays unlabeled).
    ///
    /// # Errors
    /// [`PolicyError::NoContext`] if no rule matches or the path is longer
    /// than [`MAX_PATH_LEN`].
    pub fn lookup(&self, path: &str, kind: FileKind) -> Result<Option<&Context>, PolicyError> {
        if path.len() > MAX_PATH_LEN {
            return Err(PolicyError::NoContext);
        }
        self.rules
            .iter()
            .find(|(re, k, _)| k.is_none_or(|k| k == kind) && re.is_match(Input::new(path).anchored(Anchored::Yes)))
            .map(|(_, _, c)| c.as_ref())
            .ok_or(PolicyError::NoContext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_are_anchored() {
        let re = compile_pattern("/bin(/.*)?").unwrap();
        assert!(re.is_match("/bin"));
        assert!(re.is_match("/bin/sh"));
        assert!(!re.is_match("/usr/bin/sh"));
        assert!(!re.is_match("/binx"));
        assert!(compile_pattern("(").is_err());
    }
}
