//! `Request::Mount` / `Unmount`: volumes on other disks mounted on
//! directories of the root, with the policy checks, cross-volume rules,
//! and corrupted disks that fail to mount or fail inside while the root
//! keeps being served.

mod common;

use common::Client;
use common::*;
use rampart_fs::{Config, MemDisk, Volume};
use rampart_fs_api::*;
use std::collections::BTreeMap;

/// A root server whose mounter serves `disks` by name.
fn server(disks: BTreeMap<&'static str, MemDisk>) -> RwServer {
    let mut srv = rw_server(&MemDisk::new(standard_image()), Config::default());
    srv.set_mounter(Box::new(move |name, ro| {
        let d = disks.get(name).ok_or(Errno::ENODEV)?.clone();
        let d = if ro { d.into_read_only() } else { d };
        let v: Box<dyn Volume> = rampart_fs::mount(d, clock(), ro)?;
        Ok(v)
    }));
    srv
}

fn mount(c: &mut Client, srv: &mut RwServer, dev: &str, at: &str, ro: bool) -> Result<(), Errno> {
    c.ok(srv, Request::Mount { device: dev.into(), path: at.into(), read_only: ro })
}

fn second_disk() -> MemDisk {
    MemDisk::new(mkimage(&[("data/file", Node::File(b"on the second disk\n")), ("empty", Node::Dir)], 16))
}

#[test]
fn mount_read_write_unmount() {
    let mut srv = server(BTreeMap::from([("blk1", second_disk())]));
    let mut c = Client::new(&mut srv, ROOT);
    c.ok(&mut srv, Request::Mkdir { path: "/tmp/m".into(), mode: 0o755 }).unwrap();
    assert_eq!(mount(&mut c, &mut srv, "blk9", "/tmp/m", false), Err(Errno::ENODEV));
    assert_eq!(mount(&mut c, &mut srv, "blk1", "/etc/motd", false), Err(errno::ENOTDIR));
    mount(&mut c, &mut srv, "blk1", "/tmp/m", false).unwrap();
    assert_eq!(mount(&mut c, &mut srv, "blk1", "/tmp/m", false), Err(Errno::EBUSY));
    assert_eq!(c.read_file(&mut srv, "/tmp/m/data/file").unwrap(), b"on the second disk\n");
    assert!(c.list(&mut srv, "/tmp/m").unwrap().contains(&"data".to_string()));
    // `..` from the mounted root is the directory it covers.
    assert!(c.list(&mut srv, "/tmp/m/..").unwrap().contains(&"m".to_string()));
    assert_eq!(c.read_file(&mut srv, "/tmp/m/../../etc/motd").unwrap(), b"Welcome to Rampart\n");
    // Inode numbers of the two volumes differ.
    let (a, b) = (c.stat(&mut srv, "/tmp/m", true).unwrap(), c.stat(&mut srv, "/", true).unwrap());
    assert_ne!(a.ino, b.ino);
    c.write_file(&mut srv, "/tmp/m/data/new", b"written through the mount").unwrap();
    assert_eq!(c.read_file(&mut srv, "/tmp/m/data/new").unwrap(), b"written through the mount");
    let r = c.ok(&mut srv, Request::Rename { from: "/tmp/m/data/new".into(), to: "/tmp/new".into() });
    assert_eq!(r, Err(errno::EXDEV));
    assert_eq!(c.ok(&mut srv, Request::Rmdir { path: "/tmp/m".into() }), Err(Errno::EBUSY));
    assert_eq!(c.ok(&mut srv, Request::Rename { from: "/tmp/m".into(), to: "/tmp/n".into() }), Err(Errno::EBUSY));
    // Busy while a handle is open; then unmounted, the directory is empty.
    let h = c.open(&mut srv, "/tmp/m/data/file", OpenFlags::RDONLY).unwrap();
    assert_eq!(c.ok(&mut srv, Request::Unmount { path: "/tmp/m".into() }), Err(Errno::EBUSY));
    c.ok(&mut srv, Request::Close { handle: h }).unwrap();
    assert_eq!(c.ok(&mut srv, Request::Unmount { path: "/tmp".into() }), Err(Errno::EINVAL));
    c.ok(&mut srv, Request::Unmount { path: "/tmp/m".into() }).unwrap();
    assert_eq!(c.list(&mut srv, "/tmp/m").unwrap(), [".", ".."]);
    // The root is still served and writable.
    c.write_file(&mut srv, "/tmp/after", b"root still writable").unwrap();
    assert_eq!(c.read_file(&mut srv, "/tmp/after").unwrap(), b"root still writable");
}

#[test]
fn mount_read_only() {
    let mut srv = server(BTreeMap::from([("blk1", second_disk())]));
    let mut c = Client::new(&mut srv, ROOT);
    mount(&mut c, &mut srv, "blk1", "/tmp", true).unwrap();
    assert_eq!(c.read_file(&mut srv, "/tmp/data/file").unwrap(), b"on the second disk\n");
    assert_eq!(c.write_file(&mut srv, "/tmp/data/x", b"no"), Err(errno::EROFS));
    c.write_file(&mut srv, "/home/alice/ok", b"root writes still commit").unwrap();
}

