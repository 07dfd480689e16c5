//! Discretionary access control (docs/storage.md §6): identities from the
//! table, owners of new objects, mode bits on every operation, uid 0's
//! override, sticky directories, protected symlinks, chmod/chown/utimes
//! and exec, each with the errno Linux gives.
//!
//! The server runs the shipped policy with the `allow-all` model, so the
//! discretionary rules alone decide (one test checks that uid 0 still
//! obeys the `te` model). Identities: `root` is uid 0, `user_u` ("alice")
//! uid 1000 with supplementary group 100, `system_u` ("bob") uid 1001.

mod common;

use common::Client;
use common::*;
use rampart_fs::{Config, Cred, FileServer, Identities, LocalPolicy, MemDisk, RwVolume};
use rampart_fs_api::*;

const ALICE: &str = "user_u:user_r:user_t";
const BOB: &str = "system_u:system_r:httpd_t";
const ADMIN: &str = ROOT;
const EXEC: OpenFlags = OpenFlags(OpenFlags::EXEC.0);

type Srv = FileServer<RwVolume<MemDisk>, LocalPolicy>;

fn table() -> Identities {
    let mut t = Identities::default();
    t.insert("root", Cred::new(0, 0));
    let mut alice = Cred::new(1000, 1000);
    alice.add_group(100).unwrap();
    t.insert("user_u", alice);
    t.insert("system_u", Cred::new(1001, 1001));
    t
}

/// The standard image plus `/root` (0700), a `/shared` directory anyone
/// may write (not sticky) and programs with various modes.
fn image() -> Vec<u8> {
    let mut img = mkimage(
        &[
            ("etc/motd", Node::File(b"Welcome\n")),
            ("root/secret.txt", Node::File(b"root's\n")),
            ("tmp", Node::Dir),
            ("shared/d/inner", Node::File(b"i\n")),
            ("shared/sub", Node::Dir),
            ("home/alice/notes.txt", Node::File(b"alice's notes\n")),
            ("bin/prog", Node::File(b"\x7fELF")),
            ("bin/data", Node::File(b"data")),
            ("bin/xonly", Node::File(b"\x7fELF")),
            ("bin/uxonly", Node::File(b"\x7fELF")),
        ],
        16,
    );
    set_owners(
        &mut img,
        &[
            ("/root", 0, 0, Some(0o40700)),
            ("/root/secret.txt", 0, 0, Some(0o100600)),
            ("/tmp", 0, 0, Some(0o41777)),
            ("/shared", 0, 0, Some(0o40777)),
            ("/shared/d", 0, 0, Some(0o40755)),
            ("/home/alice", 1000, 1000, Some(0o40700)),
            ("/home/alice/notes.txt", 1000, 1000, Some(0o100644)),
            ("/bin/prog", 0, 0, Some(0o100755)),
            ("/bin/data", 0, 0, Some(0o100644)),
            ("/bin/xonly", 0, 0, Some(0o100711)),
            ("/bin/uxonly", 0, 0, Some(0o100744)),
        ],
    );
    img
}

fn server_on(disk: &MemDisk, cfg: Config) -> Srv {
    let vol = RwVolume::mount(disk.clone(), clock()).unwrap();
    FileServer::new(vol, LocalPolicy(policy_model("allow-all")), cfg).unwrap()
}

fn setup() -> (MemDisk, Srv, Client, Client, Client) {
    let disk = MemDisk::new(image());
    let mut srv = server_on(&disk, Config { identities: table(), ..Config::default() });
    let (a, b, r) = (Client::new(&mut srv, ALICE), Client::new(&mut srv, BOB), Client::new(&mut srv, ADMIN));
    (disk, srv, a, b, r)
}

fn creds(c: &mut Client, srv: &mut Srv) -> Credentials {
    match c.call(srv, Request::Credentials) {
        Response::Credentials(x) => x,
        r => panic!("unexpected {r:?}"),
    }
}

fn open_mode(c: &mut Client, srv: &mut Srv, path: &str, flags: OpenFlags, mode: u32) -> Result<Handle, Errno> {
    match c.call(srv, Request::Open { path: path.into(), flags, mode }) {
        Response::Handle(h) => {
            c.ok(srv, Request::Close { handle: h }).unwrap();
            Ok(h)
        }
        Response::Err(e) => Err(e),
        r => panic!("unexpected {r:?}"),
    }
}

