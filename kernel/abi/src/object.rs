//! Kernel object types, their sizes, and capability rights.
//!
//! Sizes are log2 bytes ("size bits"), as in seL4's `seL4_*Bits` constants.
//! Every kernel object is created by retyping Untyped memory
//! ([`Label::UntypedRetype`](crate::Label::UntypedRetype)); the kernel has no
//! heap.

/// Object types accepted by `UntypedRetype` (MR0). Values are ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum ObjectType {
    /// Untyped memory of `size_bits` (MR1) bytes, 4..=47.
    Untyped = 0,
    /// Thread control block, [`TCB_BITS`].
    Tcb = 1,
    /// IPC endpoint, [`ENDPOINT_BITS`].
    Endpoint = 2,
    /// Notification, [`NOTIFICATION_BITS`].
    Notification = 3,
    /// Reply object (MCS), [`REPLY_BITS`].
    Reply = 4,
    /// Capability node of `2^radix` slots (MR1 = radix, 1..=[`CNODE_MAX_RADIX`]).
    CNode = 5,
    /// Scheduling context, [`SCHED_CONTEXT_BITS`].
    SchedContext = 6,
    /// 4 KiB frame.
    Frame4K = 7,
    /// 2 MiB frame.
    Frame2M = 8,
    /// Page table (maps 2 MiB with 4 KiB entries).
    PageTable = 9,
    /// Page directory (maps 1 GiB).
    PageDirectory = 10,
    /// Page-directory-pointer table (maps 512 GiB).
    Pdpt = 11,
    /// Address-space root (PML4).
    VSpace = 12,
}

impl ObjectType {
    /// Decodes MR0 of a retype; `None` for unknown values.
    pub const fn from_u64(v: u64) -> Option<ObjectType> {
        Some(match v {
            0 => ObjectType::Untyped,
            1 => ObjectType::Tcb,
            2 => ObjectType::Endpoint,
            3 => ObjectType::Notification,
            4 => ObjectType::Reply,
            5 => ObjectType::CNode,
            6 => ObjectType::SchedContext,
            7 => ObjectType::Frame4K,
            8 => ObjectType::Frame2M,
            9 => ObjectType::PageTable,
            10 => ObjectType::PageDirectory,
            11 => ObjectType::Pdpt,
            12 => ObjectType::VSpace,
            _ => return None,
        })
    }

    /// Size in log2 bytes of one object, given the retype's `size_bits`
    /// argument (used by Untyped and CNode only). `None` if the argument is
    /// out of range for the type.
    pub const fn size_bits(self, arg: u64) -> Option<u32> {
        Some(match self {
            ObjectType::Untyped => {
                if arg < MIN_UNTYPED_BITS as u64 || arg > MAX_UNTYPED_BITS as u64 {
                    return None;
                }
                arg as u32
            }
            ObjectType::CNode => {
                if arg < 1 || arg > CNODE_MAX_RADIX as u64 {
                    return None;
                }
                arg as u32 + SLOT_BITS
            }
            ObjectType::Tcb => TCB_BITS,
            ObjectType::Endpoint => ENDPOINT_BITS,
            ObjectType::Notification => NOTIFICATION_BITS,
            ObjectType::Reply => REPLY_BITS,
            ObjectType::SchedContext => SCHED_CONTEXT_BITS,
            ObjectType::Frame4K
            | ObjectType::PageTable
            | ObjectType::PageDirectory
            | ObjectType::Pdpt
            | ObjectType::VSpace => crate::PAGE_BITS,
            ObjectType::Frame2M => crate::LARGE_PAGE_BITS,
        })
    }
}

/// Size of one capability slot (capability + derivation-tree links), log2 bytes.
pub const SLOT_BITS: u32 = 5;
/// Largest CNode radix (2^24 slots = 512 MiB).
pub const CNODE_MAX_RADIX: u32 = 24;
/// TCB size, log2 bytes (2 KiB: registers, scheduling state, 5 capability
/// slots and a 1 KiB XSAVE area).
pub const TCB_BITS: u32 = 11;
/// Endpoint size, log2 bytes.
pub const ENDPOINT_BITS: u32 = 4;
/// Notification size, log2 bytes.
pub const NOTIFICATION_BITS: u32 = 5;
/// Reply object size, log2 bytes.
pub const REPLY_BITS: u32 = 6;
/// Scheduling context size, log2 bytes.
pub const SCHED_CONTEXT_BITS: u32 = 7;
/// Smallest Untyped, log2 bytes.
pub const MIN_UNTYPED_BITS: u32 = 4;
/// Largest Untyped, log2 bytes (128 TiB).
pub const MAX_UNTYPED_BITS: u32 = 47;
/// ASID pool size, log2 bytes (one 4 KiB page of 512 entries).
pub const ASID_POOL_BITS: u32 = 12;
/// Number of ASIDs per pool.
pub const ASIDS_PER_POOL: u64 = 512;
/// Number of ASID pools (ASIDs are 12 bits and double as PCIDs).
pub const ASID_POOLS: u64 = 8;

