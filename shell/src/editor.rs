//! The line editor: a pure state machine fed with the bytes the terminal
//! sends, producing the bytes to send back (echo and VT100 cursor
//! movement) and, at Enter, the finished line.
//!
//! Keys: printable characters (UTF-8) insert; Left/Right (`ESC [ D`/`C`,
//! Ctrl-B/F) move; Home/End (`ESC [ H`/`F`, `ESC [ 1~`/`4~`, `ESC O H`/`F`,
//! Ctrl-A/E); Alt-B/Alt-F move by words; Up/Down (`ESC [ A`/`B`,
//! Ctrl-P/N) walk the history; Backspace (DEL or Ctrl-H) and Delete
//! (`ESC [ 3~`) delete; Ctrl-K/U kill to the end/start; Ctrl-W and
//! Alt-Backspace delete the word before the cursor; Ctrl-L clears the
//! screen; Ctrl-C cancels the line; Ctrl-D deletes under the cursor, or
//! ends input on an empty line; Enter (CR or LF, CR LF counts once)
//! finishes the line.
//!
//! Tab completes the word before the cursor through a
//! [`Completer`]: a single candidate is inserted whole, several are
//! completed to their common prefix, and a second Tab lists them.
//!
//! Long lines wrap: the editor redraws over several rows given the
//! terminal width, in the way of linenoise's multi-line mode.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::complete::{Completer, NoCompletion, columns, common_prefix};
use crate::history::History;

/// The longest line the editor accepts (characters); more input is ignored.
pub const MAX_LINE: usize = 4096;

/// What a key press produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Enter: the finished line (without the newline).
    Line(String),
    /// Ctrl-D on an empty line.
    Eof,
    /// Ctrl-C: the line was abandoned.
    Interrupt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Esc {
    None,
    /// After ESC.
    Start,
    /// After `ESC [`, with the parameter bytes so far.
    Csi(String),
    /// After `ESC O`.
    Ss3,
}

/// The line editor.
#[derive(Debug, Clone)]
pub struct LineEditor {
    buf: Vec<char>,
    cursor: usize,
    prompt: String,
    prompt_width: usize,
    width: usize,
    esc: Esc,
    utf8: Vec<u8>,
    /// The history entry shown, `None` while editing a new line.
    hist: Option<usize>,
    /// The new line, kept while walking the history.
    saved: Vec<char>,
    /// Rows used by the last redraw, and the cursor position then.
    max_rows: usize,
    old_cursor: usize,
    last_cr: bool,
    /// The previous key was a Tab that completed nothing.
    last_tab: bool,
}

/// The number of columns `s` takes on the terminal (escape sequences take none).
pub fn visible_width(s: &str) -> usize {
    let mut width = 0;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for n in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&n) {
                        break;
                    }
                }
            }
            continue;
        }
        if !c.is_control() {
            width += 1;
        }
    }
    width
}

impl LineEditor {
    /// An editor for a terminal `width` columns wide.
    pub fn new(width: usize) -> LineEditor {
        LineEditor {
            buf: Vec::new(),
            cursor: 0,
            prompt: String::new(),
            prompt_width: 0,
            width: width.max(2),
            esc: Esc::None,
            utf8: Vec::new(),
            hist: None,
            saved: Vec::new(),
            max_rows: 1,
            old_cursor: 0,
            last_cr: false,
            last_tab: false,
        }
    }

    /// Begin a new line: show `prompt`.
    pub fn start(&mut self, prompt: &str, out: &mut Vec<u8>) {
        self.buf.clear();
        self.cursor = 0;
        self.prompt = prompt.into();
        self.prompt_width = visible_width(prompt);
        self.esc = Esc::None;
        self.utf8.clear();
        self.hist = None;
        self.saved.clear();
        self.max_rows = 1;
        self.old_cursor = 0;
        out.extend_from_slice(prompt.as_bytes());
    }

    /// The text being edited.
    pub fn line(&self) -> String {
        self.buf.iter().collect()
    }