fn setattr(c: &mut Client, srv: &mut Srv, path: &str, attr: SetAttr) -> Result<(), Errno> {
    c.ok(srv, Request::SetAttr { target: Target::Path { path: path.into(), follow: false }, attr })
}

fn chmod(c: &mut Client, srv: &mut Srv, path: &str, mode: u32) -> Result<(), Errno> {
    setattr(c, srv, path, SetAttr { mode: Some(mode), ..Default::default() })
}

fn chown(c: &mut Client, srv: &mut Srv, path: &str, uid: Option<u32>, gid: Option<u32>) -> Result<(), Errno> {
    setattr(c, srv, path, SetAttr { uid, gid, ..Default::default() })
}

fn owner(c: &mut Client, srv: &mut Srv, path: &str) -> (u32, u32, u32) {
    let s = c.stat(srv, path, false).unwrap();
    (s.uid, s.gid, s.mode & 0o7777)
}

fn rename(c: &mut Client, srv: &mut Srv, from: &str, to: &str) -> Result<(), Errno> {
    c.ok(srv, Request::Rename { from: from.into(), to: to.into() })
}

fn unlink(c: &mut Client, srv: &mut Srv, path: &str) -> Result<(), Errno> {
    c.ok(srv, Request::Unlink { path: path.into() })
}

fn symlink(c: &mut Client, srv: &mut Srv, target: &str, link: &str) -> Result<(), Errno> {
    c.ok(srv, Request::Symlink { target: target.into(), link: link.into() })
}

#[test]
fn identities_come_from_the_trusted_table() {
    let (_d, mut srv, mut a, mut b, mut r) = setup();
    assert_eq!(creds(&mut a, &mut srv), Credentials { uid: 1000, gid: 1000, groups: vec![100] });
    assert_eq!(creds(&mut b, &mut srv).uid, 1001);
    assert_eq!(creds(&mut r, &mut srv).uid, 0);
    // The table on the disk wins over the configured one once it exists,
    // is owned by root and is not writable by others.
    r.write_file(&mut srv, "/etc/identities", b"# comment\nuser_u:2000:3000:7, 8\nbad line\nroot:0:0:\n").unwrap();
    let mut a2 = Client::new(&mut srv, ALICE);
    assert_eq!(creds(&mut a2, &mut srv), Credentials { uid: 2000, gid: 3000, groups: vec![7, 8] });
    assert_eq!(creds(&mut a, &mut srv).uid, 1000, "a connection keeps the identity it was made with");
    let mut b2 = Client::new(&mut srv, BOB);
    assert_eq!(creds(&mut b2, &mut srv).uid, 65534, "a user the table does not name is nobody");
    // A table others may write, or that belongs to someone else, or in a
    // directory others may write, is not trusted: the configured table is
    // used instead.
    for (path, uid, mode) in
        [("/etc/identities", 0, 0o100666), ("/etc/identities", 1000, 0o100644), ("/etc", 0, 0o40777)]
    {
        let disk = MemDisk::new(image());
        let mut srv = server_on(&disk, Config { identities: table(), ..Config::default() });
        let mut r = Client::new(&mut srv, ADMIN);
        r.write_file(&mut srv, "/etc/identities", b"user_u:0:0:\n").unwrap();
        let mut a = Client::new(&mut srv, ALICE);
        assert_eq!(creds(&mut a, &mut srv).uid, 0, "trusted table");
        r.ok(
            &mut srv,
            Request::SetAttr {
                target: Target::Path { path: path.into(), follow: false },
                attr: SetAttr { uid: Some(uid), mode: Some(mode & 0o7777), ..Default::default() },
            },
        )
        .unwrap();
        let mut a = Client::new(&mut srv, ALICE);
        assert_eq!(creds(&mut a, &mut srv).uid, 1000, "{path} uid {uid} mode {mode:o} is not trusted");
    }
    // A symbolic link is not followed to a table.
    symlink(&mut r, &mut srv, "/tmp/ids", "/etc/identities.tmp").unwrap();
    rename(&mut r, &mut srv, "/etc/identities.tmp", "/etc/identities").unwrap();
    r.write_file(&mut srv, "/tmp/ids", b"user_u:0:0:\n").unwrap();
    let mut a3 = Client::new(&mut srv, ALICE);
    assert_eq!(creds(&mut a3, &mut srv).uid, 1000);
}

