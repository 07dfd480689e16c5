//! The generated code against hand-written equivalents: the same bytes on
//! the wire, one error for a wrong reply, capabilities required where due.

extern crate std;

use crate::Errno;
use crate::codec::{MAX_WORDS, PROTOCOL_POSTCARD, decode, encode, encode_bytes};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

crate::protocol! {
    /// Requests.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request;
    /// Responses.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Response {
        /// Done.
        Ok,
        /// A number.
        Num(u32),
        /// Text.
        Text(String),
        /// A connection.
        Connected { conn: u32, sid: u32 },
        /// Failure.
        Err(Errno),
    }
    /// A decision.
    Decide { ssid: u32, tsid: u32, class: u16 } -> Num(u32) => decide;
    /// No fields.
    Status -> Text(String) => status;
    /// Borrowed arguments.
    Names { class: u16, names: Vec<String>, name: Option<String>, bytes: Vec<u8> } -> Num(u32) | Ok => names;
    /// A capability comes back.
    Connect { name: String } -> Connected { conn: u32, sid: u32 } => connect(slot: receive);
    /// A capability goes along.
    Subscribe -> Ok => subscribe(ntfn: give);
    /// A newtype variant.
    Submit(record: Record) -> Ok => submit;
}

/// A record sent whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    a: u32,
    b: String,
}
crate::by_value!(Record);

/// The same protocol written by hand, as the -api crates had it.
mod by_hand {
    use super::*;
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub enum Request {
        Decide { ssid: u32, tsid: u32, class: u16 },
        Status,
        Names { class: u16, names: Vec<String>, name: Option<String>, bytes: Vec<u8> },
        Connect(String),
        Subscribe,
        Submit(Record),
    }
}

fn samples() -> Vec<(Request, by_hand::Request)> {
    vec![
        (
            Request::Decide { ssid: u32::MAX, tsid: 7, class: u16::MAX },
            by_hand::Request::Decide { ssid: u32::MAX, tsid: 7, class: u16::MAX },
        ),
        (Request::Status, by_hand::Request::Status),
        (
            Request::Names { class: 3, names: vec!["read".into(), "write".into()], name: None, bytes: vec![0xff; 40] },
            by_hand::Request::Names {
                class: 3,
                names: vec!["read".into(), "write".into()],
                name: None,
                bytes: vec![0xff; 40],
            },
        ),
        (Request::Connect { name: "security".into() }, by_hand::Request::Connect("security".into())),
        (Request::Subscribe, by_hand::Request::Subscribe),
        (Request::Submit(Record { a: 9, b: "x".into() }), by_hand::Request::Submit(Record { a: 9, b: "x".into() })),
    ]
}

#[test]
fn same_bytes_as_hand_written_enums() {
    for (generated, hand) in samples() {
        let b = encode_bytes(&generated).unwrap();
        assert_eq!(b, encode_bytes(&hand).unwrap(), "{generated:?}");
        assert_eq!(crate::codec::decode_bytes::<Request>(&b).unwrap(), generated);
    }
}

/// A fake transport: answers with a fixed response and records requests.
struct Fixed {
    resp: Response,
    cap_arrives: bool,
    seen: Vec<(Request, Option<u64>, Option<u64>)>,
}

impl Transport for Fixed {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        self.seen.push((req.clone(), None, None));
        Ok(self.resp.clone())
    }
    fn call_caps(&mut self, req: &Request, give: Option<u64>, recv: Option<u64>) -> Result<(Response, bool), Errno> {
        self.seen.push((req.clone(), give, recv));
        Ok((self.resp.clone(), self.cap_arrives))
    }
}

fn client(resp: Response, cap_arrives: bool) -> Client<Fixed> {
    Client(Fixed { resp, cap_arrives, seen: Vec::new() })
}

#[test]
fn client_builds_requests_from_borrowed_arguments() {
    let mut c = client(Response::Num(5), false);
    assert_eq!(c.names(3, &["read", "write"], Some("x"), &[1, 2]), Ok(Some(5)));
    assert_eq!(
        c.0.seen[0].0,
        Request::Names {
            class: 3,
            names: vec!["read".into(), "write".into()],
            name: Some("x".into()),
            bytes: vec![1, 2]
        }
    );
    let mut c = client(Response::Ok, false);
    assert_eq!(c.names(3, &[], None, &[]), Ok(None), "the alternative unit reply");
}

#[test]
fn wrong_replies_are_eproto_and_errors_pass_through() {
    assert_eq!(client(Response::Text("x".into()), false).decide(1, 2, 3), Err(Errno::EPROTO));
    assert_eq!(client(Response::Ok, false).decide(1, 2, 3), Err(Errno::EPROTO));
    assert_eq!(client(Response::Num(9), false).status(), Err(Errno::EPROTO));
    assert_eq!(client(Response::Err(Errno::EACCES), false).decide(1, 2, 3), Err(Errno::EACCES));
    assert_eq!(client(Response::Num(9), false).decide(1, 2, 3), Ok(9));
    assert_eq!(client(Response::Text("x".into()), false).names(1, &[], None, &[]), Err(Errno::EPROTO));
}