    /// The cursor position, in characters from the start of the line.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Feed a sequence of bytes; returns the events they produced.
    pub fn feed_all(&mut self, bytes: &[u8], history: &History, out: &mut Vec<u8>) -> Vec<Event> {
        bytes.iter().filter_map(|b| self.feed(*b, history, out)).collect()
    }

    /// Feed one byte from the terminal; output goes to `out`. Tab
    /// completes nothing (see [`LineEditor::feed_with`]).
    pub fn feed(&mut self, b: u8, history: &History, out: &mut Vec<u8>) -> Option<Event> {
        self.feed_with(b, history, &mut NoCompletion, out)
    }

    /// Feed one byte from the terminal, with Tab completing through `completer`.
    pub fn feed_with(
        &mut self,
        b: u8,
        history: &History,
        completer: &mut dyn Completer,
        out: &mut Vec<u8>,
    ) -> Option<Event> {
        let after_cr = core::mem::replace(&mut self.last_cr, b == b'\r');
        let after_tab = core::mem::replace(&mut self.last_tab, false);
        if b == b'\t' && self.esc == Esc::None && self.utf8.is_empty() {
            self.tab(completer, after_tab, out);
            return None;
        }
        match core::mem::replace(&mut self.esc, Esc::None) {
            Esc::None => {}
            Esc::Start => {
                match b {
                    b'[' => self.esc = Esc::Csi(String::new()),
                    b'O' => self.esc = Esc::Ss3,
                    b'b' | b'B' => self.move_to(self.word_left(), out),
                    b'f' | b'F' => self.move_to(self.word_right(), out),
                    0x7f | 0x08 => self.delete_word(out),
                    0x1b => self.esc = Esc::Start,
                    _ => {}
                }
                return None;
            }
            Esc::Csi(mut params) => {
                if (0x40..=0x7e).contains(&b) {
                    self.csi(&params, b, history, out);
                } else if params.len() < 16 && (0x20..0x40).contains(&b) {
                    params.push(b as char);
                    self.esc = Esc::Csi(params);
                }
                return None;
            }
            Esc::Ss3 => {
                self.csi("", b, history, out);
                return None;
            }
        }
        if !self.utf8.is_empty() || b >= 0x80 {
            self.utf8_byte(b, out);
            return None;
        }
        match b {
            0x1b => self.esc = Esc::Start,
            b'\r' => return Some(self.enter(out)),
            b'\n' if after_cr => {}
            b'\n' => return Some(self.enter(out)),
            0x01 => self.move_to(0, out),
            0x05 => self.move_to(self.buf.len(), out),
            0x02 => self.move_to(self.cursor.saturating_sub(1), out),
            0x06 => self.move_to((self.cursor + 1).min(self.buf.len()), out),
            0x03 => {
                out.extend_from_slice(b"^C\r\n");
                self.reset();
                return Some(Event::Interrupt);
            }
            0x04 if self.buf.is_empty() => {
                self.reset();
                return Some(Event::Eof);
            }
            0x04 => self.delete(out),
            0x08 | 0x7f => self.backspace(out),
            0x0b => {
                self.buf.truncate(self.cursor);
                self.refresh(out);
            }
            0x15 => {
                self.buf.drain(..self.cursor);
                self.cursor = 0;
                self.refresh(out);
            }
            0x17 => self.delete_word(out),
            0x0c => {
                out.extend_from_slice(b"\x1b[H\x1b[2J");
                self.max_rows = 1;
                self.old_cursor = 0;
                self.refresh(out);
            }
            0x10 => self.history_up(history, out),
            0x0e => self.history_down(history, out),
            0x20..=0x7e => self.insert(b as char, out),
            _ => {}
        }
        None
    }

