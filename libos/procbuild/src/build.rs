//! Performing a plan: retyping chunks into objects, mapping, filling
//! frames through a window in the builder's own address space, and setting
//! up the TCB (feature `rt`; user programs only).
//!
//! The builder is whoever runs this code (init or rm). Its capabilities are
//! described by [`Builder`]; memory and slots come from a [`Resources`]
//! implementation, which also remembers every chunk and slot it hands out,
//! so that the caller can undo a failed build completely (revoke the chunks,
//! free the slots).

use crate::image::{ImageError, ImagePlan};
use crate::pack::{Group, PackError, Table, pack, tables_needed};
use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use rampart_abi::object::vm_attr;
use rampart_abi::{Error, ObjectType, PAGE_SIZE, Rights};
use rampart_rt::cap::{
    AsidPool, CNode, CPtr, Endpoint, Frame, Notification, PageDirectory, PageTable, Pdpt, Reply, SchedContext,
    SchedControl, Tcb, Untyped, VSpace,
};
use rampart_rt::cnode::guard_data;
use rampart_rt::tcb::UserContext;
use rampart_rt::vspace::MAP_FRAMES_MAX;
use rampart_uabi::startup::{self, StartupBody, StartupError, StartupHeader, layout, slot};

const PAGE: u64 = PAGE_SIZE as u64;
/// Pages in the builder's window (it must have a page table for them).
pub const WINDOW_PAGES: usize = 64;

/// Why a build failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuildError {
    /// The image was rejected.
    Image(ImageError),
    /// The objects could not be planned.
    Pack(PackError),
    /// The startup information does not fit.
    Startup(StartupError),
    /// Memory could not be provided (the quota or the free memory ran out).
    NoMemory,
    /// The builder ran out of capability slots.
    NoSlots,
    /// A kernel invocation failed: the error and what was being done.
    Kernel(Error, &'static str),
    /// A parameter is out of range (CNode radix, sizes).
    BadParameter,
}

/// The builder's own capabilities (in its CSpace, where slot = cptr).
#[derive(Clone, Copy, Debug)]
pub struct Builder {
    /// The builder's root CNode.
    pub cnode: CNode,
    /// The builder's VSpace (for the window).
    pub vspace: VSpace,
    /// TCB authorising priorities (the builder's own).
    pub authority: Tcb,
    /// Scheduling control.
    pub sched_control: SchedControl,
    /// Base of [`WINDOW_PAGES`] pages in the builder's space whose page
    /// table exists and which are otherwise unused.
    pub window: u64,
}

/// Memory and slots for a build.
pub trait Resources {
    /// An untyped chunk of `2^bits` bytes in the builder's CSpace.
    ///
    /// # Errors
    /// [`BuildError::NoMemory`] (quota or memory exhausted).
    fn chunk(&mut self, bits: u32) -> Result<Untyped, BuildError>;
    /// `n` consecutive empty slots of the builder's root CNode; the first.
    ///
    /// # Errors
    /// [`BuildError::NoSlots`].
    fn slots(&mut self, n: u64) -> Result<CPtr, BuildError>;
    /// Slots `first..first + n` are about to receive copies of capabilities
    /// that are *not* derived from the chunks (shared image frames): the
    /// caller must delete them explicitly when the task goes away.
    fn copies(&mut self, _first: CPtr, _n: u64) {}
}

fn k<T>(r: Result<T, Error>, what: &'static str) -> Result<T, BuildError> {
    r.map_err(|e| BuildError::Kernel(e, what))
}

/// Objects created by [`create`]: slot of the first object of each group.
#[derive(Clone, Debug)]
pub struct Objects {
    /// First slot of each input group (consecutive slots per group).
    pub first: Vec<CPtr>,
    /// First slot after the objects (for `extra` slots requested).
    pub extra: CPtr,
}

