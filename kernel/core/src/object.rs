//! Kernel object layouts: TCB, endpoint, notification, reply object,
//! scheduling context, and typed references to them.
//!
//! Objects are `#[repr(C)]` structs of `Cell<u64>` reached through
//! [`kmem::obj`](crate::kmem::obj); links between objects are physical
//! addresses (0 = none). Every all-zero object is a valid, idle object, so
//! Retype only has to zero memory (plus a few per-type initial values).

use crate::kmem::{self, KernelObject};
use crate::regs::Regs;
use crate::slot::SlotRef;
use core::cell::{Cell, UnsafeCell};

/// Thread states (seL4 `_thread_state`, minus `Restart` which Rampart
/// applies eagerly by rewinding `rip`, see `docs/kernel.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum ThreadState {
    /// Not runnable (new, suspended, or stopped after an unhandled fault).
    Inactive = 0,
    /// Runnable.
    Running = 1,
    /// Waiting on an endpoint's receive queue.
    BlockedOnReceive = 2,
    /// Waiting on an endpoint's send queue.
    BlockedOnSend = 3,
    /// Waiting for a reply through a reply object.
    BlockedOnReply = 4,
    /// Waiting on a notification.
    BlockedOnNotification = 5,
}

/// Slot indices inside a TCB (its capability "registers").
pub mod tcb_slot {
    /// CSpace root.
    pub const CSPACE: u64 = 0;
    /// VSpace root.
    pub const VSPACE: u64 = 1;
    /// IPC buffer frame.
    pub const IPC_BUFFER: u64 = 2;
    /// Fault endpoint.
    pub const FAULT_EP: u64 = 3;
    /// Timeout-fault endpoint.
    pub const TIMEOUT_EP: u64 = 4;
    /// Number of slots.
    pub const COUNT: u64 = 5;
}

/// Pending fault kinds stored in a TCB (values = `rampart_abi::fault::FaultLabel`).
pub use rampart_abi::fault::FaultLabel;

/// IPC flags stored while a thread is blocked on send.
pub mod ipc_flag {
    /// The send is a Call (expects a reply).
    pub const CALL: u64 = 1;
    /// The sender's endpoint capability has Grant.
    pub const GRANT: u64 = 2;
    /// The sender's endpoint capability has GrantReply.
    pub const GRANT_REPLY: u64 = 4;
}

/// Byte offset of the capability slots inside a TCB.
pub const TCB_SLOTS_OFFSET: u64 = 768;
/// Byte offset of the XSAVE area inside a TCB (64-byte aligned).
pub const TCB_FPU_OFFSET: u64 = 1024;
/// Size of the XSAVE area (bytes).
pub const FPU_AREA_SIZE: u64 = 1024;

