//! ipcbench: IPC micro-benchmarks, run as the root task (`root=ipcbench`).
//!
//! Measured with `rdtsc`; under `-icount shift=0,align=off,sleep=off`
//! (`images run --icount`) the TSC counts retired instructions, so every
//! figure is an exact instruction count that repeats across boots. Each
//! benchmark runs a warm-up and then [`SAMPLES`] timed iterations and prints
//! the median, minimum and maximum:
//!
//! - `call_replyrecv_0`: Call + ReplyRecv round trip with no message words
//!   to a server in another address space at the same priority;
//! - `null_syscall`: the `Null` system call (kernel entry and exit);
//! - `signal_wait`: Signal to a higher-priority thread in another address
//!   space blocked in Wait, one way (timestamp before the signal, timestamp
//!   after the wake-up, passed through shared memory);
//! - `call_replyrecv_4`: the round trip with four message words each way;
//! - `call_replyrecv_5`: five words, one of them in the IPC buffer (the
//!   general path, for comparison with the fast path).
//!
//! The numbers include the `rdtsc` pair (reported as `rdtsc_overhead`).
//! The machine is powered off with status 0 when all benchmarks ran.
#![no_std]
#![no_main]
// `unsafe` allowed: a root task reads the `BootInfo` page the kernel maps
// for it (one block, with a `// SAFETY:` comment).
#![allow(unsafe_code)]

use core::sync::atomic::{AtomicU64, Ordering::Relaxed, Ordering::SeqCst};
use rampart_abi::MessageInfo;
use rampart_abi::bootinfo::{BOOTINFO_MAGIC, BootInfo, slot};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{CNode, Endpoint, Notification, Reply, Tcb, Untyped};
use rampart_rt::cpu::rdtsc;
use rampart_rt::dprintln;
use rampart_rt::ipc;
use rampart_rt::spawn::{self, Options, Parent};

rampart_rt::entry!(main);

/// Timed iterations per benchmark.
const SAMPLES: usize = 10_000;
/// Untimed iterations first.
const WARMUP: usize = 1_000;
/// Priority of the benchmark task.
const PRIO: u64 = 100;

