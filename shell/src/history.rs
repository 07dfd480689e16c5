//! Command history: a bounded list of entered lines.

use alloc::collections::VecDeque;
use alloc::string::String;

/// The lines entered, oldest first, at most `capacity` of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    entries: VecDeque<String>,
    capacity: usize,
    /// How many entries were ever added (numbers shown by `history`).
    added: usize,
}

impl History {
    /// An empty history keeping at most `capacity` lines.
    pub fn new(capacity: usize) -> History {
        History { entries: VecDeque::new(), capacity: capacity.max(1), added: 0 }
    }

    /// Add a line. Blank lines and a repeat of the newest line are not
    /// added; the oldest line is dropped when full. Trailing newlines are
    /// removed.
    pub fn push(&mut self, line: &str) {
        let line = line.trim_end_matches('\n');
        if line.trim().is_empty() || self.entries.back().is_some_and(|l| l == line) {
            return;
        }
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(line.into());
        self.added += 1;
    }

    /// How many lines are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no line is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Line `i`, 0 being the oldest kept.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.entries.get(i).map(String::as_str)
    }

    /// The number the next line added will get (`\!` in `PS1`).
    pub fn next_number(&self) -> usize {
        self.added + 1
    }

    /// The kept lines with their history numbers (1 = first line ever added).
    pub fn numbered(&self) -> impl Iterator<Item = (usize, &str)> {
        let first = self.added - self.entries.len() + 1;
        self.entries.iter().enumerate().map(move |(i, l)| (first + i, l.as_str()))
    }
}
