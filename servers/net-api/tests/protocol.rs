//! Protocol encoding: round trips, size limits, validation, and hostile
//! bytes.

use proptest::prelude::*;
use rampart_net_api::*;

fn h(n: u32) -> Handle {
    Handle(n)
}

fn samples() -> Vec<Request> {
    let addr = SockAddr::new(10, 0, 2, 2, 8080);
    vec![
        Request::AttachRegion { len: 1 << 20 },
        Request::AttachNotification,
        Request::Socket { domain: Domain::Inet, ty: SockType::Stream, nonblocking: false },
        Request::Socket { domain: Domain::Inet6, ty: SockType::Dgram, nonblocking: true },
        Request::Bind { handle: h(1), addr: SockAddr::new(0, 0, 0, 0, 80) },
        Request::Listen { handle: h(1), backlog: 128 },
        Request::Accept { handle: h(1), nonblocking: true },
        Request::Connect { handle: h(2), addr },
        Request::Send { handle: h(2), region_offset: 4096, len: 65536, flags: MsgFlags::DONTWAIT, to: None },
        Request::Send { handle: h(3), region_offset: 0, len: 1472, flags: MsgFlags::default(), to: Some(addr) },
        Request::Recv { handle: h(2), region_offset: 0, len: u32::MAX, flags: MsgFlags::PEEK | MsgFlags::DONTWAIT },
        Request::Shutdown { handle: h(2), how: How::Write },
        Request::Close { handle: h(u32::MAX) },
        Request::SetNonBlocking { handle: h(2), on: true },
        Request::GetSockName { handle: h(2) },
        Request::GetPeerName { handle: h(2) },
        Request::SetSockOpt { handle: h(2), opt: SockOpt::NoDelay(true) },
        Request::SetSockOpt { handle: h(2), opt: SockOpt::RecvTimeout(Some(1500)) },
        Request::GetSockOpt { handle: h(2), name: OptName::Error },
        Request::Poll {
            items: vec![PollItem { handle: h(1), events: Events::IN }, PollItem { handle: h(2), events: Events::OUT }],
            wait: Wait::Block { timeout_ms: Some(250) },
        },
        Request::Poll { items: vec![], wait: Wait::Notify },
        Request::ShareHandle { handle: h(2) },
        Request::AdoptToken,
        Request::InterfaceInfo,
    ]
}

#[test]
fn every_request_round_trips() {
    for r in samples() {
        let b = encode_request(&r).unwrap();
        assert!(b.len() <= MAX_MESSAGE);
        assert_eq!(decode_request(&b).unwrap(), r);
    }
}

#[test]
fn responses_round_trip() {
    let info = IfInfo {
        mac: [2, 0, 0, 0, 0, 1],
        addr: Some(([10, 0, 2, 15], 24)),
        gateway: Some([10, 0, 2, 2]),
        dns: vec![[10, 0, 2, 3]],
        mtu: 1500,
        dhcp: true,
    };
    for r in [
        Response::Ok,
        Response::Handle(h(4)),
        Response::Addr(SockAddr::new(127, 0, 0, 1, 65535)),
        Response::Accepted { handle: h(9), peer: SockAddr::new(10, 0, 2, 2, 40000) },
        Response::Len(7),
        Response::Received { len: 3, from: Some(SockAddr::new(1, 2, 3, 4, 53)), truncated: true },
        Response::Received { len: 0, from: None, truncated: false },
        Response::Opt(SockOpt::Error(Some(errno::ECONNREFUSED))),
        Response::Opt(SockOpt::Type(SockType::Dgram)),
        Response::Ready(vec![Events::IN | Events::OUT, Events::NVAL, Events::NONE]),
        Response::Token(0xdead),
        Response::Interface(info),
        Response::Err(errno::EADDRINUSE),
    ] {
        assert_eq!(decode_response(&encode_response(&r).unwrap()).unwrap(), r);
    }
}

