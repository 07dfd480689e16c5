//! Running lists, and-or lists, pipelines and compound commands.
//!
//! ## Pipelines without `fork`
//! Rampart has no `fork`, so a pipeline stage that must run inside the
//! shell (a builtin, a function, a compound command) runs in a *subshell
//! context* ([`Shell::subshell`]): a saved copy of the state that is
//! restored afterwards. All external stages are spawned first, then the
//! in-process stages run in order with their pipe ends, so `for f in *; do
//! echo $f; done | sort` works with any amount of output. (Two adjacent
//! in-process stages pass data through the pipe without a concurrent
//! reader, so they are limited to the pipe's capacity.)
//!
//! A background item that is not a pipeline of plain programs is run by a
//! new shell process: `sh -c 'text'`, with the shell's unexported
//! variables prepended as assignments.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::ast::{AndOr, Command, Compound, Connector, Item, List, Pipeline};
use crate::expand;
use crate::glob;
use crate::os::{Fd, FdMapping, Os, OsError, Pid, SpawnRequest, WaitStatus};
use crate::redirect::Target;
use crate::shell::{ExecResult, Flow, Shell};

/// Pipes standing in for command-substitution captures while external
/// programs write to them.
#[derive(Default)]
pub(crate) struct CapturePipes {
    pipes: Vec<(usize, Fd, Fd)>,
}

impl CapturePipes {
    /// The write end of the pipe for capture `idx`, created on first use.
    pub(crate) fn write_end<O: Os>(&mut self, os: &mut O, idx: usize) -> Result<Fd, OsError> {
        if let Some(&(_, _, w)) = self.pipes.iter().find(|p| p.0 == idx) {
            return Ok(w);
        }
        let (r, w) = os.pipe()?;
        self.pipes.push((idx, r, w));
        Ok(w)
    }
}

/// What [`Shell::start_pipeline`] started.
pub(crate) struct Started {
    /// Spawned processes with their stage index.
    pub(crate) pids: Vec<(usize, Pid)>,
    /// Each stage's status, for those that did not become a process.
    pub(crate) statuses: Vec<Option<i32>>,
    /// The job's process group, if the processes form a job (job control).
    pub(crate) pgid: Pid,
}

impl<O: Os> Shell<O> {
    /// Run a list in the current shell; its status is the last item's.
    pub fn run_list(&mut self, list: &List) -> ExecResult {
        let mut status = self.status;
        for item in &list.items {
            status = self.run_item(item)?;
        }
        Ok(status)
    }

    fn run_item(&mut self, item: &Item) -> ExecResult {
        if item.background {
            self.run_background(item);
            self.status = 0;
            return Ok(0);
        }
        if self.jc.off == 0 {
            self.jc.text.clone_from(&item.text);
        }
        self.run_and_or(&item.and_or)
    }

    /// Run `f` as a condition: `set -e` does not apply inside.
    pub(crate) fn in_condition(&mut self, f: impl FnOnce(&mut Self) -> ExecResult) -> ExecResult {
        self.cond_depth += 1;
        let r = f(self);
        self.cond_depth -= 1;
        r
    }

    fn run_and_or(&mut self, ao: &AndOr) -> ExecResult {
        let mut status = if ao.rest.is_empty() {
            self.run_pipeline(&ao.first)?
        } else {
            self.in_condition(|sh| sh.run_pipeline(&ao.first))?
        };
        let last = ao.rest.len().saturating_sub(1);
        for (i, (conn, pl)) in ao.rest.iter().enumerate() {
            let run = match conn {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                status = if i == last { self.run_pipeline(pl)? } else { self.in_condition(|sh| sh.run_pipeline(pl))? };
            }
        }
        self.status = status;
        Ok(status)
    }

