//! Test support: images made with the host's e2fsprogs, the shipped TE
//! policy, and a client that talks to the server through the encoded
//! protocol.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use rampart_fs::{Config, ConnId, FileServer, LocalPolicy, MemDisk, RoVolume, RwVolume, Volume, WallClock};
use rampart_fs_api::*;
use rampart_policy::{ModelRegistry, Policy};

pub const ROOT: &str = "root:sysadm_r:sysadm_t";
pub const USER: &str = "user_u:user_r:user_t";
pub const HTTPD: &str = "system_u:system_r:httpd_t";

/// Region size of every test connection.
pub const REGION: usize = 1 << 20;

pub fn clock() -> WallClock {
    WallClock(|| 1_800_000_000)
}

/// A fresh scratch directory.
pub fn scratch(tag: &str) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "rampart-fs-{}-{}-{tag}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Content of a staged file.
pub enum Node<'a> {
    File(&'a [u8]),
    Dir,
    Link(&'a str),
}

/// `mke2fs -t ext4 -b 4096 -d STAGING` of `size_mib` MiB; returns the bytes.
/// Every staged object belongs to uid 0 and gid 0 whoever runs the tests
/// (`mke2fs -d` copies the staging's owners), with the staging's modes.
pub fn mkimage(entries: &[(&str, Node)], size_mib: u32) -> Vec<u8> {
    let dir = scratch("img");
    let stage = dir.join("stage");
    std::fs::create_dir_all(&stage).unwrap();
    for (path, n) in entries {
        let p = stage.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        match n {
            Node::File(b) => std::fs::write(&p, b).unwrap(),
            Node::Dir => std::fs::create_dir_all(&p).unwrap(),
            Node::Link(t) => std::os::unix::fs::symlink(t, &p).unwrap(),
        }
    }
    let img = dir.join("disk.img");
    let out = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-b", "4096", "-d"])
        .arg(&stage)
        .arg(&img)
        .arg(format!("{size_mib}M"))
        .output()
        .expect("mke2fs (e2fsprogs) must be installed");
    assert!(out.status.success(), "mke2fs: {}", String::from_utf8_lossy(&out.stderr));
    let mut bytes = std::fs::read(&img).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut paths = std::collections::BTreeSet::from([String::from("/")]);
    for (path, _) in entries {
        let mut p = String::new();
        for c in path.split('/').filter(|c| !c.is_empty()) {
            p = format!("{p}/{c}");
            paths.insert(p.clone());
        }
    }
    let owners: Vec<(&str, u32, u32, Option<u32>)> = paths.iter().map(|p| (p.as_str(), 0, 0, None)).collect();
    set_owners(&mut bytes, &owners);
    bytes
}

/// Sets owner, group and (if given, full) mode of objects of image
/// `bytes`: `(path, uid, gid, mode)`.
pub fn set_owners(bytes: &mut Vec<u8>, objects: &[(&str, u32, u32, Option<u32>)]) {
    let mut script = String::new();
    for (path, uid, gid, mode) in objects {
        script += &format!("sif \"{path}\" uid {uid}\nsif \"{path}\" gid {gid}\n");
        if let Some(m) = mode {
            script += &format!("sif \"{path}\" mode 0{m:o}\n");
        }
    }
    debugfs_write(bytes, &script);
}

/// uid of `user_u` in the built-in identity table.
pub const USER_UID: u32 = 1000;

/// The standard test tree: /etc, /tmp, /home, /secret, /bin with files;
/// everything belongs to root except `/home/alice` (uid and gid 1000,
/// `user_u`'s), and `/tmp` is `1777`.
pub fn standard_image() -> Vec<u8> {
    let mut img = mkimage(
        &[
            ("etc/motd", Node::File(b"Welcome to Rampart\n")),
            ("etc/passwd", Node::File(b"root:x:0:0:root:/root:/bin/sh\n")),
            ("etc/shadow", Node::File(b"root:secret-hash\n")),
            ("bin/prog", Node::File(&pattern(300_000, 7))),
            ("tmp", Node::Dir),
            ("home/alice/notes.txt", Node::File(b"alice's notes\n")),
            ("var/www/index.html", Node::File(b"<h1>hi</h1>\n")),
            ("secret/plans", Node::File(b"top secret\n")),
            ("etc/motd.link", Node::Link("motd")),
            ("etc/shadow.link", Node::Link("/etc/shadow")),
        ],
        32,
    );
    set_owners(
        &mut img,
        &[
            ("/tmp", 0, 0, Some(0o41777)),
            ("/home/alice", USER_UID, USER_UID, Some(0o40755)),
            ("/home/alice/notes.txt", USER_UID, USER_UID, None),
        ],
    );
    img
}

/// A configuration in which every context of the tests is uid 0, so
/// discretionary checks never decide: for tests of the mandatory policy
/// alone.
pub fn mac_only() -> Config {
    let mut ids = rampart_fs::Identities::builtin();
    ids.insert("user_u", rampart_fs::Cred::new(0, 0));
    Config { identities: ids, identity_file: None, ..Config::default() }
}

/// Deterministic bytes.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u32).wrapping_mul(2_654_435_761).rotate_left(u32::from(seed) % 31) as u8 ^ seed).collect()
}

