//! Memory for tasks: heap growth, anonymous regions, sharing through region
//! tokens (docs/userland.md §5), and physical addresses for authorised
//! callers.
//!
//! A region's frames are carved from chunks of its own, charged to the
//! owner's container; freeing the region revokes those chunks, which also
//! removes every mapping of the region in other tasks (those map copies of
//! the frame capabilities, derived from the frames). Paging structures a
//! mapping needs belong to the task it is mapped into.

use crate::kops::{CNODE, Holdings, build_errno, release};
use crate::lifecycle::drop_slot;
use crate::state::{Mapping, Region, RegionKind, Rm, Token};
use alloc::vec::Vec;
use rampart_abi::{ObjectType, Rights};
use rampart_procbuild::build::{create, map_run, map_tables, table_groups};
use rampart_procbuild::pack::{Group, tables_needed};
use rampart_rm_api::{PHYS_PER_REPLY, Pid, RegionId, Response, badge};
use rampart_rt::cap::{CPtr, Frame};
use rampart_uabi::Errno;
use rampart_uabi::startup::layout;

/// Largest region or heap step, in pages (1 GiB).
pub const MAX_PAGES: u64 = 1 << 18;

/// Creates the paging structures `pid` lacks for `[vaddr, vaddr + pages)`
/// (charged to the task).
pub fn ensure_tables(rm: &mut Rm, pid: Pid, vaddr: u64, pages: u64) -> Result<(), Errno> {
    let t = rm.tasks.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let need = tables_needed((0..pages).map(|i| vaddr + i * 4096), &t.built.tables);
    if need.is_empty() {
        return Ok(());
    }
    let mut res = Rm::res(&mut rm.buddy, &mut rm.slots, &mut rm.containers, t.container, &mut t.hold);
    let objs = create(&rm.b, &mut res, &table_groups(&need), 0).map_err(|e| build_errno(e, res.errno))?;
    map_tables(t.built.vspace, &need, objs.first[0]).map_err(|e| build_errno(e, Errno::EIO))?;
    t.built.tables.extend(need);
    Ok(())
}

/// New zeroed frames mapped at `vaddr` in `pid`, as a region of `kind`.
fn new_region(rm: &mut Rm, pid: Pid, vaddr: u64, pages: u64, kind: RegionKind, attrs: u64) -> Result<RegionId, Errno> {
    if pages == 0 || pages > MAX_PAGES {
        return Err(Errno::EINVAL);
    }
    ensure_tables(rm, pid, vaddr, pages)?;
    let t = rm.tasks.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let mut hold = Holdings::default();
    let made = {
        let mut res = Rm::res(&mut rm.buddy, &mut rm.slots, &mut rm.containers, t.container, &mut hold);
        create(&rm.b, &mut res, &[Group::new(ObjectType::Frame4K, 0, pages)], 0).map_err(|e| build_errno(e, res.errno))
    };
    let frames = match made {
        Ok(o) => o.first[0],
        Err(e) => {
            release(&mut hold, &mut rm.buddy, &mut rm.slots, &mut rm.containers, t.container);
            return Err(e);
        }
    };
    let caps: Vec<CPtr> = (0..pages).map(|i| frames + i).collect();
    if map_run(t.built.vspace, vaddr, &caps, Rights::RW, attrs).is_err() {
        release(&mut hold, &mut rm.buddy, &mut rm.slots, &mut rm.containers, t.container);
        return Err(Errno::EFAULT);
    }
    let id = rm.next_region;
    rm.next_region = rm.next_region.wrapping_add(1).max(1);
    t.regions.push(id);
    rm.regions.insert(
        id,
        Region {
            owner: pid,
            container: t.container,
            kind,
            pages,
            frames,
            hold,
            mappings: Vec::new(),
            tokens: Vec::new(),
        },
    );
    Ok(id)
}

