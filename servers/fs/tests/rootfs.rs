//! The root file system `images` builds: mounted by the server, labels
//! read from the disk, the compiled policy and sample files in place,
//! owners and modes, and the identity table the server reads from it.

mod common;

use common::Client;
use common::*;
use rampart_fs::{Config, MemDisk};
use rampart_fs_api::*;

fn build() -> Vec<u8> {
    let dir = scratch("rootfs");
    let opts = images::rootfs::RootfsOptions { size_mib: 32, ..Default::default() };
    images::rootfs::stage(&dir.join("staging"), &opts).unwrap();
    let img = dir.join("rootfs.ext4");
    images::rootfs::build_image(&dir.join("staging"), &img, &opts).unwrap();
    let bytes = std::fs::read(&img).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

#[test]
fn images_rootfs_is_served_with_stored_labels() {
    let bytes = build();
    assert!(debugfs(&bytes, "ea_get /secret/plans security.selinux").contains("secret_t"));

    let disk = MemDisk::new(bytes);
    let mut srv = rw_server(&disk, Config::default());
    let mut user = Client::new(&mut srv, USER);
    assert_eq!(user.read_file(&mut srv, "/etc/motd").unwrap(), b"Welcome to Rampart.\n");
    assert_eq!(user.read_file(&mut srv, "/home/user/hello.txt").unwrap(), b"Hello from the ext4 root file system.\n");
    assert_eq!(user.getcon(&mut srv, "/home/user/hello.txt").unwrap(), "user_u:object_r:user_home_t");
    assert_eq!(user.read_file(&mut srv, "/secret/plans"), Err(Errno::EACCES));
    let mut root = Client::new(&mut srv, ROOT);
    assert_eq!(root.getcon(&mut srv, "/etc/policy/policy.bin").unwrap(), "system_u:object_r:policy_file_t");
    // The policy on the disk is the one the server was given.
    let mut sec = Client::new(&mut srv, "system_u:system_r:secsrv_t");
    let bin = sec.read_file(&mut srv, "/etc/policy/policy.bin");
    assert_eq!(bin.map(|b| b.starts_with(b"RMPTPOL\0")), Err(Errno::EACCES), "secsrv_t cannot search root_t/etc_t");
    let bin = root.read_file(&mut srv, "/etc/policy/policy.bin").unwrap();
    assert!(rampart_policy::Policy::load(&bin).is_ok());
}

/// Owners and modes of the image, and the identity table on it: the user
/// is uid 1000 and may not enter `/root`; `/tmp` is sticky.
#[test]
fn images_rootfs_has_owners_modes_and_identities() {
    let disk = MemDisk::new(build());
    let mut srv = rw_server(&disk, Config { identities: rampart_fs::Identities::default(), ..Config::default() });
    let mut root = Client::new(&mut srv, ROOT);
    for (path, uid, mode) in [
        ("/", 0, 0o40755),
        ("/root", 0, 0o40700),
        ("/home", 0, 0o40755),
        ("/home/user", 1000, 0o40700),
        ("/home/user/hello.txt", 1000, 0o100644),
        ("/home/user/hello.link", 1000, 0o120777),
        ("/tmp", 0, 0o41777),
        ("/etc", 0, 0o40755),
        ("/etc/passwd", 0, 0o100644),
        ("/etc/identities", 0, 0o100644),
        ("/etc/policy/policy.bin", 0, 0o100644),
        ("/bin", 0, 0o40755),
        ("/var/log", 0, 0o40755),
    ] {
        let s = root.stat(&mut srv, path, false).unwrap();
        assert_eq!((s.uid, s.gid, s.mode), (uid, uid, mode), "{path}");
    }
    // sysadm_t may not getattr secret_t (the drop box): debugfs shows it.
    assert!(debugfs(&disk.snapshot(), "stat /etc/shadow").contains("Mode:  0600"));
    assert!(debugfs(&disk.snapshot(), "stat /secret/plans").contains("Mode:  0600"));
    // The configured table is empty: these ids come from /etc/identities.
    let mut user = Client::new(&mut srv, USER);
    match user.call(&mut srv, Request::Credentials) {
        Response::Credentials(c) => assert_eq!((c.uid, c.gid), (1000, 1000)),
        r => panic!("{r:?}"),
    }
    assert_eq!(user.list(&mut srv, "/root").unwrap_err(), Errno::EACCES);
    user.write_file(&mut srv, "/tmp/mine", b"x").unwrap();
    assert_eq!(user.stat(&mut srv, "/tmp/mine", false).unwrap().uid, 1000);
    assert_eq!(user.ok(&mut srv, Request::Unlink { path: "/tmp/mine".into() }), Ok(()));
    let passwd = root.read_file(&mut srv, "/etc/passwd").unwrap();
    assert_eq!(passwd, b"root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\n");
}
