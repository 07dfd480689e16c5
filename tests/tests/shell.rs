//! The shell on the ext4 root, driven through the serial console as a user
//! types (docs/libos.md, docs/console.md): one interactive boot covers
//! files and editing, a pipeline, redirections, a background job, builtins
//! (`command -v`, a script's `trap`), the login profile, Tab completion,
//! exit statuses, a program that does not exist, a read the default policy
//! denies (with its audit record) and Ctrl-C; batch runs (`images run -c`)
//! cover persistence across a reboot on the same disk, the README
//! walkthrough and the policy's type transition on exec.

use images::qemu::{QemuConfig, Session, guest_exit_code, smp_args};
use rampart_tests::harness::type_line;
use rampart_tests::{PROMPT, boot, disk, run_batch, session_config};
use std::time::{Duration, Instant};

const T: Duration = Duration::from_secs(60);

/// Types `line` and waits for `want` (after the echo of the line itself).
fn run(s: &mut Session, line: &str, want: &str) -> String {
    type_line(s, PROMPT, line, &[want])
}

#[test]
fn interactive_session() {
    let d = disk("shell-interactive");
    let t0 = Instant::now();
    let mut s = boot(&session_config(&d, false));
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("no prompt: {e:#}"));
    println!("boot to prompt: {:.2} s (wall, TCG)", t0.elapsed().as_secs_f64());

    // Create and edit a file: write, append, read back.
    run(&mut s, "echo hello > notes.txt", "");
    run(&mut s, "echo world >> notes.txt", "");
    run(&mut s, "cat notes.txt", "hello\r\nworld");
    // A pipeline with sort, grep and wc.
    run(&mut s, "printf 'pear\\napple\\nfig\\n' | sort | grep p | wc", "      2       2      11");
    // Redirections: stderr to a file, stdin from a file, 2>&1.
    run(&mut s, "cat missing 2> err.txt; echo st=$?", "st=1");
    run(&mut s, "cat < err.txt", "cat: missing: No such file or directory");
    run(&mut s, "cat missing 2>&1 | wc", "      1       7      40");
    // A background job and wait.
    run(&mut s, "sh -c 'exit 7' &", "[1]");
    // (The job is a whole shell: give it time to end before the next prompt.)
    run(&mut s, "sleep 1; echo next", "next");
    assert!(s.output().contains("Exit 7"), "the job's end is reported:\n{}", s.output());
    // Programs run in the user's context (no type transition for bin_t).
    run(&mut s, "id -Z", "user_u:user_r:user_t");
    // Builtins, the login shell's /etc/profile, an EXIT trap in a script,
    // and Tab completion of a command name.
    run(&mut s, "command -v ls; type cd", "/bin/ls\r\ncd is a shell builtin");
    run(&mut s, "echo host=$HOSTNAME", "host=rampart");
    run(&mut s, "printf '%s\\n' \"trap 'echo bye' EXIT\" 'echo in script' > t.sh; sh t.sh", "in script\r\nbye");
    run(&mut s, "set -o pipefail; false | true; echo pf=$?; set +o pipefail", "pf=1");
    s.send("ech\tcompleted\r").unwrap();
    s.expect("\r\ncompleted", T).unwrap_or_else(|e| panic!("Tab did not complete 'ech': {e:#}"));
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("no prompt after completion: {e:#}"));
    // Exit statuses.
    run(&mut s, "sh -c 'exit 3'; echo st=$?", "st=3");
    run(&mut s, "grep -q nobody /etc/passwd || echo alternative", "alternative");
    // A program that does not exist.
    run(&mut s, "nosuch", "nosuch: command not found");
    run(&mut s, "echo st=$?", "st=127");
    // The default policy denies users the compiled policy: an error for
    // the user and an audit record from the file server.
    run(&mut s, "cat /etc/policy/policy.bin", "Permission denied");
    assert!(s.output().contains("avc: denied { search } for scontext=user_u:user_r:user_t"), "{}", s.output());
    // Ctrl-C interrupts a running program: SIGINT to the foreground
    // group, status 128 + 2.
    s.send("sleep 1000\r").unwrap();
    s.expect("sleep 1000", T).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    s.send("\x03").unwrap();
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("Ctrl-C did not stop sleep: {e:#}"));
    run(&mut s, "echo st=$?", "st=130");
    // exit ends the session and the machine with the shell's status.
    s.send("exit 5\r").unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(guest_exit_code(st), Some(5), "{}", s.output());
}

/// The whole system on 4 vCPUs (MTTCG, `pc`, disk and network): the
/// kernel brings every CPU online before init, and a session with files,
/// a pipeline and a program run works as on one (docs/kernel.md,
/// "Multicore": this landing runs every thread on the boot CPU).
#[test]
fn session_on_4_cpus() {
    let d = disk("shell-smp4");
    let cfg = QemuConfig { extra: smp_args(4), ..session_config(&d, false) };
    let mut s = boot(&cfg);
    let out = s.expect(PROMPT, T).unwrap_or_else(|e| panic!("no prompt: {e:#}"));
    assert!(out.contains("smp: 4 CPUs online"), "not every CPU came online:\n{out}");
    run(&mut s, "echo on-four > four.txt; cat four.txt", "on-four");
    run(&mut s, "printf 'b\\na\\n' | sort | wc -l", "2");
    run(&mut s, "ls /", "usr");
    s.send("exit\r").unwrap();
}

