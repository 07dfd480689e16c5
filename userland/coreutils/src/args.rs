//! A small getopt-style argument parser shared by every program.
//!
//! A [`Spec`] lists the short options (`"laZ"`; a letter followed by `:`
//! takes a value, as in `getopt`) and the long names mapped to them
//! (`("all", 'a')`; a name ending in `=` takes a value). Parsing follows
//! GNU conventions: short options combine (`-la`), values attach or follow
//! (`-n5`, `-n 5`, `--lines=5`, `--lines 5`), `--` ends the options, a lone
//! `-` is an operand, and options may follow operands unless the spec says
//! to stop at the first operand (`env`, `runcon`: the rest is a command).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// What a program accepts.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Short options, `getopt` style: `"ab:c"` (`b` takes a value).
    pub short: &'static str,
    /// Long options and the short letter each stands for; a name ending
    /// in `=` takes a value.
    pub long: &'static [(&'static str, char)],
    /// Options end at the first operand (the rest is a command line).
    pub stop_at_operand: bool,
}

impl Spec {
    /// Short options only, permuting.
    pub const fn short(short: &'static str) -> Spec {
        Spec { short, long: &[], stop_at_operand: false }
    }

    fn short_takes_value(&self, c: char) -> Option<bool> {
        let mut it = self.short.chars().peekable();
        while let Some(x) = it.next() {
            let v = it.peek() == Some(&':');
            if v {
                it.next();
            }
            if x == c && x != ':' {
                return Some(v);
            }
        }
        None
    }

    fn long_option(&self, name: &str) -> Result<(char, bool), ArgError> {
        let mut found = None;
        for &(n, c) in self.long {
            let (base, v) = n.strip_suffix('=').map_or((n, false), |b| (b, true));
            if base == name {
                return Ok((c, v));
            }
            // Unambiguous prefixes are accepted, as GNU getopt_long does.
            if base.starts_with(name) {
                if found.is_some_and(|(fc, _)| fc != c) {
                    return Err(ArgError::Ambiguous(name.to_string()));
                }
                found = Some((c, v));
            }
        }
        found.ok_or_else(|| ArgError::UnknownLong(name.to_string()))
    }
}

/// Why the command line was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgError {
    /// `-x` is not an option of the program.
    Unknown(char),
    /// `--name` is not an option of the program.
    UnknownLong(String),
    /// `--na` matches several long options.
    Ambiguous(String),
    /// The option needs a value and none was given.
    Missing(String),
    /// `--flag=value` for an option without a value.
    NoValueAllowed(String),
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgError::Unknown(c) => write!(f, "invalid option -- '{c}'"),
            ArgError::UnknownLong(n) => write!(f, "unrecognized option '--{n}'"),
            ArgError::Ambiguous(n) => write!(f, "option '--{n}' is ambiguous"),
            ArgError::Missing(o) => write!(f, "option requires an argument -- '{o}'"),
            ArgError::NoValueAllowed(n) => write!(f, "option '--{n}' doesn't allow an argument"),
        }
    }
}

/// A parsed command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args {
    /// Options in the order given, with their values.
    pub opts: Vec<(char, Option<String>)>,
    /// Operands (everything that is not an option).
    pub operands: Vec<String>,
}

impl Args {
    /// Whether option `c` was given.
    pub fn has(&self, c: char) -> bool {
        self.opts.iter().any(|(o, _)| *o == c)
    }

    /// How often option `c` was given.
    pub fn count(&self, c: char) -> usize {
        self.opts.iter().filter(|(o, _)| *o == c).count()
    }

    /// The last value of option `c`.
    pub fn value(&self, c: char) -> Option<&str> {
        self.opts.iter().rev().find(|(o, _)| *o == c).and_then(|(_, v)| v.as_deref())
    }

    /// Every value of option `c`, in order.
    pub fn values(&self, c: char) -> Vec<&str> {
        self.opts.iter().filter(|(o, _)| *o == c).filter_map(|(_, v)| v.as_deref()).collect()
    }

    /// Which of `letters` came last (for options that override each other,
    /// like `-f`/`-i`), if any.
    pub fn last_of(&self, letters: &str) -> Option<char> {
        self.opts.iter().rev().map(|(o, _)| *o).find(|o| letters.contains(*o))
    }
}

