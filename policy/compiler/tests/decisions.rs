//! Table-driven decisions of the engine on compiled policies: TE, RBAC,
//! booleans, constraints, transitions, file, port and service-name
//! contexts, reload.

mod common;

use rampart_policy::{ClassId, FileKind, PolicyError, Protocol};

const TE: &str = r#"
model te;
class process { transition signal dyntransition }
class file { read write execute entrypoint }
attribute domain;
type a_t, domain;
type b_t, domain;
type exec_t;
type data_t;
type other_t;
role r1 types { a_t };
role r2 types { a_t b_t };
role r3 types { b_t };
user u roles { r1 r2 };
user v roles { r2 };
allow domain data_t : file read;
allow a_t data_t : file write;
auditallow a_t data_t : file write;
dontaudit b_t data_t : file write;
allow a_t exec_t : file { read execute };
allow b_t exec_t : file entrypoint;
allow a_t b_t : process transition;
allow a_t self : process signal;
allow a_t a_t : process dyntransition;
type_transition a_t exec_t : process b_t;
type_transition a_t data_t : file other_t "special";
allow r1 r2;
bool flag false;
if (flag) { allow b_t other_t : file read; } else { allow b_t other_t : file write; }
constrain file write (u1 == u2 or t1 == a_t);
sid kernel u:r1:a_t;
sid unlabeled u:object_r:other_t;
filecon "/data(/.*)?" u:object_r:data_t;
filecon "/data/x" file u:object_r:other_t;
filecon "/data/none" <<none>>;
portcon tcp 1-1023 u:object_r:data_t;
portcon tcp 80 u:object_r:other_t;
servicecon "svc.*" u:object_r:data_t;
servicecon "svc.x" u:object_r:exec_t;
servicecon "svc.x" u:object_r:other_t;
"#;

#[test]
fn te_access_decisions() {
    let mut p = common::load(TE);
    #[rustfmt::skip]
    let table: &[(&str, &str, &str, &[&str], bool)] = &[
        ("u:r1:a_t", "u:object_r:data_t", "file", &["read"], true),
        ("u:r1:a_t", "u:object_r:data_t", "file", &["read", "write"], true),
        ("u:r2:b_t", "u:object_r:data_t", "file", &["read"], true),     // via attribute domain
        ("u:r2:b_t", "u:object_r:data_t", "file", &["write"], false),
        ("u:r1:a_t", "u:object_r:exec_t", "file", &["execute"], true),
        ("u:r1:a_t", "u:object_r:exec_t", "file", &["entrypoint"], false),
        ("u:r1:a_t", "u:r1:a_t", "process", &["signal"], true),          // self
        ("u:r1:a_t", "u:r2:b_t", "process", &["signal"], false),
        ("u:r2:b_t", "u:object_r:other_t", "file", &["write"], true),  // flag false: else branch
        ("u:r2:b_t", "u:object_r:other_t", "file", &["read"], false),
        ("v:r2:b_t", "u:object_r:other_t", "file", &["write"], false), // constrain: u1 != u2, t1 != a_t
        ("v:r2:a_t", "u:object_r:data_t", "file", &["write"], true),   // constrain: t1 == a_t
    ];
    for (s, t, c, perms, want) in table {
        assert_eq!(p.check(s, t, c, perms).unwrap(), *want, "{s} {t} {c} {perms:?}");
    }
}

#[test]
fn audit_vectors() {
    let mut p = common::load(TE);
    let file = p.class_id("file").unwrap();
    let w = p.perms(file, &["write"]).unwrap();
    let a = p.context_to_sid("u:r1:a_t").unwrap();
    let b = p.context_to_sid("u:r2:b_t").unwrap();
    let d = p.context_to_sid("u:object_r:data_t").unwrap();
    let da = p.compute_av(a, d, file).unwrap();
    assert_eq!(da.auditallow & w, w);
    let db = p.compute_av(b, d, file).unwrap();
    assert_eq!(db.allowed & w, 0);
    assert_eq!(db.auditdeny & w, 0, "dontaudit clears auditdeny");
    assert_eq!(da.seqno, p.seqno());
}

#[test]
fn booleans_flip_conditional_rules_and_bump_seqno() {
    let mut p = common::load(TE);
    assert_eq!(p.get_bool("flag"), Some(false));
    let s0 = p.seqno();
    let s1 = p.set_bool("flag", true).unwrap();
    assert!(s1 > s0);
    assert!(p.check("u:r2:b_t", "u:object_r:other_t", "file", &["read"]).unwrap());
    assert!(!p.check("u:r2:b_t", "u:object_r:other_t", "file", &["write"]).unwrap());
    assert_eq!(p.set_bool("nope", true), Err(PolicyError::UnknownName("nope".into())));
    assert_eq!(p.bools().collect::<Vec<_>>(), [("flag", true)]);
}

