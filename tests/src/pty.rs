//! A real pseudo-terminal for tests of interactive runs: a detached `tmux`
//! session (its own server on its own socket, `tmux -S`, killed and
//! removed on drop) whose pane runs a host shell, into which tests type
//! keys and whose screen they read.
//!
//! [`Pty::boot`] starts `cargo run -p images -- run` in the pane the way a
//! user would (on the artifacts [`crate::artifacts`] built, so nothing is
//! rebuilt), with the pane's `stty -a` saved before and after the run:
//!
//! ```no_run
//! # use rampart_tests::pty::{Pty, BOOT};
//! # use std::time::Duration;
//! let mut p = Pty::boot("example", 100, 30);
//! p.wait_for(rampart_tests::PROMPT, BOOT).unwrap();
//! p.line("stty size");
//! p.wait_for("30 100", Duration::from_secs(30)).unwrap();
//! p.send_keys(&["C-a", "x"]); // QEMU's quit key
//! p.wait_for("runner status", Duration::from_secs(30)).unwrap();
//! assert_eq!(p.stty_before(), p.stty_after());
//! ```

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long a boot to the prompt may take (TCG, other tests running).
pub const BOOT: Duration = Duration::from_secs(240);

/// What the pane's shell prints after the runner exits: `runner status N`.
pub const RUNNER_STATUS: &str = "runner status ";

/// A detached tmux session with one pane.
pub struct Pty {
    /// The tmux server's socket.
    server: PathBuf,
    dir: PathBuf,
    /// Lines of the pane's history searched already by [`Pty::wait_for`].
    seen: usize,
}

