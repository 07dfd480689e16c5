//! The module store's rebuild over the shipped `te` policy: a module that
//! adds a confined program links and loads; one that breaks a shipped
//! `neverallow`, one that does not compile and bad names are refused with
//! the reason.

use policy_compiler::Source;
use semodule::{Refusal, build, module_name, module_source, valid_name};
use std::path::PathBuf;

fn shipped(variant: &str) -> Vec<Source> {
    let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../policy/modules");
    let dirs = [m.join("base"), m.join("assertions"), m.join(variant)];
    policy_compiler::expand_inputs(&dirs).unwrap().iter().map(|p| Source::read(p).unwrap()).collect()
}

const NOTES: &str = "type notes_t, domain;\n\
    type notes_exec_t, file_type, exec_type;\n\
    role user_r types notes_t;\n\
    type_transition user_t notes_exec_t : process notes_t;\n\
    allow user_t notes_exec_t : file { read open getattr execute };\n\
    allow notes_t notes_exec_t : file { entrypoint read open getattr execute };\n";

#[test]
fn a_module_links_with_the_base_and_the_result_loads() {
    let mut src = shipped("te");
    let base = build(&src).expect("the shipped policy builds");
    src.push(module_source("notes", NOTES.as_bytes()).unwrap());
    let b = build(&src).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(b.model, "te");
    assert!(b.neverallows > 0 && b.neverallows == base.neverallows);
    let db = rampart_policy::decode(&b.binary).unwrap();
    assert!(db.types.iter().any(|t| t.name == "notes_t"));
    let p = rampart_policy::Policy::load(&b.binary).unwrap();
    drop(p);
}

#[test]
fn a_module_breaking_a_neverallow_is_refused_with_the_rule() {
    let mut src = shipped("te");
    let m = "allow user_t secret_t : file read;\n";
    src.push(module_source("leak", m.as_bytes()).unwrap());
    match build(&src) {
        Err(Refusal::NeverAllow(v)) => {
            assert!(v.iter().any(|l| l.contains("secret_t") && l.contains("modules/leak.pol")), "{v:?}");
        }
        other => panic!("not refused: {other:?}"),
    }
}

#[test]
fn a_module_that_does_not_compile_is_refused_with_positions() {
    let mut src = shipped("te");
    src.push(module_source("typo", b"allow user_t no_such_t : file read;\n").unwrap());
    match build(&src) {
        Err(Refusal::Compile(d)) => assert!(d.iter().any(|l| l.starts_with("modules/typo.pol:1:")), "{d:?}"),
        other => panic!("not refused: {other:?}"),
    }
    src.pop();
    src.push(module_source("dup", b"type user_t;\n").unwrap());
    assert!(matches!(build(&src), Err(Refusal::Compile(_))));
}

#[test]
fn names_and_sources_are_checked() {
    assert_eq!(module_name("/tmp/notes_fix.pol").unwrap(), "notes_fix");
    assert_eq!(module_name("a-b_9.pol").unwrap(), "a-b_9");
    for bad in ["/tmp/x.te", "/tmp/.pol", "../x y.pol", "/tmp/a.b.pol", "/tmp/é.pol"] {
        assert!(matches!(module_name(bad), Err(Refusal::BadName(_))), "{bad}");
    }
    assert!(valid_name(&"x".repeat(64)).is_ok());
    assert!(valid_name(&"x".repeat(65)).is_err());
    assert!(valid_name("../etc").is_err());
    assert!(matches!(module_source("m", &[0xff, 0xfe]), Err(Refusal::BadSource(_))));
    assert!(matches!(module_source("m", &vec![b' '; semodule::MAX_MODULE_BYTES + 1]), Err(Refusal::BadSource(_))));
}
