//! One round's world: the victim's and the attackers' address spaces,
//! CSpaces and threads, all made from the round's untyped so that revoking
//! it destroys the round.
//!
//! Both address spaces get the program image at its usual address: text
//! and read-only data mapped read-only, the writable segments (`.data`,
//! `.bss`: the shared counters) read-write, so a thread that went astray
//! cannot rewrite the code ktest runs. Every fuzz thread has a region at a
//! fixed address in its own space: a guard page, [`STACK_PAGES`] of stack,
//! one page with its IPC buffer (offset 0) and its thread block (offset
//! [`BLOCK_OFFSET`]), and for the victim a data page.

use super::{attacker, victim};
use crate::harness::{Env, ROOT_PRIO, Reason};
use crate::ok;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_abi::bootinfo::slot;
use rampart_abi::object::vm_attr;
use rampart_abi::{ObjectType, PAGE_SIZE, Rights};
use rampart_rt::cap::{CNode, Endpoint, Frame, Notification, Reply, SchedContext, Tcb, VSpace};
use rampart_rt::cnode::guard_data;
use rampart_rt::spawn::{self, Options, give};
use rampart_rt::tcb::UserContext;

const PAGE: u64 = PAGE_SIZE as u64;
/// Stack pages of every fuzz thread.
pub const STACK_PAGES: u64 = 8;
/// Offset of the thread block in the IPC-buffer page.
pub const BLOCK_OFFSET: u64 = 2048;
/// The victim's region.
pub const VICTIM_REGION: u64 = 0x50_0000_0000;
/// Attacker thread `i`'s region is `ATTACKER_REGION + i * REGION_SIZE`.
pub const ATTACKER_REGION: u64 = 0x51_0000_0000;
/// Distance between regions.
pub const REGION_SIZE: u64 = 0x1_0000;
/// Base of the child threads' stacks (unused by their code, but mapped).
pub const CHILD_STACKS: u64 = 0x52_0000_0000;

/// Address of the IPC buffer in a region.
pub const fn ipc_addr(region: u64) -> u64 {
    region + (1 + STACK_PAGES) * PAGE
}
/// Address of the thread block (the TLS block) in a region.
pub const fn tls_addr(region: u64) -> u64 {
    ipc_addr(region) + BLOCK_OFFSET
}
/// Initial stack pointer in a region (as after a call).
pub const fn stack_top(region: u64) -> u64 {
    ipc_addr(region) - 8
}
/// Attacker thread `id`'s region.
pub const fn attacker_region(id: usize) -> u64 {
    ATTACKER_REGION + id as u64 * REGION_SIZE
}
/// The victim's data page (an attacker gets a read-only capability to it).
pub const VICTIM_DATA: u64 = VICTIM_REGION + (2 + STACK_PAGES) * PAGE;
/// Where the attackers see the victim's data page, mapped through a
/// read-only capability.
pub const RO_VIEW: u64 = 0x53_0000_0000;

/// Radix of the victim's CNode and its slots.
pub const VICTIM_RADIX: u64 = 3;
/// Victim slot: its own TCB.
pub const V_TCB: u64 = 1;
/// Victim slot: the endpoint it serves.
pub const V_EP: u64 = 2;
/// Victim slot: its reply object.
pub const V_REPLY: u64 = 3;
/// Victim slot: its doorbell notification (requests of kind `WAIT`).
pub const V_DOORBELL: u64 = 4;

