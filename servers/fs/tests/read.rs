//! Reading what `mke2fs -d` put on the image, through both engines.

mod common;

use common::Client;
use common::*;
use rampart_fs::{MemDisk, Volume};
use rampart_fs_api::*;

fn read_suite<V: Volume>(srv: &mut rampart_fs::FileServer<V, rampart_fs::LocalPolicy>) {
    let mut root = Client::new(srv, ROOT);
    assert_eq!(root.read_file(srv, "/etc/motd").unwrap(), b"Welcome to Rampart\n");
    assert_eq!(root.read_file(srv, "/bin/prog").unwrap(), pattern(300_000, 7), "multi-block file checksum");
    // Symlinks: followed by open, not by lstat; readlink gives the target.
    assert_eq!(root.read_file(srv, "/etc/motd.link").unwrap(), b"Welcome to Rampart\n");
    let l = root.stat(srv, "/etc/motd.link", false).unwrap();
    assert_eq!((l.kind, l.size), (FileType::Symlink, 4));
    match root.call(srv, Request::ReadLink { path: "/etc/motd.link".into(), region_offset: 0, len: 100 }) {
        Response::Len(4) => assert_eq!(&root.region[..4], b"motd"),
        r => panic!("{r:?}"),
    }
    // stat: type, permission bits, size, timestamps.
    let s = root.stat(srv, "/etc/motd", true).unwrap();
    assert_eq!((s.kind, s.mode & 0o777, s.size), (FileType::File, 0o644, 19));
    assert!(s.mtime.sec > 1_600_000_000, "mke2fs keeps the staging mtime: {:?}", s.mtime);
    let d = root.stat(srv, "/etc", true).unwrap();
    assert_eq!((d.kind, d.mode & 0o170000), (FileType::Dir, 0o040000));
    // readdir, batched through a small region window.
    let names = root.list(srv, "/etc").unwrap();
    assert_eq!(names, [".", "..", "motd", "motd.link", "passwd", "shadow", "shadow.link"]);
    // seek + positional reads.
    let h = root.open(srv, "/bin/prog", OpenFlags::RDONLY).unwrap();
    assert_eq!(
        root.call(srv, Request::Seek { handle: h, offset: -10, whence: Whence::End }),
        Response::Offset(299_990)
    );
    assert_eq!(
        root.call(srv, Request::Read { handle: h, offset: None, region_offset: 0, len: 100 }),
        Response::Len(10)
    );
    assert_eq!(&root.region[..10], &pattern(300_000, 7)[299_990..]);
    assert_eq!(
        root.call(srv, Request::Read { handle: h, offset: Some(5000), region_offset: 8, len: 4 }),
        Response::Len(4)
    );
    assert_eq!(&root.region[8..12], &pattern(300_000, 7)[5000..5004]);
    assert_eq!(root.call(srv, Request::Read { handle: h, offset: None, region_offset: 0, len: 1 }), Response::Len(0));
    assert_eq!(
        root.call(srv, Request::Seek { handle: h, offset: -1, whence: Whence::Set }),
        Response::Err(Errno::EINVAL)
    );
    // Errors.
    assert_eq!(root.open(srv, "/etc/nope", OpenFlags::RDONLY), Err(Errno::ENOENT));
    assert_eq!(root.open(srv, "/etc/motd/x", OpenFlags::RDONLY), Err(errno::ENOTDIR));
    assert_eq!(root.open(srv, "/etc/motd", OpenFlags::RDONLY | OpenFlags::DIRECTORY), Err(errno::ENOTDIR));
    assert_eq!(root.open(srv, "/etc/motd.link", OpenFlags::RDONLY | OpenFlags::NOFOLLOW), Err(errno::ELOOP));
    assert_eq!(root.open(srv, "etc/motd", OpenFlags::RDONLY), Err(Errno::EINVAL), "relative paths are the libos's job");
    assert_eq!(
        root.call(srv, Request::Read { handle: Handle(999), offset: None, region_offset: 0, len: 1 }),
        Response::Err(Errno::EBADF)
    );
    assert_eq!(
        root.call(srv, Request::Read { handle: h, offset: None, region_offset: REGION as u32 - 2, len: 4 }),
        Response::Err(Errno::EFAULT)
    );
    // Long paths travel in the region.
    let p = b"/etc/././motd";
    root.region[100..100 + p.len()].copy_from_slice(p);
    let r = root.call(
        srv,
        Request::Open { path: PathArg::Shared { offset: 100, len: p.len() as u32 }, flags: OpenFlags::RDONLY, mode: 0 },
    );
    assert!(matches!(r, Response::Handle(_)), "{r:?}");
    // Labels from the policy's file contexts.
    assert_eq!(root.getcon(srv, "/etc/motd").unwrap(), "system_u:object_r:etc_t");
    assert_eq!(root.getcon(srv, "/bin/prog").unwrap(), "system_u:object_r:bin_t");
    assert_eq!(root.getcon(srv, "/").unwrap(), "system_u:object_r:root_t");
}

#[test]
fn read_write_engine_reads_mke2fs_files() {
    let disk = MemDisk::new(standard_image());
    read_suite(&mut rw_server(&disk, Default::default()));
}

#[test]
fn read_only_engine_reads_mke2fs_files() {
    let disk = MemDisk::new(standard_image()).into_read_only();
    let mut srv = ro_server(&disk);
    read_suite(&mut srv);
    let mut root = Client::new(&mut srv, ROOT);
    assert_eq!(root.ok(&mut srv, Request::Mkdir { path: "/tmp/x".into(), mode: 0o755 }), Err(errno::EROFS));
    assert_eq!(root.write_file(&mut srv, "/tmp/f", b"x"), Err(errno::EROFS));
    assert!(srv.volume().statfs().unwrap().read_only);
    // The shipped policy grants `filesystem getattr` (df) to fs_t and to
    // user domains, not to httpd_t.
    assert!(matches!(root.call(&mut srv, Request::StatFs), Response::StatFs(s) if s.read_only));
    let mut httpd = Client::new(&mut srv, HTTPD);
    assert_eq!(httpd.call(&mut srv, Request::StatFs), Response::Err(Errno::EACCES));
}

#[test]
fn ext2_images_mount_with_either_engine() {
    let dir = scratch("ext2");
    std::fs::create_dir_all(dir.join("s")).unwrap();
    std::fs::write(dir.join("s/hello"), b"ext2 data").unwrap();
    let img = dir.join("e2.img");
    let ok = std::process::Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext2", "-d"])
        .arg(dir.join("s"))
        .arg(&img)
        .arg("8M")
        .status()
        .unwrap();
    assert!(ok.success());
    let disk = MemDisk::new(std::fs::read(&img).unwrap());
    for read_only in [true, false] {
        let vol = rampart_fs::mount(disk.clone(), clock(), read_only).expect("ext2 mounts");
        assert_eq!(vol.read_only(), read_only);
        let mut srv = rampart_fs::FileServer::new(vol, rampart_fs::LocalPolicy(policy()), Default::default()).unwrap();
        let mut c = Client::new(&mut srv, ROOT);
        assert_eq!(c.read_file(&mut srv, "/hello").unwrap(), b"ext2 data");
        if !read_only {
            c.write_file(&mut srv, "/new", &pattern(50_000, 3)).unwrap();
            srv.shutdown().unwrap();
            let (code, out) = e2fsck(&disk.snapshot());
            assert_eq!(code, 0, "ext2 written by rsext4:\n{out}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