/// Creates the objects of `groups` from chunks packed by [`pack`], in one
/// run of consecutive slots plus `extra` empty slots after them.
///
/// # Errors
/// [`BuildError`]; what was allocated is recorded by `res`.
pub fn create(b: &Builder, res: &mut dyn Resources, groups: &[Group], extra: u64) -> Result<Objects, BuildError> {
    let plan = pack(groups).map_err(BuildError::Pack)?;
    let n: u64 = groups.iter().map(|g| g.count).sum::<u64>() + extra;
    let base = if n == 0 { 0 } else { res.slots(n)? };
    let mut first = Vec::with_capacity(groups.len());
    let mut s = base;
    for g in groups {
        first.push(s);
        s += g.count;
    }
    for c in &plan {
        let ut = res.chunk(c.bits)?;
        for r in &c.retypes {
            let g = groups[r.group];
            let dest = first[r.group] + r.first;
            k(ut.retype(g.ty, g.size_arg, b.cnode, 0, 0, dest, r.count), "retype")?;
        }
    }
    Ok(Objects { first, extra: s })
}

/// Maps the paging structures `tables` (caps in consecutive slots from
/// `first`, in the order given) into `vspace`, top-down.
///
/// # Errors
/// The kernel's error.
pub fn map_tables(vspace: VSpace, tables: &[Table], first: CPtr) -> Result<(), BuildError> {
    // Slots are per type in `tables` order; the caller created them grouped
    // by level (3, 2, 1) exactly as `tables_needed` sorts them.
    for (i, t) in tables.iter().enumerate() {
        let cap = first + i as u64;
        let r = match t.level {
            3 => Pdpt(cap).map(vspace, t.base),
            2 => PageDirectory(cap).map(vspace, t.base),
            _ => PageTable(cap).map(vspace, t.base),
        };
        k(r, "map paging structure")?;
    }
    Ok(())
}

/// Groups for `tables` (PDPTs, PDs, PTs: three groups, possibly empty).
pub fn table_groups(tables: &[Table]) -> [Group; 3] {
    let n = |l| tables.iter().filter(|t| t.level == l).count() as u64;
    [
        Group::new(ObjectType::Pdpt, 0, n(3)),
        Group::new(ObjectType::PageDirectory, 0, n(2)),
        Group::new(ObjectType::PageTable, 0, n(1)),
    ]
}

/// Writes frames through the builder's window: `frames[i]` is mapped, then
/// `fill(i, page)` writes it, then it is unmapped again (ready to be mapped
/// into its task).
///
/// # Errors
/// The kernel's error.
pub fn fill_frames(b: &Builder, frames: &[CPtr], fill: &mut dyn FnMut(usize, &mut [u8])) -> Result<(), BuildError> {
    for (bi, batch) in frames.chunks(WINDOW_PAGES).enumerate() {
        k(b.vspace.map_frames(b.window, Rights::RW, 0, batch), "map window")?;
        for i in 0..batch.len() {
            let addr = b.window + i as u64 * PAGE;
            // SAFETY: the frame was just mapped read-write at `addr` in this
            // address space; the window is used by nothing else, and the
            // slice does not outlive the mapping (unmapped below).
            let page = unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, PAGE_SIZE) };
            fill(bi * WINDOW_PAGES + i, page);
        }
        k(b.vspace.unmap_frames(batch), "unmap window")?;
    }
    Ok(())
}

/// Maps `frames` at consecutive pages from `vaddr` in `vspace`.
///
/// # Errors
/// The kernel's error.
pub fn map_run(vspace: VSpace, vaddr: u64, frames: &[CPtr], rights: Rights, attrs: u64) -> Result<(), BuildError> {
    for (i, batch) in frames.chunks(MAP_FRAMES_MAX).enumerate() {
        let va = vaddr + (i * MAP_FRAMES_MAX) as u64 * PAGE;
        k(vspace.map_frames(va, rights, attrs, batch), "map frames")?;
    }
    Ok(())
}

/// What to build.
pub struct TaskSpec<'a> {
    /// The ELF bytes.
    pub image: &'a [u8],
    /// Its validated plan.
    pub plan: &'a ImagePlan,
    /// For sharing read-only pages: the frame capability (builder's CSpace)
    /// holding image page `i`, if the image is backed by frames.
    pub image_frames: Option<&'a dyn Fn(u64) -> Option<CPtr>>,
    /// log2 slots of the task's CNode.
    pub cnode_radix: u32,
    /// Stack size in pages.
    pub stack_pages: u64,
    /// Initial heap in pages.
    pub heap_pages: u64,
    /// Priority and maximum controlled priority.
    pub priority: u64,
    /// Maximum controlled priority.
    pub mcp: u64,
    /// Scheduling budget and period in microseconds.
    pub budget_period_us: (u64, u64),
    /// Fault endpoint (builder's CSpace; `Endpoint(0)`: none).
    pub fault_ep: Endpoint,
    /// ASID pool for the VSpace.
    pub asid_pool: AsidPool,
    /// Startup header (pid, parent, tsc, flags; addresses are filled in).
    pub header: StartupHeader,
    /// Startup body.
    pub body: &'a StartupBody,
    /// The body's arguments and environment as an argument block (the
    /// postcard encoding of `(argv, envp)`, already checked), replacing
    /// `body.argv` and `body.envp` (`startup::encode_with_args`).
    pub args: Option<&'a [u8]>,
}

