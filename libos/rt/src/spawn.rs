//! Starting threads that run a function of the program, in the program's
//! own address space or in a new one (for test suites and benchmarks run as
//! the root task).
//!
//! A new address space gets copies of the program's image frames mapped at
//! the same addresses (`BootInfo::user_image_frames`), so the same code runs
//! there and the program's `.data`/`.bss` pages are *shared* between the
//! two spaces: statics (atomics) are the way to exchange results.
//!
//! Every thread gets a region of [`REGION_SIZE`] bytes at the same address
//! in both spaces: a guard page, a stack of [`STACK_PAGES`] pages (mapped
//! only in the thread's space), and one page holding its IPC buffer (offset
//! 0) and its [`ThreadBlock`] (offset [`BLOCK_OFFSET`]), mapped in both
//! spaces so the creator can prepare and inspect it.
//!
//! The thread starts in [`thread_start`], which calls `entry(arg)`, stores
//! the result in the block, sets `done`, and then suspends itself through
//! its own TCB capability, or executes `ud2` (a user-exception fault, which
//! stops a thread without fault handler) if it has none.

use crate::alloc::Allocator;
use crate::cap::{AsidPool, CNode, CPtr, Cap, Endpoint, Frame, SchedContext, SchedControl, Tcb, VSpace};
use crate::cnode::guard_data;
use crate::tcb::UserContext;
use crate::tls::ThreadBlock;
use core::sync::atomic::AtomicU64;
use core::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use rampart_abi::bootinfo::{BootInfo, SlotRegion, slot};
use rampart_abi::object::vm_attr;
use rampart_abi::{Error, ObjectType, PAGE_SIZE, Rights};

/// Start of the virtual range used for thread regions (64 GiB).
pub const REGION_BASE: u64 = 0x10_0000_0000;
/// Size of one thread's region (bytes).
pub const REGION_SIZE: u64 = 0x1_0000;
/// Stack size in pages.
pub const STACK_PAGES: u64 = 8;
/// Offset of the thread block within the IPC-buffer page (bytes).
pub const BLOCK_OFFSET: u64 = 2048;

/// Number of regions handed out so far (addresses are never reused).
static NEXT_REGION: AtomicU64 = AtomicU64::new(0);

/// What the creating program is: the capabilities `spawn` needs from the
/// root task's CSpace (slot numbers are cptrs there).
#[derive(Clone, Copy, Debug)]
pub struct Parent {
    /// The root CNode.
    pub cnode: CNode,
    /// Guard data that makes slot numbers of `cnode` 64-bit cptrs.
    pub cnode_guard: u64,
    /// The creator's VSpace.
    pub vspace: VSpace,
    /// The creator's TCB (authority for priorities).
    pub tcb: Tcb,
    /// Scheduling control.
    pub sched_control: SchedControl,
    /// ASID pool for new VSpaces.
    pub asid_pool: AsidPool,
    /// Frame capabilities of the program image, page by page.
    pub image_frames: SlotRegion,
    /// Address of the image's first page.
    pub image_vaddr: u64,
}

impl Parent {
    /// The root task's capabilities as the kernel describes them.
    pub fn from_bootinfo(bi: &BootInfo) -> Parent {
        Parent {
            cnode: CNode(slot::CNODE),
            cnode_guard: guard_data(0, 64u64.saturating_sub(bi.cnode_radix)),
            vspace: VSpace(slot::VSPACE),
            tcb: Tcb(slot::TCB),
            sched_control: SchedControl(slot::SCHED_CONTROL),
            asid_pool: AsidPool(slot::ASID_POOL),
            image_frames: bi.user_image_frames,
            image_vaddr: bi.user_image_vaddr,
        }
    }
}

/// The CSpace a new thread runs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// The creator's CSpace (cptrs mean the same in both threads).
    Shared,
    /// A CNode of `2^radix` slots (capability `cnode` in the creator's
    /// CSpace), given guard data so its slot numbers are 64-bit cptrs. When
    /// `self_caps` is set, the thread's own TCB is copied to slot 1 and the
    /// CNode itself to slot 2 (as in init's CSpace).
    Own {
        /// The CNode.
        cnode: CNode,
        /// Its radix.
        radix: u64,
        /// Install the thread's TCB and CNode capabilities.
        self_caps: bool,
    },
    /// CNode `cnode` with guard data `data`, nothing installed: the caller
    /// lays out the CSpace (and may store the thread's own TCB cptr in its
    /// block before resuming it).
    Custom {
        /// The CNode.
        cnode: CNode,
        /// Guard data for `TcbConfigure`.
        data: u64,
    },
}

