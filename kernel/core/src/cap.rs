//! Capability encoding: two 64-bit words per capability, as in seL4.
//!
//! Word 0 holds the [`CapType`] in bits 0..5 and type-specific fields above;
//! word 1 holds a badge, a guard, a watermark or mapping information. The
//! exact layouts are private to this module; everything else uses the
//! accessors, which never panic on any bit pattern.

use rampart_abi::object::ASIDS_PER_POOL;
use rampart_abi::{CapType, Rights};

/// A capability (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cap {
    /// Type and type-specific fields.
    pub w0: u64,
    /// Second word (badge, guard, watermark, mapping).
    pub w1: u64,
}

/// Kind of a zombie's container object (the zombie is a capability to a
/// CNode or TCB whose slots are being emptied).
pub const ZOMBIE_TCB: u64 = 63;

const fn mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 }
}

impl Cap {
    /// The null capability.
    pub const NULL: Cap = Cap { w0: 0, w1: 0 };

    const fn new(t: CapType, fields: u64, w1: u64) -> Cap {
        Cap { w0: (t as u64) | fields, w1 }
    }

    /// The capability's type; unknown encodings read as `Null`.
    #[inline(always)]
    pub fn cap_type(self) -> CapType {
        CapType::from_u64(self.w0 & 0x1f).unwrap_or(CapType::Null)
    }

    /// True for the null capability.
    #[inline(always)]
    pub fn is_null(self) -> bool {
        self.w0 & 0x1f == 0
    }

    /// True if the capability has type `t` (one compare; for hot paths).
    #[inline(always)]
    pub fn is(self, t: CapType) -> bool {
        self.w0 & 0x1f == t as u64
    }

    /// Object address of an endpoint, notification, reply, TCB, scheduling
    /// context, untyped or ASID pool capability (no type dispatch; the
    /// caller has checked the type with [`Cap::is`]).
    #[inline(always)]
    pub fn obj_paddr(self) -> u64 {
        (self.w0 >> 12) << 4
    }

    /// Rights of an endpoint or notification capability (type checked by
    /// the caller).
    #[inline(always)]
    pub fn ep_rights(self) -> Rights {
        Rights((self.w0 >> 5) & 15)
    }

    /// Badge of an endpoint or notification capability (type checked by the
    /// caller).
    #[inline(always)]
    pub fn ep_badge(self) -> u64 {
        self.w1
    }

    /// CNode fields `(slots paddr, radix, guard size, guard)` (type checked
    /// by the caller).
    #[inline(always)]
    pub fn cnode_fields(self) -> (u64, u32, u32, u64) {
        let gsize = ((self.w0 >> 11) & 0x7f) as u32;
        let guard = if gsize == 0 { 0 } else { self.w1 & (u64::MAX >> (64 - gsize.min(64))) };
        ((self.w0 >> 18) << 5, ((self.w0 >> 5) & 0x3f) as u32, gsize, guard)
    }

    // ---- constructors ----

