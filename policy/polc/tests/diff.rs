//! `polc diff` (sediff) over the shipped policies and a researcher's
//! change to one.

use std::path::PathBuf;
use std::process::Command;

const TE: &str = "modules/base,modules/assertions,modules/te";
const MLS: &str = "modules/base,modules/assertions,modules/mls";

fn polc(args: &[&str]) -> (String, Option<i32>) {
    let o = Command::new(env!("CARGO_BIN_EXE_polc"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .unwrap();
    (String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr), o.status.code())
}

#[test]
fn te_and_mls_differ_in_model_levels_and_mls_constraints_not_in_rules() {
    let (o, st) = polc(&["diff", TE, MLS, "--limit", "1000"]);
    assert_eq!(st, Some(1), "{o}");
    assert!(o.contains("* model: +{ mls } -{ te }"), "{o}");
    assert!(o.contains("+ mlsconstrain process { transition spawn } (h1 dom h2 or t1 == { kernel_t init_t })"), "{o}");
    assert!(o.contains("+ sensitivity s3"), "{o}");
    assert!(o.contains("* user_u: +{ level s0 range s0-s2:c0.c7 }"), "{o}");
    // Same rules: neither the access-vector rules nor the flows differ.
    assert!(!o.contains("access-vector rules ("), "{o}");
    assert!(!o.contains("information flows ("), "{o}");
}

#[test]
fn a_policy_is_the_same_as_itself() {
    let (o, st) = polc(&["diff", TE, TE]);
    assert_eq!(st, Some(0), "{o}");
    assert!(o.contains("the policies are the same"), "{o}");
}

#[test]
fn an_added_rule_shows_as_a_rule_and_as_a_new_flow() {
    let dir = std::env::temp_dir().join(format!("polc-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let extra = dir.join("leak.pol");
    std::fs::write(&extra, "allow user_t secret_t : file read;\nbool leak true;\n").unwrap();
    let new = format!("{TE},{}", extra.display());
    let (o, st) = polc(&["diff", TE, &new, "--limit", "100000"]);
    assert_eq!(st, Some(1), "{o}");
    assert!(o.contains("+ allow user_t secret_t : file: read"), "{o}");
    assert!(o.contains("+ leak: default true"), "{o}");
    assert!(o.contains("+ secret_t -> user_t: weight"), "the read is a flow from the file to the reader:\n{o}");
    // And in the other direction the rule and the flow disappear.
    let (o, _) = polc(&["diff", &new, TE, "--limit", "100000"]);
    assert!(o.contains("- allow user_t secret_t : file: read"), "{o}");
    assert!(o.contains("- secret_t -> user_t"), "{o}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_input_is_a_usage_error() {
    let (o, st) = polc(&["diff", TE, "modules/nonexistent"]);
    assert_eq!(st, Some(2), "{o}");
    assert!(o.contains("no such file or directory"), "{o}");
}
