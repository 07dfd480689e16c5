//! Interactive runs: the user's terminal becomes the guest's terminal
//! (`images run` when standard input is a terminal; docs/build.md,
//! "Running").
//!
//! QEMU puts the serial line and its monitor behind one multiplexed
//! character device on a Unix socket (`Serial::MuxSocket`), and QEMU's
//! own `Ctrl-A` escape selects between them: `Ctrl-A x` quits, `Ctrl-A h`
//! lists the keys, `Ctrl-A c` switches to the monitor and back, `Ctrl-A
//! Ctrl-A` types a `Ctrl-A`. Using QEMU's escape instead of one of our own
//! keeps the keys users know from `-serial mon:stdio` and gives the monitor
//! for free. The runner:
//!
//! - puts the host terminal in raw mode itself (input: no line editing, no
//!   signals, so `Ctrl-C`, `Ctrl-Z` and `Ctrl-\` reach the guest as bytes;
//!   output processing stays on, as QEMU's `-serial stdio` leaves it) and
//!   restores the saved settings on every way out: QEMU exiting (the guest
//!   powered off, `Ctrl-A x`, a crash), an error, a panic (a panic hook),
//!   and `SIGTERM`, `SIGHUP`, `SIGINT` or `SIGQUIT` sent to the runner
//!   (QEMU is then stopped too). `SIGTSTP` restores the terminal while the
//!   runner is stopped and `SIGCONT` makes it raw again. Only `SIGKILL`
//!   leaves the terminal raw (`stty sane` repairs it); QEMU then gets
//!   `SIGTERM` as its parent-death signal;
//! - copies bytes between its standard input and output and the socket;
//! - acts as a terminal with in-band resize reports (DEC private mode 2048,
//!   `rampart_console_core::resize`): when the guest enables the mode
//!   (the console does at start) it sends `CSI 48 ; rows ; cols ; height_px
//!   ; width_px t` with the host terminal's size, and again on every
//!   `SIGWINCH`. The guest's enable and disable requests are taken out of
//!   the output ([`streams::OutFilter`]) so the host terminal never turns
//!   the mode on for itself. Waiting for the guest's request, rather than
//!   reporting at once, also keeps the report away from firmware (GRUB,
//!   OVMF) that reads the serial line before Rampart does.

pub mod streams;

#[cfg(doc)]
use crate::qemu::{QemuConfig, Serial};
use anyhow::{Context, Result, bail};
use rampart_console_core::resize::report;
use rustix::process::{Pid, Signal};
use rustix::termios::{self, OptionalActions, OutputModes, Termios};
use signal_hook::consts::signal::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTSTP, SIGWINCH};
use signal_hook::iterator::Signals;
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use streams::{Mux, OutFilter, Request};

/// Printed on standard error when an interactive run starts.
pub const ESCAPE_HINT: &str = "images: keys go to the guest (Ctrl-C, Ctrl-Z and Ctrl-\\ too); Ctrl-A x quits QEMU, \
                               Ctrl-A c switches to the QEMU monitor and back, Ctrl-A h lists QEMU's keys";

/// The line QEMU prints while it waits for the runner to connect.
const QEMU_WAITING: &str = "QEMU waiting for connection on";

/// How long QEMU may take to open the socket.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// Whether `images run` takes this path: standard input is a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// The host terminal's settings before the run, and whether the runner
/// has it in raw mode now.
struct Saved {
    termios: Termios,
    raw: bool,
    /// The run is over: the terminal stays as it was saved.
    done: bool,
}

static SAVED: Mutex<Option<Saved>> = Mutex::new(None);

fn saved() -> MutexGuard<'static, Option<Saved>> {
    // Only `tcsetattr` runs under the lock: a poisoned lock still holds
    // consistent settings.
    SAVED.lock().unwrap_or_else(|e| e.into_inner())
}

