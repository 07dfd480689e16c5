//! Sealed program images (docs/resource-manager.md, "Sealed images";
//! docs/security-architecture.md §8): execution is mediated by the file
//! server and rm together, never by the spawning process.
//!
//! The file server opens the program for the client (`file execute` with
//! the client's SID on the file's real label, and the execute bits), reads
//! it into a region of its own and asks rm to seal it
//! ([`rampart_rm_api::Request::SealImage`]). rm then takes the region away
//! from its owner: every token and mapping of its frames is revoked and
//! the owner's own mapping removed, so nobody can change the bytes after
//! the seal. The seal records the file's label and the subject it was
//! made for; [`rampart_rm_api::Image::Sealed`] names it in one spawn by a
//! process of that subject, and the child's domain is decided on the
//! sealed label (`process transition` + `file entrypoint`, or `file
//! execute_no_trans`), never on a label the spawner claims.
//!
//! Trust: rm believes a sealer's claim about the file label and the
//! subject. Only tasks the policy grants `resource seal_image` on rm may
//! seal (the shipped policies: `fs_t`), and only with a security server.
//!
//! Bounds: at most [`MAX_PER_SUBJECT`] seals wait per subject SID (a new
//! one replaces that subject's oldest) and [`MAX_SEALS`] in all (`ENOSPC`
//! beyond); a seal's memory stays charged to the sealer's container until
//! the spawn that uses it, or its replacement, frees it.

use crate::kops::CNODE;
use crate::lifecycle::drop_slot;
use crate::state::{RegionKind, Rm};
use alloc::string::String;
use rampart_rm_api::{Pid, RegionId};
use rampart_rt::cap::Frame;
use rampart_secsrv_api::client::Client;
use rampart_secsrv_api::rt::Ipc;
use rampart_uabi::Errno;

/// Most seals waiting for one subject SID.
pub const MAX_PER_SUBJECT: usize = 4;
/// Most seals waiting in all.
pub const MAX_SEALS: usize = 32;

/// An image sealed for one spawn.
#[derive(Clone, Debug)]
pub struct Seal {
    /// The region holding it (owned by rm: owner 0, [`RegionKind::Sealed`]).
    pub region: RegionId,
    /// Bytes of the image.
    pub len: u64,
    /// The program file's context (from the sealer's file SID).
    pub exec: String,
    /// The SID of the subject it was sealed for.
    pub subject_sid: u32,
    /// That subject's context.
    pub subject: String,
}

/// `SealImage` from `caller`: returns the token.
///
/// # Errors
/// `EACCES` (no security server, or no `resource seal_image`), `ENOENT`
/// (not the caller's anonymous region), `EINVAL` (length, unknown SID),
/// `E2BIG` (beyond rm's image window), `ENOSPC` ([`MAX_SEALS`]).
pub fn seal(
    rm: &mut Rm,
    caller: Pid,
    region: RegionId,
    len: u64,
    file_sid: u32,
    subject_sid: u32,
) -> Result<u64, Errno> {
    let Some(ep) = rm.secsrv.ep else { return Err(Errno::EACCES) };
    let context = rm.procs.get(caller).map(|p| p.context.clone()).ok_or(Errno::ESRCH)?;
    if !crate::security::may_use(rm, &context, "seal_image") {
        return Err(Errno::EACCES);
    }
    let r = rm.regions.get(&region).filter(|r| r.owner == caller && r.kind == RegionKind::Anon).ok_or(Errno::ENOENT)?;
    let pages = len.div_ceil(4096);
    if len == 0 || pages > r.pages {
        return Err(Errno::EINVAL);
    }
    if pages > crate::spawn::IMAGE_WINDOW_PAGES {
        return Err(Errno::E2BIG);
    }
    let mut c = Client(Ipc(ep));
    let exec = c.sid_to_context(file_sid).map_err(|_| Errno::EINVAL)?;
    let subject = c.sid_to_context(subject_sid).map_err(|_| Errno::EINVAL)?;
    // Room: the subject's oldest seal gives way; then the global bound.
    let mine: alloc::vec::Vec<u64> =
        rm.sealed.iter().filter(|(_, s)| s.subject_sid == subject_sid).map(|(t, _)| *t).collect();
    if mine.len() >= MAX_PER_SUBJECT {
        drop_seal(rm, mine[0]);
    }
    if rm.sealed.len() >= MAX_SEALS {
        return Err(Errno::ENOSPC);
    }
    take_region(rm, caller, region);
    let token = rm.next_seal;
    rm.next_seal += 1;
    rm.sealed.insert(token, Seal { region, len, exec, subject_sid, subject });
    Ok(token)
}

/// Takes region `rid` from its owner `owner`: its tokens and the mappings
/// in other tasks are revoked, the owner's own mapping removed; rm keeps
/// the frames (still charged to the owner's container).
fn take_region(rm: &mut Rm, owner: Pid, rid: RegionId) {
    let Some(r) = rm.regions.get_mut(&rid) else { return };
    let tokens = core::mem::take(&mut r.tokens);
    let mappings = core::mem::take(&mut r.mappings);
    let (frames, pages) = (r.frames, r.pages);
    r.owner = 0;
    r.kind = RegionKind::Sealed;
    for (n, s) in tokens {
        let _ = CNODE.revoke(s, 64);
        drop_slot(rm, s);
        rm.tokens.remove(&n);
    }
    for m in mappings {
        for i in 0..m.slots.1 {
            let _ = CNODE.delete(m.slots.0 + i, 64);
        }
        rm.slots.free(m.slots.0, m.slots.1);
        if let Some(t) = rm.tasks.get_mut(&m.pid) {
            t.mapped.retain(|&x| x != rid);
        }
    }
    for i in 0..pages {
        // The owner maps the original capabilities; anything derived from
        // them (none should remain) goes with the revocation.
        let _ = Frame(frames + i).unmap();
        let _ = CNODE.revoke(frames + i, 64);
    }
    if let Some(t) = rm.tasks.get_mut(&owner) {
        t.regions.retain(|&x| x != rid);
    }
}

/// Frees seal `token` and its region.
fn drop_seal(rm: &mut Rm, token: u64) {
    if let Some(s) = rm.sealed.remove(&token) {
        crate::memory::destroy_region(rm, s.region);
    }
}

/// Takes seal `token` for a spawn by `caller` (in `context`): one use.
/// The caller frees the region ([`crate::memory::destroy_region`]) after
/// the spawn, whatever its outcome.
///
/// # Errors
/// `ENOENT` (no such seal: unknown, used or replaced), `EACCES` (sealed
/// for another subject; the seal stays for its own).
pub fn take(rm: &mut Rm, caller: Pid, context: &str, token: u64) -> Result<Seal, Errno> {
    let s = rm.sealed.get(&token).ok_or(Errno::ENOENT)?;
    let held = rm.tasks.get(&caller).and_then(|t| t.sid).map(|h| h.sid);
    // The SID rm holds for the caller's context, or the context itself
    // (init's, which rm holds no SID for; a context interned again).
    let mine = held == Some(s.subject_sid) || s.subject == context;
    if !mine {
        rampart_rt::pr_debug!("rm: pid {caller} ({context}) presented a seal made for {}", s.subject);
        return Err(Errno::EACCES);
    }
    rm.sealed.remove(&token).ok_or(Errno::ENOENT)
}
