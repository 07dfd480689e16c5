//! Debian's busybox `vi` and `less` at a real terminal (a tmux pane,
//! `rampart_tests::pty`) through the Linux personality: the programs' own
//! `termios` (ICANON, ECHO and ISIG off or on, VMIN/VTIME), `TIOCGWINSZ`,
//! `poll` with a timeout (how `vi` tells ESC from an escape sequence) and
//! `O_NONBLOCK` on `/dev/tty` (`less`) reach the console's line discipline
//! (docs/linux-abi.md, "Terminal"). What the tests look at is the pane's
//! screen as the user sees it, and the files and terminal settings left
//! behind.

use rampart_tests::PROMPT;
use rampart_tests::pty::{BOOT, Pty, RUNNER_STATUS};
use std::time::Duration;

const T: Duration = Duration::from_secs(90);
/// The pane: 100 columns, 30 rows.
const COLS: u16 = 100;
const ROWS: u16 = 30;

fn prompt() -> &'static str {
    PROMPT.trim_end()
}

fn ok<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `line` at the guest's prompt and waits for `want`, then the next
/// prompt.
fn run(p: &mut Pty, line: &str, want: &str) -> String {
    p.line(line);
    let out = ok(p.wait_for(want, T));
    ok(p.wait_for(prompt(), T));
    out
}

/// Waits for the shell's prompt on the screen's last non-empty row (after
/// a full-screen program).
fn prompt_back(p: &Pty, after: &str) {
    ok(p.wait_screen(&format!("the prompt after {after}"), T, |v| {
        v.iter().rev().find(|l| !l.is_empty()).is_some_and(|l| l.ends_with(prompt()))
    }));
}

/// The terminal is cooked with echo and signal keys again (the shell puts
/// it back after every program, whatever mode the program left).
fn cooked_again(p: &Pty) {
    run_visible(p, "stty -a; echo typed after | tr a-z A-Z", &["-raw icanon isig echo onlcr", "TYPED AFTER"]);
}

/// Types `line` at the prompt and waits until the visible screen shows,
/// below the last row holding the typed line, rows containing `want` in
/// order and then the prompt; returns the rows after the typed line. Full
/// screen programs move the cursor and the shell goes on where they left
/// it, so only the visible screen tells what a command printed.
fn run_visible(p: &Pty, line: &str, want: &[&str]) -> Vec<String> {
    p.line(line);
    let after = |v: &[String]| -> Option<Vec<String>> {
        let i = v.iter().rposition(|l| l.ends_with(line))?;
        let rest = &v[i + 1..];
        let mut at = 0;
        for w in want {
            at += rest[at..].iter().position(|l| l.contains(w))? + 1;
        }
        rest[at..].iter().any(|l| l.ends_with(prompt())).then(|| rest.to_vec())
    };
    let v = ok(p.wait_screen(&format!("{want:?} after {line:?}"), T, |v| after(v).is_some()));
    after(&v).unwrap_or_default()
}

