//! The stack answers ICMP echo requests (small and near-MTU payloads) and
//! ignores what it cannot answer.

mod common;

use common::ping::Pinger;
use common::*;

#[test]
fn stack_answers_pings() {
    let mut w = World::new();
    let p = Pinger::new(&mut w, Side::B, 0x1234);
    for seq in 0..5u16 {
        assert!(p.ping(&mut w, IP_A, seq, format!("ping {seq}").as_bytes(), 2000), "echo {seq}");
    }
    // A near-MTU payload (1500 - 20 IP - 8 ICMP).
    assert!(p.ping(&mut w, IP_A, 99, &pattern(1472, 5), 2000));
    // Both directions: node A's stack can ping B too.
    let q = Pinger::new(&mut w, Side::A, 0x4321);
    assert!(q.ping(&mut w, IP_B, 1, b"reverse", 2000));
}

#[test]
fn pings_to_other_addresses_go_unanswered() {
    let mut w = World::new();
    let p = Pinger::new(&mut w, Side::B, 8);
    assert!(p.ping(&mut w, IP_A, 1, b"first", 2000));
    // Nobody has 10.0.2.77: no answer, and A keeps answering. (smoltcp
    // sends one ARP request per second for the whole interface, so a
    // socket retrying a silent address delays resolving *new* addresses;
    // A's is cached already. docs/network.md, limits.)
    let dead = Pinger::new(&mut w, Side::B, 7);
    assert!(!dead.ping(&mut w, [10, 0, 2, 77], 1, b"anyone?", 3000));
    assert!(p.ping(&mut w, IP_A, 2, b"still fine", 2000));
}
