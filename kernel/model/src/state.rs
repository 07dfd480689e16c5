//! The abstract kernel state: objects at addresses, capabilities in slots,
//! the capability derivation tree, and threads.
//!
//! As in seL4's abstract specification, an object is identified by its
//! address, untyped memory is not an object but a capability to a region,
//! and the derivation tree (CDT) is an explicit parent map over slots with
//! an "original" flag per slot (seL4 `cdt` and `is_original_cap`). Nothing
//! here records history: two states that compare equal behave the same, so
//! exploration can hash them directly.

use rampart_abi::Rights;
use std::collections::{BTreeMap, BTreeSet};

/// An object's identity: its (abstract) physical address.
pub type Addr = u64;

/// A capability slot: slot `index` of the CNode (or TCB) at `obj`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SlotId {
    /// The container object.
    pub obj: Addr,
    /// Slot index inside it (TCB: 0 is the CSpace root slot).
    pub index: u32,
}

/// What a capability names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CapKind {
    /// A region of untyped memory with its watermark (`free`, relative to
    /// `base`); the watermark belongs to the capability, as in seL4.
    Untyped {
        /// First address of the region.
        base: Addr,
        /// log2 of the region size.
        size_bits: u32,
        /// Watermark: bytes (units) used from `base`.
        free: u64,
    },
    /// A CNode of `2^radix` slots, addressed with `guard_bits` zero guard bits.
    CNode {
        /// The CNode.
        obj: Addr,
        /// log2 of its slot count.
        radix: u32,
        /// Guard size (a root CNode's guard makes an index a 64-bit pointer).
        guard_bits: u32,
    },
    /// A thread.
    Tcb(Addr),
    /// An endpoint.
    Endpoint(Addr),
    /// A notification.
    Notification(Addr),
    /// A reply object.
    Reply(Addr),
    /// A scheduling context.
    SchedContext(Addr),
    /// The authority to configure scheduling contexts (a boot capability).
    SchedControl,
    /// A 4 KiB frame; its rights (read, write) are the capability's, and
    /// it records the one mapping made through it: (ASID, address).
    Frame {
        /// The frame.
        obj: Addr,
        /// Mapping made through this capability.
        mapped: Option<(u64, u64)>,
    },
    /// A paging structure of `level` (3 PDPT, 2 page directory, 1 page
    /// table) with the mapping made through this capability.
    Table {
        /// The table.
        obj: Addr,
        /// Its level.
        level: u8,
        /// Mapping: (ASID, address of the region it covers).
        mapped: Option<(u64, u64)>,
    },
    /// A VSpace (PML4) with its ASID (0: none assigned).
    VSpace {
        /// The VSpace.
        obj: Addr,
        /// Its ASID.
        asid: u64,
    },
    /// An ASID pool covering ASIDs `base..base + 512`.
    AsidPool {
        /// The pool.
        obj: Addr,
        /// First ASID.
        base: u64,
    },
    /// The authority to create interrupt handlers (a boot capability).
    IrqControl,
    /// The handler of one interrupt line (kernel IRQ number).
    IrqHandler(u64),
    /// The authority to issue I/O port ranges (a boot capability).
    IoPortControl,
    /// The I/O ports `first..=last`.
    IoPort {
        /// First port.
        first: u16,
        /// Last port.
        last: u16,
    },
}

/// What a capability stands for when deciding whether it is the last one
/// (seL4 `sameObjectAs`): an object, an interrupt line or a port range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ident {
    /// An object at an address.
    Obj(Addr),
    /// An interrupt line.
    Irq(u64),
    /// A port range.
    Ports(u16, u16),
}

/// A capability: what it names, its rights and badge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cap {
    /// The object or region.
    pub kind: CapKind,
    /// Rights; only endpoints, notifications and replies carry fewer than all
    /// (a reply cap has all rights if it may grant, else read-write).
    pub rights: Rights,
    /// Badge (endpoints and notifications; 0 = unbadged).
    pub badge: u64,
}

