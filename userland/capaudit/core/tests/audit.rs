//! The auditor's logic on synthetic dumps shaped like Rampart's boot:
//! attribution, channels, fault and control edges, the trusted list, and
//! violations that must be reported.

use rampart_abi::audit::{AuditEntry, HELD_CSPACE, HELD_FAULT, HELD_NESTED, KIND_CAP, KIND_THREAD};
use rampart_abi::{CapType, Rights};
use rampart_capaudit::check::{TRUSTED, Verdict, check};
use rampart_capaudit::dump::{DumpError, parse};
use rampart_capaudit::graph::{EdgeKind, Graph, build};
use rampart_capaudit::{Subject, domain_of};
use std::collections::BTreeMap;

const W: u64 = Rights::WRITE.0;
const R: u64 = Rights::READ.0;
const WGG: u64 = Rights::WRITE.0 | Rights::GRANT.0 | Rights::GRANT_REPLY.0;
const ALL: u64 = Rights::ALL.0;

fn thread(id: u64, tcb: u64, cspace: u64, vspace: u64) -> AuditEntry {
    AuditEntry { kind: KIND_THREAD | tcb << 8, a: id, b: cspace, c: vspace }
}

fn cap(ty: CapType, object: u64, badge: u64, rights: u64, at: u64) -> AuditEntry {
    AuditEntry { kind: KIND_CAP | (ty as u64) << 8 | rights << 16, a: object, b: badge, c: at }
}

fn ep(object: u64, badge: u64, rights: u64) -> AuditEntry {
    cap(CapType::Endpoint, object, badge, rights, HELD_CSPACE)
}

fn subject(pid: u32, name: &str, domain: &str) -> Subject {
    Subject { pid, name: name.into(), context: format!("system_u:system_r:{domain}") }
}

// Endpoint and object ids.
const EP_RM: u64 = 0x1000;
const EP_CONNSRV: u64 = 0x2000;
const EP_FS: u64 = 0x3000;
const EP_SEC: u64 = 0x4000;
const EP_INIT: u64 = 0x5000;
const CN_USER: u64 = 0x10_0000;
const VS_USER: u64 = 0x20_0000;
const TCB_USER: u64 = 0x30_0000;

/// init (1), rm (2), connsrv (3), fs (4), secsrv (6), a user program (5).
fn system(extra_user_caps: &[AuditEntry]) -> (Vec<AuditEntry>, BTreeMap<u64, Subject>) {
    let mut r = vec![
        thread(1, 0xa000, 0xc1, 0xd1),
        ep(EP_INIT, 0, ALL),
        ep(EP_RM, 1, WGG),
        thread(2, 0xa100, 0xc2, 0xd2),
        cap(CapType::Endpoint, EP_INIT, 0xffff, ALL, HELD_FAULT),
        ep(EP_RM, 0, ALL),
        // rm holds the user program's objects; its CNode's slots follow.
        cap(CapType::CNode, CN_USER, 0, ALL, HELD_CSPACE),
        cap(CapType::Endpoint, EP_FS, 7, WGG, HELD_NESTED),
        cap(CapType::VSpace, VS_USER, 0, ALL, HELD_CSPACE),
        cap(CapType::Tcb, TCB_USER, 0, ALL, HELD_CSPACE),
        thread(3, 0xa200, 0xc3, 0xd3),
        ep(EP_CONNSRV, 0, ALL),
        // connsrv's send-only copy of fs's endpoint (it mints from it).
        ep(EP_FS, 0, WGG),
        ep(EP_SEC, 3, WGG),
        cap(CapType::Endpoint, EP_RM, 3, WGG, HELD_FAULT),
        thread(4, 0xa300, 0xc4, 0xd4),
        ep(EP_FS, 0, ALL),
        ep(EP_CONNSRV, 4, WGG),
        ep(EP_SEC, 4, WGG),
        thread(6, 0xa500, 0xc6, 0xd6),
        ep(EP_SEC, 0, ALL),
        thread(5, TCB_USER, CN_USER, VS_USER),
        cap(CapType::Endpoint, EP_RM, 5, WGG, HELD_FAULT),
        cap(CapType::Notification, 0x7000, 0, ALL, HELD_CSPACE),
        ep(EP_CONNSRV, 5, WGG),
        ep(EP_RM, 5, WGG),
        ep(EP_FS, 7, WGG),
    ];
    r.extend_from_slice(extra_user_caps);
    let tasks = BTreeMap::from([
        (1, subject(1, "init", "init_t")),
        (2, subject(0, "rm", "rm_t")),
        (3, subject(3, "connsrv", "connsrv_t")),
        (4, subject(4, "fs", "fs_t")),
        (6, subject(2, "secsrv", "secsrv_t")),
        (5, Subject { pid: 5, name: "sh".into(), context: "user_u:user_r:user_t".into() }),
    ]);
    (r, tasks)
}