#[test]
fn rbac_context_validity() {
    let mut p = common::load(TE);
    assert!(p.context_to_sid("u:r1:a_t").is_ok());
    assert!(matches!(p.context_to_sid("u:r1:b_t"), Err(PolicyError::InvalidContext(_))), "r1 may not enter b_t");
    assert!(matches!(p.context_to_sid("u:r3:b_t"), Err(PolicyError::InvalidContext(_))), "u lacks r3");
    assert!(p.context_to_sid("v:object_r:data_t").is_ok(), "object_r is implicit");
    assert!(matches!(p.context_to_sid("u:r1:domain"), Err(PolicyError::BadContext(_))), "attribute");
    assert!(matches!(p.context_to_sid("u:r1"), Err(PolicyError::BadContext(_))));
    assert!(matches!(p.context_to_sid("u:r1:a_t:s0"), Err(PolicyError::BadContext(_))), "no MLS");
}

#[test]
fn process_transitions_respect_roles() {
    let mut p = common::load(TE);
    let process = p.class_id("process").unwrap();
    let exec = p.context_to_sid("u:object_r:exec_t").unwrap();
    let a2 = p.context_to_sid("u:r2:a_t").unwrap();
    let new = p.compute_create(a2, exec, process, None).unwrap();
    assert_eq!(p.sid_to_context(new).unwrap(), "u:r2:b_t");
    // r1 is not authorised for b_t: the exec transition is refused.
    let a1 = p.context_to_sid("u:r1:a_t").unwrap();
    assert!(matches!(p.compute_create(a1, exec, process, None), Err(PolicyError::InvalidContext(_))));
    // A role change on transition needs `allow r1 r2`.
    assert!(p.check("u:r1:a_t", "u:r2:b_t", "process", &["transition"]).unwrap());
    assert!(!p.check("u:r2:a_t", "u:r1:a_t", "process", &["dyntransition"]).unwrap());
    assert!(p.check("u:r1:a_t", "u:r1:a_t", "process", &["dyntransition"]).unwrap());
}

#[test]
fn object_transitions_by_name() {
    let mut p = common::load(TE);
    let file = p.class_id("file").unwrap();
    let a = p.context_to_sid("u:r1:a_t").unwrap();
    let d = p.context_to_sid("u:object_r:data_t").unwrap();
    let named = p.compute_create(a, d, file, Some("special")).unwrap();
    assert_eq!(p.sid_to_context(named).unwrap(), "u:object_r:other_t");
    let plain = p.compute_create(a, d, file, Some("plain")).unwrap();
    assert_eq!(p.sid_to_context(plain).unwrap(), "u:object_r:data_t", "inherits the parent's type");
    assert_eq!(p.compute_create(a, d, ClassId(99), None), Err(PolicyError::UnknownClass(99)));
}

#[test]
fn file_and_port_contexts() {
    let mut p = common::load(TE);
    let mut fc = |path: &str, k| p.file_context(path, k).map(|s| s.map(|s| p.sid_to_context(s).unwrap().to_string()));
    assert_eq!(fc("/data", FileKind::Dir).unwrap().as_deref(), Some("u:object_r:data_t"));
    assert_eq!(fc("/data/x", FileKind::File).unwrap().as_deref(), Some("u:object_r:other_t"), "more specific wins");
    assert_eq!(fc("/data/x", FileKind::Dir).unwrap().as_deref(), Some("u:object_r:data_t"), "kind must match");
    assert_eq!(fc("/data/none", FileKind::File).unwrap(), None);
    assert_eq!(fc("/elsewhere", FileKind::File), Err(PolicyError::NoContext));
    let mut pc = |n| p.port_context(Protocol::Tcp, n).map(|s| p.sid_to_context(s).unwrap().to_string());
    assert_eq!(pc(80).unwrap(), "u:object_r:other_t", "narrowest range wins");
    assert_eq!(pc(22).unwrap(), "u:object_r:data_t");
    assert_eq!(pc(2000), Err(PolicyError::NoContext));
    assert_eq!(p.port_context(Protocol::Udp, 22), Err(PolicyError::NoContext));
}

#[test]
fn service_name_contexts() {
    let mut p = common::load(TE);
    let mut sc = |n: &str| p.service_context(n).map(|s| p.sid_to_context(s).unwrap().to_string());
    assert_eq!(sc("svc.x").unwrap(), "u:object_r:other_t", "exact name wins; a later rule replaces an earlier one");
    assert_eq!(sc("svc.y").unwrap(), "u:object_r:data_t", "prefix");
    assert_eq!(sc("svc.").unwrap(), "u:object_r:data_t");
    assert_eq!(sc("svc"), Err(PolicyError::NoContext), "no default rule");
    assert_eq!(sc(""), Err(PolicyError::NoContext));
    assert_eq!(p.db().servicecons.len(), 2);
}