/// Puts the terminal on standard input in raw mode, saving its settings
/// the first time. Does nothing once the run is over.
///
/// # Errors
/// If the settings cannot be read or set.
fn raw_on() -> Result<()> {
    let mut g = saved();
    if g.as_ref().is_some_and(|s| s.done) {
        return Ok(());
    }
    let before = match g.as_ref() {
        Some(s) => s.termios.clone(),
        None => termios::tcgetattr(std::io::stdin()).context("reading the terminal's settings")?,
    };
    let mut raw = before.clone();
    raw.make_raw();
    // Keep output processing, as QEMU's `-serial stdio` does: what QEMU or
    // the runner print with a bare `\n` still starts at column 0.
    raw.output_modes |= OutputModes::OPOST;
    termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &raw).context("setting raw mode")?;
    *g = Some(Saved { termios: before, raw: true, done: false });
    Ok(())
}

/// Restores the terminal's saved settings if the runner changed them
/// (`done`: for good, the run is over).
fn restore(done: bool) {
    let mut g = saved();
    if let Some(s) = g.as_mut() {
        if s.raw {
            let _ = termios::tcsetattr(std::io::stdin(), OptionalActions::Now, &s.termios);
            s.raw = false;
        }
        s.done |= done;
    }
}

/// The resize report for the host terminal's current size, if it has one.
fn size_report() -> Option<String> {
    let ws = termios::tcgetwinsize(std::io::stdin()).ok()?;
    (ws.ws_row > 0 && ws.ws_col > 0).then(|| report(ws.ws_row, ws.ws_col, ws.ws_ypixel, ws.ws_xpixel))
}

/// The runner's side of the socket, shared by the threads that write to it.
struct Link {
    sock: UnixStream,
    mux: Mux,
    /// The guest asked for resize reports.
    reporting: bool,
    /// A report waits until the user's input leaves QEMU's mux on the
    /// serial line.
    pending: bool,
}

impl Link {
    /// Sends the size now, or as soon as the mux lets it reach the guest.
    fn report(&mut self) {
        if !self.reporting {
            return;
        }
        self.pending = true;
        self.flush_report();
    }

    fn flush_report(&mut self) {
        if self.pending && self.mux.to_guest() {
            self.pending = false;
            if let Some(r) = size_report() {
                let _ = self.sock.write_all(r.as_bytes());
            }
        }
    }

    /// Forwards what the user typed.
    fn typed(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.sock.write_all(data)?;
        data.iter().for_each(|&b| self.mux.byte(b));
        self.flush_report();
        Ok(())
    }
}

fn lock(link: &Mutex<Link>) -> MutexGuard<'_, Link> {
    link.lock().unwrap_or_else(|e| e.into_inner())
}

/// Where QEMU's serial socket goes for this runner process (a path
/// under the temporary directory, unique per process).
pub fn socket_path() -> PathBuf {
    std::env::temp_dir().join(format!("rampart-serial-{}.sock", std::process::id()))
}

/// Runs `cmd`, a QEMU command built with [`Serial::MuxSocket`]`(sock)`
/// ([`QemuConfig::command_on`]), with the user's terminal as the guest's
/// terminal; returns QEMU's exit status (-1 if a signal ended it).
///
/// # Errors
/// If QEMU cannot start or never opens its socket, or the terminal's
/// settings cannot be changed; the terminal is restored first.
pub fn run(mut cmd: Command, sock_path: &Path) -> Result<i32> {
    let _ = std::fs::remove_file(sock_path);
    cmd.stdin(Stdio::null()).stderr(Stdio::piped());
    // SAFETY: the closure runs in the child between fork and exec; it only
    // makes the `prctl(PR_SET_PDEATHSIG)` system call, which is
    // async-signal-safe, and touches no state shared with the parent.
    unsafe {
        cmd.pre_exec(|| rustix::process::set_parent_process_death_signal(Some(Signal::TERM)).map_err(Into::into));
    }
    let mut child = cmd.spawn().context("starting qemu-system-x86_64 (is qemu-system-x86 installed?)")?;
    if let Some(err) = child.stderr.take() {
        std::thread::spawn(move || forward_stderr(err));
    }
    let sock = connect(sock_path, &mut child);
    let _ = std::fs::remove_file(sock_path);
    let sock = match sock {
        Ok(s) => s,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
    };
    let link = Arc::new(Mutex::new(Link {
        sock: sock.try_clone().context("sharing the socket")?,
        mux: Mux::default(),
        reporting: false,
        pending: false,
    }));
    let status = session(&mut child, sock, &link);
    restore(true);
    if status.is_err() {
        let _ = child.kill();
        let _ = child.wait();
    }
    status
}

