//! The checkers are not vacuous: states and transitions that break each
//! invariant are built by hand and must be rejected with the right name.

use rampart_abi::Rights;
use rampart_model::authority::check_confinement;
use rampart_model::boot::Config;
use rampart_model::invariants::check;
use rampart_model::op::{Loc, Op, step};
use rampart_model::state::{Cap, CapKind, Endpoint, NewObj, Object, Sizes, SlotId, State, ThreadState};

fn boot() -> State {
    Config::standard(2, 3, 4, Sizes::Units).boot()
}

fn slot(s: &State, t: usize, index: u32) -> SlotId {
    s.lookup(s.threads[t], index).expect("slot")
}

fn violated(s: &State) -> &'static str {
    check(s).expect_err("the state must be rejected").invariant
}

#[test]
fn boot_state_is_valid() {
    check(&boot()).expect("boot state satisfies every invariant");
}

#[test]
fn dangling_capability_is_caught() {
    let mut s = boot();
    let ep = s.cap(slot(&s, 0, 2)).expect("endpoint");
    s.set_cap(slot(&s, 0, 5), Some(Cap { kind: CapKind::Endpoint(0x7777_0000), ..ep }));
    assert_eq!(violated(&s), "no-dangling");
}

#[test]
fn amplified_child_is_caught() {
    let mut s = boot();
    // Thread 1's endpoint copy is a CDT child of thread 0's; weaken the parent.
    let p = slot(&s, 0, 2);
    let c = s.cap(p).expect("endpoint");
    s.set_cap(p, Some(Cap { rights: Rights::READ, ..c }));
    assert_eq!(violated(&s), "cdt");
}

#[test]
fn cdt_cycle_is_caught() {
    let mut s = boot();
    let (a, b) = (slot(&s, 0, 2), slot(&s, 1, 1));
    s.cdt.insert(a, b);
    assert_eq!(violated(&s), "cdt");
}

#[test]
fn overlapping_objects_and_watermark_are_caught() {
    let mut s = boot();
    let t0 = s.threads[0];
    step(&mut s, t0, &Op::Retype { ut: 1, ty: NewObj::Endpoint, root: 0, node: None, offset: 3, count: 1 }).unwrap();
    check(&s).expect("valid after retype");
    // Forget the watermark: the next retype would reuse the memory.
    let u = slot(&s, 0, 1);
    let c = s.cap(u).expect("untyped");
    let CapKind::Untyped { base, size_bits, .. } = c.kind else { panic!() };
    s.set_cap(u, Some(Cap { kind: CapKind::Untyped { base, size_bits, free: 0 }, ..c }));
    assert_eq!(violated(&s), "untyped");
    // An object overlapping another (byte sizes: an endpoint is 16 bytes).
    let mut s2 = Config::standard(2, 3, 12, Sizes::Bytes).boot();
    let ep = s2.cap(slot(&s2, 0, 2)).and_then(|c| c.obj()).unwrap();
    s2.objects.insert(ep + 8, Object::Endpoint(Endpoint::Idle));
    assert_eq!(violated(&s2), "disjoint");
}

#[test]
fn orphan_object_and_broken_queue_are_caught() {
    let mut s = boot();
    s.objects.insert(0x9_0000, Object::Endpoint(Endpoint::Idle));
    assert_eq!(violated(&s), "reachable");
    let mut s = boot();
    let t1 = s.threads[1];
    let ep = s.cap(slot(&s, 0, 2)).and_then(|c| c.obj()).unwrap();
    s.set_state(t1, ThreadState::BlockedOnRecv { ep, reply: None });
    assert_eq!(violated(&s), "ipc");
}

#[test]
fn authority_gained_without_a_channel_is_caught() {
    // Thread 1 holds no capability to thread 0's untyped and has no channel
    // from thread 0 except the endpoint (which has Grant): remove the grant
    // right from both endpoint caps, then hand thread 1 the untyped.
    let mut pre = boot();
    for (t, i) in [(0, 2), (1, 1)] {
        let sl = slot(&pre, t, i);
        let c = pre.cap(sl).unwrap();
        pre.set_cap(sl, Some(Cap { rights: Rights::RW, ..c }));
    }
    let mut post = pre.clone();
    let ut = post.cap(slot(&post, 0, 1)).unwrap();
    post.set_cap(slot(&post, 1, 5), Some(ut));
    let v = check_confinement(&pre, &post).expect_err("no channel from thread 0 to thread 1");
    assert_eq!(v.invariant, "confinement");
    // With Grant on both sides the same transfer is authorised.
    let pre2 = boot();
    let mut post2 = pre2.clone();
    post2.set_cap(slot(&post2, 1, 5), Some(ut));
    check_confinement(&pre2, &post2).expect("grant channel authorises the transfer");
}

#[test]
fn forged_badge_is_caught() {
    let mut pre = boot();
    let t0 = pre.threads[0];
    step(
        &mut pre,
        t0,
        &Op::Copy {
            dest: Loc { node: 0, index: 3 },
            src: Loc { node: 0, index: 2 },
            rights: Rights::ALL,
            data: Some(3),
        },
    )
    .unwrap();
    // Thread 0 keeps only the badged capability; thread 1's copy cannot
    // grant, so nobody can hand thread 0 another badge.
    let mut pre2 = pre.clone();
    let t1s = slot(&pre, 1, 1);
    let c1 = pre2.cap(t1s).unwrap();
    pre2.set_cap(t1s, Some(Cap { rights: Rights::RW, ..c1 }));
    pre2.set_cap(slot(&pre2, 0, 2), None);
    pre2.cdt.retain(|_, p| *p != slot(&pre, 0, 2));
    pre2.cdt.remove(&slot(&pre, 0, 2));
    let mut post = pre2.clone();
    let c = post.cap(slot(&post, 0, 3)).unwrap();
    post.set_cap(slot(&post, 0, 4), Some(Cap { badge: 9, ..c }));
    let v = check_confinement(&pre2, &post).expect_err("badge 9 was never held");
    assert_eq!(v.invariant, "confinement");
}
