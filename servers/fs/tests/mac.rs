//! Mediation under the shipped TE policy: denials with audit records,
//! labels of new files (type transitions) across reboots, path tricks,
//! tokens and pipes. Every context is uid 0 here ([`mac_only`]), so the
//! mandatory policy alone decides (discretionary checks: `dac.rs`).

mod common;

use common::Client;
use common::*;
use rampart_fs::MemDisk;
use rampart_fs_api::*;

fn setup() -> (MemDisk, RwServer) {
    let disk = MemDisk::new(standard_image());
    let srv = rw_server(&disk, mac_only());
    (disk, srv)
}

#[test]
fn denials_return_eacces_and_audit() {
    let (_d, mut srv) = setup();
    let mut user = Client::new(&mut srv, USER);
    let mut httpd = Client::new(&mut srv, HTTPD);
    srv.mac.take_audit();
    // user_t may read /etc but not write it; the denial is audited.
    assert_eq!(user.read_file(&mut srv, "/etc/motd").unwrap(), b"Welcome to Rampart\n");
    assert_eq!(user.open(&mut srv, "/etc/motd", OpenFlags::WRONLY), Err(Errno::EACCES));
    assert_eq!(user.write_file(&mut srv, "/etc/new", b"x"), Err(Errno::EACCES));
    assert_eq!(user.ok(&mut srv, Request::Unlink { path: "/etc/passwd".into() }), Err(Errno::EACCES));
    let recs = srv.mac.take_audit();
    assert!(recs.len() >= 3 && recs.iter().all(|r| r.record.denied && r.record.enforced), "{recs:?}");
    // secret_t: denied to users (dontaudit'ed for user_t), audited for httpd_t.
    assert_eq!(user.read_file(&mut srv, "/etc/shadow"), Err(Errno::EACCES));
    assert!(srv.mac.take_audit().is_empty(), "dontaudit user_t secret_t : file read");
    assert_eq!(httpd.open(&mut srv, "/etc/shadow", OpenFlags::RDONLY), Err(Errno::EACCES));
    assert_eq!(httpd.open(&mut srv, "/etc/motd", OpenFlags::RDONLY), Err(Errno::EACCES), "httpd_t cannot search etc_t");
    assert!(!srv.mac.take_audit().is_empty());
    // /var is var_t and /var/www is httpd_content_t: httpd_t may read its
    // content but not change it.
    assert_eq!(httpd.read_file(&mut srv, "/var/www/index.html").unwrap(), b"<h1>hi</h1>\n");
    assert_eq!(user.getcon(&mut srv, "/var").unwrap(), "system_u:object_r:var_t");
    assert_eq!(httpd.write_file(&mut srv, "/var/www/index.html", b"defaced"), Err(Errno::EACCES));
    // Even sysadm cannot read the drop box, but may plant files in it.
    let mut root = Client::new(&mut srv, ROOT);
    assert_eq!(root.read_file(&mut srv, "/etc/shadow"), Err(Errno::EACCES));
    assert_eq!(root.stat(&mut srv, "/etc/shadow", true).err(), Some(Errno::EACCES));
    // Writes into /tmp are fine for users; getattr on their own files too.
    user.write_file(&mut srv, "/tmp/u", b"mine").unwrap();
    assert_eq!(user.getcon(&mut srv, "/tmp/u").unwrap(), "user_u:object_r:tmp_t");
    // Directory listing needs `read` on the directory.
    assert!(httpd.list(&mut srv, "/").is_ok(), "httpd_t may read root_t");
    assert_eq!(httpd.list(&mut srv, "/etc").unwrap_err(), Errno::EACCES);
    assert!(user.list(&mut srv, "/").unwrap().contains(&"etc".to_string()));
}