fn tmux_output(server: &std::path::Path, args: &[&str]) -> Output {
    Command::new("tmux")
        .arg("-S")
        .arg(server)
        .args(["-f", "/dev/null"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running tmux (is it installed?): {e}"))
}

impl Pty {
    /// Starts a tmux server of its own (its socket in the temporary
    /// directory, named after `name` and this process) with a `cols` ×
    /// `rows` window running `sh` in the workspace root, and a scratch
    /// directory for the test's files.
    ///
    /// # Panics
    /// If tmux cannot start.
    pub fn start(name: &str, cols: u16, rows: u16) -> Pty {
        let server = std::env::temp_dir().join(format!("rampart-tmux-{name}-{}", std::process::id()));
        let dir = images::images_dir().join(format!("pty-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let root = images::workspace_root();
        let (c, r) = (cols.to_string(), rows.to_string());
        let o = tmux_output(
            &server,
            &["new-session", "-d", "-s", "t", "-x", &c, "-y", &r, "-c", &root.to_string_lossy(), "env PS1='$ ' sh"],
        );
        assert!(o.status.success(), "tmux new-session: {}", String::from_utf8_lossy(&o.stderr));
        let p = Pty { server, dir, seen: 0 };
        // Keep the pane's history long enough for a whole boot log.
        p.tmux(&["set-option", "-t", "t", "history-limit", "20000"]);
        p
    }

    /// Starts a pane (as [`Pty::start`]) and in it boots Rampart with
    /// `cargo run -p images -- run` on a private copy of the root disk,
    /// TCG and no network; the pane's `stty -a` is saved before and after
    /// the run, and the shell then prints [`RUNNER_STATUS`] with the
    /// runner's exit status.
    ///
    /// # Panics
    /// If the build, the disk copy or tmux fail.
    pub fn boot(name: &str, cols: u16, rows: u16) -> Pty {
        crate::artifacts();
        let disk = crate::disk(&format!("pty-{name}"));
        let p = Pty::start(name, cols, rows);
        let (before, after) = (p.dir.join("stty-before"), p.dir.join("stty-after"));
        p.line(&format!(
            "stty -a > {}; cargo run -q -p images -- run --accel tcg --net none --root-disk {}; echo {RUNNER_STATUS}$?; \
             stty -a > {}",
            before.display(),
            disk.display(),
            after.display()
        ));
        p
    }

    fn tmux(&self, args: &[&str]) -> String {
        let o = tmux_output(&self.server, args);
        assert!(o.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Sends tmux key names (`Enter`, `C-c`, `C-a`, `x`, ...), in order.
    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Types `text` and Enter.
    pub fn line(&self, text: &str) {
        self.type_text(text);
        self.send_keys(&["Enter"]);
    }

    /// The pane's whole history and screen, wrapped lines joined.
    pub fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "t"])
    }

    /// The visible screen only (no history), one string per row, trailing
    /// blanks dropped: what a full-screen program (`vi`, `less`) shows.
    pub fn visible(&self) -> Vec<String> {
        self.tmux(&["capture-pane", "-p", "-t", "t"]).lines().map(|l| l.trim_end().to_string()).collect()
    }

    /// Waits until the visible screen satisfies `ok`; returns it.
    ///
    /// # Errors
    /// On timeout, with the screen.
    pub fn wait_screen(
        &self,
        what: &str,
        timeout: Duration,
        ok: impl Fn(&[String]) -> bool,
    ) -> Result<Vec<String>, String> {
        let until = Instant::now() + timeout;
        loop {
            let v = self.visible();
            if ok(&v) {
                return Ok(v);
            }
            if Instant::now() >= until {
                return Err(format!("timed out after {timeout:?} waiting for {what}; screen:\n{}", v.join("\n")));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until `text` appears on a line not searched by an earlier
    /// `wait_for` (as `Session::expect`); returns that line and the ones
    /// before it since the last match. Later calls search from the line
    /// after the match, so a command's output is not mistaken for an
    /// earlier one's.
    ///
    /// # Errors
    /// On timeout, with the screen.
    pub fn wait_for(&mut self, text: &str, timeout: Duration) -> Result<String, String> {
        let until = Instant::now() + timeout;
        loop {
            let screen = self.screen();
            let lines: Vec<&str> = screen.lines().collect();
            if let Some(i) = lines.iter().skip(self.seen).position(|l| l.contains(text)) {
                let found = lines[self.seen..=self.seen + i].join("\n");
                self.seen += i + 1;
                return Ok(found);
            }
            if Instant::now() >= until {
                return Err(format!("timed out after {timeout:?} waiting for {text:?}; screen:\n{screen}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Resizes the window (the pane gets `SIGWINCH`).
    pub fn resize(&self, cols: u16, rows: u16) {
        self.tmux(&["resize-window", "-t", "t", "-x", &cols.to_string(), "-y", &rows.to_string()]);
    }

    /// The pid of the pane's shell.
    pub fn shell_pid(&self) -> u32 {
        let out = self.tmux(&["display-message", "-p", "-t", "t", "#{pane_pid}"]);
        out.trim().parse().unwrap_or_else(|_| panic!("pane pid {out:?}"))
    }

    /// The pane's `stty -a` before [`Pty::boot`] started the runner.
    pub fn stty_before(&self) -> String {
        std::fs::read_to_string(self.dir.join("stty-before")).unwrap_or_default()
    }

    /// The pane's `stty -a` after the runner exited (empty until then).
    pub fn stty_after(&self) -> String {
        std::fs::read_to_string(self.dir.join("stty-after")).unwrap_or_default()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        let _ = tmux_output(&self.server, &["kill-server"]);
        let _ = std::fs::remove_file(&self.server);
    }
}

/// The children of process `pid` (from `/proc`), oldest first.
pub fn children(pid: u32) -> Vec<u32> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).map(|d| d.flatten().collect::<Vec<_>>());
    let mut out = Vec::new();
    for t in tasks.unwrap_or_default() {
        let c = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        out.extend(c.split_whitespace().filter_map(|p| p.parse::<u32>().ok()));
    }
    out
}

/// The command name of process `pid` (`/proc/PID/comm`), if it exists.
pub fn comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| s.trim().to_string())
}