/// A policy in the shape of policy/modules: every domain may connect to rm
/// and connsrv, users to fs, object managers to secsrv.
fn policy(h: &str, r: &str) -> Result<bool, String> {
    let (h, r) = (domain_of(h), domain_of(r));
    Ok(matches!(r, "rm_t" | "connsrv_t")
        || (h == "user_t" && r == "fs_t")
        || (matches!(h, "fs_t" | "connsrv_t" | "rm_t") && r == "secsrv_t"))
}

fn graph(extra: &[AuditEntry]) -> Graph {
    let (r, tasks) = system(extra);
    build(&parse(&r).expect("well-formed dump"), &tasks)
}

fn name_of(g: &Graph, i: usize) -> &str {
    &g.subjects[i].name
}

#[test]
fn the_boot_shape_is_within_policy_and_trusted_list() {
    let g = graph(&[]);
    let rep = check(&g, TRUSTED, &mut policy);
    let lines = rep.lines(&g);
    assert!(rep.passed(&g), "{}", lines.join("\n"));
    let edges: Vec<(EdgeKind, &str, &str)> =
        g.edges.iter().map(|e| (e.kind, name_of(&g, e.holder), name_of(&g, e.receiver))).collect();
    // sh reaches fs, rm and connsrv.
    for want in [
        (EdgeKind::Channel, "sh", "fs"),
        (EdgeKind::Channel, "sh", "rm"),
        (EdgeKind::Channel, "sh", "connsrv"),
        (EdgeKind::Channel, "fs", "secsrv"),
        (EdgeKind::Channel, "connsrv", "fs"),
        (EdgeKind::Fault, "rm", "init"),
        (EdgeKind::Fault, "sh", "rm"),
    ] {
        assert!(edges.contains(&want), "missing {want:?} in {edges:?}");
    }
    // rm's nested view of sh's CNode is sh's, not rm's: no rm -> fs edge.
    assert!(!edges.iter().any(|e| e.1 == "rm" && e.2 == "fs"), "{edges:?}");
    // connsrv -> fs is not in the policy; the custodian entry justifies it.
    let i = g.edges.iter().position(|e| name_of(&g, e.holder) == "connsrv" && name_of(&g, e.receiver) == "fs").unwrap();
    assert!(matches!(&rep.edges[i], Verdict::Trusted(t) if t.domain == "connsrv_t"));
    // rm controls sh (TCB, CNode, VSpace), justified as its builder.
    assert_eq!(g.control.len(), 1);
    assert_eq!(g.control[0].objects.len(), 3);
    assert!(matches!(&rep.control[0], Verdict::Trusted(t) if t.domain == "rm_t"));
    let c = rep.counts(&g);
    assert_eq!((c.violations, c.undecided, c.control_violations, c.shared_receive), (0, 0, 0, 0));
    // Only fs receives on its endpoint (connsrv's copy cannot).
    assert!(!g.edges.iter().any(|e| e.endpoint == EP_FS && name_of(&g, e.receiver) != "fs"), "{edges:?}");
    assert!(lines.last().unwrap().starts_with("summary: "), "{lines:?}");
    assert_eq!(g.notifications, 1);
}

