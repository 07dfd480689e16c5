//! Tab completion: what the line editor asks for ([`Completer`]) and the
//! shell's answer — in command position, the programs in `PATH`, builtins,
//! functions and reserved words; elsewhere, file names (`~/` and
//! directories included); `$NAME` completes variable names.
//!
//! Everything goes through the [`Os`] trait (`read_dir`, `stat`), so the
//! completion is tested on the host.

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::os::{FileKind, Os};
use crate::shell::Shell;

/// One possible completion of the word being typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The whole word to put in place of what was typed, quoted for the
    /// shell (`notes/my\ file`), without the suffix.
    pub insert: String,
    /// Added when this is the only candidate: `" "` after a complete word,
    /// `"/"` after a directory, or nothing.
    pub suffix: &'static str,
    /// How the candidate is listed (`my file`, `dir/`).
    pub display: String,
}

/// The completions of the word before the cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Completion {
    /// Where the word starts, in characters from the start of the line.
    pub start: usize,
    /// The candidates, sorted, without repeats.
    pub candidates: Vec<Candidate>,
}

/// The source of completions for the line editor.
pub trait Completer {
    /// The completions for the end of `line` (the text before the cursor).
    fn complete(&mut self, line: &str) -> Completion;
}

/// A completer that never offers anything.
pub struct NoCompletion;

impl Completer for NoCompletion {
    fn complete(&mut self, _line: &str) -> Completion {
        Completion::default()
    }
}

/// Characters that must be quoted with a backslash in an inserted name.
const SPECIAL: &str = " \t\n'\"\\$`;&|<>()*?[]#~!{}";

/// `name` with the characters special to the shell backslash-quoted.
pub fn escape(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if SPECIAL.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Split the text before the cursor: the start (in characters) of the word
/// being typed, the word with backslashes and quotes removed, and whether
/// it is in command position (the first word of a simple command).
pub fn current_word(line: &str) -> (usize, String, bool) {
    let chars: Vec<char> = line.chars().collect();
    let mut cmd_pos = true;
    let mut start = 0;
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut i = 0;
    let finish = |word: &mut String, cmd_pos: &mut bool| {
        if *cmd_pos {
            let is_assignment = word.split_once('=').is_some_and(|(n, _)| crate::lexer::is_name(n));
            let keyword = crate::parser::RESERVED.contains(&word.as_str()) || word == "!";
            *cmd_pos = is_assignment || keyword;
        }
        word.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' && i + 1 < chars.len() => {
                i += 1;
                word.push(chars[i]);
            }
            Some(_) => word.push(c),
            None => match c {
                ' ' | '\t' | '\n' | ';' | '|' | '&' | '(' | ')' | '<' | '>' => {
                    if in_word {
                        finish(&mut word, &mut cmd_pos);
                        in_word = false;
                    }
                    match c {
                        ';' | '|' | '&' | '(' | '\n' => cmd_pos = true,
                        ')' => cmd_pos = false,
                        _ => {}
                    }
                }
                _ => {
                    if !in_word {
                        in_word = true;
                        start = i;
                    }
                    match c {
                        '\\' if i + 1 < chars.len() => {
                            i += 1;
                            word.push(chars[i]);
                        }
                        '\'' | '"' => quote = Some(c),
                        c => word.push(c),
                    }
                }
            },
        }
        i += 1;
    }
    if !in_word {
        return (chars.len(), String::new(), cmd_pos);
    }
    (start, word, cmd_pos)
}

impl<O: Os> Shell<O> {
    /// The completions for the end of `line`.
    pub fn completions(&mut self, line: &str) -> Completion {
        let (start, word, cmd_pos) = current_word(line);
        let mut candidates = if let Some(prefix) = word.strip_prefix('$') {
            let prefix = prefix.strip_prefix('{').unwrap_or(prefix);
            self.vars
                .iter()
                .filter(|(n, _)| n.starts_with(prefix))
                .map(|(n, _)| Candidate { insert: format!("${n}"), suffix: "", display: n.into() })
                .collect()
        } else if cmd_pos && !word.contains('/') {
            self.command_candidates(&word)
        } else {
            self.file_candidates(&word, cmd_pos)
        };
        candidates.sort_by(|a, b| a.insert.cmp(&b.insert));
        candidates.dedup_by(|a, b| a.insert == b.insert);
        Completion { start, candidates }
    }

