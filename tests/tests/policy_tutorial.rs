//! docs/policy-tutorial.md, run end to end (issue 22): a researcher
//! confines a new program (`notes`) to its own directory with a module of
//! their own, boots it with `images run --policy DIR --add ...`, sees the
//! denial in the audit trail, has `polc why` explain it and `polc allow`
//! propose the rule, rebuilds and reloads the policy in the running system
//! (`semodule -n -i`, `load_policy`: no reboot), and the access works; an
//! over-broad rule is refused by the `neverallow`s on the host (`polc
//! check`, `polc build`) and in the guest (`semodule`). The audit log
//! copied out after the run (`images cp`) explains the same denial.
//!
//! The commands are the tutorial's; the policy module and the data are the
//! files under docs/tutorial it shows.

use images::custom::{copy_out, parse_add, parse_policy, prepare};
use images::qemu::{QemuConfig, Session};
use rampart_tests::harness::type_line;
use rampart_tests::{artifacts, boot_art, session_config};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The administrator's prompt.
const ADMIN: &str = "root:sysadm_t:/root$ ";
const BASE: [&str; 3] = ["policy/modules/base", "policy/modules/assertions", "policy/modules/te"];
/// The rule `polc allow` proposes for the denial.
const FIX: &str = "allow notes_t notes_data_t : file append;";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `polc ARGS...` as the tutorial types it (from the repository root);
/// returns stdout + stderr and the exit status.
fn polc(args: &[&str]) -> (String, Option<i32>) {
    let o = Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "polc", "--"])
        .args(args)
        .current_dir(root())
        .output()
        .expect("cargo run -p polc");
    (String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr), o.status.code())
}

fn with_base<'a>(module: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    let mut v: Vec<&str> = rest.to_vec();
    v.extend(BASE);
    v.push(module);
    v
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rampart-tutorial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn line(s: &mut Session, l: &str, want: &[&str]) -> String {
    type_line(s, ADMIN, l, want)
}

/// The `avc: denied` records of `out` (ausearch output on the console).
fn denials(out: &str) -> String {
    out.lines().filter(|l| l.contains("avc:  denied")).map(|l| format!("{}\n", l.trim_end())).collect()
}

