//! `/dev` (docs/storage.md §11): the device nodes the file server serves
//! over the root's `/dev` directory — listing, attributes (type, modes,
//! owners, Linux major/minor numbers), the semantics of `null(4)`,
//! `zero(4)`, `full(4)` and `random(4)`, positions and seeks, the fixed
//! namespace, and bad input (huge lengths and offsets) answered with
//! errors, never a panic. Labels and the policy: `dev_policy.rs`.

mod common;

use common::Client;
use common::*;
use rampart_fs::{Config, DevFs, MemDisk};
use rampart_fs_api::*;

/// A root image with `/dev`, `/tmp` and a user's home.
pub fn dev_image() -> Vec<u8> {
    let mut img = mkimage(
        &[
            ("dev", Node::Dir),
            ("tmp", Node::Dir),
            ("etc/motd", Node::File(b"hi\n")),
            ("home/alice/notes.txt", Node::File(b"notes\n")),
        ],
        16,
    );
    set_owners(&mut img, &[("/tmp", 0, 0, Some(0o41777)), ("/home/alice", USER_UID, USER_UID, Some(0o40755))]);
    img
}

/// A server on `dev_image` serving `/dev`, with `cfg`.
fn server(cfg: Config) -> (RwServer, MemDisk) {
    let disk = MemDisk::new(dev_image());
    let mut srv = rw_server(&disk, cfg);
    srv.serve_devices(DevFs::new([42; 32], None, clock())).unwrap();
    (srv, disk)
}

const W_CREAT_TRUNC: OpenFlags = OpenFlags(OpenFlags::WRONLY.0 | OpenFlags::CREAT.0 | OpenFlags::TRUNC.0);
const APPEND: OpenFlags = OpenFlags(OpenFlags::WRONLY.0 | OpenFlags::APPEND.0 | OpenFlags::CREAT.0);

fn read(c: &mut Client, srv: &mut RwServer, h: Handle, len: u32) -> Result<Vec<u8>, Errno> {
    match c.call(srv, Request::Read { handle: h, offset: None, region_offset: 0, len }) {
        Response::Len(n) => Ok(c.region[..n as usize].to_vec()),
        Response::Err(e) => Err(e),
        r => panic!("unexpected {r:?}"),
    }
}

fn write(c: &mut Client, srv: &mut RwServer, h: Handle, data: &[u8]) -> Result<u32, Errno> {
    c.region[..data.len()].copy_from_slice(data);
    match c.call(srv, Request::Write { handle: h, offset: None, region_offset: 0, len: data.len() as u32 }) {
        Response::Len(n) => Ok(n),
        Response::Err(e) => Err(e),
        r => panic!("unexpected {r:?}"),
    }
}

fn seek(c: &mut Client, srv: &mut RwServer, h: Handle, offset: i64, whence: Whence) -> Result<u64, Errno> {
    match c.call(srv, Request::Seek { handle: h, offset, whence }) {
        Response::Offset(o) => Ok(o),
        Response::Err(e) => Err(e),
        r => panic!("unexpected {r:?}"),
    }
}

#[test]
fn ls_l_dev_lists_character_devices_with_linux_numbers_and_modes() {
    let (mut srv, _) = server(Config::default());
    let mut c = Client::new(&mut srv, USER);
    assert_eq!(
        c.list(&mut srv, "/dev").unwrap(),
        [".", "..", "console", "full", "null", "random", "tty", "urandom", "zero"]
    );
    let want = [
        ("null", 1, 3, 0o666),
        ("zero", 1, 5, 0o666),
        ("full", 1, 7, 0o666),
        ("random", 1, 8, 0o666),
        ("urandom", 1, 9, 0o666),
        ("tty", 5, 0, 0o666),
        ("console", 5, 1, 0o600),
    ];
    for (name, ma, mi, perm) in want {
        let s = c.stat(&mut srv, &format!("/dev/{name}"), true).unwrap();
        assert_eq!(s.kind, FileType::CharDev, "{name}");
        assert_eq!(s.mode, 0o020000 | perm, "{name}: mode {:o}", s.mode);
        assert_eq!((major(s.rdev), minor(s.rdev)), (ma, mi), "{name}");
        assert_eq!((s.uid, s.gid, s.size, s.nlink), (0, 0, 0, 1), "{name}");
        assert_eq!(s.mtime.sec, 1_800_000_000, "{name}: the volume's birth time");
    }
    // The directory entries carry the type (`ls` colours, `find -type c`).
    let h = c.open(&mut srv, "/dev", OpenFlags::RDONLY | OpenFlags::DIRECTORY).unwrap();
    let Response::Len(n) = c.call(&mut srv, Request::ReadDir { handle: h, region_offset: 0, len: 4096 }) else {
        panic!("readdir")
    };
    let kinds: Vec<_> = dirent::Dirents::new(&c.region[..n as usize]).map(|d| d.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == Some(FileType::CharDev)).count(), 7);
    let d = c.stat(&mut srv, "/dev", true).unwrap();
    assert_eq!((d.kind, d.mode, d.uid, d.rdev), (FileType::Dir, 0o040755, 0, 0));
    // Directory reads in small batches resume where they stopped.
    let h = c.open(&mut srv, "/dev", OpenFlags::RDONLY | OpenFlags::DIRECTORY).unwrap();
    let mut names = Vec::new();
    loop {
        match c.call(&mut srv, Request::ReadDir { handle: h, region_offset: 0, len: 40 }) {
            Response::Len(0) => break,
            Response::Len(n) => names.extend(dirent::Dirents::new(&c.region[..n as usize]).map(|d| d.name.to_vec())),
            r => panic!("{r:?}"),
        }
    }
    assert_eq!(names.len(), 9);
    // Regular files keep rdev 0.
    assert_eq!(c.stat(&mut srv, "/etc/motd", true).unwrap().rdev, 0);
}