/// Mounting needs uid 0 (`EPERM`, as `CAP_SYS_ADMIN` on Linux) and the
/// policy's `mounton` and `filesystem mount` (`EACCES`, audited): a user
/// with uid 0 is still refused by the policy.
#[test]
fn users_may_not_mount() {
    let mut srv = server(BTreeMap::from([("blk1", second_disk())]));
    let mut c = Client::new(&mut srv, USER);
    c.ok(&mut srv, Request::Mkdir { path: "/home/alice/m".into(), mode: 0o755 }).unwrap();
    srv.mac.take_audit();
    assert_eq!(mount(&mut c, &mut srv, "blk1", "/home/alice/m", false), Err(Errno::EPERM));
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, mac_only());
    srv.set_mounter(Box::new(|_, _| Err(Errno::ENODEV)));
    let mut c = Client::new(&mut srv, USER);
    c.ok(&mut srv, Request::Mkdir { path: "/home/alice/m".into(), mode: 0o755 }).unwrap();
    srv.mac.take_audit();
    assert_eq!(mount(&mut c, &mut srv, "blk1", "/home/alice/m", false), Err(Errno::EACCES));
    assert!(!srv.mac.take_audit().is_empty(), "the denial is audited");
}

#[test]
fn corrupted_disks_fail_and_the_root_is_still_served() {
    let mut bad_magic = mkimage(&[("f", Node::File(b"x"))], 16);
    bad_magic[1024 + 0x38] ^= 0xff;
    let mut bad_inode = mkimage(&[("victim", Node::File(&pattern(40_000, 3)))], 16);
    debugfs_write(&mut bad_inode, "sif /victim mode 0170644\n");
    let mut out_of_range = mkimage(&[("victim", Node::File(&pattern(40_000, 3)))], 16);
    debugfs_write(&mut out_of_range, "sif /victim block[5] 0x7ffffff0\n");
    let mut looped = mkimage(&[("loop/inner", Node::Dir)], 16);
    debugfs_write(&mut looped, "link /loop /loop/inner/up\n");
    let disks = BTreeMap::from([
        ("blk1", MemDisk::new(bad_magic)),
        ("blk2", MemDisk::new(bad_inode)),
        ("blk3", MemDisk::new(out_of_range)),
        ("blk4", MemDisk::new(looped)),
    ]);
    let mut srv = server(disks);
    let mut c = Client::new(&mut srv, ROOT);
    for d in ["/tmp/2", "/tmp/3", "/tmp/4"] {
        c.ok(&mut srv, Request::Mkdir { path: d.into(), mode: 0o755 }).unwrap();
    }
    let r = mount(&mut c, &mut srv, "blk1", "/tmp", false);
    assert!(r.is_err(), "{r:?}");
    mount(&mut c, &mut srv, "blk2", "/tmp/2", false).unwrap();
    assert!(c.read_file(&mut srv, "/tmp/2/victim").is_err());
    mount(&mut c, &mut srv, "blk3", "/tmp/3", false).unwrap();
    assert!(c.read_file(&mut srv, "/tmp/3/victim").is_err());
    mount(&mut c, &mut srv, "blk4", "/tmp/4", false).unwrap();
    let deep = format!("/tmp/4/loop{}", "/inner/up".repeat(600));
    c.region[..deep.len()].copy_from_slice(deep.as_bytes());
    let path = PathArg::Shared { offset: 0, len: deep.len() as u32 };
    let r = c.call(&mut srv, Request::Stat { target: Target::Path { path, follow: true } });
    assert!(matches!(r, Response::Err(e) if e == errno::ENAMETOOLONG || e == errno::ELOOP), "{r:?}");
    assert_eq!(c.read_file(&mut srv, "/etc/motd").unwrap(), b"Welcome to Rampart\n");
    c.write_file(&mut srv, "/home/alice/still", b"fine").unwrap();
    for d in ["/tmp/2", "/tmp/3", "/tmp/4"] {
        let _ = c.ok(&mut srv, Request::Unmount { path: d.into() });
    }
    assert_eq!(c.read_file(&mut srv, "/home/alice/still").unwrap(), b"fine");
}

fn damage_base() -> &'static Vec<u8> {
    static IMG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    IMG.get_or_init(|| {
        mkimage(
            &[("ok", Node::File(b"intact file\n")), ("d/victim", Node::File(&pattern(40_000, 2))), ("d/e", Node::Dir)],
            16,
        )
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 16, ..Default::default() })]

    /// Random bytes over a mounted disk's metadata: mounting fails or the
    /// operations on it give errors; the server never panics, and the root
    /// is served and written afterwards.
    #[test]
    fn damaged_mounted_disks_never_break_the_root(
        hits in proptest::collection::vec((0usize..600_000, proptest::prelude::any::<u8>()), 1..24),
        ro in proptest::prelude::any::<bool>(),
    ) {
        let mut img = damage_base().clone();
        for (off, v) in hits {
            img[off] = v;
        }
        let mut srv = server(BTreeMap::from([("blk1", MemDisk::new(img))]));
        let mut c = Client::new(&mut srv, ROOT);
        if mount(&mut c, &mut srv, "blk1", "/tmp", ro).is_ok() {
            let _ = c.read_file(&mut srv, "/tmp/ok");
            let _ = c.read_file(&mut srv, "/tmp/d/victim");
            let _ = c.list(&mut srv, "/tmp/d");
            let _ = c.write_file(&mut srv, "/tmp/d/new", b"data");
            let _ = c.ok(&mut srv, Request::Rename { from: "/tmp/ok".into(), to: "/tmp/d/ok".into() });
            let _ = c.ok(&mut srv, Request::Mkdir { path: "/tmp/d/e/f".into(), mode: 0o755 });
            let _ = c.ok(&mut srv, Request::Unlink { path: "/tmp/d/victim".into() });
            let _ = c.ok(&mut srv, Request::Unmount { path: "/tmp".into() });
        }
        proptest::prop_assert_eq!(c.read_file(&mut srv, "/etc/motd").unwrap(), b"Welcome to Rampart\n");
        c.write_file(&mut srv, "/home/alice/after", b"root").unwrap();
        proptest::prop_assert_eq!(c.read_file(&mut srv, "/home/alice/after").unwrap(), b"root");
    }
}
