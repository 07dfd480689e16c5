//! # shell — Rampart's command shell, as a library
//!
//! A POSIX-ish shell written to run on Rampart (`#![no_std]` + `alloc`, no
//! `unsafe`) and tested on the host. The language is described in
//! `docs/shell.md`; in short: pipelines, `&&` `||` `;` `&`, redirections
//! (`<` `>` `>>` `<>` `n>&m` `n<&m` `n>&-` `&>` here-documents), quoting,
//! variables and `${...}` expansions, `$(...)`, `$((...))`, globbing,
//! `if`/`while`/`until`/`for`/`case`, functions, background jobs, and
//! builtins.
//!
//! ## Layers
//! - [`lexer`] and [`parser`] turn text into the [`ast`]; errors are
//!   [`ParseError`]s with a byte offset ([`error`]).
//! - [`expand`] turns words into fields through an
//!   [`ExpandContext`](expand::ExpandContext); [`glob`] matches patterns
//!   and expands paths through [`GlobFs`](glob::GlobFs); [`arith`]
//!   evaluates `$((...))`.
//! - [`Shell`] runs the tree over an [`Os`] (the library OS on Rampart, a
//!   mock in tests): `exec` (lists, pipelines, compound commands),
//!   `command` (simple commands, `PATH`), [`redirect`] (the logical
//!   descriptor table), [`builtins`], [`jobs`] (the job table), `jobctl`
//!   (process groups, the terminal's foreground, `fg`, `bg`), [`kill`].
//! - [`editor`] is the line editor (bytes in, terminal bytes and lines
//!   out) and [`history`] the command history; `repl` ties them to the
//!   prompt in [`Shell::interactive`], and [`Shell::main`] is the
//!   program's entry (`sh`, `sh FILE`, `sh -c CMD`).
//!
//! ## Example
//! ```text
//! let mut sh = Shell::new(my_os, &env, ShellConfig::default());
//! let status = sh.main(&args);
//! ```
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod arith;
pub mod ast;
pub mod builtins;
mod cmdinfo;
mod command;
pub mod complete;
pub mod editor;
pub mod error;
mod exec;
pub mod expand;
mod getopts;
pub mod glob;
mod heredoc;
pub mod history;
mod jobctl;
pub mod jobs;
pub mod kill;
pub mod lexer;
pub mod options;
pub mod os;
pub mod parser;
mod printf;
mod read;
pub mod redirect;
mod repl;
mod shell;
mod test;
pub mod trap;
pub mod vars;

pub use command::Resolved;
pub use error::{ParseError, ParseErrorKind};
pub use os::{FdMapping, FileKind, Metadata, OpenMode, Os, OsError, Pid, SpawnRequest, WaitFlags, WaitStatus};
pub use shell::{ExecResult, Flow, MAX_CALL_DEPTH, Options, Shell, ShellConfig};
