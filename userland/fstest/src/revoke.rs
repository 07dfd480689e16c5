//! Revocation (issue 19 item 1): a policy reload that removes a permission
//! takes effect on handles already open and on new opens at once.
//!
//! Run as the administrator under `policy=allow-all`: opens `FILE` (which
//! the shipped `te` policy denies the administrator), reads from it, loads
//! `te` from the security server's store, and expects the next read of the
//! open handle and a new open to fail with `EACCES`; then loads
//! `allow-all` again and expects access back.

use crate::Checks;
use alloc::format;
use alloc::string::String;
use rampart_libos::fs::File;
use rampart_libos::io::Read;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;

fn denied<T>(r: Result<T, rampart_libos::Error>) -> Result<(), String> {
    match r {
        Err(e) if e.errno() == rampart_uabi::Errno::EACCES => Ok(()),
        Err(e) => Err(format!("failed with {e}, not EACCES")),
        Ok(_) => Err(String::from("allowed")),
    }
}

/// The checks (see the module documentation).
pub fn reload(c: &mut Checks, file: &str) {
    let mut buf = [0u8; 1];
    let mut f = match File::open(file) {
        Ok(f) => f,
        Err(e) => return c.check("open under allow-all", Err(format!("{e}"))),
    };
    c.check("read under allow-all", f.read(&mut buf).map(|_| ()).map_err(|e| format!("{e}")));
    let sec = match rampart_libos::sys::connect_service("security") {
        Ok(ep) => Ipc(ep),
        Err(e) => return c.check("reach the security server", Err(format!("errno {}", e.0))),
    };
    let mut cl = Client(sec);
    c.check("load te", cl.load_policy("te").map(|_| ()).map_err(|e| format!("errno {}", e.0)));
    c.check("the open handle is revoked", denied(f.read(&mut buf)));
    c.check("a new open is denied", denied(File::open(file)));
    c.check("load allow-all again", cl.load_policy("allow-all").map(|_| ()).map_err(|e| format!("errno {}", e.0)));
    // The file server learns of the change from its notification, which
    // may be handled just after our next request (docs/security-
    // architecture.md §2, "Revocation"): a grant may come back one
    // request late, never a stale grant survive (checked above).
    let mut back = Err(String::new());
    for _ in 0..50 {
        back = File::open(file).and_then(|mut g| g.read(&mut buf)).map(|_| ()).map_err(|e| format!("{e}"));
        if back.is_ok() {
            break;
        }
        rampart_rt::ipc::yield_now();
    }
    // Once lost when the change arrived while the file server waited for
    // its disk driver (the wait took every notification bit); now stashed
    // and delivered by the server loop (`rampart_rt::events`).
    c.check("access is back", back);
}

/// Status of `revoke-tty` when the terminal refused the write after the
/// reload (`EACCES` from the console's revalidation of the open handle).
pub const TTY_REVOKED: i32 = 42;
/// Status of `revoke-tty` when the write failed because the channel to the
/// console itself was gone (connsrv revoked the connection the new policy
/// denies, which may happen before the console sees the change).
pub const TTY_CHANNEL_REVOKED: i32 = 43;

/// The terminal (issue 19 item 1): run in a domain `te` gives no terminal
/// (`system_u:system_r:blkdrv_t`) under `allow-all`, writes a line, loads
/// `te`, and tries to write again; the write must fail at once. Returns
/// [`TTY_REVOKED`] or [`TTY_CHANNEL_REVOKED`] if it did, 1 if the write
/// went through.
pub fn terminal() -> i32 {
    use rampart_libos::io::Write;
    let mut out = rampart_libos::io::stdout();
    if writeln!(out, "fstest: tty ok before the reload").and_then(|()| out.flush()).is_err() {
        return 2;
    }
    let Ok(ep) = rampart_libos::sys::connect_service("security") else { return 3 };
    if Client(Ipc(ep)).load_policy("te").is_err() {
        return 4;
    }
    match writeln!(out, "fstest: tty written after the reload").and_then(|()| out.flush()) {
        Err(e) if e.errno() == rampart_uabi::Errno::EACCES => TTY_REVOKED,
        Err(_) => TTY_CHANNEL_REVOKED,
        Ok(()) => 1,
    }
}

/// `fstest hold NAME,NAME...`: connects to each service and blocks for
/// good without using or closing the connections, as a process holding a
/// channel open would; prints `fstest: hold: NAME connected` (or why not)
/// for each. `tests/tests/capaudit.rs` starts it as `user_t` under
/// `allow-all` and then changes the policy: connsrv must revoke what the
/// new policy forbids. It blocks on its notification (not in `sleep`,
/// which yields and would starve the lowest-priority auditor).
///
/// With `ms` > 0 it first prints `fstest: hold: pid N` (its own pid, which
/// the audit records of its connects and of their revocation must name:
/// `tests/tests/audit.rs`) and exits with 0 after `ms` milliseconds
/// instead of blocking for good.
pub fn hold(names: &str, ms: u64) -> i32 {
    if ms > 0 {
        rampart_libos::println!("fstest: hold: pid {}", rampart_libos::process::id());
    }
    for name in names.split(',').filter(|n| !n.is_empty()) {
        match rampart_libos::sys::connect_service(name) {
            Ok(_) => rampart_libos::println!("fstest: hold: {name} connected"),
            Err(e) => rampart_libos::println!("fstest: hold: {name} refused (errno {})", e.0),
        }
    }
    if ms > 0 {
        rampart_libos::time::sleep(core::time::Duration::from_millis(ms));
        return 0;
    }
    loop {
        rampart_rt::cap::Notification(rampart_uabi::startup::slot::NOTIFICATION).wait();
    }
}
