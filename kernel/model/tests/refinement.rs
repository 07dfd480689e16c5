//! Refinement: the real kernel core against the model on random operation
//! sequences (see `rampart_model::refine`). The seed is printed; rerun a
//! failure with `RAMPART_SEED=<seed>`.

use rampart_model::refine::harness::Path;
use rampart_model::refine::{configs, domain, exclusions, run};
use rampart_model::rng::seed_from_env;

fn refine(steps: u64) {
    let seed = seed_from_env("RAMPART_SEED");
    let skip = exclusions();
    println!("refinement seed {seed} (rerun with RAMPART_SEED={seed})");
    match run(&configs(), &domain(), seed, steps, 300) {
        Ok(r) => {
            println!("{} steps compared in {} episodes, {:.2?}", r.steps, r.episodes, r.elapsed);
            println!("operations skipped (known kernel differences, tests/kernel_bugs.rs): {}", r.excluded);
            println!("system calls on the kernel's IPC fast path: {}", r.fastpath);
            println!("steps by kind: {:?}", r.kinds);
            let ipc: u64 = r.paths.values().sum();
            let share = |p| r.paths.get(&p).copied().unwrap_or(0);
            println!(
                "IPC steps by path: {ipc} in all, fast Call {}, fast ReplyRecv {}, general {}",
                share(Path::FastCall),
                share(Path::FastReplyRecv),
                share(Path::General)
            );
            if !skip.contains(&'a') {
                assert!(share(Path::FastCall) * 10 >= ipc, "fast Call under 10% of IPC steps");
                assert!(share(Path::FastReplyRecv) * 10 >= ipc, "fast ReplyRecv under 10% of IPC steps");
            }
            println!("outcomes compared: {:?}", r.outcomes);
            assert_eq!(r.steps, steps);
            // The run exercised the interesting paths, not only errors.
            for k in ["Ok", "Msg", "Msg+cap", "Msg+unwrapped", "Signal", "Aborted", "Restart", "Err(DeleteFirst)"] {
                assert!(r.outcomes.get(k).copied().unwrap_or(0) > 0, "no {k} outcome in {:?}", r.outcomes);
            }
        }
        Err(d) => panic!("{d}"),
    }
}

/// CI: 12,000 compared steps.
#[test]
fn kernel_refines_model_12k_steps() {
    refine(12_000);
}

/// The long run: `cargo test -p rampart-model --release --test refinement -- --ignored --nocapture`
/// (or the `refine` example).
#[test]
#[ignore = "long: run in release"]
fn kernel_refines_model_1m_steps() {
    refine(1_000_000);
}
