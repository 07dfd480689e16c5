//! `stty`: what it is asked to do and what it prints, over the console's
//! terminal settings (docs/console.md): a mode, raw or cooked, with or
//! without echo, and the window size the terminal reported.
//!
//! Operands, as in POSIX/GNU `stty` where a setting exists here:
//!
//! | operand | effect |
//! |---|---|
//! | (none), `-a`, `--all` | print the size, the control characters and the flags |
//! | `size` | print `ROWS COLS` |
//! | `raw`, `-cooked`, `-icanon` | raw: bytes as typed, no editing, no signals, no echo |
//! | `-raw`, `cooked`, `icanon` | cooked: line editing and Ctrl-C (echo as it was) |
//! | `echo`, `-echo` | echo typed characters in cooked mode, or not |
//! | `sane` | cooked with echo |
//!
//! Settings apply in order (`stty raw -echo`); the echo flag is kept across
//! raw mode, so `stty raw` then `stty -raw` restores echo as it was.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// A terminal's settings as `stty` sees them (the console's `Mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Raw mode (no line editing, signals or echo).
    pub raw: bool,
    /// Echo in cooked mode.
    pub echo: bool,
}

/// One setting operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// `raw` (true) or `-raw` (false), and their synonyms.
    Raw(bool),
    /// `echo` or `-echo`.
    Echo(bool),
    /// `sane`.
    Sane,
}

/// What `stty` was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Print every setting.
    Show,
    /// Print `ROWS COLS`.
    Size,
    /// Change settings, in order.
    Set(Vec<Setting>),
}

/// Parses `stty`'s arguments (without `argv[0]`).
///
/// # Errors
/// The message for an unknown operand or a misplaced `size`/`-a`.
pub fn parse(args: &[String]) -> Result<Action, String> {
    match args {
        [] => return Ok(Action::Show),
        [a] if a == "-a" || a == "--all" => return Ok(Action::Show),
        [a] if a == "size" => return Ok(Action::Size),
        _ => {}
    }
    let mut set = Vec::new();
    for a in args {
        set.push(match a.as_str() {
            "raw" | "-cooked" | "-icanon" => Setting::Raw(true),
            "-raw" | "cooked" | "icanon" => Setting::Raw(false),
            "echo" => Setting::Echo(true),
            "-echo" => Setting::Echo(false),
            "sane" => Setting::Sane,
            "size" | "-a" | "--all" => return Err(format!("'{a}' cannot be combined with other operands")),
            _ => return Err(format!("invalid argument '{a}'")),
        });
    }
    Ok(Action::Set(set))
}

/// `now` with `settings` applied in order.
pub fn apply(now: Settings, settings: &[Setting]) -> Settings {
    settings.iter().fold(now, |s, set| match *set {
        Setting::Raw(raw) => Settings { raw, ..s },
        Setting::Echo(echo) => Settings { echo, ..s },
        Setting::Sane => Settings { raw: false, echo: true },
    })
}

/// What `stty -a` prints for a terminal in `s` of `rows` × `cols`: the
/// size, the control characters of cooked mode and the flags in effect
/// (`icanon` and `echo` are off in raw mode; `isig` as the terminal has it,
/// which a Linux program such as `vi` may keep in raw mode; output always
/// turns newline into CR LF, `onlcr`).
pub fn summary(s: Settings, isig: bool, rows: u16, cols: u16) -> String {
    let flag = |on: bool, name: &str| if on { name.to_string() } else { format!("-{name}") };
    let cooked = !s.raw;
    format!(
        "rows {rows}; columns {cols};\nintr = ^C; eof = ^D; kill = ^U; werase = ^W; erase = ^?;\n{} {} {} {} onlcr\n",
        flag(s.raw, "raw"),
        flag(cooked, "icanon"),
        flag(isig, "isig"),
        flag(cooked && s.echo, "echo"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn operands() {
        assert_eq!(parse(&[]), Ok(Action::Show));
        assert_eq!(parse(&v(&["-a"])), Ok(Action::Show));
        assert_eq!(parse(&v(&["size"])), Ok(Action::Size));
        assert_eq!(parse(&v(&["raw", "-echo"])), Ok(Action::Set(vec![Setting::Raw(true), Setting::Echo(false)])));
        assert_eq!(parse(&v(&["-raw", "cooked", "-icanon"])).map(|_| ()), Ok(()));
        assert_eq!(parse(&v(&["speed"])), Err("invalid argument 'speed'".to_string()));
        assert!(parse(&v(&["raw", "size"])).is_err());
    }

    #[test]
    fn settings_apply_in_order_and_keep_echo() {
        let cooked = Settings { raw: false, echo: true };
        let raw = apply(cooked, &[Setting::Raw(true)]);
        assert_eq!(raw, Settings { raw: true, echo: true });
        assert_eq!(apply(raw, &[Setting::Raw(false)]), cooked);
        assert_eq!(apply(cooked, &[Setting::Echo(false)]), Settings { raw: false, echo: false });
        assert_eq!(apply(Settings { raw: true, echo: false }, &[Setting::Sane]), cooked);
    }

    #[test]
    fn summaries() {
        let s = summary(Settings { raw: false, echo: true }, true, 30, 100);
        assert!(s.starts_with("rows 30; columns 100;\n"), "{s}");
        assert!(s.ends_with("\n-raw icanon isig echo onlcr\n"), "{s}");
        let s = summary(Settings { raw: true, echo: true }, false, 24, 80);
        assert!(s.ends_with("\nraw -icanon -isig -echo onlcr\n"), "{s}");
        let s = summary(Settings { raw: false, echo: false }, true, 24, 80);
        assert!(s.ends_with("\n-raw icanon isig -echo onlcr\n"), "{s}");
        // vi's mode: raw, signal keys kept.
        let s = summary(Settings { raw: true, echo: false }, true, 24, 80);
        assert!(s.ends_with("\nraw -icanon isig -echo onlcr\n"), "{s}");
    }
}
