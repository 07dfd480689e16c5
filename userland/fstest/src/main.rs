//! `fstest`: in-guest tests and the read benchmark of the file server
//! (docs/storage.md), run from the shell by `tests/tests/fs.rs`.
//!
//! ```text
//! fstest user FILE SHA256   as user_t: checksum of a file mke2fs put on the
//!                           image, namespace operations, the file kept for
//!                           the reboot, denials and path tricks
//! fstest admin N            as sysadm_t after a reboot: the kept file, a
//!                           denied read of a secret, then corrupted disks
//!                           blk1..blkN mounted on /tmp/mK
//! fstest bench FILE         sequential read; prints bytes and TSC ticks
//! fstest revoke FILE        as sysadm_t under allow-all: a reload of te
//!                           revokes an open handle and new opens of FILE
//! fstest revoke-tty         in a domain te gives no terminal, under
//!                           allow-all: a reload of te revokes the terminal
//! fstest sidflood N [FIRST] N spawn requests naming contexts the caller
//!                           may not enter (the SID-table flood, flood.rs)
//! fstest hold NAME,NAME [MS] connects to each service and blocks for good
//!                           (or MS ms, printing its pid), holding the
//!                           connections (the capability audit after a
//!                           policy change, revoke.rs)
//! ```
//!
//! Every check prints `fstest: ok   WHAT` or `fstest: FAIL WHAT: DETAIL`;
//! the run ends with `fstest: N passed, M failed` and exits with 1 if any
//! check failed.
#![no_std]
#![no_main]

extern crate alloc;

mod bench;
mod corrupt;
mod deny;
mod flood;
// A view of its own region (`Region::shared`).
#[allow(unsafe_code)]
mod hostile;
mod ops;
mod revoke;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::{Error, println};

rampart_libos::main!(main);

/// The file kept across the reboot, and its size in bytes.
pub const KEPT: &str = "/home/user/kept.bin";
/// Size of [`KEPT`] (spans several extents' worth of 4 KiB blocks).
pub const KEPT_LEN: usize = 300_000;

/// Deterministic test bytes: byte `i` of stream `seed`.
pub fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32).map(|i| (i.wrapping_mul(2_654_435_761) ^ seed).rotate_left(seed % 29) as u8).collect()
}

/// Counts and prints check results.
#[derive(Default)]
pub struct Checks {
    passed: u32,
    failed: u32,
}

impl Checks {
    /// Records `what`: `Ok` passes, `Err(detail)` fails.
    pub fn check(&mut self, what: &str, r: Result<(), String>) {
        match r {
            Ok(()) => {
                self.passed += 1;
                println!("fstest: ok   {what}");
            }
            Err(d) => {
                self.failed += 1;
                println!("fstest: FAIL {what}: {d}");
            }
        }
    }

    /// Checks that `r` failed with errno `want`.
    pub fn errno<T: core::fmt::Debug>(&mut self, what: &str, r: Result<T, Error>, want: e::Errno) {
        let got = match &r {
            Ok(v) => Err(format!("succeeded ({v:?}), expected errno {}", want.0)),
            Err(e) if e.errno() == want => Ok(()),
            Err(e) => Err(format!("{e}, expected errno {}", want.0)),
        };
        self.check(what, got);
    }

    /// Checks that `r` succeeded.
    pub fn ok<T>(&mut self, what: &str, r: Result<T, Error>) -> Option<T> {
        match r {
            Ok(v) => {
                self.check(what, Ok(()));
                Some(v)
            }
            Err(e) => {
                self.check(what, Err(format!("{e}")));
                None
            }
        }
    }

    fn finish(&self) -> i32 {
        println!("fstest: {} passed, {} failed", self.passed, self.failed);
        i32::from(self.failed > 0)
    }
}

/// Sends a raw request on the process's file-server connection.
///
/// # Errors
/// The server's error.
pub fn raw(req: &rampart_fs_api::Request) -> Result<rampart_fs_api::Response, Error> {
    rampart_libos::sys::with(|st| rampart_libos::sys::fsys::call_fs(st, req)).map_err(Error::from)
}

