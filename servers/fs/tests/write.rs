//! Writes that persist: every mutation, then a "reboot" (a new server on
//! the same bytes), e2fsck and debugfs on the result.

mod common;

use common::Client;
use common::*;
use rampart_fs::{Commit, Config, MemDisk, Volume};
use rampart_fs_api::*;

#[test]
fn mutations_survive_reboot_and_pass_e2fsck() {
    let disk = MemDisk::new(standard_image());
    let big = pattern(3 << 20, 11);
    {
        let mut srv = rw_server(&disk, Config::default());
        let mut c = Client::new(&mut srv, ROOT);
        c.ok(&mut srv, Request::Mkdir { path: "/tmp/d".into(), mode: 0o750 }).unwrap();
        c.write_file(&mut srv, "/tmp/d/a", b"first").unwrap();
        c.write_file(&mut srv, "/tmp/d/big", &big).unwrap();
        c.write_file(&mut srv, "/tmp/d/gone", b"x").unwrap();
        c.ok(&mut srv, Request::Unlink { path: "/tmp/d/gone".into() }).unwrap();
        c.ok(&mut srv, Request::Rename { from: "/tmp/d/a".into(), to: "/tmp/b".into() }).unwrap();
        c.ok(&mut srv, Request::Symlink { target: "d/big".into(), link: "/tmp/big.link".into() }).unwrap();
        c.ok(&mut srv, Request::Mkdir { path: "/tmp/empty".into(), mode: 0o755 }).unwrap();
        c.ok(&mut srv, Request::Rmdir { path: "/tmp/empty".into() }).unwrap();
        c.ok(
            &mut srv,
            Request::Truncate { target: Target::Path { path: "/bin/prog".into(), follow: true }, size: 1000 },
        )
        .unwrap();
        let attr =
            SetAttr { mode: Some(0o600), mtime: Some(Timespec { sec: 1_234_567_890, nsec: 0 }), ..SetAttr::default() };
        c.ok(&mut srv, Request::SetAttr { target: Target::Path { path: "/tmp/b".into(), follow: true }, attr })
            .unwrap();
        // Replacing rename, and an append.
        c.write_file(&mut srv, "/tmp/c", b"will replace b? no, c replaces nothing").unwrap();
        let h = c.open(&mut srv, "/tmp/c", OpenFlags::WRONLY | OpenFlags::APPEND).unwrap();
        c.region[..4].copy_from_slice(b"+app");
        assert_eq!(
            c.call(&mut srv, Request::Write { handle: h, offset: Some(0), region_offset: 0, len: 4 }),
            Response::Len(4)
        );
        c.ok(&mut srv, Request::Fsync { handle: h }).unwrap();
        // Power off: no unmount; Commit::EveryRequest made every reply durable.
    }
    let img = disk.snapshot();
    let (code, out) = e2fsck_replayed(&img);
    assert_eq!(code, 0, "power-off image after journal replay:\n{out}");
    let disk2 = MemDisk::new(img);
    let mut srv = rw_server(&disk2, Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    assert_eq!(c.read_file(&mut srv, "/tmp/b").unwrap(), b"first");
    assert_eq!(c.read_file(&mut srv, "/tmp/d/big").unwrap(), big);
    assert_eq!(c.read_file(&mut srv, "/tmp/big.link").unwrap(), big);
    assert_eq!(c.read_file(&mut srv, "/tmp/c").unwrap(), b"will replace b? no, c replaces nothing+app");
    assert_eq!(c.read_file(&mut srv, "/bin/prog").unwrap(), pattern(300_000, 7)[..1000]);
    assert_eq!(c.open(&mut srv, "/tmp/d/gone", OpenFlags::RDONLY), Err(Errno::ENOENT));
    assert_eq!(c.open(&mut srv, "/tmp/empty", OpenFlags::RDONLY), Err(Errno::ENOENT));
    let s = c.stat(&mut srv, "/tmp/b", true).unwrap();
    assert_eq!((s.mode & 0o7777, s.mtime.sec), (0o600, 1_234_567_890));
    assert_eq!(c.stat(&mut srv, "/tmp/d", true).unwrap().mode & 0o7777, 0o750);
    assert_eq!(c.list(&mut srv, "/tmp/d").unwrap(), [".", "..", "big"]);
    // The image is a clean ext4 file system in e2fsprogs' eyes (after
    // journal replay by the reader: the journal is checked by e2fsck too).
    srv.shutdown().unwrap();
    let after = disk2.snapshot();
    let (code, out) = e2fsck(&after);
    assert_eq!(code, 0, "{out}");
    // debugfs, an independent reader, sees the data and the stored labels.
    assert_eq!(debugfs(&after, "cat /tmp/b"), "first");
    let ea = debugfs(&after, "ea_get /tmp/d/big security.selinux");
    assert!(ea.contains("system_u:object_r:tmp_t") || ea.contains("root:object_r:tmp_t"), "{ea}");
    // ext4-view, a third implementation, reads the same bytes.
    let mut ro = ro_server(&MemDisk::new(after).into_read_only());
    let mut c = Client::new(&mut ro, ROOT);
    assert_eq!(c.read_file(&mut ro, "/tmp/d/big").unwrap(), big);
}

#[test]
fn lazy_commit_loses_only_the_uncommitted_tail() {
    let disk = MemDisk::new(standard_image());
    {
        let mut srv = rw_server(&disk, Config { commit: Commit::OnFsync, ..Config::default() });
        let mut c = Client::new(&mut srv, ROOT);
        c.write_file(&mut srv, "/tmp/kept", b"synced").unwrap();
        c.ok(&mut srv, Request::Sync).unwrap();
        for i in 0..20 {
            c.write_file(&mut srv, &format!("/tmp/lost{i}"), &pattern(10_000, i)).unwrap();
        }
        // Power off without Sync.
    }
    let img = disk.snapshot();
    let (code, out) = e2fsck_replayed(&img);
    assert_eq!(code, 0, "{out}");
    let mut srv = rw_server(&MemDisk::new(img), Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    assert_eq!(c.read_file(&mut srv, "/tmp/kept").unwrap(), b"synced");
}

#[test]
fn unlinked_open_file_stays_readable_until_closed() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    c.write_file(&mut srv, "/tmp/f", &pattern(20_000, 1)).unwrap();
    let free_before = srv.volume().statfs().unwrap().bfree;
    let h = c.open(&mut srv, "/tmp/f", OpenFlags::RDONLY).unwrap();
    c.ok(&mut srv, Request::Unlink { path: "/tmp/f".into() }).unwrap();
    assert_eq!(c.open(&mut srv, "/tmp/f", OpenFlags::RDONLY), Err(Errno::ENOENT));
    assert_eq!(
        c.call(&mut srv, Request::Read { handle: h, offset: Some(0), region_offset: 0, len: 20_000 }),
        Response::Len(20_000)
    );
    assert_eq!(&c.region[..20_000], &pattern(20_000, 1)[..]);
    c.ok(&mut srv, Request::Close { handle: h }).unwrap();
    assert!(srv.volume().statfs().unwrap().bfree > free_before, "blocks freed with the last handle");
    srv.shutdown().unwrap();
    assert_eq!(e2fsck(&disk.snapshot()).0, 0);
}

#[test]
fn namespace_errors() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut c = Client::new(&mut srv, ROOT);
    let mk = |p: &str| Request::Mkdir { path: p.into(), mode: 0o755 };
    c.ok(&mut srv, mk("/tmp/a")).unwrap();
    c.ok(&mut srv, mk("/tmp/a/b")).unwrap();
    assert_eq!(c.ok(&mut srv, mk("/tmp/a")), Err(Errno::EEXIST));
    assert_eq!(c.ok(&mut srv, mk("/tmp/none/x")), Err(Errno::ENOENT));
    assert_eq!(c.ok(&mut srv, Request::Rmdir { path: "/tmp/a".into() }), Err(errno::ENOTEMPTY));
    assert_eq!(c.ok(&mut srv, Request::Rmdir { path: "/etc/motd".into() }), Err(errno::ENOTDIR));
    assert_eq!(c.ok(&mut srv, Request::Unlink { path: "/tmp/a".into() }), Err(errno::EISDIR));
    assert_eq!(c.ok(&mut srv, Request::Rmdir { path: "/tmp/a/.".into() }), Err(Errno::EINVAL));
    assert_eq!(c.ok(&mut srv, Request::Rename { from: "/tmp/a".into(), to: "/tmp/a/b/c".into() }), Err(Errno::EINVAL));
    assert_eq!(c.ok(&mut srv, Request::Rename { from: "/tmp/a".into(), to: "/etc/motd".into() }), Err(errno::ENOTDIR));
    assert_eq!(c.ok(&mut srv, Request::Rename { from: "/etc/motd".into(), to: "/tmp/a".into() }), Err(errno::EISDIR));
    assert_eq!(
        c.open(&mut srv, "/etc/motd", OpenFlags::RDONLY | OpenFlags::CREAT | OpenFlags::EXCL),
        Err(Errno::EEXIST)
    );
    assert_eq!(c.open(&mut srv, "/tmp", OpenFlags::WRONLY), Err(errno::EISDIR));
    assert_eq!(c.open(&mut srv, "/etc/motd", OpenFlags(0o40000000)), Err(Errno::EINVAL));
    let h = c.open(&mut srv, "/etc/motd", OpenFlags::RDONLY).unwrap();
    assert_eq!(
        c.call(&mut srv, Request::Write { handle: h, offset: None, region_offset: 0, len: 1 }),
        Response::Err(Errno::EBADF)
    );
    // Moving a directory between parents, then listing.
    c.ok(&mut srv, Request::Rename { from: "/tmp/a/b".into(), to: "/tmp/b2".into() }).unwrap();
    assert_eq!(c.list(&mut srv, "/tmp").unwrap(), [".", "..", "a", "b2"]);
    // A large directory (htree conversion) lists completely.
    for i in 0..300 {
        c.write_file(&mut srv, &format!("/tmp/a/file-with-a-longish-name-{i:04}"), b"").unwrap();
    }
    assert_eq!(c.list(&mut srv, "/tmp/a").unwrap().len(), 302);
    srv.shutdown().unwrap();
    // Hundreds of commits wrapped the journal: see docs/storage.md (the
    // clean flag may stay unset; the state after replay must be clean).
    let (code, out) = e2fsck_replayed(&disk.snapshot());
    assert_eq!(code, 0, "{out}");
}

