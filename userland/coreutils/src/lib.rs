//! # coreutils — Rampart's everyday programs (host-testable logic)
//!
//! The programs (`ls`, `cat`, `cp`, `grep`, `ps`, the policy tools, ...)
//! are one multi-call binary, `/bin/coreutils`, dispatched on `argv[0]`
//! (every program name is a symbolic link to it in `/bin`; see
//! `src/main.rs` and docs/userland.md). This library holds the parts that
//! do not touch the system, so they are tested on the host:
//!
//! - [`args`]: the getopt-style parser every program uses;
//! - [`fmt`]: permission strings, sizes, dates, columns and tables;
//! - [`text`]: `wc` counts, `sort` and `uniq`, `head`/`tail`, escapes;
//! - [`pattern`]: `grep`'s basic/extended/fixed patterns;
//! - [`findexpr`]: `find`'s expressions;
//! - [`hexdump`]: `hexdump` lines;
//! - [`misc`]: durations, signals, contexts, audit filters.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod args;
pub mod findexpr;
pub mod fmt;
pub mod hexdump;
pub mod misc;
pub mod pattern;
pub mod text;
