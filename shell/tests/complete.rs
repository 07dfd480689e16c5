//! Tab completion: finding the word, the shell's candidates (commands,
//! files, variables) over the mock OS, and the editor's Tab key.

mod common;
use common::*;
use shell::complete::{Candidate, Completer, Completion, columns, common_prefix, current_word, escape};
use shell::editor::{Event, LineEditor};
use shell::history::History;

#[test]
fn the_word_being_typed() {
    let table: &[(&str, (usize, &str, bool))] = &[
        ("", (0, "", true)),
        ("ca", (0, "ca", true)),
        ("ls no", (3, "no", false)),
        ("ls ", (3, "", false)),
        ("echo a; ca", (8, "ca", true)),
        ("echo a|gr", (7, "gr", true)),
        ("x && ec", (5, "ec", true)),
        ("FOO=1 ca", (6, "ca", true)),
        ("if tr", (3, "tr", true)),
        ("cat 'my fi", (4, "my fi", false)),
        ("ls a\\ b", (3, "a b", false)),
        ("ls >out", (4, "out", false)),
        ("(cd", (1, "cd", true)),
    ];
    for (line, (start, word, cmd)) in table {
        assert_eq!(current_word(line), (*start, word.to_string(), *cmd), "{line:?}");
    }
    assert_eq!(escape("my file's"), "my\\ file\\'s");
}

fn setup() -> Harness {
    let h = Harness::new();
    h.add_file("/home/user/notes.txt", "", 0o644);
    h.add_file("/home/user/notes-old.txt", "", 0o644);
    h.add_file("/home/user/my file", "", 0o644);
    h.add_file("/home/user/.hidden", "", 0o644);
    h.add_file("/home/user/run.sh", "", 0o755);
    h.add_dir("/home/user/docs");
    h
}

fn inserts(h: &mut Harness, line: &str) -> Vec<String> {
    h.sh.completions(line).candidates.into_iter().map(|c| format!("{}{}", c.insert, c.suffix)).collect()
}

#[test]
fn commands_files_and_variables() {
    let mut h = setup();
    assert_eq!(inserts(&mut h, "ca"), ["case ", "cat "]);
    assert_eq!(inserts(&mut h, "echo x; gre"), ["grep "]);
    h.run("greet() { :; }");
    assert_eq!(inserts(&mut h, "gre"), ["greet ", "grep "]);
    assert_eq!(inserts(&mut h, "hi"), ["history "]);
    assert_eq!(inserts(&mut h, "cat no"), ["notes-old.txt ", "notes.txt "]);
    assert_eq!(inserts(&mut h, "cat d"), ["docs/"]);
    assert_eq!(inserts(&mut h, "cat my"), ["my\\ file "]);
    assert_eq!(inserts(&mut h, "cat \"my f"), ["my\\ file "]);
    assert_eq!(inserts(&mut h, "cat ~/d"), ["~/docs/"]);
    assert_eq!(inserts(&mut h, "cat /et"), ["/etc/"]);
    assert_eq!(inserts(&mut h, "cat /etc/m"), ["/etc/motd "]);
    assert_eq!(inserts(&mut h, "cat .h"), [".hidden "]);
    assert!(!inserts(&mut h, "cat ").iter().any(|c| c.starts_with('.')));
    // In command position a path offers directories and programs only.
    assert_eq!(inserts(&mut h, "./"), ["./docs/", "./run.sh "]);
    assert_eq!(inserts(&mut h, "echo $HO"), ["$HOME"]);
    assert!(inserts(&mut h, "cat nothing").is_empty());
    assert!(inserts(&mut h, "cat /nowhere/x").is_empty());
}

fn cand(s: &str) -> Candidate {
    Candidate { insert: s.into(), suffix: " ", display: s.into() }
}

