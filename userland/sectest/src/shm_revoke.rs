//! A policy reload revokes shared-memory mappings the new policy no longer
//! allows (rm re-checks `shm read`/`shm write` for every live mapping on
//! secsrv's policy-change signal; docs/security-architecture.md §7).
//!
//! Tried as an attacker would: under `allow-all` the echo service
//! (`httpd_t`) hands us (`sysadm_t`) a writable token for one of its
//! regions, and a child of ours (`sectest child shm`, also `sysadm_t`) maps
//! it, checks the owner's mark, acknowledges through the region and keeps
//! reading it. Reloading `te` (which grants `sysadm_t` no `shm` on
//! `httpd_t`) must make the child's next read fault: rm kills it
//! (`ExitStatus::Faulted`), the revocation is audited, and the owner's own
//! mapping still holds the child's acknowledgement once `allow-all` lets
//! us ask the owner again.

use crate::checks::{Ctx, find_audit, slots};
use crate::{ECHO, EchoReply, SHM_PEEK, T};
use rampart_rm_api::{ExitStatus, Image, Request, Response, Spawn};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{call, call_with_caps};
use rampart_rt::rm::Region;
use rampart_uabi::Errno;

/// What the owner writes at offset 0 of the region it shares.
pub const MARK: u64 = 0x6d61_726b_5f73_686d;
/// What the mapping child writes at offset 8 once it mapped the region.
pub const ACK: u64 = 0x6163_6b5f_7368_6d21;
/// How long the child keeps reading before it gives up (status 4), in
/// seconds of guest TSC.
const CHILD_LIMIT_S: u64 = 120;

