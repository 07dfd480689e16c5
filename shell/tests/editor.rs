//! The line editor: keystroke sequences -> the line and the exact bytes
//! echoed to the terminal.

use shell::editor::{Event, LineEditor, visible_width};
use shell::history::History;

const UP: &str = "\x1b[A";
const DOWN: &str = "\x1b[B";
const RIGHT: &str = "\x1b[C";
const LEFT: &str = "\x1b[D";
const HOME: &str = "\x1b[H";
const END: &str = "\x1b[F";
const DEL: &str = "\x1b[3~";

struct Term {
    ed: LineEditor,
    hist: History,
    out: Vec<u8>,
}

impl Term {
    fn new(width: usize) -> Term {
        let mut ed = LineEditor::new(width);
        let mut out = Vec::new();
        ed.start("$ ", &mut out);
        assert_eq!(out, b"$ ");
        Term { ed, hist: History::new(100), out: Vec::new() }
    }

    fn keys(&mut self, keys: &str) -> Vec<Event> {
        let evs = self.ed.feed_all(keys.as_bytes(), &self.hist, &mut self.out);
        for e in &evs {
            if let Event::Line(l) = e {
                self.hist.push(l);
                let mut prompt = Vec::new();
                self.ed.start("$ ", &mut prompt);
            }
        }
        evs
    }

    fn take(&mut self) -> String {
        String::from_utf8(std::mem::take(&mut self.out)).unwrap()
    }
}

fn line(keys: &str) -> String {
    let mut t = Term::new(80);
    match t.keys(&format!("{keys}\r")).as_slice() {
        [Event::Line(l)] => l.clone(),
        other => panic!("{keys:?}: {other:?}"),
    }
}

#[test]
fn typing_echoes_and_enter_finishes() {
    let mut t = Term::new(80);
    assert_eq!(t.keys("ls -l"), vec![]);
    assert_eq!(t.take(), "ls -l");
    assert_eq!(t.keys("\r"), vec![Event::Line("ls -l".into())]);
    assert_eq!(t.take(), "\r\n");
    // LF alone also ends a line, CR LF only once.
    assert_eq!(t.keys("a\nb\r\nc\r"), vec![Event::Line("a".into()), Event::Line("b".into()), Event::Line("c".into())]);
}

#[test]
fn editing_keys_produce_the_right_line() {
    let table = [
        ("abc", "abc"),
        (&format!("abc{LEFT}{LEFT}X"), "aXbc"),
        (&format!("abc{HOME}X{END}Y"), "XabcY"),
        ("abc\x01X\x05Y", "XabcY"),
        (&format!("abc{LEFT}{LEFT}{LEFT}{LEFT}{RIGHT}X"), "aXbc"),
        ("abc\x02\x02\x06X", "abXc"),
        ("abc\x7f", "ab"),
        ("abc\x08\x08", "a"),
        ("\x7fa", "a"),
        (&format!("abc{HOME}{DEL}"), "bc"),
        (&format!("abc{DEL}"), "abc"),
        ("abc\x01\x04", "bc"),
        ("hello world\x01\x06\x06\x0b", "he"),
        ("hello world\x02\x02\x15", "ld"),
        ("echo foo bar\x17", "echo foo "),
        ("echo foo bar  \x17", "echo foo "),
        ("echo foo\x1b\x7f", "echo "),
        ("one two three\x1bb\x1bbX", "one Xtwo three"),
        ("one two\x01\x1bfX", "oneX two"),
        (&format!("one two{HOME}\x1b[1;5CX"), "oneX two"),
        ("ab\x1b[1~X\x1b[4~Y", "XabY"),
        ("ab\x1bOHX\x1bOFY", "XabY"),
        ("a\tb\x07c", "abc"),
        ("a\x1b[5~b\x1b[99;99Zc", "abc"),
        ("€uro ü", "€uro ü"),
        ("a\u{1F600}b", "a\u{1F600}b"),
    ];
    for (keys, want) in table {
        assert_eq!(line(keys), want, "{keys:?}");
    }
}

