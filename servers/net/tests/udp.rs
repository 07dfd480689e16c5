//! UDP between two stacks: datagrams both ways, automatic binding,
//! truncation, peeking, connected filtering, size limits, blocking.

mod common;

use common::*;
use rampart_net::Outcome;
use rampart_net_api::*;

#[test]
fn datagrams_both_ways_with_sender_addresses() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let ua = w.socket(ca, SockType::Dgram, false).unwrap();
    assert_eq!(w.bind(ca, ua, 5353), Ok(SockAddr::new(0, 0, 0, 0, 5353)));
    // B's socket is bound automatically by its first send.
    let ub = w.socket(cb, SockType::Dgram, false).unwrap();
    assert_eq!(w.send_to(cb, ub, b"query", SockAddr { ip: IP_A, port: 5353 }), Ok(5));
    let Response::Addr(b_addr) = w.call(cb, Request::GetSockName { handle: ub }) else { panic!() };
    assert!(b_addr.port >= 49152);
    let (data, from, truncated) = w.recv_from(ca, ua, 100, MsgFlags(0)).unwrap();
    assert_eq!(
        (data.as_slice(), from, truncated),
        (&b"query"[..], Some(SockAddr { ip: IP_B, port: b_addr.port }), false)
    );
    assert_eq!(w.send_to(ca, ua, b"answer", from.unwrap()), Ok(6));
    let (data, from, _) = w.recv_from(cb, ub, 100, MsgFlags(0)).unwrap();
    assert_eq!((data.as_slice(), from), (&b"answer"[..], Some(SockAddr { ip: IP_A, port: 5353 })));
}

#[test]
fn truncation_and_peek() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let ua = w.socket(ca, SockType::Dgram, false).unwrap();
    w.bind(ca, ua, 6000).unwrap();
    let ub = w.socket(cb, SockType::Dgram, false).unwrap();
    let to = SockAddr { ip: IP_A, port: 6000 };
    w.send_to(cb, ub, &pattern(100, 1), to).unwrap();
    w.send_to(cb, ub, b"second", to).unwrap();
    // Peek leaves the datagram; a short read truncates and discards the rest.
    let (p, _, t) = w.recv_from(ca, ua, 10, MsgFlags::PEEK).unwrap();
    assert_eq!((p.as_slice(), t), (&pattern(100, 1)[..10], true));
    let (d, _, t) = w.recv_from(ca, ua, 10, MsgFlags(0)).unwrap();
    assert_eq!((d.as_slice(), t), (&pattern(100, 1)[..10], true));
    let (d, _, t) = w.recv_from(ca, ua, 10, MsgFlags(0)).unwrap();
    assert_eq!((d.as_slice(), t), (&b"second"[..], false));
    assert_eq!(w.recv_from(ca, ua, 10, MsgFlags::DONTWAIT), Err(Errno::EAGAIN));
}

#[test]
fn connected_socket_hears_only_its_peer() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let ua = w.socket(ca, SockType::Dgram, false).unwrap();
    w.bind(ca, ua, 6001).unwrap();
    let (good, bad) = (w.socket(cb, SockType::Dgram, false).unwrap(), w.socket(cb, SockType::Dgram, false).unwrap());
    w.bind(cb, good, 7001).unwrap();
    w.bind(cb, bad, 7002).unwrap();
    w.connect(ca, ua, SockAddr { ip: IP_B, port: 7001 }).unwrap();
    assert_eq!(w.call(ca, Request::GetPeerName { handle: ua }), Response::Addr(SockAddr { ip: IP_B, port: 7001 }));
    let to = SockAddr { ip: IP_A, port: 6001 };
    w.send_to(cb, bad, b"intruder", to).unwrap();
    w.send_to(cb, good, b"friend", to).unwrap();
    assert_eq!(w.recv(ca, ua, 100).unwrap(), b"friend");
    // A connected socket sends to its peer without an address.
    assert_eq!(w.send(ca, ua, b"hi friend", MsgFlags(0)), Ok(9));
    assert_eq!(w.recv(cb, good, 100).unwrap(), b"hi friend");
}

#[test]
fn limits_and_errors() {
    let mut w = World::new();
    let ca = w.client(Side::A, USER);
    let u = w.socket(ca, SockType::Dgram, false).unwrap();
    assert_eq!(w.send(ca, u, b"nowhere", MsgFlags(0)), Err(errno::EDESTADDRREQ));
    let to = SockAddr { ip: IP_B, port: 9 + 6000 };
    assert_eq!(w.send_to(ca, u, &vec![0; MAX_DATAGRAM + 1], to), Err(errno::EMSGSIZE));
    assert_eq!(w.send_to(ca, u, &vec![0; MAX_DATAGRAM], to), Ok(MAX_DATAGRAM));
    assert_eq!(w.send_to(ca, u, b"x", SockAddr { ip: IP_B, port: 0 }), Err(Errno::EINVAL));
    // No broadcast or multicast (Linux without SO_BROADCAST), no loopback.
    for ip in [[255, 255, 255, 255], [10, 0, 2, 255], [224, 0, 0, 251]] {
        assert_eq!(w.send_to(ca, u, b"x", SockAddr { ip, port: 6000 }), Err(Errno::EACCES), "{ip:?}");
    }
    assert_eq!(w.send_to(ca, u, b"x", SockAddr::new(127, 0, 0, 1, 6000)), Err(errno::ENETUNREACH));
    assert!(w.a.srv.mac.take_audit().into_iter().map(|e| e.record).collect::<Vec<_>>().is_empty(), "not MAC denials");
    // One port, one UDP socket; TCP has its own port space.
    let a = w.socket(ca, SockType::Dgram, false).unwrap();
    w.bind(ca, a, 6500).unwrap();
    let b = w.socket(ca, SockType::Dgram, false).unwrap();
    assert_eq!(w.bind(ca, b, 6500), Err(errno::EADDRINUSE));
    let t = w.socket(ca, SockType::Stream, false).unwrap();
    assert!(w.bind(ca, t, 6500).is_ok());
    assert_eq!(w.ok(ca, Request::Shutdown { handle: a, how: How::Write }), Err(errno::ENOTCONN));
}

#[test]
fn blocking_receive_waits_for_a_datagram() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let ua = w.socket(ca, SockType::Dgram, false).unwrap();
    w.bind(ca, ua, 6002).unwrap();
    let Outcome::Held(t) = w.start(ca, Request::Recv { handle: ua, region_offset: 0, len: 64, flags: MsgFlags(0) })
    else {
        panic!("held")
    };
    w.run_for(100);
    let ub = w.socket(cb, SockType::Dgram, false).unwrap();
    w.send_to(cb, ub, b"wake up", SockAddr { ip: IP_A, port: 6002 }).unwrap();
    let Some(Response::Received { len: 7, from: Some(_), truncated: false }) = w.wait(Side::A, t, 100) else {
        panic!("no datagram")
    };
    assert_eq!(&w.region(ca)[..7], b"wake up");
}

#[test]
fn many_datagrams_in_order() {
    let mut w = World::new();
    let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
    let ua = w.socket(ca, SockType::Dgram, false).unwrap();
    w.bind(ca, ua, 6003).unwrap();
    let ub = w.socket(cb, SockType::Dgram, false).unwrap();
    for round in 0..10u8 {
        for i in 0..8u8 {
            w.send_to(cb, ub, &[round, i], SockAddr { ip: IP_A, port: 6003 }).unwrap();
        }
        for i in 0..8u8 {
            assert_eq!(w.recv(ca, ua, 10).unwrap(), [round, i]);
        }
    }
}
