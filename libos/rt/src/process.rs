//! Programs started by the resource manager: entry with the startup
//! information, arguments and environment, and exit.
//!
//! A program declares `fn main() -> i32` with [`crate::program!`]. Before
//! `main` runs, [`start`] reads the startup header at the address rm passed
//! in `rdi`, points the FS base at the main thread's block (so the IPC
//! buffer is found), gives the heap its initial pages (growing by asking
//! rm), and decodes the startup body (arguments, environment, handles).
//! When `main` returns, its value is the exit status (a request to rm).

use crate::startup::{self, HEADER_SIZE, STARTUP_MAX_BYTES, StartupHeader, slot};
use crate::tls::ThreadBlock;
use core::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std_alloc::string::String;

static MAIN_BLOCK: ThreadBlock = ThreadBlock::new();
static UNDER_RM: AtomicBool = AtomicBool::new(false);

/// Exit status when the startup information is unusable.
pub const STATUS_BAD_STARTUP: i32 = 120;

/// Declares a program's `fn main() -> i32` for a task created by rm.
#[macro_export]
macro_rules! program {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __rampart_main(arg: u64) -> i32 {
            let f: fn() -> i32 = $main;
            $crate::process::start(arg, f)
        }
    };
}

/// Sets up the runtime from the startup information at `info` and runs
/// `main`; returns its status (see the module documentation).
pub fn start(info: u64, main: fn() -> i32) -> i32 {
    // From here on a panic ends this task through rm, never the machine.
    UNDER_RM.store(true, Relaxed);
    // SAFETY: rm maps the startup information read-only at `info` (at least
    // the header) before the task starts; nothing writes it.
    let head = unsafe { core::slice::from_raw_parts(info as *const u8, HEADER_SIZE) };
    let Ok(header) = StartupHeader::from_bytes(head) else {
        crate::pr_err!("rt: bad startup information at {:#x}", info);
        return STATUS_BAD_STARTUP;
    };
    let addr = &raw const MAIN_BLOCK as u64;
    MAIN_BLOCK.prepare(addr, header.ipc_buffer, slot::TCB);
    let r = crate::invoke::call_raw(slot::TCB, rampart_abi::Label::TcbSetTlsBase as u64, &[addr], &[]);
    if r.info.label() != 0 {
        crate::pr_err!("rt: cannot set the thread pointer");
        return STATUS_BAD_STARTUP;
    }
    // SAFETY: rm mapped the initial heap read-write for this task only;
    // this runs once, before anything allocates.
    unsafe { crate::heap::init(header.heap_start, header.heap_size, header.flags & startup::flags::HEAP_GROWS != 0) };
    let len = (HEADER_SIZE + header.body_len as usize).min(STARTUP_MAX_BYTES);
    // SAFETY: rm maps every page of the startup information (header and
    // body) contiguously; `len` is bounded by the area's maximum size and
    // by the body length rm wrote.
    let all = unsafe { core::slice::from_raw_parts(info as *const u8, len) };
    let Ok(body) = startup::decode_body(&header, all) else {
        crate::pr_err!("rt: bad startup body");
        return STATUS_BAD_STARTUP;
    };
    crate::syscall::set_debug_syscalls(header.flags & startup::flags::DEBUG_SYSCALLS != 0);
    startup::set(header, body);
    if let Some(log) = startup::named_cap("log") {
        crate::debug::set_log(log);
    }
    main()
}

/// True if this task was started by rm (not the kernel's root task).
pub fn under_rm() -> bool {
    UNDER_RM.load(Relaxed)
}

/// Ends the program with `status`: for a task started by rm a request to rm;
/// for a root task (init, ktest, ipcbench), powers the machine off with the
/// status through the kernel's `DebugShutdown` (test kernels). If that
/// fails (rm's own `main` returning: rm is neither; a root task on the
/// release kernel), the thread faults so its supervisor notices.
pub fn exit(status: i32) -> ! {
    if under_rm() {
        let _ = crate::rm::request(&rampart_rm_api::Request::Exit { status });
    } else if crate::syscall::debug_syscalls() {
        let _ = crate::syscall::debug_shutdown(status as u32);
    }
    loop {
        // SAFETY: `ud2` raises #UD, a fault reported to this task's fault
        // handler; it touches no memory.
        unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
        crate::syscall::yield_now();
    }
}

/// The program's arguments (empty for a root task).
pub fn args() -> &'static [String] {
    startup::body().map_or(&[], |b| &b.argv)
}

/// The environment as `KEY=value` strings.
pub fn env() -> &'static [String] {
    startup::body().map_or(&[], |b| &b.envp)
}

/// The value of environment variable `key`.
pub fn var(key: &str) -> Option<&'static str> {
    env().iter().find_map(|e| e.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// This task's pid (0 for a root task).
pub fn pid() -> u32 {
    startup::header().map_or(0, |h| h.pid)
}

/// The parent's pid (0 for a root task).
pub fn parent() -> u32 {
    startup::header().map_or(0, |h| h.parent)
}
