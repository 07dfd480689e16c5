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
    let cfg = rampart_model::refine::config();
    match rampart_model::refine::run(&cfg, &rampart_model::refine::domain(), seed, steps, episode) {
        Ok(r) => {
            println!("steps compared: {}", r.steps);
            println!("episodes: {}", r.episodes);
            println!("outcomes: {:?}", r.outcomes);
            println!("time: {:.2?}", r.elapsed);
        }
        Err(d) => {
            print!("{d}");
            std::process::exit(1);
        }
    }
}