    /// Untyped memory at `paddr` of `2^size_bits` bytes, watermark `free`.
    pub const fn untyped(paddr: u64, size_bits: u32, is_device: bool, free: u64) -> Cap {
        Cap::new(CapType::Untyped, ((size_bits as u64) << 5) | ((is_device as u64) << 11) | ((paddr >> 4) << 12), free)
    }
    /// Endpoint with `badge` and `rights`.
    pub const fn endpoint(paddr: u64, badge: u64, rights: Rights) -> Cap {
        Cap::new(CapType::Endpoint, ((rights.0 & 15) << 5) | ((paddr >> 4) << 12), badge)
    }
    /// Notification with `badge` and `rights`.
    pub const fn notification(paddr: u64, badge: u64, rights: Rights) -> Cap {
        Cap::new(CapType::Notification, ((rights.0 & 15) << 5) | ((paddr >> 4) << 12), badge)
    }
    /// The kernel log with `badge` (stamped on every record written
    /// through it) and `rights` (Write: append; Read: read and be notified).
    pub const fn log(badge: u64, rights: Rights) -> Cap {
        Cap::new(CapType::Log, (rights.0 & 15) << 5, badge)
    }
    /// Reply object; `can_grant` lets the replier transfer capabilities.
    pub const fn reply(paddr: u64, can_grant: bool) -> Cap {
        Cap::new(CapType::Reply, ((can_grant as u64) << 5) | ((paddr >> 4) << 12), 0)
    }
    /// CNode of `2^radix` slots with a guard of `guard_size` bits.
    pub const fn cnode(paddr: u64, radix: u32, guard_size: u32, guard: u64) -> Cap {
        // The guard is stored masked, so lookups compare it directly.
        let g = if guard_size == 0 {
            0
        } else if guard_size >= 64 {
            guard
        } else {
            guard & ((1u64 << guard_size) - 1)
        };
        Cap::new(CapType::CNode, ((radix as u64) << 5) | ((guard_size as u64 & 0x7f) << 11) | ((paddr >> 5) << 18), g)
    }
    /// TCB.
    pub const fn tcb(paddr: u64) -> Cap {
        Cap::new(CapType::Tcb, (paddr >> 4) << 12, 0)
    }
    /// Scheduling context.
    pub const fn sched_context(paddr: u64) -> Cap {
        Cap::new(CapType::SchedContext, (paddr >> 4) << 12, 0)
    }
    /// A singleton authority capability (SchedControl, IrqControl,
    /// IoPortControl, AsidControl, Audit, TimerControl).
    pub const fn control(t: CapType) -> Cap {
        Cap::new(t, 0, 0)
    }
    /// Handler for interrupt `irq` (kernel IRQ number 0..=255).
    pub const fn irq_handler(irq: u64) -> Cap {
        Cap::new(CapType::IrqHandler, (irq & 0xff) << 12, 0)
    }
    /// Kernel timer `n` (0..[`crate::timer::TIMERS`]).
    pub const fn timer(n: u64) -> Cap {
        Cap::new(CapType::Timer, (n & 0xfff) << 12, 0)
    }
    /// I/O ports `first..=last`.
    pub const fn io_port(first: u16, last: u16) -> Cap {
        Cap::new(CapType::IoPort, 0, (first as u64) | ((last as u64) << 16))
    }
    /// ASID pool covering ASIDs `base..base+512`.
    pub const fn asid_pool(paddr: u64, base: u64) -> Cap {
        Cap::new(CapType::AsidPool, (paddr >> 4) << 12, base)
    }
    /// Frame (`large`: 2 MiB, else 4 KiB), unmapped.
    pub const fn frame(paddr: u64, large: bool, rights: Rights, is_device: bool) -> Cap {
        Cap::new(
            CapType::Frame,
            ((large as u64) << 5) | ((rights.0 & 3) << 6) | ((is_device as u64) << 8) | ((paddr >> 12) << 12),
            0,
        )
    }
    /// A paging structure (PageTable, PageDirectory, Pdpt), unmapped.
    pub const fn paging(t: CapType, paddr: u64) -> Cap {
        Cap::new(t, (paddr >> 12) << 12, 0)
    }
    /// VSpace root with `asid` (0: none assigned).
    pub const fn vspace(paddr: u64, asid: u64) -> Cap {
        Cap::new(CapType::VSpace, (paddr >> 12) << 12, asid)
    }
    /// Zombie of the container at `paddr` (`kind` = CNode radix or
    /// [`ZOMBIE_TCB`]) with `remaining` slots still to empty.
    pub const fn zombie(paddr: u64, kind: u64, remaining: u64) -> Cap {
        Cap::new(CapType::Zombie, ((kind & 0x3f) << 5) | ((paddr >> 4) << 12), remaining)
    }

    // ---- accessors ----