    fn run_pipeline(&mut self, pl: &Pipeline) -> ExecResult {
        let status = match (pl.commands.as_slice(), pl.negated) {
            ([cmd], false) => self.run_command(cmd)?,
            ([cmd], true) => self.in_condition(|sh| sh.run_command(cmd))?,
            (cmds, _) => {
                let owner = self.begin_job(true);
                let started = self.start_pipeline(cmds);
                let pgid = self.end_job(owner);
                let mut started = started?;
                started.pgid = pgid;
                self.finish_foreground(started)?
            }
        };
        let status = if pl.negated { i32::from(status == 0) } else { status };
        self.status = status;
        if core::mem::take(&mut self.fatal_expansion) && !self.opts.interactive {
            // POSIX: an expansion error ends a non-interactive shell.
            return Err(Flow::Exit(status));
        }
        if status != 0 && self.cond_depth == 0 && !pl.negated {
            // As bash without `set -E`: not for commands inside functions
            // (the function call's own status triggers it).
            if self.func_depth == 0 {
                self.run_trap(crate::trap::ERR)?;
            }
            if self.opts.errexit {
                return Err(Flow::Exit(status));
            }
        }
        Ok(status)
    }

    /// Wait for the processes of a foreground pipeline; the status is the
    /// last stage's (with `set -o pipefail`: the last failing stage's).
    /// Runs the `INT` trap if a stage was interrupted by Ctrl-C. A job
    /// (with job control) owns the terminal meanwhile and may stop.
    pub(crate) fn finish_foreground(&mut self, started: Started) -> Result<i32, Flow> {
        let results: Vec<(usize, WaitStatus)> = if started.pgid != 0 {
            let pids: Vec<Pid> = started.pids.iter().map(|(_, p)| *p).collect();
            let text = self.jc.text.clone();
            let job = self.wait_foreground(crate::jobs::Job::new(&pids, started.pgid, &text));
            let state = |s: &crate::jobs::ProcState| match *s {
                crate::jobs::ProcState::Done(st) => st,
                crate::jobs::ProcState::Stopped(sig) => WaitStatus::Stopped(sig),
                crate::jobs::ProcState::Running => WaitStatus::Exited(0),
            };
            started.pids.iter().zip(&job.procs).map(|((stage, _), (_, s))| (*stage, state(s))).collect()
        } else {
            let pids = started.pids.clone();
            pids.into_iter().map(|(stage, pid)| (stage, self.wait_pid(pid))).collect()
        };
        let mut statuses = started.statuses;
        let mut interrupted = false;
        for (stage, st) in results {
            if let Some(s) = statuses.get_mut(stage) {
                *s = Some(st.shell_status());
            }
            match st {
                WaitStatus::Signaled(2) => interrupted = true,
                WaitStatus::Signaled(sig) if sig != 13 => {
                    let msg = format!("{}\n", crate::jobs::signal_name(sig));
                    self.write_fd(2, msg.as_bytes());
                }
                _ => {}
            }
        }
        let last = statuses.last().copied().flatten().unwrap_or(0);
        let status = if self.opts.pipefail {
            statuses.iter().rev().flatten().copied().find(|s| *s != 0).unwrap_or(0)
        } else {
            last
        };
        if interrupted {
            self.status = status;
            self.run_trap(crate::trap::INT)?;
        }
        Ok(status)
    }

    /// Wait for one child, retrying interrupted waits.
    pub(crate) fn wait_pid(&mut self, pid: Pid) -> WaitStatus {
        loop {
            match self.os.wait(Some(pid)) {
                Ok((_, st)) => return st,
                Err(OsError::Interrupted) => continue,
                Err(_) => return WaitStatus::Exited(127),
            }
        }
    }

