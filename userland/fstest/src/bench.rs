//! The sequential-read benchmark (docs/performance.md): one pass over a
//! file in the library's request size, timed with the TSC (instructions
//! under `-icount shift=0`, where the virtual clock also skips the time the
//! processor is halted; the kernel's idle count separates the two).

use rampart_libos::fs::File;
use rampart_libos::io::Read;
use rampart_libos::time::Instant;
use rampart_libos::{eprintln, println};

/// Byte `i` of the image builder's benchmark file
/// (`images::rootfs::bench_bytes`).
fn expected(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 24) as u8
}

/// Reads `path` once; prints bytes, TSC ticks and ticks per KiB. Exits 1 on
/// an error or if a sampled byte differs from the benchmark pattern.
pub fn read(path: &str) -> i32 {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("fstest: {path}: {e}");
            return 1;
        }
    };
    let mut buf = alloc::vec![0u8; 1 << 20];
    let (mut total, mut bad) = (0u64, 0u32);
    // The host test times the read between this line and the result line.
    println!("fstest: bench start");
    let idle0 = rampart_rt::syscall::debug_idle_ticks();
    let t0 = Instant::now();
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                // Sample the first bytes of every read (cheap next to the read).
                for (k, b) in buf[..n.min(8)].iter().enumerate() {
                    bad += u32::from(*b != expected(total + k as u64));
                }
                total += n as u64;
            }
            Err(e) => {
                eprintln!("fstest: reading {path}: {e}");
                return 1;
            }
        }
    }
    let ticks = Instant::now().ticks() - t0.ticks();
    let idle = rampart_rt::syscall::debug_idle_ticks().wrapping_sub(idle0).min(ticks);
    let us = t0.elapsed().as_micros();
    let kib = (total / 1024).max(1);
    let (per_kib, busy_per_kib) = (ticks / kib, (ticks - idle) / kib);
    println!(
        "fstest: bench read {total} bytes in {ticks} TSC ticks ({per_kib} per KiB), idle {idle} ({busy_per_kib} busy per KiB), {us} us, {bad} bad samples"
    );
    i32::from(bad > 0)
}

/// Starts `path` `n` times (`Command::spawn`, then `wait`), with no
/// descriptors and, if `arg_bytes` is not 0, one argument of `arg_bytes`
/// bytes (past about 800 it travels in an argument block: rm-api's
/// `ArgBlock`), and prints the median TSC ticks of the spawn call and of
/// spawn + wait, the kernel's idle ticks taken out (instructions under
/// `-icount shift=0`; docs/performance.md). Exits 1 if a run fails.
pub fn spawn(path: &str, n: usize, arg_bytes: usize) -> i32 {
    let mut calls = alloc::vec::Vec::new();
    let mut whole = alloc::vec::Vec::new();
    let busy = |t0: u64, i0: u64| {
        let ticks = Instant::now().ticks() - t0;
        ticks - rampart_rt::syscall::debug_idle_ticks().wrapping_sub(i0).min(ticks)
    };
    for _ in 0..n.max(1) {
        let (t0, i0) = (Instant::now().ticks(), rampart_rt::syscall::debug_idle_ticks());
        use rampart_libos::process::{Command, Stdio};
        let mut cmd = Command::new(path);
        if arg_bytes > 0 {
            cmd.arg(&"x".repeat(arg_bytes));
        }
        let spawned = cmd.stdin(Stdio::Null).stdout(Stdio::Null).stderr(Stdio::Null).spawn();
        let mut child = match spawned {
            Ok(c) => c,
            Err(e) => {
                eprintln!("fstest: spawning {path}: {e}");
                return 1;
            }
        };
        calls.push(busy(t0, i0));
        if let Err(e) = child.wait() {
            eprintln!("fstest: waiting for {path}: {e}");
            return 1;
        }
        whole.push(busy(t0, i0));
    }
    calls.sort_unstable();
    whole.sort_unstable();
    println!(
        "fstest: spawnbench {path} x{} args {arg_bytes}: spawn median {} busy ticks, spawn+wait median {} busy ticks",
        calls.len(),
        calls[calls.len() / 2],
        whole[whole.len() / 2]
    );
    0
}
