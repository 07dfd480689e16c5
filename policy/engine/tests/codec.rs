//! Binary policy decoding treats its input as hostile: errors, never
//! panics. A small policy is built by hand (this crate cannot depend on
//! the compiler).

use proptest::prelude::*;
use rampart_policy::db::*;
use rampart_policy::{ClassId, FORMAT_VERSION, FileKind, MAGIC, Policy, PolicyError, Protocol, Sid, decode, encode};

fn sample() -> PolicyDb {
    let mut db = PolicyDb::empty("te");
    db.files = vec!["hand.pol".into()];
    db.classes = vec![ClassDef { name: "file".into(), common: None, perms: vec!["read".into(), "write".into()] }];
    let ty =
        |name: &str, attribute: bool, attrs: Vec<u32>| TypeDef { name: name.into(), attribute, aliases: vec![], attrs };
    db.types = vec![ty("domain", true, vec![]), ty("a_t", false, vec![0]), ty("f_t", false, vec![])];
    db.roles = vec![RoleDef { name: "object_r".into(), types: vec![] }, RoleDef { name: "r".into(), types: vec![1] }];
    db.users = vec![UserDef { name: "u".into(), roles: vec![1], default_level: None, range: None }];
    db.bools = vec![BoolDef { name: "b".into(), default: true }];
    db.rules = vec![AvRule {
        kind: RuleKind::Allow,
        src: 0,
        tgt: 2,
        class: 1,
        perms: 1,
        origin: Some(Origin { file: 0, line: 3, col: 1 }),
    }];
    db.conds = vec![CondBlock {
        expr: vec![CondNode::Bool(0)],
        if_true: vec![AvRule { kind: RuleKind::Allow, src: 1, tgt: 2, class: 1, perms: 2, origin: None }],
        if_false: vec![],
        origin: None,
    }];
    let ctx = |role, ty| Context { user: 0, role, ty, range: None };
    db.filecons = vec![FileCon { pattern: "/f(/.*)?".into(), kind: None, context: Some(ctx(0, 2)), origin: None }];
    db.portcons = vec![PortCon { proto: Protocol::Tcp, low: 1, high: 100, context: ctx(0, 2), origin: None }];
    db.initial_sids = vec![InitialSid { name: "kernel".into(), context: ctx(1, 1) }];
    db.servicecons = vec![ServiceCon { pattern: "svc*".into(), context: ctx(0, 2), origin: None }];
    db
}

#[test]
fn roundtrip_and_decisions() {
    let db = sample();
    let bytes = encode(&db).unwrap();
    assert!(bytes.starts_with(&MAGIC));
    assert_eq!(decode(&bytes).unwrap(), db);
    let mut p = Policy::load(&bytes).unwrap();
    assert!(p.check("u:r:a_t", "u:object_r:f_t", "file", &["read", "write"]).unwrap());
    p.set_bool("b", false).unwrap();
    assert!(!p.check("u:r:a_t", "u:object_r:f_t", "file", &["write"]).unwrap());
    let f = p.file_context("/f/x", FileKind::File).unwrap().unwrap();
    assert_eq!(p.sid_to_context(f).unwrap(), "u:object_r:f_t");
    assert_eq!(p.initial_sid("kernel"), Some(Sid(1)));
    assert!(p.port_context(Protocol::Tcp, 100).is_ok());
    let s = p.service_context("svc.a").unwrap();
    assert_eq!(p.sid_to_context(s).unwrap(), "u:object_r:f_t");
    assert_eq!(p.service_context("fs"), Err(PolicyError::NoContext));
}

#[test]
fn header_errors() {
    let bytes = encode(&sample()).unwrap();
    assert_eq!(decode(b"nope"), Err(PolicyError::BadMagic));
    assert_eq!(decode(&MAGIC), Err(PolicyError::Malformed("truncated header")));
    let mut v = bytes.clone();
    v[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert_eq!(decode(&v), Err(PolicyError::UnsupportedVersion(FORMAT_VERSION + 1)));
    assert!(matches!(decode(&bytes[..bytes.len() - 1]), Err(PolicyError::Malformed(_))));
    let mut v = bytes.clone();
    v.push(0);
    assert_eq!(decode(&v), Err(PolicyError::Malformed("trailing bytes")));
}

#[test]
fn inconsistent_bodies_are_rejected() {
    let mut db = sample();
    db.rules[0].tgt = 99;
    assert!(matches!(decode(&encode(&db).unwrap()), Err(PolicyError::Invalid(_))));
    let mut db = sample();
    db.conds[0].expr = vec![CondNode::And];
    assert!(matches!(decode(&encode(&db).unwrap()), Err(PolicyError::Invalid(_))));
    let mut db = sample();
    db.filecons[0].context.as_mut().unwrap().range = Some(Default::default());
    assert!(matches!(decode(&encode(&db).unwrap()), Err(PolicyError::Invalid(_))));
    let mut db = sample();
    db.model = "chinese-wall".into();
    assert_eq!(Policy::load(&encode(&db).unwrap()).unwrap_err(), PolicyError::UnknownModel("chinese-wall".into()));
    let mut db = sample();
    db.filecons[0].pattern = "(".into();
    assert!(matches!(Policy::load(&encode(&db).unwrap()), Err(PolicyError::Invalid(_))));
    for bad in ["", "a*b", "a b"] {
        let mut db = sample();
        db.servicecons[0].pattern = bad.into();
        assert!(matches!(decode(&encode(&db).unwrap()), Err(PolicyError::Invalid(_))), "{bad:?}");
    }
    let mut db = sample();
    db.servicecons[0].context.ty = 99;
    assert!(matches!(decode(&encode(&db).unwrap()), Err(PolicyError::Invalid(_))));
    let mut db = sample();
    db.model = "mls".into();
    assert!(matches!(Policy::load(&encode(&db).unwrap()), Err(PolicyError::Invalid(_))), "mls needs a lattice");
}

/// Exercise a loaded policy with hostile ids; must not panic.
fn poke(p: &mut Policy, sids: &[u32], class: u16) {
    for &s in sids {
        for &t in sids {
            let _ = p.compute_av(Sid(s), Sid(t), ClassId(class));
            let _ = p.compute_create(Sid(s), Sid(t), ClassId(class), Some("x"));
        }
    }
    let _ = p.file_context("/f/../x", FileKind::Dir);
    let _ = p.port_context(Protocol::Udp, 7);
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(500)))]

    #[test]
    fn arbitrary_bodies_never_panic(body in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&body);
        if let Ok(mut p) = Policy::load(&bytes) {
            poke(&mut p, &[0, 1, 2, 3], 1);
        }
    }

    #[test]
    fn mutated_policies_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        class in 0u16..4,
    ) {
        let mut bytes = encode(&sample()).unwrap();
        for (i, v) in flips {
            let i = i.index(bytes.len());
            bytes[i] ^= v;
        }
        let _ = decode(&bytes[..cut.index(bytes.len() + 1)]);
        if let Ok(mut p) = Policy::load(&bytes) {
            let _ = p.context_to_sid("u:r:a_t");
            poke(&mut p, &[0, 1, 2, 9], class);
        }
    }

    #[test]
    fn arbitrary_context_strings_never_panic(s in "\\PC{0,60}") {
        let mut p = Policy::load(&encode(&sample()).unwrap()).unwrap();
        let _ = p.context_to_sid(&s);
    }
}