/// Radix of the attackers' CNode.
pub const ATTACKER_RADIX: u64 = 7;
/// Slots of the attackers' CSpace (shared by both attacker threads and
/// the children they start).
pub mod aslot {
    /// TCBs of attacker threads 0 and 1 (copies; ktest keeps the originals).
    pub const TCB: [u64; 2] = [1, 2];
    /// The CNode itself.
    pub const CNODE: u64 = 3;
    /// Send-only capabilities to the victim's endpoint, two badges.
    pub const VICTIM_EP: [u64; 2] = [4, 5];
    /// Scheduling contexts of threads 0 and 1 (copies).
    pub const SC: [u64; 2] = [6, 7];
    /// Extra scheduling contexts: budget 2 ms per 10 ms (a copy) and
    /// round robin (moved in: the attackers hold the only capability).
    pub const SC_EXTRA: [u64; 2] = [8, 9];
    /// Untyped memory (moved in).
    pub const UNTYPED: u64 = 10;
    /// Reply objects.
    pub const REPLY: [u64; 2] = [11, 12];
    /// The victim's doorbell (all rights).
    pub const DOORBELL: u64 = 13;
    /// A notification of the attackers' own.
    pub const NTFN: u64 = 14;
    /// Endpoints of the attackers' own (the second is a badged copy).
    pub const EP: [u64; 2] = [15, 16];
    /// A spare frame.
    pub const FRAME: u64 = 17;
    /// A read-only capability to the victim's data page.
    pub const RO_FRAME: u64 = 18;
    /// The attackers' VSpace.
    pub const VSPACE: u64 = 19;
    /// A TCB nobody configured.
    pub const SPARE_TCB: u64 = 20;
    /// A small CNode (radix 4).
    pub const CNODE2: u64 = 21;
    /// I/O ports 0x80..=0x80.
    pub const IOPORT: u64 = 22;
    /// The IPC-buffer frames of threads 0 and 1.
    pub const IPC_FRAME: [u64; 2] = [23, 24];
    /// An unmapped page table.
    pub const PT: u64 = 25;
    /// Scheduling control.
    pub const SCHED_CONTROL: u64 = 26;
    /// Slots from here on start empty.
    pub const SCRATCH: u64 = 32;
}
/// The I/O port range given to the attackers.
pub const IOPORT_RANGE: (u64, u64) = (0x80, 0x80);

/// Badges of the victim endpoint capabilities the attackers hold.
pub const VICTIM_BADGES: [u64; 2] = [0xa1, 0xa2];
/// Badges of the monitor endpoint: victim faults, attacker faults, idle.
pub const MON_VICTIM: u64 = 0x100;
/// See [`MON_VICTIM`].
pub const MON_ATTACKER: [u64; 2] = [0x200, 0x201];
/// See [`MON_VICTIM`].
pub const MON_IDLE: u64 = 0x300;

/// Priorities: the victim above ktest, the attackers below.
pub const VICTIM_PRIO: u64 = ROOT_PRIO + 1;
/// See [`VICTIM_PRIO`].
pub const ATTACKER_PRIO: u64 = ROOT_PRIO - 1;
/// The idle detector's priority; attackers keep every priority they set at
/// or above [`MIN_PRIO`] so that it runs only when they are all blocked.
pub const IDLE_PRIO: u64 = 1;
/// See [`IDLE_PRIO`].
pub const MIN_PRIO: u64 = 2;

/// The round's seed.
pub static SEED: AtomicU64 = AtomicU64::new(0);
/// Attacker invocations at which the attackers stop.
pub static QUOTA: AtomicU64 = AtomicU64::new(0);
/// Mode of attacker threads 0 and 1: 0 invoker, 1 spawner.
pub static MODE: [AtomicU64; 2] = [const { AtomicU64::new(0) }; 2];
/// Cptr of the idle detector's monitor capability (root CSpace).
static IDLE_CAP: AtomicU64 = AtomicU64::new(0);

/// What ktest holds of a round.
pub struct World {
    /// Endpoint receiving faults and idle reports.
    pub monitor: Endpoint,
    /// Reply object for it.
    pub reply: Reply,
    /// The victim's TCB.
    pub victim: Tcb,
    /// A spare round-robin context ktest binds to a victim left without one.
    pub rescue_sc: SchedContext,
    /// The victim's doorbell.
    pub doorbell: Notification,
    /// Attacker threads.
    pub attackers: [Tcb; 2],
    /// Their scheduling contexts (ktest's capabilities).
    pub attacker_sc: [SchedContext; 2],
    /// Their IPC-buffer frames (ktest's capabilities).
    pub attacker_ipc: [Frame; 2],
    /// Their CNode and VSpace.
    pub cnode: CNode,
    /// See [`World::cnode`].
    pub vspace: VSpace,
}