#[test]
fn the_policy_tutorial_runs_end_to_end() {
    let d = scratch();
    let module = d.join("notes.pol");
    std::fs::copy(root().join("docs/tutorial/notes.pol"), &module).unwrap();
    let m = module.to_str().unwrap();

    // Step 1: the program, and the module checks against the base policy.
    let prog = d.join("notes");
    copy_out(&artifacts().rootfs, "/bin/coreutils", &prog).unwrap();
    let (o, st) = polc(&with_base(m, &["check"]));
    assert_eq!(st, Some(0), "{o}");
    assert!(o.contains("0 violations"), "{o}");

    // Step 2: boot it, with the program and its data on the disk.
    let spec = with_base(m, &[]).iter().map(|p| root().join(p).display().to_string()).collect::<Vec<_>>();
    let policy = parse_policy(&spec.join(",")).unwrap();
    let adds = [
        parse_add(&format!("{}:/usr/local/bin/notes", prog.display())).unwrap(),
        parse_add(&format!("{}:/srv/notes", root().join("docs/tutorial/srv-notes").display())).unwrap(),
    ];
    let run = prepare(artifacts(), Some(&policy), &adds, "tutorial").unwrap();
    let mut cfg: QemuConfig = session_config(&run.disk, false);
    cfg.cmdline.push_str(" policy=custom init.context=root:sysadm_r:sysadm_t");
    let mut s = boot_art(&run.art, &cfg);
    s.expect(ADMIN, Duration::from_secs(90)).unwrap_or_else(|e| panic!("no prompt: {e:#}"));

    // Step 3: it reads its notes, it may not add one, and the denial is
    // in the audit trail.
    line(&mut s, "export PATH=$PATH:/usr/local/bin", &[]);
    line(&mut s, "notes id -Z", &["root:sysadm_r:notes_t"]);
    line(&mut s, "notes cat /srv/notes/todo.txt", &["buy milk", "call Ada"]);
    line(
        &mut s,
        "echo 'read Knuth' | notes tee -a /srv/notes/todo.txt",
        &["tee: /srv/notes/todo.txt: Permission denied"],
    );
    line(&mut s, "cat /srv/notes/todo.txt", &["call Ada"]);
    let out = line(&mut s, "ausearch -m avc -d -c file", &["notes_t"]);
    let records = denials(&out);
    assert!(
        records.contains("denied  { append }") && records.contains("tcontext=system_u:object_r:notes_data_t"),
        "{out}"
    );
    let denial_file = d.join("denials.txt");
    std::fs::write(&denial_file, &records).unwrap();
    let df = denial_file.to_str().unwrap();

    // Step 4: why, and which rule would allow it.
    let (o, st) = polc(&with_base(m, &["why", "--audit", df]));
    assert_eq!(st, Some(0), "{o}");
    assert!(o.contains(&format!("append: no allow rule grants it; missing: {FIX}")), "{o}");
    let (o, st) = polc(&with_base(m, &["allow", "--audit", df]));
    assert_eq!(st, Some(0), "{o}");
    assert!(o.contains("# notes_t") && o.contains(FIX), "{o}");

    // Step 5: the rule goes into the module; the policy rebuilds on the
    // host (for the next boot) ...
    let mut text = std::fs::read_to_string(&module).unwrap();
    text.push_str(&format!("# Found with polc why / polc allow: it appends to its notes.\n{FIX}\n"));
    std::fs::write(&module, &text).unwrap();
    let bin = d.join("notes.bin");
    let (o, st) = polc(&with_base(m, &["build", "-o", bin.to_str().unwrap()]));
    assert_eq!(st, Some(0), "{o}");
    assert!(o.contains(" neverallows checked"), "{o}");

    // ... and in the running system, without a reboot.
    line(&mut s, &format!("echo '{FIX}' > /root/notes_fix.pol"), &[]);
    line(&mut s, "semodule -n -i /root/notes_fix.pol", &["semodule: built /etc/policy/policy.bin", "1 module(s)"]);
    line(&mut s, "load_policy", &["loaded policy local (model te, seqno 2, Enforcing)"]);
    line(&mut s, "echo 'read Knuth' | notes tee -a /srv/notes/todo.txt", &["read Knuth"]);
    let out = line(&mut s, "notes cat /srv/notes/todo.txt", &["buy milk", "call Ada", "read Knuth"]);
    assert!(!out.contains("Permission denied"), "{out}");
    line(&mut s, "semodule -l", &["notes_fix"]);

    // Step 6: an over-broad rule is refused by the neverallows, on the
    // host and in the guest, and nothing changes.
    let lazy = d.join("lazy.pol");
    std::fs::write(&lazy, format!("{text}allow notes_t file_type : file append;\n")).unwrap();
    let l = lazy.to_str().unwrap();
    let (o, st) = polc(&with_base(l, &["check"]));
    assert_eq!(st, Some(1), "{o}");
    assert!(o.contains("3 violations") && o.contains("neverallow notes_t { user_home_t tmp_t }"), "{o}");
    let (o, st) = polc(&with_base(l, &["build", "-o", d.join("lazy.bin").to_str().unwrap()]));
    assert_eq!(st, Some(1), "{o}");
    assert!(o.contains("not writing") && !d.join("lazy.bin").exists(), "{o}");
    line(&mut s, "echo 'allow notes_t file_type : file append;' > /root/lazy.pol", &[]);
    line(
        &mut s,
        "semodule -i /root/lazy.pol; echo status=$?",
        &["breaks 3 neverallow rule(s)", "local/notes.pol:32:1", "nothing changed", "status=1"],
    );
    line(&mut s, "semodule -l", &["notes_fix"]);
    let out = line(&mut s, "echo x | notes tee -a /etc/motd; echo status=$?", &["status=1"]);
    assert!(out.contains("Permission denied"), "the refused module was not loaded:\n{out}");
    s.send("poweroff\r").unwrap();
    s.wait_exit(Duration::from_secs(60)).unwrap_or_else(|e| panic!("{e:#}"));

    // Step 7: the persistent audit log, copied out, explains the same denial.
    let log = d.join("audit.log");
    copy_out(&run.disk, "/var/log/audit/audit.log", &log).unwrap();
    let first = root().join("docs/tutorial/notes.pol");
    let (o, st) = polc(&with_base(first.to_str().unwrap(), &["why", "--audit", log.to_str().unwrap()]));
    assert_eq!(st, Some(0), "{o}");
    assert!(o.contains("root:sysadm_r:notes_t -> system_u:object_r:notes_data_t : file { append }"), "{o}");
    // With the fix, the same record is allowed (nothing left to explain).
    let (o, st) = polc(&with_base(m, &["why", "--audit", log.to_str().unwrap()]));
    assert_eq!(st, Some(1), "{o}");
    assert!(o.contains("allowed by the loaded policy"), "{o}");
    let _ = std::fs::remove_dir_all(Path::new(&d));
}
