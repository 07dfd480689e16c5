//! `/dev` under the shipped policies (docs/storage.md §11,
//! policy/modules/base/devnodes.pol): each node's label from the file
//! contexts, the object manager's checks on every open, read and write,
//! discretionary modes (`/dev/console` is root's, 0600), the terminal
//! nodes answered with `ENXIO` after their checks, handles passed to
//! other domains, and `/dev/null` usable at every level under `mls` and
//! `biba`.

mod common;

use common::Client;
use common::*;
use rampart_fs::{Config, DevFs, FileServer, LocalPolicy, MemDisk, RwVolume};
use rampart_fs_api::*;

fn image() -> Vec<u8> {
    mkimage(&[("dev", Node::Dir), ("tmp", Node::Dir), ("etc/motd", Node::File(b"hi\n"))], 16)
}

/// A server under policy `model` serving `/dev`.
fn server(model: &str, cfg: Config) -> RwServer {
    let vol = RwVolume::mount(MemDisk::new(image()), clock()).unwrap();
    let mut srv = FileServer::new(vol, LocalPolicy(policy_model(model)), cfg).unwrap();
    srv.serve_devices(DevFs::new([9; 32], None, clock())).unwrap();
    srv
}

const W_CREAT_TRUNC: OpenFlags = OpenFlags(OpenFlags::WRONLY.0 | OpenFlags::CREAT.0 | OpenFlags::TRUNC.0);

#[test]
fn every_node_has_its_own_type() {
    let mut srv = server("te", Config::default());
    let mut c = Client::new(&mut srv, USER);
    for (node, ty) in [
        ("/dev", "device_t"),
        ("/dev/null", "null_device_t"),
        ("/dev/zero", "null_device_t"),
        ("/dev/full", "null_device_t"),
        ("/dev/random", "random_device_t"),
        ("/dev/urandom", "random_device_t"),
        ("/dev/tty", "tty_device_t"),
        ("/dev/console", "console_device_t"),
    ] {
        assert_eq!(c.getcon(&mut srv, node).unwrap(), format!("system_u:object_r:{ty}"), "{node}");
    }
    let mut srv = server("mls", Config::default());
    let mut c = Client::new(&mut srv, "user_u:user_r:user_t:s0");
    assert_eq!(c.getcon(&mut srv, "/dev/null").unwrap(), "system_u:object_r:null_device_t:s0");
}

#[test]
fn users_and_the_administrator_use_null_zero_full_and_read_random() {
    let mut srv = server("te", Config::default());
    for ctx in [USER, ROOT] {
        let mut c = Client::new(&mut srv, ctx);
        for node in ["/dev/null", "/dev/zero", "/dev/full"] {
            for flags in [OpenFlags::RDONLY, OpenFlags::RDWR, W_CREAT_TRUNC, OpenFlags::WRONLY | OpenFlags::APPEND] {
                assert!(c.open(&mut srv, node, flags).is_ok(), "{ctx} {node} {flags:?}");
            }
            assert!(c.stat(&mut srv, node, true).is_ok());
        }
        for node in ["/dev/random", "/dev/urandom"] {
            assert!(c.open(&mut srv, node, OpenFlags::RDONLY).is_ok(), "{ctx} {node}");
        }
    }
    // Denials are the object manager's: audited, EACCES.
    let mut u = Client::new(&mut srv, USER);
    srv.mac.take_audit();
    assert_eq!(u.open(&mut srv, "/dev/urandom", OpenFlags::WRONLY), Err(Errno::EACCES));
    assert!(!srv.mac.take_audit().is_empty(), "the denial is audited");
    assert_eq!(u.ok(&mut srv, Request::Unlink { path: "/dev/null".into() }), Err(Errno::EACCES));
}

#[test]
fn a_domain_without_rules_is_refused_and_handles_are_checked_on_adoption() {
    let mut srv = server("te", Config::default());
    // The web server has no business reading /dev/null, nor walking into
    // /dev for it, but may discard output into a handle it is given.
    let mut web = Client::new(&mut srv, HTTPD);
    assert_eq!(web.open(&mut srv, "/dev/null", OpenFlags::RDONLY), Err(Errno::EACCES));
    assert!(web.open(&mut srv, "/dev/urandom", OpenFlags::RDONLY).is_ok());
    let mut admin = Client::new(&mut srv, ROOT);
    let w = admin.open(&mut srv, "/dev/null", W_CREAT_TRUNC).unwrap();
    let r = admin.open(&mut srv, "/dev/null", OpenFlags::RDONLY).unwrap();
    let Response::Token(tw) = admin.call(&mut srv, Request::ShareHandle { handle: w }) else { panic!("share") };
    let Response::Token(tr) = admin.call(&mut srv, Request::ShareHandle { handle: r }) else { panic!("share") };
    let Response::Handle(h) = web.call_badge(&mut srv, Request::AdoptToken, Some(tw)) else {
        panic!("adopt write end")
    };
    web.region[..3].copy_from_slice(b"log");
    let wr = Request::Write { handle: h, offset: None, region_offset: 0, len: 3 };
    assert_eq!(web.call(&mut srv, wr), Response::Len(3));
    assert_eq!(web.call_badge(&mut srv, Request::AdoptToken, Some(tr)), Response::Err(Errno::EACCES));
    // A user adopts both.
    let Response::Token(t) = admin.call(&mut srv, Request::ShareHandle { handle: r }) else { panic!("share") };
    let mut u = Client::new(&mut srv, USER);
    assert!(matches!(u.call_badge(&mut srv, Request::AdoptToken, Some(t)), Response::Handle(_)));
}

