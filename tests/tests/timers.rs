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
//!   A `cat` reading an empty pipe (its writer a `sleep`) is measured the
//!   same way: it probes the pipe between 1 ms sleeps, not yields.
//! - `one_user_cannot_take_every_timer`: the attacker's version — one
//!   user identity starts more background sleeps than its share
//!   (`rampart_rm_core::timers::PER_USER`, in a 2 GiB guest); rm refuses
//!   exactly the excess (logged), and the system's own sleepers are not
//!   in the count.

use rampart_tests::{disk, run_batch, run_batch_with, session_config};

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
sleep 6 | cat > /dev/null &
yes > /dev/null &
sleep 3
ps -l
kill %4
echo killed=$?
date +%s > /tmp/t0; sleep 2; date +%s > /tmp/t1; cat /tmp/t0 /tmp/t1
";
    let (out, code) = run_batch(&disk("timers"), script);
    let out = out.replace('\r', "");
    println!("{out}");
    let sleep = cpu_cs(&out, "sleep").expect("a sleep in ps -l");
    let bsleep = cpu_cs(&out, "linux").expect("busybox sleep (the Linux personality's task `linux`) in ps -l");
    let yes = cpu_cs(&out, "yes").expect("yes in ps -l");
    let cat = cpu_cs(&out, "cat").expect("the pipe's reader in ps -l");
    println!("cpu time of cat reading an idle pipe: {cat}");
    println!("cpu time after 3 s (1/100 s): sleep {sleep}, busybox sleep {bsleep}, yes {yes}");
    assert!(yes >= 50, "the spinner must have run: {out}");
    // busybox's time includes loading the 2 MiB program through the shim.
    assert!(sleep <= 5 && bsleep <= 25, "sleepers must be blocked, not spinning: {out}");
    // A reader of an empty pipe pauses on its timer (`sys::backoff`): a
    // yield loop was charged about as much as `yes`.
    assert!(cat <= 10, "the pipe's reader must be sleeping between probes: {out}");
    assert!(out.contains("killed=0") && out.contains("loops=300"), "{out}");
    let secs: Vec<u64> =
        out.lines().filter_map(|l| l.trim().parse::<u64>().ok()).filter(|&v| v > 1_000_000_000).collect();
    assert_eq!(secs.len(), 2, "{out}");
    assert!(secs[1] - secs[0] >= 1, "sleep 2 took at least a second of wall time: {out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn one_user_cannot_take_every_timer() {
    use rampart_rm_core::timers::PER_USER;
    let extra = 5;
    let d = disk("timers-quota");
    let mut admin = session_config(&d, true);
    // The administrator's identity (`root`) is limited like any user's,
    // and may read the kernel log.
    admin.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    // Room for more sleeping processes than the share (about 1.4 MiB each).
    admin.memory_mib = 2048;
    let script = format!(
        "n=0; while [ $n -lt {} ]; do sleep 40 & n=$((n+1)); done; echo started=$n\n\
         sleep 4\n\
         echo refused=$(dmesg | grep -c 'user root holds its share of the kernel timers')\n\
         echo system=$(dmesg | grep -c 'user system_u holds')\n",
        PER_USER + extra
    );
    let (out, code) = run_batch_with(&admin, &script);
    let out = out.replace('\r', "");
    println!("{}", out.lines().filter(|l| l.contains('=')).collect::<Vec<_>>().join("\n"));
    assert!(out.contains(&format!("started={}", PER_USER + extra)), "{out}");
    // The background sleeps beyond the share, and the foreground `sleep 4`.
    assert!(out.contains(&format!("refused={}", extra + 1)), "{out}");
    assert!(out.contains("system=0"), "{out}");
    assert_eq!(code, 0, "{out}");
}
