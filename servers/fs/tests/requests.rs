//! Hostile clients: random message bytes and random well-formed requests
//! (with random handles, offsets, lengths, paths — `/dev`'s nodes among
//! them — and badges) never panic the server, and the file system stays
//! consistent.

mod common;

use common::Client;
use common::*;
use proptest::prelude::*;
use rampart_fs::{Config, MemDisk};
use rampart_fs_api::*;

fn path() -> impl Strategy<Value = PathArg> {
    let comp = prop_oneof![
        Just("tmp".to_string()),
        Just("etc".to_string()),
        Just("..".to_string()),
        Just(".".to_string()),
        Just("f".to_string()),
        Just("d".to_string()),
        Just("l".to_string()),
        Just("dev".to_string()),
        prop_oneof![Just("null"), Just("zero"), Just("full"), Just("urandom"), Just("tty"), Just("console")]
            .prop_map(String::from),
        "[a-z]{1,3}",
    ];
    prop_oneof![
        8 => proptest::collection::vec(comp, 0..6).prop_map(|c| PathArg::Inline(format!("/{}", c.join("/")))),
        1 => ".{0,20}".prop_map(PathArg::Inline),
        1 => (any::<u32>(), 0u32..5000).prop_map(|(offset, len)| PathArg::Shared { offset: offset % 70_000, len }),
    ]
}

fn handle() -> impl Strategy<Value = Handle> {
    (0u32..8).prop_map(Handle)
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        (path(), any::<bool>()).prop_map(|(path, follow)| Target::Path { path, follow }),
        handle().prop_map(Target::Handle)
    ]
}

fn request() -> impl Strategy<Value = Request> {
    let off = prop_oneof![Just(None), (0u64..100_000).prop_map(Some), any::<u64>().prop_map(Some)];
    let roff = prop_oneof![0u32..70_000, any::<u32>()];
    let len = prop_oneof![0u32..70_000, any::<u32>()];
    prop_oneof![
        (path(), any::<u32>(), any::<u32>()).prop_map(|(path, f, mode)| Request::Open {
            path,
            flags: OpenFlags(f & 0o603303),
            mode
        }),
        handle().prop_map(|handle| Request::Close { handle }),
        (handle(), off.clone(), roff.clone(), len.clone())
            .prop_map(|(handle, offset, region_offset, len)| Request::Read { handle, offset, region_offset, len }),
        (handle(), off, roff.clone(), len.clone()).prop_map(|(handle, offset, region_offset, len)| Request::Write {
            handle,
            offset,
            region_offset,
            len: len % 200_000
        }),
        (handle(), any::<i64>(), 0u8..3).prop_map(|(handle, offset, w)| Request::Seek {
            handle,
            offset,
            whence: [Whence::Set, Whence::Cur, Whence::End][w as usize]
        }),
        target().prop_map(|target| Request::Stat { target }),
        (handle(), roff.clone(), len.clone()).prop_map(|(handle, region_offset, len)| Request::ReadDir {
            handle,
            region_offset,
            len
        }),
        (path(), roff, len).prop_map(|(path, region_offset, len)| Request::ReadLink { path, region_offset, len }),
        (path(), path()).prop_map(|(target, link)| Request::Symlink { target, link }),
        (path(), any::<u32>()).prop_map(|(path, mode)| Request::Mkdir { path, mode }),
        path().prop_map(|path| Request::Rmdir { path }),
        path().prop_map(|path| Request::Unlink { path }),
        (path(), path()).prop_map(|(from, to)| Request::Rename { from, to }),
        (path(), path()).prop_map(|(from, to)| Request::Link { from, to }),
        (target(), 0u64..1_000_000).prop_map(|(target, size)| Request::Truncate { target, size }),
        (target(), any::<Option<u32>>())
            .prop_map(|(target, mode)| Request::SetAttr { target, attr: SetAttr { mode, ..SetAttr::default() } }),
        handle().prop_map(|handle| Request::Fsync { handle }),
        Just(Request::Sync),
        Just(Request::StatFs),
        Just(Request::Pipe),
        handle().prop_map(|handle| Request::ShareHandle { handle }),
        Just(Request::AdoptToken),
        target().prop_map(|target| Request::GetCon { target }),
        (target(), proptest::option::of("[a-z_:0-9]{0,40}"))
            .prop_map(|(target, context)| Request::SetCon { target, context }),
    ]
}

fn base() -> &'static Vec<u8> {
    static IMG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    IMG.get_or_init(|| {
        let mut img = standard_image();
        debugfs_write(&mut img, "mkdir /dev\n");
        img
    })
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(32)))]

    #[test]
    fn random_requests_never_panic(
        reqs in proptest::collection::vec((request(), prop_oneof![Just(None), (0u64..4).prop_map(|b| Some((1u64 << 40) | b)), any::<u64>().prop_map(Some)], any::<bool>()), 1..40),
        junk in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 0..8),
    ) {
        let disk = MemDisk::new(base().clone());
        let mut srv = rw_server(&disk, Config::default());
        srv.serve_devices(rampart_fs::DevFs::new([3; 32], None, clock())).unwrap();
        let mut a = Client::new(&mut srv, ROOT);
        let mut b = Client::new(&mut srv, USER);
        a.region.truncate(65_536);
        b.region.truncate(65_536);
        for (r, badge, as_user) in reqs {
            let c = if as_user { &mut b } else { &mut a };
            let _ = c.call_badge(&mut srv, r, badge);
        }
        for bytes in junk {
            if let Ok(r) = decode_request(&bytes) {
                let _ = a.call(&mut srv, r);
            }
        }
        srv.shutdown().unwrap();
        let (code, out) = e2fsck_replayed(&disk.snapshot());
        prop_assert_eq!(code, 0, "{}", out);
    }
}
