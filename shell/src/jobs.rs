//! The job table: jobs (the processes of one pipeline), their states, the
//! current (`%+`) and previous (`%-`) jobs, job specifications (`%1`,
//! `%%`, `%vi`, `%?x`) and the lines `jobs` and the notices print. No I/O:
//! the shell's side (waiting, `fg`, `bg`, `kill`) is in `jobctl.rs`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::os::{Pid, WaitStatus};

/// What a process of a job is doing, as the shell last learned it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcState {
    /// Running (or not yet reported otherwise).
    Running,
    /// Stopped by this signal.
    Stopped(i32),
    /// Ended (reaped) with this status.
    Done(WaitStatus),
}

/// The state of a whole job (POSIX's "Running", "Stopped", "Done").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// At least one process runs.
    Running,
    /// None runs, at least one is stopped (by this signal: the first
    /// stopped process's).
    Stopped(i32),
    /// Every process ended; the status is the last process's.
    Done(WaitStatus),
}

/// A job: the processes of one pipeline, in pipeline order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job number (`%1`).
    pub id: usize,
    /// Its process group (the first process's pid; 0 without job control).
    pub pgid: Pid,
    /// Its processes and what each is doing.
    pub procs: Vec<(Pid, ProcState)>,
    /// The command text, without a trailing `&`.
    pub text: String,
    /// Its state changed (stopped, ended) since the user was told.
    pub changed: bool,
}

impl Job {
    /// A running job of processes `pids` in group `pgid`, not yet numbered.
    pub fn new(pids: &[Pid], pgid: Pid, text: &str) -> Job {
        let procs = pids.iter().map(|p| (*p, ProcState::Running)).collect();
        Job { id: 0, pgid, procs, text: text.into(), changed: false }
    }

    /// The job's state.
    pub fn state(&self) -> JobState {
        if self.procs.iter().any(|(_, s)| *s == ProcState::Running) {
            return JobState::Running;
        }
        if let Some(sig) = self.procs.iter().find_map(|(_, s)| match s {
            ProcState::Stopped(sig) => Some(*sig),
            _ => None,
        }) {
            return JobState::Stopped(sig);
        }
        match self.procs.last() {
            Some((_, ProcState::Done(st))) => JobState::Done(*st),
            _ => JobState::Done(WaitStatus::Exited(0)),
        }
    }

    /// Whether every process has ended.
    pub fn done(&self) -> bool {
        matches!(self.state(), JobState::Done(_))
    }

    /// Whether the job is stopped.
    pub fn stopped(&self) -> bool {
        matches!(self.state(), JobState::Stopped(_))
    }

    /// The job's status as `$?` (its last process's), once done.
    pub fn status(&self) -> Option<i32> {
        match self.state() {
            JobState::Done(st) => Some(st.shell_status()),
            _ => None,
        }
    }

    /// Record a change of process `pid`; returns whether it is one of the
    /// job's. A report that it continued makes a stopped process running.
    pub fn record(&mut self, pid: Pid, status: WaitStatus) -> bool {
        let before = self.state();
        let Some(p) = self.procs.iter_mut().find(|(p, _)| *p == pid) else { return false };
        p.1 = match status {
            WaitStatus::Stopped(sig) => ProcState::Stopped(sig),
            WaitStatus::Continued => ProcState::Running,
            st => ProcState::Done(st),
        };
        let after = self.state();
        if after != before && after != JobState::Running {
            self.changed = true;
        }
        true
    }

    /// Mark every stopped process running (after `SIGCONT`).
    pub fn continued(&mut self) {
        for (_, s) in &mut self.procs {
            if matches!(s, ProcState::Stopped(_)) {
                *s = ProcState::Running;
            }
        }
    }

    /// The pids of processes that have not ended.
    pub fn live(&self) -> Vec<Pid> {
        self.procs.iter().filter(|(_, s)| !matches!(s, ProcState::Done(_))).map(|(p, _)| *p).collect()
    }
}

