//! Running Rampart in QEMU.
//!
//! [`QemuConfig`] describes a machine; [`QemuConfig::command`] turns it into
//! a `qemu-system-x86_64` command line; [`Session`] runs it with the serial
//! console on pipes so tests (and `images run -c`) can wait for output, type
//! input and collect the guest's exit status.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use crate::build::Artifacts;

/// QEMU machine type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Machine {
    /// `-M microvm`: no firmware, no PCI, fastest boot (PVH only).
    Microvm,
    /// `-M pc`: i440FX with SeaBIOS.
    Pc,
    /// `-M q35`: Q35 with PCIe.
    Q35,
}

/// How the kernel is booted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Boot {
    /// `-kernel` through the PVH entry, with the bootfs as `-initrd`.
    Pvh,
    /// The GRUB ISO under SeaBIOS.
    IsoBios(PathBuf),
    /// The GRUB ISO under OVMF (UEFI).
    IsoUefi(PathBuf),
    /// The Linux reference guest (`crate::linux`): its kernel and
    /// initramfs, with the configured command line.
    Linux {
        /// `vmlinuz`.
        kernel: PathBuf,
        /// The initramfs.
        initrd: PathBuf,
    },
}

/// CPU accelerator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Accel {
    /// KVM if a probe boot proves ring 3 works under it, else TCG.
    Auto,
    /// Software emulation.
    Tcg,
    /// Hardware virtualisation.
    Kvm,
}

/// A machine to run.
#[derive(Clone, Debug)]
pub struct QemuConfig {
    /// Machine type.
    pub machine: Machine,
    /// Boot path.
    pub boot: Boot,
    /// Accelerator.
    pub accel: Accel,
    /// Guest RAM in MiB.
    pub memory_mib: u32,
    /// Kernel command line (PVH and GRUB).
    pub cmdline: String,
    /// `-icount shift=0,align=off,sleep=off`: the guest TSC counts retired
    /// instructions exactly (TCG only).
    pub icount: bool,
    /// The root disk: a raw ext4 image attached as the first virtio-blk
    /// device (`blk0`, the file system the file server mounts).
    pub disk: Option<PathBuf>,
    /// Extra QEMU arguments. With `-smp N` among them ([`smp_args`]) a
    /// TCG machine runs one host thread per vCPU (`-accel
    /// tcg,thread=multi`, MTTCG) unless `icount` is set (`-icount` forces
    /// one thread).
    pub extra: Vec<String>,
    /// Boot the test kernel (PVH boots only; the ISO always carries the
    /// release kernel).
    pub test_kernel: bool,
    /// Console log level added to a Rampart kernel's command line as
    /// `loglevel=N` (Linux's levels, `rampart_abi::log`) unless `cmdline`
    /// has one; `None` adds nothing (a quiet console: errors only). The
    /// default is [`LOGLEVEL_ALL`]: tests, benchmarks and probes see every
    /// system message, AVC denials included; `images run` is quiet unless
    /// `--verbose`. Not used for Linux guests or ISO boots (the ISO's
    /// command line is fixed when it is built: [`with_loglevel`]).
    pub loglevel: Option<u8>,
}

/// `loglevel=` that shows every kernel-log record on the console (debug
/// included), for test boots.
pub const LOGLEVEL_ALL: u8 = 8;
/// `loglevel=` of `images run --verbose`: everything but debug records
/// (AVC denials, which stay in the audit trail and `dmesg`).
pub const LOGLEVEL_VERBOSE: u8 = 7;

/// `cmdline` with ` loglevel=N` added, unless `level` is `None` or the
/// command line already sets one.
pub fn with_loglevel(cmdline: &str, level: Option<u8>) -> String {
    match level {
        Some(n) if !cmdline.split_whitespace().any(|w| w.starts_with("loglevel=")) => {
            format!("{cmdline} loglevel={n}").trim().to_string()
        }
        _ => cmdline.to_string(),
    }
}

impl Default for QemuConfig {
    fn default() -> Self {
        QemuConfig {
            machine: Machine::Pc,
            boot: Boot::Pvh,
            accel: Accel::Tcg,
            memory_mib: 512,
            cmdline: String::new(),
            icount: false,
            disk: None,
            extra: Vec::new(),
            test_kernel: false,
            loglevel: Some(LOGLEVEL_ALL),
        }
    }
}

/// Where the guest's serial console (COM1) goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Serial {
    /// QEMU's standard input and output (`-serial stdio`), no monitor:
    /// pipes for tests and batch runs, a cooked terminal otherwise.
    Stdio,
    /// A Unix socket QEMU listens on and waits for before starting the
    /// machine, multiplexed with the QEMU monitor behind QEMU's `Ctrl-A`
    /// escape (`-chardev socket,...,mux=on -serial chardev:ser0 -mon
    /// chardev=ser0`): what the interactive runner (`crate::terminal`)
    /// connects the user's terminal to.
    MuxSocket(PathBuf),
}