impl Cap {
    /// A capability with all rights and no badge.
    pub fn new(kind: CapKind) -> Cap {
        Cap { kind, rights: Rights::ALL, badge: 0 }
    }

    /// The object this capability names (`None` for untyped memory).
    pub fn obj(&self) -> Option<Addr> {
        match self.kind {
            CapKind::Untyped { .. } => None,
            CapKind::CNode { obj, .. }
            | CapKind::Tcb(obj)
            | CapKind::Endpoint(obj)
            | CapKind::Notification(obj)
            | CapKind::Reply(obj)
            | CapKind::SchedContext(obj)
            | CapKind::Frame { obj, .. }
            | CapKind::Table { obj, .. }
            | CapKind::VSpace { obj, .. }
            | CapKind::AsidPool { obj, .. } => Some(obj),
            _ => None,
        }
    }

    /// What the capability stands for (None: untyped memory and the
    /// control capabilities, which are unique).
    pub fn ident(&self) -> Option<Ident> {
        match self.kind {
            CapKind::IrqHandler(i) => Some(Ident::Irq(i)),
            CapKind::IoPort { first, last } => Some(Ident::Ports(first, last)),
            _ => self.obj().map(Ident::Obj),
        }
    }

    /// True for endpoint and notification capabilities (the badged kinds).
    pub fn is_badged_kind(&self) -> bool {
        matches!(self.kind, CapKind::Endpoint(_) | CapKind::Notification(_))
    }

    /// The capability with its rights masked by `m` (Copy, Mint). Masking
    /// never adds a right; a reply capability keeps read-write and loses
    /// only its grant right.
    pub fn masked(&self, m: Rights) -> Cap {
        let rights = match self.kind {
            CapKind::Endpoint(_) | CapKind::Notification(_) => self.rights.and(m.sanitize()),
            CapKind::Reply(_) if self.rights.and(m).contains(Rights::GRANT) => Rights::ALL,
            CapKind::Reply(_) => Rights::RW,
            CapKind::Frame { .. } => Rights(self.rights.0 & m.0 & Rights::RW.0),
            _ => self.rights,
        };
        Cap { rights, ..*self }
    }
}

/// How big objects are: abstract units (every object one unit, an untyped
/// of `n` bits `2^n` units) or the ABI's byte sizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Sizes {
    /// Object counts: exhaustive exploration.
    Units,
    /// Bytes and alignment as in `rampart_abi::object`: refinement.
    Bytes,
}

/// An object type with its size argument, as passed to Retype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NewObj {
    /// Untyped memory of `2^n` bytes (units).
    Untyped(u32),
    /// A CNode of `2^radix` slots.
    CNode(u32),
    /// A thread (inactive, with an empty CSpace slot).
    Tcb,
    /// An endpoint.
    Endpoint,
    /// A notification.
    Notification,
    /// A reply object.
    Reply,
    /// A scheduling context (unconfigured).
    SchedContext,
    /// A 4 KiB frame.
    Frame,
    /// A VSpace (PML4).
    VSpace,
    /// A paging structure of a level (3 PDPT, 2 page directory, 1 page
    /// table).
    Table(u8),
}

impl Sizes {
    /// log2 of the size of a new object of type `t`.
    pub fn bits(self, t: NewObj) -> u32 {
        use rampart_abi::object as o;
        match (self, t) {
            (_, NewObj::Untyped(n)) => n,
            (Sizes::Units, _) => 0,
            (Sizes::Bytes, NewObj::CNode(radix)) => radix + o::SLOT_BITS,
            (Sizes::Bytes, NewObj::Tcb) => o::TCB_BITS,
            (Sizes::Bytes, NewObj::Endpoint) => o::ENDPOINT_BITS,
            (Sizes::Bytes, NewObj::Notification) => o::NOTIFICATION_BITS,
            (Sizes::Bytes, NewObj::Reply) => o::REPLY_BITS,
            (Sizes::Bytes, NewObj::SchedContext) => o::SCHED_CONTEXT_BITS,
            (Sizes::Bytes, NewObj::Frame | NewObj::VSpace | NewObj::Table(_)) => rampart_abi::PAGE_BITS,
        }
    }
}