#[test]
fn new_files_get_transition_labels_that_survive_reboot() {
    let (disk, mut srv) = setup();
    let mut user = Client::new(&mut srv, USER);
    let mut root = Client::new(&mut srv, ROOT);
    // type_transition user_t home_t : file user_home_t
    user.write_file(&mut srv, "/home/mine", b"hello").unwrap();
    // type_transition sysadm_t etc_t : file secret_t "shadow" (named), and a
    // plain file in /etc inherits etc_t.
    root.ok(&mut srv, Request::Unlink { path: "/etc/shadow".into() }).unwrap();
    let h = root.open(&mut srv, "/etc/shadow", OpenFlags::WRONLY | OpenFlags::CREAT).unwrap();
    root.ok(&mut srv, Request::Close { handle: h }).unwrap();
    root.write_file(&mut srv, "/etc/plain", b"p").unwrap();
    // Renamed files keep their label (it was stored on first modification).
    root.ok(&mut srv, Request::Rename { from: "/etc/passwd".into(), to: "/tmp/passwd".into() }).unwrap();
    let before: Vec<String> = ["/home/mine", "/etc/shadow", "/etc/plain", "/tmp/passwd"]
        .iter()
        .map(|p| root.getcon(&mut srv, p).unwrap_or_else(|e| format!("{e:?}")))
        .collect();
    assert_eq!(before[0], "user_u:object_r:user_home_t");
    assert_eq!(before[1], "Errno(EACCES)".replace("Errno(", "").replace(')', "(13)"), "sysadm cannot getattr secret_t");
    assert_eq!(before[2], "root:object_r:etc_t");
    assert_eq!(before[3], "system_u:object_r:etc_t");
    drop(srv);
    let mut srv = rw_server(&MemDisk::new(disk.snapshot()), mac_only());
    let mut root = Client::new(&mut srv, ROOT);
    let after: Vec<String> = ["/home/mine", "/etc/shadow", "/etc/plain", "/tmp/passwd"]
        .iter()
        .map(|p| root.getcon(&mut srv, p).unwrap_or_else(|e| format!("{e:?}")))
        .collect();
    assert_eq!(before, after);
    let ea = debugfs(&replayed(&disk.snapshot()), "ea_get /etc/shadow security.selinux");
    assert!(ea.contains("secret_t"), "{ea}");
    let mut user = Client::new(&mut srv, USER);
    assert_eq!(user.read_file(&mut srv, "/home/mine").unwrap(), b"hello");
}

#[test]
fn path_tricks_never_reach_denied_objects() {
    let (_d, mut srv) = setup();
    let mut user = Client::new(&mut srv, USER);
    // Users may create symlinks in /tmp (protected symlinks and the
    // user-identity constraints keep them from being traps for others:
    // dac.rs); the administrator plants these (the same traps for the walk).
    assert_eq!(user.ok(&mut srv, Request::Symlink { target: "x".into(), link: "/tmp/x".into() }), Ok(()));
    let mut root = Client::new(&mut srv, ROOT);
    let mut ln = |t: &str, l: &str| {
        let r = Request::Symlink { target: t.into(), link: l.into() };
        root.ok(&mut srv, r).unwrap();
    };
    ln("/etc/shadow", "/tmp/s");
    ln("../etc/./../etc/shadow", "/tmp/s2");
    ln("/secret", "/tmp/sec");
    ln("/tmp/loop", "/tmp/loop");
    ln("b", "/tmp/a");
    ln("a", "/tmp/b");
    for i in 1..=41 {
        ln(&format!("c{}", i - 1), &format!("/tmp/c{i}"));
    }
    for p in ["/tmp/s", "/tmp/s2", "/etc/shadow.link", "/tmp/../etc/shadow", "/tmp/./../../../etc//shadow"] {
        assert_eq!(user.read_file(&mut srv, p), Err(Errno::EACCES), "{p}");
        // The administrator may follow the links, and still not read.
        assert_eq!(root.read_file(&mut srv, p), Err(Errno::EACCES), "{p}");
    }
    assert_eq!(root.read_file(&mut srv, "/etc/motd.link").unwrap(), b"Welcome to Rampart\n");
    // Through a directory the user cannot search.
    assert_eq!(user.read_file(&mut srv, "/secret/plans"), Err(Errno::EACCES));
    assert_eq!(user.read_file(&mut srv, "/tmp/sec/plans"), Err(Errno::EACCES));
    assert_eq!(
        user.read_file(&mut srv, "/tmp/sec/../etc/motd"),
        Err(Errno::EACCES),
        "`..` of /secret needs search on it"
    );
    // `..` never climbs above the root.
    assert_eq!(user.read_file(&mut srv, "/../../../etc/motd").unwrap(), b"Welcome to Rampart\n");
    // Loops: a self-loop, a two-link cycle, and a chain of exactly 40 / 41.
    assert_eq!(user.read_file(&mut srv, "/tmp/loop"), Err(errno::ELOOP));
    assert_eq!(root.read_file(&mut srv, "/tmp/loop"), Err(errno::ELOOP));
    assert_eq!(root.read_file(&mut srv, "/tmp/a"), Err(errno::ELOOP));
    root.write_file(&mut srv, "/tmp/c0", b"end").unwrap();
    assert_eq!(root.read_file(&mut srv, "/tmp/c40").unwrap(), b"end");
    assert_eq!(root.read_file(&mut srv, "/tmp/c41"), Err(errno::ELOOP));
    // Long names and paths.
    let long = format!("/tmp/{}", "n".repeat(256));
    assert_eq!(user.write_file(&mut srv, &long, b""), Err(errno::ENAMETOOLONG));
    let deep = format!("/tmp{}", "/x".repeat(2100));
    let b = deep.as_bytes();
    user.region[..b.len()].copy_from_slice(b);
    let r = user.call(
        &mut srv,
        Request::Open { path: PathArg::Shared { offset: 0, len: b.len() as u32 }, flags: OpenFlags::RDONLY, mode: 0 },
    );
    assert_eq!(r, Response::Err(errno::ENAMETOOLONG));
    let dots = format!("/{}etc/motd", "./".repeat(1100));
    let b = dots.as_bytes();
    user.region[..b.len()].copy_from_slice(b);
    let r = user.call(
        &mut srv,
        Request::Open { path: PathArg::Shared { offset: 0, len: b.len() as u32 }, flags: OpenFlags::RDONLY, mode: 0 },
    );
    assert_eq!(r, Response::Err(errno::ELOOP), "component cap");
    // Renaming a denied file into reach is itself denied.
    assert_eq!(
        user.ok(&mut srv, Request::Rename { from: "/etc/shadow".into(), to: "/tmp/mine".into() }),
        Err(Errno::EACCES)
    );
}