/// The writable part of the program image, from its ELF program headers
/// in the boot-module archive (`None`: map everything writable).
fn writable_range(env: &Env) -> Option<(u64, u64)> {
    let bi = env.bi;
    // SAFETY: the kernel maps the boot-module archive read-only at
    // `bootfs_vaddr` for the root task's whole life (rampart_abi::bootinfo).
    let bytes = unsafe { core::slice::from_raw_parts(bi.bootfs_vaddr as *const u8, bi.bootfs_size as usize) };
    let fs = rampart_abi::bootfs::Bootfs::parse(bytes).ok()?;
    let elf = fs.iter().find(|e| e.name.rsplit('/').next() == Some("ktest"))?.data;
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?) as u64);
    let u32_at = |o: usize| Some(u32::from_le_bytes(elf.get(o..o + 4)?.try_into().ok()?) as u64);
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    let (phoff, phentsize, phnum) = (u64_at(0x20)?, u16_at(0x36)?, u16_at(0x38)?);
    let (mut lo, mut hi) = (u64::MAX, 0);
    for i in 0..phnum {
        let ph = (phoff + i * phentsize) as usize;
        if u32_at(ph)? == 1 && u32_at(ph + 4)? & 2 != 0 {
            let (vaddr, memsz) = (u64_at(ph + 16)?, u64_at(ph + 40)?);
            lo = lo.min(vaddr & !(PAGE - 1));
            hi = hi.max(vaddr + memsz);
        }
    }
    (lo < hi).then_some((lo, hi))
}

/// A new address space holding the program image.
fn new_space(env: &mut Env) -> Result<VSpace, Reason> {
    let writable = writable_range(env).unwrap_or((0, u64::MAX));
    let a = &mut env.a;
    let vs = VSpace(ok!(a.retype(ObjectType::VSpace, 0)));
    ok!(env.parent.asid_pool.assign(vs));
    for i in 0..env.parent.image_frames.len() {
        let va = env.parent.image_vaddr + i * PAGE;
        let data = va >= writable.0 && va < writable.1;
        let (rights, attr) = if data { (Rights::RW, 0) } else { (Rights::READ, vm_attr::EXECUTE) };
        let copy = Frame(ok!(a.copy(env.parent.image_frames.start + i, Rights::ALL)));
        ok!(a.map_frame(vs, copy, va, rights, attr));
    }
    Ok(vs)
}

/// How to start one fuzz thread.
struct ThreadSpec {
    tcb: Tcb,
    vspace: VSpace,
    cnode: CNode,
    radix: u64,
    region: u64,
    entry: extern "C" fn(u64) -> !,
    arg: u64,
    prio: u64,
    sc: SchedContext,
    fault: Endpoint,
}

/// Maps the region of `s`, configures and starts the thread; returns its
/// IPC-buffer frame.
fn start(env: &mut Env, s: &ThreadSpec) -> Result<Frame, Reason> {
    let a = &mut env.a;
    for i in 1..=STACK_PAGES {
        let f = ok!(a.frame());
        ok!(a.map_frame(s.vspace, f, s.region + i * PAGE, Rights::RW, 0));
    }
    let ipc = ok!(a.frame());
    ok!(a.map_frame(s.vspace, ipc, ipc_addr(s.region), Rights::RW, 0));
    ok!(s.tcb.configure(s.cnode, guard_data(0, 64 - s.radix), s.vspace, ipc, ipc_addr(s.region)));
    ok!(s.tcb.set_sched_params(env.parent.tcb, s.prio, s.prio, s.sc, s.fault));
    ok!(s.tcb.set_tls_base(tls_addr(s.region)));
    restart(s.tcb, s.entry, s.region, s.arg, true)
        .map_err(|e| Reason::new(format_args!("starting a thread: {e:?}")))?;
    Ok(ipc)
}

/// Makes `tcb` run `entry(arg)` from the top of the stack of `region`;
/// with `tls`, its TLS base becomes the region's thread block (else it
/// stays what the thread made it).
pub fn restart(
    tcb: Tcb,
    entry: extern "C" fn(u64) -> !,
    region: u64,
    arg: u64,
    tls: bool,
) -> Result<(), rampart_abi::Error> {
    let ctx = UserContext {
        rip: entry as *const () as usize as u64,
        rsp: stack_top(region),
        rflags: 0x202,
        rdi: arg,
        fs_base: tls_addr(region),
        ..Default::default()
    };
    // Registers in ABI order; `fs_base` is the 19th.
    tcb.write_registers(true, if tls { 19 } else { 18 }, &ctx)
}