#[test]
fn capabilities_travel_and_are_required_where_due() {
    let mut c = client(Response::Connected { conn: 4, sid: 8 }, true);
    assert_eq!(c.connect("fs", 77), Ok((4, 8)));
    assert_eq!(c.0.seen[0], (Request::Connect { name: "fs".into() }, None, Some(77)));
    // The right variant but no capability: the reply is not what was due.
    assert_eq!(client(Response::Connected { conn: 4, sid: 8 }, false).connect("fs", 77), Err(Errno::EPROTO));
    // An error reply carries no capability and is the error, not EPROTO.
    assert_eq!(client(Response::Err(Errno::EACCES), false).connect("fs", 77), Err(Errno::EACCES));
    let mut c = client(Response::Ok, false);
    assert_eq!(c.subscribe(12), Ok(()));
    assert_eq!(c.0.seen[0], (Request::Subscribe, Some(12), None));
}

#[test]
fn default_transport_refuses_capabilities() {
    struct NoCaps;
    impl Transport for NoCaps {
        fn call(&mut self, _: &Request) -> Result<Response, Errno> {
            Ok(Response::Ok)
        }
    }
    assert_eq!(Client(NoCaps).subscribe(1), Err(Errno::EOPNOTSUPP));
    assert_eq!(Client(NoCaps).connect("x", 1), Err(Errno::EOPNOTSUPP));
}

/// A server: records the context it was given.
struct Srv;

impl Handler<Vec<&'static str>> for Srv {
    fn decide(&mut self, cx: &mut Vec<&'static str>, ssid: u32, tsid: u32, class: u16) -> Result<u32, Errno> {
        cx.push("decide");
        if class == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(ssid ^ tsid)
    }
    fn status(&mut self, cx: &mut Vec<&'static str>) -> Result<String, Errno> {
        cx.push("status");
        Ok("up".into())
    }
    fn names(
        &mut self,
        _: &mut Vec<&'static str>,
        _: u16,
        names: Vec<String>,
        _: Option<String>,
        _: Vec<u8>,
    ) -> Result<Option<u32>, Errno> {
        Ok((!names.is_empty()).then_some(names.len() as u32))
    }
    fn connect(&mut self, _: &mut Vec<&'static str>, name: String) -> Result<(u32, u32), Errno> {
        Ok((name.len() as u32, 1))
    }
    fn subscribe(&mut self, _: &mut Vec<&'static str>) -> Result<(), Errno> {
        Err(Errno::ENOSPC)
    }
    fn submit(&mut self, cx: &mut Vec<&'static str>, record: Record) -> Result<(), Errno> {
        cx.push(if record.a == 1 { "one" } else { "other" });
        Ok(())
    }
}

#[test]
fn dispatch_wraps_results_in_the_declared_variants() {
    let mut cx = Vec::new();
    assert_eq!(dispatch(&mut Srv, &mut cx, Request::Decide { ssid: 6, tsid: 3, class: 1 }), Response::Num(5));
    assert_eq!(
        dispatch(&mut Srv, &mut cx, Request::Decide { ssid: 6, tsid: 3, class: 0 }),
        Response::Err(Errno::EINVAL)
    );
    assert_eq!(dispatch(&mut Srv, &mut cx, Request::Status), Response::Text("up".into()));
    assert_eq!(cx, ["decide", "decide", "status"]);
    let names = |n: Vec<String>| Request::Names { class: 1, names: n, name: None, bytes: vec![] };
    assert_eq!(dispatch(&mut Srv, &mut cx, names(vec![])), Response::Ok);
    assert_eq!(dispatch(&mut Srv, &mut cx, names(vec!["a".into()])), Response::Num(1));
    assert_eq!(
        dispatch(&mut Srv, &mut cx, Request::Connect { name: "abc".into() }),
        Response::Connected { conn: 3, sid: 1 }
    );
    assert_eq!(dispatch(&mut Srv, &mut cx, Request::Subscribe), Response::Err(Errno::ENOSPC));
    assert_eq!(dispatch(&mut Srv, &mut cx, Request::Submit(Record { a: 1, b: String::new() })), Response::Ok);
    assert_eq!(cx.last(), Some(&"one"));
    assert_eq!(Request::Subscribe.op_name(), "Subscribe");
    assert_eq!(Request::Decide { ssid: 0, tsid: 0, class: 0 }.op_name(), "Decide");
}

/// Client and server joined by the real codec, as the IPC path joins them.
struct Wire(Srv);

impl Transport for Wire {
    fn call(&mut self, req: &Request) -> Result<Response, Errno> {
        let mut w = [0u64; MAX_WORDS];
        let (l, n) = encode(req, &mut w).map_err(|e| e.errno())?;
        let req = decode::<Request>(l, &w[..n]).map_err(|e| e.errno())?;
        let resp = dispatch(&mut self.0, &mut Vec::new(), req);
        let (l, n) = encode(&resp, &mut w).map_err(|e| e.errno())?;
        decode(l, &w[..n]).map_err(|e| e.errno())
    }
}

#[test]
fn end_to_end_over_the_codec() {
    let mut c = Client(Wire(Srv));
    assert_eq!(c.decide(0xf0, 0x0f, 2), Ok(0xff));
    assert_eq!(c.decide(1, 1, 0), Err(Errno::EINVAL));
    assert_eq!(c.status(), Ok("up".into()));
    assert_eq!(c.submit(Record { a: 1, b: "y".into() }), Ok(()));
}

proptest::proptest! {
    #[test]
    fn hostile_messages_never_panic(words in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..16), len in 0u64..200) {
        if let Ok(req) = decode::<Request>(PROTOCOL_POSTCARD | len, &words) {
            let _ = dispatch(&mut Srv, &mut Vec::new(), req);
        }
        let _ = decode::<Response>(PROTOCOL_POSTCARD | len, &words);
    }
}