    /// Physical address of the object (0 for capabilities that name none).
    #[inline(always)]
    pub fn paddr(self) -> u64 {
        match self.cap_type() {
            CapType::CNode => (self.w0 >> 18) << 5,
            CapType::Frame | CapType::PageTable | CapType::PageDirectory | CapType::Pdpt | CapType::VSpace => {
                (self.w0 >> 12) << 12
            }
            CapType::Untyped
            | CapType::Endpoint
            | CapType::Notification
            | CapType::Reply
            | CapType::Tcb
            | CapType::SchedContext
            | CapType::AsidPool
            | CapType::Zombie => (self.w0 >> 12) << 4,
            _ => 0,
        }
    }
    /// Untyped: log2 size; CNode: radix; Frame: 12 or 21.
    pub fn size_bits(self) -> u32 {
        match self.cap_type() {
            CapType::Untyped | CapType::CNode => ((self.w0 >> 5) & 0x3f) as u32,
            CapType::Frame => {
                if (self.w0 >> 5) & 1 == 1 {
                    21
                } else {
                    12
                }
            }
            _ => 0,
        }
    }
    /// Untyped: device memory.
    pub fn is_device(self) -> bool {
        match self.cap_type() {
            CapType::Untyped => (self.w0 >> 11) & 1 == 1,
            CapType::Frame => (self.w0 >> 8) & 1 == 1,
            _ => false,
        }
    }
    /// Untyped: watermark (bytes used from the start).
    pub fn free_index(self) -> u64 {
        self.w1
    }
    /// Untyped: with a new watermark.
    pub fn with_free_index(self, free: u64) -> Cap {
        Cap { w1: free, ..self }
    }
    /// Endpoint/Notification: badge.
    pub fn badge(self) -> u64 {
        match self.cap_type() {
            CapType::Endpoint | CapType::Notification | CapType::Log => self.w1,
            _ => 0,
        }
    }
    /// Rights (endpoints, notifications, frames; reply: grant if it can
    /// grant; others: all).
    pub fn rights(self) -> Rights {
        match self.cap_type() {
            CapType::Endpoint | CapType::Notification | CapType::Log => Rights((self.w0 >> 5) & 15),
            CapType::Frame => Rights((self.w0 >> 6) & 3),
            CapType::Reply => {
                if (self.w0 >> 5) & 1 == 1 {
                    Rights::ALL
                } else {
                    Rights::RW
                }
            }
            _ => Rights::ALL,
        }
    }
    /// Capability with rights masked by `mask` (for Copy/Mint). Only
    /// endpoints, notifications, replies and frames carry rights.
    pub fn masked(self, m: Rights) -> Cap {
        match self.cap_type() {
            CapType::Endpoint | CapType::Notification | CapType::Log => {
                Cap { w0: (self.w0 & !(15 << 5)) | ((self.rights().and(m).0) << 5), ..self }
            }
            CapType::Frame => Cap { w0: (self.w0 & !(3 << 6)) | ((self.rights().and(m).0 & 3) << 6), ..self },
            CapType::Reply => {
                let g = self.rights().and(m).contains(Rights::GRANT);
                Cap { w0: (self.w0 & !(1 << 5)) | ((g as u64) << 5), ..self }
            }
            _ => self,
        }
    }
    /// Endpoint/Notification with badge `b`.
    pub fn with_badge(self, b: u64) -> Cap {
        Cap { w1: b, ..self }
    }
    /// CNode: number of guard bits.
    pub fn guard_size(self) -> u32 {
        ((self.w0 >> 11) & 0x7f) as u32
    }
    /// CNode: guard value.
    pub fn guard(self) -> u64 {
        self.w1 & mask(self.guard_size())
    }
    /// CNode: with a new guard. Seeds the guard from seL4's encoding of
    /// capability data: `guard | guard_size << 58`.
    pub fn with_guard_data(self, data: u64) -> Option<Cap> {
        let size = (data >> 58) as u32;
        if size + self.size_bits() > 64 {
            return None;
        }
        let guard = data & mask(size.min(58));
        Some(Cap::cnode(self.paddr(), self.size_bits(), size, guard))
    }
    /// IrqHandler: the interrupt number.
    pub fn irq(self) -> u64 {
        (self.w0 >> 12) & 0xff
    }
    /// Timer: the timer's number.
    pub fn timer_num(self) -> u64 {
        (self.w0 >> 12) & 0xfff
    }
    /// IoPort: first and last port.
    pub fn io_range(self) -> (u16, u16) {
        (self.w1 as u16, (self.w1 >> 16) as u16)
    }
    /// AsidPool: first ASID of the pool.
    pub fn asid_base(self) -> u64 {
        self.w1
    }
    /// Frame/paging structures: the ASID of the address space the object is
    /// mapped in (0: not mapped); VSpace: its assigned ASID.
    pub fn mapped_asid(self) -> u64 {
        match self.cap_type() {
            CapType::VSpace => self.w1 & 0xfff,
            CapType::Frame | CapType::PageTable | CapType::PageDirectory | CapType::Pdpt => self.w1 & 0xfff,
            _ => 0,
        }
    }
    /// Frame/paging structures: the virtual address the object is mapped at.
    pub fn mapped_vaddr(self) -> u64 {
        (self.w1 >> 12) << 12
    }
    /// Frame/paging structures/VSpace: with mapping (`asid` 0 = unmapped).
    pub fn with_mapping(self, asid: u64, vaddr: u64) -> Cap {
        Cap { w1: (asid & 0xfff) | ((vaddr >> 12) << 12), ..self }
    }
    /// Zombie: container kind (CNode radix or [`ZOMBIE_TCB`]).
    pub fn zombie_kind(self) -> u64 {
        (self.w0 >> 5) & 0x3f
    }
    /// Zombie: slots not yet emptied.
    pub fn zombie_remaining(self) -> u64 {
        self.w1
    }
    /// Zombie: with a new remaining count.
    pub fn with_zombie_remaining(self, r: u64) -> Cap {
        Cap { w1: r, ..self }
    }

