//! sigtest: the in-guest test suite of signals and job control
//! (docs/signals.md). init starts it as the first program with
//! `init.test=sig`; it prints one line per check, then
//! `sigtest: N passed, M failed`, and exits 0 if everything passed.
//!
//! It plays the attacker's side too: a child that forges its signal block
//! (every signal blocked, "in a call" forever), a forged `sigreturn`, a
//! handler entry in kernel space.
#![no_std]
#![no_main]

extern crate alloc;

// The signal block is a page rm writes concurrently: viewed as atomics
// through a raw pointer.
#[allow(unsafe_code)]
mod child;

use alloc::string::String;
use alloc::vec::Vec;
use rampart_rm_api::{ChildEvent, ExitStatus, Image, Pid, Spawn, WaitFor};
use rampart_rt::rm::{self, WaitOptions};
use rampart_rt::signal::{self, Action, Options};
use rampart_rt::{dprintln, jobs};
use rampart_uabi::Errno;

rampart_rt::program!(main);

struct T {
    passed: u32,
    failed: u32,
}

impl T {
    fn check(&mut self, ok: bool, what: &str) {
        if ok {
            self.passed += 1;
            dprintln!("sigtest: ok   {what}");
        } else {
            self.failed += 1;
            dprintln!("sigtest: FAIL {what}");
        }
    }
}

fn spawn(args: &[&str], pgroup: Option<Pid>) -> Result<Pid, Errno> {
    let mut argv: Vec<String> = alloc::vec!["sigtest".into()];
    argv.extend(args.iter().map(|s| String::from(*s)));
    rm::spawn(Spawn { image: Some(Image::Bootfs("sigtest".into())), argv, pgroup, ..Default::default() })
}

fn status(pid: Pid) -> Option<ExitStatus> {
    match rm::wait(Some(pid), true) {
        Ok(Some((p, s))) if p == pid => Some(s),
        r => {
            dprintln!("sigtest: wait for {pid} gave {r:?}");
            None
        }
    }
}

fn pause(n: u32) {
    for _ in 0..n {
        rampart_rt::syscall::yield_now();
    }
}

/// Waits for child `pid` to stop itself (its handlers are in place),
/// continues it, then sends `sig` every few yields until it ends; its
/// status.
fn pester(pid: Pid, sig: u8) -> Option<ExitStatus> {
    let stopped = WaitOptions { block: true, stopped: true, ..WaitOptions::default() };
    if !matches!(event(pid, stopped), Some(ChildEvent::Stopped(_))) {
        dprintln!("sigtest: child {pid} did not report ready");
    }
    let _ = signal::kill(pid, signal::SIGCONT);
    for _ in 0..20_000 {
        if let Ok(Some((_, s))) = rm::wait(Some(pid), false) {
            return Some(s);
        }
        let _ = signal::kill(pid, sig);
        pause(20);
    }
    let _ = rm::kill(pid);
    let _ = rm::wait(Some(pid), true);
    None
}

fn event(pid: Pid, o: WaitOptions) -> Option<ChildEvent> {
    match rm::wait_for(WaitFor::Pid(pid), o) {
        Ok(Some((p, e))) if p == pid => Some(e),
        _ => None,
    }
}

