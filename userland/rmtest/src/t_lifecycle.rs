//! Process lifecycle: spawn, exit, wait, kill, faults, and 1,000
//! create/destroy cycles with exact memory accounting.

use crate::{T, child, rdtsc, run};
use alloc::vec::Vec;
use rampart_rm_api::{ExitStatus, FaultKind, Image, Spawn};
use rampart_rt::{dprintln, rm};
use rampart_uabi::Errno;

/// Spawn, exit status, wait variants, permissions.
pub fn basics(t: &mut T) {
    let (pid, parent) = rm::getpid().unwrap_or((0, 0));
    t.check(pid == rampart_rt::process::pid() && parent == 1, "getpid matches the startup information");
    t.check(run(child(&["exit", "7"])) == Ok(ExitStatus::Exited(7)), "a child's exit status reaches its parent");
    t.check(rm::wait(None, false) == Err(Errno::ECHILD), "wait without children is ECHILD");
    let missing = Spawn { image: Some(Image::Bootfs("no-such-program".into())), ..Default::default() };
    t.check(rm::spawn(missing) == Err(Errno::ENOENT), "an unknown image is ENOENT");
    let bad = Spawn { cnode_radix: Some(3), ..child(&["exit", "0"]) };
    t.check(rm::spawn(bad) == Err(Errno::EINVAL), "a bad CNode size is EINVAL");
    if let Ok(pid) = rm::spawn(child(&["spin"])) {
        t.check(rm::wait(Some(pid), false) == Ok(None), "wait without blocking on a running child");
        t.check(rm::kill(pid).is_ok(), "kill a child");
        t.check(rm::wait(None, true) == Ok(Some((pid, ExitStatus::KILLED))), "a killed child is reported killed");
        t.check(rm::kill(pid) == Err(Errno::ESRCH), "killing it again is ESRCH");
    } else {
        t.check(false, "spawn a spinning child");
    }
    t.check(rm::kill(1) == Err(Errno::EPERM), "killing init is EPERM");
    t.check(rm::task_info(1) == Err(Errno::ESRCH), "init is not a task of rm");
    let me = rm::task_info(rampart_rt::process::pid());
    t.check(me.as_ref().is_ok_and(|i| i.name == "rmtest" && i.parent == 1), "task information about oneself");
    t.check(
        run(child(&["signalinit"])) == Ok(ExitStatus::Exited(0)),
        "a child cannot kill init; the policy lets it signal its parent",
    );
    // Blocking wait answered later: the child exits after the parent waits.
    let a = rm::spawn(child(&["exit", "3"]));
    let b = rm::spawn(child(&["exit", "4"]));
    let mut got = Vec::new();
    for _ in 0..2 {
        if let Ok(Some((p, s))) = rm::wait(None, true) {
            got.push((p, s));
        }
    }
    got.sort_by_key(|g| g.0);
    let want = match (a, b) {
        (Ok(a), Ok(b)) => alloc::vec![(a, ExitStatus::Exited(3)), (b, ExitStatus::Exited(4))],
        _ => Vec::new(),
    };
    t.check(!want.is_empty() && got == want, "blocking waits collect two children");
    // The heap grows through rm.
    let mut v: Vec<u64> = Vec::new();
    let grew = v.try_reserve(512 * 1024).is_ok();
    v.extend(0..512 * 1024);
    t.check(grew && v.iter().sum::<u64>() == 512 * 1024 * (512 * 1024 - 1) / 2, "a 4 MiB heap allocation");
}

/// Faulting children are reported with the reason and cleaned up.
pub fn faults(t: &mut T) {
    let before = rm::stats().ok();
    let r = run(child(&["null"]));
    let ok = matches!(r, Ok(ExitStatus::Faulted(f)) if f.kind == FaultKind::PageFault { fetch: false, write: false } && f.addr == 0);
    t.check(ok, "a null dereference is reported as a read page fault at 0");
    let r = run(child(&["ud2"]));
    t.check(
        matches!(r, Ok(ExitStatus::Faulted(f)) if f.kind == FaultKind::Exception { vector: 6 }),
        "an illegal instruction is reported as exception 6",
    );
    let r = run(child(&["wild"]));
    let ok = matches!(r, Ok(ExitStatus::Faulted(f)) if f.kind == FaultKind::PageFault { fetch: true, write: false } && f.addr == 0xdead_0000 && f.ip == 0xdead_0000);
    t.check(ok, "a wild jump is reported as an instruction-fetch fault at the target");
    let r = run(child(&["std"]));
    t.check(
        matches!(r, Ok(ExitStatus::Faulted(f)) if f.kind == FaultKind::Exception { vector: 6 }),
        "a fault with the direction flag set is reported (and the kernel survives it)",
    );
    let after = rm::stats().ok();
    let same = matches!((before, after), (Some(a), Some(b)) if a.free_bytes == b.free_bytes && a.free_slots == b.free_slots && a.tasks == b.tasks);
    t.check(same, "faulted tasks are cleaned up completely");
    t.check(run(child(&["exit", "0"])) == Ok(ExitStatus::Exited(0)), "the system keeps running after faults");
}

fn median(v: &mut [u64]) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// 1,000 processes created and destroyed; free memory equal to the byte.
pub fn thousand(t: &mut T) {
    const N: usize = 1000;
    let mut create = Vec::with_capacity(N);
    let mut destroy = Vec::with_capacity(N);
    let req = child(&["spin"]);
    let before = rm::stats();
    let mut errors = 0;
    for _ in 0..N {
        let t0 = rdtsc();
        let pid = rm::spawn(req.clone());
        let t1 = rdtsc();
        let Ok(pid) = pid else {
            errors += 1;
            continue;
        };
        let k = rm::kill(pid);
        let t2 = rdtsc();
        if k.is_err() || rm::wait(Some(pid), true) != Ok(Some((pid, ExitStatus::KILLED))) {
            errors += 1;
        }
        create.push(t1 - t0);
        destroy.push(t2 - t1);
    }
    let after = rm::stats();
    t.check(errors == 0, "1000 processes created, killed and collected");
    match (before, after) {
        (Ok(b), Ok(a)) => {
            dprintln!(
                "rmtest: free memory before {} bytes, after {} bytes; free slots {} / {}",
                b.free_bytes,
                a.free_bytes,
                b.free_slots,
                a.free_slots
            );
            t.check(a.free_bytes == b.free_bytes, "free memory after 1000 processes equals free memory before");
            t.check(
                a.free_slots == b.free_slots && a.tasks == b.tasks && a.zombies == b.zombies,
                "no slot or record leaks",
            );
        }
        _ => t.check(false, "rm statistics"),
    }
    let (c, d) = (median(&mut create), median(&mut destroy));
    dprintln!("rmtest: measure: create process median {c} instructions, destroy process median {d} instructions");
    // Exit path: spawn, the child exits by itself, the parent collects it.
    let before = rm::stats();
    let mut errors = 0;
    for _ in 0..100 {
        if run(child(&["exit", "0"])) != Ok(ExitStatus::Exited(0)) {
            errors += 1;
        }
    }
    t.check(
        errors == 0 && rm::stats().map(|s| s.free_bytes) == before.map(|s| s.free_bytes),
        "100 exits leave no trace",
    );
}
