//! rmtest: the resource manager's in-guest test suite.
//!
//! init starts it as the first program when the kernel command line says
//! `init.test=rm`; it drives rm through the "proc" protocol, prints one line
//! per check and finally `rmtest: N passed, M failed`, and exits with 0 if
//! everything passed (init then powers off with that status).
//! The numbers it measures (instructions under `-icount`) are printed as
//! `rmtest: measure: ...` lines (docs/performance.md).
#![no_std]
#![no_main]

extern crate alloc;

// Views of its own regions (`Region::shared`).
#[allow(unsafe_code)]
mod elf;
// Views of its own regions (`Region::shared`).
#[allow(unsafe_code)]
mod t_args;
mod t_lifecycle;
// Views of its own regions (`Region::shared`).
#[allow(unsafe_code)]
mod t_memory;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_rm_api::{ExitStatus, Image, Pid, Spawn};
pub use rampart_rt::cpu::rdtsc;
use rampart_rt::{dprintln, rm};
use rampart_uabi::Errno;

rampart_rt::program!(main);

/// Pass/fail counters.
pub struct T {
    passed: u32,
    failed: u32,
}

impl T {
    /// Records one check.
    pub fn check(&mut self, ok: bool, what: &str) {
        if ok {
            self.passed += 1;
            dprintln!("rmtest: ok   {what}");
        } else {
            self.failed += 1;
            dprintln!("rmtest: FAIL {what}");
        }
    }
}

/// A spawn request for `rmchild` with `args`.
pub fn child(args: &[&str]) -> Spawn {
    let mut argv: Vec<String> = alloc::vec!["rmchild".to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    Spawn { image: Some(Image::Bootfs("rmchild".into())), argv, ..Default::default() }
}

/// Spawns and waits; the status.
pub fn run(s: Spawn) -> Result<ExitStatus, Errno> {
    let pid: Pid = rm::spawn(s)?;
    match rm::wait(Some(pid), true)? {
        Some((p, st)) if p == pid => Ok(st),
        _ => Err(Errno::EPROTO),
    }
}

/// Power control is rm's, by capability: the kernel's `DebugShutdown` is
/// refused to a task that is not the root task. Had it gone through, the
/// machine would stop here with status 0x55 and the suite would fail.
/// (rm's policy check of `PowerOff` is exercised end to end by
/// `tests/tests/coreutils.rs`: rmtest runs as the administrator.)
fn power(t: &mut T) {
    let r = rampart_rt::syscall::debug_shutdown(0x55);
    t.check(r == Err(rampart_abi::Error::IllegalOperation), "the kernel refuses DebugShutdown to an ordinary task");
}

fn main() -> i32 {
    let mut t = T { passed: 0, failed: 0 };
    dprintln!("rmtest: pid {} started", rampart_rt::process::pid());
    t_lifecycle::basics(&mut t);
    t_lifecycle::faults(&mut t);
    elf::malformed_images(&mut t);
    t_args::blocks(&mut t);
    t_memory::regions(&mut t);
    t_memory::fixed_regions(&mut t);
    t_memory::quotas(&mut t);
    t_lifecycle::thousand(&mut t);
    power(&mut t);
    t.check(rampart_rt::ipc::check_invariants() == 0, "kernel invariants hold at the end");
    dprintln!("rmtest: {} passed, {} failed", t.passed, t.failed);
    if t.failed == 0 { 0 } else { 1 }
}