/// `HeapGrow`.
///
/// # Errors
/// `ESRCH`, `EINVAL`, `EDQUOT`, `ENOMEM`.
pub fn heap_grow(rm: &mut Rm, pid: Pid, bytes: u64) -> Result<Response, Errno> {
    let t = rm.tasks.get(&pid).ok_or(Errno::ESRCH)?;
    let (start, end) = (t.built.heap_start, t.heap_end);
    let pages = bytes.div_ceil(4096);
    if end + pages * 4096 > layout::REGION_BASE {
        return Err(Errno::ENOMEM);
    }
    new_region(rm, pid, end, pages, RegionKind::Heap, 0)?;
    let t = rm.tasks.get_mut(&pid).ok_or(Errno::ESRCH)?;
    t.heap_end = end + pages * 4096;
    Ok(Response::Heap { start, end: t.heap_end })
}

pub fn next_vaddr(rm: &mut Rm, pid: Pid, pages: u64) -> Result<u64, Errno> {
    let t = rm.tasks.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let va = t.next_region;
    let end = va.checked_add((pages + 1) * 4096).ok_or(Errno::ENOMEM)?;
    if end > layout::REGION_END {
        return Err(Errno::ENOMEM);
    }
    t.next_region = end; // one unmapped guard page after each region
    Ok(va)
}

/// `RegionAlloc`.
///
/// # Errors
/// `ESRCH`, `EINVAL`, `EACCES` (the policy's `resource create_region`), `EDQUOT`, `ENOMEM`.
pub fn region_alloc(rm: &mut Rm, pid: Pid, bytes: u64) -> Result<Response, Errno> {
    let pages = bytes.div_ceil(4096);
    if pages == 0 || pages > MAX_PAGES {
        return Err(Errno::EINVAL);
    }
    // `resource create_region` (init's requests are its own boot work).
    let context = rm.procs.get(pid).map(|p| p.context.clone()).unwrap_or_default();
    if pid != rampart_rm_api::INIT_PID && !crate::security::may_use(rm, &context, "create_region") {
        return Err(Errno::EACCES);
    }
    let va = next_vaddr(rm, pid, pages)?;
    let id = new_region(rm, pid, va, pages, RegionKind::Anon, 0)?;
    Ok(Response::Region { region: id, vaddr: va, bytes: pages * 4096 })
}

/// `RegionAllocAt`: a region at a fixed address in the foreign window
/// (docs/linux-abi.md, "Address space"). Only a task whose heap (so its
/// image) lies above the window has one; overlapping an existing mapping is
/// refused by the kernel's `FrameMap` (the frames are then released).
///
/// # Errors
/// `ESRCH`, `EINVAL`, `EEXIST`, `EACCES`, `EDQUOT`, `ENOMEM`.
pub fn region_alloc_at(rm: &mut Rm, pid: Pid, vaddr: u64, bytes: u64, exec: bool) -> Result<Response, Errno> {
    let pages = bytes.div_ceil(4096);
    if pages == 0 || pages > MAX_PAGES || !vaddr.is_multiple_of(4096) {
        return Err(Errno::EINVAL);
    }
    let end = vaddr.checked_add(pages * 4096).ok_or(Errno::EINVAL)?;
    if vaddr < layout::FOREIGN_START || end > layout::FOREIGN_END {
        return Err(Errno::EINVAL);
    }
    let heap_end = rm.tasks.get(&pid).ok_or(Errno::ESRCH)?.heap_end;
    if heap_end < layout::FOREIGN_END {
        return Err(Errno::EINVAL);
    }
    let context = rm.procs.get(pid).map(|p| p.context.clone()).unwrap_or_default();
    if !crate::security::may_use(rm, &context, "create_region") {
        return Err(Errno::EACCES);
    }
    let attrs = if exec { rampart_abi::object::vm_attr::EXECUTE } else { 0 };
    let id = new_region(rm, pid, vaddr, pages, RegionKind::Anon, attrs)
        .map_err(|e| if e == Errno::EFAULT { Errno::EEXIST } else { e })?;
    Ok(Response::Region { region: id, vaddr, bytes: pages * 4096 })
}