/// A message as far as the model follows it: label, MR0 and at most one
/// capability (a pointer in the sender's CSpace, looked up at transfer time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Msg {
    /// Message label.
    pub label: u64,
    /// Message register 0.
    pub mr0: u64,
    /// Extra capability to transfer (index in the sender's root CNode).
    pub cap: Option<u32>,
}

/// A thread's scheduling/IPC state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThreadState {
    /// Not runnable (new or stopped).
    Inactive,
    /// Runnable: may perform operations.
    Running,
    /// In an endpoint's send queue.
    BlockedOnSend {
        /// The endpoint.
        ep: Addr,
        /// Badge of the capability it sent with.
        badge: u64,
        /// A Call (waits for a reply afterwards).
        call: bool,
        /// The capability had Grant (capabilities may be transferred).
        grant: bool,
        /// The capability had GrantReply (the reply may transfer capabilities).
        grant_reply: bool,
        /// The message.
        msg: Msg,
    },
    /// In an endpoint's receive queue.
    BlockedOnRecv {
        /// The endpoint.
        ep: Addr,
        /// Reply object a caller will be bound to.
        reply: Option<Addr>,
    },
    /// A caller waiting for the reply through a reply object.
    BlockedOnReply {
        /// The reply object.
        reply: Addr,
    },
    /// In a notification's wait queue.
    BlockedOnNtfn {
        /// The notification.
        ntfn: Addr,
    },
}

pub use crate::thread::{Fault, RFLAGS_USER, Regs, SAVED_REGS, USER_RIP, tcb_slot};

/// A thread control block.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tcb {
    /// CSpace root capability (slot 0 of the TCB).
    pub cspace: Option<Cap>,
    /// The other capability slots (TCB slots 1..=4, see [`tcb_slot`]).
    pub slots: [Option<Cap>; 4],
    /// State.
    pub state: ThreadState,
    /// User address of the IPC buffer (0: none).
    pub ipc_buffer: u64,
    /// Bound (or lent) scheduling context.
    pub sc: Option<Addr>,
    /// Priority.
    pub prio: u64,
    /// Maximum controlled priority.
    pub mcp: u64,
    /// Bound notification.
    pub bound_ntfn: Option<Addr>,
    /// Pending fault.
    pub fault: Option<Fault>,
    /// Followed registers.
    pub regs: Regs,
    /// Foreign-ABI dispatch `(entry, native lo, native hi)`
    /// (`TcbSetSyscallDispatch`; entry 0: off).
    pub dispatch: (u64, u64, u64),
}

impl Tcb {
    /// A thread in `state` with nothing bound and no capabilities.
    pub fn new(state: ThreadState) -> Tcb {
        Tcb {
            cspace: None,
            slots: [None; 4],
            state,
            ipc_buffer: 0,
            sc: None,
            prio: 0,
            mcp: 0,
            bound_ntfn: None,
            fault: None,
            regs: Regs::new(),
            dispatch: (0, 0, 0),
        }
    }
}

/// An endpoint: idle, or a FIFO of senders or of receivers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Nobody waiting.
    Idle,
    /// Blocked senders, oldest first.
    Send(Vec<Addr>),
    /// Blocked receivers, oldest first.
    Recv(Vec<Addr>),
}

/// A notification: idle, waiters, or pending signal bits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Notification {
    /// Nothing pending, nobody waiting.
    Idle,
    /// Blocked waiters, oldest first.
    Waiting(Vec<Addr>),
    /// Signalled: the OR of the badges.
    Active(u64),
}

