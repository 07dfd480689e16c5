//! Background jobs, `$!`, `wait` and `jobs`; job control (`set -m`):
//! process groups, the terminal's foreground, stops, `fg`, `bg`, `kill`.

mod common;
use common::*;

/// A job-control session: `input` typed at an interactive shell on a
/// terminal (Ctrl-D at the end); returns (status, stdout, stderr).
fn session(h: &mut Harness, input: &str) -> (i32, String, String) {
    h.world.borrow_mut().tty = true;
    h.world.borrow_mut().stdin.extend(input.replace('\n', "\r").bytes());
    h.world.borrow_mut().stdin.push_back(4);
    let st = h.sh.main(&["sh".to_string()]);
    (st, h.stdout(), h.stderr())
}

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
    h.clear();
    h.run("status 6 & wait %sta; echo $?");
    assert_eq!(h.stdout(), "6\n");
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
    assert_eq!(h.stdout(), "[1]-  Running                 sleep 10 &\n[2]+  Exit 2                  status 2\n");
    h.clear();
    h.run("jobs");
    assert_eq!(h.stdout(), "[1]+  Running                 sleep 10 &\n");
    h.clear();
    h.run("jobs -l; jobs -p; jobs %1 %3");
    assert_eq!(
        h.stdout(),
        "[1]+ 200   Running                 sleep 10 &\n200\n[1]+  Running                 sleep 10 &\n"
    );
    assert_eq!(h.stderr(), "sh: jobs: %3: no such job\n");
    h.world.borrow_mut().busy.clear();
    h.clear();
    h.run("sleep 1 &");
    h.run("jobs");
    assert_eq!(h.stdout(), "[1]-  Done                    sleep 10\n[2]+  Done                    sleep 1\n");
}

#[test]
fn without_job_control_jobs_share_the_shells_group() {
    let mut h = Harness::new();
    h.run("cat /etc/motd | wc; sleep 1 &");
    assert!(h.spawns().iter().all(|s| s.pgid == 2), "{:?}", h.spawns());
    assert!(h.world.borrow().foreground.is_empty());
    h.run("fg; bg");
    assert_eq!(h.sh.status(), 1);
    assert_eq!(h.stderr(), "sh: fg: no job control\nsh: bg: no job control\n");
}

#[test]
fn interactive_shell_reports_finished_jobs_before_the_prompt() {
    let mut h = Harness::new();
    let (st, out, err) = session(&mut h, "sleep 2 &\necho next\nstatus 3 &\nkill -9 %1\n:\n");
    assert_eq!(st, 0);
    assert!(err.contains("[1] 200\n"), "{err:?}");
    assert!(err.contains("[1]+  Done                    sleep 2\n"), "{err:?}");
    assert!(err.contains("[1]+  Exit 3                  status 3\n"), "{err:?}");
    assert_eq!(out, "next\n");
    // Reported once, then forgotten: `kill %1` found no job.
    assert!(err.contains("sh: kill: %1: no such job\n"), "{err:?}");
}

#[test]
fn every_job_gets_its_own_group_and_the_terminal() {
    let mut h = Harness::new();
    let (_, out, _) = session(&mut h, "cat /etc/motd | wc\necho $-\nsleep 5 &\n");
    assert_eq!(out, "1\nim\n");
    let pgids: Vec<(u32, u32)> = h.spawns().iter().map(|s| (s.pid, s.pgid)).collect();
    assert_eq!(pgids, [(200, 200), (201, 200), (202, 202)]);
    let w = h.world.borrow();
    // The shell leads its own group (100) and takes the terminal; the
    // pipeline gets it while it runs; the background job never; at exit
    // the terminal goes back to the group it came from (login's, 2).
    assert_eq!(w.procs[&SHELL_PID].pgid, SHELL_PID);
    assert_eq!(w.foreground, [100, 200, 100, 2]);
    assert_eq!(w.jc_signals, [true, false]);
}

#[test]
fn ctrl_z_stops_the_job_then_bg_and_fg_continue_it() {
    let mut h = Harness::new();
    h.world.borrow_mut().stops.insert(200, 20);
    h.world.borrow_mut().busy.insert(200);
    let (_, out, err) = session(&mut h, "sleep 100\necho status $?\njobs\nbg\njobs\nfg %1\necho status $?\njobs\n");
    assert!(err.contains("\n[1]+  Stopped                 sleep 100\n"), "{err:?}");
    assert_eq!(
        out,
        "status 148\n[1]+  Stopped                 sleep 100\n[1]+ sleep 100 &\n\
         [1]+  Running                 sleep 100 &\nsleep 100\nstatus 0\n"
    );
    let w = h.world.borrow();
    assert_eq!(w.signals, [(-200, 18), (-200, 18)], "bg and fg continue the group");
    assert_eq!(w.foreground, [100, 200, 100, 200, 100, 2]);
    assert_eq!(w.procs[&200].state, State::Reaped);
}

#[test]
fn kill_terminates_a_job_and_the_status_is_128_plus_the_signal() {
    let mut h = Harness::new();
    h.world.borrow_mut().busy.extend([200, 201]);
    let (_, out, err) = session(&mut h, "sleep 100 &\nkill %1\njobs\nsleep 7 &\nkill -s INT %%; wait %1; echo $?\n");
    // The next prompt reports the end (and forgets the job: `jobs` is empty).
    assert!(err.contains("[1]+  Terminated              sleep 100\n"), "{err:?}");
    assert_eq!(out, "130\n");
    assert!(!err.contains("sh: kill"), "{err:?}");
    assert_eq!(h.world.borrow().signals, [(-200, 15), (-201, 2)]);
}

