//! Initial states: a small system described by a [`Config`].
//!
//! Every boot thread (a *subject*) gets a root CNode of `2^radix` slots
//! whose slot 0 holds the original capability to the CNode itself (with
//! the guard that makes an index a 64-bit capability pointer); the TCB's
//! CSpace slot holds a copy. Further boot objects (one untyped region,
//! endpoints, notifications, reply objects, the threads' TCBs and CNodes)
//! are handed out by [`BootCap`]s: the first capability listed for an object
//! is its original, later ones are minted from it. Boot objects are laid
//! out at addresses below the untyped region, each aligned to its ABI size,
//! so the refinement harness can place the real objects at the same
//! offsets.

use crate::state::ThreadState;
use crate::state::{Addr, Cap, CapKind, Endpoint, NewObj, Notification, Object, Reply, Sizes, SlotId, State, Tcb};
use rampart_abi::Rights;
use std::collections::{BTreeMap, BTreeSet};

/// A boot object a capability can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BootObj {
    /// The untyped region.
    Untyped,
    /// Endpoint number `i`.
    Endpoint(usize),
    /// Notification number `i`.
    Notification(usize),
    /// Reply object number `i`.
    Reply(usize),
    /// The TCB of thread `i`.
    Tcb(usize),
    /// The root CNode of thread `i`.
    CNode(usize),
    /// Scheduling context `i` (the first ones are the threads' own).
    Sc(usize),
    /// Frame `i` (the first ones are the threads' IPC buffers).
    Frame(usize),
    /// The SchedControl capability.
    SchedControl,
    /// The IRQControl capability.
    IrqControl,
    /// The IOPortControl capability.
    IoPortControl,
    /// The VSpace of thread `i` (with its ASID).
    VSpace(usize),
    /// The ASID pool (ASIDs 0..512; thread `i`'s VSpace has ASID `i + 1`).
    AsidPool,
}

/// Priority of the boot threads (their MCP is 255).
pub const BOOT_PRIO: u64 = 100;
/// Budget and period of the boot threads' scheduling contexts (µs).
pub const BOOT_BUDGET_US: u64 = 10_000;
/// User address of every boot thread's IPC buffer.
pub const IPC_BUFFER_VADDR: u64 = 0x10_0000;

/// A boot capability: `obj` with `rights` and `badge` in slot `slot` of
/// thread `thread`'s root CNode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BootCap {
    /// Holder.
    pub thread: usize,
    /// Slot in the holder's root CNode.
    pub slot: u32,
    /// Object.
    pub obj: BootObj,
    /// Rights mask.
    pub rights: Rights,
    /// Badge (endpoints and notifications).
    pub badge: u64,
}

impl BootCap {
    /// An unbadged capability with all rights.
    pub fn new(thread: usize, slot: u32, obj: BootObj) -> BootCap {
        BootCap { thread, slot, obj, rights: Rights::ALL, badge: 0 }
    }
}

/// A small system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Number of boot threads.
    pub threads: usize,
    /// log2 of the slots in each root CNode.
    pub radix: u32,
    /// Object sizes (units for exploration, bytes for refinement).
    pub sizes: Sizes,
    /// log2 of the untyped region.
    pub untyped_bits: u32,
    /// Boot endpoints.
    pub endpoints: usize,
    /// Boot notifications.
    pub notifications: usize,
    /// Boot reply objects.
    pub replies: usize,
    /// Capabilities handed out at boot.
    pub caps: Vec<BootCap>,
    /// Scheduling contexts beyond the threads' own (unbound, unconfigured).
    pub scs: usize,
    /// Frames beyond the threads' IPC buffers.
    pub frames: usize,
    /// Passive threads: (thread, endpoint, reply object): the thread has no
    /// scheduling context (its own stays unbound) and boots blocked
    /// receiving on the endpoint with the reply object.
    pub passive: Vec<(usize, usize, usize)>,
}

/// Where the boot objects of a [`Config`] live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// TCB of each thread.
    pub tcbs: Vec<Addr>,
    /// Root CNode of each thread.
    pub cnodes: Vec<Addr>,
    /// Endpoints.
    pub endpoints: Vec<Addr>,
    /// Notifications.
    pub notifications: Vec<Addr>,
    /// Reply objects.
    pub replies: Vec<Addr>,
    /// Scheduling contexts (thread `i`'s is number `i`).
    pub scs: Vec<Addr>,
    /// Frames (thread `i`'s IPC buffer is number `i`).
    pub frames: Vec<Addr>,
    /// VSpaces (one per thread).
    pub vspaces: Vec<Addr>,
    /// The ASID pool.
    pub asid_pool: Addr,
    /// Base of the untyped region.
    pub untyped: Addr,
    /// One past the last byte used.
    pub end: Addr,
}

