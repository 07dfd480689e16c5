//! Device memory for devmgr and drivers (docs/devices.md): mapping device
//! frames a task holds into it uncached, and naming the tasks with device
//! authority.
//!
//! Device authority: with a security server, the policy decides
//! (`resource map_device` from the task's context on rm's own: devmgr and
//! the drivers' domains), so a task init started for another purpose
//! (login, httpd) has none; without one (boot, test kernels), the tasks
//! init started have it. In both cases a device-authorised task may name
//! a child of its own with `DeviceGrant` (devmgr names each driver right
//! after spawning it, before it serves the driver's first request; init
//! names the capability auditor, which maps the kernel's dump frame this
//! way). The frame capability itself is
//! the authority over the memory: only devmgr holds device untyped, and rm
//! never hands out capabilities to RAM frames, so what arrives here is a
//! device frame devmgr chose to give.

use crate::kops::{CNODE, Holdings};
use crate::memory::{ensure_tables, next_vaddr};
use crate::state::{Region, RegionKind, Rm};
use alloc::vec::Vec;
use rampart_abi::Rights;
use rampart_abi::object::vm_attr;
use rampart_rm_api::{DEVICE_MAX_PAGES, Pid, RegionId, Response};
use rampart_rt::cap::{CPtr, Frame};
use rampart_uabi::Errno;

/// Whether `pid` has device authority (see the module's docs).
pub fn authorised(rm: &Rm, pid: Pid) -> bool {
    let Some(p) = rm.procs.get(pid) else { return false };
    // init holds every device untyped at boot: the root of this authority.
    if pid == rampart_rm_api::INIT_PID || rm.device_tasks.contains(&pid) {
        return true;
    }
    if rm.secsrv.ep.is_some() {
        return crate::security::may_use(rm, &p.context, "map_device");
    }
    p.privileged
}

/// `DeviceGrant`.
///
/// # Errors
/// `EPERM`, `ESRCH`.
pub fn grant(rm: &mut Rm, pid: Pid, child: Pid) -> Result<Response, Errno> {
    if !authorised(rm, pid) {
        return Err(Errno::EPERM);
    }
    if !rm.procs.get(child).is_some_and(|p| p.parent == pid && p.status.is_none()) {
        return Err(Errno::ESRCH);
    }
    rm.device_tasks.insert(child);
    Ok(Response::Ok)
}

/// `DeviceMap` with the received capability in `cap` (moved into the
/// region on success; the caller's server loop deletes it otherwise).
/// Returns whether the capability was taken.
///
/// # Errors
/// `EPERM`, `EINVAL`, `ENOENT`, `EEXIST`, `ENOMEM`, `EDQUOT`.
pub fn map(
    rm: &mut Rm,
    pid: Pid,
    region: Option<RegionId>,
    pages: u64,
    index: u64,
    cap: Option<CPtr>,
) -> Result<Response, Errno> {
    if !authorised(rm, pid) {
        return Err(Errno::EPERM);
    }
    let cap = cap.ok_or(Errno::EINVAL)?;
    Frame(cap).get_address().map_err(|_| Errno::EINVAL)?;
    let rid = match region {
        Some(r) => {
            let reg = rm.regions.get(&r).ok_or(Errno::ENOENT)?;
            if reg.owner != pid || reg.kind != RegionKind::Device {
                return Err(Errno::ENOENT);
            }
            r
        }
        None => new_device_region(rm, pid, pages)?,
    };
    let (frames, pages) = rm.regions.get(&rid).map(|r| (r.frames, r.pages)).ok_or(Errno::ENOENT)?;
    let va = *rm.device_vaddr.get(&rid).ok_or(Errno::ENOENT)?;
    if index >= pages {
        return Err(Errno::EINVAL);
    }
    let slot = frames + index;
    CNODE.move_(slot, 64, CNODE.path(cap, 64)).map_err(|_| Errno::EEXIST)?;
    let vspace = rm.tasks.get(&pid).ok_or(Errno::ESRCH)?.built.vspace;
    if Frame(slot).map(vspace, va + index * 4096, Rights::RW, vm_attr::UNCACHED).is_err() {
        let _ = CNODE.delete(slot, 64);
        return Err(Errno::EFAULT);
    }
    Ok(Response::Region { region: rid, vaddr: va, bytes: pages * 4096 })
}

fn new_device_region(rm: &mut Rm, pid: Pid, pages: u64) -> Result<RegionId, Errno> {
    if pages == 0 || pages > DEVICE_MAX_PAGES {
        return Err(Errno::EINVAL);
    }
    let va = next_vaddr(rm, pid, pages)?;
    ensure_tables(rm, pid, va, pages)?;
    let s = rm.slots.alloc(pages).ok_or(Errno::ENOMEM)?;
    let t = rm.tasks.get_mut(&pid).ok_or(Errno::ESRCH)?;
    let id = rm.next_region;
    rm.next_region = rm.next_region.wrapping_add(1).max(1);
    t.regions.push(id);
    // The slots are freed, and the frame capabilities in them deleted
    // (unmapping them), when the region goes with its task.
    let hold = Holdings { slots: alloc::vec![(s, pages)], copies: alloc::vec![(s, pages)], ..Default::default() };
    rm.regions.insert(
        id,
        Region {
            owner: pid,
            container: t.container,
            kind: RegionKind::Device,
            pages,
            frames: s,
            hold,
            mappings: Vec::new(),
            tokens: Vec::new(),
        },
    );
    rm.device_vaddr.insert(id, va);
    Ok(id)
}
