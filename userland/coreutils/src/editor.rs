//! `edit`, a small full-screen text editor for the VT100 console: key
//! decoding, the text buffer with its cursor and scrolling, and the screen
//! as escape sequences. The program feeds it raw terminal bytes and writes
//! what [`Editor::render`] returns; saving is the program's job
//! ([`Action::Save`]).
//!
//! Keys: arrows, Home/End, PgUp/PgDn, Backspace, Delete, Enter, Tab;
//! Ctrl-S save, Ctrl-Q quit (twice if there are unsaved changes), Ctrl-K
//! delete the line; printable UTF-8 is inserted.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// A decoded key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// A printable character (or Tab).
    Char(char),
    /// Enter (CR or LF).
    Enter,
    /// Backspace (DEL or Ctrl-H).
    Backspace,
    /// Delete (`ESC [ 3 ~`).
    Delete,
    /// Arrow keys.
    Left,
    /// Right arrow.
    Right,
    /// Up arrow.
    Up,
    /// Down arrow.
    Down,
    /// Home.
    Home,
    /// End.
    End,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Ctrl with a letter (`Ctrl(b's')` for Ctrl-S).
    Ctrl(u8),
    /// Anything else (ignored).
    Other,
}

/// Turns terminal bytes into keys (escape sequences, UTF-8).
#[derive(Clone, Debug, Default)]
pub struct KeyReader {
    pending: Vec<u8>,
}

impl KeyReader {
    /// A reader with nothing pending.
    pub fn new() -> KeyReader {
        KeyReader::default()
    }

    /// Feeds one byte; returns a key once one is complete.
    pub fn feed(&mut self, b: u8) -> Option<Key> {
        if self.pending.is_empty() {
            return match b {
                0x1b => {
                    self.pending.push(b);
                    None
                }
                b'\r' | b'\n' => Some(Key::Enter),
                0x7f | 0x08 => Some(Key::Backspace),
                b'\t' => Some(Key::Char('\t')),
                1..=26 => Some(Key::Ctrl(b'a' + b - 1)),
                0x20..=0x7e => Some(Key::Char(b as char)),
                0xc0..=0xf7 => {
                    self.pending.push(b);
                    None
                }
                _ => Some(Key::Other),
            };
        }
        self.pending.push(b);
        let p = &self.pending;
        if p[0] == 0x1b {
            let key = match (p.len(), p[1]) {
                (2, b'[' | b'O') => return None,
                (2, _) => Some(Key::Other),
                (_, b'O') => Some(match b {
                    b'H' => Key::Home,
                    b'F' => Key::End,
                    b'A' => Key::Up,
                    b'B' => Key::Down,
                    b'C' => Key::Right,
                    b'D' => Key::Left,
                    _ => Key::Other,
                }),
                _ if b.is_ascii_digit() || b == b';' => {
                    if p.len() > 8 {
                        Some(Key::Other)
                    } else {
                        return None;
                    }
                }
                _ => Some(match (b, &p[2..p.len() - 1]) {
                    (b'A', _) => Key::Up,
                    (b'B', _) => Key::Down,
                    (b'C', _) => Key::Right,
                    (b'D', _) => Key::Left,
                    (b'H', _) => Key::Home,
                    (b'F', _) => Key::End,
                    (b'~', b"1" | b"7") => Key::Home,
                    (b'~', b"4" | b"8") => Key::End,
                    (b'~', b"3") => Key::Delete,
                    (b'~', b"5") => Key::PageUp,
                    (b'~', b"6") => Key::PageDown,
                    _ => Key::Other,
                }),
            };
            self.pending.clear();
            return key;
        }
        // UTF-8: the lead byte says how long the sequence is.
        let need = match p[0] {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        if b & 0xc0 != 0x80 {
            self.pending.clear();
            return Some(Key::Other);
        }
        if p.len() < need {
            return None;
        }
        let k = core::str::from_utf8(p).ok().and_then(|s| s.chars().next()).map_or(Key::Other, Key::Char);
        self.pending.clear();
        Some(k)
    }
}

/// What the program must do after a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Redraw and read on.
    None,
    /// Write [`Editor::text`] to the file, then call [`Editor::saved`].
    Save,
    /// Leave the editor.
    Quit,
}

const TAB: usize = 8;

