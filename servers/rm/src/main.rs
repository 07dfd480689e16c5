//! rm, the resource manager (docs/resource-manager.md).
//!
//! init builds rm and gives it all RAM as untyped memory, ASID control,
//! scheduling control and the boot-module archive (read-only). rm creates
//! and destroys every other task, charges all memory to resource
//! containers, and is the fault handler of programs. It is a
//! single-threaded server that never blocks: `Wait` answers are deferred
//! with saved reply objects.
#![no_std]
#![no_main]

extern crate alloc;

mod connsrv;
mod device;
mod jobs;
mod kops;
mod lifecycle;
mod memory;
mod power;
mod seal;
mod security;
// Threads' signal blocks: pages the threads write concurrently, used as
// atomics through raw pointers.
#[allow(unsafe_code)]
mod signals;
// Reads program images and argument blocks through the window init maps
// for it.
#[allow(unsafe_code)]
mod spawn;
mod state;
mod tasks;
mod timer;

use crate::kops::{CNODE, Holdings};
use crate::state::Rm;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use rampart_abi::bootfs::Bootfs;
use rampart_procbuild::build::Builder;
use rampart_rm_api::boot::{RmBoot, slot as bslot};
use rampart_rm_api::{INIT_PID, Request, Response, Stats, badge};
use rampart_rm_core::buddy::Buddy;
use rampart_rm_core::container::Containers;
use rampart_rm_core::proctable::{Proc, ProcTable};
use rampart_rm_core::slots::Slots;
use rampart_rt::cap::{AsidControl, Endpoint, Notification, Reply, SchedControl, Tcb, VSpace};
use rampart_rt::dprintln;
use rampart_rt::ipc::codec::{Message, Outgoing};
use rampart_rt::server::{Action, Server};
use rampart_uabi::Errno;
use rampart_uabi::codec::decode_bytes;
use rampart_uabi::startup::slot;

rampart_rt::program!(main);

fn main() -> i32 {
    let Some(body) = rampart_rt::startup::body() else { return 1 };
    let boot: RmBoot = match decode_bytes(&body.data) {
        Ok(b) => b,
        Err(e) => {
            rampart_rt::pr_err!("rm: bad boot description: {e:?}");
            return 2;
        }
    };
    let mut rm = setup(&boot);
    dprintln!(
        "rm: managing {} MiB in {} untyped, {} free slots",
        rm.buddy.total_bytes() >> 20,
        boot.untyped.len(),
        rm.slots.free_count()
    );
    let mut server = Server::new(rm.ep, Reply(slot::REPLY));
    let Some(recv) = rm.slots.alloc(1) else { return 3 };
    server.set_receive_slot(CNODE, recv);
    server.run(&mut |s, m| handle(&mut rm, s, m, recv))
}

