//! `role_transition`, `range_transition`, `typebounds` and
//! `validatetrans`: compiled, loaded and decided by the engine, and the
//! compiler's refusals.

mod common;

use rampart_policy::ClassId;

const TE: &str = r#"
model te;
class process { transition signal }
class file { read write execute entrypoint relabelfrom relabelto }
type shell_t; type admin_t; type admin_exec_t; type data_t; type log_t; type etc_t;
type web_t; type web_cgi_t;
role user_r types { shell_t web_t web_cgi_t };
role admin_r types { admin_t log_t };
user u roles { user_r admin_r };
allow user_r admin_r;
allow shell_t admin_exec_t : file { read execute };
allow admin_t admin_exec_t : file entrypoint;
allow shell_t admin_t : process transition;
type_transition shell_t admin_exec_t : process admin_t;
role_transition user_r admin_exec_t admin_r;
role_transition user_r log_t : file admin_r;
allow web_t data_t : file { read write };
allow web_cgi_t data_t : file read;
allow web_cgi_t web_cgi_t : process signal;
allow web_t web_t : process signal;
typebounds web_t web_cgi_t;
validatetrans file (t3 == admin_t or (u1 == u2 and t2 != etc_t));
"#;

#[test]
fn role_transition_gives_the_new_role_on_exec_and_to_objects() {
    let mut p = common::load(TE);
    let shell = p.context_to_sid("u:user_r:shell_t").unwrap();
    let exec = p.context_to_sid("u:object_r:admin_exec_t").unwrap();
    let process = p.class_id("process").unwrap();
    let child = p.compute_create(shell, exec, process, None).unwrap();
    assert_eq!(p.sid_to_context(child).unwrap(), "u:admin_r:admin_t");
    // Without the rule the role would stay user_r, which may not enter
    // admin_t: the transition would be invalid.
    let log = p.context_to_sid("u:object_r:log_t").unwrap();
    let file = p.class_id("file").unwrap();
    let f = p.compute_create(shell, log, file, None).unwrap();
    assert_eq!(p.sid_to_context(f).unwrap(), "u:admin_r:log_t", "role_transition with a class applies to objects");
    let data = p.context_to_sid("u:object_r:data_t").unwrap();
    let g = p.compute_create(shell, data, file, None).unwrap();
    assert_eq!(p.sid_to_context(g).unwrap(), "u:object_r:data_t", "no rule: object_r");
}

#[test]
fn typebounds_masks_and_the_compiler_refuses_a_wider_child() {
    let mut p = common::load(TE);
    assert!(p.check("u:user_r:web_cgi_t", "u:object_r:data_t", "file", &["read"]).unwrap());
    assert!(!p.check("u:user_r:web_cgi_t", "u:object_r:data_t", "file", &["write"]).unwrap());
    // `self` on the child maps to the parent: web_t has signal on itself.
    assert!(p.check("u:user_r:web_cgi_t", "u:user_r:web_cgi_t", "process", &["signal"]).unwrap());
    let bad = TE.replace("allow web_cgi_t data_t : file read;", "allow web_cgi_t data_t : file { read execute };");
    let errs = common::errors(&bad);
    assert!(
        errs.iter().any(|e| e.contains("typebounds violation: `web_cgi_t` is granted { execute } on `data_t` : file")),
        "{errs:?}"
    );
    let cond = TE.replace(
        "allow web_cgi_t data_t : file read;",
        "allow web_cgi_t data_t : file read; bool b false; if (b) { allow web_cgi_t etc_t : file read; }",
    );
    assert!(common::errors(&cond).iter().any(|e| e.contains("on `etc_t` : file")), "conditional rules are checked");
    let cycle = TE.replace("typebounds web_t web_cgi_t;", "typebounds web_t web_cgi_t; typebounds web_cgi_t web_t;");
    assert!(common::errors(&cycle).iter().any(|e| e.contains("cycle") || e.contains("already bounded")));
}

/// A binary policy made without the compiler's check (a bound added
/// after compiling) is still held to it by the engine.
#[test]
fn the_engine_masks_a_bounded_type_at_run_time() {
    let src = TE
        .replace("typebounds web_t web_cgi_t;", "")
        .replace("allow web_cgi_t data_t : file read;", "allow web_cgi_t data_t : file { read execute };");
    let out = policy_compiler::compile(&[policy_compiler::Source::new("t.pol", &src)]).unwrap();
    let mut db = out.db;
    let (parent, child) = (db.type_id("web_t").unwrap(), db.type_id("web_cgi_t").unwrap());
    db.bounds.push(rampart_policy::db::TypeBounds { parent, child, origin: None });
    let mut p = rampart_policy::Policy::load(&rampart_policy::encode(&db).unwrap()).unwrap();
    assert!(p.check("u:user_r:web_cgi_t", "u:object_r:data_t", "file", &["read"]).unwrap());
    assert!(!p.check("u:user_r:web_cgi_t", "u:object_r:data_t", "file", &["execute"]).unwrap(), "masked by web_t");
}

