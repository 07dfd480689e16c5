//! The file protocol's wire bytes, one message of every request and
//! response variant: recorded from the hand-written enums before the
//! protocol was declared with `rampart_uabi::protocol!`, so this test
//! proves the declaration changed no byte on the wire (postcard).

use rampart_fs_api::*;
use rampart_uabi::codec::encode_bytes;

fn t(sec: i64) -> Timespec {
    Timespec { sec, nsec: 7 }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn requests() -> Vec<Request> {
    let p = || PathArg::Inline("/etc/x".into());
    let sh = PathArg::Shared { offset: 4096, len: 600 };
    let h = Handle(3);
    vec![
        Request::AttachRegion { len: 65536 },
        Request::Open { path: p(), flags: OpenFlags::RDWR | OpenFlags::CREAT, mode: 0o644 },
        Request::Close { handle: h },
        Request::Read { handle: h, offset: Some(1 << 40), region_offset: 8, len: 4096 },
        Request::Write { handle: h, offset: None, region_offset: 0, len: 1 },
        Request::Seek { handle: h, offset: -5, whence: Whence::End },
        Request::Stat { target: Target::Path { path: sh.clone(), follow: false } },
        Request::ReadDir { handle: h, region_offset: 16, len: 512 },
        Request::ReadLink { path: p(), region_offset: 0, len: 4096 },
        Request::Symlink { target: p(), link: sh.clone() },
        Request::Mkdir { path: p(), mode: 0o755 },
        Request::Rmdir { path: p() },
        Request::Unlink { path: p() },
        Request::Rename { from: p(), to: sh },
        Request::Truncate { target: Target::Handle(h), size: 1 << 33 },
        Request::SetAttr {
            target: Target::Handle(h),
            attr: SetAttr { mode: Some(0o600), uid: None, gid: Some(100), atime: Some(t(1)), mtime: None },
        },
        Request::Fsync { handle: h },
        Request::Sync,
        Request::StatFs,
        Request::Pipe,
        Request::ShareHandle { handle: h },
        Request::AdoptToken,
        Request::GetCon { target: Target::Handle(h) },
        Request::Mount { device: "blk1".into(), path: p(), read_only: true },
        Request::Unmount { path: p() },
        Request::TokenPending { token: u64::MAX },
        Request::Credentials,
        Request::SetCon { target: Target::Handle(h), context: Some("u:r:t".into()) },
        Request::Shutdown,
        Request::ExecImage { handle: h },
    ]
}

fn responses() -> Vec<Response> {
    let st = Stat {
        ino: 12,
        kind: FileType::File,
        mode: 0o100644,
        nlink: 1,
        uid: 1000,
        gid: 100,
        size: 5000,
        blocks: 16,
        blksize: 4096,
        atime: t(1),
        mtime: t(2),
        ctime: t(3),
        btime: Some(t(4)),
        rdev: 0,
    };
    let sfs = StatFs {
        bsize: 4096,
        blocks: 1000,
        bfree: 500,
        bavail: 400,
        files: 256,
        ffree: 100,
        namemax: 255,
        read_only: false,
    };
    vec![
        Response::Ok,
        Response::Handle(Handle(9)),
        Response::Len(300),
        Response::Offset(1 << 35),
        Response::Stat(st),
        Response::StatFs(sfs),
        Response::Pipe { read: Handle(1), write: Handle(2) },
        Response::Token(77),
        Response::Context("system_u:object_r:etc_t".into()),
        Response::Err(Errno::EACCES),
        Response::Credentials(Credentials { uid: 0, gid: 0, groups: vec![0, 10] }),
        Response::Image { token: 5, len: 1 << 20, linux: true },
    ]
}

/// Recorded from the hand-written `Request` (commit 2f2a2e9), in order.
const REQUESTS: &[&str] = &[
    "00808004",
    "0100062f6574632f7842a403",
    "0203",
    "030301808080808020088020",
    "0403000001",
    "05030902",
    "0600018020d80400",
    "0703108004",
    "0800062f6574632f78008020",
    "0900062f6574632f78018020d804",
    "0a00062f6574632f78ed03",
    "0b00062f6574632f78",
    "0c00062f6574632f78",
    "0d00062f6574632f78018020d804",
    "0e01038080808020",
    "0f010301800300016401020700",
    "1003",
    "11",
    "12",
    "13",
    "1403",
    "15",
    "160103",
    "1704626c6b3100062f6574632f7801",
    "1800062f6574632f78",
    "19ffffffffffffffffff01",
    "1a",
    "1b01030105753a723a74",
    "1c",
    "1d03",
];
/// Recorded from the hand-written `Response`, in order.
const RESPONSES: &[&str] = &[
    "00",
    "0109",
    "02ac02",
    "03808080808001",
    "040c00a4830201e80764882710802002070407060701080700",
    "058020e807f4039003800264ff0100",
    "060102",
    "074d",
    "081773797374656d5f753a6f626a6563745f723a6574635f74",
    "091a",
    "0a000002000a",
    "0b0580804001",
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