#[test]
fn null_reads_end_of_file_and_swallows_writes() {
    let (mut srv, disk) = server(Config::default());
    let before = disk.snapshot();
    let mut c = Client::new(&mut srv, USER);
    // `cmd > /dev/null`: the shell's flags (O_CREAT | O_TRUNC on an
    // existing device truncates nothing).
    let h = c.open(&mut srv, "/dev/null", W_CREAT_TRUNC).unwrap();
    assert_eq!(write(&mut c, &mut srv, h, b"hello\n"), Ok(6));
    assert_eq!(write(&mut c, &mut srv, h, &vec![7; 65536]), Ok(65536));
    assert_eq!(write(&mut c, &mut srv, h, b""), Ok(0));
    // `>> /dev/null`.
    let a = c.open(&mut srv, "/dev/null", APPEND).unwrap();
    assert_eq!(write(&mut c, &mut srv, a, b"more"), Ok(4));
    // `cat /dev/null`: end of file at once, every time.
    let r = c.open(&mut srv, "/dev/null", OpenFlags::RDONLY).unwrap();
    for _ in 0..3 {
        assert_eq!(read(&mut c, &mut srv, r, 65536).unwrap(), b"");
    }
    assert_eq!(c.read_file(&mut srv, "/dev/null").unwrap(), b"");
    // Nothing reached the disk (no label stored, no commit).
    assert_eq!(disk.snapshot(), before, "writes to /dev/null change nothing on disk");
    // A read-write open works too.
    let rw = c.open(&mut srv, "/dev/null", OpenFlags::RDWR).unwrap();
    assert_eq!(write(&mut c, &mut srv, rw, b"x"), Ok(1));
    assert_eq!(read(&mut c, &mut srv, rw, 10).unwrap(), b"");
}

#[test]
fn zero_reads_zeros_and_full_refuses_writes_with_enospc() {
    let (mut srv, _) = server(Config::default());
    let mut c = Client::new(&mut srv, USER);
    let z = c.open(&mut srv, "/dev/zero", OpenFlags::RDWR).unwrap();
    c.region[..8].copy_from_slice(b"garbage!");
    assert_eq!(read(&mut c, &mut srv, z, 8).unwrap(), [0; 8]);
    assert!(read(&mut c, &mut srv, z, REGION as u32).unwrap().iter().all(|&b| b == 0));
    assert_eq!(write(&mut c, &mut srv, z, b"swallowed"), Ok(9));
    // full(4): reads like zero, every write fails with ENOSPC.
    let f = c.open(&mut srv, "/dev/full", OpenFlags::RDWR).unwrap();
    assert_eq!(read(&mut c, &mut srv, f, 16).unwrap(), [0; 16]);
    assert_eq!(write(&mut c, &mut srv, f, b"x\n"), Err(Errno::ENOSPC));
    assert_eq!(write(&mut c, &mut srv, f, b""), Err(Errno::ENOSPC));
    let f = c.open(&mut srv, "/dev/full", W_CREAT_TRUNC).unwrap();
    assert_eq!(write(&mut c, &mut srv, f, b"x\n"), Err(Errno::ENOSPC));
}

