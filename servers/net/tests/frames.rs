//! Hostile frames: random bytes, and valid frames (captured from a real
//! exchange) mutated — some with their checksums repaired so they reach
//! the TCP/UDP/ICMP state machines — fed to a server, which must not
//! panic and must still serve afterwards (new connections, data, pings,
//! datagrams).

mod common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use common::ping::Pinger;
use common::*;
use proptest::prelude::*;
use rampart_net::smoltcp::wire::{
    EthernetFrame, EthernetProtocol, Icmpv4Packet, IpAddress, IpProtocol, Ipv4Packet, TcpPacket, UdpPacket,
};
use rampart_net_api::*;

/// Frames of a real exchange between A and B: ARP, TCP (handshake, data
/// both ways, close), UDP, ICMP echo.
fn captured() -> &'static [Vec<u8>] {
    static FRAMES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let mut w = World::new();
        let log = Rc::new(RefCell::new(Vec::new()));
        let l2 = log.clone();
        w.filter = Some(Box::new(move |f: Vec<u8>| {
            l2.borrow_mut().push(f.clone());
            Some(f)
        }));
        let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
        let (s, acc) = w.tcp_pair(ca, cb, 8080);
        w.send_all(ca, s, &pattern(5000, 1));
        assert_eq!(w.recv_exact(cb, acc, 5000), pattern(5000, 1));
        w.send_all(cb, acc, b"response");
        w.recv(ca, s, 100).unwrap();
        w.close(ca, s);
        w.close(cb, acc);
        let u = w.socket(ca, SockType::Dgram, false).unwrap();
        let ub = w.socket(cb, SockType::Dgram, false).unwrap();
        w.bind(cb, ub, 5353).unwrap();
        w.send_to(ca, u, b"datagram", SockAddr { ip: IP_B, port: 5353 }).unwrap();
        w.recv(cb, ub, 100).unwrap();
        let p = Pinger::new(&mut w, Side::A, 99);
        assert!(p.ping(&mut w, IP_B, 1, b"ping payload", 1000));
        w.run_for(100);
        let frames = log.borrow().clone();
        assert!(frames.len() >= 15, "{} frames", frames.len());
        frames
    })
}

/// Recomputes the IPv4 header checksum and the TCP/UDP/ICMP checksum, so
/// a mutated frame passes smoltcp's checks and reaches the protocols.
fn repair_checksums(f: &mut [u8]) {
    let Ok(mut eth) = EthernetFrame::new_checked(&mut f[..]) else { return };
    if eth.ethertype() != EthernetProtocol::Ipv4 {
        return;
    }
    let Ok(mut ip) = Ipv4Packet::new_checked(eth.payload_mut()) else { return };
    ip.fill_checksum();
    let (src, dst) = (IpAddress::Ipv4(ip.src_addr()), IpAddress::Ipv4(ip.dst_addr()));
    let proto = ip.next_header();
    let payload = ip.payload_mut();
    match proto {
        IpProtocol::Tcp => {
            if let Ok(mut t) = TcpPacket::new_checked(payload) {
                t.fill_checksum(&src, &dst);
            }
        }
        IpProtocol::Udp => {
            if let Ok(mut u) = UdpPacket::new_checked(payload) {
                u.fill_checksum(&src, &dst);
            }
        }
        IpProtocol::Icmp => {
            if let Ok(mut i) = Icmpv4Packet::new_checked(payload) {
                i.fill_checksum();
            }
        }
        _ => {}
    }
}

/// True for an ARP frame claiming A's address from another MAC: ARP has
/// no authentication in any IPv4 stack, so spoofing is out of scope here.
fn spoofs_a(f: &[u8]) -> bool {
    f.len() >= 42 && f[12..14] == [0x08, 0x06] && f[28..32] == IP_A && f[22..28] != MAC_A
}

#[derive(Clone, Debug)]
enum Hostile {
    Random(Vec<u8>),
    Mutated { index: usize, edits: Vec<(usize, u8)>, cut: Option<usize>, repair: bool },
}

impl Hostile {
    fn frame(&self) -> Vec<u8> {
        match self {
            Hostile::Random(b) => b.clone(),
            Hostile::Mutated { index, edits, cut, repair } => {
                let all = captured();
                let mut f = all[index % all.len()].clone();
                for &(pos, val) in edits {
                    let n = f.len();
                    f[pos % n] = val;
                }
                if *repair {
                    repair_checksums(&mut f);
                }
                if let Some(c) = cut {
                    f.truncate(c % (f.len() + 1));
                }
                f
            }
        }
    }
}

fn hostile() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1600).prop_map(Hostile::Random),
        (
            any::<usize>(),
            proptest::collection::vec((14usize..80, any::<u8>()), 1..6),
            proptest::option::of(any::<usize>()),
            any::<bool>()
        )
            .prop_map(|(index, edits, cut, repair)| Hostile::Mutated { index, edits, cut, repair }),
        // Mutations anywhere, including the Ethernet header and payloads.
        (any::<usize>(), proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4), any::<bool>())
            .prop_map(|(index, edits, repair)| Hostile::Mutated { index, edits, cut: None, repair }),
    ]
}

