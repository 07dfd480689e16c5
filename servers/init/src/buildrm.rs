//! Building the resource manager (docs/userland.md §1 step 1): init carves
//! rm's objects with `procbuild` from one RAM untyped, maps the boot-module
//! archive read-only into rm, gives rm its special capabilities and moves
//! every other RAM untyped into rm's CNode.

use alloc::vec::Vec;
use rampart_abi::bootfs::Bootfs;
use rampart_abi::bootinfo::{BOOTFS_VADDR, BootInfo, slot as bslot};
use rampart_abi::{Error, Rights};
use rampart_procbuild::build::{self, BuildError, Builder, Resources, TaskSpec, WINDOW_PAGES};
use rampart_procbuild::image::{ImagePlan, Limits};
use rampart_procbuild::pack::tables_needed;
use rampart_rm_api::boot::{RmBoot, UntypedCap, slot as rslot};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{AsidPool, CNode, CPtr, Endpoint, Notification, SchedControl, Tcb, Untyped, VSpace};
use rampart_uabi::startup::{EVENT_CHILD, StartupBody, StartupHeader};

/// rm's priority (children get less).
pub const RM_PRIORITY: u8 = 250;
/// rm's heap in pages (fixed: rm does not grow its own heap).
pub const RM_HEAP_PAGES: u64 = 1024;
/// Where rm's window for filling frames is (page tables made by init).
pub const RM_WINDOW: u64 = 0x6000_0000_0000;
/// init's own window for building rm.
pub const INIT_WINDOW: u64 = 0x100_0000_0000;

/// What init keeps after starting rm.
pub struct RmHandle {
    /// rm's TCB (init's slot).
    pub tcb: Tcb,
    /// init's channel to rm (badged with init's pid).
    pub channel: Endpoint,
}

/// Why rm could not be started.
#[derive(Debug)]
#[allow(dead_code)] // the fields are read through `Debug` in init's log
pub enum StartError {
    /// No "rm" boot module.
    NoImage,
    /// Not enough RAM untyped.
    NoMemory,
    /// The image was rejected or a build step failed.
    Build(BuildError),
    /// An invocation failed.
    Kernel(Error, &'static str),
}

struct InitRes<'a>(&'a mut Allocator);

impl Resources for InitRes<'_> {
    fn chunk(&mut self, bits: u32) -> Result<Untyped, BuildError> {
        self.0.untyped_object(u64::from(bits)).map_err(|_| BuildError::NoMemory)
    }
    fn slots(&mut self, n: u64) -> Result<CPtr, BuildError> {
        self.0.slots(n).map_err(|_| BuildError::NoSlots)
    }
}

fn k<T>(r: Result<T, Error>, what: &'static str) -> Result<T, StartError> {
    r.map_err(|e| StartError::Kernel(e, what))
}

fn ceil_log2(x: u64) -> u32 {
    64 - x.saturating_sub(1).leading_zeros()
}