#[test]
fn new_objects_belong_to_their_creator() {
    let (_d, mut srv, mut a, _b, mut r) = setup();
    a.write_file(&mut srv, "/tmp/a", b"x").unwrap();
    a.ok(&mut srv, Request::Mkdir { path: "/tmp/ad".into(), mode: 0o750 }).unwrap();
    symlink(&mut a, &mut srv, "a", "/tmp/al").unwrap();
    assert_eq!(owner(&mut a, &mut srv, "/tmp/a"), (1000, 1000, 0o644));
    assert_eq!(owner(&mut a, &mut srv, "/tmp/ad"), (1000, 1000, 0o750));
    assert_eq!(owner(&mut a, &mut srv, "/tmp/al"), (1000, 1000, 0o777));
    // A set-group-id directory gives its group; subdirectories inherit it.
    r.ok(&mut srv, Request::Mkdir { path: "/tmp/proj".into(), mode: 0o777 }).unwrap();
    chown(&mut r, &mut srv, "/tmp/proj", None, Some(50)).unwrap();
    chmod(&mut r, &mut srv, "/tmp/proj", 0o2777).unwrap();
    a.write_file(&mut srv, "/tmp/proj/f", b"x").unwrap();
    a.ok(&mut srv, Request::Mkdir { path: "/tmp/proj/sub".into(), mode: 0o755 }).unwrap();
    assert_eq!(owner(&mut a, &mut srv, "/tmp/proj/f"), (1000, 50, 0o644));
    assert_eq!(owner(&mut a, &mut srv, "/tmp/proj/sub"), (1000, 50, 0o2755));
    // A file created with no permission at all is still open for its creator.
    assert!(open_mode(&mut a, &mut srv, "/tmp/none", OpenFlags::WRONLY | OpenFlags::CREAT, 0).is_ok());
    assert_eq!(open_mode(&mut a, &mut srv, "/tmp/none", OpenFlags::WRONLY, 0), Err(Errno::EACCES));
}

#[test]
fn mode_bits_decide_and_uid_0_overrides_read_and_write() {
    let (_d, mut srv, mut a, mut b, mut r) = setup();
    // /root is 0700: others cannot search or list it; root can.
    assert_eq!(a.read_file(&mut srv, "/root/secret.txt"), Err(Errno::EACCES));
    assert_eq!(a.stat(&mut srv, "/root/secret.txt", true).unwrap_err(), Errno::EACCES);
    assert_eq!(a.list(&mut srv, "/root").unwrap_err(), Errno::EACCES);
    assert_eq!(r.read_file(&mut srv, "/root/secret.txt").unwrap(), b"root's\n");
    // Alice's home (0700): Bob can neither read nor replace her files.
    assert_eq!(b.read_file(&mut srv, "/home/alice/notes.txt"), Err(Errno::EACCES));
    assert_eq!(b.write_file(&mut srv, "/home/alice/notes.txt", b"x"), Err(Errno::EACCES));
    // Owner, group and other bits: the first class that matches decides.
    a.write_file(&mut srv, "/tmp/f", b"data").unwrap();
    chmod(&mut a, &mut srv, "/tmp/f", 0o077).unwrap();
    assert_eq!(a.read_file(&mut srv, "/tmp/f"), Err(Errno::EACCES), "the owner class has no bits");
    assert_eq!(b.read_file(&mut srv, "/tmp/f").unwrap(), b"data", "others may");
    chmod(&mut a, &mut srv, "/tmp/f", 0o640).unwrap();
    chown(&mut a, &mut srv, "/tmp/f", None, Some(100)).unwrap();
    assert_eq!(b.read_file(&mut srv, "/tmp/f"), Err(Errno::EACCES), "Bob is not in group 100");
    assert_eq!(b.open(&mut srv, "/tmp/f", OpenFlags::RDWR), Err(Errno::EACCES));
    chmod(&mut a, &mut srv, "/tmp/f", 0o644).unwrap();
    assert!(b.open(&mut srv, "/tmp/f", OpenFlags::RDONLY).is_ok());
    assert_eq!(b.open(&mut srv, "/tmp/f", OpenFlags::RDONLY | OpenFlags::TRUNC), Err(Errno::EACCES));
    // uid 0 reads and writes whatever the bits say.
    chmod(&mut a, &mut srv, "/tmp/f", 0).unwrap();
    assert_eq!(r.read_file(&mut srv, "/tmp/f").unwrap(), b"data");
    r.write_file(&mut srv, "/tmp/f", b"root wrote").unwrap();
    // Truncating by path needs write permission.
    let t = |p: &str| Request::Truncate { target: Target::Path { path: p.into(), follow: true }, size: 0 };
    assert_eq!(b.ok(&mut srv, t("/tmp/f")), Err(Errno::EACCES));
    assert_eq!(r.ok(&mut srv, t("/tmp/f")), Ok(()));
    // A directory one may search but not read: names inside still open.
    r.ok(&mut srv, Request::Mkdir { path: "/tmp/drop".into(), mode: 0o711 }).unwrap();
    r.write_file(&mut srv, "/tmp/drop/known", b"k").unwrap();
    assert_eq!(a.list(&mut srv, "/tmp/drop").unwrap_err(), Errno::EACCES);
    assert_eq!(a.read_file(&mut srv, "/tmp/drop/known").unwrap(), b"k");
}

