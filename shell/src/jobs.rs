//! Background jobs: the job list, `wait`, `jobs` and completion notices.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::os::{Os, OsError, Pid, WaitStatus};
use crate::shell::Shell;

/// A background job: the processes of one `&` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The job number (`%1`).
    pub id: usize,
    /// Its processes, pipeline order; the last one gives the status.
    pub pids: Vec<Pid>,
    /// How each process ended, once reaped.
    pub statuses: Vec<Option<WaitStatus>>,
    /// The command text.
    pub text: String,
}

impl Job {
    /// Whether every process has ended.
    pub fn done(&self) -> bool {
        self.statuses.iter().all(Option::is_some)
    }

    /// The job's status (its last process's), once done.
    pub fn status(&self) -> Option<i32> {
        if !self.done() {
            return None;
        }
        self.statuses.last().copied().flatten().map(|s| s.shell_status())
    }
}

/// The job list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jobs {
    list: Vec<Job>,
}

impl Jobs {
    /// Add a job; returns its number (one more than the highest in use).
    pub fn add(&mut self, pids: Vec<Pid>, text: &str) -> usize {
        let id = self.list.iter().map(|j| j.id).max().unwrap_or(0) + 1;
        let statuses = alloc::vec![None; pids.len()];
        self.list.push(Job { id, pids, statuses, text: text.into() });
        id
    }

    /// The jobs, oldest first.
    pub fn list(&self) -> &[Job] {
        &self.list
    }

    /// Record that `pid` ended; returns whether it belonged to a job.
    pub fn record(&mut self, pid: Pid, status: WaitStatus) -> bool {
        for job in &mut self.list {
            if let Some(i) = job.pids.iter().position(|p| *p == pid) {
                job.statuses[i] = Some(status);
                return true;
            }
        }
        false
    }

    /// The job with number `id`.
    pub fn get(&self, id: usize) -> Option<&Job> {
        self.list.iter().find(|j| j.id == id)
    }

    /// The job containing process `pid`.
    pub fn by_pid(&self, pid: Pid) -> Option<&Job> {
        self.list.iter().find(|j| j.pids.contains(&pid))
    }

    /// Remove job `id`.
    pub fn remove(&mut self, id: usize) {
        self.list.retain(|j| j.id != id);
    }
}

impl<O: Os> Shell<O> {
    /// Reap the processes of job `id`, blocking; returns its status.
    pub(crate) fn wait_job(&mut self, id: usize) -> i32 {
        let Some(job) = self.jobs.get(id).cloned() else { return 127 };
        for (pid, st) in job.pids.iter().zip(&job.statuses) {
            if st.is_none() {
                let status = match self.os.wait(Some(*pid)) {
                    Ok((_, s)) => s,
                    Err(OsError::Interrupted) => WaitStatus::Signaled(2),
                    Err(_) => WaitStatus::Exited(127),
                };
                self.jobs.record(*pid, status);
            }
        }
        let status = self.jobs.get(id).and_then(Job::status).unwrap_or(127);
        self.jobs.remove(id);
        status
    }

    /// Collect background processes that have ended (without blocking)
    /// and, if `notify`, print `[n]+ Done  text` for finished jobs and
    /// forget them.
    pub fn reap_jobs(&mut self, notify: bool) {
        // Only job processes: a foreground stage that is still running
        // (`sleep 1 | jobs`) must be left for its own wait.
        let running: Vec<Pid> = self
            .jobs
            .list()
            .iter()
            .flat_map(|j| j.pids.iter().zip(&j.statuses).filter(|(_, s)| s.is_none()).map(|(p, _)| *p))
            .collect();
        for pid in running {
            if let Ok(Some((pid, status))) = self.os.try_wait(Some(pid)) {
                self.jobs.record(pid, status);
            }
        }
        if !notify {
            return;
        }
        let done: Vec<Job> = self.jobs.list().iter().filter(|j| j.done()).cloned().collect();
        for job in done {
            let line = format!("[{}]+ {}\t{}\n", job.id, describe(job.statuses.last().copied().flatten()), job.text);
            self.write_fd(2, line.as_bytes());
            self.jobs.remove(job.id);
        }
    }

    /// The `jobs` listing.
    pub(crate) fn list_jobs(&mut self) {
        self.reap_jobs(false);
        let lines: Vec<String> = self
            .jobs
            .list()
            .iter()
            .map(|j| {
                let state = if j.done() { describe(j.statuses.last().copied().flatten()) } else { "Running".into() };
                format!("[{}]  {}\t{}\n", j.id, state, j.text)
            })
            .collect();
        for l in lines {
            self.out(&l);
        }
        let done: Vec<usize> = self.jobs.list().iter().filter(|j| j.done()).map(|j| j.id).collect();
        for id in done {
            self.jobs.remove(id);
        }
    }
}

/// How a finished process is described in job notices.
pub fn describe(status: Option<WaitStatus>) -> String {
    match status {
        Some(WaitStatus::Exited(0)) | None => "Done".into(),
        Some(WaitStatus::Exited(n)) => format!("Exit {n}"),
        Some(WaitStatus::Signaled(sig)) => signal_name(sig).into(),
    }
}

/// The message for a process killed by signal `sig`.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        2 => "Interrupt",
        9 => "Killed",
        11 => "Segmentation fault",
        13 => "Broken pipe",
        15 => "Terminated",
        _ => "Killed by signal",
    }
}
