//! Non-interactive runs (`images run -c CMDS`): boot with
//! `init.first=login:batch`, wait for login's marker, type the script and
//! end of input (Ctrl-D) on the serial console, print what the guest
//! prints after the marker, and return the shell's exit status (init powers
//! off with it).

use crate::qemu::{Session, guest_exit_code};
use anyhow::{Result, bail};
use std::process::Command;
use std::time::Duration;

/// The line `login batch` prints before reading the script.
pub const READY: &str = "login: reading commands";

/// Longest a batch run may take.
pub const TIMEOUT: Duration = Duration::from_secs(600);

/// The script as typed: lines, a final newline, then Ctrl-D.
pub fn typed(script: &str) -> String {
    let mut s = script.replace("\r\n", "\n");
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s.push('\x04');
    s
}

/// Runs `script` in the guest started by `cmd`; returns the shell's status.
///
/// # Errors
/// QEMU failures, a guest that never asks for commands, or a timeout.
pub fn run(cmd: Command, script: &str) -> Result<i32> {
    let mut s = Session::spawn(cmd)?;
    s.expect(READY, Duration::from_secs(120))?;
    s.send(&typed(script))?;
    let status = s.wait_exit(TIMEOUT)?;
    let out = s.output();
    let after = out.split_once(READY).map_or(out.as_str(), |(_, a)| a);
    print!("{}", after.strip_prefix('\n').unwrap_or(after));
    match guest_exit_code(status) {
        Some(c) => Ok(c as i32),
        None => bail!(
            "QEMU ended without a guest status ({status}): the guest reset the machine (`reboot`; QEMU runs with \
             -no-reboot) or powered off through ACPI"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::typed;

    #[test]
    fn scripts_end_with_eof() {
        assert_eq!(typed("ls"), "ls\n\x04");
        assert_eq!(typed("a\r\nb\n"), "a\nb\n\x04");
    }
}