/// Thread control block (2 KiB).
#[repr(C, align(2048))]
pub struct Tcb {
    /// Saved user registers; must stay at offset 0 (entry assembly).
    pub regs: Regs,
    /// FS base (TLS pointer).
    pub fs_base: Cell<u64>,
    /// [`ThreadState`].
    pub state: Cell<u64>,
    /// Object the thread is blocked on (endpoint, notification or reply).
    pub blocked_on: Cell<u64>,
    /// Badge of the capability used to send (while blocked on send).
    pub send_badge: Cell<u64>,
    /// [`ipc_flag`] bits (while blocked on send).
    pub ipc_flags: Cell<u64>,
    /// Reply object: the one to bind a caller to (blocked on receive), or
    /// the one the thread waits on (blocked on reply).
    pub reply: Cell<u64>,
    /// Endpoint/notification queue links.
    pub ep_next: Cell<u64>,
    /// Endpoint/notification queue links.
    pub ep_prev: Cell<u64>,
    /// Ready-queue links.
    pub sched_next: Cell<u64>,
    /// Ready-queue links.
    pub sched_prev: Cell<u64>,
    /// 1 while in a ready queue.
    pub in_ready_queue: Cell<u64>,
    /// Priority (0..=255).
    pub priority: Cell<u64>,
    /// Maximum controlled priority.
    pub mcp: Cell<u64>,
    /// Bound scheduling context (0: none, the thread is passive).
    pub sc: Cell<u64>,
    /// Bound notification.
    pub bound_ntfn: Cell<u64>,
    /// User address of the IPC buffer (0: none).
    pub ipc_buffer: Cell<u64>,
    /// Pending fault: [`FaultLabel`].
    pub fault: Cell<u64>,
    /// Fault detail words (address, error code, vector, syscall number).
    pub fault_w: [Cell<u64>; 3],
    /// Kernel-assigned thread id for diagnostics and the capability graph.
    pub id: Cell<u64>,
    /// Link in the kernel's list of all threads.
    pub all_next: Cell<u64>,
    /// Link in the kernel's list of all threads.
    pub all_prev: Cell<u64>,
    /// Cached result of validating the thread's VSpace: PML4 address.
    pub vs_pml4: Cell<u64>,
    /// Cached ASID (see `vs_pml4`).
    pub vs_asid: Cell<u64>,
    /// Kernel VSpace epoch the cache was made in (0: never).
    pub vs_epoch: Cell<u64>,
    /// Cached single-level CSpace root: slots address (0: not single-level).
    pub cs_slots: Cell<u64>,
    /// Cached CSpace radix (see `cs_slots`).
    pub cs_radix: Cell<u64>,
    /// Cached CSpace guard (see `cs_slots`).
    pub cs_guard: Cell<u64>,
    /// Kernel epoch the CSpace cache was made in (0: never).
    pub cs_epoch: Cell<u64>,
    /// Foreign-ABI handler entry (`TcbSetSyscallDispatch`; 0: off, every
    /// `syscall` is a Rampart system call).
    pub dispatch_entry: Cell<u64>,
    /// Start of the native range: `syscall` instructions in
    /// `[dispatch_lo, dispatch_hi)` stay Rampart system calls.
    pub dispatch_lo: Cell<u64>,
    /// End (exclusive) of the native range.
    pub dispatch_hi: Cell<u64>,
    _pad: [Cell<u64>; 41],
    /// Capability slots, see [`tcb_slot`] (at [`TCB_SLOTS_OFFSET`]).
    pub slots: [crate::slot::Slot; 5],
    _pad2: [Cell<u64>; 12],
    /// XSAVE/FXSAVE area (at [`TCB_FPU_OFFSET`]), written by the arch layer.
    pub fpu: UnsafeCell<[u8; 1024]>,
}

// SAFETY: `Cell`/`UnsafeCell` of plain integers only; zeroed = inactive thread.
unsafe impl KernelObject for Tcb {}

const _: () = assert!(core::mem::size_of::<Tcb>() == 2048);
const _: () = assert!(core::mem::offset_of!(Tcb, slots) == TCB_SLOTS_OFFSET as usize);
const _: () = assert!(core::mem::offset_of!(Tcb, fpu) == TCB_FPU_OFFSET as usize);

/// Endpoint (16 bytes): a queue of threads all sending or all receiving.
#[repr(C, align(16))]
pub struct Endpoint {
    /// Queue head | state in bits 0..2 ([`EpState`]).
    pub head: Cell<u64>,
    /// Queue tail.
    pub tail: Cell<u64>,
}
// SAFETY: `Cell<u64>` only; zeroed = idle endpoint.
unsafe impl KernelObject for Endpoint {}

/// Endpoint queue state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpState {
    /// No waiting threads.
    Idle = 0,
    /// Senders waiting.
    Send = 1,
    /// Receivers waiting.
    Recv = 2,
}

/// Notification (32 bytes): a word of signal bits and a queue of waiters.
#[repr(C, align(32))]
pub struct Notification {
    /// Queue head | state in bits 0..2 ([`NtfnState`]).
    pub head: Cell<u64>,
    /// Queue tail.
    pub tail: Cell<u64>,
    /// Pending badge bits (active state).
    pub word: Cell<u64>,
    /// Bound TCB (0: none).
    pub bound_tcb: Cell<u64>,
}
// SAFETY: `Cell<u64>` only; zeroed = idle notification.
unsafe impl KernelObject for Notification {}