#[test]
fn largest_poll_fits_a_message_both_ways() {
    let items = (0..MAX_POLL_ITEMS as u32)
        .map(|i| PollItem { handle: h(u32::MAX - i), events: Events(u16::MAX) })
        .collect::<Vec<_>>();
    let r = Request::Poll { items, wait: Wait::Block { timeout_ms: Some(u32::MAX) } };
    let b = encode_request(&r).unwrap();
    assert!(b.len() <= MAX_MESSAGE, "{} bytes", b.len());
    assert_eq!(decode_request(&b).unwrap(), r);
    let resp = Response::Ready(vec![Events(u16::MAX); MAX_POLL_ITEMS]);
    assert!(encode_response(&resp).unwrap().len() <= MAX_MESSAGE);
}

#[test]
fn validation_rejects_what_the_encoding_allows() {
    let too_many = Request::Poll {
        items: vec![PollItem { handle: h(1), events: Events::IN }; MAX_POLL_ITEMS + 1],
        wait: Wait::Now,
    };
    assert_eq!(decode_request(&encode_request(&too_many).unwrap()), Err(Errno::EINVAL));
    let bad_flags = Request::Recv { handle: h(1), region_offset: 0, len: 1, flags: MsgFlags(0x8000) };
    assert_eq!(decode_request(&encode_request(&bad_flags).unwrap()), Err(Errno::EINVAL));
    let peek_send = Request::Send { handle: h(1), region_offset: 0, len: 1, flags: MsgFlags::PEEK, to: None };
    assert_eq!(decode_request(&encode_request(&peek_send).unwrap()), Err(Errno::EINVAL));
}

#[test]
fn hostile_bytes_are_errors() {
    assert_eq!(decode_request(&[]), Err(Errno::EBADMSG));
    assert_eq!(decode_request(&[0xff]), Err(Errno::EBADMSG));
    assert_eq!(decode_request(&vec![0; MAX_MESSAGE + 1]), Err(Errno::E2BIG));
    // A valid request followed by a byte.
    let mut b = encode_request(&Request::InterfaceInfo).unwrap();
    b.push(0);
    assert_eq!(decode_request(&b), Err(Errno::EBADMSG));
    // A poll claiming more items than bytes follow.
    let mut b = encode_request(&Request::Poll { items: vec![], wait: Wait::Now }).unwrap();
    b[1] = 0x7f;
    assert!(decode_request(&b).is_err());
}

#[test]
fn display_of_addresses() {
    assert_eq!(SockAddr::new(10, 0, 2, 15, 80).to_string(), "10.0.2.15:80");
    assert!(SockAddr::UNSPECIFIED.is_unspecified_ip());
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(4000)))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
        if let Ok(r) = decode_request(&bytes) {
            // Whatever decodes is valid and re-encodes to a decodable message.
            prop_assert!(r.validate().is_ok());
            prop_assert_eq!(decode_request(&encode_request(&r).unwrap()).unwrap(), r);
        }
        let _ = decode_response(&bytes);
    }

    #[test]
    fn mutated_requests_never_panic(i in 0usize..24, pos in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let all = samples();
        let mut b = encode_request(&all[i % all.len()]).unwrap();
        let p = pos % b.len();
        b[p] = byte;
        if let Ok(r) = decode_request(&b) {
            prop_assert!(r.validate().is_ok());
        }
        let c = cut % (b.len() + 1);
        let _ = decode_request(&b[..c]);
    }

    #[test]
    fn sends_round_trip(handle in any::<u32>(), off in any::<u32>(), len in any::<u32>(), dontwait in any::<bool>(),
                        to in proptest::option::of((any::<[u8; 4]>(), any::<u16>()))) {
        let flags = if dontwait { MsgFlags::DONTWAIT } else { MsgFlags::default() };
        let r = Request::Send { handle: h(handle), region_offset: off, len, flags, to: to.map(|(ip, port)| SockAddr { ip, port }) };
        prop_assert_eq!(decode_request(&encode_request(&r).unwrap()).unwrap(), r);
    }
}
