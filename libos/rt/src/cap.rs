//! Typed capability pointers.
//!
//! A capability pointer (cptr) is a 64-bit path through the invoking
//! thread's CSpace (`rampart_abi::invocation`: resolved with full 64-bit
//! depth). The wrappers below only record which kind of object the program
//! *believes* a cptr names; the kernel checks the real type on every
//! invocation and answers with [`Error::InvalidCapability`] or
//! [`Error::IllegalOperation`] when the belief is wrong.
//!
//! [`Error::InvalidCapability`]: rampart_abi::Error::InvalidCapability
//! [`Error::IllegalOperation`]: rampart_abi::Error::IllegalOperation

/// A capability pointer in the current thread's CSpace.
pub type CPtr = u64;

/// Anything that names a capability: the typed wrappers and raw [`CPtr`]s.
pub trait Cap: Copy {
    /// The capability pointer.
    fn cptr(self) -> CPtr;
}

impl Cap for CPtr {
    fn cptr(self) -> CPtr {
        self
    }
}

macro_rules! cap_types {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
        #[repr(transparent)]
        pub struct $name(pub CPtr);

        impl Cap for $name {
            fn cptr(self) -> CPtr {
                self.0
            }
        }
    )*};
}

cap_types! {
    /// Untyped memory ([`crate::untyped`]).
    Untyped;
    /// A capability node ([`crate::cnode`]).
    CNode;
    /// A thread control block ([`crate::tcb`]).
    Tcb;
    /// An IPC endpoint ([`crate::ipc`]).
    Endpoint;
    /// A notification object ([`crate::ipc`]).
    Notification;
    /// A reply object (MCS) for `Recv`/`ReplyRecv`.
    Reply;
    /// A scheduling context ([`crate::sched`]).
    SchedContext;
    /// The authority to configure scheduling contexts ([`crate::sched`]).
    SchedControl;
    /// A 4 KiB or 2 MiB frame ([`crate::vspace`]).
    Frame;
    /// A page table: maps 2 MiB with 4 KiB entries ([`crate::vspace`]).
    PageTable;
    /// A page directory: maps 1 GiB ([`crate::vspace`]).
    PageDirectory;
    /// A page-directory-pointer table: maps 512 GiB ([`crate::vspace`]).
    Pdpt;
    /// An address-space root, the PML4 ([`crate::vspace`]).
    VSpace;
    /// An ASID pool ([`crate::vspace`]).
    AsidPool;
    /// The authority to create ASID pools ([`crate::vspace`]).
    AsidControl;
    /// The authority to create IRQ handlers ([`crate::irq`]).
    IrqControl;
    /// One interrupt line or MSI vector ([`crate::irq`]).
    IrqHandler;
    /// The authority to issue I/O port capabilities ([`crate::ioport`]).
    IoPortControl;
    /// A range of I/O ports ([`crate::ioport`]).
    IoPort;
    /// The authority to dump the capability graph.
    Audit;
    /// The authority to obtain kernel timers ([`crate::timer`]).
    TimerControl;
    /// One kernel timer ([`crate::timer`]).
    Timer;
}

/// A slot named relative to a CNode capability: `depth` bits of `index` are
/// resolved starting at `root` and must be used up exactly (ABI
/// "(index, depth)" slot arguments). For a root CNode whose guard makes slot
/// numbers valid cptrs (init's), `index` is the slot number and `depth` 64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CapPath {
    /// The CNode capability the lookup starts at.
    pub root: CNode,
    /// The bits to resolve (the low `depth` bits are used).
    pub index: u64,
    /// How many bits of `index` to resolve (1..=64).
    pub depth: u64,
}

impl CapPath {
    /// A path of `depth` bits of `index` from `root`.
    pub const fn new(root: CNode, index: u64, depth: u64) -> CapPath {
        CapPath { root, index, depth }
    }
}

impl CNode {
    /// The slot `index` at depth `depth` relative to this CNode capability.
    pub const fn path(self, index: u64, depth: u64) -> CapPath {
        CapPath { root: self, index, depth }
    }
}
