//! Denials under the default policy (as `user_t`) and path tricks that must
//! never reach an object the policy denies.
//!
//! Path tricks go to the server through `rampart_libos::sys::fsys` with the
//! path exactly as written: the library's own calls normalise `..`
//! lexically first, which would hide what the server does with it.

use alloc::format;
use alloc::string::String;
use rampart_fs_api::OpenFlags;
use rampart_libos::fs::{self, File, OpenOptions};
use rampart_libos::io::Read;
use rampart_libos::sys::{Obj, fsys, with};
use rampart_libos::{Error, fs::Metadata};

use crate::{Checks, e};

const MOTD: &[u8] = b"Welcome to Rampart.\n";

/// Opens `path` for reading exactly as written; returns the contents.
fn raw_read(path: &str) -> Result<alloc::vec::Vec<u8>, Error> {
    let fd = with(|st| fsys::open(st, path, OpenFlags::RDONLY, 0).map(|h| st.install(Obj::Fs(h))))?;
    let mut f = File::from_raw_fd(fd);
    let mut v = alloc::vec::Vec::new();
    f.read_to_end(&mut v)?;
    Ok(v)
}

fn raw_stat(path: &str) -> Result<rampart_fs_api::Stat, Error> {
    with(|st| fsys::stat(st, Some(path), None, true)).map_err(Error::from)
}

fn is(got: Result<alloc::vec::Vec<u8>, Error>, want: &[u8]) -> Result<(), String> {
    match got {
        Ok(v) if v == want => Ok(()),
        Ok(v) => Err(format!("read {} other bytes", v.len())),
        Err(err) => Err(format!("{err}")),
    }
}

/// Reads and writes denied to the user: `EACCES` each time, by the
/// mandatory policy (the host test checks the audit records on the
/// console) or, first, by owners and modes (root's `/etc` and `/bin`:
/// no audit record, as on Linux); mounting needs uid 0 (`EPERM`).
pub fn denials(c: &mut Checks) {
    c.errno("read of the compiled policy: EACCES", fs::read("/etc/policy/policy.bin"), e::EACCES);
    c.errno("read of a secret_t file: EACCES", fs::read("/secret/plans"), e::EACCES);
    let w = OpenOptions::new().write(true).open("/etc/motd");
    c.errno("write open of /etc/motd: EACCES", w.map(|_| ()), e::EACCES);
    c.errno("create in /etc: EACCES", fs::write("/etc/new", b"x"), e::EACCES);
    c.errno("unlink in /etc: EACCES", fs::remove_file("/etc/motd"), e::EACCES);
    c.errno("rename out of /etc: EACCES", fs::rename("/etc/motd", "/tmp/motd"), e::EACCES);
    c.errno("mkdir in /bin: EACCES", fs::create_dir("/bin/x"), e::EACCES);
    let m = fs::metadata("/secret/plans").map(|m: Metadata| m.len());
    c.errno("stat of a secret_t file: EACCES", m, e::EACCES);
    let mount =
        crate::raw(&rampart_fs_api::Request::Mount { device: "blk1".into(), path: "/tmp".into(), read_only: true });
    c.errno("mount by a user: EPERM", mount, e::EPERM);
    c.check("the allowed file next to them still reads", is(fs::read("/etc/motd"), MOTD));
}

/// The administrator is denied reading the drop box (`secret_t`): the host
/// test then finds the record in the security server's audit trail
/// (`ausearch`).
pub fn admin_denial(c: &mut Checks) {
    c.errno("sysadm_t reading a secret_t file: EACCES", fs::read("/secret/plans"), e::EACCES);
}

