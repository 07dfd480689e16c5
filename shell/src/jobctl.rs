//! Job control (`set -m`, on in interactive shells on a terminal): every
//! pipeline is a job in a process group of its own, the foreground job
//! owns the terminal while the shell waits for it, and a job stopped by
//! Ctrl-Z goes to the job table, from which `fg` and `bg` continue it.
//!
//! The shell leads its own group. A job's first process is spawned into a
//! new group (`SpawnRequest::pgroup = Some(0)`), the others join it, and a
//! foreground job gets the terminal (`tcsetpgrp`) as soon as its group
//! exists; the shell takes the terminal back when the job ends or stops.
//! Without `fork` a child cannot take the terminal itself before it runs,
//! so a foreground job that read the terminal in the instant before the
//! shell gave it away was stopped by `SIGTTIN`: the shell continues it.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::jobs::{Job, JobState};
use crate::os::{Fd, Os, OsError, Pid, WaitFlags, WaitStatus};
use crate::shell::Shell;

/// `SIGCONT`.
pub const SIGCONT: i32 = 18;
/// `SIGTSTP` (Ctrl-Z).
pub const SIGTSTP: i32 = 20;
/// `SIGTTIN` (a background read of the terminal).
pub const SIGTTIN: i32 = 21;
/// `SIGTTOU`.
pub const SIGTTOU: i32 = 22;

/// The shell's job-control state.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobCtl {
    /// While job control is on: the terminal's raw descriptor, the shell's
    /// own process group, and the group that had the terminal before.
    pub(crate) tty: Option<(Fd, Pid, Pid)>,
    /// The job whose processes are being spawned: its group (0 until the
    /// first process exists) and whether it runs in the foreground.
    pub(crate) starting: Option<(Pid, bool)>,
    /// Nesting of contexts where job control is off (command
    /// substitutions, in-process pipeline stages).
    pub(crate) off: usize,
    /// The text of the command being run (a stopped job's name).
    pub(crate) text: String,
}

impl<O: Os> Shell<O> {
    /// Turn job control on for an interactive shell whose standard input is
    /// terminal `tty`: the shell leads its own process group, which gets
    /// the terminal, and the job-control signals no longer stop or end it.
    /// On failure (no controlling terminal) says why and stays off.
    pub(crate) fn start_job_control(&mut self, tty: Fd) -> bool {
        let original = self.os.getpgrp();
        let me = self.os.pid();
        if original != me {
            // Not fatal: a session leader (or a shell started by one in its
            // group) keeps the group it has.
            let _ = self.os.setpgid(0, 0);
        }
        let pgid = self.os.getpgrp();
        if let Err(e) = self.os.tcsetpgrp(tty, pgid) {
            self.error(&format!("cannot set terminal process group ({pgid}): {e}"));
            self.error("no job control in this shell");
            self.opts.monitor = false;
            return false;
        }
        let _ = self.os.job_control_signals(true);
        self.jc.tty = Some((tty, pgid, original));
        self.opts.monitor = true;
        true
    }

    /// Give the terminal back to the group that had it before job control
    /// started (as the shell exits).
    pub(crate) fn end_job_control(&mut self) {
        if let Some((tty, _, original)) = self.jc.tty.take() {
            let _ = self.os.tcsetpgrp(tty, original);
            let _ = self.os.job_control_signals(false);
        }
    }

    /// Whether commands run now become jobs with process groups of their own.
    pub(crate) fn job_control(&self) -> bool {
        self.opts.monitor && self.jc.tty.is_some() && self.jc.off == 0
    }

    /// Before spawning a pipeline's processes: whether they form a new job
    /// (job control is on and no job is being started around it). Pair with
    /// [`Shell::end_job`].
    pub(crate) fn begin_job(&mut self, foreground: bool) -> bool {
        if !self.job_control() || self.jc.starting.is_some() {
            return false;
        }
        if foreground {
            // Only a Ctrl-C from now on is the new job's.
            self.os.take_interrupt();
        }
        self.jc.starting = Some((0, foreground));
        true
    }

    /// After spawning: the new job's process group (0: no job, or nothing
    /// was spawned).
    pub(crate) fn end_job(&mut self, owner: bool) -> Pid {
        if !owner {
            return 0;
        }
        self.jc.starting.take().map_or(0, |(g, _)| g)
    }