/// Firmware image for UEFI boots.
pub const OVMF_CODE: &str = "/usr/share/OVMF/OVMF_CODE_4M.fd";
/// Template for the UEFI variable store (copied per run).
pub const OVMF_VARS: &str = "/usr/share/OVMF/OVMF_VARS_4M.fd";

impl QemuConfig {
    /// Builds the QEMU command for `art` with the serial console on
    /// QEMU's standard input and output. `accel` must not be `Auto` (see
    /// [`resolve_accel`]).
    ///
    /// # Errors
    /// If a UEFI variable store cannot be prepared.
    pub fn command(&self, art: &Artifacts) -> Result<Command> {
        self.command_on(art, &Serial::Stdio)
    }

    /// [`QemuConfig::command`] with the serial console on `serial`.
    ///
    /// # Errors
    /// If a UEFI variable store cannot be prepared.
    pub fn command_on(&self, art: &Artifacts, serial: &Serial) -> Result<Command> {
        let mut c = Command::new("qemu-system-x86_64");
        let machine = match self.machine {
            Machine::Microvm => "microvm",
            Machine::Pc => "pc",
            Machine::Q35 => "q35",
        };
        c.args(["-M", machine, "-cpu", "max", "-m", &self.memory_mib.to_string()]);
        c.args(["-display", "none", "-vga", "none", "-no-reboot"]);
        match serial {
            Serial::Stdio => {
                c.args(["-serial", "stdio", "-monitor", "none"]);
            }
            Serial::MuxSocket(path) => {
                // QEMU option values escape a comma by doubling it.
                let path = path.display().to_string().replace(',', ",,");
                c.arg("-chardev").arg(format!("socket,id=ser0,path={path},server=on,wait=on,mux=on"));
                c.args(["-serial", "chardev:ser0", "-mon", "chardev=ser0"]);
            }
        }
        c.args(["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
        let smp = self.extra.iter().any(|a| a == "-smp");
        match self.accel {
            Accel::Kvm => c.args(["-accel", "kvm"]),
            _ if smp && !self.icount => c.args(["-accel", "tcg,thread=multi"]),
            _ => c.args(["-accel", "tcg"]),
        };
        if self.icount {
            c.args(["-icount", "shift=0,align=off,sleep=off"]);
        }
        match &self.boot {
            Boot::Pvh => {
                let kernel = if self.test_kernel { &art.test_kernel } else { &art.kernel };
                c.arg("-kernel").arg(kernel).arg("-initrd").arg(&art.bootfs);
                c.args(["-append", &with_loglevel(&self.cmdline, self.loglevel)]);
            }
            Boot::IsoBios(iso) => {
                c.arg("-cdrom").arg(iso);
            }
            Boot::Linux { kernel, initrd } => {
                c.arg("-kernel").arg(kernel).arg("-initrd").arg(initrd);
                c.args(["-append", &self.cmdline]);
            }
            Boot::IsoUefi(iso) => {
                let vars = crate::images_dir().join(format!("ovmf-vars-{}.fd", std::process::id()));
                std::fs::copy(OVMF_VARS, &vars).with_context(|| format!("copying {OVMF_VARS}"))?;
                c.arg("-drive").arg(format!("if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}"));
                c.arg("-drive").arg(format!("if=pflash,format=raw,unit=1,file={}", vars.display()));
                c.arg("-cdrom").arg(iso);
            }
        }
        if let Some(d) = &self.disk {
            // The first virtio-blk device: devmgr names it blk0.
            c.args(crate::devices::disk_args(d, 0));
        }
        c.args(&self.extra);
        Ok(c)
    }
}

/// The extra QEMU arguments for a machine with `cpus` vCPUs (`-smp N`;
/// see [`QemuConfig::extra`]). The kernel starts every CPU the firmware's
/// MADT lists (docs/kernel.md, "Multicore").
pub fn smp_args(cpus: u32) -> Vec<String> {
    vec!["-smp".into(), cpus.to_string()]
}

/// Decodes QEMU's exit status under `isa-debug-exit`: the guest wrote `code`
/// and QEMU exited with `(code << 1) | 1`. Returns `None` for other exits.
pub fn guest_exit_code(qemu_status: i32) -> Option<u32> {
    (qemu_status & 1 == 1).then_some((qemu_status >> 1) as u32)
}

/// Chooses the accelerator for `Auto`: KVM only if `/dev/kvm` is usable and a
/// probe boot of `art` under KVM reaches init's ring-3 greeting (on nested
/// paravirtual KVM, ring-3 `syscall` faults, so the probe fails and TCG is
/// used). The verdict is cached in `target/images/kvm-probe`.
pub fn resolve_accel(accel: Accel, art: &Artifacts) -> Accel {
    if accel != Accel::Auto {
        return accel;
    }
    if std::fs::OpenOptions::new().read(true).write(true).open("/dev/kvm").is_err() {
        return Accel::Tcg;
    }
    let cache = crate::images_dir().join("kvm-probe");
    let host = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    if let Ok(c) = std::fs::read_to_string(&cache)
        && let Some(verdict) = c.strip_prefix(host.trim())
    {
        return if verdict.trim() == "ok" { Accel::Kvm } else { Accel::Tcg };
    }
    let cfg = QemuConfig { machine: Machine::Microvm, accel: Accel::Kvm, ..Default::default() };
    let ok = cfg
        .command(art)
        .ok()
        .and_then(|c| Session::spawn(c).ok())
        .map(|mut s| {
            let ok = s.expect("init: hello from ring 3", Duration::from_secs(10)).is_ok();
            s.kill();
            ok
        })
        .unwrap_or(false);
    let _ = std::fs::write(&cache, format!("{} {}\n", host.trim(), if ok { "ok" } else { "broken" }));
    if ok { Accel::Kvm } else { Accel::Tcg }
}

/// A running QEMU with its serial console on pipes.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
    consumed: usize,
    started: Instant,
    eof: bool,
}

/// Strips ANSI escape sequences and carriage returns from console output.
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    while let Some(&d) = chars.peek() {
                        chars.next();
                        if d.is_ascii_alphabetic() || d == '~' {
                            break;
                        }
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

impl Session {
    /// Starts `cmd` with piped stdin/stdout.
    ///
    /// # Errors
    /// If QEMU cannot be started.
    pub fn spawn(mut cmd: Command) -> Result<Session> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().context("starting qemu-system-x86_64 (is qemu-system-x86 installed?)")?;
        let (tx, rx) = channel();
        for mut stream in [
            Box::new(child.stdout.take().expect("piped")) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().expect("piped")),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut b = [0u8; 4096];
                while let Ok(n) = stream.read(&mut b) {
                    if n == 0 || tx.send(b[..n].to_vec()).is_err() {
                        break;
                    }
                }
            });
        }
        let stdin = child.stdin.take();
        Ok(Session { child, stdin, rx, buf: Vec::new(), consumed: 0, started: Instant::now(), eof: false })
    }

    fn pump(&mut self, until: Instant) -> bool {
        let now = Instant::now();
        if now >= until || self.eof {
            return false;
        }
        match self.rx.recv_timeout(until - now) {
            Ok(chunk) => {
                self.buf.extend_from_slice(&chunk);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => {
                self.eof = true;
                false
            }
        }
    }

    /// Everything the guest printed so far (escape sequences removed).
    pub fn output(&self) -> String {
        clean(&String::from_utf8_lossy(&self.buf))
    }

    /// Time since QEMU started.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits until `needle` appears in output not yet consumed by an earlier
    /// `expect`; returns the output up to and including it.
    ///
    /// # Errors
    /// On timeout or if QEMU exits first; the error holds the whole output.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> Result<String> {
        let until = Instant::now() + timeout;
        let n = needle.as_bytes();
        if n.is_empty() {
            return Ok(String::new());
        }
        // Where the search resumes: only output that arrived since the last
        // look (plus a needle's length of overlap) is searched again, so a
        // chatty guest costs linear, not quadratic, time.
        let mut from = self.consumed;
        loop {
            let hay = &self.buf[from..];
            if let Some(i) = hay.windows(n.len()).position(|w| w == n) {
                let end = from + i + n.len();
                let text = String::from_utf8_lossy(&self.buf[self.consumed..end]).into_owned();
                self.consumed = end;
                return Ok(clean(&text));
            }
            from = self.buf.len().saturating_sub(n.len().saturating_sub(1)).max(self.consumed);
            if !self.pump(until) && (Instant::now() >= until || self.eof) {
                bail!(
                    "{} waiting for {needle:?}; console output:\n{}",
                    if self.eof { "QEMU exited" } else { "timed out" },
                    self.output()
                );
            }
        }
    }

    /// Types `text` on the serial console.
    ///
    /// # Errors
    /// If QEMU's stdin is closed.
    pub fn send(&mut self, text: &str) -> Result<()> {
        let stdin = self.stdin.as_mut().context("stdin closed")?;
        stdin.write_all(text.as_bytes())?;
        stdin.flush()?;
        Ok(())
    }

    /// Waits for QEMU to exit and returns its exit status.
    ///
    /// # Errors
    /// On timeout (QEMU is then killed); the error holds the whole output.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<i32> {
        let until = Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait()? {
                // Drain what is left in the pipes.
                while self.pump(Instant::now() + Duration::from_millis(200)) {}
                return Ok(st.code().unwrap_or(-1));
            }
            if Instant::now() >= until {
                self.kill();
                bail!("QEMU did not exit within {timeout:?}; console output:\n{}", self.output());
            }
            self.pump((Instant::now() + Duration::from_millis(20)).min(until));
        }
    }

    /// Kills QEMU.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.kill();
    }
}

/// True if `path` exists (for optional firmware files).
pub fn exists(path: &str) -> bool {
    Path::new(path).exists()
}