/// The job table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jobs {
    list: Vec<Job>,
    /// Job numbers by recency of being started in the background, stopped
    /// or continued; the most recent last.
    recent: Vec<usize>,
}

/// Why a job specification names no job (the message, after `%spec: `).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpecError {
    /// Nothing matches.
    NoSuchJob,
    /// `%string` or `%?string` matches several jobs.
    Ambiguous,
}

impl SpecError {
    /// The message (as bash words it).
    pub fn message(&self) -> &'static str {
        match self {
            SpecError::NoSuchJob => "no such job",
            SpecError::Ambiguous => "ambiguous job spec",
        }
    }
}

impl Jobs {
    /// Add `job` with the next free number (one more than the highest in
    /// use); it becomes the current job. Returns the number.
    pub fn add(&mut self, mut job: Job) -> usize {
        let id = self.list.iter().map(|j| j.id).max().unwrap_or(0) + 1;
        job.id = id;
        self.list.push(job);
        self.touch(id);
        id
    }

    /// The jobs, by number.
    pub fn list(&self) -> &[Job] {
        &self.list
    }

    /// The job with number `id`.
    pub fn get(&self, id: usize) -> Option<&Job> {
        self.list.iter().find(|j| j.id == id)
    }

    /// The job with number `id`, mutably.
    pub fn get_mut(&mut self, id: usize) -> Option<&mut Job> {
        self.list.iter_mut().find(|j| j.id == id)
    }

    /// The job containing process `pid`.
    pub fn by_pid(&self, pid: Pid) -> Option<&Job> {
        self.list.iter().find(|j| j.procs.iter().any(|(p, _)| *p == pid))
    }

    /// Record a change of process `pid`; returns the number of its job.
    pub fn record(&mut self, pid: Pid, status: WaitStatus) -> Option<usize> {
        let job = self.list.iter_mut().find(|j| j.procs.iter().any(|(p, _)| *p == pid))?;
        let was_stopped = job.stopped();
        job.record(pid, status);
        let (id, now_stopped) = (job.id, job.stopped());
        if now_stopped && !was_stopped {
            self.touch(id);
        }
        Some(id)
    }

    /// Make job `id` the most recent (current, unless a stopped job is more
    /// deserving: see [`Jobs::current`]).
    pub fn touch(&mut self, id: usize) {
        self.recent.retain(|j| *j != id);
        self.recent.push(id);
    }

    /// Remove job `id`.
    pub fn remove(&mut self, id: usize) {
        self.list.retain(|j| j.id != id);
        self.recent.retain(|j| *j != id);
    }

    /// Job numbers, most deserving of `%+` first: stopped jobs before the
    /// others (as in bash), each by recency.
    fn ranked(&self) -> Vec<usize> {
        let stopped = |id: &usize| self.get(*id).is_some_and(Job::stopped);
        let mut r: Vec<usize> = self.recent.iter().rev().copied().filter(stopped).collect();
        r.extend(self.recent.iter().rev().copied().filter(|id| !stopped(id)));
        r
    }

    /// The current job (`%+`, `%%`): the most recently stopped job, else
    /// the most recently started in the background or continued.
    pub fn current(&self) -> Option<usize> {
        self.ranked().first().copied()
    }

    /// The previous job (`%-`): the one that would be current next.
    pub fn previous(&self) -> Option<usize> {
        self.ranked().get(1).copied()
    }

    /// `+` for the current job, `-` for the previous one, else a space.
    pub fn marker(&self, id: usize) -> char {
        let r = self.ranked();
        if r.first() == Some(&id) {
            '+'
        } else if r.get(1) == Some(&id) {
            '-'
        } else {
            ' '
        }
    }