/// Parses `args` (without the program name) against `spec`.
///
/// # Errors
/// The first refused option.
pub fn parse(spec: &Spec, args: &[String]) -> Result<Args, ArgError> {
    let mut out = Args::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        i += 1;
        if a == "--" {
            out.operands.extend(args[i..].iter().cloned());
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = long.split_once('=').map_or((long, None), |(n, v)| (n, Some(v)));
            let (c, takes) = spec.long_option(name)?;
            let v = match (takes, inline) {
                (false, Some(_)) => return Err(ArgError::NoValueAllowed(name.to_string())),
                (false, None) => None,
                (true, Some(v)) => Some(v.to_string()),
                (true, None) => {
                    let v = args.get(i).ok_or_else(|| ArgError::Missing(format!("-{name}")))?;
                    i += 1;
                    Some(v.clone())
                }
            };
            out.opts.push((c, v));
            continue;
        }
        if a.len() < 2 || !a.starts_with('-') {
            out.operands.push(a.clone());
            if spec.stop_at_operand {
                out.operands.extend(args[i..].iter().cloned());
                break;
            }
            continue;
        }
        let body = &a[1..];
        for (pos, c) in body.char_indices() {
            match spec.short_takes_value(c) {
                None => return Err(ArgError::Unknown(c)),
                Some(false) => out.opts.push((c, None)),
                Some(true) => {
                    let rest = &body[pos + c.len_utf8()..];
                    let v = if rest.is_empty() {
                        let v = args.get(i).ok_or_else(|| ArgError::Missing(c.to_string()))?;
                        i += 1;
                        v.clone()
                    } else {
                        rest.to_string()
                    };
                    out.opts.push((c, Some(v)));
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// Parses a non-negative count such as `10`, `+3` (kept as given by the
/// caller) or with a size suffix (`2K` = 2048, `1M`, `1G`; `kB` = 1000).
///
/// # Errors
/// `None` for anything else.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().ok()?;
    let mult: u64 = match &s[digits..] {
        "" | "c" => 1,
        "b" => 512,
        "K" | "k" | "KiB" => 1 << 10,
        "kB" | "KB" => 1000,
        "M" | "MiB" => 1 << 20,
        "MB" => 1_000_000,
        "G" | "GiB" => 1 << 30,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    const LS: Spec =
        Spec { short: "laZn:", long: &[("all", 'a'), ("context", 'Z'), ("lines=", 'n')], stop_at_operand: false };

    #[test]
    fn combined_short_options_and_values() {
        let a = parse(&LS, &v(&["-la", "x", "-n5", "y", "-n", "7"])).unwrap();
        assert!(a.has('l') && a.has('a') && !a.has('Z'));
        assert_eq!(a.value('n'), Some("7"));
        assert_eq!(a.values('n'), vec!["5", "7"]);
        assert_eq!(a.operands, v(&["x", "y"]));
    }

    #[test]
    fn long_options_prefixes_and_double_dash() {
        let a = parse(&LS, &v(&["--all", "--lines=3", "--cont", "--", "-l", "-"])).unwrap();
        assert!(a.has('a') && a.has('Z') && !a.has('l'));
        assert_eq!(a.value('n'), Some("3"));
        assert_eq!(a.operands, v(&["-l", "-"]));
        let a = parse(&LS, &v(&["--lines", "4"])).unwrap();
        assert_eq!(a.value('n'), Some("4"));
    }

    #[test]
    fn errors_name_the_option() {
        assert_eq!(parse(&LS, &v(&["-x"])), Err(ArgError::Unknown('x')));
        assert_eq!(parse(&LS, &v(&["-n"])), Err(ArgError::Missing("n".into())));
        assert_eq!(parse(&LS, &v(&["--bogus"])).unwrap_err().to_string(), "unrecognized option '--bogus'");
        assert_eq!(parse(&LS, &v(&["--all=1"])), Err(ArgError::NoValueAllowed("all".into())));
        assert_eq!(parse(&LS, &v(&["-l", "-q"])).unwrap_err().to_string(), "invalid option -- 'q'");
    }

    #[test]
    fn stop_at_operand_keeps_the_command_line() {
        let spec = Spec { short: "i", long: &[], stop_at_operand: true };
        let a = parse(&spec, &v(&["-i", "ls", "-l", "--all"])).unwrap();
        assert!(a.has('i'));
        assert_eq!(a.operands, v(&["ls", "-l", "--all"]));
    }

    #[test]
    fn last_of_picks_the_later_option() {
        let spec = Spec::short("fi");
        assert_eq!(parse(&spec, &v(&["-f", "-i"])).unwrap().last_of("fi"), Some('i'));
        assert_eq!(parse(&spec, &v(&["-if"])).unwrap().last_of("fi"), Some('f'));
        assert_eq!(parse(&spec, &v(&[])).unwrap().last_of("fi"), None);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10"), Some(10));
        assert_eq!(parse_size("2K"), Some(2048));
        assert_eq!(parse_size("3kB"), Some(3000));
        assert_eq!(parse_size("1M"), Some(1 << 20));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("5Q"), None);
        assert_eq!(parse_size("99999999999999999999"), None);
    }
}
