//! Issue 19 item 1: connsrv re-decides every live connection when the
//! policy changes (reload, boolean, enforcing mode) and revokes those the
//! new policy denies: the client's capability is gone, the service hears
//! of the closure, the revocation is audited, a new connect is refused,
//! and allowing the access again later does not bring the old channel
//! back. Before, a connection made under one policy outlived every change.

mod common;

use common::*;
use rampart_connsrv_api::{ConnBadge, Request, Response};
use rampart_connsrv_core::{Revalidation, live_object};
use rampart_secsrv_api::{Request as SReq, Response as SResp};
use rampart_secsrv_core::Caller;
use rampart_uabi::Errno;

const USER_NET: &str = "allow_user_network";

/// The administrator changes the policy; connsrv then does what its
/// binary does on the notification: refresh, then re-decide.
fn change(w: &mut World, admin: u64, req: SReq) -> Revalidation {
    let asid = ConnBadge::decode(admin).unwrap().sid;
    let r = w.sec.borrow_mut().handle(Caller::Sid(asid), req.clone());
    assert!(matches!(r.response, SResp::Status(_)), "{req:?}: {:?}", r.response);
    assert!(r.notify, "subscribers are told");
    w.link.refresh().unwrap();
    w.reg.revalidate(&mut w.caps, &mut w.link)
}

fn load(w: &mut World, admin: u64, name: &str) -> Revalidation {
    change(w, admin, SReq::PolicyLoad { name: name.into() })
}

/// The client's capability for connection `conn` (its badge), if any
/// copy of it is still in the fake kernel.
fn alive(w: &World, badge: u64) -> bool {
    w.caps.slots.values().any(|c| c.badge == badge)
}

#[test]
fn a_reload_revokes_connections_the_new_policy_denies() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let httpd = w.task(20, HTTPD);
    let fs = w.task(10, FS);
    let admin = w.task(21, ADMIN);
    w.register(httpd, "echo").unwrap();
    w.register(fs, "fs").unwrap();
    assert_eq!(w.connect(admin, "echo"), Err(Errno::EACCES));
    assert_eq!(load(&mut w, admin, "allow-all").revoked, vec![], "allow-all denies nothing");
    let (echo, echo_badge) = w.connect(admin, "echo").unwrap();
    let (_, fs_badge) = w.connect(admin, "fs").unwrap();
    assert!(alive(&w, echo_badge));
    let v = load(&mut w, admin, "te");
    assert_eq!(v.checked, 2, "{v:?}");
    assert_eq!(v.revoked.len(), 1, "{v:?}");
    let r = &v.revoked[0];
    assert_eq!((r.conn, r.pid, r.name.as_str(), r.errno), (echo, 21, "echo", Errno::EACCES));
    assert!(!alive(&w, echo_badge), "the client's capability is revoked");
    assert!(alive(&w, fs_badge), "a connection te allows stays");
    // The service hears of it as of an exit.
    assert_eq!(w.req(httpd, Request::TakeClosed).response, Response::Closed(vec![echo]));
    // Audited: a denial of the live connection, enforced.
    let trail = w.sec.borrow().read_audit(0);
    let e = trail.records.iter().find(|e| e.object == live_object(echo, "echo")).expect("audit record");
    assert!(e.denied && e.enforced && e.source == ADMIN && e.target == HTTPD && e.perms == "connect", "{e:?}");
    assert_eq!(e.reporter, CONNSRV);
    // Decided long after the client's request, the record still names
    // the client's process (issue 19 item 10), as the refused connect
    // before the reload did.
    assert_eq!(e.pid, 21, "the revocation names the client's pid: {e:?}");
    let first = trail.records.iter().find(|e| e.object == "echo" && e.denied).expect("the refused connect");
    assert_eq!(first.pid, 21, "the refused connect names the client's pid: {first:?}");
    // A new connect is refused; the stats count the revocation.
    assert_eq!(w.connect(admin, "echo"), Err(Errno::EACCES));
    assert_eq!(w.reg.stats().policy_revoked, 1);
    // The reverse reload does not resurrect the old channel.
    assert_eq!(load(&mut w, admin, "allow-all").revoked, vec![]);
    assert!(!alive(&w, echo_badge), "still revoked under allow-all");
    let (again, badge) = w.connect(admin, "echo").unwrap();
    assert!(again != echo && badge != echo_badge, "a new connection, checked again");
}