fn setup(boot: &RmBoot) -> Rm {
    let mut slots = Slots::new(boot.first_free, 1u64 << boot.cnode_radix);
    let mut buddy = Buddy::new();
    for u in &boot.untyped {
        buddy.add_root(u.slot, u.paddr, u.bits);
    }
    #[allow(unsafe_code)] // the boot archive init mapped for rm
    // SAFETY: init maps the archive read-only at this address in rm for
    // `bootfs_size` bytes before starting rm, and never unmaps it.
    let archive = unsafe { core::slice::from_raw_parts(boot.bootfs_vaddr as *const u8, boot.bootfs_size as usize) };
    let bootfs = match Bootfs::parse(archive) {
        Ok(fs) => Some(fs),
        Err(e) => {
            rampart_rt::pr_err!("rm: bad boot-module archive: {e:?}");
            None
        }
    };
    let _ = &mut slots;
    let mut rm = Rm {
        b: Builder {
            cnode: CNODE,
            vspace: VSpace(bslot::VSPACE),
            authority: Tcb(slot::TCB),
            sched_control: SchedControl(bslot::SCHED_CONTROL),
            window: boot.window,
        },
        ep: Endpoint(bslot::ENDPOINT),
        buddy,
        slots,
        containers: Containers::new(0, INIT_PID),
        procs: ProcTable::new(),
        tasks: BTreeMap::new(),
        init_events: Notification(bslot::INIT_NOTIFICATION),
        regions: BTreeMap::new(),
        next_region: 1,
        tokens: BTreeMap::new(),
        next_token: 1,
        sealed: BTreeMap::new(),
        next_seal: 1,
        asid_control: AsidControl(bslot::ASID_CONTROL),
        pools: Vec::new(),
        replies: Vec::new(),
        bootfs,
        bootfs_vaddr: boot.bootfs_vaddr,
        bootfs_first: bslot::BOOTFS_FIRST,
        bootfs_pages: boot.bootfs_pages,
        image_window: boot.window + (rampart_procbuild::build::WINDOW_PAGES as u64) * 4096,
        own: Holdings::default(),
        priority: boot.priority,
        tsc_hz: rampart_rt::startup::header().map_or(0, |h| h.tsc_hz),
        connsrv: None,
        secsrv: Default::default(),
        staged: BTreeMap::new(),
        device_tasks: alloc::collections::BTreeSet::new(),
        device_vaddr: BTreeMap::new(),
        power: boot.power,
        sigwin: Default::default(),
    };
    // rm's own objects first, so the root container's quota is what is
    // left for everybody else.
    rm.pool();
    rm.more_replies();
    rm.containers = Containers::new(rm.buddy.free_bytes(), INIT_PID);
    rm.procs.insert(Proc {
        pid: INIT_PID,
        parent: 0,
        container: rampart_rm_api::ROOT_CONTAINER,
        context: "system_u:system_r:init_t".into(),
        privileged: true,
        status: None,
        pgid: INIT_PID,
        sid: INIT_PID,
        event: None,
    });
    rm
}

fn stats(rm: &Rm) -> Stats {
    Stats {
        total_bytes: rm.buddy.total_bytes(),
        free_bytes: rm.buddy.free_bytes(),
        largest_free: rm.buddy.largest_free(),
        free_slots: rm.slots.free_count(),
        tasks: rm.procs.live() as u32,
        zombies: rm.procs.zombies() as u32,
        containers: rm.containers.len() as u32,
        regions: rm.regions.len() as u32,
    }
}

/// Marks a "capability for the child" that is rm's own token original (to
/// be copied, not moved).
pub const TOKEN_COPY: u64 = 1 << 63;

/// Whether `caller` may see task `pid`: itself, a descendant, or a task on
/// whose context the policy grants it `process getattr`.
fn may_see(rm: &Rm, caller: u32, pid: u32) -> bool {
    if pid == caller || rm.procs.is_descendant(pid, caller) {
        return true;
    }
    let ctx = |p: u32| rm.procs.get(p).map(|p| p.context.as_str()).unwrap_or_default();
    security::may_getattr(rm, ctx(caller), ctx(pid))
}

fn info(rm: &Rm, pid: u32) -> Option<rampart_rm_api::TaskInfo> {
    let t = rm.tasks.get(&pid)?;
    let p = rm.procs.get(pid).filter(|p| p.status.is_none())?;
    let regions: u64 = t.regions.iter().filter_map(|r| rm.regions.get(r)).map(|r| r.hold.charged).sum();
    t.cpu_us.set(t.cpu_us.get().saturating_add(t.built.sc.consumed().unwrap_or(0)));
    Some(rampart_rm_api::TaskInfo {
        pid,
        parent: p.parent,
        name: t.name.clone(),
        container: t.container,
        object_bytes: t.built.object_bytes,
        frame_bytes: t.built.frame_bytes,
        charged: t.hold.charged + regions,
        context: p.context.clone(),
        cpu_us: t.cpu_us.get(),
    })
}

fn task_info(rm: &Rm, caller: u32, pid: u32) -> Result<Response, Errno> {
    let i = info(rm, pid).ok_or(Errno::ESRCH)?;
    if !may_see(rm, caller, pid) {
        return Err(Errno::EPERM);
    }
    Ok(Response::TaskInfo(i))
}

fn reply(r: Result<Response, Errno>) -> Action {
    Action::reply(&r.unwrap_or_else(Response::Err))
}