/// Node B still accepts, exchanges data both ways, answers pings and
/// receives datagrams.
fn assert_serves(w: &mut World, port: u16) {
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let (s, acc) = w.tcp_pair(ca, cb, port);
    w.send_all(ca, s, b"still there?");
    assert_eq!(w.recv(cb, acc, 100).unwrap(), b"still there?");
    w.send_all(cb, acc, b"yes");
    assert_eq!(w.recv(ca, s, 100).unwrap(), b"yes");
    let p = Pinger::new(w, Side::A, 0x77);
    assert!(p.ping(w, IP_B, 9, b"alive", 3000), "B answers pings");
    let ub = w.socket(cb, SockType::Dgram, false).unwrap();
    w.bind(cb, ub, port + 1).unwrap();
    let ua = w.socket(ca, SockType::Dgram, false).unwrap();
    w.send_to(ca, ua, b"dgram", SockAddr { ip: IP_B, port: port + 1 }).unwrap();
    assert_eq!(w.recv(cb, ub, 100).unwrap(), b"dgram");
}

#[test]
fn capture_is_representative() {
    let f = captured();
    let types: std::collections::BTreeSet<[u8; 2]> = f.iter().map(|f| [f[12], f[13]]).collect();
    assert!(types.contains(&[0x08, 0x06]) && types.contains(&[0x08, 0x00]), "ARP and IPv4");
    let protos: std::collections::BTreeSet<u8> = f.iter().filter(|f| f[12..14] == [8, 0]).map(|f| f[23]).collect();
    assert_eq!(protos, [1u8, 6, 17].into_iter().collect(), "ICMP, TCP, UDP");
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(48)))]

    #[test]
    fn hostile_frames_never_break_the_server(batch in proptest::collection::vec(hostile(), 1..64)) {
        let mut w = World::new();
        // A live connection and listener before the storm.
        let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
        let _pair = w.tcp_pair(ca, cb, 8080);
        let b_rx = w.b_rx();
        for h in &batch {
            let f = h.frame();
            if !spoofs_a(&f) {
                b_rx.push(f);
            }
            w.step();
        }
        w.run_for(50);
        assert_serves(&mut w, 9090);
    }
}

#[test]
fn a_flood_of_garbage_then_service() {
    // Many frames at once, more than one poll processes in a batch.
    let mut w = World::new();
    let b_rx = w.b_rx();
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..3000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let f = if i % 3 == 0 {
            pattern((s % 1600) as usize, s)
        } else {
            let all = captured();
            let mut f = all[(s as usize) % all.len()].clone();
            let n = f.len();
            f[(s >> 20) as usize % n] ^= (s >> 8) as u8 | 1;
            if i % 3 == 1 {
                repair_checksums(&mut f);
            }
            f
        };
        if !spoofs_a(&f) {
            b_rx.push(f);
        }
    }
    w.step();
    assert!(w.b.srv.stack.phy_stats().rx_frames >= 2900);
    assert_serves(&mut w, 9191);
}

#[test]
fn a_syn_flood_does_not_lock_clients_out() {
    // The first SYN of the capture (A to B's port 8080), re-addressed to a
    // fresh listener with forged source ports and sequence numbers: every
    // one opens a half-open handshake that will never complete.
    let syn = captured()
        .iter()
        .find(|f| f.len() >= 54 && f[12..14] == [8, 0] && f[23] == 6 && f[47] & 0x12 == 0x02)
        .expect("the capture has a SYN")
        .clone();
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let l = w.listener(cb, 9292);
    // The forged sources never answer B's SYN-ACKs (A's stack would
    // reset them).
    w.filter = Some(Box::new(|f: Vec<u8>| {
        let from_listener = f.len() >= 38 && f[12..14] == [8, 0] && f[23] == 6 && f[34..36] == 9292u16.to_be_bytes();
        (!from_listener).then_some(f)
    }));
    let b_rx = w.b_rx();
    for i in 0..200u16 {
        let mut f = syn.clone();
        f[34..36].copy_from_slice(&(20000 + i).to_be_bytes());
        f[36..38].copy_from_slice(&9292u16.to_be_bytes());
        f[38..42].copy_from_slice(&(u32::from(i) * 7919).to_be_bytes());
        repair_checksums(&mut f);
        b_rx.push(f);
        w.step();
    }
    w.run_for(100);
    w.filter = None;
    // A real client still gets through, long before the half-open
    // handshakes time out.
    let s = w.socket(ca, SockType::Stream, false).unwrap();
    w.connect(ca, s, SockAddr { ip: IP_B, port: 9292 }).unwrap();
    let (acc, _) = w.accept(cb, l).unwrap();
    w.send_all(ca, s, b"through the flood");
    assert_eq!(w.recv(cb, acc, 100).unwrap(), b"through the flood");
    assert!(w.now < 10_000, "took {} ms", w.now);
}