#[test]
fn kill_takes_signal_names_numbers_and_pids() {
    let mut h = Harness::new();
    h.world.borrow_mut().busy.extend([200, 201]);
    h.run("sleep 1 & sleep 2 & kill -9 $!; kill -KILL %1; kill -n 0 $$; kill 999; echo $?; kill %7");
    assert_eq!(h.world.borrow().signals, [(201, 9), (200, 9), (100, 0), (999, 15)]);
    assert_eq!(h.stdout(), "1\n");
    assert_eq!(h.stderr(), "sh: kill: (999) - No such process\nsh: kill: %7: no such job\n");
    h.clear();
    h.run("kill -l 130 TERM; kill -l; kill -BOGUS 1; echo $?; kill; echo $?");
    let out = h.stdout();
    assert!(
        out.starts_with("INT\n15\n 1) SIGHUP      2) SIGINT      3) SIGQUIT     4) SIGILL      5) SIGTRAP\n"),
        "{out:?}"
    );
    assert!(out.contains("\n31) SIGSYS\n1\n2\n"), "{out:?}");
    assert!(h.stderr().starts_with("sh: kill: BOGUS: invalid signal specification\nsh: kill: usage:"));
    assert_eq!(h.run("command -v kill; type kill"), 0);
}

#[test]
fn killing_a_stopped_job_continues_it() {
    let mut h = Harness::new();
    h.world.borrow_mut().stops.insert(200, 20);
    let (_, out, _) = session(&mut h, "sleep 100\nkill %1\njobs\n");
    assert_eq!(out, "");
    assert_eq!(h.world.borrow().signals, [(-200, 15), (-200, 18)]);
    assert!(h.stderr().contains("[1]+  Terminated              sleep 100\n"), "{}", h.stderr());
}

#[test]
fn a_background_reader_stopped_by_sigttin_is_reported() {
    let mut h = Harness::new();
    h.world.borrow_mut().stops.insert(200, 21);
    let (_, out, err) = session(&mut h, "cat &\n:\njobs\n");
    assert!(err.contains("[1]+  Stopped(SIGTTIN)        cat\n"), "{err:?}");
    assert_eq!(out, "[1]+  Stopped(SIGTTIN)        cat\n");
}

#[test]
fn a_foreground_job_stopped_reading_before_it_had_the_terminal_is_continued() {
    let mut h = Harness::new();
    h.world.borrow_mut().stops.insert(200, 21);
    let (_, out, err) = session(&mut h, "cat /etc/motd\n");
    assert_eq!(out, "welcome\n");
    assert!(!err.contains("Stopped"), "{err:?}");
    assert_eq!(h.world.borrow().signals, [(-200, 18)]);
}

#[test]
fn ctrl_c_interrupts_the_wait_builtin_but_not_a_foreground_wait() {
    let mut h = Harness::new();
    h.world.borrow_mut().busy.insert(200);
    h.world.borrow_mut().interrupts = 2;
    let (_, out, _) = session(&mut h, "sleep 100 &\nwait %1; echo $?\ncat /etc/motd; echo $?\njobs\n");
    // The wait ends with 130 and the job is still there; `cat`'s wait is
    // made again (its job, not the shell, got the Ctrl-C).
    assert_eq!(out, "130\nwelcome\n0\n[1]+  Running                 sleep 100 &\n");
}

#[test]
fn ctrl_c_typed_while_a_job_starts_is_passed_to_it() {
    let mut h = Harness::new();
    h.world.borrow_mut().sigint = true;
    h.world.borrow_mut().sigint_at_spawn = true;
    let (_, out, _) = session(&mut h, "sleep 100; echo $?\nsleep 1 &\n");
    // The Ctrl-C before the command is forgotten; the one during the spawn
    // reaches the job; a background job gets none.
    assert_eq!(out, "130\n");
    assert_eq!(h.world.borrow().signals, [(-200, 2)]);
}

#[test]
fn fg_names_the_signal_that_killed_the_job() {
    let mut h = Harness::new();
    h.world.borrow_mut().stops.insert(200, 20);
    let (_, out, err) = session(&mut h, "crash\nfg; echo $?\n");
    assert_eq!(out, "crash\n139\n");
    assert!(err.contains("Segmentation fault\n"), "{err:?}");
}

#[test]
fn current_and_previous_jobs() {
    let mut h = Harness::new();
    h.world.borrow_mut().stops.insert(201, 20);
    h.world.borrow_mut().busy.extend([200, 202]);
    let (_, out, _) = session(&mut h, "sleep 1 &\nsleep 2\nsleep 3 &\njobs\nfg %-\n");
    // The stopped job stays current although `sleep 3` started later.
    assert_eq!(
        out,
        "[1]   Running                 sleep 1 &\n[2]+  Stopped                 sleep 2\n\
         [3]-  Running                 sleep 3 &\nsleep 3\n"
    );
}

#[test]
fn job_reaping_leaves_foreground_stages_alone() {
    let mut h = Harness::new();
    h.run("status 2 & jobs | status 3; echo $?; jobs");
    assert_eq!(h.stdout(), "3\n");
}

#[test]
fn no_job_control_without_a_controlling_terminal() {
    let mut h = Harness::new();
    h.world.borrow_mut().stdin.extend(b"echo $-\n");
    let st = h.sh.main(&["sh".to_string(), "-i".to_string()]);
    assert_eq!(st, 0);
    assert_eq!(h.stdout(), "i\n");
    assert!(h.world.borrow().jc_signals.is_empty());
}
