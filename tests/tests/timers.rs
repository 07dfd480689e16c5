//! Kernel timers for programs (docs/kernel.md, "Timers and timeouts";
//! docs/reliability.md §5): a sleeping program is blocked on its timer,
//! not yielding in a loop.
//!
//! - `sleepers_use_no_processor_time`: native `sleep` and busybox `sleep`
//!   (the Linux personality's `nanosleep`) run in the background next to
//!   a `yes` that spins; after 3 s `ps -l` shows the sleepers with (almost)
//!   no processor time and `yes` with a lot — with the old yield loop
//!   each sleeper was charged about as much as `yes`. Before that, 300
//!   sleeps one after the other each took a timer: had they not been
//!   freed with their tasks (the kernel has 256), the measured sleepers
//!   would have found none and spun. A sleep takes as long as asked.

use rampart_tests::{disk, run_batch};

/// Processor time in hundredths of a second from `ps -l`'s `TIME`
/// column (`M:SS.hh`) of the line whose command is `cmd`.
fn cpu_cs(ps: &str, cmd: &str) -> Option<u64> {
    let line = ps.lines().find(|l| l.split_whitespace().last() == Some(cmd))?;
    let time = line.split_whitespace().rev().nth(1)?;
    let (m, rest) = time.split_once(':')?;
    let (s, h) = rest.split_once('.')?;
    Some(m.parse::<u64>().ok()? * 6000 + s.parse::<u64>().ok()? * 100 + h.parse::<u64>().ok()?)
}

#[test]
fn sleepers_use_no_processor_time() {
    // The 300 sleeps come first: were timers not freed with their tasks,
    // the table (256) would be empty by the time the measured sleepers
    // start, and they would spin.
    let script = "\
n=0; while [ $n -lt 300 ]; do sleep 0.001; n=$((n+1)); done; echo loops=$n
sleep 6 &
busybox sleep 6 &
yes > /dev/null &
sleep 3
ps -l
kill %3
echo killed=$?
date +%s > /tmp/t0; sleep 2; date +%s > /tmp/t1; cat /tmp/t0 /tmp/t1
";
    let (out, code) = run_batch(&disk("timers"), script);
    let out = out.replace('\r', "");
    println!("{out}");
    let sleep = cpu_cs(&out, "sleep").expect("a sleep in ps -l");
    let bsleep = cpu_cs(&out, "linux").expect("busybox sleep (the Linux personality's task `linux`) in ps -l");
    let yes = cpu_cs(&out, "yes").expect("yes in ps -l");
    println!("cpu time after 3 s (1/100 s): sleep {sleep}, busybox sleep {bsleep}, yes {yes}");
    assert!(yes >= 50, "the spinner must have run: {out}");
    // busybox's time includes loading the 2 MiB program through the shim.
    assert!(sleep <= 5 && bsleep <= 25, "sleepers must be blocked, not spinning: {out}");
    assert!(out.contains("killed=0") && out.contains("loops=300"), "{out}");
    let secs: Vec<u64> =
        out.lines().filter_map(|l| l.trim().parse::<u64>().ok()).filter(|&v| v > 1_000_000_000).collect();
    assert_eq!(secs.len(), 2, "{out}");
    assert!(secs[1] - secs[0] >= 1, "sleep 2 took at least a second of wall time: {out}");
    assert_eq!(code, 0, "{out}");
}