    /// Tab: complete the word before the cursor, or on a second Tab list
    /// the candidates and redraw the line under them.
    fn tab(&mut self, completer: &mut dyn Completer, listing: bool, out: &mut Vec<u8>) {
        let before: String = self.buf[..self.cursor].iter().collect();
        let comp = completer.complete(&before);
        let start = comp.start.min(self.cursor);
        let typed: String = self.buf[start..self.cursor].iter().collect();
        let text = match comp.candidates.as_slice() {
            [] => {
                out.push(0x07);
                return;
            }
            [one] => format!("{}{}", one.insert, one.suffix),
            many => {
                let prefix = common_prefix(many);
                if prefix != typed && prefix.chars().count() >= typed.chars().count() {
                    // Still ambiguous: the next Tab lists.
                    self.last_tab = true;
                    prefix
                } else {
                    if listing {
                        out.extend_from_slice(b"\r\n");
                        out.extend_from_slice(columns(many, self.width).as_bytes());
                        self.max_rows = 1;
                        self.old_cursor = 0;
                        self.refresh(out);
                    } else {
                        out.push(0x07);
                        self.last_tab = true;
                    }
                    return;
                }
            }
        };
        let new: Vec<char> = text.chars().collect();
        if self.buf.len() - (self.cursor - start) + new.len() > MAX_LINE {
            out.push(0x07);
            return;
        }
        let n = new.len();
        self.buf.splice(start..self.cursor, new);
        self.cursor = start + n;
        self.refresh(out);
    }

    fn reset(&mut self) {
        self.buf.clear();
        self.cursor = 0;
        self.hist = None;
        self.saved.clear();
        self.utf8.clear();
        self.esc = Esc::None;
    }

    fn enter(&mut self, out: &mut Vec<u8>) -> Event {
        if self.cursor != self.buf.len() {
            self.cursor = self.buf.len();
            self.refresh(out);
        }
        out.extend_from_slice(b"\r\n");
        let line = self.line();
        self.reset();
        Event::Line(line)
    }

