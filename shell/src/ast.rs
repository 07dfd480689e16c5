//! The syntax tree produced by the [parser](crate::parser).
//!
//! Words keep their quoting structure ([`WordPart`]) so the
//! [expander](crate::expand) knows which characters are subject to field
//! splitting and globbing.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// A list of commands: what a script, a `{ }` group or a loop body holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct List {
    /// The items, run in order.
    pub items: Vec<Item>,
}

/// One and-or list with its terminator (`;`, newline or `&`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The commands joined by `&&` and `||`.
    pub and_or: AndOr,
    /// Terminated by `&`: run in the background.
    pub background: bool,
    /// The item's source text (for job listings and for running a
    /// background item in a new shell).
    pub text: String,
}

/// `pipeline (&& pipeline | || pipeline)*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AndOr {
    /// The first pipeline, always run.
    pub first: Pipeline,
    /// The following pipelines and the operator before each.
    pub rest: Vec<(Connector, Pipeline)>,
}

/// The operator joining two pipelines of an [`AndOr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connector {
    /// `&&`: run the next pipeline if the status is 0.
    And,
    /// `||`: run the next pipeline if the status is not 0.
    Or,
}

/// `[!] command (| command)*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// Preceded by `!`: the status is inverted.
    pub negated: bool,
    /// The stages, left to right (at least one).
    pub commands: Vec<Command>,
}

/// One stage of a pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Assignments, words and redirections.
    Simple(SimpleCommand),
    /// A compound command with redirections applying to all of it.
    Compound(Box<Compound>, Vec<Redirect>),
    /// `name() compound-command`: defines a function.
    FunctionDef(String, Box<Command>),
}

/// `NAME=value ... word ... redirection ...` in any order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SimpleCommand {
    /// The leading `NAME=value` words.
    pub assignments: Vec<Assignment>,
    /// The command name and its arguments, unexpanded.
    pub words: Vec<Word>,
    /// Redirections, in source order.
    pub redirects: Vec<Redirect>,
}

/// `NAME=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The variable name.
    pub name: String,
    /// The value (expanded without field splitting or globbing).
    pub value: Word,
}

/// The compound commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compound {
    /// `{ list; }`: run in the current shell.
    Group(List),
    /// `( list )`: run in a copy of the shell's state.
    Subshell(List),
    /// `if c; then b; elif c; then b; else b; fi`.
    If {
        /// `(condition, body)` for the `if` and each `elif`.
        branches: Vec<(List, List)>,
        /// The `else` body.
        otherwise: Option<List>,
    },
    /// `while c; do b; done` or `until c; do b; done`.
    Loop {
        /// `until` instead of `while`: loop while the condition fails.
        until: bool,
        /// The condition.
        cond: List,
        /// The body.
        body: List,
    },
    /// `for NAME [in words]; do body; done`.
    For {
        /// The loop variable.
        var: String,
        /// The words to loop over; `None` loops over `"$@"`.
        words: Option<Vec<Word>>,
        /// The body.
        body: List,
    },
    /// `case word in pattern|pattern) list;; ... esac`.
    Case {
        /// The word matched.
        word: Word,
        /// The arms, tried in order.
        arms: Vec<CaseArm>,
    },
}

/// `pattern|pattern) list ;;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseArm {
    /// Glob patterns; the arm runs if any matches.
    pub patterns: Vec<Word>,
    /// The body.
    pub body: List,
}

/// One redirection: `[n]op target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The descriptor redirected (`None`: the operator's default, 0 or 1).
    pub fd: Option<u32>,
    /// The operator.
    pub kind: RedirKind,
    /// The file name, descriptor number, `-`, or here-document body.
    pub target: Word,
}

impl Redirect {
    /// The descriptor this redirection changes.
    pub fn fd(&self) -> u32 {
        self.fd.unwrap_or(match self.kind {
            RedirKind::Input | RedirKind::DupInput | RedirKind::ReadWrite | RedirKind::HereDoc => 0,
            _ => 1,
        })
    }
}

/// A redirection operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirKind {
    /// `<`: open for reading.
    Input,
    /// `>` or `>|`: create or truncate.
    Output,
    /// `>>`: create or append.
    Append,
    /// `<>`: open for reading and writing.
    ReadWrite,
    /// `<&`: duplicate an input descriptor (or close with `-`).
    DupInput,
    /// `>&`: duplicate an output descriptor (or close with `-`).
    DupOutput,
    /// `&>`: standard output and standard error to a file.
    OutputBoth,
    /// `<<` / `<<-`: the target is the here-document body.
    HereDoc,
}

/// A word: a sequence of parts that expand and concatenate into fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word {
    /// The parts, in order.
    pub parts: Vec<WordPart>,
}

impl Word {
    /// A word of one unquoted literal.
    pub fn literal(s: &str) -> Word {
        Word { parts: alloc::vec![WordPart::Literal(s.into())] }
    }

    /// The word's text if it is a single unquoted literal (reserved words,
    /// function names, `for` variables).
    pub fn as_literal(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [WordPart::Literal(s)] => Some(s),
            _ => None,
        }
    }
}

/// A piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordPart {
    /// Unquoted text: subject to globbing (and tilde expansion at the start).
    Literal(String),
    /// Text quoted with `'...'` or a backslash: taken as is.
    Quoted(String),
    /// `"..."`: expansions inside, no field splitting or globbing.
    DoubleQuoted(Vec<WordPart>),
    /// `$name`, `${...}`.
    Param(Box<Param>),
    /// `$(...)` or `` `...` ``.
    CommandSub(List),
    /// `$((...))`: the expression text, expanded then evaluated.
    Arith(Word),
}

/// A parameter expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Which parameter.
    pub name: ParamName,
    /// What to do with it.
    pub op: ParamOp,
}

/// The parameter named in an expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamName {
    /// A variable.
    Var(String),
    /// `$0` .. `$9`, `${10}` ...
    Positional(usize),
    /// `$?`, `$$`, `$!`, `$#`, `$@`, `$*`, `$-`.
    Special(char),
}

/// The operation of a `${...}` expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamOp {
    /// `$x`, `${x}`.
    Plain,
    /// `${#x}`: the length.
    Length,
    /// `${x-w}` / `${x:-w}`: `w` if unset (or empty, with `:`).
    Default(bool, Word),
    /// `${x=w}` / `${x:=w}`: as Default, and assign.
    Assign(bool, Word),
    /// `${x+w}` / `${x:+w}`: `w` if set (and not empty, with `:`).
    Alternative(bool, Word),
    /// `${x?w}` / `${x:?w}`: error with message `w` if unset (or empty).
    Error(bool, Word),
    /// `${x#p}` / `${x##p}`: remove the shortest / longest matching prefix.
    TrimPrefix(bool, Word),
    /// `${x%p}` / `${x%%p}`: remove the shortest / longest matching suffix.
    TrimSuffix(bool, Word),
}