/// Notification state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NtfnState {
    /// Nothing pending, nobody waiting.
    Idle = 0,
    /// Threads waiting.
    Waiting = 1,
    /// Signals pending in `word`.
    Active = 2,
}

/// Reply object (64 bytes, MCS): binds a caller to the server that received
/// its call, and links the call into its scheduling context's *call stack*
/// (seL4 MCS `reply_t`, `replyPrev`/`replyNext`).
///
/// When a passive server receives a call, the caller's scheduling context is
/// lent to it and the reply object is pushed on that context's call stack; a
/// server that calls on lends the same context again and pushes its own
/// reply object on top. Only the top reply object refers to the context
/// (`sc`); the others are linked to their neighbours (`above`, `below`). A
/// reply object is in a stack only while it has a caller. Ending a call
/// (reply, abort, cancel, deletion) takes its reply object out of the stack
/// (`reply::stack_remove`); if it was the top, the context returns to its
/// caller. Deleting the context clears the top's `sc`, the only pointer to
/// it, so no reply object ever refers to a deleted context.
#[repr(C, align(64))]
pub struct Reply {
    /// The caller waiting for the reply (0: none).
    pub caller: Cell<u64>,
    /// Scheduling context whose call stack this reply object tops (0: not
    /// the top of a stack, or the context was deleted).
    pub sc: Cell<u64>,
    /// 1 if the caller's endpoint capability allowed granting in the reply.
    pub can_grant: Cell<u64>,
    /// Thread blocked in a receive that will bind its caller here (0: none).
    pub receiver: Cell<u64>,
    /// The reply object pushed on top of this one (0: none).
    pub above: Cell<u64>,
    /// The reply object below this one in the call stack (0: none).
    pub below: Cell<u64>,
    _pad: [Cell<u64>; 2],
}
// SAFETY: `Cell<u64>` only; zeroed = unbound reply object.
unsafe impl KernelObject for Reply {}

const _: () = assert!(core::mem::size_of::<Reply>() == 1 << rampart_abi::object::REPLY_BITS);

/// Scheduling context (128 bytes): CPU budget per period, in kernel ticks.
#[repr(C, align(128))]
pub struct SchedContext {
    /// Budget per period (ticks; 0 = unconfigured, cannot run).
    pub budget: Cell<u64>,
    /// Period (ticks).
    pub period: Cell<u64>,
    /// Budget left in the current period (ticks).
    pub remaining: Cell<u64>,
    /// Tick at which the budget is refilled (when depleted).
    pub refill_at: Cell<u64>,
    /// Thread the context is bound to or lent to (0: none).
    pub tcb: Cell<u64>,
    /// Top of the call stack while the context is lent (0: not lent).
    pub reply: Cell<u64>,
    /// Badge reported in timeout faults.
    pub badge: Cell<u64>,
    /// Ticks consumed since the last `SchedContextConsumed`.
    pub consumed: Cell<u64>,
    /// Release-queue link (depleted contexts waiting for refill).
    pub release_next: Cell<u64>,
    /// 1 while in the release queue.
    pub in_release_queue: Cell<u64>,
    _pad: [Cell<u64>; 6],
}
// SAFETY: `Cell<u64>` only; zeroed = unconfigured context.
unsafe impl KernelObject for SchedContext {}

const _: () = assert!(core::mem::size_of::<SchedContext>() == 1 << rampart_abi::object::SCHED_CONTEXT_BITS);

macro_rules! obj_ref {
    ($name:ident, $t:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub u64);
        impl $name {
            /// No object.
            pub const NONE: $name = $name(0);
            /// True if this names no object.
            #[inline(always)]
            pub fn is_none(self) -> bool {
                self.0 == 0
            }
            /// The object.
            #[inline(always)]
            pub fn get(self) -> &'static $t {
                kmem::obj::<$t>(self.0)
            }
        }
    };
}

