//! ktest: the in-guest kernel test suite (in the spirit of seL4's sel4test).
//!
//! Booted as the root task with `root=ktest`, it exercises every kernel
//! object type and error path through the typed API of `rampart-rt`, from
//! the root task and from threads it creates in its own and in new address
//! spaces. Each test prints `ktest: <name> ... ok` or `... FAILED
//! (<reason>)`; the suite ends with `ktest: N passed, M failed` and powers
//! the machine off with status 0 if nothing failed, else 1.
//!
//! Command line (kernel command line words): `stress=N` sets the number of
//! random invocations of the stress test (default 100000), `fuzz=N` the
//! attacker invocations of the fuzzer (default 100000), `seed=S` the seed
//! of both, `only=PREFIX` runs only tests whose name starts with PREFIX.
#![no_std]
#![no_main]
// The kernel's in-guest tests deliberately hand the kernel bad pointers,
// fault, and read memory the kernel maps; each block says what it tests.
#![allow(unsafe_code)]
// Failure reasons are fixed buffers (no allocator), so `Err` is large by design.
#![allow(clippy::result_large_err)]

mod fuzz;
mod harness;
mod rng;
mod stress;
mod t_audit;
mod t_cap;
mod t_dispatch;
mod t_fault;
mod t_io;
mod t_ipc;
mod t_ntfn;
mod t_sched;
mod t_seg;
mod t_tcb;
mod t_timer;
mod t_untyped;
mod t_vm;

use harness::{Env, ROOT, ROOT_PRIO, Test};
use rampart_abi::bootinfo::{BOOTINFO_MAGIC, BootInfo};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{Tcb, Untyped};
use rampart_rt::dprintln;
use rampart_rt::spawn::Parent;

rampart_rt::entry!(main);

/// Every test group, in the order they run.
const GROUPS: &[&[Test]] = &[
    t_cap::TESTS,
    t_untyped::TESTS,
    t_vm::TESTS,
    t_tcb::TESTS,
    t_dispatch::TESTS,
    t_ipc::TESTS,
    t_ntfn::TESTS,
    t_sched::TESTS,
    t_timer::TESTS,
    t_seg::TESTS,
    t_fault::TESTS,
    t_io::TESTS,
    t_audit::TESTS,
    stress::TESTS,
    fuzz::TESTS,
];

/// Default number of random invocations in the stress test.
const DEFAULT_STRESS: u64 = 100_000;

fn arg<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline.split_whitespace().find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
}

fn main(bootinfo: u64) -> i32 {
    // SAFETY: the kernel maps one page holding a `BootInfo` at this address
    // (rampart_abi::bootinfo) before starting the root task, read-only and
    // for the task's whole life.
    let bi: &'static BootInfo = unsafe { &*(bootinfo as *const BootInfo) };
    if bi.magic != BOOTINFO_MAGIC {
        dprintln!("ktest: bad boot information magic {:#x}", bi.magic);
        return 2;
    }
    let cmdline = bi.cmdline();
    let stress_n = arg(cmdline, "stress").and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_STRESS);
    let fuzz_n = arg(cmdline, "fuzz").and_then(|v| v.parse().ok()).unwrap_or(fuzz::DEFAULT_INVOCATIONS);
    let seed = arg(cmdline, "seed").and_then(|v| v.parse().ok()).unwrap_or(0x5eed_1234_abcd_0001);
    let only = arg(cmdline, "only").unwrap_or("");

    if let Err(e) = rampart_rt::tls::init_root(bi) {
        dprintln!("ktest: setting up the thread block failed: {:?}", e);
        dprintln!("ktest: 0 passed, 1 failed");
        return 1;
    }
    if let Err(e) = Tcb(rampart_abi::bootinfo::slot::TCB).set_priority(Tcb(rampart_abi::bootinfo::slot::TCB), ROOT_PRIO)
    {
        dprintln!("ktest: cannot set own priority to {}: {:?}", ROOT_PRIO, e);
    }

    // The largest ordinary (non-device) boot untyped feeds the tests.
    let best = bi.untypeds().iter().enumerate().filter(|(_, u)| u.is_device == 0).max_by_key(|(_, u)| u.size_bits);
    let Some((i, desc)) = best else {
        dprintln!("ktest: the boot information lists no untyped memory");
        dprintln!("ktest: 0 passed, 1 failed");
        return 1;
    };
    let pool = Untyped(bi.untyped.start + i as u64);
    dprintln!("ktest: {} CPUs online (boot information)", bi.cpus_online);
    dprintln!(
        "ktest: {} untyped caps, using slot {} ({} MiB at {:#x}); {} free slots",
        bi.untyped.len(),
        pool.0,
        (1u64 << desc.size_bits) >> 20,
        desc.paddr,
        bi.empty.len()
    );
    let mut env = Env {
        bi,
        a: Allocator::new(ROOT, bi.empty, pool),
        parent: Parent::from_bootinfo(bi),
        pool,
        pool_paddr: desc.paddr,
        pool_bits: u64::from(desc.size_bits),
        test_ut: 0,
        stress_n,
        fuzz_n,
        seed,
    };

    let (mut passed, mut failed) = (0u32, 0u32);
    for t in GROUPS.iter().flat_map(|g| g.iter()) {
        if !t.name.starts_with(only) {
            continue;
        }
        let mark = match env.begin() {
            Ok(m) => m,
            Err(e) => {
                dprintln!("ktest: {} ... FAILED (creating the test untyped: {:?})", t.name, e);
                failed += 1;
                continue;
            }
        };
        let r = (t.run)(&mut env);
        let cleanup = env.end(mark);
        match r.and(cleanup) {
            Ok(()) => {
                dprintln!("ktest: {} ... ok", t.name);
                passed += 1;
            }
            Err(reason) => {
                dprintln!("ktest: {} ... FAILED ({})", t.name, reason.as_str());
                failed += 1;
            }
        }
    }
    dprintln!("ktest: {} passed, {} failed", passed, failed);
    if failed == 0 { 0 } else { 1 }
}
