//! The shipped policies compile without errors or warnings.

use std::path::PathBuf;

fn modules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../modules")
}

fn build(sets: &[&str]) -> policy_compiler::Output {
    let dirs: Vec<PathBuf> = sets.iter().map(|s| modules().join(s)).collect();
    match policy_compiler::compile_files(&dirs) {
        Ok(o) => o,
        Err(Ok(diags)) => {
            let text: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
            panic!("{}", text.join("\n"));
        }
        Err(Err(e)) => panic!("{e}"),
    }
}

#[test]
fn te_policy_compiles_cleanly() {
    let o = build(&["base", "assertions", "te"]);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert_eq!(o.db.model, "te");
    assert!(o.db.mls.is_none());
}

#[test]
fn mls_policy_compiles_cleanly() {
    let o = build(&["base", "assertions", "mls"]);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert_eq!(o.db.model, "mls");
    assert_eq!(o.db.mls.as_ref().unwrap().sensitivities.len(), 4);
}

#[test]
fn biba_policy_compiles_cleanly() {
    let o = build(&["base", "assertions", "biba"]);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert_eq!(o.db.model, "biba");
}

#[test]
fn allow_all_policy_compiles_cleanly() {
    let o = build(&["base", "allow-all"]);
    assert!(o.warnings.is_empty(), "{:?}", o.warnings);
    assert_eq!(o.db.model, "allow-all");
    assert!(o.db.neverallows.is_empty());
}