#[test]
fn sid_table_and_hostile_ids() {
    let mut p = common::load(TE);
    assert_eq!(p.initial_sid("kernel").map(|s| s.0), Some(1));
    assert_eq!(p.initial_sid("unlabeled").map(|s| s.0), Some(2));
    let a = p.context_to_sid("u:r1:a_t").unwrap();
    assert_eq!(a, p.initial_sid("kernel").unwrap(), "same context, same SID");
    let file = p.class_id("file").unwrap();
    assert_eq!(p.compute_av(rampart_policy::Sid(0), a, file), Err(PolicyError::UnknownSid(0)));
    assert_eq!(p.compute_av(a, rampart_policy::Sid(999), file), Err(PolicyError::UnknownSid(999)));
    assert_eq!(p.compute_av(a, a, ClassId(0)), Err(PolicyError::UnknownClass(0)));
    assert_eq!(p.compute_av(a, a, ClassId(u16::MAX)), Err(PolicyError::UnknownClass(u16::MAX)));
}

#[test]
fn reload_keeps_sids_and_revokes() {
    let mut p = common::load(TE);
    let b = p.context_to_sid("u:r2:b_t").unwrap();
    let d = p.context_to_sid("u:object_r:data_t").unwrap();
    let file = p.class_id("file").unwrap();
    let read = p.perms(file, &["read"]).unwrap();
    assert_eq!(p.compute_av(b, d, file).unwrap().allowed & read, read);
    // New policy: b_t loses read on data_t, and role r2 loses b_t.
    let new_src = TE.replace("allow domain data_t : file read;", "allow a_t data_t : file read;");
    let out = policy_compiler::compile(&[policy_compiler::Source::new("t.pol", new_src)]).unwrap();
    let seq = p.seqno();
    let new_seq = p.reload(&rampart_policy::encode(&out.db).unwrap(), &Default::default()).unwrap();
    assert!(new_seq > seq);
    let dec = p.compute_av(b, d, file).unwrap();
    assert_eq!(dec.allowed & read, 0);
    assert_eq!(dec.seqno, new_seq);
    assert_eq!(p.sid_to_context(b).unwrap(), "u:r2:b_t", "SID kept");
    // A broken binary leaves the old policy in place.
    assert!(p.reload(b"garbage", &Default::default()).is_err());
    assert_eq!(p.seqno(), new_seq);
}

#[test]
fn reload_across_mls_converts_ranges() {
    // An MLS policy with the same users, roles and types as TE.
    let mls = TE.replace("model te;", "model mls;\nsensitivity s0;\nsensitivity s1;\ndominance { s0 s1 }\ncategory c0;\ndefaultlevel s0;\nuser u level s0 range s0-s1:c0;\nuser v level s0 range s0-s1:c0;")
        .replace("user u roles { r1 r2 };", "user u roles { r1 r2 } level s0 range s0-s1:c0;")
        .replace("user v roles { r2 };", "user v roles { r2 } level s0 range s0-s1:c0;");
    let mls = mls
        .lines()
        .filter(|l| !l.starts_with("user u level") && !l.starts_with("user v level"))
        .collect::<Vec<_>>()
        .join("\n");
    let build = |src: &str| {
        let out = policy_compiler::compile(&[policy_compiler::Source::new("t.pol", src.to_string())]).unwrap();
        rampart_policy::encode(&out.db).unwrap()
    };
    let mut p = common::load(&mls);
    let a = p.context_to_sid("u:r1:a_t:s0").unwrap();
    let d = p.context_to_sid("u:object_r:data_t:s0").unwrap();
    let file = p.class_id("file").unwrap();
    let write = p.perms(file, &["write"]).unwrap();
    // To TE: the range is dropped, the SIDs keep deciding by their types
    // (not as `unlabeled`).
    p.reload(&build(TE), &Default::default()).unwrap();
    assert_eq!(p.compute_av(a, d, file).unwrap().allowed & write, write);
    assert!(p.valid_context("u:r1:a_t:s0").is_err(), "a range is still refused in new contexts");
    // And back: a SID made under TE gets the default level.
    let b = p.context_to_sid("u:r1:a_t").unwrap();
    p.reload(&build(&mls), &Default::default()).unwrap();
    assert_eq!(p.compute_av(b, d, file).unwrap().allowed & write, write);
    assert_eq!(p.compute_av(a, d, file).unwrap().allowed & write, write);
}