#[test]
fn the_terminal_nodes_are_checked_then_left_to_the_console() {
    let mut srv = server("te", Config::default());
    let mut u = Client::new(&mut srv, USER);
    // /dev/tty: allowed by mode and policy, served elsewhere: ENXIO tells
    // the library OS to open the terminal at the console server.
    assert_eq!(u.open(&mut srv, "/dev/tty", OpenFlags::RDWR), Err(errno::ENXIO));
    assert_eq!(u.open(&mut srv, "/dev/tty", W_CREAT_TRUNC), Err(errno::ENXIO));
    // /dev/console: root's, 0600 — the mode bits refuse a user first.
    assert_eq!(u.open(&mut srv, "/dev/console", OpenFlags::RDWR), Err(Errno::EACCES));
    assert_eq!(u.stat(&mut srv, "/dev/console", true).unwrap().mode, 0o020600);
    let mut a = Client::new(&mut srv, ROOT);
    assert_eq!(a.open(&mut srv, "/dev/console", OpenFlags::RDWR), Err(errno::ENXIO));
    // With the mode bits out of the way (uid 0 for users), the policy
    // still refuses: users have only `getattr` on console_device_t.
    let mut srv = server("te", mac_only());
    let mut u = Client::new(&mut srv, USER);
    assert_eq!(u.open(&mut srv, "/dev/console", OpenFlags::RDONLY), Err(Errno::EACCES));
    assert!(u.stat(&mut srv, "/dev/console", true).is_ok());
}

#[test]
fn null_is_usable_at_every_level_under_mls() {
    let mut srv = server("mls", Config::default());
    for level in ["s0", "s1", "s2", "s2:c0.c7", "s0-s2:c0.c7"] {
        let ctx = format!("user_u:user_r:user_t:{level}");
        let mut c = Client::new(&mut srv, &ctx);
        let h = c.open(&mut srv, "/dev/null", W_CREAT_TRUNC).unwrap_or_else(|e| panic!("{ctx}: > /dev/null: {e:?}"));
        c.region[..3].copy_from_slice(b"hi\n");
        let wr = Request::Write { handle: h, offset: None, region_offset: 0, len: 3 };
        assert_eq!(c.call(&mut srv, wr), Response::Len(3), "{ctx}");
        assert_eq!(c.read_file(&mut srv, "/dev/null"), Ok(Vec::new()), "{ctx}");
        assert!(c.open(&mut srv, "/dev/zero", OpenFlags::RDONLY).is_ok(), "{ctx}: < /dev/zero");
        assert!(c.open(&mut srv, "/dev/urandom", OpenFlags::RDONLY).is_ok(), "{ctx}: reads down");
        assert_eq!(c.open(&mut srv, "/dev/tty", OpenFlags::RDWR), Err(errno::ENXIO), "{ctx}");
    }
    // Without the trusted type, a write down would be refused: the lattice
    // still holds for ordinary files (/tmp is system-low).
    let mut c = Client::new(&mut srv, "user_u:user_r:user_t:s1");
    assert_eq!(c.open(&mut srv, "/tmp/x", W_CREAT_TRUNC), Err(Errno::EACCES));
}

#[test]
fn null_is_usable_at_every_grade_under_biba() {
    let mut srv = server("biba", Config::default());
    // The grades of user_u (a compartment, `i1:web`, cannot read the
    // system's uncompartmented files at all, /dev and /bin included: Biba
    // reads need the object to dominate).
    for level in ["i0", "i1", "i0-i1", "i0-i1:web,mail"] {
        let ctx = format!("user_u:user_r:user_t:{level}");
        let mut c = Client::new(&mut srv, &ctx);
        assert!(c.open(&mut srv, "/dev/null", W_CREAT_TRUNC).is_ok(), "{ctx}: > /dev/null");
        assert!(c.open(&mut srv, "/dev/null", OpenFlags::RDONLY).is_ok(), "{ctx}: < /dev/null");
        assert!(c.open(&mut srv, "/dev/full", OpenFlags::RDWR).is_ok(), "{ctx}");
        assert!(c.open(&mut srv, "/dev/random", OpenFlags::RDONLY).is_ok(), "{ctx}: reads up");
    }
    let mut a = Client::new(&mut srv, "root:sysadm_r:sysadm_t:i3");
    assert!(a.open(&mut srv, "/dev/null", OpenFlags::RDWR).is_ok());
}