    fn utf8_byte(&mut self, b: u8, out: &mut Vec<u8>) {
        if self.utf8.is_empty() && !(0xc2..=0xf4).contains(&b) {
            return; // a stray continuation or invalid lead byte
        }
        if !self.utf8.is_empty() && !(0x80..=0xbf).contains(&b) {
            self.utf8.clear();
            return;
        }
        self.utf8.push(b);
        let need = match self.utf8[0] {
            0xc2..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        if self.utf8.len() == need {
            let bytes = core::mem::take(&mut self.utf8);
            if let Some(c) = core::str::from_utf8(&bytes).ok().and_then(|s| s.chars().next()) {
                self.insert(c, out);
            }
        }
    }

    fn csi(&mut self, params: &str, fin: u8, history: &History, out: &mut Vec<u8>) {
        match (params, fin) {
            (_, b'A') => self.history_up(history, out),
            (_, b'B') => self.history_down(history, out),
            ("1;5" | "1;3", b'C') => self.move_to(self.word_right(), out),
            ("1;5" | "1;3", b'D') => self.move_to(self.word_left(), out),
            (_, b'C') => self.move_to((self.cursor + 1).min(self.buf.len()), out),
            (_, b'D') => self.move_to(self.cursor.saturating_sub(1), out),
            (_, b'H') | ("1" | "7", b'~') => self.move_to(0, out),
            (_, b'F') | ("4" | "8", b'~') => self.move_to(self.buf.len(), out),
            ("3", b'~') => self.delete(out),
            _ => {}
        }
    }

    fn insert(&mut self, c: char, out: &mut Vec<u8>) {
        if self.buf.len() >= MAX_LINE {
            return;
        }
        self.buf.insert(self.cursor, c);
        self.cursor += 1;
        let fits = self.prompt_width + self.buf.len() < self.width;
        if self.cursor == self.buf.len() && fits && self.max_rows == 1 {
            // The common case: typing at the end of a short line.
            let mut tmp = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
            self.old_cursor = self.cursor;
        } else {
            self.refresh(out);
        }
    }

    fn backspace(&mut self, out: &mut Vec<u8>) {
        if self.cursor == 0 {
            return;
        }
        self.cursor -= 1;
        self.buf.remove(self.cursor);
        self.refresh(out);
    }

    fn delete(&mut self, out: &mut Vec<u8>) {
        if self.cursor < self.buf.len() {
            self.buf.remove(self.cursor);
            self.refresh(out);
        }
    }

    fn word_left(&self) -> usize {
        let mut i = self.cursor;
        while i > 0 && self.buf[i - 1] == ' ' {
            i -= 1;
        }
        while i > 0 && self.buf[i - 1] != ' ' {
            i -= 1;
        }
        i
    }

    fn word_right(&self) -> usize {
        let mut i = self.cursor;
        while i < self.buf.len() && self.buf[i] == ' ' {
            i += 1;
        }
        while i < self.buf.len() && self.buf[i] != ' ' {
            i += 1;
        }
        i
    }

    fn delete_word(&mut self, out: &mut Vec<u8>) {
        let start = self.word_left();
        if start < self.cursor {
            self.buf.drain(start..self.cursor);
            self.cursor = start;
            self.refresh(out);
        }
    }

    fn move_to(&mut self, pos: usize, out: &mut Vec<u8>) {
        if pos != self.cursor {
            self.cursor = pos;
            self.refresh(out);
        }
    }

    fn show(&mut self, text: Vec<char>, out: &mut Vec<u8>) {
        self.buf = text;
        self.buf.truncate(MAX_LINE);
        self.cursor = self.buf.len();
        self.refresh(out);
    }

    fn history_up(&mut self, history: &History, out: &mut Vec<u8>) {
        let idx = match self.hist {
            _ if history.is_empty() => return,
            None => {
                self.saved = self.buf.clone();
                history.len() - 1
            }
            Some(0) => return,
            Some(i) => i - 1,
        };
        self.hist = Some(idx);
        self.show(history.get(idx).unwrap_or_default().chars().collect(), out);
    }

    fn history_down(&mut self, history: &History, out: &mut Vec<u8>) {
        let Some(i) = self.hist else { return };
        if i + 1 < history.len() {
            self.hist = Some(i + 1);
            self.show(history.get(i + 1).unwrap_or_default().chars().collect(), out);
        } else {
            self.hist = None;
            let saved = core::mem::take(&mut self.saved);
            self.show(saved, out);
        }
    }

    /// Redraw the prompt and the line over as many rows as they take, and
    /// put the terminal cursor at the editing position.
    fn refresh(&mut self, out: &mut Vec<u8>) {
        let cols = self.width;
        let plen = self.prompt_width;
        let old_rows = self.max_rows;
        // Row (1-based) of the cursor as last drawn.
        let old_row = (plen + self.old_cursor + cols) / cols;
        let mut rows = (plen + self.buf.len()).div_ceil(cols);
        rows = rows.max(1);
        // Go to the last row drawn, then clear the rows bottom-up.
        if old_rows > old_row {
            out.extend_from_slice(format!("\x1b[{}B", old_rows - old_row).as_bytes());
        }
        for _ in 1..old_rows {
            out.extend_from_slice(b"\r\x1b[0K\x1b[1A");
        }
        out.extend_from_slice(b"\r\x1b[0K");
        out.extend_from_slice(self.prompt.as_bytes());
        let text: String = self.buf.iter().collect();
        out.extend_from_slice(text.as_bytes());
        // At the very end of a full row the terminal has not wrapped yet.
        let wrapped =
            self.cursor == self.buf.len() && (self.cursor + plen).is_multiple_of(cols) && self.cursor + plen > 0;
        if wrapped {
            out.extend_from_slice(b"\n\r");
            rows += 1;
        }
        self.max_rows = self.max_rows.max(rows);
        let cursor_row = (plen + self.cursor + cols) / cols;
        if rows > cursor_row {
            out.extend_from_slice(format!("\x1b[{}A", rows - cursor_row).as_bytes());
        }
        let col = (plen + self.cursor) % cols;
        if col > 0 {
            out.extend_from_slice(format!("\r\x1b[{col}C").as_bytes());
        } else if !wrapped {
            out.push(b'\r');
        }
        self.old_cursor = self.cursor;
    }
}
