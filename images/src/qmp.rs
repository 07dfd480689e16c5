//! A minimal QMP client (QEMU Machine Protocol, `docs/interop/qmp-spec` in
//! QEMU): connect to the UNIX socket a machine was started with
//! (`-qmp unix:PATH,server=on,wait=off`, see [`args`]), negotiate
//! capabilities, and run commands. Tests use it to inject NMIs and machine
//! checks, and (later) for screendumps and input events.

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// QEMU arguments that open a QMP server on the UNIX socket `path`.
pub fn args(path: &Path) -> Vec<String> {
    vec!["-qmp".into(), format!("unix:{},server=on,wait=off", path.display())]
}

/// A socket path for one machine of this process (`name` tells machines of
/// one test apart).
pub fn socket_path(name: &str) -> PathBuf {
    crate::images_dir().join(format!("qmp-{}-{name}.sock", std::process::id()))
}

/// An open QMP connection in command mode.
pub struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects to the socket at `path` (retrying until `timeout`: QEMU
    /// creates it shortly after starting) and leaves capabilities
    /// negotiation.
    ///
    /// # Errors
    /// If the socket never accepts or QEMU's greeting or answer is not QMP.
    pub fn connect(path: &Path, timeout: Duration) -> Result<Qmp> {
        let start = Instant::now();
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(e) if start.elapsed() < timeout => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e).with_context(|| format!("connecting to QMP at {}", path.display())),
            }
        };
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut q = Qmp { reader: BufReader::new(stream.try_clone()?), writer: stream };
        let greeting = q.read_message()?;
        if greeting.get("QMP").is_none() {
            bail!("no QMP greeting: {greeting}");
        }
        q.execute("qmp_capabilities", json!({}))?;
        Ok(q)
    }

    fn read_message(&mut self) -> Result<Value> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            bail!("QMP connection closed");
        }
        serde_json::from_str(&line).with_context(|| format!("QMP sent {line:?}"))
    }

    /// Runs `command` with `arguments`; returns its `return` value
    /// (asynchronous events in between are skipped).
    ///
    /// # Errors
    /// If QEMU answers with an error or the connection fails.
    pub fn execute(&mut self, command: &str, arguments: Value) -> Result<Value> {
        let msg = json!({ "execute": command, "arguments": arguments });
        self.writer.write_all(format!("{msg}\n").as_bytes())?;
        loop {
            let m = self.read_message()?;
            if m.get("event").is_some() {
                continue;
            }
            if let Some(e) = m.get("error") {
                bail!("QMP {command}: {e}");
            }
            if let Some(r) = m.get("return") {
                return Ok(r.clone());
            }
        }
    }

    /// Runs a human-monitor (HMP) command line, e.g. `mce 0 1 ...`; returns
    /// its text output.
    ///
    /// # Errors
    /// As [`Qmp::execute`].
    pub fn hmp(&mut self, line: &str) -> Result<String> {
        let r = self.execute("human-monitor-command", json!({ "command-line": line }))?;
        Ok(r.as_str().unwrap_or_default().to_string())
    }
}
