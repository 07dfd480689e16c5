//! The policy researcher's loop on the host side (issue 22): boot one's
//! own policy (`images run --policy PATH`), put files on the run's disk
//! (`--add HOST:GUEST`), read results back (`images cp`), and a policy
//! that breaks a `neverallow` refused before anything boots.

use images::custom::{PolicyArg, parse_add, parse_policy, prepare};
use rampart_tests::{artifacts, run_batch_art, session_config};
use std::path::PathBuf;

fn shipped_te() -> Vec<PathBuf> {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policy/modules");
    vec![m.join("base"), m.join("assertions"), m.join("te")]
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rampart-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_policy_that_breaks_a_neverallow_is_refused_with_the_violation() {
    let d = scratch("leak");
    std::fs::write(d.join("leak.pol"), "allow user_t secret_t : file read;\n").unwrap();
    let mut paths = shipped_te();
    paths.push(d.join("leak.pol"));
    let spec: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let arg = parse_policy(&spec.join(",")).unwrap();
    let e = prepare(artifacts(), Some(&arg), &[], "workflow-leak").expect_err("refused");
    let msg = format!("{e:#}");
    assert!(msg.contains("fails `polc check`") && msg.contains("secret_t"), "{msg}");
    assert!(parse_policy("te").unwrap() == PolicyArg::Shipped("te".into()));
    assert!(parse_policy("/nonexistent/policy").is_err());
    assert!(parse_add("/etc/hostname:relative").is_err());
    assert!(parse_add("/etc/hostname:/a/../b").is_err());
}

/// A new type and its file context in a module of one's own; a data file
/// added under it; the guest reads it (and only the policy's rules let
/// it), writes a result, and the result is copied out after the run.
#[test]
fn own_policy_and_added_files_boot_and_results_come_back_out() {
    let d = scratch("lab");
    std::fs::write(
        d.join("lab.pol"),
        "type lab_t, file_type;\n\
         filecon \"/lab(/.*)?\" system_u:object_r:lab_t;\n\
         allow user_t lab_t : dir { search getattr open read };\n\
         allow user_t lab_t : file { read getattr open };\n",
    )
    .unwrap();
    let data = d.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("sample.txt"), "measurement 42\n").unwrap();
    let mut paths = shipped_te();
    paths.push(d.join("lab.pol"));
    let spec: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let arg = parse_policy(&spec.join(",")).unwrap();
    let add = parse_add(&format!("{}:/lab", data.display())).unwrap();
    let run = prepare(artifacts(), Some(&arg), &[add], "workflow-lab").unwrap();
    assert_eq!(run.policy.as_deref(), Some("custom"));
    let mut cfg = session_config(&run.disk, true);
    cfg.cmdline.push_str(" policy=custom");
    let (out, code) = run_batch_art(
        &run.art,
        &cfg,
        "cat /lab/sample.txt\necho cat=$?\nls -Z /lab\necho lab > /home/user/result.txt\ncat /secret/plans\necho secret=$?\n",
    );
    assert!(out.contains("measurement 42") && out.contains("cat=0"), "{out}");
    assert!(out.contains("lab_t"), "the added file carries the new policy's label:\n{out}");
    assert!(out.contains("secret=1"), "the rest of the policy still holds:\n{out}");
    assert_eq!(code, 0, "{out}");
    let back = d.join("result.txt");
    images::custom::copy_out(&run.disk, "/home/user/result.txt", &back).unwrap();
    assert_eq!(std::fs::read_to_string(&back).unwrap(), "lab\n");
    let dir = d.join("labdir");
    images::custom::copy_out(&run.disk, "/lab", &dir).unwrap();
    assert_eq!(std::fs::read_to_string(dir.join("lab/sample.txt")).unwrap(), "measurement 42\n");
    assert!(images::custom::copy_out(&run.disk, "/no/such/file", &d.join("x")).is_err());
    let _ = std::fs::remove_dir_all(&d);
}