#[test]
fn tokens_carry_handles_between_connections() {
    let (_d, mut srv) = setup();
    let mut root = Client::new(&mut srv, ROOT);
    let mut user = Client::new(&mut srv, USER);
    // A handle to a file the receiver may read: adopted, offset kept.
    let h = root.open(&mut srv, "/etc/motd", OpenFlags::RDONLY).unwrap();
    root.call(&mut srv, Request::Seek { handle: h, offset: 11, whence: Whence::Set });
    let Response::Token(t) = root.call(&mut srv, Request::ShareHandle { handle: h }) else { panic!() };
    let Response::Handle(uh) = user.call_badge(&mut srv, Request::AdoptToken, Some(t)) else { panic!() };
    assert_eq!(
        user.call(&mut srv, Request::Read { handle: uh, offset: None, region_offset: 0, len: 100 }),
        Response::Len(8)
    );
    assert_eq!(&user.region[..8], b"Rampart\n");
    // Single use.
    assert_eq!(user.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Err(Errno::EBADF));
    assert_eq!(user.call(&mut srv, Request::AdoptToken), Response::Err(Errno::EINVAL));
    // A writable handle to /etc: the receiver lacks `write` on etc_t.
    let w = root.open(&mut srv, "/etc/passwd", OpenFlags::WRONLY).unwrap();
    let Response::Token(t2) = root.call(&mut srv, Request::ShareHandle { handle: w }) else { panic!() };
    assert_eq!(user.call_badge(&mut srv, Request::AdoptToken, Some(t2)), Response::Err(Errno::EACCES));
    // Void when the issuer closes the handle.
    let Response::Token(t3) = root.call(&mut srv, Request::ShareHandle { handle: h }) else { panic!() };
    root.ok(&mut srv, Request::Close { handle: h }).unwrap();
    assert_eq!(user.call_badge(&mut srv, Request::AdoptToken, Some(t3)), Response::Err(Errno::EBADF));
    // Handles are per connection.
    assert_eq!(user.call(&mut srv, Request::Close { handle: w }), Response::Err(Errno::EBADF));
}

