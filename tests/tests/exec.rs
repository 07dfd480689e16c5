//! Execution is mediated (issue 19 item 3; docs/resource-manager.md,
//! "Sealed images"): a program runs only from an image the file server
//! sealed for the spawner, after `file execute` on the file's real label
//! and its execute bits; the domain is decided on that label.
//!
//! rm's side against a hostile client (regions it filled itself, claimed
//! labels, sealing without `seal_image`, seals reused or made for someone
//! else) is in sectest (`tests/tests/security.rs`); the file server's
//! decision with the boolean flipped at run time is host-tested
//! (`servers/fs/tests/exec.rs`).

use rampart_tests::{disk, run_batch_with, session_config};

/// `bool user_exec_tmp false` (the shipped `te`): an ordinary user copies
/// `/bin/echo` to `/tmp` and cannot run it ("Permission denied", status
/// 126, an audit record of the file server's `execute` denial); the same
/// copy in the user's home runs; without an execute bit it does not, even
/// where the policy allows it. The same user, hostile, puts `/bin/echo`'s
/// bytes in a region of its own and asks rm to run them (claiming `bin_t`
/// or no label), and tries to seal them itself: all refused. Before, the
/// client read the bytes and claimed the label, and `user_exec_tmp`
/// decided nothing.
#[test]
fn a_user_cannot_run_a_program_copied_to_tmp() {
    let d = disk("exec-tmp");
    let mut cfg = session_config(&d, true);
    cfg.cmdline.push_str(" init.context=user_u:user_r:user_t");
    // `/bin/echo` is the multi-call coreutils binary: a copy keeps the name.
    let script = "cp /bin/echo /tmp/echo; chmod 755 /tmp/echo; /tmp/echo ran-from-tmp; echo tmp=$?\n\
                  cp /bin/echo /home/user/echo; chmod 755 /home/user/echo; /home/user/echo ran-from-home; echo home=$?\n\
                  chmod 644 /home/user/echo; /home/user/echo ran-without-x; echo nox=$?\n\
                  /bin/echo ran-from-bin; echo bin=$?\n\
                  fstest hostile-exec /bin/echo; echo hostile=$?";
    let (out, code) = run_batch_with(&cfg, script);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("\nran-from-tmp"), "a program in /tmp ran:\n{out}");
    assert!(out.contains("tmp=126"), "{out}");
    assert!(out.contains("Permission denied"), "{out}");
    let audited = out.lines().any(|l| {
        l.contains("avc: denied")
            && l.contains("{ execute }")
            && l.contains("scontext=user_u:user_r:user_t")
            && l.contains(":tmp_t")
    });
    assert!(audited, "no audit record of the refused execute:\n{out}");
    assert!(out.contains("ran-from-home") && out.contains("home=0"), "{out}");
    assert!(!out.contains("\nran-without-x") && out.contains("nox=126"), "{out}");
    assert!(out.contains("ran-from-bin") && out.contains("bin=0"), "{out}");
    // The hostile client: the bytes of /bin/echo in its own region, with
    // the label bin_t claimed or none, and a seal of its own making.
    for what in ["own region claiming bin_t", "own region without a label", "sealing it myself"] {
        assert!(out.contains(&format!("fstest: hostile: {what}: refused")), "{what}:\n{out}");
    }
    assert!(out.contains("hostile=0") && !out.contains("hostile-ran"), "{out}");
}

/// The cost of starting a program from a file (`/bin/true`, no
/// descriptors; median of 21) under `-icount shift=0,align=off,sleep=off`,
/// the kernel's idle ticks taken out: everything the guest executes for
/// the spawn call (open, the file server's checks and read, the seal, rm's
/// checks and build) and for spawn + wait. Figures: docs/performance.md.
/// `cargo test -p rampart-tests --test exec spawn_cost_under_icount -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark: one boot under icount, three runs, ~5 min"]
fn spawn_cost_under_icount() {
    let d = disk("exec-bench");
    let mut cfg = session_config(&d, true);
    cfg.icount = true;
    // The kernel's idle count is a debug system call of the test kernel.
    cfg.test_kernel = true;
    // Booting under icount takes longer than `run_batch_with` waits.
    let t = std::time::Duration::from_secs(900);
    let mut s = rampart_tests::boot(&cfg);
    s.expect(images::batch::READY, t).unwrap_or_else(|e| panic!("{e:#}"));
    // Without arguments, 1 KiB (an argument block already) and 100 KiB.
    let script = "fstest spawnbench /bin/true 21 && fstest spawnbench /bin/true 21 1024 && fstest spawnbench /bin/true 21 102400";
    s.send(&images::batch::typed(script)).expect("typing the script");
    let status = s.wait_exit(t).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    assert_eq!(images::qemu::guest_exit_code(status), Some(0), "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("fstest: spawnbench ")).collect();
    assert_eq!(lines.len(), 3, "{out}");
    for line in lines {
        println!("{line}");
        let n = rampart_tests::harness::number_after(line, "spawn median ").expect("spawn median");
        assert!(n > 100_000, "implausible: {n}");
    }
}