fn main() -> i32 {
    let args = rampart_rt::process::args();
    if let Some(mode) = args.get(1) {
        return child::run(mode);
    }
    let mut t = T { passed: 0, failed: 0 };
    let signaled = |s| Some(ExitStatus::Signaled(s));

    t.check(child::handler_runs(), "a handler runs when the signal is raised, with its number");
    t.check(child::mask_defers(), "a blocked signal waits in pending and runs when unblocked");
    for sig in [signal::SIGKILL, signal::SIGSTOP] {
        let r = signal::set_action(sig, Action::Handle(|_| {}), Options::default());
        t.check(matches!(r, Err(Errno::EINVAL)), "SIGKILL and SIGSTOP cannot be caught");
        let r = signal::set_action(sig, Action::Ignore, Options::default());
        t.check(matches!(r, Err(Errno::EINVAL)), "SIGKILL and SIGSTOP cannot be ignored");
    }
    t.check(signal::kill(1, 0) == Err(Errno::EPERM), "init cannot be signalled");
    t.check(signal::kill(99_999, 0) == Err(Errno::ESRCH), "no such process is ESRCH");
    t.check(signal::kill(rampart_rt::process::pid(), 65) == Err(Errno::EINVAL), "signal 65 is EINVAL");

    // Default actions.
    for (sig, what) in [(signal::SIGTERM, "SIGTERM"), (signal::SIGINT, "SIGINT"), (signal::SIGQUIT, "SIGQUIT")] {
        let st = spawn(&["spin"], None).ok().and_then(|p| {
            let _ = signal::kill(p, sig);
            status(p)
        });
        t.check(st == signaled(sig), &alloc::format!("{what} ends a process that does not catch it"));
    }
    let st = spawn(&["ignore-term"], None).ok().and_then(|p| {
        pause(200);
        let _ = signal::kill(p, signal::SIGTERM);
        pause(200);
        let alive = rm::wait(Some(p), false) == Ok(None);
        let _ = signal::kill(p, signal::SIGKILL);
        status(p).filter(|_| alive)
    });
    t.check(st == signaled(signal::SIGKILL), "an ignored SIGTERM does nothing; SIGKILL still ends it");

    // The attacker's block.
    let st = spawn(&["forge-mask"], None).ok().and_then(|p| {
        pause(200);
        let _ = signal::kill(p, signal::SIGKILL);
        status(p)
    });
    t.check(st == signaled(signal::SIGKILL), "a forged mask of every signal does not block SIGKILL");
    let st = spawn(&["forge-state"], None).ok().and_then(|p| {
        pause(200);
        let _ = signal::kill(p, signal::SIGTERM);
        status(p)
    });
    t.check(st == signaled(signal::SIGTERM), "claiming to be in a call forever does not stop a termination");
    let st = spawn(&["forge-sigreturn"], None).ok().and_then(status);
    t.check(st == signaled(signal::SIGSEGV), "a sigreturn without a handler running ends the forger (SIGSEGV)");
    let st = spawn(&["bad-entry"], None).ok().and_then(status);
    t.check(matches!(st, Some(ExitStatus::Faulted(_))), "a handler at a kernel address faults only its own task");

    // Stop and continue.
    let stopped = WaitOptions { block: true, stopped: true, ..WaitOptions::default() };
    let continued = WaitOptions { block: true, continued: true, ..WaitOptions::default() };
    if let Ok(p) = spawn(&["spin"], None) {
        let _ = signal::kill(p, signal::SIGSTOP);
        t.check(event(p, stopped) == Some(ChildEvent::Stopped(signal::SIGSTOP)), "SIGSTOP stops; wait reports it");
        t.check(
            rm::wait_for(WaitFor::Pid(p), WaitOptions { stopped: true, ..WaitOptions::default() }) == Ok(None),
            "a stop is reported once",
        );
        let _ = signal::kill(p, signal::SIGCONT);
        t.check(event(p, continued) == Some(ChildEvent::Continued), "SIGCONT continues; wait reports it");
        let _ = signal::kill(p, signal::SIGTSTP);
        t.check(
            event(p, stopped) == Some(ChildEvent::Stopped(signal::SIGTSTP)),
            "SIGTSTP stops a process that does not catch it",
        );
        let _ = signal::kill(p, signal::SIGKILL);
        t.check(status(p) == signaled(signal::SIGKILL), "SIGKILL ends a stopped process");
    }

    // Handlers and blocking calls.
    let st = spawn(&["waitintr"], None).ok().and_then(|p| pester(p, signal::SIGUSR1));
    t.check(st == Some(ExitStatus::Exited(0)), "a handler interrupts a blocking wait: EINTR");
    let st = spawn(&["waitrestart"], None).ok().and_then(|p| pester(p, signal::SIGUSR1));
    t.check(st == Some(ExitStatus::Exited(0)), "with SA_RESTART the wait goes on and collects the child");
    let st = spawn(&["regs"], None).ok().and_then(|p| pester(p, signal::SIGUSR1));
    t.check(st == Some(ExitStatus::Exited(0)), "registers and SSE state survive 50 handlers that clobber them");
    let st = spawn(&["nested"], None).ok().and_then(|p| pester(p, signal::SIGUSR2));
    t.check(st == Some(ExitStatus::Exited(0)), "a handler raising another signal runs it nested and returns");

    // SIGCHLD.
    child::count_sigchld();
    let ok = spawn(&["exit"], None).is_ok_and(child::sigchld_counted);
    t.check(ok, "SIGCHLD arrives when a child ends");
    let _ = signal::set_action(signal::SIGCHLD, Action::Default, Options::default());

    // Groups and sessions.
    let a = spawn(&["spin"], Some(0));
    let b = a.and_then(|g| spawn(&["spin"], Some(g)).map(|b| (g, b)));
    if let Ok((g, b)) = b {
        t.check(
            jobs::group(b) == jobs::group(g) && jobs::group(g).is_ok_and(|(pg, _)| pg == g),
            "a child starts in a new group, a second joins it",
        );
        t.check(signal::killpg(g, signal::SIGTERM).is_ok(), "killpg signals the group");
        let ga = rm::wait_for(WaitFor::Group(g), WaitOptions { block: true, ..WaitOptions::default() });
        let gb = rm::wait_for(WaitFor::Group(g), WaitOptions { block: true, ..WaitOptions::default() });
        let term = |r: Result<Option<(Pid, ChildEvent)>, Errno>| {
            matches!(r, Ok(Some((_, ChildEvent::Exited(ExitStatus::Signaled(15))))))
        };
        t.check(term(ga) && term(gb), "both members end; wait for the group collects them");
    } else {
        t.check(false, "spawning into a new process group");
    }
    t.check(jobs::setpgid(0, 424_242) == Err(Errno::EPERM), "joining a group that does not exist is EPERM");
    let st = spawn(&["setsid"], None).ok().and_then(status);
    t.check(
        st == Some(ExitStatus::Exited(0)),
        "setsid: a new session without a terminal, other sessions' groups refused; only a terminal's server signals it",
    );
    let st = spawn(&["nochild"], None).ok().and_then(status);
    t.check(st == Some(ExitStatus::Exited(0)), "waiting for an empty group is ECHILD");

    dprintln!("sigtest: {} passed, {} failed", t.passed, t.failed);
    if t.failed == 0 { 0 } else { 1 }
}