/// The editor's state.
#[derive(Clone, Debug)]
pub struct Editor {
    lines: Vec<Vec<char>>,
    /// Cursor line and column (a character index).
    cy: usize,
    cx: usize,
    /// First line and display column shown.
    row_off: usize,
    col_off: usize,
    rows: usize,
    cols: usize,
    dirty: bool,
    quit_armed: bool,
    name: String,
    message: String,
}

impl Editor {
    /// An editor for file `name` holding `text`, on a `rows` × `cols`
    /// screen (two rows are the status and message lines).
    pub fn new(name: &str, text: &str, rows: usize, cols: usize) -> Editor {
        let mut lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
        if text.ends_with('\n') {
            lines.pop();
        }
        if lines.is_empty() {
            lines.push(Vec::new());
        }
        Editor {
            lines,
            cy: 0,
            cx: 0,
            row_off: 0,
            col_off: 0,
            rows: rows.max(3) - 2,
            cols: cols.max(10),
            dirty: false,
            quit_armed: false,
            name: name.into(),
            message: String::from("^S save  ^Q quit  ^K delete line"),
        }
    }

    /// The buffer as file contents (every line ends in a newline; an
    /// empty buffer is an empty file).
    pub fn text(&self) -> String {
        if self.lines.len() == 1 && self.lines[0].is_empty() {
            return String::new();
        }
        let mut s = String::new();
        for l in &self.lines {
            s.extend(l.iter());
            s.push('\n');
        }
        s
    }

    /// Whether there are unsaved changes.
    pub fn dirty(&self) -> bool {
        self.dirty
    }

    /// The cursor: (line, column), both from 0, column in characters.
    pub fn cursor(&self) -> (usize, usize) {
        (self.cy, self.cx)
    }

    /// Reports how a save went (bytes written, or the error's text).
    pub fn saved(&mut self, r: Result<usize, String>) {
        match r {
            Ok(n) => {
                self.dirty = false;
                self.message = format!("\"{}\" {} lines, {n} bytes written", self.name, self.lines.len());
            }
            Err(e) => self.message = format!("cannot save \"{}\": {e}", self.name),
        }
    }

    /// Sets the message line.
    pub fn set_message(&mut self, m: &str) {
        self.message = m.into();
    }

    fn clamp_x(&mut self) {
        self.cx = self.cx.min(self.lines[self.cy].len());
    }

    /// Applies one key.
    pub fn handle(&mut self, k: Key) -> Action {
        if k != Key::Ctrl(b'q') {
            self.quit_armed = false;
        }
        match k {
            Key::Ctrl(b's') => return Action::Save,
            Key::Ctrl(b'q') => {
                if self.dirty && !self.quit_armed {
                    self.quit_armed = true;
                    self.message = String::from("unsaved changes: ^Q again to quit without saving, ^S to save");
                    return Action::None;
                }
                return Action::Quit;
            }
            Key::Ctrl(b'k') => {
                if self.lines.len() > 1 {
                    self.lines.remove(self.cy);
                    self.cy = self.cy.min(self.lines.len() - 1);
                } else {
                    self.lines[0].clear();
                }
                self.cx = 0;
                self.dirty = true;
            }
            Key::Char(c) => {
                self.lines[self.cy].insert(self.cx, c);
                self.cx += 1;
                self.dirty = true;
            }
            Key::Enter => {
                let rest = self.lines[self.cy].split_off(self.cx);
                self.lines.insert(self.cy + 1, rest);
                self.cy += 1;
                self.cx = 0;
                self.dirty = true;
            }
            Key::Backspace => {
                if self.cx > 0 {
                    self.cx -= 1;
                    self.lines[self.cy].remove(self.cx);
                    self.dirty = true;
                } else if self.cy > 0 {
                    let line = self.lines.remove(self.cy);
                    self.cy -= 1;
                    self.cx = self.lines[self.cy].len();
                    self.lines[self.cy].extend(line);
                    self.dirty = true;
                }
            }
            Key::Delete => {
                if self.cx < self.lines[self.cy].len() {
                    self.lines[self.cy].remove(self.cx);
                    self.dirty = true;
                } else if self.cy + 1 < self.lines.len() {
                    let next = self.lines.remove(self.cy + 1);
                    self.lines[self.cy].extend(next);
                    self.dirty = true;
                }
            }
            Key::Left => {
                if self.cx > 0 {
                    self.cx -= 1;
                } else if self.cy > 0 {
                    self.cy -= 1;
                    self.cx = self.lines[self.cy].len();
                }
            }
            Key::Right => {
                if self.cx < self.lines[self.cy].len() {
                    self.cx += 1;
                } else if self.cy + 1 < self.lines.len() {
                    self.cy += 1;
                    self.cx = 0;
                }
            }
            Key::Up => {
                self.cy = self.cy.saturating_sub(1);
                self.clamp_x();
            }
            Key::Down => {
                self.cy = (self.cy + 1).min(self.lines.len() - 1);
                self.clamp_x();
            }
            Key::Home => self.cx = 0,
            Key::End => self.cx = self.lines[self.cy].len(),
            Key::PageUp => {
                self.cy = self.cy.saturating_sub(self.rows);
                self.clamp_x();
            }
            Key::PageDown => {
                self.cy = (self.cy + self.rows).min(self.lines.len() - 1);
                self.clamp_x();
            }
            Key::Ctrl(_) | Key::Other => {}
        }
        Action::None
    }