#[test]
fn creating_and_removing_need_write_and_search_on_the_directory() {
    let (_d, mut srv, mut a, _b, mut r) = setup();
    assert_eq!(a.write_file(&mut srv, "/etc/new", b"x"), Err(Errno::EACCES));
    assert_eq!(a.ok(&mut srv, Request::Mkdir { path: "/etc/d".into(), mode: 0o755 }), Err(Errno::EACCES));
    assert_eq!(symlink(&mut a, &mut srv, "motd", "/etc/l"), Err(Errno::EACCES));
    assert_eq!(unlink(&mut a, &mut srv, "/etc/motd"), Err(Errno::EACCES));
    assert_eq!(a.ok(&mut srv, Request::Rmdir { path: "/shared/sub".into() }), Ok(()), "/shared is 0777");
    assert_eq!(rename(&mut a, &mut srv, "/etc/motd", "/tmp/motd"), Err(Errno::EACCES));
    a.write_file(&mut srv, "/tmp/mine", b"m").unwrap();
    assert_eq!(rename(&mut a, &mut srv, "/tmp/mine", "/etc/mine"), Err(Errno::EACCES));
    // Moving a directory to another parent rewrites its `..`: it must be
    // writable; within the same parent it need not be.
    r.ok(&mut srv, Request::Mkdir { path: "/shared/sub".into(), mode: 0o777 }).unwrap();
    assert_eq!(rename(&mut a, &mut srv, "/shared/d", "/shared/sub/d"), Err(Errno::EACCES));
    assert_eq!(rename(&mut a, &mut srv, "/shared/d", "/shared/e"), Ok(()));
    // Not sticky: anyone who may write /shared removes root's entries.
    assert_eq!(unlink(&mut a, &mut srv, "/shared/e/inner"), Err(Errno::EACCES), "/shared/e is 0755");
    r.write_file(&mut srv, "/shared/rootfile", b"r").unwrap();
    assert_eq!(unlink(&mut a, &mut srv, "/shared/rootfile"), Ok(()));
}

