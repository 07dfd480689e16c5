//! The `getopts` builtin (POSIX option parsing for scripts and functions).

use alloc::format;
use alloc::string::{String, ToString};

use crate::lexer::is_name;
use crate::os::Os;
use crate::shell::Shell;

impl<O: Os> Shell<O> {
    /// `getopts OPTSTRING NAME [ARG...]`: the next option of the
    /// positional parameters (or of the ARGs) into NAME, its argument into
    /// `OPTARG`, the index of the next parameter into `OPTIND`. Status 1
    /// after the last option (NAME is `?`). An unknown option or a missing
    /// argument sets NAME to `?` and prints a message, or, if OPTSTRING
    /// starts with `:`, sets NAME to `?` (unknown) or `:` (missing) and
    /// OPTARG to the option letter, silently. Grouped options (`-ab`) and
    /// attached arguments (`-ofile`) work; assigning `OPTIND=1` restarts.
    pub(crate) fn builtin_getopts(&mut self, args: &[String]) -> i32 {
        let (Some(optstring), Some(name)) = (args.first(), args.get(1)) else {
            self.error("getopts: usage: getopts optstring name [arg ...]");
            return 2;
        };
        if !is_name(name) {
            self.error(&format!("getopts: '{name}': not a valid identifier"));
            return 2;
        }
        let params = if args.len() > 2 { args[2..].to_vec() } else { self.positional.clone() };
        let optind_text = String::from(self.vars.get("OPTIND").unwrap_or("1"));
        let mut optind = optind_text.trim().parse::<usize>().unwrap_or(1).max(1);
        // The position inside a group of options belongs to the OPTIND we set.
        let mut pos = if self.getopts_pos.1 == optind_text { self.getopts_pos.0 } else { 0 };
        let silent = optstring.starts_with(':');
        let spec = optstring.strip_prefix(':').unwrap_or(optstring);
        let done = |sh: &mut Self, optind: usize| {
            sh.vars.set(name, "?");
            sh.vars.unset("OPTARG");
            sh.set_optind(optind, 0);
            1
        };
        if pos == 0 {
            let Some(arg) = params.get(optind - 1) else { return done(self, optind) };
            if arg == "--" {
                return done(self, optind + 1);
            }
            if !arg.starts_with('-') || arg == "-" {
                return done(self, optind);
            }
            pos = 1;
        }
        let arg: alloc::vec::Vec<char> = params.get(optind - 1).map(|a| a.chars().collect()).unwrap_or_default();
        let Some(&c) = arg.get(pos) else { return done(self, optind + 1) };
        pos += 1;
        let spec_at = spec.find(c).filter(|_| c != ':');
        let takes_arg = spec_at.is_some_and(|i| spec[i + c.len_utf8()..].starts_with(':'));
        let mut value = c.to_string();
        let mut optarg = None;
        if spec_at.is_none() {
            if silent {
                optarg = Some(c.to_string());
            } else {
                let msg = format!("{}: illegal option -- {c}\n", self.arg0);
                self.write_fd(2, msg.as_bytes());
            }
            value = "?".into();
        } else if takes_arg {
            if pos < arg.len() {
                optarg = Some(arg[pos..].iter().collect());
                pos = arg.len();
            } else if let Some(next) = params.get(optind) {
                optarg = Some(next.clone());
                optind += 1;
            } else if silent {
                optarg = Some(c.to_string());
                value = ":".into();
            } else {
                let msg = format!("{}: option requires an argument -- {c}\n", self.arg0);
                self.write_fd(2, msg.as_bytes());
                value = "?".into();
            }
        }
        if pos >= arg.len() {
            optind += 1;
            pos = 0;
        }
        self.vars.set(name, &value);
        match optarg {
            Some(a) => self.vars.set("OPTARG", &a),
            None => self.vars.unset("OPTARG"),
        }
        self.set_optind(optind, pos);
        0
    }

    fn set_optind(&mut self, optind: usize, pos: usize) {
        let text = optind.to_string();
        self.vars.set("OPTIND", &text);
        self.getopts_pos = (pos, text);
    }
}
