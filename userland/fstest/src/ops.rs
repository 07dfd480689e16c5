//! Reads of what `mke2fs -d` wrote, the namespace operations, and the file
//! kept across a reboot.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use rampart_fs_api::Request;
use rampart_libos::fs::{self, File, OpenOptions};
use rampart_libos::io::{Read, Write};
use sha2::{Digest, Sha256};

use crate::{Checks, KEPT, KEPT_LEN, e, handle_of, pattern, raw};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `path`, read in the library's request size.
fn sha256_of(path: &str) -> Result<(String, usize), rampart_libos::Error> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = alloc::vec![0u8; 64 * 1024];
    let mut total = 0;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += n;
    }
    Ok((hex(&h.finalize()), total))
}

/// A file `mke2fs -d` put on the image has the checksum the host computed.
pub fn checksum(c: &mut Checks, path: &str, want: &str) {
    let r = match sha256_of(path) {
        Ok((got, n)) if got == want => {
            rampart_libos::println!("fstest: {path}: {n} bytes, sha256 {got}");
            Ok(())
        }
        Ok((got, n)) => Err(format!("{n} bytes, sha256 {got}, expected {want}")),
        Err(err) => Err(format!("{err}")),
    };
    c.check("sha256 of a file mke2fs put on the image", r);
}

fn fsync(f: &File) -> Result<(), rampart_libos::Error> {
    let handle = handle_of(f.as_raw_fd())?;
    raw(&Request::Fsync { handle }).map(|_| ())
}

fn expect_bytes(path: &str, want: &[u8]) -> Result<(), String> {
    match fs::read(path) {
        Ok(got) if got == want => Ok(()),
        Ok(got) => Err(format!("{} bytes differ from the {} expected", got.len(), want.len())),
        Err(err) => Err(format!("{err}")),
    }
}

fn names(dir: &str) -> Result<Vec<String>, String> {
    let mut v: Vec<String> =
        fs::read_dir(dir).map_err(|e| format!("{e}"))?.iter().map(|d| d.file_name().to_string()).collect();
    v.sort();
    Ok(v)
}