/// The file-server handle behind descriptor `fd`.
///
/// # Errors
/// `EBADF`; `ESPIPE` for a terminal.
pub fn handle_of(fd: u32) -> Result<rampart_fs_api::Handle, Error> {
    match rampart_libos::sys::with(|st| st.obj(fd)).map_err(Error::from)? {
        rampart_libos::sys::Obj::Fs(h) => Ok(rampart_fs_api::Handle(h)),
        _ => Err(Error::from_errno(rampart_uabi::Errno::ESPIPE)),
    }
}

/// Errno values the checks expect (`rampart_uabi`'s table, as the server's).
pub use rampart_uabi::errno as e;

fn main() -> i32 {
    let args = rampart_libos::env::args();
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let mut c = Checks::default();
    match arg(1) {
        "user" => {
            ops::checksum(&mut c, arg(2), arg(3));
            ops::namespace(&mut c);
            ops::keep_for_reboot(&mut c);
            deny::denials(&mut c);
            deny::path_tricks(&mut c);
        }
        "admin" => {
            ops::kept_after_reboot(&mut c);
            deny::admin_denial(&mut c);
            corrupt::disks(&mut c, arg(2).parse().unwrap_or(0));
        }
        "bench" => return bench::read(arg(2)),
        "hostile-exec" => return hostile::run(arg(2)),
        "spawnbench" => return bench::spawn(arg(2), arg(3).parse().unwrap_or(20), arg(4).parse().unwrap_or(0)),
        "revoke" => revoke::reload(&mut c, arg(2)),
        "revoke-tty" => return revoke::terminal(),
        "hold" => return revoke::hold(arg(2), arg(3).parse().unwrap_or(0)),
        "tcsetpgrp" => return take_terminal(),
        "debug-syscall" => return debug_syscall(arg(2)),
        "sidflood" => return flood::sidflood(arg(2).parse().unwrap_or(0), arg(3).parse().unwrap_or(0)),
        _ => {
            rampart_libos::eprintln!(
                "usage: fstest user FILE SHA256 | admin N | bench FILE | spawnbench PROGRAM [N [ARGBYTES]] | hostile-exec PROGRAM | revoke FILE | hold NAME,NAME [MS] | debug-syscall N | \
                 sidflood N [FIRST]"
            );
            return 2;
        }
    }
    c.finish()
}

/// `fstest tcsetpgrp`: makes our own process group the terminal's
/// foreground (`tcsetpgrp(3)`), as a program that tries to steal the
/// terminal would, and prints the outcome. From a background job, rm
/// stops the job with `SIGTTOU` first (tests/tests/terminal.rs).
fn take_terminal() -> i32 {
    let r = rampart_rt::jobs::group(0).and_then(|(pgid, _)| rampart_rt::jobs::set_foreground(pgid));
    rampart_libos::println!("fstest: tcsetpgrp: {r:?}");
    i32::from(r.is_err())
}

/// Issues system call number `n` (one of the `Debug*` numbers, 64..=68)
/// with harmless arguments and prints what came back. On the release
/// kernel they do not exist: the call is an unknown system call, a fault
/// that ends this program (status 139 in the shell), so the line is never
/// printed (tests/tests/hardening.rs).
// Probes a system call by its bare number, which `rampart_rt::syscall::raw`
// (typed by the ABI's enum) cannot express: `syscall` in inline assembly.
#[allow(unsafe_code)]
fn debug_syscall(n: &str) -> i32 {
    let Ok(n) = n.parse::<u64>() else { return 2 };
    if !(64..=68).contains(&n) || n == 65 {
        // 65 is DebugShutdown: refused for non-root tasks, but not a probe.
        return 2;
    }
    let (rdi, rsi): (u64, u64);
    // SAFETY: a system call with scalar arguments; the kernel preserves
    // every register but the declared ones.
    unsafe {
        core::arch::asm!(
            "syscall",
            inout("rax") n => _,
            inout("rdi") 0u64 => rdi,
            inout("rsi") 0u64 => rsi,
            out("rcx") _,
            out("r11") _,
            options(nostack)
        );
    }
    rampart_libos::println!("fstest: debug system call {n} returned rdi={rdi:#x} rsi={rsi:#x}");
    0
}
