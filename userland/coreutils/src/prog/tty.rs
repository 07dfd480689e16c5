//! `stty`: the terminal's settings and size on standard input
//! (`coreutils::stty` holds the operands and the output).

use super::{Out, err};
use alloc::format;
use alloc::string::String;
use coreutils::stty::{self, Action, Settings};
use rampart_libos::Error;
use rampart_libos::io::{self, TerminalMode};

/// Standard input, the terminal `stty` works on.
const STDIN: u32 = 0;

fn fail(e: &Error) -> i32 {
    err("stty", &format!("'standard input': {}", e.message()));
    1
}

/// `stty [-a | size | SETTING...]`
pub fn stty(args: &[String]) -> i32 {
    let action = match stty::parse(args) {
        Ok(a) => a,
        Err(m) => {
            err("stty", &m);
            return 1;
        }
    };
    let mode = match io::terminal_mode(STDIN) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    let now = Settings { raw: mode.raw, echo: mode.echo };
    match action {
        Action::Show | Action::Size => {
            let size = match io::terminal_size(STDIN) {
                Ok(s) => s,
                Err(e) => return fail(&e),
            };
            let mut out = Out::new();
            if action == Action::Size {
                out.line(&format!("{} {}", size.rows, size.cols));
            } else {
                out.str(&stty::summary(now, mode.isig, size.rows, size.cols));
            }
            out.flush();
            i32::from(out.failed)
        }
        Action::Set(settings) => {
            let new = stty::apply(now, &settings);
            match io::set_terminal_mode(STDIN, TerminalMode { raw: new.raw, echo: new.echo, isig: !new.raw }) {
                Ok(()) => 0,
                Err(e) => fail(&e),
            }
        }
    }
}