impl Config {
    /// Addresses of the boot objects: bump allocation from 0x1000, each
    /// object aligned to its ABI size, then the untyped region aligned to
    /// its size.
    pub fn layout(&self) -> Layout {
        let mut next: Addr = 0x1000;
        let mut alloc = |t: NewObj| {
            let size = 1u64 << Sizes::Bytes.bits(t);
            let a = next.next_multiple_of(size);
            next = a + size;
            a
        };
        let mut l = Layout {
            tcbs: vec![],
            cnodes: vec![],
            endpoints: vec![],
            notifications: vec![],
            replies: vec![],
            scs: vec![],
            frames: vec![],
            vspaces: vec![],
            asid_pool: 0,
            untyped: 0,
            end: 0,
        };
        for _ in 0..self.threads {
            l.cnodes.push(alloc(NewObj::CNode(self.radix)));
            l.tcbs.push(alloc(NewObj::Tcb));
        }
        l.endpoints = (0..self.endpoints).map(|_| alloc(NewObj::Endpoint)).collect();
        l.notifications = (0..self.notifications).map(|_| alloc(NewObj::Notification)).collect();
        l.replies = (0..self.replies).map(|_| alloc(NewObj::Reply)).collect();
        l.scs = (0..self.threads + self.scs).map(|_| alloc(NewObj::SchedContext)).collect();
        l.frames = (0..self.threads + self.frames).map(|_| alloc(NewObj::Frame)).collect();
        l.vspaces = (0..self.threads).map(|_| alloc(NewObj::VSpace)).collect();
        l.asid_pool = alloc(NewObj::VSpace);
        l.untyped = next.next_multiple_of(1 << self.untyped_bits);
        l.end = l.untyped + (1 << self.untyped_bits);
        l
    }

    /// The capability kind naming a boot object.
    pub fn boot_kind(&self, l: &Layout, o: BootObj) -> CapKind {
        match o {
            BootObj::Untyped => CapKind::Untyped { base: l.untyped, size_bits: self.untyped_bits, free: 0 },
            BootObj::Endpoint(i) => CapKind::Endpoint(l.endpoints[i]),
            BootObj::Notification(i) => CapKind::Notification(l.notifications[i]),
            BootObj::Reply(i) => CapKind::Reply(l.replies[i]),
            BootObj::Tcb(i) => CapKind::Tcb(l.tcbs[i]),
            BootObj::CNode(i) => CapKind::CNode { obj: l.cnodes[i], radix: self.radix, guard_bits: 64 - self.radix },
            BootObj::Sc(i) => CapKind::SchedContext(l.scs[i]),
            BootObj::Frame(i) => CapKind::Frame { obj: l.frames[i], mapped: None },
            BootObj::VSpace(i) => CapKind::VSpace { obj: l.vspaces[i], asid: i as u64 + 1 },
            BootObj::AsidPool => CapKind::AsidPool { obj: l.asid_pool, base: 0 },
            BootObj::SchedControl => CapKind::SchedControl,
            BootObj::IrqControl => CapKind::IrqControl,
            BootObj::IoPortControl => CapKind::IoPortControl,
        }
    }