/// Issue 21, drill 7: `exit` powered off without unmounting, so every
/// image needed journal recovery. `Shutdown` (init's, before power-off)
/// leaves the file system clean without a replay; only uid 0 with
/// `filesystem unmount` may ask; afterwards every request fails.
#[test]
fn shutdown_leaves_the_file_system_clean() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut user = Client::new(&mut srv, USER);
    let mut root = Client::new(&mut srv, ROOT);
    root.write_file(&mut srv, "/tmp/kept", b"written before shutdown").unwrap();
    // An unlinked file still open: freed by the shutdown.
    let h = root.open(&mut srv, "/tmp/kept", OpenFlags::RDONLY).unwrap();
    root.write_file(&mut srv, "/tmp/orphan", &pattern(50_000, 3)).unwrap();
    let o = root.open(&mut srv, "/tmp/orphan", OpenFlags::RDONLY).unwrap();
    root.ok(&mut srv, Request::Unlink { path: "/tmp/orphan".into() }).unwrap();
    assert_eq!(user.call(&mut srv, Request::Shutdown), Response::Err(Errno::EPERM));
    assert_eq!(root.call(&mut srv, Request::Shutdown), Response::Ok);
    let _ = (h, o);
    assert_eq!(
        user.call(&mut srv, Request::Stat { target: Target::Path { path: "/etc/motd".into(), follow: true } }),
        Response::Err(Errno::EIO)
    );
    let img = disk.snapshot();
    // Clean without replay: e2fsck -fn does not replay, and says so when
    // it would have to.
    let (code, out) = e2fsck(&img);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("journal recovery"), "{out}");
    let stats = debugfs(&img, "stats");
    assert!(stats.lines().any(|l| l.starts_with("Filesystem state:") && l.trim_end().ends_with("clean")), "{stats}");
    assert!(!stats.contains("needs_recovery"), "{stats}");
    assert_eq!(debugfs(&img, "cat /tmp/kept"), "written before shutdown");
}