#[test]
fn sticky_directories_protect_other_users_entries() {
    let (_d, mut srv, mut a, mut b, mut r) = setup();
    b.write_file(&mut srv, "/tmp/bobs", b"bob's").unwrap();
    chmod(&mut b, &mut srv, "/tmp/bobs", 0o666).unwrap();
    a.write_file(&mut srv, "/tmp/alices", b"alice's").unwrap();
    // Alice may write Bob's 0666 file but not remove or replace its name.
    a.write_file(&mut srv, "/tmp/bobs", b"edited").unwrap();
    assert_eq!(unlink(&mut a, &mut srv, "/tmp/bobs"), Err(Errno::EPERM));
    assert_eq!(rename(&mut a, &mut srv, "/tmp/alices", "/tmp/bobs"), Err(Errno::EPERM));
    assert_eq!(rename(&mut a, &mut srv, "/tmp/bobs", "/tmp/stolen"), Err(Errno::EPERM));
    b.ok(&mut srv, Request::Mkdir { path: "/tmp/bobdir".into(), mode: 0o777 }).unwrap();
    assert_eq!(a.ok(&mut srv, Request::Rmdir { path: "/tmp/bobdir".into() }), Err(Errno::EPERM));
    // Her own entries are hers to remove; root (and the directory's owner,
    // root here) may remove anyone's.
    assert_eq!(rename(&mut a, &mut srv, "/tmp/alices", "/tmp/renamed"), Ok(()));
    assert_eq!(unlink(&mut a, &mut srv, "/tmp/renamed"), Ok(()));
    assert_eq!(unlink(&mut r, &mut srv, "/tmp/bobs"), Ok(()));
    // A sticky directory Bob owns: he removes Alice's entries in it.
    b.ok(&mut srv, Request::Mkdir { path: "/tmp/bobtmp".into(), mode: 0o777 }).unwrap();
    chmod(&mut b, &mut srv, "/tmp/bobtmp", 0o1777).unwrap();
    a.write_file(&mut srv, "/tmp/bobtmp/a", b"a").unwrap();
    assert_eq!(unlink(&mut b, &mut srv, "/tmp/bobtmp/a"), Ok(()));
}

#[test]
fn protected_symlinks_in_sticky_world_writable_directories() {
    let (_d, mut srv, mut a, mut b, mut r) = setup();
    // Alice plants links for the administrator.
    symlink(&mut a, &mut srv, "/root/secret.txt", "/tmp/trap").unwrap();
    symlink(&mut a, &mut srv, "/root", "/tmp/dirtrap").unwrap();
    assert_eq!(r.read_file(&mut srv, "/tmp/trap"), Err(Errno::EACCES), "uid 0 is not exempt");
    assert_eq!(r.read_file(&mut srv, "/tmp/dirtrap/secret.txt"), Err(Errno::EACCES), "nor in the middle");
    assert_eq!(r.write_file(&mut srv, "/tmp/trap", b"x"), Err(Errno::EACCES), "O_CREAT follows too");
    assert_eq!(r.stat(&mut srv, "/tmp/trap", true).unwrap_err(), Errno::EACCES);
    // The link itself is still visible, and its owner follows it.
    assert_eq!(r.stat(&mut srv, "/tmp/trap", false).unwrap().uid, 1000);
    symlink(&mut a, &mut srv, "/home/alice/notes.txt", "/tmp/mine").unwrap();
    assert_eq!(a.read_file(&mut srv, "/tmp/mine").unwrap(), b"alice's notes\n");
    // Nor does Alice follow Bob's.
    symlink(&mut b, &mut srv, "/etc/motd", "/tmp/bobs").unwrap();
    assert_eq!(a.read_file(&mut srv, "/tmp/bobs"), Err(Errno::EACCES));
    assert_eq!(a.read_file(&mut srv, "/tmp/mine").unwrap(), b"alice's notes\n");
    // A link owned by the directory's owner is followed by everyone.
    symlink(&mut r, &mut srv, "/etc/motd", "/tmp/motd").unwrap();
    assert_eq!(a.read_file(&mut srv, "/tmp/motd").unwrap(), b"Welcome\n");
    // Outside sticky world-writable directories links are followed.
    symlink(&mut a, &mut srv, "/etc/motd", "/shared/motd").unwrap();
    assert_eq!(r.read_file(&mut srv, "/shared/motd").unwrap(), b"Welcome\n");
}

