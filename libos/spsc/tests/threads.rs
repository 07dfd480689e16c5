//! The real rings under two threads: a producer and a consumer that sleep
//! on "notifications" (sticky flags, like kernel notifications) exactly when
//! the protocol says, pass two million items in order, and never wait
//! forever (a lost wake-up would time out).

// The constructors are `unsafe` (raw memory): the tests build the rings over leaked host memory.
#![allow(unsafe_code)]

use rampart_spsc::{Consumer, Producer, ring_bytes};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A sticky notification: `signal` sets it, `wait` waits for it and clears it.
#[derive(Default)]
struct Note(Mutex<bool>, Condvar);

impl Note {
    fn signal(&self) {
        *self.0.lock().unwrap() = true;
        self.1.notify_one();
    }
    fn wait(&self) {
        let g = self.0.lock().unwrap();
        let (mut g, t) = self.1.wait_timeout_while(g, Duration::from_secs(20), |s| !*s).unwrap();
        assert!(!t.timed_out(), "lost wake-up");
        *g = false;
    }
}

#[repr(C, align(64))]
struct Mem([u8; 4096]);

#[test]
fn two_threads_pass_items_in_order() {
    const N: u64 = 2_000_000;
    const CAP: u32 = 64;
    assert!(ring_bytes::<u64>(CAP) <= 4096);
    let mem = Box::leak(Box::new(Mem([0; 4096])));
    let p = mem.0.as_mut_ptr();
    // SAFETY: the memory is leaked (lives forever); one producer, one consumer.
    let mut tx = unsafe { Producer::<u64>::new(p, 4096, CAP).unwrap() };
    // SAFETY: as above.
    let mut rx = unsafe { Consumer::<u64>::new(p, 4096, CAP).unwrap() };
    let (to_consumer, to_producer) = (Arc::new(Note::default()), Arc::new(Note::default()));
    let (tc, tp) = (to_consumer.clone(), to_producer.clone());
    let producer = std::thread::spawn(move || {
        let mut next = 0u64;
        let mut sleeps = 0u64;
        while next < N {
            let burst = 1 + (next % 97);
            let mut pushed = 0;
            while pushed < burst && next < N && tx.push(next).unwrap() {
                next += 1;
                pushed += 1;
            }
            if tx.publish() {
                tc.signal();
            }
            if pushed == 0 && tx.should_sleep().unwrap() {
                sleeps += 1;
                tp.wait();
            }
        }
        sleeps
    });
    let consumer = std::thread::spawn(move || {
        let mut expect = 0u64;
        let mut sleeps = 0u64;
        while expect < N {
            let mut took = 0;
            while let Some(v) = rx.pop().unwrap() {
                assert_eq!(v, expect);
                expect += 1;
                took += 1;
                if took % 13 == 0 && rx.release() {
                    to_producer.signal();
                }
            }
            if rx.release() {
                to_producer.signal();
            }
            if expect < N && rx.should_sleep().unwrap() {
                sleeps += 1;
                to_consumer.wait();
            }
        }
        sleeps
    });
    let ps = producer.join().unwrap();
    let cs = consumer.join().unwrap();
    eprintln!("producer slept {ps} times, consumer {cs} times");
}