fn handle(rm: &mut Rm, server: &mut Server, msg: &Message, recv: u64) -> Action {
    let b = msg.badge;
    if b & badge::FAULT != 0 {
        lifecycle::fault(rm, (b & badge::PID_MASK) as u32, msg);
        return Action::NoReply;
    }
    if b & badge::EVENT != 0 {
        // rm's bound notification (label 0, no words): secsrv's signal.
        if b & rampart_secsrv_api::EVENT_POLICY != 0 {
            let n = memory::revoke_on_policy_change(rm);
            if n != 0 {
                dprintln!("rm: policy change revoked {n} shared-memory mapping(s)");
            }
        }
        return Action::NoReply;
    }
    if b & badge::TOKEN != 0 || b == 0 {
        return reply(Err(Errno::EBADF));
    }
    let pid = (b & badge::PID_MASK) as u32;
    if rm.procs.get(pid).is_none_or(|p| p.status.is_some()) {
        return reply(Err(Errno::ESRCH));
    }
    if msg.label() == rampart_uabi::signal::LABEL_SIGRETURN {
        // The caller is suspended and its registers rewritten: no reply.
        signals::sigreturn(rm, pid);
        return Action::NoReply;
    }
    let req: Request = match msg.decode() {
        Ok(r) => r,
        Err(e) => return reply(Err(e.errno())),
    };
    // Fail closed once the security server is gone: without it rm would
    // fall back to its boot-time rules (no security server yet), which
    // trust relations instead of the policy. Only init (powering off) and
    // exits are served (`lifecycle::trusted_ended`).
    if rm.secsrv.lost && pid != INIT_PID && !matches!(req, Request::Exit { .. }) {
        return reply(Err(Errno::EPERM));
    }
    match req {
        Request::Exit { status } => {
            lifecycle::destroy(rm, pid, rampart_rm_api::ExitStatus::Exited(status));
            Action::NoReply
        }
        Request::Spawn(s) => {
            // A capability for the child arrives in the receive slot; a
            // region token (a capability to rm's own endpoint) arrives
            // unwrapped, and rm hands the child a copy of its original.
            let cap = if msg.received_cap() {
                Some(recv)
            } else {
                msg.unwrapped_badge(0).and_then(|b| memory::token_slot(rm, b)).map(|t| t | TOKEN_COPY)
            };
            let r = spawn::spawn(rm, pid, s, cap);
            if r.is_err() {
                security::drop_staged(rm, pid);
            }
            if r.is_ok() && cap.is_some_and(|c| c & TOKEN_COPY == 0) {
                // Moved into the child (inherited) or copied into its TCB
                // (fault endpoint): the slot is free either way.
                server.take_cap();
                let _ = CNODE.delete(recv, 64);
            }
            reply(r.map(|pid| Response::Spawned { pid }))
        }
        Request::Wait { target, block, stopped, continued } => {
            let opts = rampart_rm_core::proctable::WaitOptions { block, stopped, continued };
            match lifecycle::wait(rm, server, pid, target, opts) {
                Some(r) => Action::reply(&r),
                None => Action::NoReply,
            }
        }
        Request::SigCheck => {
            // Acting on the signals may suspend the caller (its call is
            // then aborted) or end it; an answer nobody takes is harmless.
            signals::run(rm, pid);
            reply(Ok(Response::Ok))
        }
        ref r @ (Request::Kill { .. }
        | Request::SigAction { .. }
        | Request::SetPgid { .. }
        | Request::SetSid
        | Request::GetGroup { .. }
        | Request::RegisterTerminal
        | Request::SetControllingTerminal { .. }
        | Request::SetForeground { .. }
        | Request::GetForeground
        | Request::TerminalSignal { .. }
        | Request::TerminalAccess { .. }) => reply(jobs::handle(rm, pid, r).unwrap_or(Err(Errno::ENOSYS))),
        Request::GetPid => {
            let parent = rm.procs.get(pid).map_or(0, |p| p.parent);
            reply(Ok(Response::Pid { pid, parent }))
        }
        Request::HeapGrow { bytes } => reply(memory::heap_grow(rm, pid, bytes)),
        Request::RegionAlloc { bytes } => reply(memory::region_alloc(rm, pid, bytes)),
        Request::RegionAllocAt { vaddr, bytes, exec } => reply(memory::region_alloc_at(rm, pid, vaddr, bytes, exec)),
        Request::RegionFree { region } => reply(memory::region_free(rm, pid, region)),
        Request::RegionShare { region, writable } => match memory::region_share(rm, pid, region, writable) {
            Ok(s) => match Outgoing::encode(&Response::Ok) {
                Ok(m) => Action::Reply(m.with_cap(s)),
                Err(_) => reply(Err(Errno::EIO)),
            },
            Err(e) => reply(Err(e)),
        },
        Request::RegionMap => reply(memory::region_map(rm, pid, msg.unwrapped_badge(0))),
        Request::RegionPhys { region, first } => reply(memory::region_phys(rm, pid, region, first)),
        Request::ContainerCreate { quota } => {
            let own = rm.procs.get(pid).map_or(0, |p| p.container);
            reply(rm.containers.create(own, pid, quota).map(Response::Container))
        }
        Request::ContainerDestroy { id } => reply(rm.containers.destroy(id, pid).map(|_| Response::Ok)),
        Request::ContainerInfo { id } => {
            let own = rm.procs.get(pid).map_or(0, |p| p.container);
            let id = id.unwrap_or(own);
            if !rm.containers.may_use(id, pid, own) {
                return reply(Err(Errno::EPERM));
            }
            reply(rm.containers.stat(id).map(Response::ContainerInfo).ok_or(Errno::ENOENT))
        }
        Request::Stats => reply(Ok(Response::Stats(stats(rm)))),
        Request::TimerAlloc => reply(timer::alloc(rm, pid)),
        Request::TaskInfo { pid: target } => reply(task_info(rm, pid, target)),
        Request::TaskList { from } => Action::reply(&tasks::list(rm, pid, from)),
        Request::RegionMappings { from } => Action::reply(&tasks::mappings(rm, pid, from)),
        Request::PowerOff { reboot, status } => {
            let ctx = rm.procs.get(pid).map(|p| p.context.clone()).unwrap_or_default();
            match security::may_power_off(rm, pid, &ctx, reboot) {
                Ok(()) => {
                    dprintln!(
                        "rm: {} requested by pid {pid} ({ctx}), status {status}",
                        if reboot { "reboot" } else { "power off" }
                    );
                    reply(Err(if reboot { power::reboot(rm) } else { power::power_off(rm, status) }))
                }
                Err(e) => reply(Err(e)),
            }
        }
        Request::StageCap(what) => {
            let r = if msg.received_cap() {
                let r = security::stage(rm, pid, what, Some(recv));
                if r.is_ok() {
                    server.take_cap();
                }
                r
            } else {
                // A region token (a capability to rm's own endpoint)
                // arrives unwrapped: rm stages a copy of its original, as
                // for `Spawn::cap_name` (the Linux personality's fork).
                let t = msg.unwrapped_badge(0).and_then(|b| memory::token_slot(rm, b));
                security::stage_token(rm, pid, what, t)
            };
            reply(r.map(|()| Response::Ok))
        }
        Request::SetSecsrv { pid: s } => {
            let r = security::set(rm, pid, msg.received_cap().then_some(recv), s);
            if r.is_ok() {
                server.take_cap();
            }
            reply(r.map(|()| Response::Ok))
        }
        Request::SetConnsrv { pid: c } => {
            let r = connsrv::set(rm, pid, msg.received_cap().then_some(recv), c);
            if r.is_ok() {
                server.take_cap();
            }
            reply(r.map(|_| Response::Ok))
        }
        Request::DeviceMap { region, pages, index } => {
            let cap = msg.received_cap().then_some(recv);
            let r = device::map(rm, pid, region, pages, index, cap);
            if r.is_ok() {
                server.take_cap();
            }
            reply(r)
        }
        Request::DeviceGrant { pid: child } => reply(device::grant(rm, pid, child)),
        Request::SealImage { region, len, file_sid, subject_sid } => {
            reply(seal::seal(rm, pid, region, len, file_sid, subject_sid).map(|token| Response::Sealed { token }))
        }
    }
}