#[test]
fn chmod_chown_and_times_belong_to_the_owner_and_uid_0() {
    let (_d, mut srv, mut a, mut b, mut r) = setup();
    a.write_file(&mut srv, "/tmp/f", b"x").unwrap();
    let times = SetAttr { mtime: Some(Timespec { sec: 5, nsec: 0 }), ..Default::default() };
    assert_eq!(chmod(&mut b, &mut srv, "/tmp/f", 0o777), Err(Errno::EPERM));
    assert_eq!(setattr(&mut b, &mut srv, "/tmp/f", times), Err(Errno::EPERM));
    assert_eq!(chown(&mut b, &mut srv, "/tmp/f", Some(1001), None), Err(Errno::EPERM));
    assert_eq!(chown(&mut b, &mut srv, "/tmp/f", None, Some(1001)), Err(Errno::EPERM));
    assert_eq!(chmod(&mut a, &mut srv, "/tmp/f", 0o600), Ok(()));
    assert_eq!(setattr(&mut a, &mut srv, "/tmp/f", times), Ok(()));
    // The owner cannot give a file away, but may change its group to one
    // of hers; -1 leaves an id unchanged.
    assert_eq!(chown(&mut a, &mut srv, "/tmp/f", Some(0), None), Err(Errno::EPERM));
    assert_eq!(chown(&mut a, &mut srv, "/tmp/f", Some(1000), Some(100)), Ok(()));
    assert_eq!(chown(&mut a, &mut srv, "/tmp/f", None, Some(1001)), Err(Errno::EPERM));
    assert_eq!(chown(&mut a, &mut srv, "/tmp/f", Some(u32::MAX), Some(u32::MAX)), Ok(()));
    assert_eq!(owner(&mut a, &mut srv, "/tmp/f"), (1000, 100, 0o600));
    // Setting the set-group-id bit on a file of a group one is not in
    // drops it.
    chown(&mut r, &mut srv, "/tmp/f", None, Some(1001)).unwrap();
    chmod(&mut a, &mut srv, "/tmp/f", 0o2755).unwrap();
    assert_eq!(owner(&mut a, &mut srv, "/tmp/f").2, 0o755);
    // uid 0 does all of it; a change of owner clears set-id bits.
    chmod(&mut r, &mut srv, "/tmp/f", 0o6755).unwrap();
    assert_eq!(chown(&mut r, &mut srv, "/tmp/f", Some(1001), Some(1001)), Ok(()));
    assert_eq!(owner(&mut r, &mut srv, "/tmp/f"), (1001, 1001, 0o755));
    assert_eq!(setattr(&mut r, &mut srv, "/tmp/f", times), Ok(()));
}

#[test]
fn exec_needs_read_and_an_execute_bit() {
    let (_d, mut srv, mut a, _b, mut r) = setup();
    let x = EXEC | OpenFlags::RDONLY;
    assert!(open_mode(&mut a, &mut srv, "/bin/prog", x, 0).is_ok());
    assert_eq!(open_mode(&mut a, &mut srv, "/bin/data", x, 0), Err(Errno::EACCES));
    assert_eq!(open_mode(&mut a, &mut srv, "/bin/xonly", x, 0), Err(Errno::EACCES), "the image travels through us");
    assert_eq!(open_mode(&mut a, &mut srv, "/bin/uxonly", x, 0), Err(Errno::EACCES), "only the owner may run it");
    assert_eq!(open_mode(&mut a, &mut srv, "/bin", x, 0), Err(Errno::EACCES));
    assert_eq!(open_mode(&mut a, &mut srv, "/bin/prog", EXEC | OpenFlags::WRONLY, 0), Err(Errno::EACCES));
    // uid 0 needs an execute bit somewhere.
    assert_eq!(open_mode(&mut r, &mut srv, "/bin/data", x, 0), Err(Errno::EACCES));
    assert!(open_mode(&mut r, &mut srv, "/bin/uxonly", x, 0).is_ok());
    assert!(open_mode(&mut r, &mut srv, "/bin/xonly", x, 0).is_ok());
}

/// uid 0 overrides discretionary checks only: under the shipped `te`
/// policy the administrator still cannot read the drop box.
#[test]
fn uid_0_does_not_override_the_mandatory_policy() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, Config::default());
    let mut r = Client::new(&mut srv, ADMIN);
    assert_eq!(creds(&mut r, &mut srv).uid, 0);
    assert_eq!(r.read_file(&mut srv, "/secret/plans"), Err(Errno::EACCES));
    let mut u = Client::new(&mut srv, ALICE);
    assert_eq!(creds(&mut u, &mut srv).uid, USER_UID);
    assert_eq!(u.write_file(&mut srv, "/etc/motd", b"x"), Err(Errno::EACCES));
}
