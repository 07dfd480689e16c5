//! Exhaustive exploration of small configurations: every sequence of
//! operations up to the depth, every invariant in every state, authority
//! confinement on every transition. States explored and time are printed
//! (`cargo test -p rampart-model --test exhaustive -- --nocapture`).

use rampart_abi::Rights;
use rampart_model::boot::Config;
use rampart_model::explore::{Report, explore};
use rampart_model::ops_gen::Domain;
use rampart_model::state::{NewObj, Sizes};

fn run(name: &str, cfg: &Config, dom: &Domain, depth: usize) -> Report {
    match explore(cfg, dom, depth) {
        Ok(r) => {
            println!(
                "{name}: {} states, {} transitions, depth {depth}, per depth {:?}, saturated {}, {:.2?}",
                r.states, r.transitions, r.per_depth, r.saturated, r.elapsed
            );
            r
        }
        Err(c) => {
            let trace: Vec<String> = c.trace.iter().map(|(t, op)| format!("thread {t:#x}: {op:?}")).collect();
            panic!("{name}: {} violated: {}\n{}", c.violation.invariant, c.violation.detail, trace.join("\n"))
        }
    }
}

/// CI: 2 threads, 4-slot root CNodes (slot 0 is the CNode's own
/// capability, so 3 free), an untyped of 4 objects, every operation kind
/// with small argument domains, depth 3.
#[test]
fn two_threads_depth_3() {
    let cfg = Config::standard(2, 2, 2, Sizes::Units);
    let r = run("2 threads x 4 slots, untyped 4, small domain", &cfg, &Domain::small(), 3);
    assert!(r.states > 10_000 && r.per_depth.len() == 4, "{r:?}");
}

/// CI: the same system with the full domain (Mutate, CancelBadgedSends,
/// ReplyRecv, four rights masks, two badges, notifications, TCBs and
/// untyped children) and failing operations, depth 2.
#[test]
fn two_threads_full_domain_depth_2() {
    let cfg = Config::standard(2, 2, 2, Sizes::Units);
    let dom = full_domain();
    let r = run("2 threads x 4 slots, untyped 4, full domain", &cfg, &dom, 2);
    assert!(r.states > 1_000, "{r:?}");
}

/// CI: three threads, depth 2.
#[test]
fn three_threads_depth_2() {
    let cfg = Config::standard(3, 2, 2, Sizes::Units);
    let r = run("3 threads x 4 slots, untyped 4, small domain", &cfg, &Domain::small(), 2);
    assert!(r.states > 1_000, "{r:?}");
}

/// CI: a client and a passive server (`Config::passive_server`): calls
/// lend the client's scheduling context through the reply object and
/// replies return it; the server may delete the context or the reply
/// object while it is lent, either may unbind a context; with ReplyRecv
/// and every capability operation, depth 5.
#[test]
fn passive_server_depth_5() {
    let cfg = Config::passive_server(2, Sizes::Units);
    let dom = Domain { reply_recv: true, sched: true, ..Domain::small() };
    let r = run("client and passive server, untyped 4, small domain + contexts", &cfg, &dom, 5);
    assert!(r.states > 1_000, "{r:?}");
}

fn full_domain() -> Domain {
    Domain {
        types: vec![
            NewObj::Endpoint,
            NewObj::Notification,
            NewObj::Reply,
            NewObj::CNode(1),
            NewObj::Tcb,
            NewObj::Untyped(1),
        ],
        rights: vec![Rights::ALL, Rights::WRITE, Rights::READ, Rights(Rights::WRITE.0 | Rights::GRANT.0)],
        badges: vec![1, 2],
        mutate: true,
        cancel_badged: true,
        reply_recv: true,
        errors: true,
        ..Domain::small()
    }
}

/// The bigger configuration (release build recommended):
/// `cargo test -p rampart-model --release --test exhaustive -- --ignored --nocapture`.
#[test]
#[ignore = "long: run in release"]
fn two_threads_depth_5() {
    let cfg = Config::standard(2, 2, 2, Sizes::Units);
    run("2 threads x 4 slots, untyped 4, small domain", &cfg, &Domain::small(), 5);
}

/// The symmetry reduction loses nothing: exploring without it and
/// renumbering every state reached gives exactly the states explored with
/// it (all empty destination slots are tried, so neither side depends on
/// which empty slot is "first").
fn symmetry_check(depth: usize) {
    use rampart_model::explore::{canonicalise, explore_with, fingerprint, symmetry};
    use std::collections::HashSet;
    let cfg = Config::standard(2, 2, 2, Sizes::Units);
    let dom = Domain { first_empty: false, ..Domain::small() };
    let mut plain = HashSet::new();
    let r1 = explore_with(&cfg, &dom, depth, false, &mut |s| {
        let mut s = s.clone();
        canonicalise(&mut s);
        symmetry(&mut s);
        plain.insert(fingerprint(&s));
    })
    .expect("no violation");
    let mut reduced = HashSet::new();
    let r2 = explore_with(&cfg, &dom, depth, true, &mut |s| {
        reduced.insert(fingerprint(s));
    })
    .expect("no violation");
    println!(
        "symmetry, depth {depth}: {} plain states -> {} classes; reduced exploration {} states",
        r1.states,
        plain.len(),
        r2.states
    );
    assert!(r2.states < r1.states);
    assert_eq!(plain, reduced);
}

#[test]
fn symmetry_is_sound_depth_2() {
    symmetry_check(2);
}

/// Depth 3 (32,181 plain states; about 20 s in a debug build).
#[test]
#[ignore = "long: run in release"]
fn symmetry_is_sound_depth_3() {
    symmetry_check(3);
}