#[test]
fn prefixes_and_columns() {
    assert_eq!(common_prefix(&[cand("notes.txt"), cand("notes-old")]), "notes");
    assert_eq!(common_prefix(&[cand("a\\ b"), cand("a\\ c")]), "a\\ ");
    assert_eq!(common_prefix(&[cand("a\\ b"), cand("a\\'c")]), "a");
    let many: Vec<Candidate> = ["a", "bb", "ccc", "d", "e"].iter().map(|s| cand(s)).collect();
    assert_eq!(columns(&many, 80), "a    bb   ccc  d    e\r\n");
    assert_eq!(columns(&many, 12), "a    d\r\nbb   e\r\nccc\r\n");
}

/// A completer with fixed candidates.
struct Fixed(Vec<&'static str>);

impl Completer for Fixed {
    fn complete(&mut self, line: &str) -> Completion {
        let start = line.rfind(' ').map_or(0, |i| i + 1);
        let word = &line[start..];
        let candidates = self.0.iter().filter(|c| c.starts_with(word)).map(|c| cand(c)).collect();
        Completion { start, candidates }
    }
}

fn type_keys(keys: &str, c: &mut Fixed) -> (Option<Event>, String) {
    let mut ed = LineEditor::new(80);
    let mut out = Vec::new();
    ed.start("$ ", &mut out);
    out.clear();
    let hist = History::new(10);
    let mut ev = None;
    for b in keys.bytes() {
        if let Some(e) = ed.feed_with(b, &hist, c, &mut out) {
            ev = Some(e);
        }
    }
    (ev, String::from_utf8(out).unwrap())
}

#[test]
fn the_tab_key() {
    let mut c = Fixed(vec!["alpha", "alps", "beta"]);
    // One candidate: inserted with its suffix.
    let (ev, _) = type_keys("x b\t\r", &mut c);
    assert_eq!(ev, Some(Event::Line("x beta ".into())));
    // Several: the common prefix; then a bell; a second Tab lists them.
    let (ev, _) = type_keys("x a\tha\r", &mut c);
    assert_eq!(ev, Some(Event::Line("x alpha".into())));
    let (_, term) = type_keys("x alp\t", &mut c);
    assert_eq!(term, "x alp\x07");
    let (_, term) = type_keys("x alp\t\t", &mut c);
    assert_eq!(term, "x alp\x07\r\nalpha  alps\r\n\r\x1b[0K$ x alp\r\x1b[7C");
    // A Tab that completed part of the word lists on the next one.
    let (_, term) = type_keys("x a\t\t", &mut c);
    assert!(term.ends_with("\r\nalpha  alps\r\n\r\x1b[0K$ x alp\r\x1b[7C"), "{term:?}");
    // Nothing: a bell, the line unchanged.
    let (ev, term) = type_keys("x z\t\r", &mut c);
    assert_eq!((ev, term.as_str()), (Some(Event::Line("x z".into())), "x z\x07\r\n"));
    // In the middle of a line: the rest stays after the cursor.
    let (ev, _) = type_keys("b rest\x01\x06\t\r", &mut c);
    assert_eq!(ev, Some(Event::Line("beta  rest".into())));
    // Without a completer Tab does nothing.
    let mut ed = LineEditor::new(80);
    let mut out = Vec::new();
    ed.start("$ ", &mut out);
    let evs = ed.feed_all(b"a\tb\r", &History::new(1), &mut out);
    assert_eq!(evs, [Event::Line("ab".into())]);
}

#[test]
fn completion_in_an_interactive_session() {
    let mut h = setup();
    h.world.borrow_mut().tty = true;
    h.world.borrow_mut().stdin.extend(b"ec\t hi\rcat /etc/mo\t\rls no\t\t\r\x04");
    h.sh.main(&["sh".to_string()]);
    assert_eq!(h.stdout(), "hi\nwelcome\n");
    let term = h.stderr();
    assert!(term.contains("notes-old.txt  notes.txt\r\n"), "{term:?}");
    assert!(term.contains("ls notes"), "{term:?}");
}
