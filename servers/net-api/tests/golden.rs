//! The network protocol's wire bytes, one message of every request and
//! response variant: recorded from the hand-written enums before the
//! protocol was declared with `rampart_uabi::protocol!`, so this test
//! proves the declaration changed no byte on the wire (postcard).

use rampart_net_api::*;
use rampart_uabi::codec::encode_bytes;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn requests() -> Vec<Request> {
    let h = Handle(4);
    let a = SockAddr { ip: [10, 0, 2, 15], port: 8080 };
    vec![
        Request::AttachRegion { len: 65536 },
        Request::AttachNotification,
        Request::Socket { domain: Domain::Inet, ty: SockType::Dgram, nonblocking: true },
        Request::Bind { handle: h, addr: a },
        Request::Listen { handle: h, backlog: 128 },
        Request::Accept { handle: h, nonblocking: false },
        Request::Connect { handle: h, addr: a },
        Request::Send { handle: h, region_offset: 8, len: 1472, flags: MsgFlags::DONTWAIT, to: Some(a) },
        Request::Recv { handle: h, region_offset: 0, len: 300, flags: MsgFlags::PEEK },
        Request::Shutdown { handle: h, how: How::Both },
        Request::Close { handle: h },
        Request::SetNonBlocking { handle: h, on: true },
        Request::GetSockName { handle: h },
        Request::GetPeerName { handle: h },
        Request::SetSockOpt { handle: h, opt: SockOpt::RecvTimeout(Some(1500)) },
        Request::GetSockOpt { handle: h, name: OptName::Error },
        Request::Poll {
            items: vec![
                PollItem { handle: h, events: Events::IN },
                PollItem { handle: Handle(5), events: Events::OUT },
            ],
            wait: Wait::Block { timeout_ms: Some(250) },
        },
        Request::ShareHandle { handle: h },
        Request::AdoptToken,
        Request::InterfaceInfo,
    ]
}

fn responses() -> Vec<Response> {
    let a = SockAddr { ip: [192, 168, 1, 2], port: 53 };
    vec![
        Response::Ok,
        Response::Handle(Handle(7)),
        Response::Addr(a),
        Response::Accepted { handle: Handle(8), peer: a },
        Response::Len(1000),
        Response::Received { len: 12, from: Some(a), truncated: true },
        Response::Opt(SockOpt::Error(Some(Errno::ECONNREFUSED))),
        Response::Ready(vec![Events::IN, Events(Events::OUT.0 | Events::HUP.0)]),
        Response::Token(99),
        Response::Interface(IfInfo {
            mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56],
            addr: Some(([10, 0, 2, 15], 24)),
            gateway: Some([10, 0, 2, 2]),
            dns: vec![[10, 0, 2, 3]],
            mtu: 1500,
            dhcp: true,
        }),
        Response::Err(Errno::EAGAIN),
    ]
}

/// Recorded from the hand-written `Request` (commit 2f2a2e9), in order.
const REQUESTS: &[&str] = &[
    "00808004",
    "01",
    "02000101",
    "03040a00020f903f",
    "04048001",
    "050400",
    "06040a00020f903f",
    "070408c00b40010a00020f903f",
    "080400ac0202",
    "090402",
    "0a04",
    "0b0401",
    "0c04",
    "0d04",
    "0e040301dc0b",
    "0f0407",
    "1002040105040101fa01",
    "1104",
    "12",
    "13",
];
/// Recorded from the hand-written `Response`, in order.
const RESPONSES: &[&str] = &[
    "00",
    "0107",
    "02c0a8010235",
    "0308c0a8010235",
    "04e807",
    "050c01c0a801023501",
    "060701de01",
    "07020114",
    "0863",
    "09525400123456010a00020f18010a000202010a000203dc0b01",
    "0a16",
];

#[test]
fn wire_bytes_unchanged_by_the_declaration() {
    let rq: Vec<String> = requests().iter().map(|r| hex(&encode_bytes(r).unwrap())).collect();
    let rs: Vec<String> = responses().iter().map(|r| hex(&encode_bytes(r).unwrap())).collect();
    if std::env::var_os("GOLDEN_PRINT").is_some() {
        println!("REQUESTS {rq:?}\nRESPONSES {rs:?}");
    }
    assert_eq!(rq, REQUESTS);
    assert_eq!(rs, RESPONSES);
}