#[test]
fn a_boolean_change_revokes_and_turning_it_back_does_not_resurrect() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let net = w.task(30, NET);
    let user = w.task(31, USER);
    let admin = w.task(32, ADMIN);
    w.register(net, "net").unwrap();
    let (conn, badge) = w.connect(user, "net").unwrap();
    let (_, admin_badge) = w.connect(admin, "net").unwrap();
    let v = change(&mut w, admin, SReq::SetBool { name: USER_NET.into(), value: false });
    assert_eq!(v.revoked.iter().map(|r| r.conn).collect::<Vec<_>>(), vec![conn], "{v:?}");
    assert!(!alive(&w, badge), "setsebool allow_user_network false: the user's socket channel is gone");
    assert!(alive(&w, admin_badge), "sysadm_t keeps its network access");
    assert_eq!(w.connect(user, "net"), Err(Errno::EACCES));
    assert_eq!(w.req(net, Request::TakeClosed).response, Response::Closed(vec![conn]));
    let v = change(&mut w, admin, SReq::SetBool { name: USER_NET.into(), value: true });
    assert_eq!(v.revoked, vec![]);
    assert!(!alive(&w, badge), "turning the boolean back does not resurrect it");
    assert!(w.connect(user, "net").is_ok(), "a new connect is allowed again");
}

#[test]
fn permissive_keeps_and_enforcing_revokes() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let httpd = w.task(20, HTTPD);
    let admin = w.task(21, ADMIN);
    w.register(httpd, "echo").unwrap();
    assert_eq!(change(&mut w, admin, SReq::SetEnforce { enforcing: false }).revoked, vec![]);
    let (conn, badge) = w.connect(admin, "echo").unwrap();
    // Another change while permissive: audited, not revoked.
    let v = change(&mut w, admin, SReq::SetBool { name: USER_NET.into(), value: false });
    assert_eq!((v.checked, v.revoked.len()), (1, 0), "{v:?}");
    assert!(alive(&w, badge));
    let trail = w.sec.borrow().read_audit(0);
    assert!(trail.records.iter().any(|e| e.object == live_object(conn, "echo") && e.denied && !e.enforced));
    let v = change(&mut w, admin, SReq::SetEnforce { enforcing: true });
    assert_eq!(v.revoked.iter().map(|r| r.conn).collect::<Vec<_>>(), vec![conn], "setenforce 1 revokes");
    assert!(!alive(&w, badge));
}

#[test]
fn task_channels_and_core_services_survive_a_change_that_allows_them() {
    let sec = secsrv();
    let mut w = World::new(&sec);
    let fs = w.task(10, FS);
    let admin = w.task(11, ADMIN);
    let ep = w.caps.object();
    let r = w.req_cap(
        rampart_connsrv_api::TRUSTED_INIT,
        Request::RegisterCore { name: "security".into(), context: SECSRV.into() },
        ep,
    );
    assert_eq!(r.response, Response::Ok);
    let (_, b1) = w.connect(fs, "security").unwrap();
    let (_, b2) = w.connect(admin, "security").unwrap();
    for p in ["allow-all", "te"] {
        let v = load(&mut w, admin, p);
        assert_eq!((v.checked, v.revoked.len(), v.undecided), (2, 0, 0), "{p}: {v:?}");
    }
    assert!(alive(&w, b1) && alive(&w, b2) && alive(&w, fs) && alive(&w, admin));
    assert_eq!(w.reg.stats().policy_revoked, 0);
}
