//! Encoding round trips and sizes of rm's messages.

extern crate std;
use super::*;
use alloc::string::ToString;
use alloc::vec;
use rampart_uabi::codec::{MAX_WORDS, decode, encode};

fn rt<T: Serialize + serde::de::DeserializeOwned + PartialEq + core::fmt::Debug>(v: T) {
    let mut w = [0u64; MAX_WORDS];
    let (l, n) = encode(&v, &mut w).unwrap();
    assert_eq!(decode::<T>(l, &w[..n]).unwrap(), v);
}

#[test]
fn requests_and_responses_round_trip() {
    rt(Request::Exit { status: -3 });
    rt(Request::Spawn(Spawn {
        image: Some(Image::Bootfs("rmchild".into())),
        argv: vec!["rmchild".to_string(), "exit".into(), "3".into()],
        container: Some(4),
        supervised: true,
        ..Default::default()
    }));
    rt(Request::Wait { target: WaitFor::Group(0), block: true, stopped: true, continued: false });
    rt(Request::Kill { target: KillTarget::Group(3), sig: 20 });
    rt(Response::Stopped { pid: 4, sig: 20 });
    rt(Request::SigAction {
        sig: 2,
        action: rampart_uabi::signal::Disposition::Catch(rampart_uabi::signal::Catch {
            entry: 0x40_1000,
            restart: true,
            ..Default::default()
        }),
    });
    rt(Request::RegionPhys { region: 9, first: 128 });
    rt(Response::Exited {
        pid: 5,
        status: ExitStatus::Faulted(FaultReport {
            kind: FaultKind::PageFault { fetch: true, write: false },
            ip: 0xdead_0000,
            addr: 0xdead_0000,
            code: 0x14,
        }),
    });
    rt(Response::Phys(vec![0x1000; PHYS_PER_REPLY]));
    rt(Response::Err(Errno::EDQUOT));
    rt(Response::Stats(Stats { free_bytes: u64::MAX, ..Default::default() }));
    rt(Request::TaskList { from: 7 });
    rt(Request::PowerOff { reboot: true, status: 0xffff_ffff });
    let e = TaskEntry {
        pid: u32::MAX,
        parent: u32::MAX,
        name: "n".repeat(64),
        context: "c".repeat(256),
        thread: Some(u64::MAX),
    };
    rt(Response::Tasks { tasks: vec![e.clone(), e], next: Some(9) });
    rt(Request::RegionMappings { from: u32::MAX });
    let m = MappingEntry { region: u32::MAX, owner: u32::MAX, mapper: u32::MAX, pages: u64::MAX, writable: true };
    rt(Response::Mappings { mappings: vec![m; MAPPINGS_PER_PAGE], next: Some(u32::MAX) });
}

#[test]
fn a_page_of_tasks_fits_one_message() {
    // rm fills a page while the bounds add up to at most
    // TASKS_PAGE_BYTES (and always takes one entry): the largest
    // entries still encode.
    let e = TaskEntry {
        pid: u32::MAX,
        parent: u32::MAX,
        name: "n".repeat(64),
        context: "c".repeat(256),
        thread: Some(u64::MAX),
    };
    let n = (TASKS_PAGE_BYTES / e.encoded_bound()).max(1);
    let mut w = [0u64; MAX_WORDS];
    let page = Response::Tasks { tasks: vec![e.clone(); n], next: Some(u32::MAX) };
    encode(&page, &mut w).expect("a full page encodes");
    let exact = postcard::to_allocvec(&e).unwrap().len();
    assert!(exact <= e.encoded_bound(), "{exact} > {}", e.encoded_bound());
}

#[test]
fn fault_messages_decode() {
    let r = FaultReport::from_message(4, &[0x40_1000, 0, 0, 4]);
    assert_eq!(r.kind, FaultKind::PageFault { fetch: false, write: false });
    assert_eq!(r.ip, 0x40_1000);
    let r = FaultReport::from_message(3, &[0x40_2000, 0, 0, 6, 0]);
    assert_eq!(r.kind, FaultKind::Exception { vector: 6 });
    assert_eq!(r.kind.describe(), "invalid opcode");
    assert_eq!(FaultReport::from_message(99, &[]).kind, FaultKind::Other(99));
    assert_eq!(FaultReport::from_message(4, &[1, 2, 1, 0x14]).kind, FaultKind::PageFault { fetch: true, write: false });
}

/// Cases: `ci`, or `PROPTEST_CASES` for a longer run (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

#[test]
fn hostile_bytes_decode_to_errors() {
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    let mut w = [0u64; MAX_WORDS];
    for _ in 0..cases(50_000) {
        for x in w.iter_mut().take(6) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            *x = s;
        }
        w[0] &= !0xff;
        w[0] |= s % 17; // a valid-looking variant index
        let _ = decode::<Request>(rampart_uabi::codec::PROTOCOL_POSTCARD | (s >> 56), &w);
    }
}