    /// Display column of character `cx` of line `cy` (tabs to multiples of 8).
    fn display_x(&self, cy: usize, cx: usize) -> usize {
        self.lines[cy][..cx].iter().fold(0, |x, &c| if c == '\t' { x + TAB - x % TAB } else { x + 1 })
    }

    fn scroll(&mut self) {
        if self.cy < self.row_off {
            self.row_off = self.cy;
        }
        if self.cy >= self.row_off + self.rows {
            self.row_off = self.cy + 1 - self.rows;
        }
        let rx = self.display_x(self.cy, self.cx);
        if rx < self.col_off {
            self.col_off = rx;
        }
        if rx >= self.col_off + self.cols {
            self.col_off = rx + 1 - self.cols;
        }
    }

    /// The whole screen: text rows (`~` past the end), an inverted status
    /// line, the message line, and the cursor placed.
    pub fn render(&mut self) -> String {
        self.scroll();
        let mut s = String::from("\x1b[?25l\x1b[H");
        for r in 0..self.rows {
            let y = r + self.row_off;
            if let Some(line) = self.lines.get(y) {
                let mut x = 0;
                for &c in line {
                    let w = if c == '\t' { TAB - x % TAB } else { 1 };
                    for i in 0..w {
                        let col = x + i;
                        if col >= self.col_off && col < self.col_off + self.cols {
                            s.push(if c == '\t' || c.is_control() { ' ' } else { c });
                        }
                    }
                    x += w;
                }
            } else {
                s.push('~');
            }
            s.push_str("\x1b[K\r\n");
        }
        let left = format!(" {}{}", self.name, if self.dirty { " [modified]" } else { "" });
        let right = format!("line {}/{}, col {} ", self.cy + 1, self.lines.len(), self.cx + 1);
        let mut status: String = left.chars().take(self.cols).collect();
        let used = status.chars().count();
        if used + right.len() <= self.cols {
            status.extend(core::iter::repeat_n(' ', self.cols - used - right.len()));
            status.push_str(&right);
        } else {
            status.extend(core::iter::repeat_n(' ', self.cols - used));
        }
        s.push_str("\x1b[7m");
        s.push_str(&status);
        s.push_str("\x1b[m\r\n");
        s.extend(self.message.chars().take(self.cols));
        s.push_str("\x1b[K");
        let rx = self.display_x(self.cy, self.cx);
        s.push_str(&format!("\x1b[{};{}H\x1b[?25h", self.cy - self.row_off + 1, rx - self.col_off + 1));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        let mut r = KeyReader::new();
        bytes.iter().filter_map(|&b| r.feed(b)).collect()
    }

    #[test]
    fn decoding() {
        assert_eq!(keys(b"a\r\x7f\x13"), [Key::Char('a'), Key::Enter, Key::Backspace, Key::Ctrl(b's')]);
        assert_eq!(keys(b"\x1b[A\x1b[B\x1b[C\x1b[D"), [Key::Up, Key::Down, Key::Right, Key::Left]);
        assert_eq!(
            keys(b"\x1b[3~\x1b[5~\x1b[6~\x1b[1~\x1b[4~"),
            [Key::Delete, Key::PageUp, Key::PageDown, Key::Home, Key::End]
        );
        assert_eq!(keys(b"\x1bOH\x1b[F\x1b[1;5C"), [Key::Home, Key::End, Key::Right]);
        assert_eq!(keys("é€".as_bytes()), [Key::Char('é'), Key::Char('€')]);
        assert_eq!(keys(b"\x1bx\xc3A"), [Key::Other, Key::Other]);
        assert_eq!(
            keys(b"\x1b[99999999999~z"),
            [
                Key::Other,
                Key::Char('9'),
                Key::Char('9'),
                Key::Char('9'),
                Key::Char('9'),
                Key::Char('~'),
                Key::Char('z')
            ]
        );
    }