/// The connected part of a run: handlers, raw mode, the copying threads,
/// until QEMU exits.
fn session(child: &mut Child, sock: UnixStream, link: &Arc<Mutex<Link>>) -> Result<i32> {
    watch_signals(child.id(), link.clone())?;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore(true);
        hook(info);
    }));
    eprintln!("{ESCAPE_HINT}");
    raw_on()?;
    let input = link.clone();
    std::thread::spawn(move || copy_input(&input));
    let output = link.clone();
    let out = std::thread::spawn(move || copy_output(sock, &output));
    let status = child.wait().context("waiting for QEMU")?;
    // QEMU closed its end: the rest of its output is already in the socket.
    let _ = out.join();
    Ok(status.code().unwrap_or(-1))
}

/// Connects to QEMU's socket once it exists.
fn connect(path: &Path, child: &mut Child) -> Result<UnixStream> {
    let until = Instant::now() + CONNECT_TIMEOUT;
    loop {
        if let Ok(s) = UnixStream::connect(path) {
            return Ok(s);
        }
        if let Some(st) = child.try_wait()? {
            bail!("QEMU exited ({st}) before opening its serial socket");
        }
        if Instant::now() >= until {
            bail!("QEMU did not open its serial socket {} within {CONNECT_TIMEOUT:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Copies QEMU's error output to ours, without its note that it waits
/// for the runner.
fn forward_stderr(err: impl Read) {
    for line in BufReader::new(err).lines() {
        let Ok(line) = line else { break };
        if !line.contains(QEMU_WAITING) {
            eprintln!("{line}");
        }
    }
}

/// The user's keys to the guest (through QEMU's mux).
fn copy_input(link: &Mutex<Link>) {
    let mut stdin = std::io::stdin().lock();
    let mut buf = [0u8; 4096];
    loop {
        match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if lock(link).typed(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

/// The guest's output (and the monitor's) to the user's terminal; answers
/// the guest's requests for resize reports.
fn copy_output(mut sock: UnixStream, link: &Mutex<Link>) {
    let mut stdout = std::io::stdout().lock();
    let mut filter = OutFilter::new();
    let mut buf = [0u8; 4096];
    let (mut out, mut requests) = (Vec::new(), Vec::new());
    loop {
        let n = match sock.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        filter.filter(&buf[..n], &mut out, &mut requests);
        if stdout.write_all(&out).and_then(|()| stdout.flush()).is_err() {
            break;
        }
        out.clear();
        for r in requests.drain(..) {
            let mut l = lock(link);
            l.reporting = r == Request::Enable;
            // A terminal reports at once when the mode is enabled, even if
            // it was enabled already.
            l.report();
        }
    }
}

/// Handles the signals that change the terminal or end the run.
///
/// # Errors
/// If the handlers cannot be installed.
fn watch_signals(qemu: u32, link: Arc<Mutex<Link>>) -> Result<()> {
    let mut signals = Signals::new([SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGTSTP, SIGCONT])
        .context("installing signal handlers")?;
    std::thread::spawn(move || {
        for sig in signals.forever() {
            match sig {
                SIGWINCH => lock(&link).report(),
                SIGTSTP => {
                    restore(false);
                    // Stops the runner until SIGCONT (then handled below).
                    let _ = signal_hook::low_level::emulate_default_handler(SIGTSTP);
                }
                SIGCONT => {
                    let _ = raw_on();
                    lock(&link).report();
                }
                _ => {
                    restore(true);
                    if let Some(pid) = i32::try_from(qemu).ok().and_then(Pid::from_raw) {
                        let _ = rustix::process::kill_process(pid, Signal::TERM);
                    }
                    // Die of the signal, as without a handler.
                    let _ = signal_hook::low_level::emulate_default_handler(sig);
                    std::process::exit(128 + sig);
                }
            }
        }
    });
    Ok(())
}
