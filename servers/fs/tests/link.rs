//! Hard links (`link(2)`, `Request::Link`): a second name for one inode
//! with its link count, across a reboot and in e2fsck's eyes; Linux's
//! protected hard links (a user cannot give a file it could not write,
//! like `/etc/shadow`, a name of its own); the policy's `file link` and
//! `dir add_name`; the errors Linux gives.

mod common;

use common::Client;
use common::*;
use rampart_fs::{Config, MemDisk, Volume};
use rampart_fs_api::*;

fn link<V: Volume>(
    c: &mut Client,
    srv: &mut rampart_fs::FileServer<V, rampart_fs::LocalPolicy>,
    from: &str,
    to: &str,
) -> Result<(), Errno> {
    c.ok(srv, Request::Link { from: from.into(), to: to.into() })
}

#[test]
fn two_names_one_file_until_the_last_goes() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut user = Client::new(&mut srv, USER);
    user.write_file(&mut srv, "/tmp/a", b"shared bytes").unwrap();
    let free = srv.volume().statfs().unwrap().bfree;
    link(&mut user, &mut srv, "/tmp/a", "/tmp/b").unwrap();
    let (sa, sb) = (user.stat(&mut srv, "/tmp/a", false).unwrap(), user.stat(&mut srv, "/tmp/b", false).unwrap());
    assert_eq!((sa.ino, sa.nlink), (sb.ino, 2), "one inode, two links");
    // A change through one name shows through the other; so does the label.
    user.write_file(&mut srv, "/tmp/b", b"changed via b").unwrap();
    assert_eq!(user.read_file(&mut srv, "/tmp/a").unwrap(), b"changed via b");
    assert_eq!(user.getcon(&mut srv, "/tmp/b").unwrap(), user.getcon(&mut srv, "/tmp/a").unwrap());
    // Removing one name keeps the other and the data.
    user.ok(&mut srv, Request::Unlink { path: "/tmp/a".into() }).unwrap();
    assert_eq!(user.read_file(&mut srv, "/tmp/b").unwrap(), b"changed via b");
    assert_eq!(user.stat(&mut srv, "/tmp/b", false).unwrap().nlink, 1);
    link(&mut user, &mut srv, "/tmp/b", "/tmp/c").unwrap();
    srv.shutdown().unwrap();
    let img = disk.snapshot();
    let (code, out) = e2fsck(&img);
    assert_eq!(code, 0, "{out}");
    assert_eq!(debugfs(&img, "cat /tmp/c"), "changed via b");
    // After a reboot: both names still there, the last unlink frees it.
    let mut srv = rw_server(&disk, Config::default());
    let mut user = Client::new(&mut srv, USER);
    assert_eq!(user.stat(&mut srv, "/tmp/c", false).unwrap().nlink, 2);
    user.ok(&mut srv, Request::Unlink { path: "/tmp/b".into() }).unwrap();
    user.ok(&mut srv, Request::Unlink { path: "/tmp/c".into() }).unwrap();
    assert!(srv.volume().statfs().unwrap().bfree >= free, "the inode's blocks are freed with its last name");
    srv.shutdown().unwrap();
    assert_eq!(e2fsck(&disk.snapshot()).0, 0);
}

#[test]
fn users_cannot_pin_files_they_could_not_write() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut user = Client::new(&mut srv, USER);
    // Protected hard links (Linux's default): not the owner, cannot read
    // and write it: EPERM, before the policy is asked.
    assert_eq!(link(&mut user, &mut srv, "/etc/shadow", "/tmp/shadow"), Err(Errno::EPERM));
    assert_eq!(link(&mut user, &mut srv, "/etc/passwd", "/tmp/passwd"), Err(Errno::EPERM));
    assert_eq!(user.stat(&mut srv, "/tmp/shadow", false).err(), Some(Errno::ENOENT));
    // The policy: even the administrator cannot give a secret another
    // name (no `file link` on secret_t), nor a user link its own file
    // into a directory it may not add names to.
    let mut root = Client::new(&mut srv, ROOT);
    assert_eq!(link(&mut root, &mut srv, "/etc/shadow", "/tmp/shadow"), Err(Errno::EACCES));
    assert_eq!(link(&mut root, &mut srv, "/etc/motd", "/tmp/motd"), Ok(()));
    user.write_file(&mut srv, "/tmp/mine", b"x").unwrap();
    assert_eq!(link(&mut user, &mut srv, "/tmp/mine", "/etc/mine"), Err(Errno::EACCES));
    // ... nor give another user's file (the administrator's, mode 666) a
    // name: `link` is constrained to the user's own objects (ubac.pol).
    root.write_file(&mut srv, "/tmp/open", b"anyone").unwrap();
    root.ok(
        &mut srv,
        Request::SetAttr {
            target: Target::Path { path: "/tmp/open".into(), follow: false },
            attr: SetAttr { mode: Some(0o666), ..Default::default() },
        },
    )
    .unwrap();
    assert_eq!(link(&mut user, &mut srv, "/tmp/open", "/tmp/open2"), Err(Errno::EACCES));
}

#[test]
fn link_errors_are_linux_s() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut root = Client::new(&mut srv, ROOT);
    root.write_file(&mut srv, "/tmp/a", b"a").unwrap();
    root.write_file(&mut srv, "/tmp/b", b"b").unwrap();
    assert_eq!(link(&mut root, &mut srv, "/tmp/a", "/tmp/b"), Err(Errno::EEXIST));
    assert_eq!(link(&mut root, &mut srv, "/tmp/a", "/tmp/a"), Err(Errno::EEXIST));
    assert_eq!(link(&mut root, &mut srv, "/tmp", "/tmp2"), Err(Errno::EPERM), "no links to directories");
    assert_eq!(link(&mut root, &mut srv, "/tmp/none", "/tmp/c"), Err(Errno::ENOENT));
    assert_eq!(link(&mut root, &mut srv, "/tmp/a", "/nodir/c"), Err(Errno::ENOENT));
    assert_eq!(link(&mut root, &mut srv, "/tmp/a/x", "/tmp/c"), Err(errno::ENOTDIR));
    assert_eq!(link(&mut root, &mut srv, "", "/tmp/c"), Err(Errno::ENOENT));
    // A symbolic link is linked itself, not followed (link(2)).
    link(&mut root, &mut srv, "/etc/motd.link", "/tmp/l").unwrap();
    assert_eq!(root.stat(&mut srv, "/tmp/l", false).unwrap().kind, FileType::Symlink);
    // Still consistent.
    srv.shutdown().unwrap();
    let (code, out) = e2fsck(&disk.snapshot());
    assert_eq!(code, 0, "{out}");
}