obj_ref!(TcbRef, Tcb, "A TCB by physical address.");
obj_ref!(EpRef, Endpoint, "An endpoint by physical address.");
obj_ref!(NtfnRef, Notification, "A notification by physical address.");
obj_ref!(ReplyRef, Reply, "A reply object by physical address.");
obj_ref!(ScRef, SchedContext, "A scheduling context by physical address.");

impl TcbRef {
    /// The thread state.
    #[inline(always)]
    pub fn state(self) -> ThreadState {
        match self.get().state.get() {
            1 => ThreadState::Running,
            2 => ThreadState::BlockedOnReceive,
            3 => ThreadState::BlockedOnSend,
            4 => ThreadState::BlockedOnReply,
            5 => ThreadState::BlockedOnNotification,
            _ => ThreadState::Inactive,
        }
    }
    /// Sets the thread state.
    #[inline(always)]
    pub fn set_state(self, s: ThreadState) {
        self.get().state.set(s as u64);
    }
    /// Capability slot `i` of the TCB ([`tcb_slot`]).
    #[inline(always)]
    pub fn slot(self, i: u64) -> SlotRef {
        SlotRef::index(self.0 + TCB_SLOTS_OFFSET, i)
    }
    /// Physical address of the XSAVE area.
    pub fn fpu_area(self) -> u64 {
        self.0 + TCB_FPU_OFFSET
    }
    /// Priority.
    #[inline(always)]
    pub fn priority(self) -> u64 {
        self.get().priority.get()
    }
    /// Bound scheduling context.
    #[inline(always)]
    pub fn sc(self) -> ScRef {
        ScRef(self.get().sc.get())
    }
}

impl EpRef {
    /// Queue state.
    #[inline(always)]
    pub fn state(self) -> EpState {
        match self.get().head.get() & 3 {
            1 => EpState::Send,
            2 => EpState::Recv,
            _ => EpState::Idle,
        }
    }
    /// Queue head.
    #[inline(always)]
    pub fn head(self) -> TcbRef {
        TcbRef(self.get().head.get() & !3)
    }
    /// Sets queue head and state.
    #[inline(always)]
    pub fn set_head(self, h: TcbRef, s: EpState) {
        self.get().head.set(h.0 | s as u64);
    }
}

impl NtfnRef {
    /// Queue/signal state.
    #[inline(always)]
    pub fn state(self) -> NtfnState {
        match self.get().head.get() & 3 {
            1 => NtfnState::Waiting,
            2 => NtfnState::Active,
            _ => NtfnState::Idle,
        }
    }
    /// Queue head.
    #[inline(always)]
    pub fn head(self) -> TcbRef {
        TcbRef(self.get().head.get() & !3)
    }
    /// Sets queue head and state.
    #[inline(always)]
    pub fn set_head(self, h: TcbRef, s: NtfnState) {
        self.get().head.set(h.0 | s as u64);
    }
}

/// A FIFO of threads threaded through `ep_next`/`ep_prev` (used by
/// endpoints and notifications).
pub struct Queue {
    /// First thread.
    pub head: TcbRef,
    /// Last thread.
    pub tail: TcbRef,
}

impl Queue {
    /// Appends `t`.
    pub fn push(&mut self, t: TcbRef) {
        let g = t.get();
        g.ep_next.set(0);
        g.ep_prev.set(self.tail.0);
        if self.tail.is_none() {
            self.head = t;
        } else {
            self.tail.get().ep_next.set(t.0);
        }
        self.tail = t;
    }
    /// Removes `t` (which must be in the queue).
    pub fn remove(&mut self, t: TcbRef) {
        let g = t.get();
        let (p, n) = (TcbRef(g.ep_prev.get()), TcbRef(g.ep_next.get()));
        if p.is_none() {
            self.head = n;
        } else {
            p.get().ep_next.set(n.0);
        }
        if n.is_none() {
            self.tail = p;
        } else {
            n.get().ep_prev.set(p.0);
        }
        g.ep_next.set(0);
        g.ep_prev.set(0);
    }
}