#[test]
fn busybox_vi_edits_a_file() {
    let mut p = Pty::boot("linux-vi", COLS, ROWS);
    ok(p.wait_for(prompt(), BOOT));
    run(&mut p, "echo 'first line' > notes.txt; echo made", "made");
    p.line("vi notes.txt");
    // vi's screen: the file, then `~` rows down to the status line (it
    // asked the window's size: 30 rows).
    let v = ok(p.wait_screen("vi's screen", T, |v| {
        v.len() == usize::from(ROWS) && v[0] == "first line" && v[1] == "~" && v[28] == "~"
    }));
    assert!(v[29].contains("notes.txt"), "status line: {v:?}");
    // Insert a line above, leave insert mode with a lone ESC (vi waits
    // 50 ms for more of an escape sequence: poll's timeout), save and quit.
    p.send_keys(&["i"]);
    p.type_text("hello from vi");
    p.send_keys(&["Enter", "Escape"]);
    std::thread::sleep(Duration::from_secs(1));
    p.type_text(":wq");
    p.send_keys(&["Enter"]);
    prompt_back(&p, "vi");
    // The file, upper-cased by the guest (so it cannot be mistaken for
    // vi's screen), and a cooked terminal with echo.
    let out = run_visible(
        &p,
        "cat notes.txt | tr a-z A-Z; stty -a",
        &["HELLO FROM VI", "FIRST LINE", "-raw icanon isig echo onlcr"],
    );
    assert_eq!(out[..2], ["HELLO FROM VI", "FIRST LINE"], "{out:?}");
    // busybox stty: TCSETS, then TCGETS and TIOCGWINSZ from new processes
    // see the console's mode and the pane's size; the next command line
    // is cooked again, and the native stty sees what busybox set (raw,
    // signal keys kept).
    run_visible(
        &p,
        "busybox stty -icanon -echo -isig; busybox stty -a; busybox stty size",
        &["speed 38400 baud; rows 30; columns 100;", "-isig -icanon iexten -echo", "30 100"],
    );
    run_visible(&p, "busybox stty -a | grep iexten", &["isig icanon iexten echo"]);
    run_visible(&p, "busybox stty -icanon -echo; stty -a", &["raw -icanon isig -echo onlcr"]);
    // ISIG stays on in vi's raw mode: Ctrl-\ quits it (SIGQUIT, which vi
    // does not catch) and the file is untouched.
    p.line("vi notes.txt");
    ok(p.wait_screen("vi's screen again", T, |v| v.len() > 2 && v[0] == "hello from vi" && v[2] == "~"));
    p.send_keys(&["i"]);
    p.type_text("not saved");
    p.send_keys(&["C-\\"]);
    ok(p.wait_screen("the prompt after Ctrl-\\ in vi", T, |v| {
        v.iter().position(|l| l.contains("Quit")).is_some_and(|i| v[i + 1..].iter().any(|l| l.ends_with(prompt())))
    }));
    let out = run_visible(
        &p,
        "echo status $?; cat notes.txt | tr a-z A-Z; stty -a",
        &["status 131", "HELLO FROM VI", "FIRST LINE", "-raw icanon isig echo onlcr"],
    );
    assert!(!out.iter().any(|l| l.contains("NOT SAVED")), "{out:?}");
    p.line("exit 0");
    ok(p.wait_screen("the runner's status", T, |v| v.iter().any(|l| l.contains(&format!("{RUNNER_STATUS}0")))));
}

/// The rows `first..=last` of `nums.txt` on rows 0.. of the screen.
fn shows(v: &[String], first: u32, last: u32) -> bool {
    v.len() == usize::from(ROWS) && (first..=last).enumerate().all(|(row, n)| v[row] == n.to_string())
}

#[test]
fn busybox_less_pages_a_file() {
    let mut p = Pty::boot("linux-less", COLS, ROWS);
    ok(p.wait_for(prompt(), BOOT));
    run(&mut p, "busybox seq 1 200 > nums.txt; echo made", "made");
    p.line("less nums.txt");
    // The first screen: lines 1..29 and less's prompt on the last row.
    let v = ok(p.wait_screen("less's first screen", T, |v| shows(v, 1, 29)));
    assert!(!v.iter().any(|l| l == "30"), "{v:?}");
    // Space pages forward; q quits.
    p.send_keys(&["Space"]);
    ok(p.wait_screen("less's second screen", T, |v| shows(v, 30, 58)));
    p.send_keys(&["q"]);
    prompt_back(&p, "q in less");
    cooked_again(&p);
    // Ctrl-C ends it too (ISIG), and the terminal comes back cooked.
    p.line("less nums.txt");
    ok(p.wait_screen("less's first screen again", T, |v| shows(v, 1, 29)));
    p.send_keys(&["C-c"]);
    prompt_back(&p, "Ctrl-C in less");
    cooked_again(&p);
    // Interactive busybox sh: job control (TIOCGPGRP, setpgid, TIOCSPGRP
    // for itself and each job) and its line editor (raw termios, poll).
    p.line("busybox sh -i");
    ok(p.wait_screen("busybox sh's prompt", T, |v| {
        v.iter().rev().find(|l| !l.is_empty()).is_some_and(|l| l.ends_with(" $"))
    }));
    p.line("echo in ash | tr a-z A-Z");
    ok(p.wait_screen("a command in busybox sh", T, |v| v.iter().any(|l| l == "IN ASH")));
    p.line("exit");
    prompt_back(&p, "busybox sh");
    cooked_again(&p);
    p.line("exit 0");
    ok(p.wait_screen("the runner's status", T, |v| v.iter().any(|l| l.contains(&format!("{RUNNER_STATUS}0")))));
}