#[test]
fn an_extra_channel_is_a_violation_with_holder_receiver_rights_and_badge() {
    // sh gets a channel to the security server: user_t may not connect to
    // secsrv_t and nobody trusted justifies it.
    let g = graph(&[ep(EP_SEC, 0xbad, W)]);
    let rep = check(&g, TRUSTED, &mut policy);
    assert!(!rep.passed(&g));
    assert_eq!(rep.counts(&g).violations, 1);
    let lines = rep.lines(&g);
    let v: Vec<&String> = lines.iter().filter(|l| l.starts_with("VIOLATION")).collect();
    assert_eq!(v.len(), 1, "{lines:?}");
    assert!(v[0].contains("channel sh[5](user_u:user_r:user_t) -> secsrv[2](system_u:system_r:secsrv_t)"), "{}", v[0]);
    assert!(v[0].contains("rights W ") && v[0].contains("badges [0xbad]"), "{}", v[0]);
    assert!(lines.last().unwrap().contains(" 1 violations"), "{lines:?}");
}

#[test]
fn a_receive_right_makes_the_holder_a_receiver() {
    // sh can receive on fs's endpoint: every holder of a channel to fs can
    // now reach sh, which the policy does not allow.
    let g = graph(&[ep(EP_FS, 0, R)]);
    let rep = check(&g, TRUSTED, &mut policy);
    let bad: Vec<(&str, &str)> = g
        .edges
        .iter()
        .zip(&rep.edges)
        .filter(|(_, v)| **v == Verdict::Violation)
        .map(|(e, _)| (name_of(&g, e.holder), name_of(&g, e.receiver)))
        .collect();
    assert!(bad.contains(&("fs", "sh")) || bad.contains(&("rm", "sh")), "{bad:?}");
    assert!(!rep.passed(&g));
}

#[test]
fn a_custodian_that_can_receive_on_a_service_endpoint_is_reported() {
    // connsrv with every right on fs's endpoint (as before issue 19): the
    // policy lets everyone reach connsrv, so no channel edge is a
    // violation, but two tasks can receive on one endpoint.
    let (mut r, tasks) = system(&[]);
    let at = r.iter().position(|e| *e == ep(EP_FS, 0, WGG)).unwrap();
    r[at] = ep(EP_FS, 0, ALL);
    let g = build(&parse(&r).unwrap(), &tasks);
    let rep = check(&g, TRUSTED, &mut policy);
    assert!(!rep.passed(&g));
    let c = rep.counts(&g);
    assert_eq!((c.shared_receive, c.violations), (1, 1));
    assert_eq!(g.shared[0].endpoint, EP_FS);
    let lines = rep.lines(&g);
    let v: Vec<&String> = lines.iter().filter(|l| l.starts_with("VIOLATION")).collect();
    assert_eq!(v.len(), 1, "{lines:?}");
    assert!(v[0].contains("receive endpoint 0x3000: connsrv[3](") && v[0].contains(", fs[4]("), "{}", v[0]);
    // Tasks sharing one CSpace are one principal: not a shared receiver.
    let (mut r, mut tasks) = system(&[ep(EP_FS, 0, R)]);
    r.push(thread(9, 0xa900, CN_USER, VS_USER));
    tasks.insert(9, subject(9, "sh2", "user_t"));
    let g = build(&parse(&r).unwrap(), &tasks);
    assert_eq!(g.shared.len(), 1, "sh and sh2 (one CSpace) with fs: one finding");
    assert!(g.shared[0].receivers.len() == 3);
}

#[test]
fn control_of_another_task_needs_the_trusted_list() {
    // fs holds sh's CNode: full authority over sh.
    let (mut r, tasks) = system(&[]);
    let at = r.iter().position(|e| e.record_kind() == KIND_THREAD && e.a == 4).unwrap();
    r.insert(at + 1, cap(CapType::CNode, CN_USER, 0, ALL, HELD_CSPACE));
    let g = build(&parse(&r).unwrap(), &tasks);
    let rep = check(&g, TRUSTED, &mut policy);
    let i = g.control.iter().position(|c| name_of(&g, c.holder) == "fs").expect("control edge fs -> sh");
    assert_eq!(rep.control[i], Verdict::Violation);
    assert!(!rep.passed(&g));
    // The same holding by init is not covered either: init built only rm.
    let g2 = {
        let (mut r, tasks) = system(&[]);
        r.insert(1, cap(CapType::Tcb, TCB_USER, 0, ALL, HELD_CSPACE));
        build(&parse(&r).unwrap(), &tasks)
    };
    let rep2 = check(&g2, TRUSTED, &mut policy);
    assert_eq!(rep2.counts(&g2).control_violations, 1);
}

