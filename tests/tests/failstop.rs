//! Fail-stop of the trusted servers (issue 21, drill 5; docs/reliability.md,
//! "Trusted servers"): the security server and the connection server decide
//! every access and every channel, so the system must not go on without
//! them. Before, killing secsrv blocked the next open or spawn forever and
//! killing connsrv blocked every spawn.
//!
//! `killing_a_trusted_server_powers_off_with_a_message`, for each of them:
//! under the `te` policy the administrator's `kill -9` is refused
//! ("Operation not permitted") and the system goes on; under `allow-all`
//! it succeeds, rm drops its channel (logged), init says which trusted
//! server ended and how, and powers off with exit code 0x71 within the
//! batch's time instead of hanging; nothing after the kill runs.

use rampart_tests::{disk, run_batch_with, session_config};

#[test]
fn killing_a_trusted_server_powers_off_with_a_message() {
    for (pid, name, rm_says) in [
        (2, "secsrv", "rm: the security server (pid 2) ended; every decision now fails closed"),
        (3, "connsrv", "rm: the connection server (pid 3) ended; new tasks get no channels"),
    ] {
        let d = disk(&format!("failstop-{name}"));
        let mut cfg = session_config(&d, true);
        cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
        let script = format!(
            "ps -l | grep {name}\n\
             kill -9 {pid}; echo te-kill=$?\n\
             ls / > /dev/null; echo te-after=$?\n\
             load_policy -s allow-all\n\
             kill -9 {pid}\n\
             sleep 2\n\
             echo still-running\n"
        );
        let (out, code) = run_batch_with(&cfg, &script);
        let out = out.replace('\r', "");
        println!(
            "{name}: exit code {code:#x}\n{}",
            out.lines().filter(|l| l.contains(name)).collect::<Vec<_>>().join("\n")
        );
        let row = out.lines().find(|l| l.split_whitespace().last() == Some(name)).expect("ps row");
        assert_eq!(row.split_whitespace().next(), Some(pid.to_string().as_str()), "{name} has pid {pid}: {out}");
        assert!(out.contains("te-kill=1") && out.contains("Operation not permitted"), "te refuses: {out}");
        assert!(out.contains("te-after=0"), "the system goes on after a refused kill: {out}");
        assert!(out.contains(rm_says), "{out}");
        assert!(
            out.contains(&format!(
                "init: trusted server {name} (pid {pid}) ended (killed by SIGKILL); the system cannot run without it: powering off"
            )),
            "{out}"
        );
        assert!(!out.contains("still-running"), "nothing runs after a trusted server ended: {out}");
        assert_eq!(code, 0x71, "{out}");
    }
}