#[test]
fn files_persist_across_a_reboot() {
    let d = disk("shell-persist");
    let (out, code) = run_batch(&d, "echo persisted > /home/user/keep.txt; echo done");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("done"), "{out}");
    let (out, code) = run_batch(&d, "cat /home/user/keep.txt");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("persisted"), "{out}");
}

/// The README's walkthrough: every `$ ` line is typed, and every other line
/// of the block must appear in the output, in order.
#[test]
fn readme_walkthrough() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let block = readme
        .split("<!-- walkthrough -->")
        .nth(1)
        .and_then(|b| b.split("```").nth(1))
        .expect("README has a walkthrough block");
    let mut script = String::new();
    let mut want = Vec::new();
    for l in block.lines().skip(1) {
        match l.strip_prefix(PROMPT) {
            Some(cmd) => {
                script.push_str(cmd);
                script.push('\n');
            }
            None if !l.trim().is_empty() => want.push(l.trim().to_string()),
            None => {}
        }
    }
    // As `images run` boots it: a quiet console (no `loglevel=`), so the
    // denied read prints only `cat`'s message (docs/console.md).
    let cfg = images::qemu::QemuConfig { loglevel: None, ..session_config(&disk("shell-readme"), true) };
    let (out, code) = rampart_tests::run_batch_with(&cfg, &script);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("avc:"), "an AVC denial on the quiet console:\n{out}");
    let mut rest = out.as_str();
    for w in &want {
        let i = rest.find(w.as_str()).unwrap_or_else(|| panic!("README output {w:?} missing; output:\n{out}"));
        rest = &rest[i + w.len()..];
    }
}

/// Boot to prompt under `-icount` (the guest TSC counts instructions): the
/// console logs the TSC of a session's first output, the prompt
/// (docs/performance.md).
#[test]
fn boot_to_prompt_under_icount() {
    let d = disk("shell-icount");
    let cfg = images::qemu::QemuConfig { icount: true, ..session_config(&d, false) };
    let t0 = Instant::now();
    let mut s = boot(&cfg);
    s.expect(PROMPT, T).unwrap_or_else(|e| panic!("no prompt: {e:#}"));
    let wall = t0.elapsed().as_secs_f64();
    // The console's log line, shown after the prompt it measured.
    s.expect("console: first output at TSC ", T).unwrap_or_else(|e| panic!("no TSC mark: {e:#}"));
    let line = s.expect("\n", T).unwrap_or_else(|e| panic!("no TSC mark: {e:#}"));
    let n: u64 = line.trim().parse().unwrap_or_else(|_| panic!("bad TSC mark {line:?}"));
    println!("boot to prompt under icount: {n} instructions, {wall:.2} s wall");
    assert!(n > 1_000_000, "implausible: {n}");
    s.send("exit\r").unwrap();
    let _ = s.wait_exit(T);
}

/// The policy's type transition on exec: an administrator running a file
/// labelled `policytool_exec_t` (`/bin/polc` by the file contexts) gets a
/// process in `policytool_t` (`type_transition sysadm_t policytool_exec_t :
/// process policytool_t`); rm asks the security server and checks
/// `transition` and `entrypoint`. The image is a test-only root with the
/// multi-call coreutils binary installed as `/bin/polc` (`polc id -Z` runs
/// its `id`).
#[test]
fn exec_type_transition() {
    let art = rampart_tests::artifacts();
    let prog = |n: &str| art.programs.iter().find(|(b, _)| b == n).map(|(_, p)| p.clone()).expect("built");
    let dir = images::images_dir().join("transition-test");
    std::fs::create_dir_all(&dir).unwrap();
    let polc = dir.join("polc");
    std::fs::copy(prog("coreutils"), &polc).unwrap();
    let opts = images::rootfs::RootfsOptions { size_mib: 32, programs: vec![prog("sh"), polc], ..Default::default() };
    let staging = dir.join("staging");
    images::rootfs::stage(&staging, &opts).unwrap();
    let img = dir.join("root.ext4");
    images::rootfs::build_image(&staging, &img, &opts).unwrap();
    let mut cfg = session_config(&img, true);
    cfg.cmdline.push_str(" init.context=root:sysadm_r:sysadm_t");
    let mut s = boot(&cfg);
    s.expect(images::batch::READY, T).unwrap_or_else(|e| panic!("{e:#}"));
    s.send(&images::batch::typed("polc id -Z")).unwrap();
    let st = s.wait_exit(T).unwrap_or_else(|e| panic!("{e:#}"));
    let out = s.output();
    assert_eq!(guest_exit_code(st), Some(0), "{out}");
    assert!(out.contains("root:sysadm_r:policytool_t"), "no transition:\n{out}");
}
