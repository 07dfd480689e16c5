//! Interactive runs on a real pseudo-terminal (a detached tmux session,
//! `rampart_tests::pty`): `cargo run -p images -- run` makes the pane's
//! terminal the guest's. The guest learns the window size and follows
//! resizes (`stty size`), keys such as Ctrl-C reach the guest, QEMU's
//! `Ctrl-A` keys work, and however the run ends (`Ctrl-A x`, `SIGTERM` to
//! the runner, QEMU killed), the pane's terminal settings are as before
//! (`stty -a`); the shell's job control works as in bash (Ctrl-C, Ctrl-Z,
//! `jobs`, `fg`, `bg`, `kill %1`, `SIGTTIN`).

use rampart_tests::PROMPT;
use rampart_tests::pty::{BOOT, Pty, RUNNER_STATUS, children, comm};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(60);

/// The prompt as `capture-pane` shows it (trailing blanks dropped).
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

#[test]
fn window_size_follows_the_terminal() {
    let mut p = Pty::boot("size", 100, 30);
    ok(p.wait_for("Ctrl-A x quits QEMU", BOOT));
    // A quiet console (docs/console.md): the banner, then the prompt; no
    // server lines.
    let boot = ok(p.wait_for(prompt(), BOOT));
    assert!(boot.contains("booting..."), "banner missing:\n{boot}");
    for noise in ["secsrv:", "netdrv:", "init:", "Rampart microkernel"] {
        assert!(!boot.contains(noise), "{noise:?} on a quiet console:\n{boot}");
    }
    run(&mut p, "stty size", "30 100");
    p.resize(120, 40);
    run(&mut p, "stty size", "40 120");
    let all = run(&mut p, "stty -a", "-raw icanon isig echo onlcr");
    assert!(all.contains("rows 40; columns 120;"), "{all}");
    // Resizes while a program reads in cooked mode are taken out of its input.
    p.line("read x; echo \"got $x.\"");
    std::thread::sleep(Duration::from_secs(1));
    p.resize(90, 25);
    std::thread::sleep(Duration::from_millis(500));
    p.line("typed");
    ok(p.wait_for("got typed.", T));
    ok(p.wait_for(prompt(), T));
    run(&mut p, "stty size", "25 90");
    // Ctrl-C goes to the guest as a byte: the guest stops its program and
    // the runner goes on.
    p.line("sleep 1000");
    std::thread::sleep(Duration::from_secs(2));
    p.send_keys(&["C-c"]);
    ok(p.wait_for(prompt(), T));
    run(&mut p, "echo still here", "still here");
    // QEMU's help key.
    p.send_keys(&["C-a", "h"]);
    ok(p.wait_for("C-a x    exit emulator", T));
    // exit powers off with the shell's status, which the runner returns.
    p.line("exit 3");
    ok(p.wait_for(&format!("{RUNNER_STATUS}3"), T));
}