/// A reply object (MCS).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Reply {
    /// The caller waiting for a reply through this object.
    pub caller: Option<Addr>,
    /// The reply may transfer capabilities (the caller's cap had GrantReply).
    pub can_grant: bool,
    /// The thread blocked in a receive that will bind its caller here.
    pub receiver: Option<Addr>,
}

pub use crate::devices::Irq;
pub use crate::sched::Sc;

/// The words of an IPC buffer the model follows: the receive slot (an
/// index in the root CNode; None: depth 0) and the first extra-capability
/// word (a capability pointer the owner sent, or a badge the kernel
/// unwrapped into it). The kernel reads both when a message is delivered,
/// so a buffer changed or shared while its owner is blocked matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct BufWords {
    /// Receive slot.
    pub recv: Option<u32>,
    /// First extra-capability word.
    pub cap0: u64,
}

/// A kernel object.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[allow(clippy::large_enum_variant)] // states are compared and hashed whole; no boxing
pub enum Object {
    /// A CNode: its slots.
    CNode(Vec<Option<Cap>>),
    /// A thread.
    Tcb(Tcb),
    /// An endpoint.
    Endpoint(Endpoint),
    /// A notification.
    Notification(Notification),
    /// A reply object.
    Reply(Reply),
    /// A scheduling context.
    SchedContext(Sc),
    /// A frame. Its contents are not modelled, except the words of the IPC
    /// buffers in it that the kernel reads (by byte offset of the buffer;
    /// buffers whose words are all zero are left out).
    Frame(BTreeMap<u64, BufWords>),
    /// A VSpace or paging structure.
    Table(crate::vspace::Table),
    /// An ASID pool: the VSpace of each assigned ASID (by index in the pool).
    AsidPool(BTreeMap<u16, Addr>),
}

impl Object {
    /// The object's type as a retype argument (for its size).
    pub fn new_obj(&self) -> NewObj {
        match self {
            Object::CNode(s) => NewObj::CNode(s.len().trailing_zeros()),
            Object::Tcb(_) => NewObj::Tcb,
            Object::Endpoint(_) => NewObj::Endpoint,
            Object::Notification(_) => NewObj::Notification,
            Object::Reply(_) => NewObj::Reply,
            Object::SchedContext(_) => NewObj::SchedContext,
            Object::Frame(_) => NewObj::Frame,
            Object::Table(t) if t.level == 4 => NewObj::VSpace,
            Object::Table(t) => NewObj::Table(t.level),
            Object::AsidPool(_) => NewObj::VSpace,
        }
    }
}

pub use crate::outcome::{MACHINE, Outcome};

/// The whole abstract state.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct State {
    /// Object sizes.
    pub sizes: Sizes,
    /// The untyped memory given at boot: base and log2 size.
    pub memory: (Addr, u32),
    /// Live objects by address.
    pub objects: BTreeMap<Addr, Object>,
    /// The derivation tree: child slot -> parent slot.
    pub cdt: BTreeMap<SlotId, SlotId>,
    /// Slots holding original capabilities (seL4 `is_original_cap`).
    pub original: BTreeSet<SlotId>,
    /// The boot threads (the subjects), by TCB address.
    pub threads: Vec<Addr>,
    /// Interrupt lines with a handler capability, by kernel IRQ number.
    pub irqs: BTreeMap<u64, Irq>,
    /// Issued I/O port ranges.
    pub io_ports: BTreeSet<(u16, u16)>,
    /// The kernel's ASID table: pools by the high bits of their ASIDs.
    pub asid_pools: BTreeMap<u64, Addr>,
}

impl State {
    /// The capability in `s` (None: empty or no such slot).
    pub fn cap(&self, s: SlotId) -> Option<Cap> {
        match self.objects.get(&s.obj)? {
            Object::CNode(slots) => slots.get(s.index as usize).copied().flatten(),
            Object::Tcb(t) if s.index == 0 => t.cspace,
            Object::Tcb(t) => t.slots.get(s.index as usize - 1).copied().flatten(),
            _ => None,
        }
    }