    /// Builtins, functions, reserved words and programs in `PATH` starting with `prefix`.
    fn command_candidates(&mut self, prefix: &str) -> Vec<Candidate> {
        let mut names: BTreeSet<String> = BTreeSet::new();
        let words = crate::builtins::BUILTINS.iter().chain(crate::parser::RESERVED.iter());
        names.extend(words.filter(|n| n.starts_with(prefix) && !n.is_empty()).map(|n| String::from(*n)));
        names.extend(self.functions.keys().filter(|n| n.starts_with(prefix)).cloned());
        let path = String::from(self.vars.get("PATH").unwrap_or(&self.config.default_path));
        for dir in path.split(':') {
            let dir = self.abs_path(if dir.is_empty() { "." } else { dir });
            let Ok(entries) = self.os.read_dir(&dir) else { continue };
            for name in entries {
                if !name.starts_with(prefix)
                    || names.contains(&name)
                    || (name.starts_with('.') && !prefix.starts_with('.'))
                {
                    continue;
                }
                let full = format!("{}/{name}", dir.trim_end_matches('/'));
                if self.os.stat(&full).is_ok_and(|m| m.kind != FileKind::Dir && m.is_executable()) {
                    names.insert(name);
                }
            }
        }
        names.into_iter().map(|n| Candidate { insert: escape(&n), suffix: " ", display: n }).collect()
    }

    /// Files whose path starts with `word` (directories end in `/`); in
    /// command position only directories and executable files.
    fn file_candidates(&mut self, word: &str, executables_only: bool) -> Vec<Candidate> {
        let (dir_typed, part) = match word.rfind('/') {
            Some(i) => (&word[..=i], &word[i + 1..]),
            None => ("", word),
        };
        // The directory as typed, and where it is.
        let home = self.vars.get("HOME").map(String::from);
        let dir_real = match (dir_typed.strip_prefix("~/"), home) {
            (Some(rest), Some(h)) => format!("{h}/{rest}"),
            _ if dir_typed == "~" => String::from(self.vars.get("HOME").unwrap_or("~")),
            _ => String::from(dir_typed),
        };
        let dir_abs = self.abs_path(if dir_real.is_empty() { "." } else { &dir_real });
        let Ok(entries) = self.os.read_dir(&dir_abs) else { return Vec::new() };
        let prefix_text = if dir_typed.starts_with('~') { String::from(dir_typed) } else { escape(dir_typed) };
        let mut out = Vec::new();
        for name in entries {
            if !name.starts_with(part) || (name.starts_with('.') && !part.starts_with('.')) {
                continue;
            }
            let full = format!("{}/{name}", dir_abs.trim_end_matches('/'));
            let Ok(meta) = self.os.stat(&full) else { continue };
            let is_dir = meta.kind == FileKind::Dir;
            if executables_only && !is_dir && !meta.is_executable() {
                continue;
            }
            let insert = format!("{prefix_text}{}", escape(&name));
            let display = if is_dir { format!("{name}/") } else { name };
            out.push(Candidate { insert, suffix: if is_dir { "/" } else { " " }, display });
        }
        out
    }
}

/// The longest common prefix of the candidates' texts (not ending in the
/// middle of a backslash escape).
pub fn common_prefix(candidates: &[Candidate]) -> String {
    let Some(first) = candidates.first() else { return String::new() };
    let mut len = first.insert.chars().count();
    for c in &candidates[1..] {
        len = len.min(first.insert.chars().zip(c.insert.chars()).take_while(|(a, b)| a == b).count());
    }
    let mut prefix: String = first.insert.chars().take(len).collect();
    let trailing = prefix.chars().rev().take_while(|c| *c == '\\').count();
    if trailing % 2 == 1 {
        prefix.pop();
    }
    prefix
}

/// The candidates laid out in columns (sorted down the columns, as `ls`
/// does) for a terminal `width` wide; each line ends in `\r\n`.
pub fn columns(candidates: &[Candidate], width: usize) -> String {
    let cell = candidates.iter().map(|c| c.display.chars().count()).max().unwrap_or(0) + 2;
    let cols = (width / cell).max(1);
    let rows = candidates.len().div_ceil(cols);
    let mut out = String::new();
    for r in 0..rows {
        let mut line = String::new();
        for c in 0..cols {
            let Some(cand) = candidates.get(c * rows + r) else { break };
            line.push_str(&cand.display);
            if (c + 1) * rows + r < candidates.len() {
                let pad = cell - cand.display.chars().count();
                line.extend(core::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push_str("\r\n");
    }
    out
}