    /// Start every stage of a pipeline: spawn the external ones, then run
    /// the in-process ones in subshell contexts.
    pub(crate) fn start_pipeline(&mut self, cmds: &[Command]) -> Result<Started, Flow> {
        let n = cmds.len();
        let mut pipes: Vec<(Fd, Fd)> = Vec::new();
        for _ in 1..n {
            match self.os.pipe() {
                Ok(p) => pipes.push(p),
                Err(e) => {
                    for (r, w) in pipes {
                        let _ = self.os.close(r);
                        let _ = self.os.close(w);
                    }
                    self.error(&format!("pipe: {e}"));
                    return Ok(Started { pids: Vec::new(), statuses: alloc::vec![Some(1)], pgid: 0 });
                }
            }
        }
        let base = self.fds.clone();
        let stage_table = |i: usize, base: &crate::redirect::FdTable| {
            let mut t = base.clone();
            if i > 0 {
                t.set(0, Target::Raw(pipes[i - 1].0));
            }
            if i + 1 < n {
                t.set(1, Target::Raw(pipes[i].1));
            }
            t
        };
        let mut caps = CapturePipes::default();
        let mut started = Started { pids: Vec::new(), statuses: alloc::vec![None; n], pgid: 0 };
        let mut deferred: Vec<(usize, Option<crate::command::Expanded>)> = Vec::new();
        for (i, cmd) in cmds.iter().enumerate() {
            self.fds = stage_table(i, &base);
            let outcome = match cmd {
                Command::Simple(sc) => match self.expand_simple(sc) {
                    Err(st) => Err(st),
                    Ok(exp) if self.is_external(&exp.argv) => match self.apply_redirects(&sc.redirects) {
                        Err(st) => Err(st),
                        Ok(applied) => {
                            let r = self.spawn_program(&exp.argv, &exp.assigns, &mut caps);
                            self.undo_redirects(applied);
                            r.map(Some)
                        }
                    },
                    Ok(exp) => {
                        deferred.push((i, Some(exp)));
                        Ok(None)
                    }
                },
                _ => {
                    deferred.push((i, None));
                    Ok(None)
                }
            };
            match outcome {
                Ok(Some(pid)) => started.pids.push((i, pid)),
                Ok(None) => {}
                Err(st) => started.statuses[i] = Some(st),
            }
        }
        self.fds = base.clone();
        let in_process = |i: usize| deferred.iter().any(|(d, _)| *d == i);
        let mut open: Vec<Fd> = Vec::new();
        for (j, &(r, w)) in pipes.iter().enumerate() {
            for (fd, user) in [(w, j), (r, j + 1)] {
                if in_process(user) {
                    open.push(fd)
                } else {
                    let _ = self.os.close(fd);
                }
            }
        }
        // In-process stages start no jobs: their programs join the
        // pipeline's group, if it has one yet.
        self.jc.off += 1;
        for (i, exp) in deferred.iter_mut() {
            self.fds = stage_table(*i, &base);
            let status = self.subshell(|sh| match (&cmds[*i], exp.take()) {
                (Command::Simple(sc), Some(exp)) => sh.exec_simple(sc, exp),
                (cmd, _) => sh.run_command(cmd),
            });
            self.fds = base.clone();
            for fd in [(*i > 0).then(|| pipes[*i - 1].0), (*i + 1 < n).then(|| pipes[*i].1)].into_iter().flatten() {
                if let Some(pos) = open.iter().position(|f| *f == fd) {
                    open.remove(pos);
                    let _ = self.os.close(fd);
                }
            }
            started.statuses[*i] = Some(status);
        }
        self.jc.off -= 1;
        self.finish_captures(caps);
        Ok(started)
    }

    /// Close the write ends of capture pipes, read what the programs wrote
    /// into the capture buffers, and close the read ends.
    pub(crate) fn finish_captures(&mut self, caps: CapturePipes) {
        for &(_, _, w) in &caps.pipes {
            let _ = self.os.close(w);
        }
        let mut buf = [0u8; 512];
        for (idx, r, _) in caps.pipes {
            loop {
                match self.os.read(r, &mut buf) {
                    Ok(0) => break,
                    Ok(k) => {
                        if let Some(c) = self.captures.get_mut(idx) {
                            c.extend_from_slice(&buf[..k.min(buf.len())]);
                        }
                    }
                    Err(OsError::Interrupted) => continue,
                    Err(_) => break,
                }
            }
            let _ = self.os.close(r);
        }
    }

