//! The `kill` builtin: signals to processes and to jobs (`kill %1`), as
//! POSIX and bash have it. `/bin/kill` (a program) still takes pids.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::jobctl::{SIGCONT, SIGTSTP, SIGTTIN, SIGTTOU};
use crate::os::{Os, Pid};
use crate::shell::Shell;
use crate::trap::{SIGNALS, condition_name};

/// `SIGTERM`, what `kill` sends by default.
pub const SIGTERM: i32 = 15;

/// The signal number a `kill` option names: `TERM`, `SIGTERM`, `term`, or
/// a number (`0` included: only check).
pub fn signal_number(s: &str) -> Option<i32> {
    if let Ok(n) = s.parse::<i32>() {
        return (n == 0 || SIGNALS.iter().any(|(_, v)| *v == n)).then_some(n);
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    SIGNALS.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// What `kill` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillArgs {
    /// Send `sig` to each operand (`%job`, `pid`, `-pgid`).
    Send(i32, Vec<String>),
    /// `kill -l [status...]`: list signal names, or name the signals of
    /// exit statuses.
    List(Vec<String>),
}

/// Parse `kill`'s arguments: `[-s NAME | -n NUM | -NAME | -NUM] operand...`
/// and `-l [status...]` / `-L`.
///
/// # Errors
/// The message (`invalid signal specification`, usage).
pub fn parse_kill(args: &[String]) -> Result<KillArgs, String> {
    let mut sig = SIGTERM;
    let mut rest = args;
    if let Some(a) = rest.first() {
        match a.as_str() {
            "-l" | "-L" => return Ok(KillArgs::List(rest[1..].to_vec())),
            "-s" | "-n" => {
                let name = rest.get(1).ok_or_else(|| format!("{a}: option requires an argument"))?;
                sig = signal_number(name).ok_or_else(|| format!("{name}: invalid signal specification"))?;
                rest = &rest[2..];
            }
            "--" => rest = &rest[1..],
            // `-NAME`, `-NUM` (a group is `kill -- -PGID`).
            s if s.starts_with('-') && s.len() > 1 => {
                sig = signal_number(&s[1..]).ok_or_else(|| format!("{}: invalid signal specification", &s[1..]))?;
                rest = &rest[1..];
            }
            _ => {}
        }
    }
    if rest.first().is_some_and(|a| a == "--") {
        rest = &rest[1..];
    }
    if rest.is_empty() {
        return Err(String::from(
            "usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]",
        ));
    }
    Ok(KillArgs::Send(sig, rest.to_vec()))
}

impl<O: Os> Shell<O> {
    /// `kill [-s NAME | -NAME | -NUM] {%job | pid | -pgid}...`, `kill -l`.
    pub(crate) fn builtin_kill(&mut self, args: &[String]) -> i32 {
        let (sig, targets) = match parse_kill(args) {
            Ok(KillArgs::Send(sig, t)) => (sig, t),
            Ok(KillArgs::List(st)) => return self.kill_list(&st),
            Err(msg) => {
                self.error(&format!("kill: {msg}"));
                return if msg.starts_with("usage") { 2 } else { 1 };
            }
        };
        self.reap_jobs(false);
        let mut status = 0;
        for t in targets {
            if t.starts_with('%') {
                let id = match self.jobs.resolve(&t) {
                    Ok(id) => id,
                    Err(e) => {
                        self.error(&format!("kill: {t}: {}", e.message()));
                        status = 1;
                        continue;
                    }
                };
                if let Err(msg) = self.signal_job(id, sig) {
                    self.error(&format!("kill: {t}: {msg}"));
                    status = 1;
                }
                continue;
            }
            let r = match t.parse::<i64>() {
                Ok(n) if n > 0 && n <= i64::from(u32::MAX) => self.os.kill(n as Pid, sig),
                Ok(n) if n < -1 && -n <= i64::from(u32::MAX) => self.os.killpg((-n) as Pid, sig),
                _ => {
                    self.error(&format!("kill: {t}: arguments must be process or job IDs"));
                    status = 1;
                    continue;
                }
            };
            if let Err(e) = r {
                self.error(&format!("kill: ({t}) - {e}"));
                status = 1;
            }
        }
        status
    }

    /// Send `sig` to job `id`: to its process group, or without one to each
    /// of its processes. A stopped job sent a signal that would end it is
    /// also continued, so that it can act on it (as bash does).
    fn signal_job(&mut self, id: usize, sig: i32) -> Result<(), String> {
        let Some(job) = self.jobs.get(id).cloned() else { return Err("no such job".into()) };
        let send = |sh: &mut Self, sig: i32| {
            if job.pgid != 0 {
                sh.os.killpg(job.pgid, sig)
            } else {
                let mut r = Ok(());
                for pid in job.live() {
                    r = r.and(sh.os.kill(pid, sig));
                }
                r
            }
        };
        send(self, sig).map_err(|e| String::from(e.message()))?;
        let stops = matches!(sig, 19 | SIGTSTP | SIGTTIN | SIGTTOU);
        if job.stopped() && sig != 0 && sig != 9 && !stops {
            let _ = send(self, SIGCONT);
            if let Some(j) = self.jobs.get_mut(id) {
                j.continued();
            }
        }
        Ok(())
    }

    /// `kill -l [status...]`.
    fn kill_list(&mut self, statuses: &[String]) -> i32 {
        if statuses.is_empty() {
            // bash's layout, as `/bin/kill -l`: ` 1) SIGHUP       2) SIGINT ...`.
            let cells: Vec<String> = SIGNALS.iter().map(|(name, n)| format!("{n:2}) SIG{name:<8}")).collect();
            let mut text = String::new();
            for row in cells.chunks(5) {
                text.push_str(row.concat().trim_end());
                text.push('\n');
            }
            self.out(&text);
            return 0;
        }
        let mut status = 0;
        for s in statuses {
            let n = s.parse::<i32>().ok().map(|n| if n > 128 { n - 128 } else { n });
            match n.filter(|n| SIGNALS.iter().any(|(_, v)| v == n)) {
                Some(n) => {
                    let line = format!("{}\n", condition_name(n));
                    self.out(&line);
                }
                None => match signal_number(s) {
                    Some(n) => {
                        let line = format!("{n}\n");
                        self.out(&line);
                    }
                    None => {
                        self.error(&format!("kill: {s}: invalid signal specification"));
                        status = 1;
                    }
                },
            }
        }
        status
    }
}
