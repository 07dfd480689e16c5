//! `trap`: actions run when the shell exits (`EXIT`), when a command
//! fails (`ERR`), and on signals.
//!
//! What runs when:
//! - `EXIT` (or `0`): once, when the shell ends — end of the script or of
//!   input, `exit`, `set -e`, a fatal expansion error — and when a
//!   subshell (`( )`, `$( )`, a pipeline stage run by the shell) that set
//!   its own `EXIT` trap ends. An `exit` inside the action sets the
//!   status; otherwise the shell's status is kept.
//! - `ERR`: after a pipeline fails where `set -e` would act (not in
//!   conditions, `&&`/`||` left sides, or after `!`), before `set -e`
//!   exits; not inside a trap action, nor for commands inside functions
//!   (the call's own failure counts), as bash without `set -E`.
//! - `INT`: after a foreground program was interrupted by Ctrl-C (the
//!   shell sees its status 130).
//! - Other signals, and ignoring (`trap '' INT`), are recorded, listed and
//!   reset as POSIX says, but the shell does not install signal handlers
//!   or dispositions yet, so their actions do not run and ignored signals
//!   are not ignored by the programs it starts.
//!
//! In a subshell, traps with an action are reset to the default and
//! ignored ones stay ignored; `trap` without operands there still lists
//! the parent's traps until the subshell changes one.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::builtins::quote;
use crate::os::Os;
use crate::shell::{ExecResult, Flow, Shell};

/// The `EXIT` condition.
pub const EXIT: i32 = 0;
/// The `ERR` condition (not a signal; numbered below zero).
pub const ERR: i32 = -1;
/// `SIGINT`.
pub const INT: i32 = 2;

/// Signal names (without `SIG`) and numbers, as on Linux x86-64.
pub const SIGNALS: [(&str, i32); 31] = [
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// What to do on a condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrapAction {
    /// `trap '' COND`: ignore it.
    Ignore,
    /// Run this shell text.
    Run(String),
}

/// The trap table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traps {
    map: BTreeMap<i32, TrapAction>,
    /// In a subshell that has not changed a trap yet: the parent's table,
    /// which `trap` without operands lists.
    inherited: Option<BTreeMap<i32, TrapAction>>,
}

impl Traps {
    /// The action for `cond`, if one is set.
    pub fn get(&self, cond: i32) -> Option<&TrapAction> {
        self.map.get(&cond)
    }

    /// Set (`Some`) or reset to the default (`None`) the action for `cond`.
    pub fn set(&mut self, cond: i32, action: Option<TrapAction>) {
        self.inherited = None;
        match action {
            Some(a) => self.map.insert(cond, a),
            None => self.map.remove(&cond),
        };
    }

    /// Whether `cond` is ignored (`trap '' COND`).
    pub fn is_ignored(&self, cond: i32) -> bool {
        self.map.get(&cond) == Some(&TrapAction::Ignore)
    }

    /// The table a subshell starts with: ignored conditions stay ignored,
    /// the others are reset.
    pub fn for_subshell(&self) -> Traps {
        let map = self.map.iter().filter(|(_, a)| **a == TrapAction::Ignore).map(|(k, v)| (*k, v.clone())).collect();
        Traps { map, inherited: Some(self.inherited.clone().unwrap_or_else(|| self.map.clone())) }
    }

    /// The table `trap` lists.
    fn listed(&self) -> &BTreeMap<i32, TrapAction> {
        self.inherited.as_ref().unwrap_or(&self.map)
    }
}

/// The condition a `trap` operand names: `EXIT`, `ERR`, a signal name
/// with or without `SIG` (any case), or a number.
pub fn condition(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (n == 0 || SIGNALS.iter().any(|(_, v)| *v == n)).then_some(n);
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    match name {
        "EXIT" => Some(EXIT),
        "ERR" => Some(ERR),
        _ => SIGNALS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v),
    }
}

/// The name of a condition as `trap` lists it (`EXIT`, `ERR`, `INT`).
pub fn condition_name(cond: i32) -> String {
    match cond {
        EXIT => "EXIT".into(),
        ERR => "ERR".into(),
        n => SIGNALS.iter().find(|(_, v)| *v == n).map_or_else(|| n.to_string(), |(name, _)| String::from(*name)),
    }
}

