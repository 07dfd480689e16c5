//! `images bench httpd`: Rampart's web server against the Linux reference
//! guest's busybox httpd, serving the same files in the same QEMU (TCG,
//! `q35`, 512 MiB, one virtio-net NIC on user networking with a host
//! forward), loaded from the host by [`load`] (docs/performance.md).
//!
//! Each side gets a warm-up request, then for a fixed wall time:
//! sequential `GET /1m.bin` on a new connection each (requests per second
//! and MB/s), the same with four clients at once, and sequential requests
//! for the small `index.html` (requests per second). Every response is
//! checked: status 200 and exactly the file's bytes.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::build::{Artifacts, BuildOptions, build_all};
use crate::qemu::{Accel, Boot, Machine, QemuConfig, Session};
use crate::rootfs::{WWW_FILES, www_bytes};

/// How long each measurement runs.
pub const WINDOW: Duration = Duration::from_secs(8);
/// The administrator's prompt (the bench session is `sysadm_t`, which
/// starts httpd in `httpd_t`).
const PROMPT: &str = "root:sysadm_t:/root$ ";
/// `/var/www/index.html` of the root image (and `www/index.html` of the
/// Linux guest's disk).
pub const INDEX: &[u8] = b"<!doctype html><title>Rampart</title><h1>It works</h1>\n";

/// One measurement.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Requests completed.
    pub requests: u64,
    /// Bytes of bodies received.
    pub bytes: u64,
    /// Wall time.
    pub secs: f64,
}

impl Sample {
    /// Requests per second.
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.secs
    }
    /// Megabytes (10^6 bytes) of bodies per second.
    pub fn mbps(&self) -> f64 {
        self.bytes as f64 / self.secs / 1e6
    }
}

/// Results for one server.
#[derive(Clone, Copy, Debug)]
pub struct Report {
    /// `GET /1m.bin`, one client.
    pub file: Sample,
    /// `GET /1m.bin`, four clients.
    pub file4: Sample,
    /// `GET /index.html`, one client.
    pub small: Sample,
}

/// `GET path` on a new connection to `127.0.0.1:port` (HTTP/1.0, the
/// server closes); checks the status and the body.
///
/// # Errors
/// Connection failures, a status other than 200, a body that differs.
pub fn get(port: u16, path: &str, want: &[u8]) -> Result<u64> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).context("connecting")?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n")?;
    let mut r = Vec::with_capacity(want.len() + 512);
    s.read_to_end(&mut r).context("reading the response")?;
    let head_end = r.windows(4).position(|w| w == b"\r\n\r\n").context("no response head")? + 4;
    if !r.starts_with(b"HTTP/1.0 200") && !r.starts_with(b"HTTP/1.1 200") {
        bail!("{}", String::from_utf8_lossy(&r[..head_end.min(200)]));
    }
    if &r[head_end..] != want {
        bail!("{path}: body of {} bytes differs from the {} expected", r.len() - head_end, want.len());
    }
    Ok(want.len() as u64)
}

/// Runs `clients` loops of [`get`] for [`WINDOW`].
///
/// # Errors
/// The first failed request.
pub fn load(port: u16, path: &str, want: &[u8], clients: usize) -> Result<Sample> {
    let start = Instant::now();
    let results: Vec<Result<(u64, u64)>> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..clients)
            .map(|_| {
                sc.spawn(|| {
                    let (mut n, mut b) = (0, 0);
                    while start.elapsed() < WINDOW {
                        b += get(port, path, want)?;
                        n += 1;
                    }
                    Ok((n, b))
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("client panicked")))).collect()
    });
    let secs = start.elapsed().as_secs_f64();
    let (mut requests, mut bytes) = (0, 0);
    for r in results {
        let (n, b) = r?;
        requests += n;
        bytes += b;
    }
    Ok(Sample { requests, bytes, secs })
}

