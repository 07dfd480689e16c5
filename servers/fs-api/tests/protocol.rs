//! Protocol encoding: round trips, size limits, and hostile bytes.

use proptest::prelude::*;
use rampart_fs_api::dirent::{self, Dirents};
use rampart_fs_api::*;

fn samples() -> Vec<Request> {
    vec![
        Request::AttachRegion { len: 1 << 20 },
        Request::Open { path: "/etc/motd".into(), flags: OpenFlags::RDWR | OpenFlags::CREAT, mode: 0o644 },
        Request::Open { path: PathArg::Shared { offset: 4096, len: 3000 }, flags: OpenFlags::RDONLY, mode: 0 },
        Request::Close { handle: Handle(3) },
        Request::Read { handle: Handle(1), offset: None, region_offset: 0, len: 65536 },
        Request::Write { handle: Handle(1), offset: Some(1 << 40), region_offset: 8, len: 1 },
        Request::Seek { handle: Handle(1), offset: -5, whence: Whence::End },
        Request::Stat { target: Target::Path { path: "/bin".into(), follow: false } },
        Request::Stat { target: Target::Handle(Handle(9)) },
        Request::ReadDir { handle: Handle(2), region_offset: 0, len: 4096 },
        Request::ReadLink { path: "/l".into(), region_offset: 0, len: 4096 },
        Request::Symlink { target: "../x".into(), link: "/tmp/l".into() },
        Request::Mkdir { path: "/tmp/d".into(), mode: 0o755 },
        Request::Rmdir { path: "/tmp/d".into() },
        Request::Unlink { path: "/tmp/f".into() },
        Request::Rename { from: "/tmp/a".into(), to: "/tmp/b".into() },
        Request::Link { from: "/tmp/a".into(), to: "/tmp/c".into() },
        Request::Truncate { target: Target::Handle(Handle(1)), size: 77 },
        Request::SetAttr {
            target: Target::Handle(Handle(1)),
            attr: SetAttr { mode: Some(0o600), ..SetAttr::default() },
        },
        Request::Fsync { handle: Handle(1) },
        Request::Sync,
        Request::StatFs,
        Request::Pipe,
        Request::ShareHandle { handle: Handle(1) },
        Request::AdoptToken,
        Request::GetCon { target: Target::Path { path: "/etc".into(), follow: true } },
        Request::Mount { device: "blk1".into(), path: "/mnt".into(), read_only: true },
        Request::Unmount { path: PathArg::Shared { offset: 0, len: 4 } },
        Request::TokenPending { token: 1 << 40 },
        Request::Credentials,
        Request::Shutdown,
        Request::Open { path: "/bin/sh".into(), flags: OpenFlags::EXEC, mode: 0 },
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
    let st = Stat {
        ino: 12,
        kind: FileType::File,
        mode: 0o100644,
        nlink: 1,
        uid: 0,
        gid: 0,
        size: 5,
        blocks: 8,
        blksize: 4096,
        atime: Timespec { sec: 1, nsec: 2 },
        mtime: Timespec::default(),
        ctime: Timespec::default(),
        btime: None,
        rdev: makedev(1, 3),
    };
    for r in [
        Response::Ok,
        Response::Handle(Handle(4)),
        Response::Len(7),
        Response::Offset(1 << 50),
        Response::Stat(st),
        Response::StatFs(StatFs::default()),
        Response::Pipe { read: Handle(1), write: Handle(2) },
        Response::Token(0xdead),
        Response::Context("system_u:object_r:etc_t".into()),
        Response::Err(errno::ELOOP),
        Response::Credentials(Credentials { uid: 1000, gid: 1000, groups: vec![100; 16] }),
    ] {
        assert_eq!(decode_response(&encode_response(&r).unwrap()).unwrap(), r);
    }
}

#[test]
fn long_inline_paths_do_not_fit() {
    let r = Request::Unlink { path: PathArg::Inline("a".repeat(2000)) };
    assert_eq!(encode_request(&r), Err(Errno::E2BIG));
    assert_eq!(decode_request(&[0u8; MAX_MESSAGE + 1]), Err(Errno::E2BIG));
}

#[test]
fn trailing_and_truncated_bytes_are_rejected() {
    let mut b = encode_request(&Request::Sync).unwrap();
    b.push(0);
    assert_eq!(decode_request(&b), Err(Errno::EBADMSG));
    let b = encode_request(&samples()[1]).unwrap();
    assert_eq!(decode_request(&b[..b.len() - 1]), Err(Errno::EBADMSG));
    assert_eq!(decode_request(&[]), Err(Errno::EBADMSG));
    assert_eq!(decode_request(&[200]), Err(Errno::EBADMSG));
}

#[test]
fn dirent_records() {
    let mut buf = [0u8; 64];
    let a = dirent::write_record(&mut buf, 11, Some(FileType::Dir), b"etc").unwrap();
    let b = dirent::write_record(&mut buf[a..], 12, None, b"motd.txt").unwrap();
    assert_eq!((a, b), (16, 24));
    let v: Vec<_> = Dirents::new(&buf[..a + b]).collect();
    assert_eq!(v.len(), 2);
    assert_eq!((v[0].ino, v[0].kind, v[0].name), (11, Some(FileType::Dir), &b"etc"[..]));
    assert_eq!((v[1].ino, v[1].kind, v[1].name), (12, None, &b"motd.txt"[..]));
    assert!(dirent::write_record(&mut buf, 1, None, b"").is_none());
    assert!(dirent::write_record(&mut buf[..10], 1, None, b"x").is_none());
    assert!(dirent::write_record(&mut [0u8; 300], 1, None, &[b'a'; 256]).is_none());
}

#[test]
fn open_flags() {
    assert!(OpenFlags::RDONLY.readable() && !OpenFlags::RDONLY.writable());
    assert!(OpenFlags::WRONLY.writable() && !OpenFlags::WRONLY.readable());
    assert!(OpenFlags::RDWR.readable() && OpenFlags::RDWR.writable());
    assert!((OpenFlags::CREAT | OpenFlags::EXCL).contains(OpenFlags::EXCL));
    for t in [FileType::File, FileType::Dir, FileType::Symlink, FileType::Fifo, FileType::Socket] {
        assert_eq!(FileType::from_mode(t.mode_bits() | 0o644), Some(t));
        assert_eq!(FileType::from_dtype(t.dtype()), Some(t));
    }
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(4000)))]

    /// Arbitrary bytes never panic the decoder.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1100)) {
        let _ = decode_request(&bytes);
        let _ = decode_response(&bytes);
        let _ = Dirents::new(&bytes).count();
    }

    /// Mutations of valid encodings either decode to some request or fail
    /// cleanly; a decoded request re-encodes and decodes to itself
    /// (postcard accepts over-long varints, so the bytes may differ).
    #[test]
    fn mutated_requests(i in 0usize..25, pos in any::<usize>(), val in any::<u8>(), cut in any::<usize>()) {
        let r = &samples()[i % samples().len()];
        let mut b = encode_request(r).unwrap();
        let p = pos % b.len();
        b[p] = val;
        b.truncate(cut % (b.len() + 1));
        if let Ok(d) = decode_request(&b)
            && let Ok(again) = encode_request(&d)
        {
            prop_assert_eq!(decode_request(&again).unwrap(), d);
        }
    }
}

#[test]
fn device_numbers_follow_linux() {
    // The numbers glibc's makedev gives (sys/sysmacros.h).
    assert_eq!(makedev(1, 3), 0x103);
    assert_eq!(makedev(5, 1), 0x501);
    assert_eq!(makedev(259, 65536), 0x0000_0000_1001_0300);
    for (ma, mi) in [(0, 0), (1, 9), (4095, 255), (4096, 256), (u32::MAX, u32::MAX)] {
        assert_eq!((major(makedev(ma, mi)), minor(makedev(ma, mi))), (ma, mi));
    }
}