/// Destroys region `rid` (revoking its chunks removes every mapping).
pub fn destroy_region(rm: &mut Rm, rid: RegionId) {
    let Some(mut r) = rm.regions.remove(&rid) else { return };
    for (n, s) in core::mem::take(&mut r.tokens) {
        let _ = CNODE.revoke(s, 64);
        drop_slot(rm, s);
        rm.tokens.remove(&n);
    }
    // The copies mapping it elsewhere die with the frames; free their slots.
    for m in core::mem::take(&mut r.mappings) {
        for i in 0..m.slots.1 {
            let _ = CNODE.delete(m.slots.0 + i, 64);
        }
        rm.slots.free(m.slots.0, m.slots.1);
        if let Some(t) = rm.tasks.get_mut(&m.pid) {
            t.mapped.retain(|&x| x != rid);
        }
    }
    if let Some(t) = rm.tasks.get_mut(&r.owner) {
        t.regions.retain(|&x| x != rid);
    }
    rm.device_vaddr.remove(&rid);
    release(&mut r.hold, &mut rm.buddy, &mut rm.slots, &mut rm.containers, r.container);
}

/// Removes `pid`'s mapping of region `rid`.
pub fn unmap_mapping(rm: &mut Rm, rid: RegionId, pid: Pid) {
    let Some(r) = rm.regions.get_mut(&rid) else { return };
    let Some(i) = r.mappings.iter().position(|m| m.pid == pid) else { return };
    let m = r.mappings.swap_remove(i);
    for k in 0..m.slots.1 {
        let _ = CNODE.delete(m.slots.0 + k, 64);
    }
    rm.slots.free(m.slots.0, m.slots.1);
    if let Some(t) = rm.tasks.get_mut(&pid) {
        t.mapped.retain(|&x| x != rid);
    }
}

/// `RegionFree`: the owner's region is destroyed; a mapping is removed.
///
/// # Errors
/// `ENOENT`.
pub fn region_free(rm: &mut Rm, pid: Pid, rid: RegionId) -> Result<Response, Errno> {
    let r = rm.regions.get(&rid).ok_or(Errno::ENOENT)?;
    if r.owner == pid && r.kind == RegionKind::Anon {
        destroy_region(rm, rid);
        Ok(Response::Ok)
    } else if r.mappings.iter().any(|m| m.pid == pid) {
        unmap_mapping(rm, rid, pid);
        Ok(Response::Ok)
    } else {
        Err(Errno::ENOENT)
    }
}

/// The slot of rm's original capability for token `badge`, if live.
pub fn token_slot(rm: &Rm, badge: u64) -> Option<CPtr> {
    if badge & badge::TOKEN == 0 {
        return None;
    }
    let n = badge & !badge::TOKEN;
    let t = rm.tokens.get(&n)?;
    rm.regions.get(&t.region)?.tokens.iter().find(|x| x.0 == n).map(|x| x.1)
}

