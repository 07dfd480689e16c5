//! `linux`: Rampart's Linux personality (docs/linux-abi.md).
//!
//! ```text
//! linux [-0 ARGV0] [-F FD] PROGRAM [ARG...]
//! linux --bench-getppid
//! linux --bench-fork [KIB]
//! linux --forked            (a forked child, started by the shim itself)
//! linux --fuzz [N [SEED]]
//! linux --check-proc
//! ```
//!
//! Runs the static x86_64 Linux program PROGRAM in this process: the shim
//! (linked at `layout::LINUX_SHIM_BASE`, out of the program's way) loads
//! the program's segments at their addresses in the foreign window (rm's
//! `RegionAllocAt`), builds the Linux initial stack (argc, argv, envp,
//! auxv), switches its own thread to foreign-ABI mode (the kernel's
//! `TcbSetSyscallDispatch`, native range = the shim's text) and jumps to
//! the program's entry. From then on every `syscall` the program makes
//! comes back to [`entry`] in this process and is answered with the
//! runtime's calls to the servers — with exactly the authority (security
//! context, capabilities) of this process, as a native program's libos
//! would (trust model in docs/linux-abi.md). `argv[0]` is ARGV0 if given
//! (busybox dispatches on it), else PROGRAM.
//!
//! Design: one concept per module — [`load`] (ELF and initial stack),
//! [`entry`] (the handler's entry and exit, FS base switching, dispatch),
//! [`mem`] (the program's mappings, `brk`, `mmap`, user-pointer checks),
//! [`files`] (descriptors and paths), [`misc`] (identity, time, limits,
//! signals recorded). Status on failure before the program starts: 126
//! (cannot run) or 127 (not found), as shells report.
#![no_std]
#![no_main]
#![allow(unsafe_code)] // jumping into the program, its memory, the handler entry: each `unsafe` has a SAFETY comment

extern crate alloc;

mod bench;
mod entry;
mod exec;
mod files;
mod fork;
mod fuzz;
mod load;
mod mem;
mod misc;
mod poll;
mod signal;
mod tty;

use alloc::string::String;
use alloc::vec::Vec;
use rampart_libos::eprintln;

rampart_libos::main!(main);

fn main() -> i32 {
    let args = rampart_libos::env::args();
    let rest: &[String] = args.get(1..).unwrap_or(&[]);
    if rest.first().map(String::as_str) == Some("--bench-getppid") {
        return bench::run();
    }
    if rest.first().map(String::as_str) == Some("--bench-fork") {
        return bench::fork(rest.get(1).and_then(|v| v.parse().ok()).unwrap_or(0));
    }
    if rest.first().map(String::as_str) == Some("--check-proc") {
        return fuzz::checks();
    }
    if rest.first().map(String::as_str) == Some("--forked") {
        return fork::child();
    }
    if rest.first().map(String::as_str) == Some("--fuzz") {
        let n = rest.get(1).and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let seed = rest.get(2).and_then(|v| v.parse().ok()).unwrap_or(0x5eed);
        return fuzz::run(n, seed);
    }
    let Some(shim) = rampart_linux_abi::exec::parse_shim_args(rest) else {
        eprintln!("usage: linux [-0 ARGV0] [-F FD] PROGRAM [ARG...]");
        return 2;
    };
    let program = &shim.rest[0];
    let cwd = rampart_libos::env::current_dir();
    let path = rampart_libos::path::absolute(&cwd, program);
    // Started by spawn, the program is open on descriptor FD: the file
    // the file server checked and decided this domain for, read from
    // that handle, never again by its path (rampart_linux_abi::exec).
    let image = match shim.fd {
        Some(fd) => exec::read_fd(fd),
        None => rampart_libos::fs::read(&path),
    };
    let image = match image {
        Ok(b) => b,
        Err(e) => {
            eprintln!("linux: {program}: {e}");
            return if e.errno() == rampart_uabi::Errno::ENOENT { 127 } else { 126 };
        }
    };
    let mut argv: Vec<String> = shim.rest.to_vec();
    if let Some(a) = shim.argv0 {
        argv[0] = String::from(a);
    }
    let envp: Vec<String> = rampart_libos::env::vars().into_iter().map(|(k, v)| alloc::format!("{k}={v}")).collect();
    if image.starts_with(b"#!") {
        // A script the file server sealed as a Linux program: its
        // interpreter runs it (docs/linux-abi.md, "execve"), as its `#!`
        // line in the bytes read from the checked file says.
        let head = &image[..image.len().min(rampart_linux_abi::exec::SHEBANG_MAX)];
        let line = rampart_linux_abi::exec::shebang(head).map(|(i, a)| (String::from(i), a.map(String::from)));
        drop(image);
        crate::misc::init();
        let Some(line) = line else {
            eprintln!("linux: {program}: bad interpreter line");
            return 126;
        };
        return match exec::run_script(line, &path, argv, envp) {
            Err(e) => {
                eprintln!("linux: {program}: cannot run the interpreter: errno {e}");
                if e == rampart_linux_abi::errno::ENOENT { 127 } else { 126 }
            }
        };
    }
    match load::load(&image, &path, &argv, &envp) {
        Ok(start) => {
            drop(image);
            files::set_exe(&path);
            entry::start(start)
        }
        Err(e) => {
            eprintln!("linux: {program}: {e}");
            126
        }
    }
}