/// How to create a thread.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Priority.
    pub prio: u64,
    /// Maximum controlled priority.
    pub mcp: u64,
    /// Budget per period in microseconds; `None` makes a passive thread
    /// (no scheduling context; it runs only on a donated one).
    pub budget_period_us: Option<(u64, u64)>,
    /// Badge reported in the scheduling context's timeout faults.
    pub sc_badge: u64,
    /// Fault endpoint in the creator's CSpace (`Endpoint(0)`: none).
    pub fault_ep: Endpoint,
    /// Run in a new address space (else in the creator's).
    pub new_vspace: bool,
    /// The thread's CSpace.
    pub cspace: Space,
    /// Give the thread an IPC buffer.
    pub ipc_buffer: bool,
    /// Make the thread runnable at once.
    pub resume: bool,
}

impl Options {
    /// A round-robin thread (10 ms budget = period) at `prio`, MCP `prio`,
    /// in the creator's spaces, with an IPC buffer, resumed at once.
    pub const fn new(prio: u64) -> Options {
        Options {
            prio,
            mcp: prio,
            budget_period_us: Some((10_000, 10_000)),
            sc_badge: 0,
            fault_ep: Endpoint(0),
            new_vspace: false,
            cspace: Space::Shared,
            ipc_buffer: true,
            resume: true,
        }
    }
}

/// A thread created by [`spawn`]. The objects belong to the allocator's
/// untyped; the handle must not be used after they are revoked.
#[derive(Debug)]
pub struct Thread {
    /// The TCB (creator's CSpace).
    pub tcb: Tcb,
    /// The scheduling context (`SchedContext(0)` for a passive thread).
    pub sc: SchedContext,
    /// The VSpace it runs in.
    pub vspace: VSpace,
    /// Start of its region.
    pub region: u64,
    /// Address of its IPC buffer (0: none), the same in both spaces.
    pub ipc_buffer: u64,
    /// Initial stack pointer.
    pub stack_top: u64,
    /// The IPC-buffer frame (mapped in the thread's space).
    pub ipc_frame: Frame,
}

impl Thread {
    /// The thread's block, through the creator's mapping of its IPC page.
    pub fn block(&self) -> &ThreadBlock {
        let p = (self.region + (1 + STACK_PAGES) * PAGE_SIZE as u64 + BLOCK_OFFSET) as *const ThreadBlock;
        // SAFETY: `spawn` mapped the IPC-buffer page at this address in the
        // creator's space and initialised the block; it stays mapped until
        // the allocator's untyped is revoked, after which the handle must
        // not be used (type documentation). Only atomics are accessed.
        unsafe { &*p }
    }

    /// True once `entry` has returned.
    pub fn done(&self) -> bool {
        self.block().done.load(Acquire) != 0
    }

    /// The value `entry` returned (valid once [`Thread::done`]).
    pub fn result(&self) -> u64 {
        self.block().result.load(Relaxed)
    }
}

/// Where every spawned thread begins: runs the entry function recorded in
/// its thread block, then stops (module documentation).
extern "C" fn thread_start() -> ! {
    let tb = crate::tls::current();
    let entry = tb.entry.load(Relaxed) as usize;
    // SAFETY: `spawn` stored the address of a `fn(u64) -> u64` of this very
    // program image, which is mapped at the same address in every space
    // threads are spawned in; the value is never anything else.
    let f: fn(u64) -> u64 = unsafe { core::mem::transmute::<usize, fn(u64) -> u64>(entry) };
    let r = f(tb.arg.load(Relaxed));
    tb.result.store(r, Relaxed);
    tb.done.store(1, Release);
    loop {
        let t = tb.tcb();
        if t.0 != 0 {
            let _ = t.suspend();
        } else {
            // SAFETY: `ud2` raises #UD: a fault that stops this thread (or
            // reports it to its fault handler); it touches no memory.
            unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
        }
    }
}

