//! Property tests: any sequence of pushes, publishes, pops and releases on
//! one ring behaves like a bounded FIFO queue, the signalling results
//! match the transition rules, and hostile header bytes give errors, not
//! panics.

// The constructors are `unsafe` (raw memory): the tests build the rings over host memory.
#![allow(unsafe_code)]

use proptest::prelude::*;
use rampart_spsc::{Consumer, Producer, RingError};
use std::collections::VecDeque;

#[repr(C, align(64))]
struct Mem([u8; 2048]);

#[derive(Clone, Debug)]
enum Op {
    Push(u16),
    Publish,
    Pop,
    Release,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![any::<u16>().prop_map(Op::Push), Just(Op::Publish), Just(Op::Pop), Just(Op::Release)]
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(400)))]

    #[test]
    fn behaves_like_a_bounded_fifo(cap_log in 0u32..5, ops in proptest::collection::vec(op(), 0..200)) {
        let cap = 1u32 << cap_log;
        let mut m = Box::new(Mem([0; 2048]));
        let p = m.0.as_mut_ptr();
        // SAFETY: `m` outlives both ends; one producer, one consumer.
        let (mut tx, mut rx) = unsafe { (Producer::<u16>::new(p, 2048, cap).unwrap(), Consumer::<u16>::new(p, 2048, cap).unwrap()) };
        // Model: pushed-not-published, published-not-popped, popped-not-released.
        let (mut private, mut visible, mut held) = (VecDeque::new(), VecDeque::new(), 0u32);
        for o in ops {
            match o {
                Op::Push(v) => {
                    let room = (private.len() + visible.len()) as u32 + held < cap;
                    prop_assert_eq!(tx.push(v).unwrap(), room);
                    if room { private.push_back(v); }
                }
                Op::Publish => {
                    let was_empty = visible.is_empty() && held == 0;
                    let sig = tx.publish();
                    prop_assert_eq!(sig, was_empty && !private.is_empty());
                    visible.extend(private.drain(..));
                }
                Op::Pop => {
                    let got = rx.pop().unwrap();
                    let want = visible.pop_front();
                    prop_assert_eq!(got, want);
                    if want.is_some() { held += 1; }
                }
                Op::Release => {
                    let was_full = (visible.len() as u32 + held + private.len() as u32) == cap
                        && held > 0;
                    let sig = rx.release();
                    // The producer's published head is what the consumer sees.
                    let published_full = visible.len() as u32 + held == cap && held > 0;
                    prop_assert_eq!(sig, published_full);
                    let _ = was_full;
                    held = 0;
                }
            }
        }
    }

    #[test]
    fn hostile_headers_never_panic(head: u32, tail: u32, cap_log in 0u32..5, pops in 0usize..40) {
        let cap = 1u32 << cap_log;
        let mut m = Box::new(Mem([0xa5; 2048]));
        m.0[..4].copy_from_slice(&head.to_le_bytes());
        m.0[64..68].copy_from_slice(&tail.to_le_bytes());
        let p = m.0.as_mut_ptr();
        // SAFETY: as above.
        match unsafe { Consumer::<u64>::new(p, 2048, cap) } {
            Ok(mut rx) => {
                prop_assert!(head.wrapping_sub(tail) <= cap);
                for _ in 0..pops {
                    match rx.pop() {
                        Ok(Some(_)) | Ok(None) => {}
                        Err(e) => prop_assert_eq!(e, RingError::Corrupt),
                    }
                }
            }
            Err(e) => prop_assert_eq!(e, RingError::Corrupt),
        }
    }
}
