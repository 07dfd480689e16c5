//! `polc` — build, check, query, analyse and prove Rampart policies.
//!
//! Inputs are policy source files, directories (their `*.pol` files) or
//! one binary policy. Exit codes: 0 success, 1 policy errors, neverallow
//! violations or failed proofs, 2 usage or I/O errors, or a policy the
//! analyses refuse because its model does not declare what it may grant
//! (`check`, `flow`, `prove`, and `build` unless `--no-check`).
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod diff;
mod explain;
mod load;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(load::Failure::Policy) => ExitCode::from(1),
        Err(load::Failure::Usage(msg) | load::Failure::Refused(msg)) => {
            eprintln!("polc: {msg}");
            ExitCode::from(2)
        }
    }
}