/// A built task, not yet running. Its capabilities live in the builder's
/// slots (all in the range `slots`).
#[derive(Clone, Debug)]
pub struct Task {
    /// Main TCB.
    pub tcb: Tcb,
    /// CNode (no guard; `cnode_radix` bits address a slot).
    pub cnode: CNode,
    /// Its radix.
    pub cnode_radix: u32,
    /// VSpace.
    pub vspace: VSpace,
    /// Scheduling context.
    pub sc: SchedContext,
    /// Notification bound to the main thread.
    pub ntfn: Notification,
    /// The task's reply object.
    pub reply: Reply,
    /// The main thread's IPC-buffer frame (its page also holds the signal
    /// block, `rampart_uabi::signal::BLOCK_OFFSET`).
    pub ipc_frame: Frame,
    /// Paging structures present in the VSpace.
    pub tables: BTreeSet<Table>,
    /// Start of the heap.
    pub heap_start: u64,
    /// End of the mapped heap.
    pub heap_end: u64,
    /// First slot and slot count used in the builder's CNode.
    pub slots: (CPtr, u64),
    /// Bytes of kernel objects other than frames (CNode, TCB, scheduling
    /// context, notification, reply, VSpace, paging structures).
    pub object_bytes: u64,
    /// Bytes of frames created for it (image copies, stack, IPC buffer,
    /// startup information, heap).
    pub frame_bytes: u64,
}

/// Consecutive-address runs of `(vaddr, rights, attrs)` entries.
fn runs(
    pages: &[(u64, Rights, u64, CPtr)],
    mut f: impl FnMut(u64, Rights, u64, &[CPtr]) -> Result<(), BuildError>,
) -> Result<(), BuildError> {
    let mut i = 0;
    let mut caps: Vec<CPtr> = Vec::new();
    while i < pages.len() {
        let (va, r, a, _) = pages[i];
        caps.clear();
        let mut j = i;
        while j < pages.len() && pages[j].0 == va + (j - i) as u64 * PAGE && pages[j].1 == r && pages[j].2 == a {
            caps.push(pages[j].3);
            j += 1;
        }
        f(va, r, a, &caps)?;
        i = j;
    }
    Ok(())
}

