//! Benchmarks: instructions (under `-icount shift=0`) for an AVC hit, an
//! AVC miss (IPC to secsrv) and a connect through connsrv.

use crate::checks::{Ctx, slots};
use crate::{T, rdtsc};
use core::hint::black_box;
use rampart_connsrv_api::client::disconnect;
use rampart_rt::dprintln;
use rampart_secsrv_api::client::SecAvc;
use rampart_secsrv_api::rt::Ipc;

const HITS: u64 = 10_000;
const MISSES: u64 = 200;
const CONNECTS: u64 = 50;

/// Runs the benchmarks and prints `sectest: measure: ...` lines.
pub fn run(t: &mut T, cx: &mut Ctx) {
    let mut c = cx.avc.client();
    let (Ok(security), Ok(service)) = (c.class_id("security"), c.class_id("service")) else {
        t.check(false, "benchmark vocabulary");
        return;
    };
    let Ok(target) = c.context_to_sid("system_u:object_r:security_t") else {
        t.check(false, "benchmark target");
        return;
    };
    let perm = c.perms(security, &["compute_av"]).unwrap_or(1);
    let me = cx.me;

    // Hit: the decision is cached after the first check.
    let _ = cx.avc.check(me, target, security, perm, "bench");
    let t0 = rdtsc();
    for _ in 0..HITS {
        let _ = black_box(cx.avc.check(black_box(me), target, security, perm, "bench"));
    }
    // Instructions under `-icount shift=0` (the host test checks the
    // target of 100); TSC cycles otherwise.
    let hit = (rdtsc() - t0) / HITS;
    dprintln!("sectest: measure: avc hit {hit} instructions");

    // Miss: a one-entry cache alternating two keys misses every time.
    let mut small: SecAvc<Ipc, 1, 1> = SecAvc::new(cx.avc.t);
    let _ = small.refresh();
    let mut ok = true;
    let t0 = rdtsc();
    for i in 0..MISSES {
        let class = if i % 2 == 0 { security } else { service };
        // Asking for no permission: a full miss, never a denial to audit.
        ok &= black_box(small.check(me, target, class, 0, "bench")).is_ok();
    }
    let miss = (rdtsc() - t0) / MISSES;
    t.check(ok && small.avc.stats().hits == 0, "every benchmark miss went to secsrv");
    dprintln!("sectest: measure: avc miss {miss} instructions");

    // The parts of a miss: a secsrv round trip that computes nothing
    // (`WhoAmI`), and `ComputeAv` called directly.
    let mut c = cx.avc.client();
    let t0 = rdtsc();
    for _ in 0..MISSES {
        let _ = black_box(c.who_am_i());
    }
    dprintln!("sectest: measure: secsrv round trip (WhoAmI) {} instructions", (rdtsc() - t0) / MISSES);
    let t0 = rdtsc();
    for _ in 0..MISSES {
        let _ = black_box(c.compute_av(me, target, security));
    }
    dprintln!("sectest: measure: secsrv ComputeAv call {} instructions", (rdtsc() - t0) / MISSES);

    // Connect (the disconnect is not counted).
    let mut total = 0;
    let mut n = 0;
    for _ in 0..CONNECTS {
        let t0 = rdtsc();
        let r = cx.ch.connect("security", slots::SCRATCH);
        total += rdtsc() - t0;
        if let Ok(c) = r {
            n += 1;
            let _ = disconnect(&mut { cx.ch }, c.conn);
        }
    }
    t.check(n == CONNECTS, "benchmark connects succeed");
    dprintln!("sectest: measure: connect {} instructions", total / CONNECTS);
}