fn measure(port: u16) -> Result<Report> {
    let (name, len, seed) = WWW_FILES[0];
    let file = www_bytes(len, seed);
    let path = format!("/{name}");
    // The warm-up request also waits for the server: user networking
    // accepts at once and resets while the guest is not listening yet.
    let until = Instant::now() + Duration::from_secs(60);
    while let Err(e) = get(port, &path, &file) {
        if Instant::now() > until {
            return Err(e.context("warm-up request"));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(Report {
        file: load(port, &path, &file, 1)?,
        file4: load(port, &path, &file, 4)?,
        small: load(port, "/index.html", INDEX, 1)?,
    })
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn boot(cfg: &QemuConfig, art: &Artifacts) -> Result<Session> {
    Session::spawn(cfg.command(art)?)
}

/// Rampart: an administrator's session starts httpd, the host loads it.
///
/// # Errors
/// Build, boot or request failures.
pub fn rampart() -> Result<Report> {
    let art = build_all(&BuildOptions::default())?;
    let port = free_port()?;
    let cfg = QemuConfig {
        machine: Machine::Q35,
        accel: Accel::Tcg,
        cmdline: "init.first=login init.context=root:sysadm_r:sysadm_t".into(),
        disk: Some(crate::rootfs::disk_copy(&art.rootfs, "bench-httpd")?),
        extra: crate::devices::net_args(&[format!("tcp:127.0.0.1:{port}-:80")]),
        ..Default::default()
    };
    let mut s = boot(&cfg, &art)?;
    s.expect(PROMPT, Duration::from_secs(120))?;
    s.send("httpd &\r")?;
    s.expect("httpd: serving /var/www on port 80", Duration::from_secs(60))?;
    let r = measure(port);
    let _ = s.send("exit\r");
    let _ = s.wait_exit(Duration::from_secs(30));
    r.with_context(|| format!("Rampart httpd; console:\n{}", s.output()))
}

/// The Linux guest's disk: `www/` holding the same files as Rampart's
/// `/var/www`.
fn linux_disk() -> Result<PathBuf> {
    let dir = crate::images_dir().join("bench-www");
    let www = dir.join("staging/www");
    std::fs::create_dir_all(&www)?;
    for (name, len, seed) in WWW_FILES {
        std::fs::write(www.join(name), www_bytes(*len, *seed))?;
    }
    std::fs::write(www.join("index.html"), INDEX)?;
    let img = dir.join("www.ext4");
    mkfs(&dir.join("staging"), &img)?;
    Ok(img)
}

fn mkfs(staging: &Path, img: &Path) -> Result<()> {
    let _ = std::fs::remove_file(img);
    let st = std::process::Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-d"])
        .arg(staging)
        .arg(img)
        .arg("32M")
        .status()
        .context("running mke2fs")?;
    if !st.success() {
        bail!("mke2fs failed for {}", img.display());
    }
    Ok(())
}

/// Linux: the reference guest's busybox httpd on the same files.
///
/// # Errors
/// Download, boot or request failures.
pub fn linux() -> Result<Report> {
    let g = crate::linux::linux_guest()?;
    let port = free_port()?;
    let mut extra = crate::devices::disk_args(&linux_disk()?, 0);
    extra.extend(crate::devices::net_args(&[format!("tcp:127.0.0.1:{port}-:80")]));
    let cfg = QemuConfig {
        machine: Machine::Q35,
        boot: Boot::Linux { kernel: g.kernel, initrd: g.initrd },
        accel: Accel::Tcg,
        memory_mib: 512,
        cmdline: "console=ttyS0 quiet panic=-1 rampart.bench=httpd".into(),
        extra,
        ..Default::default()
    };
    let stub = Artifacts::default();
    let mut s = boot(&cfg, &stub)?;
    s.expect("linux: httpd up", Duration::from_secs(180))?;
    let r = measure(port);
    s.kill();
    r.with_context(|| format!("Linux httpd; console:\n{}", s.output()))
}

/// The comparison as text (a table and the ratios).
pub fn table(r: &Report, l: &Report) -> String {
    let row =
        |what: &str, a: f64, b: f64, unit: &str| format!("{what:<34} {a:>10.1} {b:>10.1} {unit:<6} {:>6.2}\n", a / b);
    let mut t = format!("{:<34} {:>10} {:>10} {:<6} {:>6}\n", "", "Rampart", "Linux", "", "ratio");
    t += &row("1 MiB file, 1 client", r.file.rps(), l.file.rps(), "req/s");
    t += &row("1 MiB file, 1 client", r.file.mbps(), l.file.mbps(), "MB/s");
    t += &row("1 MiB file, 4 clients", r.file4.rps(), l.file4.rps(), "req/s");
    t += &row("1 MiB file, 4 clients", r.file4.mbps(), l.file4.mbps(), "MB/s");
    t += &row("index.html (55 bytes), 1 client", r.small.rps(), l.small.rps(), "req/s");
    t
}
