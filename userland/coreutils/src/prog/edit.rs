//! `edit FILE`: the full-screen editor (`coreutils::editor`) on the
//! terminal in raw mode. The screen is `$LINES` × `$COLUMNS`, else the
//! terminal's size when `edit` starts (docs/console.md, "Window size";
//! 24 × 80 until the terminal reports one). A later resize is not
//! followed: that needs `SIGWINCH`.

use super::{err, err_on};
use alloc::string::String;
use coreutils::editor::{Action, Editor, KeyReader};
use rampart_libos::io::{self, Read, Write};
use rampart_libos::{ErrorKind, env, fs};

fn dim(var: &str, default: usize) -> usize {
    env::var(var).and_then(|v| v.parse().ok()).filter(|&n| n >= 4).unwrap_or(default.max(4))
}

/// `edit FILE`: opens (or starts) `FILE`; Ctrl-S saves, Ctrl-Q quits.
pub fn edit(args: &[String]) -> i32 {
    let [name] = args else {
        err("edit", "usage: edit FILE");
        return 1;
    };
    let text = match fs::read(name) {
        Ok(b) => match String::from_utf8(b) {
            Ok(s) => s,
            Err(_) => {
                err("edit", &alloc::format!("{name}: not UTF-8 text"));
                return 1;
            }
        },
        Err(e) if e.kind() == ErrorKind::NotFound => String::new(),
        Err(e) => {
            err_on("edit", name, &e);
            return 1;
        }
    };
    if !io::is_terminal(0) {
        err("edit", "standard input is not a terminal");
        return 1;
    }
    if let Err(e) = io::set_raw_mode(0, true) {
        err_on("edit", "raw mode", &e);
        return 1;
    }
    let size = io::terminal_size(0).unwrap_or(io::TerminalSize { rows: 24, cols: 80 });
    let mut ed = Editor::new(name, &text, dim("LINES", size.rows.into()), dim("COLUMNS", size.cols.into()));
    if text.is_empty() && fs::metadata(name).is_err() {
        ed.set_message("new file  (^S save  ^Q quit)");
    }
    let mut keys = KeyReader::new();
    let mut out = io::stdout();
    let mut buf = [0u8; 64];
    let status = 'run: loop {
        if out.write_all(ed.render().as_bytes()).is_err() {
            break 1;
        }
        let n = match io::stdin().read(&mut buf) {
            Ok(0) => break 0,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break 1,
        };
        for &b in &buf[..n] {
            let Some(k) = keys.feed(b) else { continue };
            match ed.handle(k) {
                Action::None => {}
                Action::Save => {
                    let t = ed.text();
                    ed.saved(fs::write(name, t.as_bytes()).map(|()| t.len()).map_err(|e| String::from(e.message())));
                }
                Action::Quit => break 'run 0,
            }
        }
    };
    let _ = out.write_all(b"\x1b[H\x1b[2J");
    let _ = io::set_raw_mode(0, false);
    status
}