/// The shipped TE policy.
pub fn policy() -> Policy {
    policy_model("te")
}

/// The shipped policy with model `model` (`te`, `allow-all`, ...).
pub fn policy_model(model: &str) -> Policy {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy/modules");
    let inputs = [root.join("base"), root.join("assertions"), root.join(model)];
    let files = policy_compiler::expand_inputs(&inputs).unwrap();
    let out = policy_compiler::compile_files(&files).unwrap_or_else(|_| panic!("shipped policy compiles"));
    Policy::from_db(out.db, &ModelRegistry::builtin()).unwrap()
}

pub type RwServer = FileServer<RwVolume<MemDisk>, LocalPolicy>;
pub type RoServer = FileServer<RoVolume, LocalPolicy>;

pub fn rw_server(disk: &MemDisk, cfg: Config) -> RwServer {
    FileServer::new(RwVolume::mount(disk.clone(), clock()).expect("mount rw"), LocalPolicy(policy()), cfg).unwrap()
}

pub fn ro_server(disk: &MemDisk) -> RoServer {
    FileServer::new(RoVolume::mount(disk.clone()).expect("mount ro"), LocalPolicy(policy()), Config::default()).unwrap()
}

/// A client connection with its shared region.
pub struct Client {
    pub conn: ConnId,
    pub region: Vec<u8>,
}

impl Client {
    pub fn new<V: Volume>(srv: &mut FileServer<V, LocalPolicy>, context: &str) -> Client {
        let sid = srv.mac.om.sec.0.context_to_sid(context).unwrap().0;
        Client { conn: srv.connect(sid), region: vec![0; REGION] }
    }

    /// Sends `r` through the encoded protocol.
    pub fn call<V: Volume>(&mut self, srv: &mut FileServer<V, LocalPolicy>, r: Request) -> Response {
        self.call_badge(srv, r, None)
    }

    pub fn call_badge<V: Volume>(
        &mut self,
        srv: &mut FileServer<V, LocalPolicy>,
        r: Request,
        badge: Option<u64>,
    ) -> Response {
        let req = decode_request(&encode_request(&r).unwrap()).unwrap();
        let resp = srv.handle(self.conn, req, &mut self.region, badge);
        decode_response(&encode_response(&resp).unwrap()).unwrap()
    }

    pub fn open<V: Volume>(
        &mut self,
        srv: &mut FileServer<V, LocalPolicy>,
        path: &str,
        flags: OpenFlags,
    ) -> Result<Handle, Errno> {
        match self.call(srv, Request::Open { path: path.into(), flags, mode: 0o644 }) {
            Response::Handle(h) => Ok(h),
            Response::Err(e) => Err(e),
            r => panic!("unexpected {r:?}"),
        }
    }

    /// Reads the whole file at `path` in 64 KiB requests.
    pub fn read_file<V: Volume>(&mut self, srv: &mut FileServer<V, LocalPolicy>, path: &str) -> Result<Vec<u8>, Errno> {
        let h = self.open(srv, path, OpenFlags::RDONLY)?;
        let mut out = Vec::new();
        loop {
            match self.call(srv, Request::Read { handle: h, offset: None, region_offset: 0, len: 65536 }) {
                Response::Len(0) => break,
                Response::Len(n) => out.extend_from_slice(&self.region[..n as usize]),
                Response::Err(e) => return Err(e),
                r => panic!("unexpected {r:?}"),
            }
        }
        assert_eq!(self.call(srv, Request::Close { handle: h }), Response::Ok);
        Ok(out)
    }

    /// Creates or truncates `path` and writes `data`.
    pub fn write_file<V: Volume>(
        &mut self,
        srv: &mut FileServer<V, LocalPolicy>,
        path: &str,
        data: &[u8],
    ) -> Result<(), Errno> {
        let h = self.open(srv, path, OpenFlags::WRONLY | OpenFlags::CREAT | OpenFlags::TRUNC)?;
        for chunk in data.chunks(REGION) {
            self.region[..chunk.len()].copy_from_slice(chunk);
            match self.call(srv, Request::Write { handle: h, offset: None, region_offset: 0, len: chunk.len() as u32 })
            {
                Response::Len(n) => assert_eq!(n as usize, chunk.len()),
                Response::Err(e) => return Err(e),
                r => panic!("unexpected {r:?}"),
            }
        }
        assert_eq!(self.call(srv, Request::Close { handle: h }), Response::Ok);
        Ok(())
    }

