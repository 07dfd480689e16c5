//! What a command name is: `command -v`/`-V`, `type`, and the table of
//! remembered program locations, `hash`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::builtins;
use crate::command::Resolved;
use crate::os::Os;
use crate::shell::Shell;

/// How `type` reports a name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `ls is /bin/ls`.
    Verbose,
    /// `file`, `builtin`, `function`, `keyword` (`type -t`).
    Kind,
    /// Only program paths (`type -p`, `type -P`).
    Path,
}

impl<O: Os> Shell<O> {
    /// `command -v NAME...` (how the shell would run each, one line each)
    /// or `command -V NAME...` (as `type`); the plain form, running a
    /// command without functions, is handled by the executor.
    pub(crate) fn builtin_command(&mut self, args: &[String]) -> i32 {
        let mut verbose = None;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else { break };
            for c in flags.chars() {
                match c {
                    'v' => verbose = Some(false),
                    'V' => verbose = Some(true),
                    'p' => self.default_path_lookup = true,
                    c => {
                        self.error(&format!("command: -{c}: invalid option"));
                        self.error("command: usage: command [-pVv] command [arg ...]");
                        self.default_path_lookup = false;
                        return 2;
                    }
                }
            }
            i += 1;
        }
        let names = &args[i.min(args.len())..];
        let status = match verbose {
            // Only reached for `command` alone (or `command -p`).
            None => 0,
            Some(true) => self.describe_names(names, Style::Verbose, false, "command"),
            Some(false) => {
                let mut status = 0;
                for name in names {
                    let line = match self.resolve(name) {
                        Resolved::Program(p) => format!("{p}\n"),
                        Resolved::Keyword | Resolved::Function | Resolved::Builtin => format!("{name}\n"),
                        Resolved::Denied(_) | Resolved::NotFound => {
                            status = 1;
                            continue;
                        }
                    };
                    self.out(&line);
                }
                status
            }
        };
        self.default_path_lookup = false;
        status
    }

    /// `type [-afptP] NAME...`.
    pub(crate) fn builtin_type(&mut self, args: &[String]) -> i32 {
        let (mut style, mut all, mut force_path) = (Style::Verbose, false, false);
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else { break };
            for c in flags.chars() {
                match c {
                    'a' => all = true,
                    't' => style = Style::Kind,
                    'p' => style = Style::Path,
                    'P' => {
                        style = Style::Path;
                        force_path = true;
                    }
                    'f' => {}
                    c => {
                        self.error(&format!("type: -{c}: invalid option"));
                        self.error("type: usage: type [-afptP] name [name ...]");
                        return 2;
                    }
                }
            }
            i += 1;
        }
        let names = &args[i.min(args.len())..];
        if force_path {
            let mut status = 0;
            for name in names {
                let found: Vec<String> = self.search_path(name, all).into_iter().filter_map(Result::ok).collect();
                if found.is_empty() {
                    status = 1;
                }
                for p in found {
                    self.out(&format!("{p}\n"));
                }
            }
            return status;
        }
        self.describe_names(names, style, all, "type")
    }

    /// `type`'s report on each name (every meaning with `all`); status 1
    /// if one is not found (`sh: WHO: NAME: not found` in the verbose style).
    fn describe_names(&mut self, names: &[String], style: Style, all: bool, who: &str) -> i32 {
        let mut status = 0;
        for name in names {
            let mut kinds: Vec<Resolved> = Vec::new();
            if all {
                if crate::parser::RESERVED.contains(&name.as_str()) || name == "!" {
                    kinds.push(Resolved::Keyword);
                }
                if self.functions.contains_key(name) {
                    kinds.push(Resolved::Function);
                }
                if builtins::is_builtin(name) {
                    kinds.push(Resolved::Builtin);
                }
                if name.contains('/') {
                    if let Resolved::Program(p) = self.resolve_program(name) {
                        kinds.push(Resolved::Program(p));
                    }
                } else {
                    kinds
                        .extend(self.search_path(name, true).into_iter().filter_map(Result::ok).map(Resolved::Program));
                }
            } else {
                let hashed = self.hashed.contains_key(name.as_str());
                match self.resolve(name) {
                    Resolved::Program(p) if hashed && style == Style::Verbose => {
                        self.out(&format!("{name} is hashed ({p})\n"));
                        continue;
                    }
                    Resolved::Denied(_) | Resolved::NotFound => {}
                    r => kinds.push(r),
                }
            }
            if kinds.is_empty() {
                if style == Style::Verbose {
                    self.error(&format!("{who}: {name}: not found"));
                }
                status = 1;
                continue;
            }
            let mut text = String::new();
            for k in kinds {
                let line = match (style, k) {
                    (Style::Verbose, Resolved::Keyword) => format!("{name} is a shell keyword"),
                    (Style::Verbose, Resolved::Function) => format!("{name} is a function"),
                    (Style::Verbose, Resolved::Builtin) => format!("{name} is a shell builtin"),
                    (Style::Verbose, Resolved::Program(p)) => format!("{name} is {p}"),
                    (Style::Kind, Resolved::Keyword) => "keyword".into(),
                    (Style::Kind, Resolved::Function) => "function".into(),
                    (Style::Kind, Resolved::Builtin) => "builtin".into(),
                    (Style::Kind, Resolved::Program(_)) => "file".into(),
                    (Style::Path, Resolved::Program(p)) => p,
                    _ => continue,
                };
                text.push_str(&line);
                text.push('\n');
            }
            self.out(&text);
        }
        status
    }

    /// `hash` (list), `hash -r` (forget all), `hash -d NAME...` (forget),
    /// `hash -t NAME...` (print), `hash NAME...` (find and remember).
    pub(crate) fn builtin_hash(&mut self, args: &[String]) -> i32 {
        let (mut forget_all, mut delete, mut print) = (false, false, false);
        let mut i = 0;
        while let Some(a) = args.get(i) {
            if a == "--" {
                i += 1;
                break;
            }
            let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else { break };
            for c in flags.chars() {
                match c {
                    'r' => forget_all = true,
                    'd' => delete = true,
                    't' => print = true,
                    c => {
                        self.error(&format!("hash: -{c}: invalid option"));
                        self.error("hash: usage: hash [-r] [-d | -t] [name ...]");
                        return 2;
                    }
                }
            }
            i += 1;
        }
        let names = &args[i.min(args.len())..];
        if forget_all {
            self.hashed.clear();
        }
        if names.is_empty() {
            if !forget_all && !delete && !print {
                self.list_hashed();
            }
            return 0;
        }
        let mut status = 0;
        for name in names {
            if delete {
                if self.hashed.remove(name.as_str()).is_none() {
                    self.error(&format!("hash: {name}: not found"));
                    status = 1;
                }
                continue;
            }
            if name.contains('/') || builtins::is_builtin(name) || self.functions.contains_key(name) {
                if print {
                    self.error(&format!("hash: {name}: not found"));
                    status = 1;
                }
                continue;
            }
            let path = match self.hashed_path(name) {
                Some(p) => Some(p),
                None => match self.resolve_program(name) {
                    Resolved::Program(p) => Some(p),
                    _ => None,
                },
            };
            match path {
                Some(p) if print => {
                    let line = if names.len() > 1 { format!("{name}\t{p}\n") } else { format!("{p}\n") };
                    self.out(&line);
                }
                Some(p) => {
                    self.check_hash_path();
                    self.hashed.insert(name.clone(), (p, 0));
                }
                None => {
                    self.error(&format!("hash: {name}: not found"));
                    status = 1;
                }
            }
        }
        status
    }

    fn list_hashed(&mut self) {
        self.check_hash_path();
        if self.hashed.is_empty() {
            self.out("hash: hash table empty\n");
            return;
        }
        let mut text = String::from("hits\tcommand\n");
        for (path, hits) in self.hashed.values() {
            text.push_str(&format!("{hits:4}\t{path}\n"));
        }
        self.out(&text);
    }
}
