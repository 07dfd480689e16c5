//! The child of the resource-manager tests (`userland/rmtest`). What it does
//! is chosen by `argv[1]`:
//!
//! | mode | behaviour | exit status |
//! |---|---|---|
//! | `exit N` | exits | N |
//! | `null` | reads address 0 | (page fault) |
//! | `ud2` | executes an invalid opcode | (exception 6) |
//! | `wild` | jumps to `0xdead0000` | (page fault on fetch) |
//! | `std` | sets the direction flag, then executes an invalid opcode | (exception 6) |
//! | `spin` | yields forever | (killed) |
//! | `hog` | allocates 64 KiB regions, then heap, until refused | 0 if refused with EDQUOT/ENOMEM |
//! | `alloc N` | allocates and touches an N-page region and N KiB of heap | 0 on success |
//! | `mapshared` | maps the region token it inherited, checks and rewrites it | 0 if the contents matched |
//! | `phys` | asks for physical addresses (not authorised) | 0 if refused with EPERM |
//! | `signalinit` | tries to kill init, checks it may signal its parent | 0 if init is refused with EPERM and the parent allowed |
#![no_std]
#![no_main]
// `unsafe` allowed: rm's test child faults on purpose (null read, `ud2`, a wild jump)
// and writes regions rm maps for it.
#![allow(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use rampart_rt::process::args;
use rampart_rt::{dprintln, rm};
use rampart_uabi::Errno;

rampart_rt::program!(main);

fn main() -> i32 {
    let a = args();
    let mode = a.get(1).map_or("", |s| s.as_str());
    let n: u64 = a.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
    match mode {
        "exit" => n as i32,
        // `argbytes N ENVC ARG...`: 0 if the ARGs hold N bytes in all and
        // the environment ENVC strings (rmtest's argument blocks).
        "argbytes" => {
            let got: u64 = a.iter().skip(4).map(|s| s.len() as u64).sum();
            let envc: usize = a.get(3).and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
            i32::from(got != n || rampart_rt::process::env().len() != envc)
        }
        "null" => {
            // SAFETY: deliberately faults: page 0 is never mapped.
            let v = unsafe { core::ptr::read_volatile(core::ptr::null::<u64>()) };
            v as i32
        }
        "ud2" => {
            // SAFETY: deliberately raises #UD; touches no memory.
            unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
            1
        }
        "std" => {
            // SAFETY: deliberately enters the kernel through an exception
            // with the direction flag set; touches no memory.
            unsafe { core::arch::asm!("std", "ud2", options(nomem, nostack)) };
            1
        }
        "wild" => {
            // SAFETY: deliberately jumps to an unmapped address (a fault).
            unsafe { core::arch::asm!("jmp {}", in(reg) 0xdead_0000u64, options(noreturn)) }
        }
        "spin" => loop {
            rampart_rt::syscall::yield_now();
        },
        "hog" => hog(),
        "alloc" => alloc_touch(n),
        "mapshared" => mapshared(),
        "phys" => match rm::region_alloc(4096).and_then(|r| rm::region_phys(r.id, 0)) {
            Err(Errno::EPERM) => 0,
            r => {
                dprintln!("rmchild: phys gave {:?}", r.map(|v| v.len()));
                1
            }
        },
        "signalinit" => {
            // init (not a task rm made) is never signalled; the parent may
            // be where the policy allows (it runs in the same domain), as
            // on Unix: only checked with signal 0 here.
            let init = rampart_rt::signal::kill(1, rampart_rt::signal::SIGKILL);
            let parent = rampart_rt::signal::kill(rampart_rt::process::parent(), 0);
            if init == Err(Errno::EPERM) && parent == Ok(()) {
                0
            } else {
                dprintln!("rmchild: killing init gave {init:?}, checking the parent {parent:?}");
                1
            }
        }
        _ => {
            dprintln!("rmchild: unknown mode {mode:?}");
            2
        }
    }
}

fn hog() -> i32 {
    let mut regions = 0u32;
    let err = loop {
        match rm::region_alloc(64 * 1024) {
            Ok(r) => {
                // SAFETY: the region was just mapped for this task (never freed).
                let _ = unsafe { r.shared() }.write(0, &[1]);
                regions += 1;
            }
            Err(e) => break e,
        }
    };
    // The heap refuses too (try_reserve sees the failure; nothing panics).
    let mut v: Vec<u8> = Vec::new();
    let heap_refused = v.try_reserve(64 << 20).is_err();
    dprintln!("rmchild: hog got {regions} regions, then {err}; heap refused: {heap_refused}");
    if (err == Errno::EDQUOT || err == Errno::ENOMEM) && heap_refused { 0 } else { 1 }
}

fn alloc_touch(pages: u64) -> i32 {
    let r = match rm::region_alloc(pages * 4096) {
        Ok(r) => r,
        Err(e) => {
            dprintln!("rmchild: alloc {pages} pages: {e}");
            return 1;
        }
    };
    // SAFETY: the region was just mapped for this task; freed below after
    // the view's last use.
    let s = unsafe { r.shared() };
    for i in (0..s.len()).step_by(4096) {
        let _ = s.write(i, &[i as u8]);
    }
    let mut v: Vec<u8> = Vec::new();
    if v.try_reserve(pages as usize * 1024).is_err() {
        dprintln!("rmchild: heap of {pages} KiB refused");
        return 1;
    }
    v.resize(pages as usize * 1024, 7);
    if rm::region_free(r.id).is_err() {
        return 1;
    }
    0
}

fn mapshared() -> i32 {
    let Some(tok) = rampart_rt::startup::named_cap("region") else {
        dprintln!("rmchild: no inherited region token");
        return 1;
    };
    let r = match rm::region_map(tok) {
        Ok(r) => r,
        Err(e) => {
            dprintln!("rmchild: mapping the shared region: {e}");
            return 1;
        }
    };
    // SAFETY: rm mapped the shared region into this task, which never
    // unmaps it.
    let s = unsafe { r.shared() };
    let ok = s.to_vec(0, 4096.min(s.len())).is_ok_and(|v| v.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    let _ = s.write(0, &alloc::vec![0x5a; s.len()]);
    if ok { 0 } else { 3 }
}