/// Samples of the benchmark being run (shared with the threads in other
/// address spaces: the image's .bss is mapped in all of them).
static SAMPLE: [AtomicU64; SAMPLES] = [const { AtomicU64::new(0) }; SAMPLES];
/// Timestamp taken just before a signal.
static T0: AtomicU64 = AtomicU64::new(0);
/// Index of the next signal-wait sample (-1 during warm-up).
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Median (lower), minimum and maximum of the samples, without sorting (a
/// binary search over the value range; the samples live in a shared
/// static).
fn stats() -> (u64, u64, u64) {
    let (mut lo, mut hi) = (u64::MAX, 0);
    for s in &SAMPLE {
        let v = s.load(Relaxed);
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let rank = SAMPLES.div_ceil(2);
    let (mut a, mut b) = (lo, hi);
    while a < b {
        let mid = a + (b - a) / 2;
        if SAMPLE.iter().filter(|s| s.load(Relaxed) <= mid).count() >= rank {
            b = mid;
        } else {
            a = mid + 1;
        }
    }
    (a, lo, hi)
}

fn report(name: &str) -> u64 {
    let (median, min, max) = stats();
    dprintln!("ipcbench: {} median={} min={} max={} (instructions under --icount)", name, median, min, max);
    median
}

/// Times `f` [`SAMPLES`] times after a warm-up.
fn time(mut f: impl FnMut()) {
    for _ in 0..WARMUP {
        f();
    }
    for s in &SAMPLE {
        let t0 = rdtsc();
        f();
        let t1 = rdtsc();
        s.store(t1 - t0, Relaxed);
    }
}

/// Echo server: replies with the message it got (label 0).
fn server(arg: u64) -> u64 {
    let (ep, reply) = (Endpoint(arg & 0xffff_ffff), Reply(arg >> 32));
    let mut r = ipc::recv(ep, reply.0);
    loop {
        let info = MessageInfo::new(0, 0, 0, r.info.length() as u64);
        r = ipc::reply_recv(ep, info, r.mrs, reply);
    }
}

/// Waits for signals and records the time from [`T0`] to the wake-up.
fn waiter(ntfn: u64) -> u64 {
    let n = Notification(ntfn);
    loop {
        ipc::wait(n);
        let t1 = rdtsc();
        let i = NEXT.load(Relaxed);
        if (i as usize) < SAMPLES {
            SAMPLE[i as usize].store(t1 - T0.load(Relaxed), Relaxed);
        }
        NEXT.store(i.wrapping_add(1), Relaxed);
    }
}

fn setup(bi: &BootInfo) -> Result<(Allocator, Parent), rampart_abi::Error> {
    rampart_rt::tls::init_root(bi)?;
    let me = Tcb(slot::TCB);
    me.set_priority(me, PRIO)?;
    let (i, _) = bi
        .untypeds()
        .iter()
        .enumerate()
        .filter(|(_, u)| u.is_device == 0)
        .max_by_key(|(_, u)| u.size_bits)
        .ok_or(rampart_abi::Error::NotEnoughMemory)?;
    let ut = Untyped(bi.untyped.start + i as u64);
    Ok((Allocator::new(CNode(slot::CNODE), bi.empty, ut), Parent::from_bootinfo(bi)))
}

fn run(bi: &BootInfo) -> Result<(), rampart_abi::Error> {
    let (mut a, parent) = setup(bi)?;

    time(|| {});
    report("rdtsc_overhead");

    // (a), (d): an echo server in another address space, same priority.
    let ep = a.endpoint()?;
    let reply = a.reply()?;
    let mut o = Options::new(PRIO);
    o.new_vspace = true;
    spawn::spawn(&mut a, &parent, server, ep.0 | reply.0 << 32, &o)?;
    let empty = MessageInfo::new(0, 0, 0, 0);
    time(|| {
        ipc::call(ep, empty, [0; 4]);
    });
    report("call_replyrecv_0");

    // (b)
    time(ipc::null_syscall);
    report("null_syscall");

    // (c): a higher-priority waiter in another address space.
    let n = a.notification()?;
    let signaller = Notification(a.mint(n.0, rampart_abi::Rights::ALL, 1)?);
    let mut o = Options::new(PRIO + 1);
    o.new_vspace = true;
    NEXT.store(u64::MAX - WARMUP as u64 + 1, SeqCst); // counts up to 0 during warm-up
    spawn::spawn(&mut a, &parent, waiter, n.0, &o)?;
    for _ in 0..WARMUP + SAMPLES {
        T0.store(rdtsc(), Relaxed);
        ipc::signal(signaller);
    }
    if NEXT.load(SeqCst) != SAMPLES as u64 {
        dprintln!("ipcbench: signal_wait: the waiter woke {} times", NEXT.load(SeqCst));
        return Err(rampart_abi::Error::IllegalOperation);
    }
    report("signal_wait");

    let four = MessageInfo::new(0, 0, 0, 4);
    let mut bad = false;
    time(|| {
        let r = ipc::call(ep, four, [1, 2, 3, 4]);
        bad |= r.mrs != [1, 2, 3, 4] || r.info.length() != 4;
    });
    if bad {
        dprintln!("ipcbench: call_replyrecv_4: the echo came back wrong");
        return Err(rampart_abi::Error::IllegalOperation);
    }
    report("call_replyrecv_4");

    // For comparison: five words (MR4 travels in the IPC buffers), which
    // the fast path leaves to the general path.
    let five = MessageInfo::new(0, 0, 0, 5);
    rampart_rt::buffer::expect_current().set_mr(4, 5);
    time(|| {
        ipc::call(ep, five, [1, 2, 3, 4]);
    });
    report("call_replyrecv_5");
    Ok(())
}

fn main(bootinfo: u64) -> i32 {
    // SAFETY: the kernel maps one page holding a `BootInfo` at this address
    // (rampart_abi::bootinfo) before starting the root task.
    let bi: &BootInfo = unsafe { &*(bootinfo as *const BootInfo) };
    if bi.magic != BOOTINFO_MAGIC {
        dprintln!("ipcbench: bad boot information magic {:#x}", bi.magic);
        return 2;
    }
    match run(bi) {
        Ok(()) => {
            dprintln!("ipcbench: done");
            0
        }
        Err(e) => {
            dprintln!("ipcbench: failed: {:?}", e);
            1
        }
    }
}
