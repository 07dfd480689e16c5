//! Table-driven decisions of the lattice models (MLS = Bell-LaPadula,
//! Biba = strict integrity) and of the shipped policies.

mod common;

use rampart_policy::{FileKind, PolicyError, Protocol};

fn lattice(model: &str) -> String {
    format!(
        r#"
model {model};
sensitivity s0; sensitivity s1; sensitivity s2 alias high;
dominance {{ s0 s1 s2 }}
category c0; category c1;
class file {{ read write getattr open }}
class process {{ transition signal }}
type p_t; type q_t; type trusted_t; type f_t;
role r types {{ p_t q_t trusted_t }};
user u roles {{ r }} level s0 range s0-s2:c0,c1;
allow {{ p_t q_t trusted_t }} f_t : file *;
allow {{ p_t q_t }} {{ p_t q_t }} : process {{ signal transition }};
mlstrusted trusted_t;
mlsconstrain file open (l1 dom l2) or (t1 == trusted_t) or (l1 domby l2);
"#
    )
}

#[test]
fn mls_bell_lapadula() {
    let mut p = common::load(&lattice("mls"));
    #[rustfmt::skip]
    let table: &[(&str, &str, &str, &[&str], bool)] = &[
        // read down, no read up
        ("u:r:p_t:s1", "u:object_r:f_t:s0", "file", &["read"], true),
        ("u:r:p_t:s1", "u:object_r:f_t:s2", "file", &["read"], false),
        // write up, no write down
        ("u:r:p_t:s1", "u:object_r:f_t:s2", "file", &["write"], true),
        ("u:r:p_t:s1", "u:object_r:f_t:s0", "file", &["write"], false),
        // same level: both
        ("u:r:p_t:s1:c0", "u:object_r:f_t:s1:c0", "file", &["read", "write"], true),
        // categories: incomparable levels allow neither
        ("u:r:p_t:s1:c0", "u:object_r:f_t:s1:c1", "file", &["read"], false),
        ("u:r:p_t:s1:c0", "u:object_r:f_t:s1:c1", "file", &["write"], false),
        ("u:r:p_t:s2:c0,c1", "u:object_r:f_t:s1:c1", "file", &["read"], true),
        // permissions with no flow (open) are not restricted by BLP, but by mlsconstrain
        ("u:r:p_t:s1:c0", "u:object_r:f_t:s1:c1", "file", &["open"], false),
        ("u:r:p_t:s1", "u:object_r:f_t:s2", "file", &["open"], true),
        // trusted subjects bypass the built-in rules, not mlsconstrain
        ("u:r:trusted_t:s0", "u:object_r:f_t:s2", "file", &["read", "write"], true),
        ("u:r:trusted_t:s1:c0", "u:object_r:f_t:s1:c1", "file", &["open"], true),
        // signals are writes: up only
        ("u:r:p_t:s0", "u:r:q_t:s1", "process", &["signal"], true),
        ("u:r:p_t:s1", "u:r:q_t:s0", "process", &["signal"], false),
    ];
    for (s, t, c, perms, want) in table {
        assert_eq!(p.check(s, t, c, perms).unwrap(), *want, "mls: {s} {t} {c} {perms:?}");
    }
}

#[test]
fn biba_strict_integrity() {
    let mut p = common::load(&lattice("biba"));
    #[rustfmt::skip]
    let table: &[(&str, &str, &str, &[&str], bool)] = &[
        // no read down, read up
        ("u:r:p_t:s1", "u:object_r:f_t:s0", "file", &["read"], false),
        ("u:r:p_t:s1", "u:object_r:f_t:s2", "file", &["read"], true),
        // no write up, write down
        ("u:r:p_t:s1", "u:object_r:f_t:s2", "file", &["write"], false),
        ("u:r:p_t:s1", "u:object_r:f_t:s0", "file", &["write"], true),
        // invocation: a low process cannot signal a higher one
        ("u:r:p_t:s0", "u:r:q_t:s1", "process", &["signal"], false),
        ("u:r:p_t:s1", "u:r:q_t:s0", "process", &["signal"], true),
        ("u:r:trusted_t:s0", "u:object_r:f_t:s2", "file", &["write"], true),
    ];
    for (s, t, c, perms, want) in table {
        assert_eq!(p.check(s, t, c, perms).unwrap(), *want, "biba: {s} {t} {c} {perms:?}");
    }
}

