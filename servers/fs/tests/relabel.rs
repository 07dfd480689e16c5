//! Relabelling (`SetCon`: chcon, restorecon) under the shipped TE policy:
//! ownership, `relabelfrom`/`relabelto`, `validatetrans`, persistence, and
//! what a hostile user tries.

mod common;

use common::Client;
use common::*;
use rampart_fs::MemDisk;
use rampart_fs_api::*;

fn setcon(c: &mut Client, srv: &mut RwServer, path: &str, ctx: Option<&str>) -> Result<(), Errno> {
    let target = Target::Path { path: PathArg::Inline(path.into()), follow: true };
    c.ok(srv, Request::SetCon { target, context: ctx.map(String::from) })
}

#[test]
fn users_relabel_their_own_files_between_their_types_and_nothing_else() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, rampart_fs::Config::default());
    let mut alice = Client::new(&mut srv, USER);
    let mut root = Client::new(&mut srv, ROOT);
    alice.write_file(&mut srv, "/home/alice/draft", b"d").unwrap();
    assert_eq!(alice.getcon(&mut srv, "/home/alice/draft").unwrap(), "user_u:object_r:user_home_t");
    // chcon -t tmp_t: allowed (relabelfrom user_home_t, relabelto tmp_t).
    setcon(&mut alice, &mut srv, "/home/alice/draft", Some("user_u:object_r:tmp_t")).unwrap();
    assert_eq!(alice.getcon(&mut srv, "/home/alice/draft").unwrap(), "user_u:object_r:tmp_t");
    // To a type the policy does not let users relabel to: EACCES, audited.
    srv.mac.take_audit();
    let to_secret = setcon(&mut alice, &mut srv, "/home/alice/draft", Some("user_u:object_r:secret_t"));
    assert_eq!(to_secret, Err(Errno::EACCES));
    assert!(srv.mac.take_audit().iter().any(|e| e.record.denied), "the refused relabelto is audited");
    // Changing the object's user: refused by validatetrans (u1 == u2 or
    // the task is not ubac_subject), though relabelfrom/relabelto allow it.
    let pol = &mut srv.mac.om.sec.0;
    assert!(!pol.check(USER, "root:object_r:tmp_t", "file", &["relabelto"]).unwrap(), "UBAC: not another user's");
    assert!(pol.check(USER, "system_u:object_r:tmp_t", "file", &["relabelto"]).unwrap(), "TE and UBAC allow it");
    assert!(pol.check(USER, "user_u:object_r:tmp_t", "file", &["relabelfrom"]).unwrap());
    assert_eq!(setcon(&mut alice, &mut srv, "/home/alice/draft", Some("system_u:object_r:tmp_t")), Err(Errno::EACCES));
    assert_eq!(setcon(&mut alice, &mut srv, "/home/alice/draft", Some("root:object_r:tmp_t")), Err(Errno::EACCES));
    // Not a valid context: EINVAL; not the owner: EPERM.
    assert_eq!(
        setcon(&mut alice, &mut srv, "/home/alice/draft", Some("user_u:object_r:no_such_t")),
        Err(Errno::EINVAL)
    );
    assert_eq!(setcon(&mut alice, &mut srv, "/etc/motd", Some("user_u:object_r:tmp_t")), Err(Errno::EPERM));
    // restorecon: back to what the file contexts say.
    setcon(&mut alice, &mut srv, "/home/alice/draft", None).unwrap();
    assert_eq!(alice.getcon(&mut srv, "/home/alice/draft").unwrap(), "user_u:object_r:user_home_t");
    // The administrator relabels anything but secret_t objects, users too.
    root.write_file(&mut srv, "/tmp/adm", b"a").unwrap();
    setcon(&mut root, &mut srv, "/tmp/adm", Some("user_u:object_r:tmp_t")).unwrap();
    assert_eq!(root.getcon(&mut srv, "/tmp/adm").unwrap(), "user_u:object_r:tmp_t");
    assert_eq!(setcon(&mut root, &mut srv, "/tmp/adm", Some("system_u:object_r:secret_t")), Err(Errno::EACCES));
    // A restore needs a path; a device node is not the file server's to relabel.
    let h = alice.open(&mut srv, "/home/alice/draft", OpenFlags::RDONLY).unwrap();
    let by_handle = alice.ok(&mut srv, Request::SetCon { target: Target::Handle(h), context: None });
    assert_eq!(by_handle, Err(Errno::EINVAL));
}

#[test]
fn a_relabel_is_enforced_at_once_and_survives_a_reboot() {
    let disk = MemDisk::new(standard_image());
    let mut srv = rw_server(&disk, rampart_fs::Config::default());
    let mut root = Client::new(&mut srv, ROOT);
    let mut httpd = Client::new(&mut srv, HTTPD);
    root.write_file(&mut srv, "/var/www/page.html", b"page").unwrap();
    assert_eq!(httpd.read_file(&mut srv, "/var/www/page.html").unwrap(), b"page");
    // The administrator hides the page from the web server by relabelling it.
    setcon(&mut root, &mut srv, "/var/www/page.html", Some("system_u:object_r:var_t")).unwrap();
    assert_eq!(httpd.read_file(&mut srv, "/var/www/page.html"), Err(Errno::EACCES), "the new label decides at once");
    drop(srv);
    let mut srv = rw_server(&MemDisk::new(disk.snapshot()), rampart_fs::Config::default());
    let mut root = Client::new(&mut srv, ROOT);
    assert_eq!(root.getcon(&mut srv, "/var/www/page.html").unwrap(), "system_u:object_r:var_t");
    let (code, out) = e2fsck(&disk.snapshot());
    assert_eq!(code, 0, "{out}");
}
