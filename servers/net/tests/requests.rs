//! Hostile requests: random request sequences (valid encodings with
//! arbitrary handles, offsets, lengths, addresses, options and tokens)
//! and random message bytes, against a server with live sockets. Nothing
//! panics, every request gets an answer or is held, and the server still
//! serves a fresh client afterwards.

mod common;

use common::*;
use proptest::prelude::*;
use rampart_net::Outcome;
use rampart_net_api::*;

fn handle() -> impl Strategy<Value = Handle> {
    prop_oneof![4 => (0u32..8).prop_map(Handle), 1 => any::<u32>().prop_map(Handle)]
}

fn addr() -> impl Strategy<Value = SockAddr> {
    let ip = prop_oneof![Just(IP_B), Just(IP_A), Just([0, 0, 0, 0]), Just([255, 255, 255, 255]), any::<[u8; 4]>()];
    let port = prop_oneof![Just(8080u16), Just(0u16), 5000u16..5010, any::<u16>()];
    (ip, port).prop_map(|(ip, port)| SockAddr { ip, port })
}

fn offset() -> impl Strategy<Value = u32> {
    prop_oneof![0u32..4096, Just(REGION as u32 - 1), Just(REGION as u32), any::<u32>()]
}

fn opt() -> impl Strategy<Value = SockOpt> {
    prop_oneof![
        any::<bool>().prop_map(SockOpt::ReuseAddr),
        any::<bool>().prop_map(SockOpt::NoDelay),
        proptest::option::of(any::<u32>()).prop_map(SockOpt::KeepAlive),
        proptest::option::of(0u32..50).prop_map(SockOpt::RecvTimeout),
        proptest::option::of(0u32..50).prop_map(SockOpt::SendTimeout),
        any::<u32>().prop_map(SockOpt::RecvBuf),
        Just(SockOpt::Error(None)),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    let name =
        prop_oneof![Just(OptName::Error), Just(OptName::NoDelay), Just(OptName::Type), Just(OptName::AcceptConn)];
    let how = prop_oneof![Just(How::Read), Just(How::Write), Just(How::Both)];
    let ty = prop_oneof![Just(SockType::Stream), Just(SockType::Dgram)];
    let wait =
        prop_oneof![Just(Wait::Now), Just(Wait::Notify), (0u32..30).prop_map(|t| Wait::Block { timeout_ms: Some(t) })];
    let flags = prop_oneof![Just(MsgFlags(0)), Just(MsgFlags::DONTWAIT), Just(MsgFlags::PEEK)];
    prop_oneof![
        (ty, any::<bool>()).prop_map(|(ty, nonblocking)| Request::Socket { domain: Domain::Inet, ty, nonblocking }),
        (handle(), addr()).prop_map(|(handle, addr)| Request::Bind { handle, addr }),
        (handle(), any::<u32>()).prop_map(|(handle, backlog)| Request::Listen { handle, backlog }),
        (handle(), any::<bool>()).prop_map(|(handle, nonblocking)| Request::Accept { handle, nonblocking }),
        (handle(), addr()).prop_map(|(handle, addr)| Request::Connect { handle, addr }),
        (handle(), offset(), 0u32..70_000, proptest::option::of(addr())).prop_map(
            |(handle, region_offset, len, to)| {
                Request::Send { handle, region_offset, len, flags: MsgFlags::DONTWAIT, to }
            }
        ),
        (handle(), offset(), any::<u32>(), flags).prop_map(|(handle, region_offset, len, flags)| Request::Recv {
            handle,
            region_offset,
            len,
            flags: MsgFlags(flags.0 | MsgFlags::DONTWAIT.0)
        }),
        (handle(), how).prop_map(|(handle, how)| Request::Shutdown { handle, how }),
        handle().prop_map(|handle| Request::Close { handle }),
        (handle(), any::<bool>()).prop_map(|(handle, on)| Request::SetNonBlocking { handle, on }),
        handle().prop_map(|handle| Request::GetSockName { handle }),
        handle().prop_map(|handle| Request::GetPeerName { handle }),
        (handle(), opt()).prop_map(|(handle, opt)| Request::SetSockOpt { handle, opt }),
        (handle(), name).prop_map(|(handle, name)| Request::GetSockOpt { handle, name }),
        (proptest::collection::vec((handle(), any::<u16>()), 0..6), wait).prop_map(|(items, wait)| Request::Poll {
            items: items.into_iter().map(|(handle, e)| PollItem { handle, events: Events(e) }).collect(),
            wait
        }),
        handle().prop_map(|handle| Request::ShareHandle { handle }),
        Just(Request::AdoptToken),
        Just(Request::AttachNotification),
        Just(Request::InterfaceInfo),
    ]
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(96)))]

    #[test]
    fn random_request_sequences(reqs in proptest::collection::vec((request(), proptest::option::of(any::<u64>())), 1..40),
                                 junk in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let mut w = World::new();
        let (ca, cb) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
        // Live sockets for the random requests to hit: handles 1..=3 on A.
        let (s, acc) = w.tcp_pair(ca, cb, 8080);
        let u = w.socket(ca, SockType::Dgram, false).unwrap();
        w.bind(ca, u, 5005).unwrap();
        w.send_all(cb, acc, b"some data to read");
        let Response::Token(tok) = w.call(ca, Request::ShareHandle { handle: s }) else { panic!() };
        for (r, badge) in reqs {
            // Tokens: sometimes the real one, sometimes a random badge.
            let badge = badge.map(|b| if b % 3 == 0 { tok } else { b });
            match w.start_badge(ca, r, badge) {
                Outcome::Reply(_) => {}
                Outcome::Held(t) => {
                    // Everything random here is non-blocking or time-bounded,
                    // except what a random SetNonBlocking made blocking.
                    let _ = w.wait(Side::A, t, 200);
                }
            }
            w.step();
        }
        for bytes in junk {
            if let Ok(r) = decode_request(&bytes) {
                let _ = w.start(ca, r);
            }
        }
        w.run_for(20);
        // A fresh client is served normally.
        let (c2, cb2) = (w.client(Side::A, USER), w.client(Side::B, ROOT));
        let (s2, acc2) = w.tcp_pair(c2, cb2, 9999);
        w.send_all(c2, s2, b"after the storm");
        prop_assert_eq!(w.recv_exact(cb2, acc2, 15), b"after the storm".to_vec());
        // Disconnecting the fuzzed client cleans up.
        w.a.srv.disconnect(ca.conn);
        w.a.srv.disconnect(c2.conn);
        prop_assert_eq!(w.a.srv.socket_count(), 0);
        prop_assert_eq!(w.a.srv.held_count(), 0);
    }
}