    /// Every name in directory `path` (including `.` and `..`).
    pub fn list<V: Volume>(&mut self, srv: &mut FileServer<V, LocalPolicy>, path: &str) -> Result<Vec<String>, Errno> {
        let h = self.open(srv, path, OpenFlags::RDONLY | OpenFlags::DIRECTORY)?;
        let mut names = Vec::new();
        loop {
            match self.call(srv, Request::ReadDir { handle: h, region_offset: 0, len: 512 }) {
                Response::Len(0) => break,
                Response::Len(n) => names.extend(
                    dirent::Dirents::new(&self.region[..n as usize])
                        .map(|d| String::from_utf8_lossy(d.name).into_owned()),
                ),
                Response::Err(e) => return Err(e),
                r => panic!("unexpected {r:?}"),
            }
        }
        self.call(srv, Request::Close { handle: h });
        names.sort();
        Ok(names)
    }

    pub fn stat<V: Volume>(
        &mut self,
        srv: &mut FileServer<V, LocalPolicy>,
        path: &str,
        follow: bool,
    ) -> Result<Stat, Errno> {
        match self.call(srv, Request::Stat { target: Target::Path { path: path.into(), follow } }) {
            Response::Stat(s) => Ok(s),
            Response::Err(e) => Err(e),
            r => panic!("unexpected {r:?}"),
        }
    }

    pub fn getcon<V: Volume>(&mut self, srv: &mut FileServer<V, LocalPolicy>, path: &str) -> Result<String, Errno> {
        match self.call(srv, Request::GetCon { target: Target::Path { path: path.into(), follow: false } }) {
            Response::Context(s) => Ok(s),
            Response::Err(e) => Err(e),
            r => panic!("unexpected {r:?}"),
        }
    }

    /// `Ok` / `Err(errno)` of a request answered with `Ok`.
    pub fn ok<V: Volume>(&mut self, srv: &mut FileServer<V, LocalPolicy>, r: Request) -> Result<(), Errno> {
        match self.call(srv, r) {
            Response::Ok => Ok(()),
            Response::Err(e) => Err(e),
            r => panic!("unexpected {r:?}"),
        }
    }
}

/// Writes `bytes` to a scratch file and runs `e2fsck -fn`; returns (exit
/// code, output).
pub fn e2fsck(bytes: &[u8]) -> (i32, String) {
    let dir = scratch("fsck");
    let img = dir.join("check.img");
    std::fs::write(&img, bytes).unwrap();
    let out = Command::new("e2fsck").arg("-fn").arg(&img).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.code().unwrap_or(-1),
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
    )
}

/// Runs a debugfs request (read-only) on `bytes`.
pub fn debugfs(bytes: &[u8], request: &str) -> String {
    let dir = scratch("debugfs");
    let img = dir.join("d.img");
    std::fs::write(&img, bytes).unwrap();
    let out = Command::new("debugfs").args(["-R", request]).arg(&img).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs debugfs write requests (`-w -f script`) on `bytes` in place.
pub fn debugfs_write(bytes: &mut Vec<u8>, script: &str) {
    let dir = scratch("debugfs-w");
    let img = dir.join("d.img");
    std::fs::write(&img, &*bytes).unwrap();
    std::fs::write(dir.join("script"), script).unwrap();
    let out = Command::new("debugfs").arg("-w").arg("-f").arg(dir.join("script")).arg(&img).output().unwrap();
    assert!(out.status.success(), "debugfs: {}", String::from_utf8_lossy(&out.stderr));
    *bytes = std::fs::read(&img).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Replays the journal (`e2fsck -E journal_only -y`, what a mount does
/// after a crash), then `e2fsck -fn`; returns (exit code, output).
pub fn e2fsck_replayed(bytes: &[u8]) -> (i32, String) {
    let dir = scratch("replay");
    let img = dir.join("r.img");
    std::fs::write(&img, bytes).unwrap();
    let _ = Command::new("e2fsck").args(["-E", "journal_only", "-y"]).arg(&img).output().unwrap();
    let out = Command::new("e2fsck").arg("-fn").arg(&img).output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The bytes after journal replay (`e2fsck -E journal_only -y`), for
/// tools that read home locations only (debugfs).
pub fn replayed(bytes: &[u8]) -> Vec<u8> {
    let dir = scratch("replayed");
    let img = dir.join("r.img");
    std::fs::write(&img, bytes).unwrap();
    let _ = Command::new("e2fsck").args(["-E", "journal_only", "-y"]).arg(&img).output().unwrap();
    let out = std::fs::read(&img).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out
}
