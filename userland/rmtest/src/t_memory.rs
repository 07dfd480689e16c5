//! Regions (anonymous, shared through tokens, physical addresses) and
//! containers with quotas.

use crate::{T, child, run};
use rampart_rm_api::{ExitStatus, Spawn};
use rampart_rt::{dprintln, rm};
use rampart_uabi::Errno;

/// Slot where the tests receive a region token.
const TOKEN_SLOT: u64 = 40;

/// `RegionAllocAt` (the Linux personality's fixed-address regions,
/// docs/linux-abi.md): a task whose own image is in the low addresses (this
/// one, at 4 MiB) has no foreign window, whatever address it names.
pub fn fixed_regions(t: &mut T) {
    use rampart_uabi::startup::layout;
    for (va, len) in [
        (0x1000_0000, 4096),
        (layout::FOREIGN_START, 4096),
        (0x40_0000, 4096), // over its own image
        (layout::FOREIGN_END, 4096),
        (layout::REGION_BASE, 4096),
        (0, 4096),
        (0x1000_0001, 4096),
        (u64::MAX - 4095, 4096),
        (0x1000_0000, u64::MAX),
        (0x1000_0000, 0),
    ] {
        let r = rm::region_alloc_at(va, len, true);
        t.check(r == Err(Errno::EINVAL), alloc::format!("RegionAllocAt({va:#x}, {len:#x}) is EINVAL: {r:?}").as_str());
    }
}

/// Regions and sharing.
pub fn regions(t: &mut T) {
    let before = rm::stats().ok();
    let Ok(r) = rm::region_alloc(3 * 4096 + 1) else {
        t.check(false, "allocate a region");
        return;
    };
    t.check(r.bytes == 4 * 4096 && r.vaddr % 4096 == 0, "a region is rounded up to pages");
    // SAFETY: the region is mapped for this task until freed below.
    let view = unsafe { r.shared() };
    t.check(view.to_vec(0, view.len()).is_ok_and(|m| m.iter().all(|&b| b == 0)), "a new region is zeroed");
    let pattern: alloc::vec::Vec<u8> = (0..view.len()).map(|i| (i % 251) as u8).collect();
    t.check(view.write(0, &pattern).is_ok(), "the owner writes its region");
    // Device authority is the policy's `resource map_device`: the
    // administrator's domain (which the suite runs in under a policy) has
    // none although init started it; init_t (no policy: init's children)
    // has it.
    let me = rm::task_info(rampart_rt::process::pid()).map(|i| i.context).unwrap_or_default();
    let admin = me.split(':').nth(2) == Some("sysadm_t");
    match rm::region_phys(r.id, 0) {
        Ok(v) if !admin => t.check(
            v.len() == 4 && v.iter().all(|p| p % 4096 == 0 && *p != 0) && v[0] != v[1],
            "an authorised task learns the physical addresses",
        ),
        Err(Errno::EPERM) if admin => t.check(true, "sysadm_t learns no physical addresses (no map_device)"),
        r => t.check(false, alloc::format!("physical addresses as {me}: {r:?}").as_str()),
    }
    t.check(run(child(&["phys"])) == Ok(ExitStatus::Exited(0)), "an unauthorised task cannot learn them");
    t.check(rm::region_share(r.id, true, TOKEN_SLOT).is_ok(), "a token for the region");
    t.check(rm::region_map(TOKEN_SLOT) == Err(Errno::EEXIST), "the owner cannot map its own region twice");
    let s = Spawn { cap_name: Some("region".into()), ..child(&["mapshared"]) };
    let shared = match rampart_rt::ipc::codec::call_with_caps::<_, rampart_rm_api::Response>(
        rm::channel(),
        &rampart_rm_api::Request::Spawn(s),
        &[TOKEN_SLOT],
    ) {
        Ok((rampart_rm_api::Response::Spawned { pid }, _)) => rm::wait(Some(pid), true),
        _ => Err(Errno::EIO),
    };
    t.check(matches!(shared, Ok(Some((_, ExitStatus::Exited(0))))), "another task maps the region through the token");
    t.check(
        view.to_vec(0, view.len()).is_ok_and(|m| m.iter().all(|&b| b == 0x5a)),
        "its writes are visible to the owner",
    );
    t.check(rm::region_map(12345) == Err(Errno::EBADF), "a non-token is EBADF");
    t.check(rm::region_free(r.id).is_ok(), "free the region");
    t.check(rm::region_free(r.id) == Err(Errno::ENOENT), "freeing it twice is ENOENT");
    let after = rm::stats().ok();
    let same = matches!((before, after), (Some(a), Some(b)) if a.free_bytes == b.free_bytes && a.regions == b.regions);
    t.check(same, "regions and their mappings return every byte");
}

