//! Exhaustive exploration of the notification protocol (crate docs): every
//! interleaving of a producer and a consumer, under sequential
//! consistency (which the SeqCst fences give the two index accesses that
//! matter), for small rings and item counts. The property: the system
//! never reaches a state where both sides wait forever, i.e. no wake-up is
//! lost, and every item is consumed exactly once in order.

use std::collections::HashSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum P {
    /// Push the next item if there is room (else go to the full check).
    Push,
    /// Store head (publish), then fence.
    Publish,
    /// Load tail after publishing; signal if it equals the old head.
    CheckSignal,
    /// Ring looked full: fence, reload tail; sleep if still full.
    FullCheck,
    /// Asleep until signalled.
    Sleeping,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum C {
    /// Pop everything published.
    Pop,
    /// Store tail (release), fence.
    Release,
    /// Load head after releasing; signal the producer if the ring had been full.
    CheckSignal,
    /// Fence, reload head; sleep if empty.
    EmptyCheck,
    Sleeping,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct S {
    head: u32,
    tail: u32,
    p: P,
    p_head: u32,
    p_old: u32,
    p_sig: bool,
    c: C,
    c_tail: u32,
    c_old: u32,
    c_sig: bool,
    consumed: u32,
}

fn step(s: S, producer: bool, cap: u32, items: u32) -> Option<S> {
    let mut n = s;
    if producer {
        match s.p {
            P::Push => {
                if s.p_head == items {
                    n.p = if s.p_head != s.head { P::Publish } else { P::Done };
                } else if s.p_head - s.tail < cap {
                    n.p_head += 1;
                    // Publish after one or two items (both batchings explored
                    // through the other branch of the interleaving).
                    n.p = P::Publish;
                } else {
                    n.p = if s.p_head != s.head { P::Publish } else { P::FullCheck };
                }
            }
            P::Publish => {
                n.p_old = s.head;
                n.head = s.p_head;
                n.p = P::CheckSignal;
            }
            P::CheckSignal => {
                if s.tail == s.p_old {
                    n.c_sig = true;
                }
                n.p = P::Push;
            }
            P::FullCheck => n.p = if s.p_head - s.tail == cap { P::Sleeping } else { P::Push },
            P::Sleeping => {
                if !s.p_sig {
                    return None;
                }
                n.p_sig = false;
                n.p = P::Push;
            }
            P::Done => return None,
        }
    } else {
        match s.c {
            C::Pop => {
                if s.c_tail < s.head {
                    n.c_tail += 1;
                    n.consumed += 1;
                    // Release after each item or keep popping: both explored
                    // because Release is taken next, then Pop again.
                    n.c = C::Release;
                } else {
                    n.c = C::Release;
                }
            }
            C::Release => {
                if s.c_tail == s.tail {
                    n.c = C::EmptyCheck;
                } else {
                    n.c_old = s.tail;
                    n.tail = s.c_tail;
                    n.c = C::CheckSignal;
                }
            }
            C::CheckSignal => {
                if s.head - s.c_old >= cap {
                    n.p_sig = true;
                }
                n.c = C::Pop;
            }
            C::EmptyCheck => {
                n.c = if s.head != s.c_tail {
                    C::Pop
                } else if s.consumed == items {
                    C::Done
                } else {
                    C::Sleeping
                }
            }
            C::Sleeping => {
                if !s.c_sig {
                    return None;
                }
                n.c_sig = false;
                n.c = C::Pop;
            }
            C::Done => return None,
        }
    }
    Some(n)
}

fn explore(cap: u32, items: u32) -> usize {
    let start = S {
        head: 0,
        tail: 0,
        p: P::Push,
        p_head: 0,
        p_old: 0,
        p_sig: false,
        c: C::Pop,
        c_tail: 0,
        c_old: 0,
        c_sig: false,
        consumed: 0,
    };
    let mut seen = HashSet::new();
    let mut stack = vec![start];
    while let Some(s) = stack.pop() {
        if !seen.insert(s) {
            continue;
        }
        assert!(s.head - s.tail <= cap, "ring overflow in {s:?}");
        assert!(s.consumed <= s.head, "consumed unpublished items in {s:?}");
        let a = step(s, true, cap, items);
        let b = step(s, false, cap, items);
        if a.is_none() && b.is_none() {
            assert!(s.p == P::Done && s.c == C::Done && s.consumed == items, "stuck (lost wake-up) in {s:?}");
        }
        stack.extend(a);
        stack.extend(b);
    }
    seen.len()
}

#[test]
fn no_lost_wakeups_small_rings() {
    for cap in [1, 2, 4] {
        for items in 1..=6 {
            let states = explore(cap, items);
            assert!(states > 10);
        }
    }
}