    /// The initial state.
    ///
    /// # Panics
    /// If a boot capability names a slot twice or outside the CNode.
    pub fn boot(&self) -> State {
        let l = self.layout();
        let mut s = State {
            sizes: self.sizes,
            memory: (l.untyped, self.untyped_bits),
            objects: BTreeMap::new(),
            cdt: BTreeMap::new(),
            original: BTreeSet::new(),
            threads: l.tcbs.clone(),
            irqs: BTreeMap::new(),
            io_ports: BTreeSet::new(),
            asid_pools: BTreeMap::from([(0, l.asid_pool)]),
        };
        let table = |level| Object::Table(crate::vspace::Table { level, entries: BTreeMap::new() });
        for &a in &l.vspaces {
            s.objects.insert(a, table(4));
        }
        let asids = (0..self.threads).map(|i| (i as u16 + 1, l.vspaces[i])).collect();
        s.objects.insert(l.asid_pool, Object::AsidPool(asids));
        for &a in &l.scs {
            s.objects.insert(a, Object::SchedContext(Default::default()));
        }
        for &a in &l.frames {
            s.objects.insert(a, Object::Frame(Default::default()));
        }
        for &a in &l.endpoints {
            s.objects.insert(a, Object::Endpoint(Endpoint::Idle));
        }
        for &a in &l.notifications {
            s.objects.insert(a, Object::Notification(Notification::Idle));
        }
        for &a in &l.replies {
            s.objects.insert(a, Object::Reply(Reply::default()));
        }
        for i in 0..self.threads {
            s.objects.insert(l.cnodes[i], Object::CNode(vec![None; 1 << self.radix]));
            let mut t = Tcb::new(ThreadState::Running);
            (t.prio, t.mcp, t.ipc_buffer, t.regs.syscall) = (BOOT_PRIO, 255, IPC_BUFFER_VADDR, true);
            t.regs.rip = crate::state::USER_RIP;
            s.objects.insert(l.tcbs[i], Object::Tcb(t));
            let own = SlotId { obj: l.cnodes[i], index: 0 };
            s.insert_root(Cap::new(self.boot_kind(&l, BootObj::CNode(i))), own);
            let cap = s.cap(own).expect("root cap");
            s.cap_insert(cap, own, SlotId { obj: l.tcbs[i], index: 0 });
            let buf = SlotId { obj: l.tcbs[i], index: crate::state::tcb_slot::IPC_BUFFER };
            s.insert_root(Cap { kind: self.boot_kind(&l, BootObj::Frame(i)), rights: Rights::RW, badge: 0 }, buf);
            let vs = SlotId { obj: l.tcbs[i], index: crate::state::tcb_slot::VSPACE };
            s.insert_root(Cap::new(self.boot_kind(&l, BootObj::VSpace(i))), vs);
            let sc = s.sc_mut(l.scs[i]);
            (sc.budget, sc.period) = (BOOT_BUDGET_US / crate::sched::TICK_US, BOOT_BUDGET_US / crate::sched::TICK_US);
            if !self.passive.iter().any(|p| p.0 == i) {
                s.donate(l.scs[i], l.tcbs[i]);
            }
        }
        for &(i, e, r) in &self.passive {
            let (t, ep, reply) = (l.tcbs[i], l.endpoints[e], l.replies[r]);
            s.set_state(t, ThreadState::BlockedOnRecv { ep, reply: Some(reply) });
            s.reply_mut(reply).receiver = Some(t);
            *s.ep_mut(ep) = match s.ep_mut(ep).clone() {
                Endpoint::Recv(mut q) => {
                    q.push(t);
                    Endpoint::Recv(q)
                }
                _ => Endpoint::Recv(vec![t]),
            };
        }
        let mut first: BTreeMap<BootObj, SlotId> = BTreeMap::new();
        first.extend((0..self.threads).map(|i| (BootObj::CNode(i), SlotId { obj: l.cnodes[i], index: 0 })));
        first.extend(
            (0..self.threads)
                .map(|i| (BootObj::Frame(i), SlotId { obj: l.tcbs[i], index: crate::state::tcb_slot::IPC_BUFFER })),
        );
        first.extend(
            (0..self.threads)
                .map(|i| (BootObj::VSpace(i), SlotId { obj: l.tcbs[i], index: crate::state::tcb_slot::VSPACE })),
        );
        for bc in &self.caps {
            let dest = SlotId { obj: l.cnodes[bc.thread], index: bc.slot };
            assert!(bc.slot < 1 << self.radix && s.cap(dest).is_none(), "boot slot {dest:?} invalid or used twice");
            match first.get(&bc.obj) {
                None => {
                    let cap = Cap { kind: self.boot_kind(&l, bc.obj), rights: Rights::ALL, badge: 0 };
                    s.insert_root(cap.masked(bc.rights), dest);
                    let cap = s.cap(dest).expect("boot cap");
                    s.set_cap(dest, Some(Cap { badge: if cap.is_badged_kind() { bc.badge } else { 0 }, ..cap }));
                    first.insert(bc.obj, dest);
                }
                Some(&src) => {
                    let mut new = s.cap(src).expect("original").masked(bc.rights);
                    if new.is_badged_kind() && new.badge == 0 {
                        new.badge = bc.badge;
                    }
                    s.cap_insert(new, src, dest);
                }
            }
        }
        s
    }
}

impl Config {
    /// A client and a passive server: thread 0 holds the untyped region
    /// (slot 1), the original endpoint (slot 2) and the server's unbound
    /// scheduling context (slot 3); thread 1 boots blocked receiving on the endpoint
    /// with its reply object and no scheduling context, and holds a copy of
    /// the endpoint (slot 1), the reply object (slot 2) and the only
    /// capability to thread 0's scheduling context (slot 3). Calls lend the
    /// context; the server can delete it while it runs on it.
    pub fn passive_server(untyped_bits: u32, sizes: Sizes) -> Config {
        Config {
            replies: 1,
            caps: vec![
                BootCap::new(0, 1, BootObj::Untyped),
                BootCap::new(0, 2, BootObj::Endpoint(0)),
                BootCap::new(0, 3, BootObj::Sc(1)),
                BootCap::new(1, 1, BootObj::Endpoint(0)),
                BootCap::new(1, 2, BootObj::Reply(0)),
                BootCap::new(1, 3, BootObj::Sc(0)),
            ],
            passive: vec![(1, 0, 0)],
            ..Config::standard(2, 2, untyped_bits, sizes)
        }
    }

    /// The standard small system: `threads` threads with `2^radix`-slot
    /// root CNodes; thread 0 holds the untyped region (slot 1) and the
    /// original of a shared endpoint (slot 2, all rights); every other
    /// thread holds a copy of the endpoint in slot 1.
    pub fn standard(threads: usize, radix: u32, untyped_bits: u32, sizes: Sizes) -> Config {
        let mut caps = vec![BootCap::new(0, 1, BootObj::Untyped), BootCap::new(0, 2, BootObj::Endpoint(0))];
        caps.extend((1..threads).map(|t| BootCap::new(t, 1, BootObj::Endpoint(0))));
        Config {
            threads,
            radix,
            sizes,
            untyped_bits,
            endpoints: 1,
            notifications: 0,
            replies: 0,
            caps,
            scs: 0,
            frames: 0,
            passive: vec![],
        }
    }
}