    /// The job a job specification names: `%N` (number), `%%`, `%+` and
    /// `%` (current), `%-` (previous), `%STRING` (the command starts with
    /// it), `%?STRING` (contains it). `spec` includes the `%`.
    ///
    /// # Errors
    /// [`SpecError::NoSuchJob`], or [`SpecError::Ambiguous`] when a string
    /// matches several jobs.
    pub fn resolve(&self, spec: &str) -> Result<usize, SpecError> {
        let body = spec.strip_prefix('%').ok_or(SpecError::NoSuchJob)?;
        let found = match body {
            "" | "%" | "+" => self.current(),
            "-" => self.previous(),
            n if n.bytes().all(|b| b.is_ascii_digit()) => n.parse().ok().filter(|id| self.get(*id).is_some()),
            s => {
                let (text, anywhere) = match s.strip_prefix('?') {
                    Some(t) => (t, true),
                    None => (s, false),
                };
                let mut hits = self
                    .list
                    .iter()
                    .filter(|j| if anywhere { j.text.contains(text) } else { j.text.starts_with(text) });
                let first = hits.next().map(|j| j.id);
                if first.is_some() && hits.next().is_some() {
                    return Err(SpecError::Ambiguous);
                }
                first
            }
        };
        found.ok_or(SpecError::NoSuchJob)
    }

    /// The `jobs` line of job `id` (POSIX's format, as bash prints it):
    /// `[1]+  Running                 sleep 100 &`; with `long`, the
    /// process ids too (`[1]+ 4242 Stopped ...`, one line per process).
    pub fn line(&self, id: usize, long: bool) -> String {
        let Some(job) = self.get(id) else { return String::new() };
        let marker = self.marker(id);
        let state = job.state();
        let amp = if state == JobState::Running { " &" } else { "" };
        if !long {
            return format!("[{id}]{marker}  {:<24}{}{amp}\n", describe(state), job.text);
        }
        let mut out = String::new();
        let n = job.procs.len();
        for (i, (pid, st)) in job.procs.iter().enumerate() {
            let what = match st {
                ProcState::Running => JobState::Running,
                ProcState::Stopped(sig) => JobState::Stopped(*sig),
                ProcState::Done(st) => JobState::Done(*st),
            };
            let head = if i == 0 { format!("[{id}]{marker}") } else { String::from("    ") };
            let text = if n == 1 {
                format!("{}{amp}", job.text)
            } else if i == 0 {
                job.text.clone()
            } else {
                String::new()
            };
            out.push_str(&format!("{head} {pid:<5} {:<24}{text}", describe(what)));
            out = String::from(out.trim_end());
            out.push('\n');
        }
        out
    }
}

/// How a job's state is shown: `Running`, `Stopped`, `Stopped(SIGTTIN)`,
/// `Done`, `Exit 3`, `Terminated`, `Killed`, ... (bash's words).
pub fn describe(state: JobState) -> String {
    match state {
        JobState::Running => "Running".into(),
        JobState::Stopped(20) => "Stopped".into(),
        JobState::Stopped(sig) => format!("Stopped(SIG{})", crate::trap::condition_name(sig)),
        JobState::Done(WaitStatus::Exited(0)) => "Done".into(),
        JobState::Done(WaitStatus::Exited(n)) => format!("Exit {n}"),
        JobState::Done(WaitStatus::Signaled(sig)) => signal_name(sig).into(),
        JobState::Done(_) => "Done".into(),
    }
}

/// The message for a process killed by signal `sig` (`strsignal`'s words).
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        1 => "Hangup",
        2 => "Interrupt",
        3 => "Quit",
        4 => "Illegal instruction",
        6 => "Aborted",
        7 => "Bus error",
        8 => "Floating point exception",
        9 => "Killed",
        10 => "User defined signal 1",
        11 => "Segmentation fault",
        12 => "User defined signal 2",
        13 => "Broken pipe",
        14 => "Alarm clock",
        15 => "Terminated",
        _ => "Killed by signal",
    }
}