#[test]
fn random_and_urandom_read_fresh_bytes() {
    let (mut srv, _) = server(Config::default());
    let mut c = Client::new(&mut srv, USER);
    let mut seen = Vec::new();
    for name in ["/dev/urandom", "/dev/random"] {
        let h = c.open(&mut srv, name, OpenFlags::RDONLY).unwrap();
        for _ in 0..2 {
            let b = read(&mut c, &mut srv, h, 16).unwrap();
            assert_eq!(b.len(), 16);
            assert!(!seen.contains(&b), "{name}: two reads gave the same bytes");
            seen.push(b);
        }
        // A large read: every byte value appears, about equally often.
        let big = read(&mut c, &mut srv, h, 1 << 20).unwrap();
        let mut counts = [0u32; 256];
        for b in &big {
            counts[*b as usize] += 1;
        }
        let (lo, hi) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(*lo > 3800 && *hi < 4400, "{name}: byte counts {lo}..{hi} for 1 MiB");
    }
    // Two servers seeded alike and read alike give the same stream: the
    // output depends on the seed only (the guest seeds from RDSEED/RDRAND).
    let (mut other, _) = server(Config::default());
    let mut d = Client::new(&mut other, USER);
    let h = d.open(&mut other, "/dev/urandom", OpenFlags::RDONLY).unwrap();
    assert_eq!(read(&mut d, &mut other, h, 16).unwrap(), seen[0]);
}

#[test]
fn writes_to_random_are_mixed_in_by_those_the_policy_lets_write() {
    let (mut srv, _) = server(Config::default());
    let (mut twin, _) = server(Config::default());
    let mut root = Client::new(&mut srv, ROOT);
    let mut root2 = Client::new(&mut twin, ROOT);
    let h = root.open(&mut srv, "/dev/urandom", OpenFlags::RDWR).unwrap();
    let h2 = root2.open(&mut twin, "/dev/urandom", OpenFlags::RDWR).unwrap();
    assert_eq!(write(&mut root, &mut srv, h, b"entropy from the administrator"), Ok(30));
    assert_ne!(read(&mut root, &mut srv, h, 32).unwrap(), read(&mut root2, &mut twin, h2, 32).unwrap());
    // Users read the generator but may not write it (devnodes.pol).
    let mut u = Client::new(&mut srv, USER);
    assert_eq!(u.open(&mut srv, "/dev/urandom", OpenFlags::WRONLY), Err(Errno::EACCES));
    assert_eq!(u.open(&mut srv, "/dev/random", OpenFlags::RDWR), Err(Errno::EACCES));
}

#[test]
fn devices_have_no_position_and_seek_to_zero() {
    let (mut srv, _) = server(Config::default());
    let mut c = Client::new(&mut srv, USER);
    for name in ["/dev/null", "/dev/zero", "/dev/full", "/dev/urandom"] {
        let h = c.open(&mut srv, name, OpenFlags::RDONLY).unwrap();
        read(&mut c, &mut srv, h, 100).unwrap();
        for (off, whence) in
            [(0, Whence::Cur), (100, Whence::Set), (-5, Whence::End), (i64::MAX, Whence::Cur), (i64::MIN, Whence::Set)]
        {
            assert_eq!(seek(&mut c, &mut srv, h, off, whence), Ok(0), "{name} {off} {whence:?}");
        }
        let Response::Stat(s) = c.call(&mut srv, Request::Stat { target: Target::Handle(h) }) else { panic!("fstat") };
        assert_eq!(s.kind, FileType::CharDev);
    }
    // pread/pwrite at any offset behave like plain reads and writes.
    let z = c.open(&mut srv, "/dev/zero", OpenFlags::RDWR).unwrap();
    for off in [0, 1 << 40, u64::MAX] {
        assert_eq!(
            c.call(&mut srv, Request::Read { handle: z, offset: Some(off), region_offset: 0, len: 4 }),
            Response::Len(4)
        );
        assert_eq!(
            c.call(&mut srv, Request::Write { handle: z, offset: Some(off), region_offset: 0, len: 4 }),
            Response::Len(4)
        );
    }
}

