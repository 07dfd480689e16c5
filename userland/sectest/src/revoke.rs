//! Revocation on policy change (issue 19 item 1), tried as the holder of
//! a channel would: a connection made while the policy allowed it must
//! stop working when a reload or `setenforce 1` takes the permission away,
//! a new connect must be refused, the revocation must be audited, and
//! allowing the access again must not bring the old channel back.
//!
//! Runs under `te` as `sysadm_t`, whose `service connect` to the echo
//! service (`httpd_t`) only `allow-all` or permissive mode grants.

use crate::checks::{CloneTransport, Ctx, find_audit, slots};
use crate::{ECHO, EchoReply, T};
use rampart_connsrv_api::client::{disconnect, stats};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::call;
use rampart_uabi::Errno;

/// Runs the checks; `boot` is the policy the system booted with.
pub fn run(t: &mut T, cx: &mut Ctx, boot: &str) {
    let before = stats(&mut cx.ch.clone_transport()).map_or(0, |s| s.policy_revoked);
    let r = cx.avc.client().load_policy("allow-all");
    cx.events();
    t.check(r.is_ok(), "revoke: reload allow-all");
    let c = match cx.ch.connect(ECHO, slots::ECHO) {
        Ok(c) => c,
        Err(e) => return t.check(false, &alloc::format!("revoke: connect under allow-all: {e}")),
    };
    t.check(call::<u64, EchoReply>(c.ep, &5).is_ok_and(|x| x.1 == 5), "revoke: the channel works under allow-all");
    let back = cx.avc.client().load_policy(boot);
    cx.events();
    t.check(back.is_ok(), &alloc::format!("revoke: reload {boot}"));
    // A request to connsrv: answered only after it handled the change.
    let again = cx.ch.connect(ECHO, slots::SCRATCH).map(|_| ());
    t.check(again == Err(Errno::EACCES), &alloc::format!("revoke: a new connect is refused ({again:?})"));
    let old = call::<u64, EchoReply>(c.ep, &6);
    dprintln!("sectest: revoke: call on the old channel after reloading {boot}: {:?}", old.map_err(|e| e.errno()));
    t.check(old.is_err(), "revoke: the live channel the new policy denies is revoked");
    let object = live_object(c.conn);
    let rec = find_audit(cx, |e| e.object == object && e.denied && e.enforced && e.perms == "connect");
    if let Some(r) = &rec {
        dprintln!("sectest: audit: {r}");
    }
    t.check(rec.is_some(), &alloc::format!("revoke: the revocation is audited (object {object:?})"));
    let n = stats(&mut cx.ch.clone_transport()).map_or(0, |s| s.policy_revoked);
    dprintln!("sectest: revoke: connsrv revoked {} connection(s) on policy change", n - before);
    t.check(n == before + 1, &alloc::format!("revoke: connsrv counts one policy revocation ({before} -> {n})"));
    // Allowing it again does not resurrect the old channel.
    let r = cx.avc.client().load_policy("allow-all");
    cx.events();
    let _ = stats(&mut cx.ch.clone_transport());
    t.check(
        r.is_ok() && call::<u64, EchoReply>(c.ep, &7).is_err(),
        "revoke: reloading allow-all does not resurrect it",
    );
    match cx.ch.connect(ECHO, slots::SCRATCH) {
        Ok(n) => {
            // The service was told (closure) and forgot the revoked client.
            let mut clients = u32::MAX;
            for _ in 0..2000 {
                clients = call::<u64, EchoReply>(n.ep, &8).map_or(u32::MAX, |x| x.2);
                if clients == 1 {
                    break;
                }
                rampart_rt::ipc::yield_now();
            }
            t.check(clients == 1, &alloc::format!("revoke: the service forgot the revoked client ({clients} left)"));
            let _ = disconnect(&mut cx.ch.clone_transport(), n.conn);
        }
        Err(e) => t.check(false, &alloc::format!("revoke: a new connect under allow-all: {e}")),
    }
    let r = cx.avc.client().load_policy(boot);
    cx.events();
    t.check(r.is_ok(), &alloc::format!("revoke: back to {boot}"));
    enforcing_revokes(t, cx);
}

/// A connection made in permissive mode goes at `setenforce 1`.
fn enforcing_revokes(t: &mut T, cx: &mut Ctx) {
    let r = cx.avc.client().set_enforce(false);
    cx.events();
    let c = cx.ch.connect(ECHO, slots::ECHO);
    t.check(r.is_ok() && c.is_ok(), "revoke: permissive lets the connect through");
    let Ok(c) = c else { return };
    let r = cx.avc.client().set_enforce(true);
    cx.events();
    let again = cx.ch.connect(ECHO, slots::SCRATCH).map(|_| ());
    let old = call::<u64, EchoReply>(c.ep, &9);
    t.check(
        r.is_ok() && again == Err(Errno::EACCES) && old.is_err(),
        &alloc::format!("revoke: setenforce 1 revokes it ({again:?}, old channel {:?})", old.map(|_| ())),
    );
}

/// The audit object connsrv names for live connection `conn` to the echo
/// service (`rampart_connsrv_core::live_object`: `live #CONN: NAME`).
fn live_object(conn: u32) -> alloc::string::String {
    alloc::format!("live #{conn}: {ECHO}")
}
