//! The interactive shell over a mock terminal, as a user types.

mod common;
use common::*;

/// Type `keys` into an interactive shell; returns (status, stdout, terminal output on fd 2).
fn session(keys: &str) -> (i32, String, String, Harness) {
    let mut h = Harness::new();
    h.world.borrow_mut().tty = true;
    h.world.borrow_mut().stdin.extend(keys.as_bytes());
    let st = h.sh.main(&["sh".to_string()]);
    let (o, e) = (h.stdout(), h.stderr());
    (st, o, e, h)
}

const PROMPT: &str = "root:sysadm_t:/home/user$ ";

#[test]
fn prompt_shows_user_type_and_cwd() {
    let (st, out, term, _) = session("echo hi\rcd /tmp\r\x04");
    assert_eq!(st, 0);
    assert_eq!(out, "hi\n");
    assert_eq!(term, format!("{PROMPT}echo hi\r\n{PROMPT}cd /tmp\r\nroot:sysadm_t:/tmp$ exit\r\n"));
}

#[test]
fn prompt_falls_back_to_the_context_user_and_honours_ps1() {
    let mut h = Harness::new();
    h.run("unset USER");
    h.world.borrow_mut().context = "staff_u:staff_r:staff_t:s0".into();
    assert_eq!(h.sh.prompt(), "staff_u:staff_t:/home/user$ ");
    h.run("PS1='\\u@\\h \\Z \\w \\W\\$ '; cd /tmp");
    assert_eq!(h.sh.prompt(), "staff_u@rampart staff_t /tmp tmp$ ");
    h.run("cd; USER=root");
    assert_eq!(h.sh.prompt(), "root@rampart staff_t ~ user# ");
}

#[test]
fn ps1_escapes_and_parameter_expansion() {
    let mut h = Harness::new();
    h.run("PS1='\\s-\\! \\H:\\h \\[\\e[1m\\]\\$\\[\\e[0m\\] '; HOSTNAME=box.example");
    assert_eq!(h.sh.prompt(), "sh-1 box.example:box \x1b[1m#\x1b[0m ");
    h.run("PS1='$PWD [$(echo sub)] ${USER}\\$ '; cd /tmp");
    assert_eq!(h.sh.prompt(), "/tmp [sub] root# ");
    h.run("PS1='cost: $ 5 \\u$'");
    assert_eq!(h.sh.prompt(), "cost: $ 5 root$");
    // A bad expansion leaves the text as it is; $? is not disturbed.
    h.run("PS1='${x?} $(' ; false");
    assert_eq!(h.sh.prompt(), "${x?} $(");
    assert_eq!(h.sh.status(), 1);
}

#[test]
fn history_recall_with_arrow_keys() {
    let (_, out, _, h) = session("echo one\recho two\r\x1b[A\x1b[A\r\x1b[A\x7f\x7f\x7fthree\r\x04");
    assert_eq!(out, "one\ntwo\none\nthree\n");
    let hist: Vec<String> = h.sh.history().numbered().map(|(_, l)| l.to_string()).collect();
    assert_eq!(hist, ["echo one", "echo two", "echo one", "echo three"]);
}

#[test]
fn ctrl_c_cancels_the_line_and_sets_status() {
    let (_, out, term, _) = session("echo never\x03echo $?\r\x04");
    assert_eq!(out, "130\n");
    assert!(term.contains("echo never^C\r\n"), "{term:?}");
}

#[test]
fn ctrl_d_on_an_empty_line_exits_with_the_last_status() {
    let (st, _, term, _) = session("false\r\x04");
    assert_eq!(st, 1);
    assert!(term.ends_with("exit\r\n"));
    // End of input (the terminal closed) exits too.
    let (st, _, _, _) = session("status 3\r");
    assert_eq!(st, 3);
}

#[test]
fn exit_builtin_ends_the_session() {
    let (st, out, _, _) = session("exit 5\recho after\r");
    assert_eq!((st, out.as_str()), (5, ""));
}

#[test]
fn continuation_lines_for_unfinished_commands() {
    let (_, out, term, h) = session("if true\rthen echo yes\rfi\recho 'a\rb'\r\x04");
    assert_eq!(out, "yes\na\nb\n");
    assert!(term.contains("if true\r\n> then echo yes\r\n> fi\r\n"), "{term:?}");
    let hist: Vec<String> = h.sh.history().numbered().map(|(_, l)| l.to_string()).collect();
    assert_eq!(hist, ["if true\nthen echo yes\nfi", "echo 'a\nb'"]);
}

#[test]
fn syntax_errors_do_not_end_the_session() {
    let (st, out, term, _) = session("fi\recho $?\recho ok\r\x04");
    assert_eq!(out, "2\nok\n");
    assert!(term.contains("sh: syntax error: unexpected 'fi' (line 1, column 1)\n"), "{term:?}");
    assert_eq!(st, 0);
    // Ctrl-D inside an unfinished command reports it.
    let (_, _, term, _) = session("if true\r\x04\x04");
    assert!(term.contains("syntax error: unexpected end of input (expecting 'then')"), "{term:?}");
}

#[test]
fn not_found_and_denied_messages() {
    let (_, out, term, _) = session("foo\recho $?\rcat /etc/secret\recho $?\r\x04");
    assert_eq!(out, "127\n1\n");
    assert!(term.contains("sh: foo: command not found\n"), "{term:?}");
    assert!(term.contains("cat: /etc/secret: Permission denied\n"), "{term:?}");
}

#[test]
fn terminal_is_raw_only_while_editing() {
    let (_, _, _, h) = session("true\r\x04");
    assert_eq!(h.world.borrow().raw_mode, vec![true, false, true, false]);
}

#[test]
fn typeahead_is_not_lost() {
    // Several lines arrive in one read.
    let (_, out, _, _) = session("echo 1\recho 2\recho 3\r\x04");
    assert_eq!(out, "1\n2\n3\n");
}

#[test]
fn interactive_flag_in_dollar_dash() {
    // `m`: job control is on, the mock terminal being the controlling one.
    let (_, out, _, _) = session("echo $-\rset -e\rfalse\recho still\r\x04");
    assert_eq!(out, "im\n");
}
