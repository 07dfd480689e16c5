//! Corrupted images made by the test (bytes changed at known offsets, or
//! fields rewritten with debugfs so checksums stay valid): every engine
//! answers with errors, never panics, and the server keeps serving the
//! rest of the disk.

mod common;

use common::Client;
use common::*;
use proptest::prelude::*;
use rampart_fs::{Config, MemDisk, RoVolume, RwVolume};
use rampart_fs_api::*;

/// Offset of the primary superblock, and of `s_magic` inside it (ext4
/// disk layout, "The Super Block").
const SB: usize = 1024;
const S_MAGIC: usize = 0x38;
const S_LOG_BLOCK_SIZE: usize = 0x18;

fn image() -> Vec<u8> {
    mkimage(
        &[
            ("ok/a", Node::File(b"intact file\n")),
            ("bad/victim", Node::File(&pattern(40_000, 9))),
            ("loop/inner", Node::Dir),
        ],
        16,
    )
}

fn both_mounts_fail(img: Vec<u8>) {
    let disk = MemDisk::new(img);
    assert!(RwVolume::mount(disk.clone(), clock()).is_err());
    assert!(RoVolume::mount(disk.clone()).is_err());
    assert!(rampart_fs::mount(disk, clock(), false).is_err());
}

#[test]
fn bad_superblock() {
    let mut img = image();
    img[SB + S_MAGIC] ^= 0xff;
    both_mounts_fail(img);
    let mut img = image();
    img[SB + S_LOG_BLOCK_SIZE] = 40;
    both_mounts_fail(img);
    // Truncated disk: shorter than the superblock.
    both_mounts_fail(image()[..1536].to_vec());
}

/// Serves the image and checks that the intact part still works.
fn intact_part_still_served(srv: &mut RwServer, c: &mut Client) {
    assert_eq!(c.read_file(srv, "/ok/a").unwrap(), b"intact file\n");
    c.write_file(srv, "/ok/new", b"still writing").unwrap();
    assert_eq!(c.read_file(srv, "/ok/new").unwrap(), b"still writing");
}