#[test]
fn pipes() {
    let (_d, mut srv) = setup();
    let mut a = Client::new(&mut srv, USER);
    let mut b = Client::new(&mut srv, USER);
    let Response::Pipe { read, write } = a.call(&mut srv, Request::Pipe) else { panic!() };
    // Empty with a writer: EAGAIN (the guest server defers the reply).
    assert_eq!(
        a.call(&mut srv, Request::Read { handle: read, offset: None, region_offset: 0, len: 10 }),
        Response::Err(Errno::EAGAIN)
    );
    a.region[..5].copy_from_slice(b"hello");
    assert_eq!(
        a.call(&mut srv, Request::Write { handle: write, offset: None, region_offset: 0, len: 5 }),
        Response::Len(5)
    );
    // The read end goes to another task (a shell pipeline).
    let Response::Token(t) = a.call(&mut srv, Request::ShareHandle { handle: read }) else { panic!() };
    let Response::Handle(br) = b.call_badge(&mut srv, Request::AdoptToken, Some(t)) else { panic!() };
    a.ok(&mut srv, Request::Close { handle: read }).unwrap();
    assert_eq!(
        b.call(&mut srv, Request::Read { handle: br, offset: None, region_offset: 0, len: 3 }),
        Response::Len(3)
    );
    assert_eq!(&b.region[..3], b"hel");
    assert_eq!(
        b.call(&mut srv, Request::Seek { handle: br, offset: 0, whence: Whence::Set }),
        Response::Err(errno::ESPIPE)
    );
    match b.call(&mut srv, Request::Stat { target: Target::Handle(br) }) {
        Response::Stat(s) => assert_eq!((s.kind, s.size), (FileType::Fifo, 2)),
        r => panic!("{r:?}"),
    }
    // Full pipe: partial write, then EAGAIN.
    let big = vec![7u8; 70_000];
    a.region[..big.len()].copy_from_slice(&big);
    assert_eq!(
        a.call(&mut srv, Request::Write { handle: write, offset: None, region_offset: 0, len: 70_000 }),
        Response::Len(65_534)
    );
    assert_eq!(
        a.call(&mut srv, Request::Write { handle: write, offset: None, region_offset: 0, len: 1 }),
        Response::Err(Errno::EAGAIN)
    );
    // All writers closed: drain, then EOF.
    a.ok(&mut srv, Request::Close { handle: write }).unwrap();
    let mut got = 0;
    loop {
        match b.call(&mut srv, Request::Read { handle: br, offset: None, region_offset: 0, len: 65536 }) {
            Response::Len(0) => break,
            Response::Len(n) => got += n,
            r => panic!("{r:?}"),
        }
    }
    assert_eq!(got, 65_536);
    // No readers: EPIPE.
    let Response::Pipe { read, write } = a.call(&mut srv, Request::Pipe) else { panic!() };
    a.ok(&mut srv, Request::Close { handle: read }).unwrap();
    assert_eq!(
        a.call(&mut srv, Request::Write { handle: write, offset: None, region_offset: 0, len: 1 }),
        Response::Err(errno::EPIPE)
    );
    // Disconnect closes everything.
    srv.disconnect(a.conn);
    assert_eq!(a.call(&mut srv, Request::Sync), Response::Err(Errno::EBADF));
}

/// The policy's user-identity constraints (`base/ubac.pol`) hold whatever
/// the discretionary checks say (every context is uid 0 here): `user_u`
/// may not read root's home, nor change or remove root's files in `/tmp`,
/// though it reads them and keeps full use of its own.
#[test]
fn user_identity_constraints_hold_even_for_uid_0() {
    let img = mkimage(&[("root/notes", Node::File(b"root's notes\n")), ("tmp", Node::Dir)], 16);
    let mut srv = rw_server(&MemDisk::new(img), mac_only());
    let mut user = Client::new(&mut srv, USER);
    let mut root = Client::new(&mut srv, ROOT);
    root.write_file(&mut srv, "/tmp/rootfile", b"root's").unwrap();
    assert_eq!(root.getcon(&mut srv, "/tmp/rootfile").unwrap(), "root:object_r:tmp_t");
    srv.mac.take_audit();
    assert_eq!(user.read_file(&mut srv, "/root/notes"), Err(Errno::EACCES));
    assert_eq!(user.list(&mut srv, "/root").unwrap_err(), Errno::EACCES);
    assert!(!srv.mac.take_audit().is_empty(), "the denials are audited");
    assert_eq!(user.read_file(&mut srv, "/tmp/rootfile").unwrap(), b"root's");
    assert_eq!(user.open(&mut srv, "/tmp/rootfile", OpenFlags::WRONLY), Err(Errno::EACCES));
    assert_eq!(user.ok(&mut srv, Request::Unlink { path: "/tmp/rootfile".into() }), Err(Errno::EACCES));
    let replace = Request::Rename { from: "/tmp/mine".into(), to: "/tmp/rootfile".into() };
    user.write_file(&mut srv, "/tmp/mine", b"mine").unwrap();
    assert_eq!(user.ok(&mut srv, replace), Err(Errno::EACCES));
    assert_eq!(user.ok(&mut srv, Request::Unlink { path: "/tmp/mine".into() }), Ok(()));
    assert_eq!(root.read_file(&mut srv, "/root/notes").unwrap(), b"root's notes\n");
}