#[test]
fn mls_contexts_ranges_and_defaults() {
    let mut p = common::load(&lattice("mls"));
    let s = p.context_to_sid("u:r:p_t").unwrap();
    assert_eq!(p.sid_to_context(s).unwrap(), "u:r:p_t:s0", "user's default level");
    let s = p.context_to_sid("u:r:p_t:s0-high:c0.c1").unwrap();
    assert_eq!(p.sid_to_context(s).unwrap(), "u:r:p_t:s0-s2:c0,c1", "canonical form");
    assert!(matches!(p.context_to_sid("u:r:p_t:s2-s0"), Err(PolicyError::BadContext(_))), "high < low");
    assert!(matches!(p.context_to_sid("u:r:p_t:s3"), Err(PolicyError::BadContext(_))));
    assert!(matches!(p.context_to_sid("u:r:p_t:s0:c9"), Err(PolicyError::BadContext(_))));
    // New files get the creator's current level.
    let file = p.class_id("file").unwrap();
    let subj = p.context_to_sid("u:r:p_t:s1-s2").unwrap();
    let dir = p.context_to_sid("u:object_r:f_t:s0").unwrap();
    let new = p.compute_create(subj, dir, file, None).unwrap();
    assert_eq!(p.sid_to_context(new).unwrap(), "u:object_r:f_t:s1");
}

fn shipped(variant: &str) -> rampart_policy::Policy {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../modules");
    let mut inputs = vec![dir.join("base")];
    if variant != "allow-all" {
        inputs.push(dir.join("assertions"));
    }
    inputs.push(dir.join(variant));
    let out = policy_compiler::compile_files(&inputs).unwrap_or_else(|e| panic!("{e:?}"));
    rampart_policy::Policy::load(&rampart_policy::encode(&out.db).unwrap()).unwrap()
}

