extern crate std;
use super::*;
use proptest::prelude::*;
use rampart_uabi::codec::{MAX_WORDS, PROTOCOL_POSTCARD, decode, decode_bytes, encode};

fn rt<T: Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug>(v: T) {
    let mut w = [0u64; MAX_WORDS];
    let (l, n) = encode(&v, &mut w).unwrap();
    assert_eq!(decode::<T>(l, &w[..n]).unwrap(), v);
}

#[test]
fn round_trips() {
    rt(Request::ComputeAv { ssid: 1, tsid: u32::MAX, class: 7 });
    rt(Request::ComputeCreate { ssid: 1, tsid: 2, class: 3, name: Some("shadow".into()) });
    rt(Request::PolicyPut { name: "te".into(), offset: 0, total: 9000, bytes: alloc::vec![0xa5; CHUNK] });
    rt(Request::Audit(AuditSubmit { object: "x".repeat(OBJECT_MAX), ..Default::default() }));
    rt(Request::ServiceContext { name: "fs".into() });
    rt(Request::Perms { class: 2, names: alloc::vec!["read".into(), "write".into()] });
    rt(Response::Decision(Decision { allowed: 1, auditallow: 2, auditdeny: 3, seqno: 4 }));
    rt(Response::Bools(alloc::vec![("a".into(), true)]));
    rt(Response::Audit(AuditBatch {
        records: alloc::vec![AuditEntry { seq: 3, source: "a:b:c".into(), ..Default::default() }],
        next: 4,
        lost: 0,
    }));
    rt(Response::Err(Errno::EACCES));
    // The context requests fit in one message at their longest.
    let c = "c".repeat(CONTEXT_MAX);
    rt(Request::ComputeAvContexts { scon: c.clone(), tcon: c.clone(), class: u16::MAX });
    rt(Request::ComputeCreateContexts { scon: c.clone(), tcon: c.clone(), class: 1 });
    rt(Request::HoldContext { context: c.clone(), subject: u32::MAX });
    rt(Request::ReleaseSid { sid: u32::MAX, subject: u32::MAX });
    rt(Request::CheckContext { context: c });
    rt(Response::SidStats(SidStats { live: 1, peak: 2, refusals: u64::MAX }));
    rt(Response::AuditStats(AuditStats { total: 1, lost: 2, coalesced: 3, refused: u64::MAX, loggers: 4, logged: 5 }));
    rt(Request::SubscribeAudit);
    rt(Request::AuditStats);
    // Requests and responses stay small: servers keep several on their
    // stacks (the file server's deepest path is at its 64 KiB). The
    // two-context requests made `Request` 8 bytes larger (56 before); the
    // SID statistics are a response of their own so `Response` did not grow.
    assert!(core::mem::size_of::<Request>() <= 64, "{}", core::mem::size_of::<Request>());
    assert!(core::mem::size_of::<Response>() <= 64, "{}", core::mem::size_of::<Response>());
}

#[test]
fn audit_lines_read_like_selinux() {
    let e = AuditEntry {
        seq: 1,
        denied: true,
        enforced: true,
        source: "root:sysadm_r:sysadm_t".into(),
        target: "system_u:system_r:httpd_t".into(),
        class: "service".into(),
        perms: "connect".into(),
        object: "sectest.echo".into(),
        reporter: "system_u:system_r:connsrv_t".into(),
        seqno: 1,
        time_ms: 1_767_225_600_250,
        pid: 7,
        repeat: 1,
    };
    let s = alloc::format!("{e}");
    assert!(s.starts_with("avc: denied { connect } for pid=7 scontext=root:sysadm_r:sysadm_t"), "{s}");
    assert!(s.contains("tclass=service object=\"sectest.echo\""));
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(3000)))]
    #[test]
    fn hostile_messages_never_panic(words in proptest::collection::vec(any::<u64>(), 0..24), len in 0u64..300) {
        let _ = decode::<Request>(PROTOCOL_POSTCARD | len, &words);
        let _ = decode::<Response>(PROTOCOL_POSTCARD | len, &words);
    }

    #[test]
    fn mutated_messages_never_panic(ctx in "[a-z_:]{0,40}", flips in proptest::collection::vec((any::<usize>(), 0u8..8), 1..4)) {
        let mut w = [0u64; MAX_WORDS];
        for v in [
            Request::ContextToSid { context: ctx.clone() },
            Request::FileContext { path: ctx.clone(), kind: "file".into() },
            Request::ComputeAvContexts { scon: ctx.clone(), tcon: ctx.clone(), class: 3 },
            Request::HoldContext { context: ctx.clone(), subject: 9 },
        ] {
            let (l, n) = encode(&v, &mut w).unwrap();
            let mut bytes: std::vec::Vec<u8> = w[..n].iter().flat_map(|x| x.to_le_bytes()).collect();
            bytes.truncate((l & 0xffff) as usize);
            for (i, bit) in &flips {
                let k = i % bytes.len().max(1);
                if let Some(b) = bytes.get_mut(k) { *b ^= 1 << bit; }
            }
            let _ = decode_bytes::<Request>(&bytes);
            let _ = decode_bytes::<Response>(&bytes);
        }
    }
}