fn idle_loop(_: u64) -> u64 {
    let cap = IDLE_CAP.load(Relaxed);
    loop {
        rampart_rt::ipc::send(cap, rampart_abi::MessageInfo(0), [0; 4]);
    }
}

/// Builds a round: victim (passive if `passive`), two attacker threads and
/// the idle detector. Returns once the victim waits for requests.
pub fn build(env: &mut Env, passive: bool) -> Result<World, Reason> {
    let monitor = ok!(env.a.endpoint());
    let reply = ok!(env.a.reply());
    let sched = env.parent.sched_control;
    let mon = |env: &mut Env, badge| -> Result<Endpoint, Reason> {
        Ok(Endpoint(ok!(env.a.mint(monitor.0, Rights::ALL, badge))))
    };

    // The victim.
    let vspace = new_space(env)?;
    let a = &mut env.a;
    let vcn = ok!(a.cnode_object(VICTIM_RADIX));
    let ep = ok!(a.endpoint());
    let doorbell = ok!(a.notification());
    let victim = ok!(a.tcb());
    let victim_sc = ok!(a.sched_context());
    let rescue_sc = ok!(a.sched_context());
    ok!(sched.configure(victim_sc, 10_000, 10_000, 0));
    ok!(sched.configure(rescue_sc, 10_000, 10_000, 0));
    let vreply = ok!(a.reply());
    for (i, src) in [(V_TCB, victim.0), (V_EP, ep.0), (V_REPLY, vreply.0), (V_DOORBELL, doorbell.0)] {
        ok!(give(a, vcn, VICTIM_RADIX, i, src, Rights::ALL, 0));
    }
    let data = ok!(a.frame());
    ok!(a.map_frame(vspace, data, VICTIM_DATA, Rights::RW, 0));
    victim::READY.store(0, Relaxed);
    let fault = mon(env, MON_VICTIM)?;
    let spec = ThreadSpec {
        tcb: victim,
        vspace,
        cnode: vcn,
        radix: VICTIM_RADIX,
        region: VICTIM_REGION,
        entry: victim::entry,
        arg: 0,
        prio: VICTIM_PRIO,
        sc: victim_sc,
        fault,
    };
    start(env, &spec)?;
    // The victim runs above ktest: it is waiting for requests by now.
    if victim::READY.load(Relaxed) == 0 {
        crate::fail!("the victim did not start");
    }
    if passive {
        ok!(victim_sc.unbind());
    }

    // The attackers' CSpace.
    let vs = new_space(env)?;
    let a = &mut env.a;
    let cn = ok!(a.cnode_object(ATTACKER_RADIX));
    let tcbs = [ok!(a.tcb()), ok!(a.tcb())];
    let scs = [ok!(a.sched_context()), ok!(a.sched_context())];
    let extra = [ok!(a.sched_context()), ok!(a.sched_context())];
    for sc in scs {
        ok!(sched.configure(sc, 10_000, 10_000, 0));
    }
    ok!(sched.configure(extra[0], 2_000, 10_000, 0xe0));
    ok!(sched.configure(extra[1], 5_000, 5_000, 0xe1));
    let own_ep = ok!(a.endpoint());
    let ioport = ok!(a.slot());
    ok!(rampart_rt::cap::IoPortControl(slot::IO_PORT_CONTROL).issue(
        IOPORT_RANGE.0 as u16,
        IOPORT_RANGE.1 as u16,
        a.cnode(),
        ioport,
        rampart_rt::alloc::ROOT_DEPTH
    ));
    let r = ATTACKER_RADIX;
    let copies = [
        (aslot::TCB[0], tcbs[0].0, Rights::ALL, 0),
        (aslot::TCB[1], tcbs[1].0, Rights::ALL, 0),
        (aslot::CNODE, cn.0, Rights::ALL, 0),
        (aslot::VICTIM_EP[0], ep.0, Rights::WRITE, VICTIM_BADGES[0]),
        (aslot::VICTIM_EP[1], ep.0, Rights::WRITE, VICTIM_BADGES[1]),
        (aslot::SC[0], scs[0].0, Rights::ALL, 0),
        (aslot::SC[1], scs[1].0, Rights::ALL, 0),
        (aslot::SC_EXTRA[0], extra[0].0, Rights::ALL, 0),
        (aslot::DOORBELL, doorbell.0, Rights::ALL, 0),
        (aslot::EP[0], own_ep.0, Rights::ALL, 0),
        (aslot::EP[1], own_ep.0, Rights::ALL, 0xe9),
        (aslot::RO_FRAME, data.0, Rights::READ, 0),
        (aslot::VSPACE, vs.0, Rights::ALL, 0),
        (aslot::IOPORT, ioport, Rights::ALL, 0),
        (aslot::SCHED_CONTROL, slot::SCHED_CONTROL, Rights::ALL, 0),
    ];
    for (index, src, rights, badge) in copies {
        ok!(give(a, cn, r, index, src, rights, badge));
    }
    let moved = [
        (aslot::SC_EXTRA[1], extra[1].0),
        (aslot::UNTYPED, ok!(a.untyped_object(17)).0),
        (aslot::REPLY[0], ok!(a.reply()).0),
        (aslot::REPLY[1], ok!(a.reply()).0),
        (aslot::NTFN, ok!(a.notification()).0),
        (aslot::FRAME, ok!(a.frame()).0),
        (aslot::SPARE_TCB, ok!(a.tcb()).0),
        (aslot::CNODE2, ok!(a.cnode_object(4)).0),
        (aslot::PT, ok!(a.retype(ObjectType::PageTable, 0))),
    ];
    for (index, src) in moved {
        ok!(cn.move_(index, r, a.path(src)));
    }
    let view = Frame(ok!(a.copy(data.0, Rights::READ)));
    ok!(a.map_frame(vs, view, RO_VIEW, Rights::RW, 0));
    // Child stacks: a page each with a guard page between.
    for k in 0..4 {
        let f = ok!(a.frame());
        ok!(a.map_frame(vs, f, CHILD_STACKS + k * 2 * PAGE + PAGE, Rights::RW, 0));
    }

    // The attacker threads.
    let mut ipc = [Frame(0); 2];
    for (id, item) in ipc.iter_mut().enumerate() {
        attacker::reset_thread(id);
        let fault = mon(env, MON_ATTACKER[id])?;
        let spec = ThreadSpec {
            tcb: tcbs[id],
            vspace: vs,
            cnode: cn,
            radix: r,
            region: attacker_region(id),
            entry: attacker::entry,
            arg: id as u64,
            prio: ATTACKER_PRIO,
            sc: scs[id],
            fault,
        };
        *item = start(env, &spec)?;
        ok!(give(&env.a, cn, r, aslot::IPC_FRAME[id], item.0, Rights::ALL, 0));
    }

    // The idle detector: runs only when every other thread is blocked.
    let idle = mon(env, MON_IDLE)?;
    IDLE_CAP.store(idle.0, Relaxed);
    let mut o = Options::new(IDLE_PRIO);
    o.ipc_buffer = false;
    spawn::spawn(&mut env.a, &env.parent, idle_loop, 0, &o)
        .map_err(|e| Reason::new(format_args!("spawning the idle detector: {e:?}")))?;

    Ok(World {
        monitor,
        reply,
        victim,
        rescue_sc,
        doorbell,
        attackers: tcbs,
        attacker_sc: scs,
        attacker_ipc: ipc,
        cnode: cn,
        vspace: vs,
    })
}

/// Puts attacker thread `id` back in its original configuration and
/// starts it again at its entry point (after a fault or a stall).
///
/// # Errors
/// The first failing invocation.
pub fn reset_attacker(env: &Env, w: &World, id: usize, with_sc: bool) -> Result<(), rampart_abi::Error> {
    let t = w.attackers[id];
    let region = attacker_region(id);
    t.configure(w.cnode, guard_data(0, 64 - ATTACKER_RADIX), w.vspace, w.attacker_ipc[id], ipc_addr(region))?;
    if with_sc {
        let _ = t.suspend();
        let _ = w.attacker_sc[id].unbind();
        env.parent.sched_control.configure(w.attacker_sc[id], 10_000, 10_000, 0)?;
        t.set_priority(env.parent.tcb, ATTACKER_PRIO)?;
        let _ = w.attacker_sc[id].bind(t);
    }
    restart(t, attacker::entry, region, id as u64, false)
}