#[test]
fn shipped_te_policy_demos() {
    let mut p = shipped("te");
    #[rustfmt::skip]
    let table: &[(&str, &str, &str, &[&str], bool)] = &[
        ("user_u:user_r:user_t", "system_u:object_r:secret_t", "file", &["read"], false),
        ("user_u:user_r:shell_t", "user_u:object_r:user_home_t", "file", &["read", "write"], true),
        ("system_u:system_r:httpd_t", "system_u:object_r:httpd_content_t", "file", &["read"], true),
        ("system_u:system_r:httpd_t", "user_u:object_r:user_home_t", "file", &["read"], false),
        ("system_u:system_r:httpd_t", "system_u:object_r:http_port_t", "tcp_socket", &["name_bind"], true),
        ("system_u:system_r:httpd_t", "system_u:object_r:unreserved_port_t", "tcp_socket", &["name_bind"], false),
        ("system_u:system_r:fs_t", "system_u:system_r:blkdrv_t", "service", &["connect"], true),
        ("system_u:system_r:net_t", "system_u:system_r:netdrv_t", "service", &["connect"], true),
        ("system_u:system_r:fs_t", "system_u:system_r:netdrv_t", "service", &["connect"], false),
        ("user_u:user_r:user_t", "system_u:system_r:fs_t", "service", &["connect"], true),
        ("user_u:user_r:user_t", "system_u:system_r:net_t", "service", &["connect"], true),
        ("user_u:user_r:user_t", "system_u:system_r:console_t", "service", &["connect"], true),
        ("user_u:user_r:user_t", "system_u:system_r:rm_t", "service", &["connect"], true),
        ("user_u:user_r:user_t", "system_u:system_r:secsrv_t", "service", &["connect"], false),
        ("user_u:user_r:user_t", "system_u:system_r:blkdrv_t", "service", &["connect"], false),
        ("root:sysadm_r:sysadm_t", "system_u:object_r:security_t", "security", &["load_policy", "setenforce", "read_audit"], true),
        ("user_u:user_r:user_t", "system_u:object_r:security_t", "security", &["load_policy"], false),
        ("system_u:system_r:init_t", "system_u:system_r:fs_t", "process", &["spawn"], true),
        ("system_u:system_r:blkdrv_t", "system_u:object_r:blk_device_t", "device", &["claim"], true),
        ("system_u:system_r:blkdrv_t", "system_u:object_r:net_device_t", "device", &["claim"], false),
    ];
    for (s, t, c, perms, want) in table {
        assert_eq!(p.check(s, t, c, perms).unwrap(), *want, "{s} {t} {c} {perms:?}");
    }
    let mut fc = |path: &str, k| {
        let sid = p.file_context(path, k).unwrap().unwrap();
        p.sid_to_context(sid).unwrap().to_string()
    };
    assert_eq!(fc("/etc/shadow", FileKind::File), "system_u:object_r:secret_t");
    assert_eq!(fc("/etc/passwd", FileKind::File), "system_u:object_r:etc_t");
    assert_eq!(fc("/bin/sh", FileKind::File), "system_u:object_r:shell_exec_t");
    assert_eq!(fc("/bin/ls", FileKind::File), "system_u:object_r:bin_t");
    assert_eq!(fc("/home/alice/notes", FileKind::File), "user_u:object_r:user_home_t");
    assert_eq!(fc("/home", FileKind::Dir), "system_u:object_r:home_t");
    assert_eq!(fc("/var/www/index.html", FileKind::File), "system_u:object_r:httpd_content_t");
    assert_eq!(fc("/", FileKind::Dir), "system_u:object_r:root_t");
    let port = p.port_context(Protocol::Tcp, 8080).unwrap();
    assert_eq!(p.sid_to_context(port).unwrap(), "system_u:object_r:http_port_t");
    assert_eq!(p.initial_sid("kernel").map(|s| s.0), Some(1));
    assert_eq!(p.initial_sid("security").map(|s| s.0), Some(2));
    // Booleans: users lose the network when allow_user_network is off.
    assert!(p.check("user_u:user_r:user_t", "system_u:system_r:net_t", "service", &["connect"]).unwrap());
    p.set_bool("allow_user_network", false).unwrap();
    assert!(!p.check("user_u:user_r:user_t", "system_u:system_r:net_t", "service", &["connect"]).unwrap());
}

#[test]
fn shipped_mls_and_biba_policies() {
    let mut m = shipped("mls");
    // TE allows user_t on user_home_t, BLP forbids writing down.
    assert!(m.check("user_u:user_r:user_t:s1", "user_u:object_r:user_home_t:s0", "file", &["read"]).unwrap());
    assert!(!m.check("user_u:user_r:user_t:s1", "user_u:object_r:user_home_t:s0", "file", &["write"]).unwrap());
    assert!(
        matches!(m.context_to_sid("user_u:user_r:user_t:s3"), Err(PolicyError::InvalidContext(_))),
        "above clearance"
    );
    let sid = m.file_context("/secret/plans", FileKind::File).unwrap().unwrap();
    assert_eq!(m.sid_to_context(sid).unwrap(), "system_u:object_r:secret_t:s3:c0.c15");

    let mut b = shipped("biba");
    // A user (i1) can run system programs (i2) but not modify them.
    assert!(b.check("user_u:user_r:user_t:i1", "system_u:object_r:bin_t:i2", "file", &["read", "execute"]).unwrap());
    assert!(!b.check("root:sysadm_r:user_t:i2", "system_u:object_r:tmp_t:i1", "file", &["read"]).unwrap());
    // The untrusted web server may read content (i1) but not write the logs of higher integrity.
    assert!(
        b.check("system_u:system_r:httpd_t:i0", "system_u:object_r:httpd_content_t:i1:web", "file", &["read"]).unwrap()
    );
    assert!(b.check("system_u:system_r:httpd_t:i0", "system_u:object_r:var_log_t:i0", "file", &["append"]).unwrap());
    assert!(!b.check("system_u:system_r:httpd_t:i0", "system_u:object_r:var_log_t:i2", "file", &["append"]).unwrap());

    let mut a = shipped("allow-all");
    assert!(a.check("user_u:user_r:user_t", "system_u:object_r:secret_t", "file", &["read", "write"]).unwrap());
}
