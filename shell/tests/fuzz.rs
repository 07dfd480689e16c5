//! Property tests: hostile input never panics the parser, the line editor
//! or the shell, and a few invariants hold.

mod common;
use common::*;

use proptest::prelude::*;
use shell::editor::{Event, LineEditor};
use shell::glob;
use shell::history::History;
use shell::parser::Parser;

/// Characters that matter to the shell grammar, plus some letters.
const SHELLISH: &str = "a b c x y 1 2 $ { } ( ) ' \" \\ ` | & ; < > * ? [ ] ! # = - : + % @ \n \t if then fi do done for in case esac ;; << EOF";

fn shellish() -> impl Strategy<Value = String> {
    let atoms: Vec<&'static str> = SHELLISH.split(' ').chain([" "]).collect();
    prop::collection::vec(prop::sample::select(atoms), 0..40).prop_map(|v| v.concat())
}

/// Cases per property: `default`, or `SHELL_FUZZ_CASES` (else
/// `PROPTEST_CASES`, as every fuzz test, docs/assurance.md §10) for a
/// longer run.
fn cases(default: u32) -> u32 {
    let var = |k| std::env::var(k).ok().and_then(|v| v.parse().ok());
    var("SHELL_FUZZ_CASES").or_else(|| var("PROPTEST_CASES")).unwrap_or(default)
}

fn parse_all(src: &str) {
    let _ = Parser::parse(src);
    let mut p = Parser::new(src);
    let mut n = 0;
    while let Some(r) = p.next_command() {
        if let Err(e) = r {
            let _ = e.to_string();
            let _ = e.line_col(src);
        }
        n += 1;
        assert!(n <= src.len() + 1, "next_command must make progress");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(512)))]

    #[test]
    fn parser_never_panics_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        parse_all(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn parser_never_panics_on_shellish_text(src in shellish()) {
        parse_all(&src);
    }

    #[test]
    fn editor_never_panics_and_keeps_its_cursor_in_the_line(
        bytes in prop::collection::vec(any::<u8>(), 0..300),
        width in 2usize..100,
    ) {
        let mut hist = History::new(10);
        hist.push("previous command");
        hist.push("é ü");
        let mut ed = LineEditor::new(width);
        let mut out = Vec::new();
        ed.start("p$ ", &mut out);
        for b in bytes {
            if let Some(Event::Line(l)) = ed.feed(b, &hist, &mut out) {
                hist.push(&l);
                ed.start("p$ ", &mut out);
            }
            prop_assert!(ed.cursor() <= ed.line().chars().count());
        }
    }

    #[test]
    fn editor_round_trips_printable_text(text in "[ -~]{0,60}") {
        let hist = History::new(10);
        let mut ed = LineEditor::new(80);
        let mut out = Vec::new();
        ed.start("$ ", &mut out);
        let evs = ed.feed_all(format!("{text}\r").as_bytes(), &hist, &mut out);
        prop_assert_eq!(evs, vec![Event::Line(text)]);
    }

    #[test]
    fn glob_matching_never_panics(pat in "[a*?\\[\\]!^:-]{0,12}", text in "[a\\[\\]!-]{0,12}") {
        let _ = glob::matches(&glob::pattern(&pat), &text);
    }

    #[test]
    fn star_matches_everything(text in ".{0,20}") {
        prop_assert!(glob::matches(&glob::pattern("*"), &text));
    }

    #[test]
    fn literal_patterns_match_only_themselves(a in "[a-z]{0,8}", b in "[a-z]{0,8}") {
        prop_assert_eq!(glob::matches(&glob::pattern(&a), &b), a == b);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(128)))]

    /// Running random shell text over the mock never panics, leaks no
    /// descriptor, and ends with a status. (The alphabet has no `while`
    /// or `until`: a random infinite loop would hang the test.)
    #[test]
    fn shell_never_panics_on_random_programs(src in shellish()) {
        let mut h = Harness::new();
        let _ = h.run(&src);
        h.assert_no_leaks();
    }
}

#[test]
fn quoting_round_trips_through_the_shell() {
    for s in ["", "plain", "a b", "it's", "$HOME", "\"q\"", "back\\slash", "*", "new\nline", "é"] {
        let mut h = Harness::new();
        let q = shell::builtins::quote(s);
        h.run(&format!("args {q}"));
        assert_eq!(h.stdout(), format!("[{s}]\n"), "{q}");
    }
}
