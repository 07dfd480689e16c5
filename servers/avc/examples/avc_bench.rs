//! Hit-path benchmark: `cargo run --release -p rampart-avc --example avc_bench`.
//! Prints nanoseconds per hit. For instruction counts run it under
//! `valgrind --tool=callgrind` with `AVC_BENCH_ITERS` set to two values and
//! divide the difference in instructions by the difference in iterations.

use std::hint::black_box;
use std::time::Instant;

use rampart_avc::{Avc, AvcBackend, Decision, NoAudit};

struct Backend;

impl AvcBackend for Backend {
    type Error = ();
    fn compute_av(&mut self, _s: u32, t: u32, _c: u16) -> Result<Decision, ()> {
        Ok(Decision { allowed: t, auditallow: 0, auditdeny: !0, seqno: 1 })
    }
}

fn main() {
    let iters: u32 = std::env::var("AVC_BENCH_ITERS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000_000);
    let mut avc: Box<Avc<512, 4>> = Box::default();
    let mut b = Backend;
    for k in 0..256u32 {
        avc.query(&mut b, k, 1000 + k, 3).unwrap();
    }
    let start = Instant::now();
    let mut ok = 0u32;
    for i in 0..iters {
        let k = i & 255;
        if avc.has_perm(&mut b, &mut NoAudit, black_box(k), black_box(1000 + k), 3, 1).is_ok() {
            ok += 1;
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / f64::from(iters.max(1));
    println!("{iters} has_perm hits: {ns:.2} ns/hit, {ok} granted, stats {:?}", avc.stats());
}