/// Quotas: a task beyond its container's quota gets an error; tasks in
/// other containers keep running.
pub fn quotas(t: &mut T) {
    let before = rm::stats().ok();
    // What an empty process is charged (its kernel objects and pages).
    let Ok(c0) = rm::container_create(8 << 20) else {
        t.check(false, "create a container");
        return;
    };
    let minimal = Spawn {
        container: Some(c0),
        cnode_radix: Some(6),
        // The runtime's start-up needs more than one page of stack (a
        // one-page child overflowed it and died before it was measured).
        stack_pages: Some(4),
        heap_pages: Some(0),
        ..child(&["spin"])
    };
    if let Ok(pid) = rm::spawn(minimal) {
        let used = rm::container_info(Some(c0)).map(|s| s.used).unwrap_or(0);
        let info = rm::task_info(pid).unwrap_or_default();
        dprintln!(
            "rmtest: measure: empty process (CNode 2^6, 4 stack pages, no heap): kernel objects {} bytes, frames {} bytes, charged {used} bytes",
            info.object_bytes,
            info.frame_bytes
        );
        t.check(
            info.charged == used && used >= info.object_bytes + info.frame_bytes,
            "a task is charged what it holds",
        );
        let _ = rm::kill(pid);
        let _ = rm::wait(Some(pid), true);
    }
    if let Ok(pid) = rm::spawn(Spawn { container: Some(c0), ..child(&["spin"]) }) {
        let used = rm::container_info(Some(c0)).map(|s| s.used).unwrap_or(0);
        let info = rm::task_info(pid).unwrap_or_default();
        dprintln!(
            "rmtest: measure: default process (CNode 2^12, 16 stack pages, 16 heap pages): kernel objects {} bytes, frames {} bytes, charged {used} bytes",
            info.object_bytes,
            info.frame_bytes
        );
        let _ = rm::kill(pid);
        let _ = rm::wait(Some(pid), true);
    }
    t.check(rm::container_info(Some(c0)).map(|s| s.used) == Ok(0), "a container is empty again after its tasks end");
    t.check(rm::container_destroy(c0).is_ok(), "destroy an empty container");

    let tiny = rm::container_create(16 * 1024);
    if let Ok(c) = tiny {
        t.check(
            rm::spawn(Spawn { container: Some(c), ..child(&["exit", "0"]) }) == Err(Errno::EDQUOT),
            "a task that does not fit its container is EDQUOT",
        );
        let _ = rm::container_destroy(c);
    }
    t.check(rm::container_create(u64::MAX) == Err(Errno::EDQUOT), "a quota beyond the parent's is EDQUOT");

    let (Ok(c1), Ok(c2)) = (rm::container_create(2 << 20), rm::container_create(2 << 20)) else {
        t.check(false, "create two containers");
        return;
    };
    let worker = rm::spawn(Spawn { container: Some(c2), ..child(&["spin"]) });
    let hog = run(Spawn { container: Some(c1), ..child(&["hog"]) });
    t.check(hog == Ok(ExitStatus::Exited(0)), "allocation beyond the quota is refused (EDQUOT), not fatal");
    let c1s = rm::container_info(Some(c1));
    t.check(c1s.map(|s| (s.used, s.tasks)) == Ok((0, 0)), "the hog's memory returned to its container");
    match worker {
        Ok(pid) => {
            t.check(rm::wait(Some(pid), false) == Ok(None), "a task in another container keeps running");
            let _ = rm::kill(pid);
            let _ = rm::wait(Some(pid), true);
        }
        Err(e) => t.check(false, alloc::format!("spawn the worker ({e})").as_str()),
    }
    let w2 = run(Spawn { container: Some(c2), ..child(&["alloc", "64"]) });
    t.check(w2 == Ok(ExitStatus::Exited(0)), "the other container can still allocate");
    t.check(rm::container_destroy(c1).is_ok() && rm::container_destroy(c2).is_ok(), "destroy the containers");
    let after = rm::stats().ok();
    let same =
        matches!((before, after), (Some(a), Some(b)) if a.free_bytes == b.free_bytes && a.containers == b.containers);
    t.check(same, "containers return every byte");
}