/// `RegionShare`: mints a token; returns its slot (sent with the reply).
///
/// A shared region is an object of class `shm` labelled with its owner's
/// context (as SELinux labels System V shared memory with its creator's):
/// minting a token needs `shm create` on that label (the owner's own), and
/// mapping it ([`region_map`]) `shm read`, plus `shm write` for a writable
/// token, from the mapper's context — so every region two domains share
/// is a rule `polc flow` sees. Like SELinux's `shmat`, the decision is made
/// when the mapping is made, and made again for every live mapping on each
/// policy change ([`revoke_on_policy_change`]).
///
/// # Errors
/// `ENOENT`, `EACCES` (`shm create`), `ENOMEM`, `EIO`.
pub fn region_share(rm: &mut Rm, pid: Pid, rid: RegionId, writable: bool) -> Result<CPtr, Errno> {
    let r = rm.regions.get(&rid).filter(|r| r.owner == pid && r.kind == RegionKind::Anon).ok_or(Errno::ENOENT)?;
    let _ = r;
    let own = crate::jobs::context(rm, pid);
    if !crate::jobs::allowed(rm, &own, &own, "shm", "create") {
        return Err(Errno::EACCES);
    }
    let s = rm.slots.alloc(1).ok_or(Errno::ENOMEM)?;
    let n = rm.next_token;
    if CNODE.mint(s, 64, CNODE.path(rm.ep.0, 64), Rights::WRITE, badge::TOKEN | n).is_err() {
        rm.slots.free(s, 1);
        return Err(Errno::EIO);
    }
    rm.next_token += 1;
    rm.tokens.insert(n, Token { region: rid, writable });
    if let Some(r) = rm.regions.get_mut(&rid) {
        r.tokens.push((n, s));
    }
    Ok(s)
}

/// `RegionMap` with the unwrapped token `token_badge`: `shm read` (and
/// `shm write` for a writable token) from the caller's context to the
/// region owner's ([`region_share`]).
///
/// # Errors
/// `EBADF` (not a live token), `EEXIST` (already mapped there), `EACCES`
/// (the policy), `EDQUOT`, `ENOMEM`.
pub fn region_map(rm: &mut Rm, pid: Pid, token_badge: Option<u64>) -> Result<Response, Errno> {
    let b = token_badge.filter(|b| b & badge::TOKEN != 0).ok_or(Errno::EBADF)?;
    let tok = *rm.tokens.get(&(b & !badge::TOKEN)).ok_or(Errno::EBADF)?;
    let r = rm.regions.get(&tok.region).ok_or(Errno::EBADF)?;
    if r.owner == pid || r.mappings.iter().any(|m| m.pid == pid) {
        return Err(Errno::EEXIST);
    }
    let (mapper, label) = (crate::jobs::context(rm, pid), crate::jobs::context(rm, r.owner));
    if !crate::jobs::allowed(rm, &mapper, &label, "shm", "read")
        || (tok.writable && !crate::jobs::allowed(rm, &mapper, &label, "shm", "write"))
    {
        return Err(Errno::EACCES);
    }
    let r = rm.regions.get(&tok.region).ok_or(Errno::EBADF)?;
    let (pages, frames) = (r.pages, r.frames);
    let va = next_vaddr(rm, pid, pages)?;
    ensure_tables(rm, pid, va, pages)?;
    let s = rm.slots.alloc(pages).ok_or(Errno::ENOMEM)?;
    let rights = if tok.writable { Rights::RW } else { Rights::READ };
    let undo = |rm: &mut Rm, n: u64| {
        for i in 0..n {
            let _ = CNODE.delete(s + i, 64);
        }
        rm.slots.free(s, pages);
    };
    for i in 0..pages {
        if CNODE.copy(s + i, 64, CNODE.path(frames + i, 64), rights).is_err() {
            undo(rm, i);
            return Err(Errno::EIO);
        }
    }
    let caps: Vec<CPtr> = (0..pages).map(|i| s + i).collect();
    let vspace = rm.tasks.get(&pid).ok_or(Errno::ESRCH)?.built.vspace;
    if map_run(vspace, va, &caps, rights, 0).is_err() {
        undo(rm, pages);
        return Err(Errno::EFAULT);
    }
    if let Some(r) = rm.regions.get_mut(&tok.region) {
        r.mappings.push(Mapping { pid, slots: (s, pages), writable: tok.writable });
    }
    if let Some(t) = rm.tasks.get_mut(&pid) {
        t.mapped.push(tok.region);
    }
    Ok(Response::Region { region: tok.region, vaddr: va, bytes: pages * 4096 })
}