#[test]
fn mid_line_edits_redraw_with_vt100_sequences() {
    let mut t = Term::new(80);
    t.keys("abc");
    t.take();
    t.keys(LEFT);
    assert_eq!(t.take(), "\r\x1b[0K$ abc\r\x1b[4C");
    t.keys("X");
    assert_eq!(t.take(), "\r\x1b[0K$ abXc\r\x1b[5C");
    t.keys("\x01");
    assert_eq!(t.take(), "\r\x1b[0K$ abXc\r\x1b[2C");
    t.keys("\x0b");
    assert_eq!(t.take(), "\r\x1b[0K$ \r\x1b[2C");
    t.keys("z\x7f");
    assert_eq!(t.take(), "z\r\x1b[0K$ \r\x1b[2C");
    // Enter in the middle of a line moves to its end first.
    t.keys("xy\x01\r");
    assert_eq!(t.take(), "xy\r\x1b[0K$ xy\r\x1b[2C\r\x1b[0K$ xy\r\x1b[4C\r\n");
}

#[test]
fn ctrl_c_cancels_and_ctrl_d_ends_input() {
    let mut t = Term::new(80);
    assert_eq!(t.keys("partial\x03"), vec![Event::Interrupt]);
    assert_eq!(t.take(), "partial^C\r\n");
    assert_eq!(t.ed.line(), "");
    assert_eq!(t.keys("x\x04"), vec![]);
    assert_eq!(t.ed.line(), "x");
    assert_eq!(t.keys("\x01\x04\x04"), vec![Event::Eof]);
}

#[test]
fn history_up_and_down() {
    let mut t = Term::new(80);
    t.keys("first\rsecond\r");
    t.take();
    t.keys("draft");
    t.keys(UP);
    assert_eq!(t.ed.line(), "second");
    assert_eq!(t.take(), "draft\r\x1b[0K$ second\r\x1b[8C");
    t.keys(UP);
    assert_eq!(t.ed.line(), "first");
    t.keys(UP);
    assert_eq!(t.ed.line(), "first", "stays at the oldest");
    t.keys(DOWN);
    assert_eq!(t.ed.line(), "second");
    t.keys(DOWN);
    assert_eq!(t.ed.line(), "draft", "back to the line being typed");
    t.keys(DOWN);
    assert_eq!(t.ed.line(), "draft");
    // Ctrl-P / Ctrl-N, and editing a recalled line.
    t.keys("\x15\x10\x10 again\r");
    assert_eq!(t.hist.get(t.hist.len() - 1), Some("first again"));
    assert_eq!(t.hist.get(0), Some("first"), "history entries are not modified");
    // Up on an empty history does nothing.
    let mut empty = Term::new(80);
    empty.keys(UP);
    assert_eq!(empty.take(), "");
}

#[test]
fn history_skips_blanks_and_repeats_and_is_bounded() {
    let mut h = History::new(3);
    for l in ["a", "a", "  ", "", "b", "c", "d\n"] {
        h.push(l);
    }
    let all: Vec<(usize, &str)> = h.numbered().collect();
    assert_eq!(all, [(2, "b"), (3, "c"), (4, "d")]);
}

#[test]
fn long_lines_wrap_over_rows() {
    // 10 columns: prompt (2) + 8 characters fill the first row exactly.
    let mut t = Term::new(10);
    t.keys("abcdefg");
    assert_eq!(t.take(), "abcdefg");
    t.keys("h");
    // The cursor would sit past the last column: the editor moves it to the next row.
    assert_eq!(t.take(), "\r\x1b[0K$ abcdefgh\n\r");
    t.keys("ij");
    let redraw = "\r\x1b[0K\x1b[1A\r\x1b[0K$ ";
    assert_eq!(t.take(), format!("{redraw}abcdefghi\r\x1b[1C{redraw}abcdefghij\r\x1b[2C"));
    // Home: redraw both rows, then up one row to the start of the text.
    t.keys(HOME);
    assert_eq!(t.take(), format!("{redraw}abcdefghij\x1b[1A\r\x1b[2C"));
    // From the first row, a redraw first goes down to the last row.
    t.keys(END);
    assert_eq!(t.take(), format!("\x1b[1B{redraw}abcdefghij\r\x1b[2C"));
    // Shrinking back to one row still clears the second.
    t.keys("\x15");
    assert_eq!(t.take(), format!("{redraw}\r\x1b[2C"));
    assert_eq!(t.keys("ok\r"), vec![Event::Line("ok".into())]);
}

#[test]
fn visible_width_ignores_escapes() {
    assert_eq!(visible_width("\x1b[1;32mroot\x1b[0m$ "), 6);
    assert_eq!(visible_width("ü$ "), 3);
}