/// Reads the little-endian word at `offset` of `r` (`None` if the region is
/// too small).
fn word(r: &Region, offset: usize) -> Option<u64> {
    let mut b = [0u8; 8];
    // SAFETY: `r` is one of this task's live regions (the caller keeps it
    // mapped); the view copies, never references, the shared bytes.
    unsafe { r.shared() }.read(offset, &mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

/// Writes `v` at `offset` of `r`.
fn set_word(r: &Region, offset: usize, v: u64) -> Result<(), Errno> {
    // SAFETY: as in [`word`].
    unsafe { r.shared() }.write(offset, &v.to_le_bytes())
}

/// The echo service's side: a new one-page region with [`MARK`] at
/// offset 0, shared through a writable token in `slot`.
pub fn owner_share(slot: u64) -> Result<Region, Errno> {
    let r = rampart_rt::rm::region_alloc(4096)?;
    set_word(&r, 0, MARK)?;
    rampart_rt::rm::region_share(r.id, true, slot)?;
    Ok(r)
}

/// The echo service's side: the word at offset 8 of its region (0 if none).
pub fn owner_peek(r: Option<&Region>) -> u64 {
    r.and_then(|r| word(r, 8)).unwrap_or(0)
}

/// `sectest child shm`: maps the token named `region`, checks [`MARK`],
/// writes [`ACK`] and reads the region until that faults (rm revoked the
/// mapping: the task is killed) or [`CHILD_LIMIT_S`] passed (status 4).
/// Status 2: no mapping; 3: not the owner's mark.
pub fn child() -> i32 {
    let Some(tok) = rampart_rt::startup::named_cap("region") else { return 2 };
    let r = match rampart_rt::rm::region_map(tok) {
        Ok(r) => r,
        Err(e) => {
            dprintln!("sectest: child shm: map: {e:?}");
            return 2;
        }
    };
    if word(&r, 0) != Some(MARK) || set_word(&r, 8, ACK).is_err() {
        return 3;
    }
    let hz = rampart_rt::startup::header().map_or(0, |h| h.tsc_hz).max(1_000_000);
    let end = crate::rdtsc().saturating_add(CHILD_LIMIT_S.saturating_mul(hz));
    while crate::rdtsc() < end {
        // The access rm's revocation must turn into a fault.
        if word(&r, 0) != Some(MARK) {
            return 3;
        }
        rampart_rt::ipc::yield_now();
    }
    4
}

/// Asks the echo service on connection endpoint `ep` for its region's
/// word 8.
fn peek(ep: rampart_rt::cap::Endpoint) -> Option<u64> {
    call::<u64, EchoReply>(ep, &SHM_PEEK).ok().map(|x| x.1)
}

/// Runs the checks; `boot` is the policy the system booted with (`te`).
pub fn run(t: &mut T, cx: &mut Ctx, boot: &str) {
    let r = cx.avc.client().load_policy("allow-all");
    cx.events();
    t.check(r.is_ok(), "shm revoke: reload allow-all");
    let c = match cx.ch.connect(ECHO, slots::ECHO) {
        Ok(c) => c,
        Err(e) => return t.check(false, &alloc::format!("shm revoke: connect under allow-all: {e}")),
    };
    if !crate::shm::take_token(t, &c) {
        return;
    }
    let req = Spawn {
        image: Some(Image::Bootfs("sectest".into())),
        argv: alloc::vec!["sectest".into(), "child".into(), "shm".into()],
        cap_name: Some("region".into()),
        ..Default::default()
    };
    let pid = match call_with_caps::<_, Response>(rampart_rt::rm::channel(), &Request::Spawn(req), &[crate::shm::TOKEN])
    {
        Ok((Response::Spawned { pid }, _)) => pid,
        r => return t.check(false, &alloc::format!("shm revoke: spawn the mapping child: {:?}", r.map(|x| x.0))),
    };
    let _ = rampart_rt::cap::CNode(rampart_uabi::startup::slot::CNODE).delete(crate::shm::TOKEN, 64);
    let mut acked = false;
    for _ in 0..20_000 {
        if peek(c.ep) == Some(ACK) {
            acked = true;
            break;
        }
        rampart_rt::ipc::yield_now();
    }
    t.check(acked, "shm revoke: the child (sysadm_t) mapped httpd_t's region and wrote to it under allow-all");
    let r = cx.avc.client().load_policy(boot);
    cx.events();
    t.check(r.is_ok(), &alloc::format!("shm revoke: reload {boot}"));
    let st = rampart_rt::rm::wait(Some(pid), true);
    dprintln!("sectest: shm revoke: the mapping child after reloading {boot}: {st:?}");
    t.check(
        matches!(st, Ok(Some((p, ExitStatus::Faulted(_)))) if p == pid),
        &alloc::format!("shm revoke: the child's next read of the revoked mapping faults ({st:?})"),
    );
    let object = alloc::format!(" mapped by pid {pid}");
    let rec = find_audit(cx, |e| e.denied && e.class == "shm" && e.object.ends_with(&object));
    if let Some(r) = &rec {
        dprintln!("sectest: audit: {r}");
    }
    t.check(
        rec.is_some_and(|r| {
            r.object.starts_with("revoked region ")
                && r.pid == pid
                && r.perms.contains("read")
                && r.source.contains(":sysadm_t")
                && r.target.contains(":httpd_t")
                && r.reporter.contains(":rm_t")
        }),
        "shm revoke: the revocation is audited by rm (shm read, sysadm_t -> httpd_t, the mapper's pid)",
    );
    // The owner kept its mapping and the data: ask it again under allow-all.
    let r = cx.avc.client().load_policy("allow-all");
    cx.events();
    let owner = match cx.ch.connect(ECHO, slots::SCRATCH) {
        Ok(n) => {
            let v = peek(n.ep);
            let _ = rampart_connsrv_api::client::disconnect(
                &mut crate::checks::CloneTransport::clone_transport(&cx.ch),
                n.conn,
            );
            v
        }
        Err(_) => None,
    };
    t.check(
        r.is_ok() && owner == Some(ACK),
        &alloc::format!("shm revoke: the owner's own mapping still works and holds the child's write ({owner:?})"),
    );
    let r = cx.avc.client().load_policy(boot);
    cx.events();
    t.check(r.is_ok(), &alloc::format!("shm revoke: back to {boot}"));
}