    fn type_in(e: &mut Editor, bytes: &[u8]) -> Vec<Action> {
        keys(bytes).into_iter().map(|k| e.handle(k)).collect()
    }

    #[test]
    fn create_and_edit() {
        let mut e = Editor::new("f.txt", "", 24, 80);
        assert_eq!(e.text(), "");
        type_in(&mut e, b"hello\rworld");
        assert_eq!(e.text(), "hello\nworld\n");
        assert!(e.dirty());
        // Up, End, then " there"; Down, Home, Delete "w", type "W".
        type_in(&mut e, b"\x1b[A\x1b[F there\x1b[B\x1b[H\x1b[3~W");
        assert_eq!(e.text(), "hello there\nWorld\n");
        // Backspace at the start of a line joins it with the previous one.
        type_in(&mut e, b"\x1b[H\x7f");
        assert_eq!(e.text(), "hello thereWorld\n");
        assert_eq!(e.cursor(), (0, 11));
        // Enter splits it again; Ctrl-K deletes the current line.
        type_in(&mut e, b"\r\x0b");
        assert_eq!(e.text(), "hello there\n");
        assert_eq!(type_in(&mut e, b"\x13"), [Action::Save]);
        e.saved(Ok(12));
        assert!(!e.dirty());
        assert_eq!(type_in(&mut e, b"\x11"), [Action::Quit]);
    }

    #[test]
    fn quitting_with_unsaved_changes_needs_a_second_ctrl_q() {
        let mut e = Editor::new("f", "a\nb\n", 24, 80);
        assert_eq!(e.text(), "a\nb\n");
        type_in(&mut e, b"x");
        assert_eq!(type_in(&mut e, b"\x11"), [Action::None]);
        assert!(e.render().contains("unsaved changes"));
        assert_eq!(type_in(&mut e, b"\x1b[C\x11"), [Action::None, Action::None]);
        assert_eq!(type_in(&mut e, b"\x11"), [Action::Quit]);
    }

    #[test]
    fn cursor_moves_stay_in_the_text() {
        let mut e = Editor::new("f", "long line\nx\n", 24, 80);
        type_in(&mut e, b"\x1b[F\x1b[B");
        assert_eq!(e.cursor(), (1, 1));
        type_in(&mut e, b"\x1b[B\x1b[C\x1b[C");
        assert_eq!(e.cursor(), (1, 1));
        type_in(&mut e, b"\x1b[D\x1b[D");
        assert_eq!(e.cursor(), (0, 9));
        type_in(&mut e, b"\x1b[5~\x1b[6~");
        assert_eq!(e.cursor(), (1, 1));
        let mut e = Editor::new("f", "", 24, 80);
        type_in(&mut e, b"\x7f\x1b[3~\x1b[A\x1b[D");
        assert_eq!((e.cursor(), e.text().as_str(), e.dirty()), ((0, 0), "", false));
    }

    #[test]
    fn screen() {
        let mut e = Editor::new("notes", "one\n\ttab\n", 6, 30);
        let s = e.render();
        assert!(s.starts_with("\x1b[?25l\x1b[Hone\x1b[K\r\n        tab\x1b[K\r\n~\x1b[K\r\n~\x1b[K\r\n"), "{s:?}");
        assert!(s.contains("\x1b[7m notes        line 1/2, col 1 \x1b[m\r\n"), "{s:?}");
        assert!(s.ends_with("\x1b[1;1H\x1b[?25h"), "{s:?}");
        type_in(&mut e, b"\x1b[B\x1b[C");
        assert!(e.render().ends_with("\x1b[2;9H\x1b[?25h"));
    }

    #[test]
    fn scrolling() {
        let text: String = (0..50).map(|i| format!("line {i}\n")).collect();
        let mut e = Editor::new("f", &text, 12, 20);
        for _ in 0..20 {
            e.handle(Key::Down);
        }
        let s = e.render();
        assert!(s.contains("line 20\x1b[K") && !s.contains("line 10\x1b[K"), "{s:?}");
        assert!(s.ends_with("\x1b[10;1H\x1b[?25h"), "{s:?}");
        let mut e = Editor::new("f", &"x".repeat(50), 12, 20);
        e.handle(Key::End);
        assert!(e.render().ends_with("\x1b[1;20H\x1b[?25h"));
    }
}