#[test]
fn validatetrans_decides_relabels_with_the_task() {
    let mut p = common::load(TE);
    let file = p.class_id("file").unwrap();
    let sid = |p: &mut rampart_policy::Policy, c: &str| p.context_to_sid(c).unwrap();
    let (data, etc) = (sid(&mut p, "u:object_r:data_t"), sid(&mut p, "u:object_r:etc_t"));
    let (shell, admin) = (sid(&mut p, "u:user_r:shell_t"), sid(&mut p, "u:admin_r:admin_t"));
    let log = sid(&mut p, "u:object_r:log_t");
    assert!(p.validate_trans(data, log, shell, file).unwrap(), "same user, not to etc_t");
    assert!(!p.validate_trans(data, etc, shell, file).unwrap(), "to etc_t only by admin_t");
    assert!(p.validate_trans(data, etc, admin, file).unwrap());
    let process = p.class_id("process").unwrap();
    assert!(p.validate_trans(data, etc, shell, process).unwrap(), "no validatetrans on process");
    assert!(p.validate_trans(data, etc, shell, ClassId(999)).is_err());
}

#[test]
fn task_operands_only_in_validatetrans() {
    let bad = TE.replace("validatetrans file", "constrain file read");
    let errs = common::errors(&bad);
    assert!(errs.iter().any(|e| e.contains("only `validatetrans` may use them")), "{errs:?}");
    let bad = TE.replace("(t3 == admin_t or", "(t1 == t3 or");
    assert!(!common::errors(&bad).is_empty(), "t3 compares only with names");
}

const MLS: &str = r#"
model mls;
sensitivity s0; sensitivity s1; sensitivity s2;
dominance { s0 s1 s2 }
category c0; category c1;
class process { transition }
class file { read write relabelfrom relabelto }
type login_t; type daemon_t; type daemon_exec_t; type spool_t; type f_t;
role r types { login_t daemon_t };
user u roles { r } level s0 range s0-s2:c0,c1;
allow login_t daemon_exec_t : file read;
allow login_t daemon_t : process transition;
type_transition login_t daemon_exec_t : process daemon_t;
range_transition login_t daemon_exec_t s1-s2:c0;
range_transition login_t spool_t : file s2:c1;
mlsvalidatetrans file (l1 eq l2 or t3 == daemon_t);
"#;

#[test]
fn range_transition_sets_the_range_of_processes_and_objects() {
    let mut p = common::load(MLS);
    let login = p.context_to_sid("u:r:login_t:s0").unwrap();
    let exec = p.context_to_sid("u:object_r:daemon_exec_t:s0").unwrap();
    let process = p.class_id("process").unwrap();
    let d = p.compute_create(login, exec, process, None).unwrap();
    assert_eq!(p.sid_to_context(d).unwrap(), "u:r:daemon_t:s1-s2:c0");
    let spool = p.context_to_sid("u:object_r:spool_t:s0").unwrap();
    let file = p.class_id("file").unwrap();
    let f = p.compute_create(login, spool, file, None).unwrap();
    assert_eq!(p.sid_to_context(f).unwrap(), "u:object_r:spool_t:s2:c1");
    let other = p.context_to_sid("u:object_r:f_t:s0").unwrap();
    let g = p.compute_create(login, other, file, None).unwrap();
    assert_eq!(p.sid_to_context(g).unwrap(), "u:object_r:f_t:s0", "no rule: the creator's low level");
    // mlsvalidatetrans: a level change only by daemon_t.
    let hi = p.context_to_sid("u:object_r:f_t:s1").unwrap();
    let daemon = p.context_to_sid("u:r:daemon_t:s1").unwrap();
    assert!(!p.validate_trans(other, hi, login, file).unwrap());
    assert!(p.validate_trans(other, hi, daemon, file).unwrap());
}

#[test]
fn range_transition_needs_mls() {
    let te =
        TE.replace("typebounds web_t web_cgi_t;", "typebounds web_t web_cgi_t; range_transition shell_t data_t s0;");
    let errs = common::errors(&te);
    assert!(errs.iter().any(|e| e.contains("needs an MLS policy") || e.contains("sensitivit")), "{errs:?}");
}