/// Builds and starts rm. `alloc` hands out init's slots and currently
/// carves init's own objects from `own_ut`; `fault_ep` is init's endpoint
/// badged for rm's faults, `events` init's notification; `power` the
/// power-control port capabilities rm gets (moved into its CNode).
pub fn start_rm(
    bi: &BootInfo,
    fs: &Bootfs<'static>,
    alloc: &mut Allocator,
    fault_ep: Endpoint,
    events: Notification,
    power: &crate::power::Power,
) -> Result<RmHandle, StartError> {
    let own_ut = alloc.untyped();
    let image = fs.find("rm").ok_or(StartError::NoImage)?;
    let plan = ImagePlan::new(image.data, &Limits::default()).map_err(|e| StartError::Build(BuildError::Image(e)))?;
    let pages = (bi.usable_ram / 4096).max(1);
    let radix = (ceil_log2(pages) + 1).clamp(14, 20);
    // rm's CNode, heap, image, stack, tables: round up generously.
    let need = (1u64 << (radix + 5)) + RM_HEAP_PAGES * 4096 + (plan.pages.len() as u64 + 64) * 4096 + (1 << 20);
    let m = ceil_log2(need) as u8;

    // The RAM untyped: one (the smallest big enough) is split for the build,
    // the rest goes to rm.
    let ram: Vec<(u64, u64, u8)> = bi
        .untypeds()
        .iter()
        .enumerate()
        .filter(|(_, u)| u.is_device == 0)
        .map(|(i, u)| (bi.untyped.start + i as u64, u.paddr, u.size_bits))
        .filter(|&(s, _, _)| s != own_ut.0)
        .collect();
    let &(bslot_, bpaddr, bbits) = ram.iter().filter(|u| u.2 >= m).min_by_key(|u| u.2).ok_or(StartError::NoMemory)?;
    let mut give: Vec<(CPtr, u64, u8)> = ram.iter().copied().filter(|u| u.0 != bslot_).collect();
    let mut piece = Untyped(bslot_);
    let mut bits = bbits;
    while bits > m {
        alloc.set_untyped(piece);
        let lo = k(alloc.untyped_object(u64::from(bits - 1)), "split untyped")?;
        let hi = k(alloc.untyped_object(u64::from(bits - 1)), "split untyped")?;
        give.push((hi.0, bpaddr + (1u64 << (bits - 1)), bits - 1));
        piece = lo;
        bits -= 1;
    }

    // Init's window for filling frames.
    let b = Builder {
        cnode: CNode(bslot::CNODE),
        vspace: VSpace(bslot::VSPACE),
        authority: Tcb(bslot::TCB),
        sched_control: SchedControl(bslot::SCHED_CONTROL),
        window: INIT_WINDOW,
    };
    alloc.set_untyped(own_ut);
    k(alloc.map_table(b.vspace, INIT_WINDOW, 1), "init window")?;
    let ep = k(alloc.endpoint(), "rm endpoint")?;
    alloc.set_untyped(piece);

    // rm's CNode layout: boot archive frames, then the untyped.
    let bootfs_pages = bi.bootfs_frames.len();
    let ut_first = rslot::BOOTFS_FIRST + bootfs_pages;
    let untyped: Vec<UntypedCap> = give
        .iter()
        .enumerate()
        .map(|(i, &(_, paddr, bits))| UntypedCap { slot: ut_first + i as u64, paddr, bits })
        .collect();
    let boot = RmBoot {
        cnode_radix: radix as u8,
        first_free: ut_first + give.len() as u64,
        untyped,
        bootfs_pages,
        bootfs_vaddr: bi.bootfs_vaddr,
        bootfs_size: bi.bootfs_size,
        window: RM_WINDOW,
        priority: RM_PRIORITY,
        power: power.ports,
    };
    let body = StartupBody {
        name: "rm".into(),
        security_context: "system_u:system_r:rm_t".into(),
        argv: alloc::vec!["rm".into()],
        cwd: "/".into(),
        data: postcard::to_allocvec(&boot).map_err(|_| StartError::NoMemory)?,
        caps: alloc::vec![rampart_uabi::startup::NamedCap { name: "log".into(), slot: rslot::LOG }],
        ..Default::default()
    };
    let header = StartupHeader {
        pid: 0,
        parent: rampart_rm_api::INIT_PID,
        tsc_hz: bi.tsc_hz,
        flags: if bi.kernel_flags & rampart_abi::bootinfo::KERNEL_DEBUG_SYSCALLS != 0 {
            rampart_uabi::startup::flags::DEBUG_SYSCALLS
        } else {
            0
        },
        ..Default::default()
    };
    let shareable = bi.bootfs_vaddr.is_multiple_of(4096);
    let first_frame = bi.bootfs_frames.start + image.offset as u64 / 4096;
    let frames = move |i: u64| Some(first_frame + i);
    let spec = TaskSpec {
        image: image.data,
        plan: &plan,
        image_frames: if shareable { Some(&frames) } else { None },
        cnode_radix: radix,
        stack_pages: 16,
        heap_pages: RM_HEAP_PAGES,
        priority: u64::from(RM_PRIORITY),
        mcp: u64::from(RM_PRIORITY),
        budget_period_us: (10_000, 10_000),
        fault_ep,
        asid_pool: AsidPool(bslot::ASID_POOL),
        header,
        body: &body,
        args: None,
    };
    let t = {
        let mut res = InitRes(alloc);
        build::build_task(&b, &mut res, &spec).map_err(StartError::Build)?
    };
    let r = u64::from(radix);
    let cn = alloc.cnode();
    let me = |s: CPtr| cn.path(s, 64);

    // The archive, read-only at the same address as in init.
    let nb = bootfs_pages;
    let copies = k(alloc.slots(nb), "slots")?;
    for i in 0..nb {
        k(cn.copy(copies + i, 64, me(bi.bootfs_frames.start + i), Rights::READ), "copy archive frame")?;
    }
    let mut tables = t.tables.clone();
    let need = tables_needed((0..nb).map(|i| BOOTFS_VADDR + i * 4096), &tables);
    let need_w = tables_needed([RM_WINDOW], &tables);
    let mut all = need.clone();
    for x in need_w {
        if !all.contains(&x) {
            all.push(x);
        }
    }
    all.sort_by(|a, b| b.level.cmp(&a.level).then(a.base.cmp(&b.base)));
    {
        let mut res = InitRes(alloc);
        let objs = build::create(&b, &mut res, &build::table_groups(&all), 0).map_err(StartError::Build)?;
        build::map_tables(t.vspace, &all, objs.first[0]).map_err(StartError::Build)?;
        tables.extend(all.iter().copied());
    }
    let caps: Vec<CPtr> = (0..nb).map(|i| copies + i).collect();
    build::map_run(t.vspace, BOOTFS_VADDR, &caps, Rights::READ, 0).map_err(StartError::Build)?;
    for i in 0..nb {
        k(t.cnode.move_(rslot::BOOTFS_FIRST + i, r, me(copies + i)), "move archive frame")?;
    }
    debug_assert!(WINDOW_PAGES as u64 + 256 <= 512);

    // rm's endpoint, capabilities and memory.
    k(t.cnode.copy(rslot::ENDPOINT, r, me(ep.0), Rights::ALL), "install rm endpoint")?;
    k(t.cnode.copy(rslot::VSPACE, r, me(t.vspace.0), Rights::ALL), "install rm vspace")?;
    k(t.cnode.copy(rslot::ASID_CONTROL, r, me(bslot::ASID_CONTROL), Rights::ALL), "install ASID control")?;
    k(t.cnode.copy(rslot::SCHED_CONTROL, r, me(bslot::SCHED_CONTROL), Rights::ALL), "install sched control")?;
    k(t.cnode.mint(rslot::INIT_NOTIFICATION, r, me(events.0), Rights::WRITE, EVENT_CHILD), "install init events")?;
    k(t.cnode.copy(rslot::LOG_MINT, r, me(bslot::LOG), Rights::ALL), "install the kernel log")?;
    k(t.cnode.copy(rslot::TIMER_CONTROL, r, me(bslot::TIMER_CONTROL), Rights::ALL), "install timer control")?;
    let rm_log = rampart_rm_api::boot::LOG_BADGE_RM;
    k(t.cnode.mint(rslot::LOG, r, me(bslot::LOG), Rights::WRITE, rm_log), "install rm's log")?;
    for (i, &(s, _, _)) in give.iter().enumerate() {
        k(t.cnode.move_(ut_first + i as u64, r, me(s)), "move untyped")?;
    }
    for &(dst, s) in &power.caps {
        k(t.cnode.move_(dst, r, me(s)), "move power port")?;
    }
    let send = Rights(Rights::WRITE.0 | Rights::GRANT.0 | Rights::GRANT_REPLY.0);
    let channel = Endpoint(k(alloc.mint(ep.0, send, u64::from(rampart_rm_api::INIT_PID)), "init channel")?);
    // init only sends to rm: it keeps no receive right on rm's endpoint.
    crate::security::forget(ep.0);
    k(t.tcb.resume(), "start rm")?;
    Ok(RmHandle { tcb: t.tcb, channel })
}