#[test]
fn unknown_threads_and_unanswered_queries_fail() {
    let (r, mut tasks) = system(&[]);
    tasks.remove(&5);
    let g = build(&parse(&r).unwrap(), &tasks);
    assert_eq!(g.unidentified, vec![5]);
    let rep = check(&g, TRUSTED, &mut policy);
    assert!(!rep.passed(&g));
    assert!(rep.lines(&g).iter().any(|l| l == "VIOLATION thread 5 belongs to no known task"));

    let g = graph(&[]);
    let rep = check(&g, TRUSTED, &mut |_, _| Err("EACCES".into()));
    assert!(!rep.passed(&g));
    assert!(rep.counts(&g).undecided > 0);
}

#[test]
fn a_shared_cspace_gives_both_tasks_its_capabilities() {
    // A thread of another task shares sh's CSpace: it holds sh's channels
    // too (fault endpoints stay per thread).
    let (mut r, mut tasks) = system(&[]);
    r.push(thread(9, 0xa900, CN_USER, VS_USER));
    tasks.insert(9, subject(9, "intruder", "httpd_t"));
    let g = build(&parse(&r).unwrap(), &tasks);
    let from_intruder: Vec<&str> =
        g.edges.iter().filter(|e| name_of(&g, e.holder) == "intruder").map(|e| name_of(&g, e.receiver)).collect();
    assert!(from_intruder.contains(&"fs"), "{from_intruder:?}");
    let rep = check(&g, TRUSTED, &mut policy);
    assert!(!rep.passed(&g), "httpd_t -> fs_t is not in this policy");
}

#[test]
fn malformed_dumps_are_errors() {
    assert_eq!(parse(&[ep(1, 0, W)]), Err(DumpError::CapBeforeThread(0)));
    assert_eq!(parse(&[AuditEntry { kind: 9, ..Default::default() }]), Err(DumpError::UnknownKind(0)));
    assert_eq!(
        parse(&[thread(1, 0, 0, 0), cap(CapType::Endpoint, 1, 0, W, HELD_NESTED)]),
        Err(DumpError::NestedWithoutCNode(1))
    );
    assert_eq!(parse(&[thread(1, 0, 0, 0), cap(CapType::Endpoint, 1, 0, W, 7)]), Err(DumpError::UnknownPlace(1)));
    let bad_type = AuditEntry { kind: KIND_CAP | 99 << 8, ..Default::default() };
    assert_eq!(parse(&[thread(1, 0, 0, 0), bad_type]), Err(DumpError::UnknownCapType(1)));
}

/// Cases: `ci`, or `PROPTEST_CASES` for a longer run (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

#[test]
fn random_dumps_never_panic() {
    // Hostile or torn dumps: parse, build and check must not panic.
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let tasks = system(&[]).1;
    for _ in 0..cases(2_000) {
        let n = (next() % 40) as usize;
        let recs: Vec<AuditEntry> = (0..n)
            .map(|_| {
                let k = next();
                let kind = match k % 3 {
                    0 => KIND_THREAD | (next() % 4) << 8,
                    _ => KIND_CAP | (next() % 23) << 8 | (next() % 16) << 16,
                };
                AuditEntry { kind, a: next() % 8, b: next() % 4, c: next() % 5 }
            })
            .collect();
        if let Ok(d) = parse(&recs) {
            let g = build(&d, &tasks);
            let rep = check(&g, TRUSTED, &mut policy);
            let _ = rep.lines(&g);
        }
    }
}