    /// First and one-past-last physical byte of the object this capability
    /// names (for region comparisons).
    fn region(self) -> (u64, u64) {
        let p = self.paddr();
        let size = match self.cap_type() {
            CapType::Untyped => 1u64 << self.size_bits().min(63),
            CapType::CNode => 1u64 << (self.size_bits() + rampart_abi::object::SLOT_BITS).min(63),
            CapType::Frame => 1u64 << self.size_bits(),
            CapType::Tcb => 1 << rampart_abi::object::TCB_BITS,
            CapType::Endpoint => 1 << rampart_abi::object::ENDPOINT_BITS,
            CapType::Notification => 1 << rampart_abi::object::NOTIFICATION_BITS,
            CapType::Reply => 1 << rampart_abi::object::REPLY_BITS,
            CapType::SchedContext => 1 << rampart_abi::object::SCHED_CONTEXT_BITS,
            CapType::PageTable | CapType::PageDirectory | CapType::Pdpt | CapType::VSpace | CapType::AsidPool => 4096,
            _ => 0,
        };
        (p, p.saturating_add(size))
    }

    /// seL4's `sameRegionAs`: `b` names an object within the region or
    /// object `self` names (used for derivation-tree parenthood).
    pub fn same_region_as(self, b: Cap) -> bool {
        use CapType as T;
        let (ta, tb) = (self.cap_type(), b.cap_type());
        match ta {
            T::Untyped => {
                let (a0, a1) = self.region();
                let (b0, b1) = b.region();
                b.paddr() != 0 && b0 >= a0 && b1 <= a1 && b0 < b1
            }
            T::IrqControl => matches!(tb, T::IrqControl | T::IrqHandler),
            T::IoPortControl => matches!(tb, T::IoPortControl | T::IoPort),
            T::TimerControl => matches!(tb, T::TimerControl | T::Timer),
            T::Timer => tb == T::Timer && self.timer_num() == b.timer_num(),
            T::SchedControl | T::AsidControl | T::Audit | T::Log => ta == tb,
            T::IrqHandler => tb == T::IrqHandler && self.irq() == b.irq(),
            T::IoPort => tb == T::IoPort && self.io_range() == b.io_range(),
            T::Frame => tb == T::Frame && self.paddr() == b.paddr() && self.size_bits() == b.size_bits(),
            T::CNode => tb == T::CNode && self.paddr() == b.paddr() && self.size_bits() == b.size_bits(),
            T::Null | T::Zombie => false,
            _ => ta == tb && self.paddr() == b.paddr(),
        }
    }

    /// seL4's `sameObjectAs`: both name the same object (used to decide
    /// whether a capability is the last one to its object).
    pub fn same_object_as(self, b: Cap) -> bool {
        use CapType as T;
        match (self.cap_type(), b.cap_type()) {
            (T::Untyped, _) => false,
            (T::IrqControl, T::IrqHandler) | (T::IoPortControl, T::IoPort) | (T::TimerControl, T::Timer) => false,
            (T::Frame, T::Frame) => self.same_region_as(b) && self.is_device() == b.is_device(),
            _ => self.same_region_as(b),
        }
    }

