//! The root file system `images` builds: mounted by the server, labels
//! read from the disk, the compiled policy and sample files in place.

mod common;

use common::*;
use rampart_fs::{Config, MemDisk};
use rampart_fs_api::*;

#[test]
fn images_rootfs_is_served_with_stored_labels() {
    let dir = scratch("rootfs");
    let opts = images::rootfs::RootfsOptions { size_mib: 32, ..Default::default() };
    images::rootfs::stage(&dir.join("staging"), &opts).unwrap();
    let img = dir.join("rootfs.ext4");
    images::rootfs::build_image(&dir.join("staging"), &img, &opts).unwrap();
    let bytes = std::fs::read(&img).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
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