impl<O: Os> Shell<O> {
    /// `trap [-lp] [[ACTION] CONDITION...]`.
    pub(crate) fn builtin_trap(&mut self, args: &[String]) -> i32 {
        let mut args = args;
        let mut print = false;
        while let Some(a) = args.first() {
            match a.as_str() {
                "--" => {
                    args = &args[1..];
                    break;
                }
                "-l" => {
                    let mut text = String::new();
                    for (i, (name, n)) in SIGNALS.iter().enumerate() {
                        let sep = if i % 5 == 4 || i + 1 == SIGNALS.len() { "\n" } else { "\t" };
                        text.push_str(&format!("{n:2}) SIG{name}{sep}"));
                    }
                    self.out(&text);
                    return 0;
                }
                "-p" => print = true,
                o if o.starts_with('-') && o.len() > 1 && o != "-" => {
                    self.error(&format!("trap: {o}: invalid option"));
                    self.error("trap: usage: trap [-lp] [[action] condition ...]");
                    return 2;
                }
                _ => break,
            }
            args = &args[1..];
        }
        if args.is_empty() || print {
            self.list_traps(args)
        } else if args.len() == 1 || args[0].parse::<u32>().is_ok() {
            // `trap COND` and `trap N...`: reset the conditions.
            self.set_traps(None, args)
        } else {
            let action = match args[0].as_str() {
                "-" => None,
                "" => Some(TrapAction::Ignore),
                text => Some(TrapAction::Run(text.into())),
            };
            self.set_traps(action, &args[1..])
        }
    }

    fn set_traps(&mut self, action: Option<TrapAction>, conds: &[String]) -> i32 {
        let mut status = 0;
        for c in conds {
            match condition(c) {
                Some(cond) => self.traps.set(cond, action.clone()),
                None => {
                    self.error(&format!("trap: {c}: invalid signal specification"));
                    status = 1;
                }
            }
        }
        status
    }

    /// `trap` / `trap -p [COND...]`: the traps as commands that set them again.
    fn list_traps(&mut self, conds: &[String]) -> i32 {
        let mut status = 0;
        let mut wanted: Vec<i32> = Vec::new();
        for c in conds {
            match condition(c) {
                Some(n) => wanted.push(n),
                None => {
                    self.error(&format!("trap: {c}: invalid signal specification"));
                    status = 1;
                }
            }
        }
        let mut text = String::new();
        for (cond, action) in self.traps.listed() {
            if !conds.is_empty() && !wanted.contains(cond) {
                continue;
            }
            let a = match action {
                TrapAction::Ignore => "''".into(),
                TrapAction::Run(t) => quote_always(t),
            };
            text.push_str(&format!("trap -- {a} {}\n", condition_name(*cond)));
        }
        self.out(&text);
        status
    }

    /// Run the action for `cond` if one is set: `$?` is kept across it;
    /// `exit` in it leaves the shell.
    pub(crate) fn run_trap(&mut self, cond: i32) -> Result<(), Flow> {
        let Some(TrapAction::Run(text)) = self.traps.get(cond).cloned() else { return Ok(()) };
        if self.in_trap && cond == ERR {
            return Ok(());
        }
        let saved = self.status;
        let was = core::mem::replace(&mut self.in_trap, true);
        let r = self.run_source(&text, None);
        self.in_trap = was;
        match r {
            Err(Flow::Exit(n)) => Err(Flow::Exit(n)),
            _ => {
                self.status = saved;
                Ok(())
            }
        }
    }

    /// Run the `EXIT` trap once (it is removed first); returns the status
    /// the shell leaves with: `self.status`, or what `exit` in the action said.
    pub fn run_exit_trap(&mut self) -> i32 {
        let status = self.status;
        let Some(TrapAction::Run(text)) = self.traps.get(EXIT).cloned() else { return status };
        self.traps.set(EXIT, None);
        self.in_trap = true;
        // The loops and functions the shell was in are left.
        let depths = (self.loop_depth, self.func_depth);
        (self.loop_depth, self.func_depth) = (0, 0);
        let r: ExecResult = self.run_source(&text, None);
        (self.loop_depth, self.func_depth) = depths;
        self.in_trap = false;
        match r {
            Err(Flow::Exit(n)) => n,
            _ => status,
        }
    }
}

/// `s` in single quotes (always, as `trap` prints actions).
fn quote_always(s: &str) -> String {
    let q = quote(s);
    if q.starts_with('\'') { q } else { format!("'{s}'") }
}