/// The wire bytes the hand-written enums gave (variant index, then the
/// fields in order): declaring the protocol with `protocol!` changed none.
#[test]
fn wire_bytes_unchanged_by_the_declaration() {
    use rampart_uabi::codec::encode_bytes;
    let b = |r: &Request| encode_bytes(r).unwrap();
    assert_eq!(b(&Request::ComputeAv { ssid: 1, tsid: 2, class: 3 }), [0, 1, 2, 3]);
    assert_eq!(b(&Request::ContextToSid { context: "a:b".into() }), [2, 3, b'a', b':', b'b']);
    assert_eq!(b(&Request::Status), [8]);
    assert_eq!(b(&Request::WhoAmI), [9]);
    assert_eq!(
        b(&Request::PolicyPut { name: "t".into(), offset: 1, total: 2, bytes: alloc::vec![7] }),
        [13, 1, b't', 1, 2, 1, 7]
    );
    let sub = AuditSubmit {
        ssid: 1,
        tsid: 2,
        class: 3,
        perms: 4,
        denied: true,
        enforced: false,
        seqno: 5,
        object: "o".into(),
        pid: 6,
    };
    // (`pid` was appended by the audit trail's change, after the others.)
    assert_eq!(b(&Request::Audit(sub)), [15, 1, 2, 3, 4, 1, 0, 5, 1, b'o', 6]);
    assert_eq!(b(&Request::Subscribe), [17]);
    assert_eq!(b(&Request::ReleaseSid { sid: 300, subject: 0 }), [23, 0xac, 0x02, 0]);
    assert_eq!(b(&Request::SidStats), [24]);
    assert_eq!(b(&Request::SubscribeAudit), [25]);
    assert_eq!(b(&Request::AuditStats), [26]);
    assert_eq!(b(&Request::ValidateTrans { old: 1, new: 2, task: 3, class: 4 }), [27, 1, 2, 3, 4]);
    let r = |r: &Response| encode_bytes(r).unwrap();
    assert_eq!(r(&Response::Ok), [0]);
    assert_eq!(r(&Response::Sid(5)), [2, 5]);
    assert_eq!(r(&Response::Err(Errno::EACCES)), [10, 26], "errno 13, zigzag");
}

/// The generated client over a transport into a scripted server: the
/// reply of the wrong kind is `EPROTO`, the server's error is the error.
#[test]
fn generated_client_checks_reply_kinds() {
    struct Script(Response);
    impl Transport for Script {
        fn call(&mut self, _: &Request) -> Result<Response, Errno> {
            Ok(self.0.clone())
        }
    }
    let d = Decision { allowed: 1, auditallow: 0, auditdeny: 0, seqno: 2 };
    assert_eq!(Client(Script(Response::Decision(d))).compute_av(1, 2, 3), Ok(d));
    assert_eq!(Client(Script(Response::Sid(4))).compute_av(1, 2, 3), Err(Errno::EPROTO));
    assert_eq!(Client(Script(Response::Err(Errno::ENOENT))).compute_av(1, 2, 3), Err(Errno::ENOENT));
    assert_eq!(Client(Script(Response::Ok)).file_context("/etc", "file"), Ok(None));
    assert_eq!(Client(Script(Response::Sid(9))).file_context("/etc", "file"), Ok(Some(9)));
    assert_eq!(Client(Script(Response::Ok)).put_policy("te", &[0; 2000]), Ok(()));
    assert_eq!(Client(Script(Response::Sid(1))).put_policy("te", &[0; 2000]), Err(Errno::EPROTO));
}