#[test]
fn bad_inode() {
    // An impossible mode (type 0xF) and a huge size, checksums recomputed.
    let mut img = image();
    debugfs_write(&mut img, "sif /bad/victim mode 0170644\n");
    let mut srv = rw_server(&MemDisk::new(img), Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    let r = c.read_file(&mut srv, "/bad/victim");
    assert!(matches!(r, Err(e) if e == errno::EUCLEAN || e == Errno::EIO || e == Errno::EINVAL), "{r:?}");
    intact_part_still_served(&mut srv, &mut c);
    // Raw garbage over the inode (checksum mismatch).
    let mut img = image();
    // debugfs `imap`: "located at block B, offset 0xO".
    let map = debugfs(&img, "imap /bad/victim");
    let loc = map.split("located at block ").nth(1).unwrap();
    let blk: usize = loc.split(',').next().unwrap().trim().parse().unwrap();
    let hex = loc.split("offset 0x").nth(1).unwrap().trim();
    let off = blk * 4096 + usize::from_str_radix(hex, 16).unwrap();
    for b in &mut img[off + 4..off + 100] {
        *b ^= 0x5a;
    }
    let mut srv = rw_server(&MemDisk::new(img), Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    assert!(c.read_file(&mut srv, "/bad/victim").is_err());
    // (rsext4 returns the garbage attributes for stat; no panic either way)
    let _ = c.stat(&mut srv, "/bad/victim", true);
    intact_part_still_served(&mut srv, &mut c);
}

#[test]
fn out_of_range_block() {
    // The first extent's physical start (i_block[5], ext4 extent leaf
    // `ee_start_lo`) far beyond the end of the disk.
    let mut img = image();
    debugfs_write(&mut img, "sif /bad/victim block[5] 0x7ffffff0\n");
    for ro in [false, true] {
        let disk = MemDisk::new(img.clone());
        if ro {
            let mut srv = ro_server(&disk.into_read_only());
            let mut c = Client::new(&mut srv, ROOT);
            assert!(c.read_file(&mut srv, "/bad/victim").is_err());
            assert_eq!(c.read_file(&mut srv, "/ok/a").unwrap(), b"intact file\n");
        } else {
            let mut srv = rw_server(&disk, Config::default());
            let mut c = Client::new(&mut srv, ROOT);
            assert!(c.read_file(&mut srv, "/bad/victim").is_err());
            // Writing into it must not scribble outside the disk either.
            let h = c.open(&mut srv, "/bad/victim", OpenFlags::WRONLY);
            if let Ok(h) = h {
                let r = c.call(&mut srv, Request::Write { handle: h, offset: Some(0), region_offset: 0, len: 10 });
                assert!(matches!(r, Response::Err(_)), "{r:?}");
            }
            intact_part_still_served(&mut srv, &mut c);
        }
    }
}

#[test]
fn directory_loop() {
    // /loop/inner/up is a second link to /loop: a cycle in the tree.
    let mut img = image();
    debugfs_write(&mut img, "link /loop /loop/inner/up\n");
    let mut srv = rw_server(&MemDisk::new(img), Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    // Walking the cycle terminates: the component cap bounds every walk.
    let stat = |c: &mut Client, srv: &mut RwServer, p: &str| {
        c.region[..p.len()].copy_from_slice(p.as_bytes());
        let path = PathArg::Shared { offset: 0, len: p.len() as u32 };
        c.call(srv, Request::Stat { target: Target::Path { path, follow: true } })
    };
    let deep = format!("/loop{}", "/inner/up".repeat(200));
    assert!(matches!(stat(&mut c, &mut srv, &deep), Response::Stat(s) if s.kind == FileType::Dir));
    let deeper = format!("/loop{}", "/inner/up".repeat(600));
    let r = stat(&mut c, &mut srv, &deeper);
    assert!(matches!(r, Response::Err(e) if e == errno::ENAMETOOLONG || e == errno::ELOOP), "{r:?}");
    // `..` follows the walk, not the on-disk parent of the looped directory.
    assert_eq!(c.list(&mut srv, "/loop/inner/up/inner/up/..").unwrap(), [".", "..", "up"]);
    // Renaming a directory into its own subtree through the loop is refused.
    let r = c.ok(&mut srv, Request::Rename { from: "/loop".into(), to: "/loop/inner/up/x".into() });
    assert_eq!(r, Err(Errno::EINVAL));
    intact_part_still_served(&mut srv, &mut c);
}

#[test]
fn corrupted_directory_block() {
    // Zero the data block of /ok (its entries): lookups in it fail,
    // everything else works.
    let mut img = image();
    let blocks = debugfs(&img, "blocks /bad");
    let blk: usize = blocks.split_whitespace().next().unwrap().parse().unwrap();
    img[blk * 4096..blk * 4096 + 64].fill(0xee);
    let mut srv = rw_server(&MemDisk::new(img), Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    assert!(c.read_file(&mut srv, "/bad/victim").is_err());
    assert!(c.list(&mut srv, "/bad").is_err());
    assert!(c.write_file(&mut srv, "/bad/new", b"x").is_err());
    intact_part_still_served(&mut srv, &mut c);
}

fn exercise(img: Vec<u8>) {
    let disk = MemDisk::new(img);
    let vol = rampart_fs::mount(disk.clone(), clock(), false);
    if let Ok(v) = vol {
        let srv = rampart_fs::FileServer::new(v, rampart_fs::LocalPolicy(policy()), Config::default());
        if let Ok(mut srv) = srv {
            let mut c = Client::new(&mut srv, ROOT);
            let _ = c.read_file(&mut srv, "/ok/a");
            let _ = c.read_file(&mut srv, "/bad/victim");
            let _ = c.list(&mut srv, "/");
            let _ = c.list(&mut srv, "/loop/inner");
            let _ = c.write_file(&mut srv, "/ok/w", b"data");
            let _ = c.ok(&mut srv, Request::Rename { from: "/ok/a".into(), to: "/loop/a".into() });
            let _ = c.ok(&mut srv, Request::Unlink { path: "/bad/victim".into() });
            let _ = srv.shutdown();
        }
    }
    if let Ok(mut v) = RoVolume::mount(disk) {
        use rampart_fs::Volume;
        let root = v.root();
        let mut cur = rampart_fs::DirCursor::Start;
        let _ = v.readdir(root, &mut cur, 100);
    }
}

/// Cases per property: `ci`, or `PROPTEST_CASES` for a longer run
/// (docs/assurance.md §10).
fn cases(ci: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(ci)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(24)))]

    /// Random bytes over the metadata area (superblock, descriptors,
    /// bitmaps, inode table): errors, never panics.
    #[test]
    fn random_metadata_damage(hits in proptest::collection::vec((0usize..600_000, any::<u8>()), 1..16)) {
        let mut img = base_image().clone();
        for (off, v) in hits {
            img[off] = v;
        }
        exercise(img);
    }
}

fn base_image() -> &'static Vec<u8> {
    static IMG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    IMG.get_or_init(image)
}