/// Pipes carry their creator's context (`fifo_file`): an end handed to a
/// process of another domain is adopted only if the policy lets that
/// domain read or write the creator's pipes.
#[test]
fn pipes_across_domains_follow_the_policy() {
    let (_d, mut srv) = setup();
    let mut admin = Client::new(&mut srv, ROOT);
    let mut tool = Client::new(&mut srv, "root:sysadm_r:policytool_t");
    let mut user = Client::new(&mut srv, USER);
    let mut web = Client::new(&mut srv, HTTPD);
    let Response::Pipe { read, write } = admin.call(&mut srv, Request::Pipe) else { panic!() };
    let share = |c: &mut Client, srv: &mut RwServer, h| match c.call(srv, Request::ShareHandle { handle: h }) {
        Response::Token(t) => t,
        r => panic!("{r:?}"),
    };
    // `polc ... | grep` the other way round: the tool writes, the shell reads.
    let t = share(&mut admin, &mut srv, write);
    assert!(matches!(tool.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Handle(_)));
    // An ordinary user's process gets neither end of the administrator's pipe.
    let t = share(&mut admin, &mut srv, read);
    assert_eq!(user.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Err(Errno::EACCES));
    let t = share(&mut admin, &mut srv, write);
    assert_eq!(user.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Err(Errno::EACCES));
    // The web server may write into it (its log) but not read from it.
    let t = share(&mut admin, &mut srv, write);
    assert!(matches!(web.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Handle(_)));
    let t = share(&mut admin, &mut srv, read);
    assert_eq!(web.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Err(Errno::EACCES));
    // Within one domain, as before.
    let Response::Pipe { read: ur, .. } = user.call(&mut srv, Request::Pipe) else { panic!() };
    let mut user2 = Client::new(&mut srv, USER);
    let t = share(&mut user, &mut srv, ur);
    assert!(matches!(user2.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Handle(_)));
}

/// Under `mls`, a pipe carries its creator's level: a process at *secret*
/// hands nothing down through a pipe (an unclassified reader cannot adopt
/// its read end, nor can it adopt an unclassified write end), while
/// reading down and writing up are allowed.
#[test]
fn mls_pipes_follow_the_lattice() {
    let disk = MemDisk::new(standard_image());
    let vol = rampart_fs::RwVolume::mount(disk.clone(), clock()).unwrap();
    let mut srv = rampart_fs::FileServer::new(vol, rampart_fs::LocalPolicy(policy_model("mls")), mac_only()).unwrap();
    let mut secret = Client::new(&mut srv, "user_u:user_r:user_t:s2");
    let mut low = Client::new(&mut srv, "user_u:user_r:user_t:s0");
    let share = |c: &mut Client, srv: &mut RwServer, h| match c.call(srv, Request::ShareHandle { handle: h }) {
        Response::Token(t) => t,
        r => panic!("{r:?}"),
    };
    let adopt = |c: &mut Client, srv: &mut RwServer, t| c.call_badge(srv, Request::AdoptToken, Some(t));
    let Response::Pipe { read: sr, write: sw } = secret.call(&mut srv, Request::Pipe) else { panic!() };
    let Response::Pipe { read: lr, write: lw } = low.call(&mut srv, Request::Pipe) else { panic!() };
    // Down: refused both ways a secret writer could reach a low reader.
    let t = share(&mut secret, &mut srv, sr);
    assert_eq!(adopt(&mut low, &mut srv, t), Response::Err(Errno::EACCES), "low reads a secret pipe");
    let t = share(&mut low, &mut srv, lw);
    assert_eq!(adopt(&mut secret, &mut srv, t), Response::Err(Errno::EACCES), "secret writes a low pipe");
    // Up: allowed.
    let t = share(&mut secret, &mut srv, sw);
    assert!(matches!(adopt(&mut low, &mut srv, t), Response::Handle(_)), "low writes up");
    let t = share(&mut low, &mut srv, lr);
    assert!(matches!(adopt(&mut secret, &mut srv, t), Response::Handle(_)), "secret reads down");
}