/// Builds a task as docs/userland.md §2 describes; it is left suspended
/// (resume its TCB when its other capabilities are installed).
///
/// # Errors
/// [`BuildError`]; what was allocated is recorded by `res`.
pub fn build_task(b: &Builder, res: &mut dyn Resources, spec: &TaskSpec) -> Result<Task, BuildError> {
    let radix = spec.cnode_radix;
    if !(startup::MIN_CNODE_RADIX..=20).contains(&radix) || spec.stack_pages == 0 || spec.stack_pages > 4096 {
        return Err(BuildError::BadParameter);
    }
    let plan = spec.plan;
    let heap_start = plan.heap_start();
    let heap_end = heap_start + spec.heap_pages * PAGE;
    let stack_size = spec.stack_pages * PAGE;
    let mut header = spec.header;
    header.ipc_buffer = layout::IPC_BUFFER;
    header.stack_top = layout::STACK_TOP;
    header.stack_size = stack_size;
    header.heap_start = heap_start;
    header.heap_size = heap_end - heap_start;
    let info = startup::encode_with_args(&header, spec.body, spec.args).map_err(BuildError::Startup)?;
    let info_pages = (info.len() as u64).div_ceil(PAGE);

    let share = |p: &crate::image::PagePlan| p.shared_page.and_then(|i| spec.image_frames.and_then(|f| f(i)));
    let copied: Vec<_> = plan.pages.iter().filter(|p| share(p).is_none()).collect();
    let shared: Vec<_> = plan.pages.iter().filter_map(|p| share(p).map(|c| (p, c))).collect();
    let stack_base = layout::STACK_TOP - stack_size;
    let mut vaddrs: Vec<u64> = plan.pages.iter().map(|p| p.vaddr).collect();
    vaddrs.extend((0..spec.stack_pages).map(|i| stack_base + i * PAGE));
    vaddrs.extend((0..1 + info_pages).map(|i| layout::IPC_BUFFER + i * PAGE));
    vaddrs.extend((0..spec.heap_pages).map(|i| heap_start + i * PAGE));
    let tables = tables_needed(vaddrs.iter().copied(), &BTreeSet::new());

    let nframes = copied.len() as u64 + spec.stack_pages + 1 + info_pages + spec.heap_pages;
    let [g_pdpt, g_pd, g_pt] = table_groups(&tables);
    let groups = [
        Group::new(ObjectType::CNode, u64::from(radix), 1),
        Group::new(ObjectType::VSpace, 0, 1),
        g_pdpt,
        g_pd,
        g_pt,
        Group::new(ObjectType::Frame4K, 0, nframes),
        Group::new(ObjectType::Tcb, 0, 1),
        Group::new(ObjectType::SchedContext, 0, 1),
        Group::new(ObjectType::Notification, 0, 1),
        Group::new(ObjectType::Reply, 0, 1),
    ];
    let sizes = |gs: &[Group]| gs.iter().map(|g| g.bits().map_or(0, |b| g.count << b)).sum::<u64>();
    let frame_bytes = nframes * PAGE;
    let object_bytes = sizes(&groups) - frame_bytes;
    let objs = create(b, res, &groups, shared.len() as u64)?;
    if !shared.is_empty() {
        res.copies(objs.extra, shared.len() as u64);
    }
    let cnode = CNode(objs.first[0]);
    let vspace = VSpace(objs.first[1]);
    let frames0 = objs.first[5];
    let tcb = Tcb(objs.first[6]);
    let sc = SchedContext(objs.first[7]);
    let ntfn = Notification(objs.first[8]);
    let reply = Reply(objs.first[9]);
    let slots_used = objs.extra + shared.len() as u64 - objs.first[0];

    k(spec.asid_pool.assign(vspace), "assign ASID")?;
    map_tables(vspace, &tables, objs.first[2])?;

    // Frame order: copied image pages, stack, IPC buffer, startup, heap.
    let f_img = frames0;
    let f_stack = f_img + copied.len() as u64;
    let f_ipc = f_stack + spec.stack_pages;
    let f_info = f_ipc + 1;
    let f_heap = f_info + info_pages;
    let mut to_fill: Vec<CPtr> = (0..copied.len() as u64).map(|i| f_img + i).collect();
    to_fill.extend((0..info_pages).map(|i| f_info + i));
    fill_frames(b, &to_fill, &mut |i, page| {
        if i < copied.len() {
            plan.fill_page(spec.image, copied[i].vaddr, page);
        } else {
            let off = (i - copied.len()) * PAGE_SIZE;
            let n = (info.len() - off).min(PAGE_SIZE);
            page[..n].copy_from_slice(&info[off..off + n]);
        }
    })?;

    // Image pages (copied and shared) with their segment permissions.
    let mut pages: Vec<(u64, Rights, u64, CPtr)> = Vec::with_capacity(plan.pages.len());
    let rights = |p: &crate::image::PagePlan| {
        (if p.writable() { Rights::RW } else { Rights::READ }, if p.executable() { vm_attr::EXECUTE } else { 0 })
    };
    for (i, p) in copied.iter().enumerate() {
        let (r, a) = rights(p);
        pages.push((p.vaddr, r, a, f_img + i as u64));
    }
    for (i, (p, src)) in shared.iter().enumerate() {
        let dst = objs.extra + i as u64;
        k(b.cnode.copy(dst, 64, b.cnode.path(*src, 64), Rights::READ), "copy shared image frame")?;
        let (r, a) = rights(p);
        pages.push((p.vaddr, r, a, dst));
    }
    pages.sort_by_key(|p| p.0);
    runs(&pages, |va, r, a, caps| map_run(vspace, va, caps, r, a))?;
    let seq = |first: CPtr, n: u64| (0..n).map(|i| first + i).collect::<Vec<_>>();
    map_run(vspace, stack_base, &seq(f_stack, spec.stack_pages), Rights::RW, 0)?;
    map_run(vspace, layout::IPC_BUFFER, &[f_ipc], Rights::RW, 0)?;
    map_run(vspace, layout::STARTUP, &seq(f_info, info_pages), Rights::READ, 0)?;
    map_run(vspace, heap_start, &seq(f_heap, spec.heap_pages), Rights::RW, 0)?;

    // CSpace: the well-known slots.
    let r = u64::from(radix);
    let me = |s: CPtr| b.cnode.path(s, 64);
    k(cnode.copy(slot::TCB, r, me(tcb.0), Rights::ALL), "install TCB")?;
    k(cnode.mint(slot::CNODE, r, me(cnode.0), Rights::ALL, guard_data(0, 64 - r)), "install CNode")?;
    k(cnode.copy(slot::NOTIFICATION, r, me(ntfn.0), Rights::ALL), "install notification")?;
    k(cnode.copy(slot::REPLY, r, me(reply.0), Rights::ALL), "install reply")?;

    // The thread.
    k(tcb.configure(cnode, guard_data(0, 64 - r), vspace, Frame(f_ipc), layout::IPC_BUFFER), "configure TCB")?;
    let (budget, period) = spec.budget_period_us;
    k(b.sched_control.configure(sc, budget, period, 0), "configure scheduling context")?;
    k(tcb.set_sched_params(b.authority, spec.mcp, spec.priority, sc, spec.fault_ep), "set scheduling parameters")?;
    k(tcb.bind_notification(ntfn), "bind notification")?;
    let ctx = UserContext {
        rip: plan.entry,
        rsp: layout::STACK_TOP,
        rflags: 0x202,
        rdi: layout::STARTUP,
        ..Default::default()
    };
    k(tcb.write_registers(false, rampart_abi::tcb::REGISTER_COUNT as u64, &ctx), "write registers")?;

    Ok(Task {
        tcb,
        cnode,
        cnode_radix: radix,
        vspace,
        sc,
        ntfn,
        reply,
        ipc_frame: Frame(f_ipc),
        tables: tables.into_iter().collect(),
        heap_start,
        heap_end,
        slots: (objs.first[0], slots_used),
        object_bytes,
        frame_bytes,
    })
}