    /// Stores `c` in `s` (which must be a slot of a live container).
    pub fn set_cap(&mut self, s: SlotId, c: Option<Cap>) {
        match self.objects.get_mut(&s.obj) {
            Some(Object::CNode(slots)) => slots[s.index as usize] = c,
            Some(Object::Tcb(t)) if s.index == 0 => t.cspace = c,
            Some(Object::Tcb(t)) => t.slots[s.index as usize - 1] = c,
            _ => panic!("model: no slot {s:?}"),
        }
    }

    /// Number of slots of container `obj` (0 if it is not one).
    pub fn slot_count(&self, obj: Addr) -> u32 {
        match self.objects.get(&obj) {
            Some(Object::CNode(s)) => s.len() as u32,
            Some(Object::Tcb(_)) => 5,
            _ => 0,
        }
    }

    /// Every non-empty slot with its capability, in address order.
    pub fn all_caps(&self) -> Vec<(SlotId, Cap)> {
        let mut v = Vec::new();
        for &obj in self.objects.keys() {
            for index in 0..self.slot_count(obj) {
                let s = SlotId { obj, index };
                if let Some(c) = self.cap(s) {
                    v.push((s, c));
                }
            }
        }
        v
    }

    /// The thread at `t`, if live.
    pub fn tcb(&self, t: Addr) -> Option<&Tcb> {
        match self.objects.get(&t) {
            Some(Object::Tcb(x)) => Some(x),
            _ => None,
        }
    }

    /// The thread at `t` (which must be live).
    pub fn tcb_mut(&mut self, t: Addr) -> &mut Tcb {
        match self.objects.get_mut(&t) {
            Some(Object::Tcb(x)) => x,
            _ => panic!("model: no thread at {t:#x}"),
        }
    }

    /// The state of thread `t` (Inactive if it does not exist).
    pub fn thread_state(&self, t: Addr) -> ThreadState {
        self.tcb(t).map_or(ThreadState::Inactive, |x| x.state)
    }

    /// Sets the state of thread `t`.
    pub fn set_state(&mut self, t: Addr, s: ThreadState) {
        self.tcb_mut(t).state = s;
    }

    /// The endpoint at `a`, if live.
    pub fn ep(&self, a: Addr) -> Option<&Endpoint> {
        match self.objects.get(&a) {
            Some(Object::Endpoint(e)) => Some(e),
            _ => None,
        }
    }

    /// The endpoint at `a` (which must be live).
    pub fn ep_mut(&mut self, a: Addr) -> &mut Endpoint {
        match self.objects.get_mut(&a) {
            Some(Object::Endpoint(e)) => e,
            _ => panic!("model: no endpoint at {a:#x}"),
        }
    }

    /// The notification at `a` (which must be live).
    pub fn ntfn_mut(&mut self, a: Addr) -> &mut Notification {
        match self.objects.get_mut(&a) {
            Some(Object::Notification(n)) => n,
            _ => panic!("model: no notification at {a:#x}"),
        }
    }

    /// The reply object at `a`, if live.
    pub fn reply(&self, a: Addr) -> Option<&Reply> {
        match self.objects.get(&a) {
            Some(Object::Reply(r)) => Some(r),
            _ => None,
        }
    }

    /// The reply object at `a` (which must be live).
    pub fn reply_mut(&mut self, a: Addr) -> &mut Reply {
        match self.objects.get_mut(&a) {
            Some(Object::Reply(r)) => r,
            _ => panic!("model: no reply object at {a:#x}"),
        }
    }

    /// First address and size of the region a capability names, or of a
    /// live object.
    pub fn cap_region(&self, c: &Cap) -> (Addr, u64) {
        match c.kind {
            CapKind::Untyped { base, size_bits, .. } => (base, 1 << size_bits),
            _ => match c.obj() {
                Some(a) => (a, self.objects.get(&a).map_or(0, |o| 1 << self.sizes.bits(o.new_obj()))),
                None => (0, 0),
            },
        }
    }
}
