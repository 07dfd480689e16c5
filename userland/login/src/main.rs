//! `login`: the first program init starts (a boot module, in the user's
//! context). It opens the console as descriptors 0, 1 and 2 and runs the
//! shell, `/bin/sh -l` (a login shell: it reads `/etc/profile` and
//! `~/.profile`), from the ext4 root as its child; its exit status is
//! the shell's (init powers the machine off with it).
//!
//! `login batch` (the runner's `run -c`): prints a marker line, turns echo
//! off, reads a script from the console until end of input (Ctrl-D) and
//! runs it with `sh -l -c`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use rampart_libos::io::{self, Read, Write};
use rampart_libos::process::Command;
use rampart_libos::{env, eprintln, println};

rampart_libos::main!(main);

/// The line the runner waits for before typing a batch script.
pub const BATCH_READY: &str = "login: reading commands";

fn home() -> &'static str {
    if env::security_context().starts_with("user_u:") { "/home/user" } else { "/root" }
}

fn main() -> i32 {
    // Under `-icount` the TSC counts instructions (docs/performance.md).
    let t = rampart_libos::rampart_rt::cpu::rdtsc();
    rampart_libos::rampart_rt::dprintln!("login: started at TSC {t}");
    let Ok(tty) = io::open_terminal() else {
        rampart_libos::rampart_rt::dprintln!("login: no console");
        return 1;
    };
    for fd in 0..3 {
        let _ = io::dup2(tty, fd);
    }
    // A session of its own with the console as its controlling terminal:
    // the shell's jobs get the signal keys (docs/signals.md).
    let ctty = rampart_libos::jobs::setsid()
        .and_then(|_| io::terminal_id(0).map_err(|_| rampart_libos::rampart_rt::errno::Errno::ENOTTY))
        .and_then(rampart_libos::jobs::set_controlling_terminal);
    if let Err(e) = ctty {
        rampart_libos::rampart_rt::dprintln!("login: no controlling terminal: {e}");
    }
    if tty > 2 {
        let _ = io::close(tty);
    }
    let user = if home() == "/root" { "root" } else { "user" };
    let mut cmd = Command::new("/bin/sh");
    cmd.env("HOME", home())
        .env("USER", user)
        .env("PATH", "/bin:/usr/bin")
        .env("SHELL", "/bin/sh")
        .env("TERM", "vt100")
        .current_dir(home())
        .arg("-l");
    if env::args().get(1).map(String::as_str) == Some("batch") {
        let _ = io::set_echo(0, false);
        // On the terminal, where the runner waits for it (login is a
        // program: it has no kernel-log capability).
        println!("{BATCH_READY}");
        let _ = io::stdout().flush();
        let mut script = String::new();
        if io::stdin().read_to_string(&mut script).is_err() {
            return 1;
        }
        let _ = io::set_echo(0, true);
        cmd.arg("-c").arg(&script);
    }
    match cmd.status() {
        Ok(s) => s.shell_code(),
        Err(e) => {
            eprintln!("login: /bin/sh: {e}");
            let _ = io::stderr().flush();
            127
        }
    }
}