    /// Start an `&` item without waiting for it.
    fn run_background(&mut self, item: &Item) {
        let direct = item.and_or.rest.is_empty()
            && item.and_or.first.commands.iter().all(|c| match c {
                Command::Simple(sc) => sc.words.first().and_then(|w| w.as_literal()).is_some_and(|name| {
                    !glob::has_glob(&glob::pattern(name))
                        && !self.functions.contains_key(name)
                        && !crate::builtins::is_builtin(name)
                }),
                _ => false,
            });
        let owner = self.begin_job(false);
        let pids: Vec<Pid> = if direct {
            match self.start_pipeline(&item.and_or.first.commands) {
                Ok(s) => s.pids.into_iter().map(|(_, p)| p).collect(),
                Err(_) => Vec::new(),
            }
        } else {
            let script = self.background_script(&item.text);
            let mut argv = alloc::vec![self.config.shell_path.clone(), "-c".into(), script, self.arg0.clone()];
            argv.extend(self.positional.iter().cloned());
            let mut caps = CapturePipes::default();
            let r = self.spawn_program(&argv, &[], &mut caps);
            self.finish_captures(caps);
            r.map(|p| alloc::vec![p]).unwrap_or_default()
        };
        let pgid = self.end_job(owner);
        if let Some(&last) = pids.last() {
            let id = self.jobs.add(crate::jobs::Job::new(&pids, pgid, &item.text));
            self.last_bg = Some(last);
            if self.opts.interactive {
                let msg = format!("[{id}] {last}\n");
                self.write_fd(2, msg.as_bytes());
            }
        }
    }

    /// The text run by `sh -c` for a background item: unexported variables
    /// first, then the command.
    fn background_script(&self, text: &str) -> String {
        let mut script = String::new();
        for (name, var) in self.vars.iter() {
            if !var.exported && name != "IFS" && name != "PATH" {
                script.push_str(name);
                script.push('=');
                script.push_str(&crate::builtins::quote(&var.value));
                script.push('\n');
            }
        }
        script.push_str(text);
        script
    }

    /// Run one command in the current shell.
    pub(crate) fn run_command(&mut self, cmd: &Command) -> ExecResult {
        match cmd {
            Command::Simple(sc) => match self.expand_simple(sc) {
                Ok(exp) => self.exec_simple(sc, exp),
                Err(st) => {
                    self.status = st;
                    Ok(st)
                }
            },
            Command::Compound(c, redirects) => {
                let applied = match self.apply_redirects(redirects) {
                    Ok(a) => a,
                    Err(st) => return Ok(st),
                };
                let r = self.run_compound(c);
                self.undo_redirects(applied);
                r
            }
            Command::FunctionDef(name, body) => {
                self.functions.insert(name.clone(), alloc::rc::Rc::new((**body).clone()));
                Ok(0)
            }
        }
    }

