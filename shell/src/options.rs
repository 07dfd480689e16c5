//! Shell options: `set` (flags, `-o NAME`, positional parameters), the
//! option names, and `$-`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins::quote;
use crate::os::Os;
use crate::shell::{Options, Shell};

/// The options `set -o` knows: name and the single letter, if any.
pub const OPTION_NAMES: [(&str, Option<char>); 6] = [
    ("errexit", Some('e')),
    ("monitor", Some('m')),
    ("noglob", Some('f')),
    ("nounset", Some('u')),
    ("pipefail", None),
    ("xtrace", Some('x')),
];

impl Options {
    /// The flag named `name` (`errexit`, `nounset`, ...), for changing it.
    pub fn by_name(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "errexit" => &mut self.errexit,
            "monitor" => &mut self.monitor,
            "noglob" => &mut self.noglob,
            "nounset" => &mut self.nounset,
            "pipefail" => &mut self.pipefail,
            "xtrace" => &mut self.xtrace,
            _ => return None,
        })
    }

    /// The flag for the letter `c` of `set -c` / `sh -c` (not `-i`).
    pub fn by_letter(&mut self, c: char) -> Option<&mut bool> {
        let name = OPTION_NAMES.iter().find(|(_, l)| *l == Some(c))?.0;
        self.by_name(name)
    }

    /// `$-`: the letters of the options in effect (`i` when interactive,
    /// `m` with job control).
    pub fn flags(&self) -> String {
        let mut flags = String::new();
        for (on, c) in [
            (self.errexit, 'e'),
            (self.noglob, 'f'),
            (self.interactive, 'i'),
            (self.monitor, 'm'),
            (self.nounset, 'u'),
            (self.xtrace, 'x'),
        ] {
            if on {
                flags.push(c);
            }
        }
        flags
    }
}

impl<O: Os> Shell<O> {
    /// `set [-efux] [+efux] [-o NAME] [+o NAME] [-o] [+o] [--] [ARG...]`.
    pub(crate) fn builtin_set(&mut self, args: &[String]) -> i32 {
        if args.is_empty() {
            let lines: Vec<String> = self.vars.iter().map(|(n, v)| format!("{n}={}\n", quote(&v.value))).collect();
            for l in lines {
                self.out(&l);
            }
            return 0;
        }
        let mut i = 0;
        let mut positional = false;
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                positional = true;
                break;
            }
            if a == "-" {
                // `set -`: turn off -x (and -v), the rest are arguments.
                self.opts.xtrace = false;
                i += 1;
                positional = true;
                break;
            }
            let (on, flags) = match (a.strip_prefix('-'), a.strip_prefix('+')) {
                (Some(f), _) if !f.is_empty() => (true, f),
                (_, Some(f)) if !f.is_empty() => (false, f),
                _ => break,
            };
            for c in flags.chars() {
                if c == 'o' {
                    i += 1;
                    match args.get(i) {
                        None => {
                            self.list_options(on);
                            return 0;
                        }
                        Some(name) => match self.opts.by_name(name) {
                            Some(flag) => *flag = on,
                            None => {
                                self.error(&format!("set: {name}: invalid option name"));
                                return 2;
                            }
                        },
                    }
                    continue;
                }
                match self.opts.by_letter(c) {
                    Some(flag) => *flag = on,
                    None => {
                        self.error(&format!("set: {}{c}: invalid option", if on { '-' } else { '+' }));
                        return 2;
                    }
                }
            }
            i += 1;
        }
        if positional || i < args.len() {
            self.positional = args[i.min(args.len())..].to_vec();
        }
        0
    }

    /// `set -o` (a table) or `set +o` (commands that restore the options).
    fn list_options(&mut self, table: bool) {
        let mut text = String::new();
        for (name, _) in OPTION_NAMES {
            let on = self.opts.by_name(name).is_some_and(|f| *f);
            if table {
                text.push_str(&format!("{name:<15}\t{}\n", if on { "on" } else { "off" }));
            } else {
                text.push_str(&format!("set {}o {name}\n", if on { '-' } else { '+' }));
            }
        }
        self.out(&text);
    }
}
