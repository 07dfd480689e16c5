//! Long refinement run of the real kernel core against the model.
//!
//! `cargo run -p rampart-model --release --example refine -- --steps 1000000 --seed 1`
//!
//! Prints the steps compared, episodes, outcome counts and time; on a
//! divergence prints the seed and the operations that lead to it and exits
//! with status 1. `--episode N` sets the steps per boot (default 300).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let val = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seed = val("--seed", rampart_model::rng::seed_from_env("RAMPART_SEED"));
    let steps = val("--steps", 1_000_000);
    let episode = val("--episode", 300);
    println!("seed {seed}, {steps} steps, episodes of {episode}");
    // RAMPART_CONFIGS=013 runs only those configurations (debugging).
    let only = std::env::var("RAMPART_CONFIGS").unwrap_or_default();
    let cfgs: Vec<_> = rampart_model::refine::configs()
        .into_iter()
        .enumerate()
        .filter(|(i, _)| only.is_empty() || only.contains(&i.to_string()))
        .map(|(_, c)| c)
        .collect();
    match rampart_model::refine::run(&cfgs, &rampart_model::refine::domain(), seed, steps, episode) {
        Ok(r) => {
            println!("steps compared: {}", r.steps);
            println!("episodes: {} ({} ended with no thread able to run)", r.episodes, r.stuck);
            println!("IPC steps by path: {:?}", r.paths);
            println!("steps by kind: {:?}", r.kinds);
            println!("operations skipped (known kernel differences): {}", r.excluded);
            println!("system calls on the kernel's IPC fast path: {}", r.fastpath);
            println!("outcomes: {:?}", r.outcomes);
            println!("time: {:.2?}", r.elapsed);
        }
        Err(d) => {
            print!("{d}");
            let cfg = &cfgs[(d.episode % cfgs.len() as u64) as usize];
            let min = rampart_model::refine::minimise(cfg, &d.trace);
            println!("minimal reproducer (config {}):", d.episode % cfgs.len() as u64);
            for (t, op) in &min {
                println!("    ({t:#x}, {op:?}),");
            }
            println!("replay: {:?}", rampart_model::refine::replay(cfg, &min).err());
            std::process::exit(1);
        }
    }
}
