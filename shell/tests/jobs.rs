//! Background jobs, `$!`, `wait` and `jobs`.

mod common;
use common::*;

#[test]
fn background_program_and_wait() {
    let mut h = Harness::new();
    h.run("status 3 & echo started $!; wait $!; echo status $?");
    assert_eq!(h.stdout(), "started 200\nstatus 3\n");
    let spawns = h.spawns();
    assert_eq!(spawns.len(), 1);
    assert_eq!(spawns[0].argv, ["status", "3"]);
    h.assert_no_leaks();
}

#[test]
fn background_does_not_wait() {
    let mut h = Harness::new();
    h.run("sleep 5 &");
    // The child has not run: nobody waited for it.
    assert_eq!(h.world.borrow().procs[&200].state, State::Pending);
    assert_eq!(h.sh.status(), 0);
    h.run("wait");
    assert!(matches!(h.world.borrow().procs[&200].state, State::Reaped));
}

#[test]
fn background_pipeline() {
    let mut h = Harness::new();
    h.run("cat /etc/motd | grep wel > /tmp/bg & wait $!; echo $?; cat /tmp/bg");
    assert_eq!(h.stdout(), "0\nwelcome\n");
    h.assert_no_leaks();
}

#[test]
fn wait_without_arguments_waits_for_all() {
    let mut h = Harness::new();
    h.run("status 1 & status 2 & echo > /tmp/x & wait; echo $?");
    assert_eq!(h.stdout(), "0\n");
    let w = h.world.borrow();
    assert!(w.procs.iter().filter(|(pid, _)| **pid >= 200).all(|(_, p)| p.state == State::Reaped));
}

#[test]
fn wait_for_job_numbers_and_unknown_ids() {
    let mut h = Harness::new();
    h.run("status 4 & status 5 & wait %2; echo $?; wait %1; echo $?; wait %1; echo $?; wait 999; echo $?");
    assert_eq!(h.stdout(), "5\n4\n127\n127\n");
    assert_eq!(h.stderr(), "sh: wait: %1: no such job\nsh: wait: 999: no such job\n");
}

#[test]
fn background_compound_commands_run_in_a_new_shell() {
    let mut h = Harness::new();
    h.run("x=local; export E=exp; { echo $x $E; status 6; } & wait $!; echo $?");
    assert_eq!(h.stdout(), "local exp\n6\n");
    let spawns = h.spawns();
    assert_eq!(spawns[0].path, "/bin/sh");
    assert_eq!(spawns[0].argv[1], "-c");
    assert!(spawns[0].argv[2].ends_with("x=local\n{ echo $x $E; status 6; }"), "{:?}", spawns[0].argv[2]);
    assert!(spawns[0].env.contains(&"E=exp".to_string()));
    h.clear();
    h.run("echo builtin-bg & wait");
    assert_eq!(h.stdout(), "builtin-bg\n");
    h.clear();
    h.run("false || echo alt & wait");
    assert_eq!(h.stdout(), "alt\n");
    h.assert_no_leaks();
}

#[test]
fn jobs_lists_running_and_done() {
    let mut h = Harness::new();
    h.run("sleep 10 & status 2 &");
    h.world.borrow_mut().busy.insert(200);
    h.run("jobs");
    assert_eq!(h.stdout(), "[1]  Running\tsleep 10 &\n[2]  Exit 2\tstatus 2 &\n");
    h.clear();
    h.run("jobs");
    assert_eq!(h.stdout(), "[1]  Running\tsleep 10 &\n");
    h.world.borrow_mut().busy.clear();
    h.clear();
    h.run("sleep 1 &");
    h.run("jobs");
    assert_eq!(h.stdout(), "[1]  Done\tsleep 10 &\n[2]  Done\tsleep 1 &\n");
}

#[test]
fn interactive_shell_reports_jobs() {
    let mut h = Harness::new();
    h.world.borrow_mut().tty = true;
    h.world.borrow_mut().stdin.extend(b"sleep 2 &\recho next\r\x04");
    let st = h.sh.main(&["sh".to_string()]);
    assert_eq!(st, 0);
    let err = h.stderr();
    assert!(err.contains("[1] 200\n"), "{err:?}");
    assert!(err.contains("[1]+ Done\tsleep 2 &\n"), "{err:?}");
    assert_eq!(h.stdout(), "next\n");
}

#[test]
fn foreground_jobs_are_announced_to_the_terminal() {
    let mut h = Harness::new();
    h.world.borrow_mut().tty = true;
    h.world.borrow_mut().stdin.extend(b"cat /etc/motd | wc\r\x04");
    h.sh.main(&["sh".to_string()]);
    assert_eq!(h.world.borrow().foreground, vec![vec![200, 201], vec![]]);
    assert_eq!(h.stdout(), "1\n");
}

#[test]
fn job_reaping_leaves_foreground_stages_alone() {
    let mut h = Harness::new();
    h.run("status 2 & jobs | status 3; echo $?; jobs");
    assert_eq!(h.stdout(), "3\n");
}