/// Creates a thread running `entry(arg)` with `opts`, carving every object
/// from `alloc`'s untyped.
///
/// # Errors
/// The first failing invocation's error.
pub fn spawn(
    alloc: &mut Allocator,
    parent: &Parent,
    entry: fn(u64) -> u64,
    arg: u64,
    opts: &Options,
) -> Result<Thread, Error> {
    let region = REGION_BASE + NEXT_REGION.fetch_add(1, Relaxed) * REGION_SIZE;
    let page = |i: u64| region + i * PAGE_SIZE as u64;
    let ipc_vaddr = page(1 + STACK_PAGES);
    let block_vaddr = ipc_vaddr + BLOCK_OFFSET;
    let stack_top = ipc_vaddr;

    let tcb = alloc.tcb()?;
    let vspace = if opts.new_vspace {
        let vs = VSpace(alloc.retype(ObjectType::VSpace, 0)?);
        parent.asid_pool.assign(vs)?;
        for i in 0..parent.image_frames.len() {
            let copy = Frame(alloc.copy(parent.image_frames.start + i, Rights::ALL)?);
            let va = parent.image_vaddr + i * PAGE_SIZE as u64;
            alloc.map_frame(vs, copy, va, Rights::RW, vm_attr::EXECUTE)?;
        }
        vs
    } else {
        parent.vspace
    };

    // Stack (only in the thread's space), then the IPC/block page.
    for i in 1..=STACK_PAGES {
        let f = alloc.frame()?;
        alloc.map_frame(vspace, f, page(i), Rights::RW, 0)?;
    }
    let ipc_frame = alloc.frame()?;
    alloc.map_frame(vspace, ipc_frame, ipc_vaddr, Rights::RW, 0)?;
    if opts.new_vspace {
        let mine = Frame(alloc.copy(ipc_frame.0, Rights::ALL)?);
        alloc.map_frame(parent.vspace, mine, ipc_vaddr, Rights::RW, 0)?;
    }

    // CSpace.
    let (cspace, cspace_data, self_tcb) = match opts.cspace {
        Space::Shared => (parent.cnode, parent.cnode_guard, tcb.cptr()),
        Space::Own { cnode, radix, self_caps } => {
            let mut own_tcb = 0;
            if self_caps {
                cnode.copy(1, radix, alloc.path(tcb.0), Rights::ALL)?;
                cnode.copy(2, radix, alloc.path(cnode.0), Rights::ALL)?;
                own_tcb = 1;
            }
            (cnode, guard_data(0, 64 - radix), own_tcb)
        }
        Space::Custom { cnode, data } => (cnode, data, 0),
    };
    let (buf_frame, buf_addr) = if opts.ipc_buffer { (ipc_frame, ipc_vaddr) } else { (Frame(0), 0) };
    tcb.configure(cspace, cspace_data, vspace, buf_frame, buf_addr)?;

    // Scheduling.
    let sc = match opts.budget_period_us {
        Some((budget, period)) => {
            let sc = alloc.sched_context()?;
            parent.sched_control.configure(sc, budget, period, opts.sc_badge)?;
            sc
        }
        None => SchedContext(0),
    };
    tcb.set_sched_params(parent.tcb, opts.mcp, opts.prio, sc, opts.fault_ep)?;

    // Thread block, TLS base and registers.
    let t = Thread { tcb, sc, vspace, region, ipc_buffer: buf_addr, stack_top, ipc_frame };
    let tb = t.block();
    tb.prepare(block_vaddr, buf_addr, self_tcb);
    tb.entry.store(entry as usize as u64, Relaxed);
    tb.arg.store(arg, Relaxed);
    tcb.set_tls_base(block_vaddr)?;
    let ctx = UserContext {
        rip: thread_start as *const () as usize as u64,
        // As if `thread_start` had been called: rsp + 8 is 16-byte aligned.
        rsp: stack_top - 8,
        rflags: 0x202,
        fs_base: block_vaddr,
        ..Default::default()
    };
    tcb.write_registers(false, rampart_abi::tcb::REGISTER_COUNT as u64, &ctx)?;
    if opts.resume {
        tcb.resume()?;
    }
    Ok(t)
}

/// Copies the capability in the creator's slot `src` into slot `index` of
/// a thread's own CNode `cnode` of radix `radix`, with `rights` and `badge`
/// (0: copy; otherwise mint).
///
/// # Errors
/// The copy's error.
pub fn give(
    alloc: &Allocator,
    cnode: CNode,
    radix: u64,
    index: u64,
    src: CPtr,
    rights: Rights,
    badge: u64,
) -> Result<(), Error> {
    let p = alloc.path(src);
    if badge == 0 { cnode.copy(index, radix, p, rights) } else { cnode.mint(index, radix, p, rights, badge) }
}
