//! Property tests of rm's protocol decoders on hostile input: every task
//! sends rm requests, and rm's replies and fault messages are decoded by
//! clients and by rm itself. Decoding must fail cleanly, never panic, and
//! what decodes must re-encode to itself.

use proptest::prelude::*;
use rampart_rm_api::{FaultReport, Image, KillTarget, Request, Response, Spawn, Staged, TaskEntry, WaitFor};
use rampart_uabi::codec::{MAX_WORDS, PROTOCOL_POSTCARD, decode, decode_bytes, encode};

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

fn samples() -> Vec<Request> {
    vec![
        Request::Exit { status: -3 },
        Request::Spawn(Spawn {
            image: Some(Image::Bootfs("rmchild".into())),
            argv: vec!["rmchild".into(), "exit".into()],
            envp: vec!["PATH=/bin".into()],
            cwd: "/home".into(),
            container: Some(4),
            priority: Some(100),
            cap_name: Some("audit".into()),
            context: Some("root:sysadm_r:sysadm_t".into()),
            exec_context: Some("system_u:object_r:shell_exec_t".into()),
            ..Default::default()
        }),
        Request::Spawn(Spawn { image: Some(Image::Region { region: 3, len: 8192 }), ..Default::default() }),
        Request::Wait { target: WaitFor::Pid(9), block: true, stopped: false, continued: false },
        Request::Kill { target: KillTarget::Pid(7), sig: 9 },
        Request::HeapGrow { bytes: 1 << 20 },
        Request::RegionShare { region: 2, writable: true },
        Request::RegionPhys { region: 9, first: 128 },
        Request::StageCap(Staged { fd: Some(3), name: "fs".into() }),
        Request::TaskInfo { pid: 4 },
        Request::TaskList { from: 7 },
        Request::DeviceMap { region: None, pages: 1, index: 0 },
        Request::Spawn(Spawn { image: Some(Image::Sealed { token: u64::MAX }), ..Default::default() }),
        Request::SealImage { region: 5, len: 12_345, file_sid: 17, subject_sid: 42 },
    ]
}

fn bytes(r: &Request) -> Vec<u8> {
    postcard::to_allocvec(r).expect("samples encode")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(2000)))]

    /// Arbitrary message registers and labels never panic the decoders of
    /// requests (rm), responses (clients) or fault messages (rm).
    #[test]
    fn hostile_messages_never_panic(words in proptest::collection::vec(any::<u64>(), 0..MAX_WORDS), len in 0u64..1100, label: u64) {
        let l = PROTOCOL_POSTCARD | len;
        if let Ok(r) = decode::<Request>(l, &words) {
            let mut w = [0u64; MAX_WORDS];
            if let Ok((l2, n)) = encode(&r, &mut w) {
                prop_assert_eq!(decode::<Request>(l2, &w[..n]).unwrap(), r);
            }
        }
        let _ = decode::<Response>(l, &words);
        let f = FaultReport::from_message(label, &words);
        let _ = f.to_string();
    }

    /// Mutated and truncated encodings of valid requests either fail or
    /// decode to a request that re-encodes to itself (postcard accepts
    /// over-long varints, so the bytes may differ).
    #[test]
    fn mutated_requests_decode_or_fail(i in 0usize..64, pos in any::<usize>(), val in any::<u8>(), cut in any::<usize>()) {
        let s = samples();
        let mut b = bytes(&s[i % s.len()]);
        let p = pos % b.len();
        b[p] = val;
        b.truncate(cut % (b.len() + 1));
        if let Ok(d) = decode_bytes::<Request>(&b) {
            let again = postcard::to_allocvec(&d).unwrap();
            prop_assert_eq!(decode_bytes::<Request>(&again).unwrap(), d);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    /// Task-list pages rm builds fit one message: names of up to 64 bytes
    /// (rm cuts longer ones), contexts of up to 480 bytes, multi-byte
    /// characters included.
    #[test]
    fn task_pages_fit_one_message(names in proptest::collection::vec(("[a-z/é€𝄞]{0,16}", "[a-z_:é€𝄞]{0,120}"), 1..40)) {
        let mut tasks = Vec::new();
        let mut bytes = 0;
        for (i, (name, context)) in names.into_iter().enumerate() {
            let e = TaskEntry { pid: i as u32, parent: 1, name, context, thread: Some(u64::MAX - i as u64) };
            if !tasks.is_empty() && bytes + e.encoded_bound() > rampart_rm_api::TASKS_PAGE_BYTES {
                break;
            }
            bytes += e.encoded_bound();
            tasks.push(e);
        }
        let mut w = [0u64; MAX_WORDS];
        let page = Response::Tasks { tasks, next: Some(u32::MAX) };
        prop_assert!(encode(&page, &mut w).is_ok(), "a page does not fit: {:?}", page);
    }
}