    /// Whether a capability derived from `src` as `self` starts a new
    /// revocable subtree (seL4 `isCapRevocable`).
    pub fn is_revocable_from(self, src: Cap) -> bool {
        match self.cap_type() {
            CapType::Endpoint | CapType::Notification | CapType::Log => self.badge() != src.badge(),
            CapType::IrqHandler => src.cap_type() == CapType::IrqControl,
            CapType::IoPort => src.cap_type() == CapType::IoPortControl,
            CapType::Timer => src.cap_type() == CapType::TimerControl,
            CapType::Untyped => true,
            _ => false,
        }
    }
}

/// Number of ASIDs in one pool (re-exported for the VSpace code).
pub const POOL_ASIDS: u64 = ASIDS_PER_POOL;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip() {
        let u = Cap::untyped(0x1234_5670, 20, true, 77);
        assert_eq!(
            (u.cap_type(), u.paddr(), u.size_bits(), u.is_device(), u.free_index()),
            (CapType::Untyped, 0x1234_5670, 20, true, 77)
        );
        let e = Cap::endpoint(0x10_0010, 0xdead_beef, Rights::READ.or(Rights::GRANT));
        assert_eq!((e.paddr(), e.badge(), e.rights()), (0x10_0010, 0xdead_beef, Rights(6)));
        let c = Cap::cnode(0x7fff_ffff_0000, 14, 50, 0);
        assert_eq!((c.paddr(), c.size_bits(), c.guard_size(), c.guard()), (0x7fff_ffff_0000, 14, 50, 0));
        let f = Cap::frame(0xfe00_0000, true, Rights::RW, true).with_mapping(7, 0x40_0000);
        assert_eq!(
            (f.paddr(), f.size_bits(), f.rights(), f.is_device(), f.mapped_asid(), f.mapped_vaddr()),
            (0xfe00_0000, 21, Rights::RW, true, 7, 0x40_0000)
        );
        let z = Cap::zombie(0x9000, ZOMBIE_TCB, 5);
        assert_eq!(
            (z.cap_type(), z.paddr(), z.zombie_kind(), z.zombie_remaining()),
            (CapType::Zombie, 0x9000, ZOMBIE_TCB, 5)
        );
        assert_eq!(Cap::io_port(0x3f8, 0x3ff).io_range(), (0x3f8, 0x3ff));
        assert_eq!(Cap::irq_handler(33).irq(), 33);
    }

    #[test]
    fn masking_never_amplifies() {
        let e = Cap::endpoint(0x1000, 0, Rights::READ);
        assert_eq!(e.masked(Rights::ALL).rights(), Rights::READ);
        assert_eq!(e.masked(Rights::WRITE).rights(), Rights::NONE);
        let f = Cap::frame(0x2000, false, Rights::READ, false);
        assert_eq!(f.masked(Rights::ALL).rights(), Rights::READ);
    }

    #[test]
    fn regions_and_objects() {
        let ut = Cap::untyped(0x10_0000, 20, false, 0);
        let ep = Cap::endpoint(0x10_0010, 0, Rights::ALL);
        assert!(ut.same_region_as(ep));
        assert!(!ut.same_region_as(Cap::endpoint(0x20_0000, 0, Rights::ALL)));
        assert!(ut.same_region_as(Cap::untyped(0x10_0000, 12, false, 0)));
        assert!(!ut.same_region_as(Cap::untyped(0x10_0000, 21, false, 0)));
        assert!(!ut.same_object_as(ut));
        assert!(ep.same_object_as(ep.with_badge(5)));
        assert!(Cap::control(CapType::IrqControl).same_region_as(Cap::irq_handler(3)));
        assert!(!Cap::control(CapType::IrqControl).same_object_as(Cap::irq_handler(3)));
        assert!(Cap::endpoint(1 << 20, 3, Rights::ALL).is_revocable_from(Cap::endpoint(1 << 20, 0, Rights::ALL)));
        assert!(!Cap::endpoint(1 << 20, 0, Rights::ALL).is_revocable_from(Cap::endpoint(1 << 20, 0, Rights::ALL)));
    }

    #[test]
    fn garbage_words_never_panic() {
        let mut s = 0x1234_5678_9abc_def1u64;
        for _ in 0..100_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let c = Cap { w0: s, w1: s.rotate_left(17) };
            let _ = (c.cap_type(), c.paddr(), c.size_bits(), c.rights(), c.badge(), c.guard(), c.region());
            let _ = c.same_region_as(Cap { w0: s.rotate_left(3), w1: s });
            let _ = c.with_guard_data(s);
        }
    }
}