/// `RegionPhys`.
///
/// # Errors
/// `EPERM` (not authorised), `ENOENT`.
pub fn region_phys(rm: &Rm, pid: Pid, rid: RegionId, first: u64) -> Result<Response, Errno> {
    if !crate::device::authorised(rm, pid) {
        return Err(Errno::EPERM);
    }
    let r = rm.regions.get(&rid).filter(|r| r.owner == pid).ok_or(Errno::ENOENT)?;
    let end = r.pages.min(first.saturating_add(PHYS_PER_REPLY as u64));
    let mut v = Vec::new();
    for i in first..end {
        v.push(Frame(r.frames + i).get_address().map_err(|_| Errno::EIO)?);
    }
    Ok(Response::Phys(v))
}

/// After a policy change (secsrv's `EVENT_POLICY` signal): every live
/// mapping of a region into a task other than its owner is checked again
/// with [`region_map`]'s checks (`shm read`, plus `shm write` for a
/// writable mapping, mapper's context → owner's). A mapping the new policy
/// no longer allows is removed ([`unmap_mapping`]: deleting rm's frame
/// copies unmaps the pages) and the revocation audited (object
/// `revoked region R mapped by pid P`). The mapper's next access to those
/// pages is a fault on unmapped memory, which rm handles as any other: the
/// task is killed (`ExitStatus::Faulted`). A mapping whose check cannot be
/// made (secsrv not answering) is kept and checked at the next change; one
/// whose class or context the new policy does not know (`ENOENT`,
/// `EINVAL`) is revoked, as connsrv does with connections. A writable mapping that lost
/// only `shm write` is removed too (no read-only downgrade: the task may
/// map a read-only token again). The owner's own mapping is never touched,
/// nor a mapping between tasks one of which has no context (started
/// without a security server: never decided by the policy), nor one into a
/// task init started (the system servers' rings, made in the domains the
/// boot policy gave them: revoking those would kill the console or the file
/// server on a reload to a policy with other domains; init's tasks are
/// trusted as for device authority and signals).
///
/// Decisions are made on the context strings, like the others (nothing is
/// added to secsrv's SID table). Returns how many mappings were revoked.
pub fn revoke_on_policy_change(rm: &mut Rm) -> usize {
    let live: Vec<(RegionId, Pid, Pid, bool)> = rm
        .regions
        .iter()
        .flat_map(|(&rid, r)| r.mappings.iter().map(move |m| (rid, r.owner, m.pid, m.writable)))
        .collect();
    let mut revoked = 0;
    for (rid, owner, pid, writable) in live {
        let (mapper, label) = (crate::jobs::context(rm, pid), crate::jobs::context(rm, owner));
        if mapper.is_empty() || label.is_empty() || rm.procs.get(pid).is_some_and(|p| p.privileged) {
            // An unlabelled task (started without a security server): its
            // mapping was never decided by the policy. A task init started
            // (a system server, the boot session): its rings are the
            // system's plumbing, made in the boot policy's domains. Kept.
            continue;
        }
        let object = alloc::format!("revoked region {rid} mapped by pid {pid}");
        let check = |p| crate::jobs::decide(rm, (&mapper, &label), ("shm", p), (&object, Some(pid)));
        let keep = match check("read").and_then(|r| if r && writable { check("write") } else { Ok(r) }) {
            Ok(k) => k,
            // The new policy knows no such class or context: nothing grants it.
            Err(Errno::ENOENT | Errno::EINVAL) => false,
            // secsrv did not answer: kept, decided again at the next change.
            Err(e) => {
                rampart_rt::pr_warn!("rm: policy change: cannot re-check region {rid} mapped by pid {pid}: {e}");
                true
            }
        };
        if !keep {
            rampart_rt::dprintln!("rm: policy change: {object} ({mapper} -> {label})");
            unmap_mapping(rm, rid, pid);
            revoked += 1;
        }
    }
    revoked
}