    fn run_compound(&mut self, c: &Compound) -> ExecResult {
        match c {
            Compound::Group(list) => self.run_list(list),
            Compound::Subshell(list) => Ok(self.subshell(|sh| sh.run_list(list))),
            Compound::If { branches, otherwise } => {
                for (cond, body) in branches {
                    if self.in_condition(|sh| sh.run_list(cond))? == 0 {
                        return self.run_list(body);
                    }
                }
                match otherwise {
                    Some(body) => self.run_list(body),
                    None => Ok(0),
                }
            }
            Compound::Loop { until, cond, body } => {
                self.loop_depth += 1;
                let r = self.run_loop(*until, cond, body);
                self.loop_depth -= 1;
                r
            }
            Compound::For { var, words, body } => {
                let items = match words {
                    Some(words) => match expand::expand_words(self, words) {
                        Ok(v) => v,
                        Err(e) => {
                            self.error(&e.0);
                            return Ok(1);
                        }
                    },
                    None => self.positional.clone(),
                };
                self.loop_depth += 1;
                let mut status = 0;
                let mut r = Ok(0);
                for value in items {
                    self.vars.set(var, &value);
                    match self.loop_body(body) {
                        Ok(Some(s)) => status = s,
                        Ok(None) => break,
                        Err(e) => {
                            r = Err(e);
                            break;
                        }
                    }
                }
                self.loop_depth -= 1;
                r.map(|_| status)
            }
            Compound::Case { word, arms } => {
                let subject = match expand::expand_single(self, word) {
                    Ok(s) => s,
                    Err(e) => {
                        self.error(&e.0);
                        return Ok(1);
                    }
                };
                for arm in arms {
                    for pat in &arm.patterns {
                        let p = match expand::expand_pattern(self, pat) {
                            Ok(p) => p,
                            Err(e) => {
                                self.error(&e.0);
                                return Ok(1);
                            }
                        };
                        if glob::matches(&p, &subject) {
                            return if arm.body.items.is_empty() { Ok(0) } else { self.run_list(&arm.body) };
                        }
                    }
                }
                Ok(0)
            }
        }
    }

    fn run_loop(&mut self, until: bool, cond: &List, body: &List) -> ExecResult {
        let mut status = 0;
        loop {
            let c = self.in_condition(|sh| sh.run_list(cond));
            let c = match c {
                Ok(c) => c,
                Err(Flow::Break(n)) if n > 1 => return Err(Flow::Break(n - 1)),
                Err(Flow::Break(_)) => break,
                Err(Flow::Continue(n)) if n > 1 => return Err(Flow::Continue(n - 1)),
                Err(Flow::Continue(_)) => continue,
                Err(e) => return Err(e),
            };
            if (c == 0) == until {
                break;
            }
            match self.loop_body(body)? {
                Some(s) => status = s,
                None => break,
            }
        }
        self.status = status;
        Ok(status)
    }

    /// One pass of a loop body: `Some(status)` to go on, `None` for `break`.
    fn loop_body(&mut self, body: &List) -> Result<Option<i32>, Flow> {
        match self.run_list(body) {
            Ok(s) => Ok(Some(s)),
            Err(Flow::Break(n)) if n > 1 => Err(Flow::Break(n - 1)),
            Err(Flow::Break(_)) => Ok(None),
            Err(Flow::Continue(n)) if n > 1 => Err(Flow::Continue(n - 1)),
            Err(Flow::Continue(_)) => Ok(Some(self.status)),
            Err(e) => Err(e),
        }
    }

    /// The child descriptor table for the current logical table; captures
    /// become pipes.
    pub(crate) fn child_fds(&mut self, caps: &mut CapturePipes) -> Result<Vec<FdMapping>, OsError> {
        let entries: Vec<(u32, Target)> = self.fds.iter().collect();
        let mut fds = Vec::new();
        for (child, target) in entries {
            let parent = match target {
                Target::Raw(r) => r,
                Target::Capture(idx) => caps.write_end(&mut self.os, idx)?,
            };
            fds.push(FdMapping { child, parent });
        }
        Ok(fds)
    }

    /// Spawn `path` with the current descriptors.
    pub(crate) fn spawn_raw(
        &mut self,
        path: &str,
        argv: &[String],
        env: &[String],
        caps: &mut CapturePipes,
    ) -> Result<Pid, OsError> {
        let fds = self.child_fds(caps)?;
        let cwd = self.cwd.to_string();
        let pgroup = self.spawn_pgroup();
        let pid = self.os.spawn(&SpawnRequest { path, argv, env, cwd: &cwd, fds: &fds, pgroup })?;
        self.spawned(pid);
        Ok(pid)
    }
}
