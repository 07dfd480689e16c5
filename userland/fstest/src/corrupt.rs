//! Corrupted disks (made by the host test) mounted beside the root: each
//! gives errors, the file server keeps serving the root, and the intact
//! parts of a damaged disk stay readable.
//!
//! The disks, in order (tests/tests/fs.rs makes them from one mke2fs
//! image holding `ok` (intact), `victim` (40,000 bytes) and `loop/inner`):
//! blk1 bad superblock magic, blk2 impossible block size, blk3 impossible
//! inode mode, blk4 extent pointing past the end of the disk, blk5 a
//! directory loop (`/loop/inner/up` is a second link to `/loop`), blk6
//! garbage over the victim's inode, blk7 garbage over `/loop`'s directory
//! block.

use alloc::format;
use alloc::string::String;
use rampart_fs_api::{PathArg, Request};
use rampart_libos::fs;

use crate::{Checks, e, raw};

const MOTD: &[u8] = b"Welcome to Rampart.\n";
const OK: &[u8] = b"intact file\n";

fn mount(dev: &str, at: &str) -> Result<(), rampart_libos::Error> {
    raw(&Request::Mount { device: dev.into(), path: PathArg::Inline(at.into()), read_only: false }).map(|_| ())
}

fn unmount(at: &str) -> Result<(), rampart_libos::Error> {
    raw(&Request::Unmount { path: PathArg::Inline(at.into()) }).map(|_| ())
}

fn fails<T>(r: Result<T, rampart_libos::Error>) -> Result<(), String> {
    match r {
        Ok(_) => Err(String::from("succeeded")),
        Err(err) => {
            rampart_libos::println!("fstest:      ({err})");
            Ok(())
        }
    }
}

fn reads(path: &str, want: &[u8]) -> Result<(), String> {
    match fs::read(path) {
        Ok(v) if v == want => Ok(()),
        Ok(v) => Err(format!("{} other bytes", v.len())),
        Err(err) => Err(format!("{err}")),
    }
}

/// Mounts blk1..=blkN in turn and checks each one's damage.
pub fn disks(c: &mut Checks, n: u32) {
    c.errno("mount of the root disk again: EBUSY", mount("blk0", "/tmp"), e::EBUSY);
    c.errno("mount of a device that does not exist", mount("blk99", "/tmp"), e::ENODEV);
    c.errno("mount on a file: ENOTDIR", mount("blk1", "/etc/motd"), e::ENOTDIR);
    for k in 1..=n {
        let at = format!("/tmp/m{k}");
        let _ = fs::create_dir(&at);
        let dev = format!("blk{k}");
        let mounted = mount(&dev, &at);
        match k {
            1 | 2 => c.check(&format!("{dev} (bad superblock) does not mount"), fails(mounted)),
            _ => {
                c.ok(&format!("{dev} mounts"), mounted);
                c.check(&format!("{dev}: the intact file reads"), reads(&format!("{at}/ok"), OK));
                damaged(c, k, &at);
            }
        }
        c.check(&format!("after {dev}: the root is still served"), reads("/etc/motd", MOTD));
    }
    for k in 3..=n {
        let at = format!("/tmp/m{k}");
        c.ok(&format!("unmount {at}"), unmount(&at));
    }
    if n >= 3 {
        c.ok("blk3 mounts again after its unmount", mount("blk3", "/tmp/m3"));
        c.errno("the same disk twice: EBUSY", mount("blk3", "/tmp/m4"), e::EBUSY);
        c.errno("unmount of a plain directory: EINVAL", unmount("/tmp"), e::EINVAL);
        c.ok("unmount blk3", unmount("/tmp/m3"));
    }
    c.check("the root is still writable", {
        fs::write("/tmp/after-corruption", b"still here\n")
            .map_err(|e| format!("{e}"))
            .and_then(|()| reads("/tmp/after-corruption", b"still here\n"))
    });
}

fn damaged(c: &mut Checks, k: u32, at: &str) {
    let victim = format!("{at}/victim");
    match k {
        3 => c.check("blk3: the impossible inode gives an error", fails(fs::read(&victim))),
        4 => {
            c.check("blk4: the out-of-range extent gives an error", fails(fs::read(&victim)));
            let w = fs::OpenOptions::new().write(true).open(&victim).and_then(|mut f| {
                use rampart_libos::io::Write;
                f.write_all(b"must not land outside the disk")
            });
            c.check("blk4: writing into it gives an error", fails(w));
        }
        5 => {
            let stat = |p: &str| rampart_libos::sys::with(|st| rampart_libos::sys::fsys::stat(st, Some(p), None, true));
            let deep = format!("{at}/loop{}", "/inner/up".repeat(400));
            c.check(
                "blk5: 800 steps around the directory loop reach a directory",
                match stat(&deep) {
                    Ok(s) if s.kind == rampart_fs_api::FileType::Dir => Ok(()),
                    other => Err(format!("{other:?}")),
                },
            );
            let deeper = format!("{at}/loop{}", "/inner/up/.".repeat(350));
            c.check(
                "blk5: more than 1024 steps around it: ELOOP",
                match stat(&deeper) {
                    Err(err) if err == e::ELOOP => Ok(()),
                    other => Err(format!("{other:?}")),
                },
            );
            let up = format!("{at}/loop/inner/up/inner/up/../../../../../ok");
            let r = stat(&up);
            c.check(
                "blk5: .. follows the walk, not the looped parent",
                match r {
                    Ok(s) if s.size == OK.len() as u64 => Ok(()),
                    other => Err(format!("{other:?}")),
                },
            );
            let r = rampart_libos::sys::with(|st| {
                rampart_libos::sys::fsys::two_paths(st, &format!("{at}/loop"), &format!("{at}/loop/inner/up/x"), false)
            });
            c.check(
                "blk5: renaming the loop into itself is refused",
                match r {
                    Err(err) if err == e::EINVAL => Ok(()),
                    other => Err(format!("{other:?}")),
                },
            );
        }
        6 => c.check("blk6: the garbled inode gives an error", fails(fs::read(&victim))),
        7 => {
            c.check("blk7: listing the garbled directory gives an error", fails(fs::read_dir(&format!("{at}/loop"))));
            c.check("blk7: creating in it gives an error", fails(fs::write(&format!("{at}/loop/new"), b"x")));
        }
        _ => {}
    }
}