/// Maps `count` new zeroed frames at `vaddr` into a task's `vspace` with
/// `rights`: paging structures it lacks are created from `tables_res` (and
/// added to `tables`), frames from `frames_res`. Returns the first slot of
/// the frames (consecutive) and the slot ranges used as (first, count) for
/// the tables and the frames.
///
/// # Errors
/// [`BuildError`]; what was allocated is recorded by the resources.
#[allow(clippy::too_many_arguments)]
pub fn map_new_frames(
    b: &Builder,
    tables_res: &mut dyn Resources,
    frames_res: &mut dyn Resources,
    vspace: VSpace,
    tables: &mut BTreeSet<Table>,
    vaddr: u64,
    count: u64,
    rights: Rights,
) -> Result<NewFrames, BuildError> {
    let need = tables_needed((0..count).map(|i| vaddr + i * PAGE), tables);
    let mut table_slots = (0, 0);
    if !need.is_empty() {
        let objs = create(b, tables_res, &table_groups(&need), 0)?;
        map_tables(vspace, &need, objs.first[0])?;
        table_slots = (objs.first[0], need.len() as u64);
        tables.extend(need.iter().copied());
    }
    let objs = create(b, frames_res, &[Group::new(ObjectType::Frame4K, 0, count)], 0)?;
    let frames: Vec<CPtr> = (0..count).map(|i| objs.first[0] + i).collect();
    map_run(vspace, vaddr, &frames, rights, 0)?;
    Ok(NewFrames { first: objs.first[0], count, table_slots })
}

/// Result of [`map_new_frames`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewFrames {
    /// First frame slot (consecutive).
    pub first: CPtr,
    /// Number of frames.
    pub count: u64,
    /// Slots of new paging structures (first, count).
    pub table_slots: (CPtr, u64),
}
