//! Shared memory is a channel the policy decides (issue 19 item 11; class
//! `shm`, checked by rm): a region is labelled with its owner's context,
//! and mapping it needs `shm read` (and `write` for a writable token) from
//! the mapper's context to that label.
//!
//! Tried as an attacker would: while permissive mode lets this process
//! (`sysadm_t`) reach the echo service (`httpd_t`), the service hands it a
//! writable token for one of its regions. Enforcing again, the token is
//! still a live capability in our CNode — and mapping it is refused
//! (`EACCES`) and audited by rm, because `te` grants no domain `shm` on
//! another's regions except the object servers' own (the file and network
//! servers, the console's serial rings). The decision is made at map time,
//! so holding a token proves nothing.

use crate::checks::{Ctx, find_audit};
use crate::{EchoReply, SHM_SHARE, T};
use rampart_connsrv_api::rt::Connection;
use rampart_rt::buffer::expect_current;
use rampart_rt::cap::CNode;
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::call_with_caps;
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;

/// Where the echo service's token arrives.
pub const TOKEN: u64 = 47;

/// Asks the echo service on `c` for a token (call while the channel is
/// allowed); true if one arrived.
pub fn take_token(t: &mut T, c: &Connection) -> bool {
    let b = expect_current();
    b.set_receive_slot(CNode(slot::CNODE), TOKEN, 64);
    let r = call_with_caps::<u64, EchoReply>(c.ep, &SHM_SHARE, &[]);
    b.clear_receive_slot();
    let got = matches!(&r, Ok((x, m)) if x.1 == SHM_SHARE && m.received_cap());
    t.check(got, &alloc::format!("shm: the echo service (httpd_t) hands over a region token ({:?})", r.map(|x| x.0)));
    got
}

/// With the policy enforcing again: the held token maps nothing, and rm's
/// refusal is in the audit trail.
pub fn map_refused(t: &mut T, cx: &mut Ctx) {
    let r = rampart_rt::rm::region_map(TOKEN);
    dprintln!("sectest: shm: mapping httpd_t's region as sysadm_t: {:?}", r.as_ref().map(|x| x.bytes));
    t.check(
        matches!(r, Err(Errno::EACCES)),
        &alloc::format!("shm: sysadm_t may not map httpd_t's region (EACCES, got {:?})", r.map(|x| x.bytes)),
    );
    let rec = find_audit(cx, |e| e.denied && e.enforced && e.class == "shm");
    if let Some(r) = &rec {
        dprintln!("sectest: audit: {r}");
    }
    t.check(
        rec.is_some_and(|r| {
            r.perms.contains("read")
                && r.source.contains(":sysadm_t")
                && r.target.contains(":httpd_t")
                && r.reporter.contains(":rm_t")
        }),
        "shm: the refused mapping is audited by rm (shm read, sysadm_t -> httpd_t)",
    );
    let _ = CNode(slot::CNODE).delete(TOKEN, 64);
}