#[test]
fn bad_input_gives_errors_never_a_panic() {
    let (mut srv, _) = server(Config::default());
    let mut c = Client::new(&mut srv, USER);
    let z = c.open(&mut srv, "/dev/zero", OpenFlags::RDWR).unwrap();
    let u = c.open(&mut srv, "/dev/urandom", OpenFlags::RDONLY).unwrap();
    for h in [z, u] {
        for (off, len) in [(0, u32::MAX), (u32::MAX, 1), (REGION as u32, 1), (1, REGION as u32)] {
            let r = c.call(&mut srv, Request::Read { handle: h, offset: None, region_offset: off, len });
            assert_eq!(r, Response::Err(Errno::EFAULT), "read {off}+{len}");
        }
        let w = c.call(&mut srv, Request::Write { handle: h, offset: None, region_offset: 0, len: u32::MAX });
        assert_eq!(w, Response::Err(Errno::EFAULT));
        assert_eq!(
            c.call(&mut srv, Request::ReadDir { handle: h, region_offset: 0, len: 64 }),
            Response::Err(errno::ENOTDIR)
        );
    }
    // Write-only and read-only handles are held to their mode.
    let w = c.open(&mut srv, "/dev/null", OpenFlags::WRONLY).unwrap();
    assert_eq!(read(&mut c, &mut srv, w, 1), Err(Errno::EBADF));
    assert_eq!(write(&mut c, &mut srv, u, b"x"), Err(Errno::EBADF));
    // Truncation by handle or path: devices have no length (Linux EINVAL).
    assert_eq!(c.ok(&mut srv, Request::Truncate { target: Target::Handle(w), size: 0 }), Err(Errno::EINVAL));
    let t = Target::Path { path: "/dev/null".into(), follow: true };
    assert_eq!(c.ok(&mut srv, Request::Truncate { target: t, size: 0 }), Err(Errno::EINVAL));
    // Not directories, not programs, not links.
    assert_eq!(c.open(&mut srv, "/dev/null", OpenFlags::RDONLY | OpenFlags::DIRECTORY), Err(errno::ENOTDIR));
    assert_eq!(c.open(&mut srv, "/dev/null/x", OpenFlags::RDONLY), Err(errno::ENOTDIR));
    assert_eq!(c.open(&mut srv, "/dev/zero", OpenFlags::RDONLY | OpenFlags::EXEC), Err(Errno::EACCES));
    assert_eq!(c.open(&mut srv, "/dev/nothing", OpenFlags::RDONLY), Err(Errno::ENOENT));
    assert_eq!(c.open(&mut srv, "/dev", OpenFlags::WRONLY), Err(errno::EISDIR));
    let r = c.call(&mut srv, Request::ReadLink { path: "/dev/null".into(), region_offset: 0, len: 64 });
    assert_eq!(r, Response::Err(Errno::EINVAL));
    // `..` out of /dev goes back to the root volume.
    assert_eq!(c.read_file(&mut srv, "/dev/../etc/motd").unwrap(), b"hi\n");
    assert_eq!(c.read_file(&mut srv, "/dev/./../dev/null").unwrap(), b"");
}

#[test]
fn the_namespace_is_fixed() {
    let (mut srv, _) = server(Config::default());
    let mut root = Client::new(&mut srv, ROOT);
    let p = |s: &str| PathArg::from(s);
    assert_eq!(root.open(&mut srv, "/dev/new", W_CREAT_TRUNC), Err(errno::EROFS));
    assert_eq!(root.ok(&mut srv, Request::Mkdir { path: p("/dev/d"), mode: 0o755 }), Err(errno::EROFS));
    assert_eq!(root.ok(&mut srv, Request::Symlink { target: p("null"), link: p("/dev/n") }), Err(errno::EROFS));
    assert_eq!(root.ok(&mut srv, Request::Unlink { path: p("/dev/null") }), Err(errno::EROFS));
    assert_eq!(root.ok(&mut srv, Request::Rename { from: p("/dev/null"), to: p("/dev/nul") }), Err(errno::EROFS));
    assert_eq!(root.ok(&mut srv, Request::Rename { from: p("/tmp"), to: p("/dev/tmp") }), Err(errno::EXDEV));
    let attr = SetAttr { mode: Some(0o600), ..SetAttr::default() };
    let t = Target::Path { path: p("/dev/null"), follow: true };
    assert_eq!(root.ok(&mut srv, Request::SetAttr { target: t, attr }), Err(errno::EROFS));
    // /dev stays: it cannot be unmounted or mounted over.
    assert_eq!(root.ok(&mut srv, Request::Unmount { path: p("/dev") }), Err(Errno::EBUSY));
    let m = Request::Mount { device: "blk1".into(), path: p("/dev"), read_only: true };
    assert_eq!(root.ok(&mut srv, m), Err(Errno::EBUSY));
    assert_eq!(srv.serve_devices(DevFs::new([0; 32], None, clock())), Err(Errno::EBUSY));
    // The nodes are still there and work.
    assert_eq!(root.read_file(&mut srv, "/dev/null").unwrap(), b"");
}

#[test]
fn serving_devices_needs_a_dev_directory() {
    let disk = MemDisk::new(mkimage(&[("etc/motd", Node::File(b"x"))], 16));
    let mut srv = rw_server(&disk, Config::default());
    assert_eq!(srv.serve_devices(DevFs::new([0; 32], None, clock())), Err(Errno::ENOENT));
    let disk = MemDisk::new(mkimage(&[("dev", Node::File(b"x"))], 16));
    let mut srv = rw_server(&disk, Config::default());
    assert_eq!(srv.serve_devices(DevFs::new([0; 32], None, clock())), Err(errno::ENOTDIR));
    // Without devices, /dev is the disk's own directory.
    let disk = MemDisk::new(dev_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    assert_eq!(c.list(&mut srv, "/dev").unwrap(), [".", ".."]);
}