    /// The process group the next spawned process goes to.
    /// Inside in-process stages (job control off) a program joins the
    /// pipeline's group if it exists yet and otherwise stays in the shell's.
    pub(crate) fn spawn_pgroup(&self) -> Option<Pid> {
        match self.jc.starting {
            Some((0, _)) if self.jc.off > 0 => None,
            s => s.map(|(g, _)| g),
        }
    }

    /// A process was spawned: the first of a job leads its group, and a
    /// foreground job gets the terminal at once, and the Ctrl-C typed while
    /// it was being started.
    pub(crate) fn spawned(&mut self, pid: Pid) {
        if let Some((0, fg)) = self.jc.starting
            && self.jc.off == 0
        {
            self.jc.starting = Some((pid, fg));
            if fg && let Some((tty, _, _)) = self.jc.tty {
                let _ = self.os.tcsetpgrp(tty, pid);
                if self.os.take_interrupt() {
                    let _ = self.os.killpg(pid, crate::trap::INT);
                }
            }
        }
    }

    /// Run `f` with job control off (command substitutions): its programs
    /// stay in the shell's group.
    pub(crate) fn without_job_control<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let starting = self.jc.starting.take();
        self.jc.off += 1;
        let r = f(self);
        self.jc.off -= 1;
        self.jc.starting = starting;
        r
    }

    /// Wait for the foreground job `job` (group `job.pgid`) until it ends or
    /// stops, with the terminal in its hands; then take the terminal back.
    /// A stopped job is put in the table (or stays there, for `fg`) and
    /// announced. Returns the job as it is now.
    pub(crate) fn wait_foreground(&mut self, mut job: Job) -> Job {
        // The job has the terminal already (`spawned`, `fg`).
        let Some((tty, shell_pgid, _)) = self.jc.tty else { return job };
        self.wait_job_procs(&mut job, true, false);
        let _ = self.os.tcsetpgrp(tty, shell_pgid);
        if job.stopped() {
            job.changed = false;
            let id = if job.id != 0 && self.jobs.get(job.id).is_some() {
                if let Some(j) = self.jobs.get_mut(job.id) {
                    *j = job.clone();
                }
                self.jobs.touch(job.id);
                job.id
            } else {
                self.jobs.add(job.clone())
            };
            job.id = id;
            let line = format!("\n{}", self.jobs.line(id, false));
            self.write_fd(2, line.as_bytes());
        } else if job.id != 0 {
            self.jobs.remove(job.id);
        }
        job
    }

    /// Wait until no process of `job` runs (each ended or, with
    /// `untraced`, stopped). A foreground job stopped by `SIGTTIN` or
    /// `SIGTTOU` is continued (see the module documentation). With
    /// `interruptible`, a wait a signal interrupts (Ctrl-C while the shell
    /// runs the `wait` builtin) ends it: returns `false`.
    pub(crate) fn wait_job_procs(&mut self, job: &mut Job, untraced: bool, interruptible: bool) -> bool {
        let flags = WaitFlags { untraced, ..WaitFlags::default() };
        // Continuing a job that keeps being stopped for reading the
        // terminal would never end (the terminal is not its, after all).
        let mut continues = 0;
        while let Some(pid) = job.procs.iter().find(|(_, s)| *s == crate::jobs::ProcState::Running).map(|(p, _)| *p) {
            let st = match self.os.waitpid(pid, flags) {
                Ok(Some((_, st))) => st,
                Err(OsError::Interrupted) if interruptible => return false,
                Ok(None) | Err(OsError::Interrupted) => continue,
                Err(_) => WaitStatus::Exited(127),
            };
            match st {
                WaitStatus::Stopped(SIGTTIN | SIGTTOU) if untraced && job.pgid != 0 && continues < 8 => {
                    continues += 1;
                    let _ = self.os.killpg(job.pgid, SIGCONT);
                }
                WaitStatus::Continued => {}
                st => {
                    job.record(pid, st);
                }
            }
        }
        true
    }

    /// Collect changes of background jobs without blocking; with `notify`
    /// (before a prompt) print the jobs that stopped or ended since the
    /// user last heard of them (`[1]+  Done                    sleep 1`)
    /// and forget the ended ones.
    pub fn reap_jobs(&mut self, notify: bool) {
        let flags = WaitFlags { nohang: true, untraced: self.opts.monitor, continued: self.opts.monitor };
        // Only job processes: a foreground stage that is still running
        // (`sleep 1 | jobs`) must be left for its own wait.
        let live: Vec<Pid> = self.jobs.list().iter().flat_map(Job::live).collect();
        for pid in live {
            // Several changes may be waiting (stopped, then killed).
            for _ in 0..4 {
                match self.os.waitpid(pid, flags) {
                    Ok(Some((_, st))) => {
                        self.jobs.record(pid, st);
                        if st.is_final() {
                            break;
                        }
                    }
                    _ => break,
                }
            }
        }
        if notify {
            self.notify_jobs();
        }
    }

    /// Print the jobs whose state changed and forget the ended ones.
    fn notify_jobs(&mut self) {
        let ids: Vec<usize> = self.jobs.list().iter().filter(|j| j.changed).map(|j| j.id).collect();
        let mut text = String::new();
        for id in ids {
            text.push_str(&self.jobs.line(id, false));
            if let Some(j) = self.jobs.get_mut(id) {
                j.changed = false;
            }
        }
        let done: Vec<usize> = self.jobs.list().iter().filter(|j| j.done()).map(|j| j.id).collect();
        for id in done {
            self.jobs.remove(id);
        }
        self.write_fd(2, text.as_bytes());
    }

    /// Reap the processes of job `id`, blocking until it ends (or, with job
    /// control, stops: then 128 + the signal); returns its status, 130 if
    /// Ctrl-C interrupted the wait (the job stays in the table).
    pub(crate) fn wait_job(&mut self, id: usize) -> i32 {
        let Some(mut job) = self.jobs.get(id).cloned() else { return 127 };
        if job.stopped() {
            return job.state_status();
        }
        let finished = self.wait_job_procs(&mut job, self.opts.monitor, true);
        let status = if finished { job.state_status() } else { 128 + crate::trap::INT };
        if job.done() {
            self.jobs.remove(id);
        } else if let Some(j) = self.jobs.get_mut(id) {
            job.changed = false;
            *j = job;
        }
        status
    }

    /// The job a `fg`/`bg`/`wait`/`kill` operand names (`%spec`), or with
    /// `None` the current job; prints `NAME: SPEC: no such job` if none.
    pub(crate) fn job_operand(&mut self, name: &str, spec: Option<&str>) -> Option<usize> {
        let r = match spec {
            Some(s) => self.jobs.resolve(s),
            None => self.jobs.current().ok_or(crate::jobs::SpecError::NoSuchJob),
        };
        r.map_err(|e| self.error(&format!("{name}: {}: {}", spec.unwrap_or("current"), e.message()))).ok()
    }

    /// `fg [%job]`: continue the job in the foreground; its status.
    pub(crate) fn builtin_fg(&mut self, args: &[String]) -> i32 {
        if !self.job_control() {
            self.error("fg: no job control");
            return 1;
        }
        self.reap_jobs(false);
        let Some(id) = self.job_operand("fg", args.first().map(String::as_str)) else { return 1 };
        let Some(mut job) = self.jobs.get(id).cloned() else { return 1 };
        if job.done() {
            self.error(&format!("fg: job {id} has terminated"));
            self.jobs.remove(id);
            return 1;
        }
        let line = format!("{}\n", job.text);
        self.out(&line);
        // The terminal first: continued, the job may read at once.
        if let Some((tty, _, _)) = self.jc.tty {
            let _ = self.os.tcsetpgrp(tty, job.pgid);
        }
        let _ = self.os.killpg(job.pgid, SIGCONT);
        job.continued();
        let job = self.wait_foreground(job);
        // As for any foreground job: a signal other than Ctrl-C's is named.
        if let JobState::Done(WaitStatus::Signaled(sig)) = job.state()
            && sig != 2
            && sig != 13
        {
            let msg = format!("{}\n", crate::jobs::signal_name(sig));
            self.write_fd(2, msg.as_bytes());
        }
        job.state_status()
    }

    /// `bg [%job...]`: continue stopped jobs in the background.
    pub(crate) fn builtin_bg(&mut self, args: &[String]) -> i32 {
        if !self.job_control() {
            self.error("bg: no job control");
            return 1;
        }
        self.reap_jobs(false);
        let specs: Vec<Option<&str>> =
            if args.is_empty() { alloc::vec![None] } else { args.iter().map(|a| Some(a.as_str())).collect() };
        let mut status = 0;
        for spec in specs {
            let Some(id) = self.job_operand("bg", spec) else {
                status = 1;
                continue;
            };
            let Some(job) = self.jobs.get(id) else { continue };
            match job.state() {
                JobState::Running => {
                    self.error(&format!("bg: job {id} already in background"));
                    continue;
                }
                JobState::Done(_) => {
                    self.error(&format!("bg: job {id} has terminated"));
                    status = 1;
                    continue;
                }
                JobState::Stopped(_) => {}
            }
            let pgid = job.pgid;
            if let Err(e) = self.os.killpg(pgid, SIGCONT) {
                self.error(&format!("bg: job {id}: {e}"));
                status = 1;
                continue;
            }
            if let Some(j) = self.jobs.get_mut(id) {
                j.continued();
            }
            self.jobs.touch(id);
            let text = self.jobs.get(id).map(|j| j.text.clone()).unwrap_or_default();
            let line = format!("[{id}]{} {text} &\n", self.jobs.marker(id));
            self.out(&line);
        }
        status
    }

    /// `jobs [-l | -p] [%job...]`.
    pub(crate) fn builtin_jobs(&mut self, args: &[String]) -> i32 {
        let (mut long, mut pids) = (false, false);
        let mut rest = args;
        while let Some(a) = rest.first().filter(|a| a.starts_with('-') && a.len() > 1) {
            if a == "--" {
                rest = &rest[1..];
                break;
            }
            for c in a[1..].chars() {
                match c {
                    'l' => long = true,
                    'p' => pids = true,
                    c => {
                        self.error(&format!("jobs: -{c}: invalid option"));
                        self.error("jobs: usage: jobs [-lp] [jobspec ...]");
                        return 2;
                    }
                }
            }
            rest = &rest[1..];
        }
        self.reap_jobs(false);
        let mut status = 0;
        let ids: Vec<usize> = if rest.is_empty() {
            self.jobs.list().iter().map(|j| j.id).collect()
        } else {
            let mut ids = Vec::new();
            for a in rest {
                match self.jobs.resolve(a) {
                    Ok(id) => ids.push(id),
                    Err(e) => {
                        self.error(&format!("jobs: {a}: {}", e.message()));
                        status = 1;
                    }
                }
            }
            ids
        };
        let mut text = String::new();
        for &id in &ids {
            if pids {
                let pgid = self.jobs.get(id).map_or(0, |j| if j.pgid != 0 { j.pgid } else { j.procs[0].0 });
                text.push_str(&format!("{pgid}\n"));
            } else {
                text.push_str(&self.jobs.line(id, long));
            }
        }
        self.out(&text);
        for id in ids {
            match self.jobs.get_mut(id) {
                Some(j) if j.done() => self.jobs.remove(id),
                Some(j) => j.changed = false,
                None => {}
            }
        }
        status
    }

    /// `disown [%job...]`: forget jobs (they go on running).
    pub(crate) fn builtin_disown(&mut self, args: &[String]) -> i32 {
        let specs: Vec<Option<&str>> =
            if args.is_empty() { alloc::vec![None] } else { args.iter().map(|a| Some(a.as_str())).collect() };
        let mut status = 0;
        for spec in specs {
            match self.job_operand("disown", spec) {
                Some(id) => self.jobs.remove(id),
                None => status = 1,
            }
        }
        status
    }
}

impl Job {
    /// The status of the job as `$?`: the last process's when done, 128 +
    /// the signal when stopped, 0 while running.
    pub fn state_status(&self) -> i32 {
        match self.state() {
            JobState::Done(st) => st.shell_status(),
            JobState::Stopped(sig) => 128 + sig,
            JobState::Running => 0,
        }
    }
}