/// create, write, read, rename, unlink, mkdir, rmdir, symlink, truncate,
/// fsync, and their POSIX errors, in the user's home directory.
pub fn namespace(c: &mut Checks) {
    let d = "/home/user/ns";
    let _ = fs::remove_dir_all(d);
    c.ok("mkdir", fs::create_dir(d));
    c.errno("mkdir of an existing directory: EEXIST", fs::create_dir(d), e::EEXIST);
    let data = pattern(100_000, 1);
    c.check("create + write + read back 100,000 bytes", {
        fs::write("/home/user/ns/a", &data)
            .map_err(|e| format!("{e}"))
            .and_then(|()| expect_bytes("/home/user/ns/a", &data))
    });
    let excl = OpenOptions::new().write(true).create_new(true).open("/home/user/ns/a");
    c.errno("O_CREAT|O_EXCL on an existing file: EEXIST", excl.map(|_| ()), e::EEXIST);
    // Write in the middle, then read the whole file back.
    c.check("overwrite in the middle", {
        let r = OpenOptions::new().write(true).open("/home/user/ns/a").and_then(|mut f| {
            f.seek(fs::SeekFrom::Start(5000))?;
            f.write_all(b"MIDDLE")
        });
        let mut want = data.clone();
        want[5000..5006].copy_from_slice(b"MIDDLE");
        r.map_err(|e| format!("{e}")).and_then(|()| expect_bytes("/home/user/ns/a", &want))
    });
    c.check("append", {
        let r = OpenOptions::new().append(true).open("/home/user/ns/a").and_then(|mut f| f.write_all(b"END"));
        r.map_err(|e| format!("{e}")).and_then(|()| match fs::metadata("/home/user/ns/a") {
            Ok(m) if m.len() == 100_003 => Ok(()),
            Ok(m) => Err(format!("size {}", m.len())),
            Err(e) => Err(format!("{e}")),
        })
    });
    c.check("truncate shrinks, then grows with zeros", {
        let r = OpenOptions::new().write(true).open("/home/user/ns/a").and_then(|f| {
            f.set_len(10)?;
            f.set_len(20)
        });
        let mut want = data[..10].to_vec();
        want.extend_from_slice(&[0; 10]);
        r.map_err(|e| format!("{e}")).and_then(|()| expect_bytes("/home/user/ns/a", &want))
    });
    c.check("fsync", {
        let f = OpenOptions::new().write(true).open("/home/user/ns/a");
        f.and_then(|f| fsync(&f)).map_err(|e| format!("{e}"))
    });
    c.ok("rename", fs::rename("/home/user/ns/a", "/home/user/ns/b"));
    c.errno("old name is gone after rename: ENOENT", fs::metadata("/home/user/ns/a"), e::ENOENT);
    c.ok("mkdir a subdirectory", fs::create_dir("/home/user/ns/sub"));
    c.ok("rename into a subdirectory", fs::rename("/home/user/ns/b", "/home/user/ns/sub/c"));
    c.errno("rmdir of a non-empty directory: ENOTEMPTY", fs::remove_dir("/home/user/ns/sub"), e::ENOTEMPTY);
    c.errno(
        "rename a directory into itself: EINVAL",
        fs::rename("/home/user/ns/sub", "/home/user/ns/sub/x"),
        e::EINVAL,
    );
    c.ok("symlink", fs::symlink("sub/c", "/home/user/ns/link"));
    c.check(
        "readlink",
        match fs::read_link("/home/user/ns/link") {
            Ok(t) if t == "sub/c" => Ok(()),
            Ok(t) => Err(t),
            Err(e) => Err(format!("{e}")),
        },
    );
    let mut want = data[..10].to_vec();
    want.extend_from_slice(&[0; 10]);
    c.check("read through a relative symlink", expect_bytes("/home/user/ns/link", &want));
    c.check(
        "readdir lists the entries",
        match names(d) {
            Ok(v) if v == ["link", "sub"] => Ok(()),
            Ok(v) => Err(format!("{v:?}")),
            Err(e) => Err(e),
        },
    );
    // An unlinked file stays readable through an open handle.
    c.check("unlink while open: still readable, then gone", {
        let r = File::open("/home/user/ns/sub/c").and_then(|mut f| {
            fs::remove_file("/home/user/ns/sub/c")?;
            let mut v = Vec::new();
            f.read_to_end(&mut v)?;
            Ok(v)
        });
        match r {
            Ok(v) if v == want => match fs::metadata("/home/user/ns/sub/c") {
                Err(e) if e.errno() == e::ENOENT => Ok(()),
                other => Err(format!("after unlink: {other:?}")),
            },
            Ok(v) => Err(format!("read {} bytes", v.len())),
            Err(e) => Err(format!("{e}")),
        }
    });
    c.errno("unlink of a missing file: ENOENT", fs::remove_file("/home/user/ns/sub/c"), e::ENOENT);
    c.errno("unlink of a directory: EISDIR", fs::remove_file("/home/user/ns/sub"), e::EISDIR);
    c.errno("rmdir of a file: ENOTDIR", fs::remove_dir("/home/user/ns/link"), e::ENOTDIR);
    c.ok("unlink a symlink", fs::remove_file("/home/user/ns/link"));
    c.ok("rmdir", fs::remove_dir("/home/user/ns/sub"));
    c.ok("rmdir the test directory", fs::remove_dir(d));
    c.errno("the directory is gone: ENOENT", fs::metadata(d), e::ENOENT);
}

/// Writes [`KEPT`] and syncs it; the second boot reads it back.
pub fn keep_for_reboot(c: &mut Checks) {
    let r = File::create(KEPT).and_then(|mut f| {
        f.write_all(&pattern(KEPT_LEN, 7))?;
        fsync(&f)
    });
    c.ok("write the file kept across the reboot", r);
    let _ = fs::remove_file("/home/user/kept.renamed");
    c.ok("rename kept across the reboot", {
        fs::write("/home/user/kept.tmp", b"renamed before the reboot\n")
            .and_then(|()| fs::rename("/home/user/kept.tmp", "/home/user/kept.renamed"))
    });
}

/// After the reboot: the same bytes.
pub fn kept_after_reboot(c: &mut Checks) {
    c.check("after the reboot: the kept file has the same bytes", expect_bytes(KEPT, &pattern(KEPT_LEN, 7)));
    c.check(
        "after the reboot: the renamed file is there, the old name is not",
        expect_bytes("/home/user/kept.renamed", b"renamed before the reboot\n").and_then(|()| {
            match fs::metadata("/home/user/kept.tmp") {
                Err(e) if e.errno() == e::ENOENT => Ok(()),
                other => Err(format!("{other:?}")),
            }
        }),
    );
}