/// `..` above `/`, symbolic links to denied objects (absolute, relative,
/// through a directory), loops, long names and paths.
pub fn path_tricks(c: &mut Checks) {
    c.check("/../../../etc/motd stays at / and reads /etc/motd", is(raw_read("/../../../etc/motd"), MOTD));
    c.errno("/../../../secret/plans: EACCES", raw_read("/../../../secret/plans"), e::EACCES);
    let p = "/home/user/../../etc/policy/policy.bin";
    c.errno("/home/user/../../etc/policy/policy.bin: EACCES", raw_read(p), e::EACCES);
    let p = "/home/user/./../user/../../../secret/plans";
    c.errno("dots and .. mixed towards a secret: EACCES", raw_read(p), e::EACCES);
    let d = "/home/user/tricks";
    let _ = fs::remove_dir_all(d);
    let _ = fs::create_dir(d);
    let links = [
        ("abs-secret", "/secret/plans"),
        ("rel-secret", "../../../secret/plans"),
        ("above-root-secret", "../../../../../../../../secret/plans"),
        ("policy-dir", "/etc/policy"),
        ("above-root-motd", "../../../../../../../../etc/motd"),
        ("loop-a", "loop-b"),
        ("loop-b", "loop-a"),
        ("self", "self"),
    ];
    for (name, target) in links {
        let r = fs::symlink(target, &format!("{d}/{name}"));
        c.ok(&format!("symlink {name} -> {target}"), r);
    }
    let at = |n: &str| format!("{d}/{n}");
    c.errno("symlink to a secret (absolute): EACCES", raw_read(&at("abs-secret")), e::EACCES);
    c.errno("symlink to a secret (relative): EACCES", raw_read(&at("rel-secret")), e::EACCES);
    c.errno("symlink climbing above / to a secret: EACCES", raw_read(&at("above-root-secret")), e::EACCES);
    c.errno("through a symlink to a denied directory: EACCES", raw_read(&at("policy-dir/policy.bin")), e::EACCES);
    c.check("a symlink climbing above / stops at /", is(raw_read(&at("above-root-motd")), MOTD));
    c.errno("symlink loop a -> b -> a: ELOOP", raw_read(&at("loop-a")), e::ELOOP);
    c.errno("symlink to itself: ELOOP", raw_stat(&at("self")), e::ELOOP);
    // A chain of 41 links is one more than SYMLOOP_MAX (40); 40 resolve.
    let mut made = true;
    for i in 0..41 {
        let target = if i == 40 { String::from("/etc/motd") } else { format!("chain{}", i + 1) };
        made &= fs::symlink(&target, &at(&format!("chain{i}"))).is_ok();
    }
    c.check("made a chain of 41 symlinks", if made { Ok(()) } else { Err("symlink failed".into()) });
    c.check("a chain of 40 symlinks resolves", is(raw_read(&at("chain1")), MOTD));
    c.errno("a chain of 41 symlinks: ELOOP", raw_read(&at("chain0")), e::ELOOP);
    let long = "n".repeat(256);
    c.errno("a 256-byte name: ENAMETOOLONG", fs::write(&at(&long), b"x"), e::ENAMETOOLONG);
    let ok = "n".repeat(255);
    c.check("a 255-byte name works", {
        fs::write(&at(&ok), b"x").and_then(|()| fs::remove_file(&at(&ok))).map_err(|e| format!("{e}"))
    });
    let p = format!("{}/{}", "/.".repeat(2100), "etc/motd");
    c.errno("a path over PATH_MAX (4096 bytes): ENAMETOOLONG", raw_read(&p), e::ENAMETOOLONG);
    let p = format!("{}/etc/motd", "/home/user/../..".repeat(230));
    c.check("a 3,689-byte path travels in the shared region", is(raw_read(&p), MOTD));
    let p = format!("{}/etc/motd", "/.".repeat(1100));
    c.errno("more than 1024 components: ELOOP", raw_read(&p), e::ELOOP);
    let p = format!("{}/secret/plans", "/home/user/../..".repeat(230));
    c.errno("a long path of .. towards a secret: EACCES", raw_read(&p), e::EACCES);
    let _ = fs::remove_dir_all(d);
}