/// Job control at a real terminal (issue 20): the signal keys reach the
/// foreground job's process group, never the shell; Ctrl-Z stops a job,
/// `bg` and `fg` continue it; `kill %1` ends a background job; a background
/// job reading the terminal is stopped by `SIGTTIN`.
#[test]
fn job_control_at_the_terminal() {
    let mut p = Pty::boot("jobs", 100, 30);
    ok(p.wait_for(prompt(), BOOT));
    // Ctrl-C ends the foreground job (`cat` reading the terminal) only.
    p.line("cat");
    std::thread::sleep(Duration::from_secs(2));
    p.send_keys(&["C-c"]);
    ok(p.wait_for(prompt(), T));
    run(&mut p, "echo status $?", "status 130");
    // A background job: listed as running, then killed by job number.
    p.line("sleep 100 &");
    ok(p.wait_for("[1] ", T));
    ok(p.wait_for(prompt(), T));
    run(&mut p, "jobs", "[1]+  Running                 sleep 100 &");
    p.line("kill %1");
    ok(p.wait_for("[1]+  Terminated              sleep 100", T));
    ok(p.wait_for(prompt(), T));
    // Ctrl-Z stops a foreground job: the prompt comes back, status 148.
    p.line("sleep 100");
    std::thread::sleep(Duration::from_secs(2));
    p.send_keys(&["C-z"]);
    ok(p.wait_for("[1]+  Stopped                 sleep 100", T));
    ok(p.wait_for(prompt(), T));
    run(&mut p, "echo status $?", "status 148");
    run(&mut p, "bg", "[1]+ sleep 100 &");
    run(&mut p, "jobs", "[1]+  Running                 sleep 100 &");
    // Back in the foreground it owns the keys again.
    p.line("fg");
    ok(p.wait_for("sleep 100", T));
    std::thread::sleep(Duration::from_secs(2));
    p.send_keys(&["C-c"]);
    ok(p.wait_for(prompt(), T));
    run(&mut p, "echo status $?", "status 130");
    run(&mut p, "echo \"jobs:$(jobs).\"", "jobs:.");
    // A background reader of the terminal stops; in the foreground it reads.
    p.line("cat &");
    ok(p.wait_for(prompt(), T));
    std::thread::sleep(Duration::from_secs(3));
    run(&mut p, "jobs", "[1]+  Stopped(SIGTTIN)        cat");
    p.line("fg %cat");
    ok(p.wait_for("cat", T));
    std::thread::sleep(Duration::from_secs(1));
    p.line("typed to cat");
    ok(p.wait_for("typed to cat", T));
    p.send_keys(&["C-d"]);
    ok(p.wait_for(prompt(), T));
    run(&mut p, "echo status $?", "status 0");
    // A background job cannot take the terminal from the shell: its
    // tcsetpgrp stops it (SIGTTOU); continued in the foreground, it may.
    p.line("fstest tcsetpgrp &");
    ok(p.wait_for(prompt(), T));
    std::thread::sleep(Duration::from_secs(3));
    run(&mut p, "jobs", "Stopped(SIGTTOU)");
    run(&mut p, "echo still the shell", "still the shell");
    p.line("fg");
    ok(p.wait_for("fstest: tcsetpgrp: Ok(())", T));
    ok(p.wait_for(prompt(), T));
    p.line("exit 0");
    ok(p.wait_for(&format!("{RUNNER_STATUS}0"), T));
}

#[test]
fn ctrl_a_x_quits_and_restores_the_terminal() {
    let mut p = Pty::boot("quit", 100, 30);
    ok(p.wait_for(prompt(), BOOT));
    // A command first: the guest is back in the shell's line editor (its
    // side of the line in raw mode) when QEMU quits.
    run(&mut p, "echo ready", "ready");
    let (runner, _) = runner_and_qemu(&p);
    p.send_keys(&["C-a", "x"]);
    // QEMU quits with status 0, which carries no guest status.
    ok(p.wait_for(&format!("{RUNNER_STATUS}0"), T));
    restored(&p, runner);
}

/// The runner under the pane's shell (cargo execs it) and its QEMU.
fn runner_and_qemu(p: &Pty) -> (u32, u32) {
    let runner = children(p.shell_pid()).into_iter().find(|&c| comm(c).as_deref() == Some("images"));
    let runner = runner.unwrap_or_else(|| panic!("no runner under the pane's shell:\n{}", p.screen()));
    let qemu = children(runner).into_iter().find(|&c| comm(c).is_some_and(|n| n.starts_with("qemu")));
    (runner, qemu.unwrap_or_else(|| panic!("no QEMU under the runner")))
}

fn kill(signal: &str, pid: u32) {
    let st = std::process::Command::new("kill").args([signal, &pid.to_string()]).status().unwrap();
    assert!(st.success(), "kill {signal} {pid}");
}

/// Waits until the pane's shell saved `stty -a` after the run and `gone`
/// has exited; then compares the settings with those before.
fn restored(p: &Pty, gone: u32) {
    let until = Instant::now() + T;
    while (p.stty_after().is_empty() || comm(gone).is_some()) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(comm(gone), None, "pid {gone} outlived the run");
    assert!(!p.stty_before().is_empty());
    assert_eq!(p.stty_before(), p.stty_after(), "stty -a before and after the run");
}

#[test]
fn sigterm_restores_the_terminal_and_stops_qemu() {
    let mut p = Pty::boot("term", 100, 30);
    ok(p.wait_for(prompt(), BOOT));
    let (runner, qemu) = runner_and_qemu(&p);
    kill("-TERM", runner);
    // The runner dies of SIGTERM: the shell reports 128 + 15.
    ok(p.wait_for(&format!("{RUNNER_STATUS}143"), T));
    restored(&p, qemu);
}

#[test]
fn a_qemu_crash_restores_the_terminal() {
    let mut p = Pty::boot("crash", 100, 30);
    ok(p.wait_for(prompt(), BOOT));
    let (runner, qemu) = runner_and_qemu(&p);
    kill("-KILL", qemu);
    // No guest status: the runner exits with QEMU's -1 (255).
    ok(p.wait_for(&format!("{RUNNER_STATUS}255"), T));
    restored(&p, runner);
}