/// Capability types, as reported by the `DebugCapIdentify` syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u64)]
pub enum CapType {
    /// Empty slot.
    Null = 0,
    /// Untyped memory.
    Untyped = 1,
    /// Endpoint.
    Endpoint = 2,
    /// Notification.
    Notification = 3,
    /// Reply object.
    Reply = 4,
    /// CNode.
    CNode = 5,
    /// TCB.
    Tcb = 6,
    /// Scheduling context.
    SchedContext = 7,
    /// Authority to configure scheduling contexts.
    SchedControl = 8,
    /// Authority to create IRQ handlers.
    IrqControl = 9,
    /// One interrupt line or MSI vector.
    IrqHandler = 10,
    /// Authority to create I/O port capabilities.
    IoPortControl = 11,
    /// A range of I/O ports.
    IoPort = 12,
    /// Authority to create ASID pools.
    AsidControl = 13,
    /// An ASID pool.
    AsidPool = 14,
    /// A 4 KiB or 2 MiB frame.
    Frame = 15,
    /// Page table.
    PageTable = 16,
    /// Page directory.
    PageDirectory = 17,
    /// Page-directory-pointer table.
    Pdpt = 18,
    /// Address-space root.
    VSpace = 19,
    /// A capability being destroyed (kernel-internal; never seen by users).
    Zombie = 20,
    /// Authority to dump the capability graph (auditor only).
    Audit = 21,
    /// The kernel log (`crate::log`): append with Write, read with Read;
    /// the badge stamps every record written through it.
    Log = 22,
    /// One kernel timer (`TimerSet`/`TimerCancel`; docs/kernel.md, "Timers
    /// and timeouts").
    Timer = 23,
    /// Authority to obtain timers (`TimerControlGet`; root task only).
    TimerControl = 24,
}

impl CapType {
    /// Decodes a capability type number.
    pub const fn from_u64(v: u64) -> Option<CapType> {
        Some(match v {
            0 => CapType::Null,
            1 => CapType::Untyped,
            2 => CapType::Endpoint,
            3 => CapType::Notification,
            4 => CapType::Reply,
            5 => CapType::CNode,
            6 => CapType::Tcb,
            7 => CapType::SchedContext,
            8 => CapType::SchedControl,
            9 => CapType::IrqControl,
            10 => CapType::IrqHandler,
            11 => CapType::IoPortControl,
            12 => CapType::IoPort,
            13 => CapType::AsidControl,
            14 => CapType::AsidPool,
            15 => CapType::Frame,
            16 => CapType::PageTable,
            17 => CapType::PageDirectory,
            18 => CapType::Pdpt,
            19 => CapType::VSpace,
            20 => CapType::Zombie,
            21 => CapType::Audit,
            22 => CapType::Log,
            23 => CapType::Timer,
            24 => CapType::TimerControl,
            _ => return None,
        })
    }
}

/// Capability rights (seL4 `seL4_CapRights`): bit 0 write, 1 read, 2 grant,
/// 3 grant-reply. Endpoint caps need write to send, read to receive, grant to
/// transfer capabilities, grant-reply to let the receiver reply with
/// capabilities. Frame caps use read and write for mapping permissions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[repr(transparent)]
pub struct Rights(pub u64);

impl Rights {
    /// Write (send) right.
    pub const WRITE: Rights = Rights(1);
    /// Read (receive) right.
    pub const READ: Rights = Rights(2);
    /// Grant: transfer capabilities with a message.
    pub const GRANT: Rights = Rights(4);
    /// Grant-reply: the receiver may reply with capabilities.
    pub const GRANT_REPLY: Rights = Rights(8);
    /// All rights.
    pub const ALL: Rights = Rights(15);
    /// Read and write.
    pub const RW: Rights = Rights(3);
    /// No rights.
    pub const NONE: Rights = Rights(0);

    /// True if every right in `r` is present.
    pub const fn contains(self, r: Rights) -> bool {
        self.0 & r.0 == r.0
    }
    /// Intersection.
    pub const fn and(self, r: Rights) -> Rights {
        Rights(self.0 & r.0)
    }
    /// Union.
    pub const fn or(self, r: Rights) -> Rights {
        Rights(self.0 | r.0)
    }
    /// Drops bits that are not rights.
    pub const fn sanitize(self) -> Rights {
        Rights(self.0 & 15)
    }
}

/// Mapping attributes for frames and page tables (MR of the map calls).
pub mod vm_attr {
    /// Allow instruction fetch (mappings are no-execute otherwise).
    pub const EXECUTE: u64 = 1;
    /// Map uncached (device memory).
    pub const UNCACHED: u64 = 2;
    /// Map write-through.
    pub const WRITE_THROUGH: u64 = 4;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_types_round_trip_and_sizes() {
        for v in 0..20 {
            if let Some(t) = ObjectType::from_u64(v) {
                assert_eq!(t as u64, v);
            }
        }
        assert_eq!(ObjectType::CNode.size_bits(10), Some(15));
        assert_eq!(ObjectType::CNode.size_bits(0), None);
        assert_eq!(ObjectType::CNode.size_bits(25), None);
        assert_eq!(ObjectType::Untyped.size_bits(3), None);
        assert_eq!(ObjectType::Untyped.size_bits(20), Some(20));
        assert_eq!(ObjectType::Frame2M.size_bits(0), Some(21));
    }

    #[test]
    fn cap_types_round_trip() {
        for v in 0..30 {
            if let Some(t) = CapType::from_u64(v) {
                assert_eq!(t as u64, v);
            }
        }
    }

    #[test]
    fn rights_algebra() {
        let r = Rights::READ.or(Rights::WRITE);
        assert!(r.contains(Rights::READ) && !r.contains(Rights::GRANT));
        assert_eq!(r.and(Rights::WRITE), Rights::WRITE);
        assert_eq!(Rights(0xff).sanitize(), Rights::ALL);
    }
}
