//! The physical-memory window: how the kernel core reaches kernel objects.
//!
//! Kernel objects (CNodes, TCBs, endpoints, page tables, ...) live in memory
//! the user retyped from Untyped; capabilities name them by physical
//! address. Every access goes through this module, which turns a physical
//! address into a reference by adding [`phys_offset`] — the direct-map base
//! in the kernel, 0 in host tests (where host allocations stand in for RAM).
//!
//! Soundness argument (the only `unsafe` of the object model):
//! - a reference is created only for a physical address taken from a
//!   capability (or a link stored in an object) whose type guarantees that an
//!   object of that type was created there by Retype and not yet destroyed;
//! - object types consist only of `Cell`/`UnsafeCell` fields, so any number of
//!   shared references may coexist and all mutation is interior; no `&mut` to
//!   object memory is ever created;
//! - the kernel core runs on one CPU with interrupts disabled, so there are
//!   no concurrent accesses; object types are `!Sync`.
//! - objects are only destroyed (their memory reused) after their last
//!   capability is gone, and no reference outlives the system call that made
//!   it (references are never stored: objects store physical addresses).

use core::sync::atomic::{AtomicU64, Ordering};

static PHYS_OFFSET: AtomicU64 = AtomicU64::new(0);

/// The kernel's direct-map base, a compile-time constant in the kernel build
/// (feature `direct-map`) so object accesses need no load of the offset.
#[cfg(feature = "direct-map")]
pub const DIRECT_MAP: u64 = 0xffff_8000_0000_0000;

/// Sets the offset added to physical addresses (once, at boot; with feature
/// `direct-map` the offset is fixed and this only checks it).
pub fn set_phys_offset(off: u64) {
    #[cfg(feature = "direct-map")]
    assert_eq!(off, DIRECT_MAP, "physical offset differs from the compiled-in direct map");
    PHYS_OFFSET.store(off, Ordering::Relaxed);
}

/// The current physical-to-virtual offset.
#[inline(always)]
pub fn phys_offset() -> u64 {
    #[cfg(feature = "direct-map")]
    {
        DIRECT_MAP
    }
    #[cfg(not(feature = "direct-map"))]
    {
        PHYS_OFFSET.load(Ordering::Relaxed)
    }
}

/// Marker for types that may be viewed at a physical address: `repr(C)`,
/// interior-mutable only, valid for every bit pattern of zeroed memory.
///
/// # Safety
/// Implementors must consist only of `Cell`/`UnsafeCell` of plain integers
/// (or arrays/structs of such) so that all-zero bytes are a valid value and
/// shared references permit every mutation the kernel performs.
pub unsafe trait KernelObject {}

/// Views the object of type `T` at physical address `paddr`.
///
/// The caller must hold evidence (a capability or an object link) that an
/// object of type `T` lives at `paddr`; see the module docs.
#[inline(always)]
pub fn obj<T: KernelObject>(paddr: u64) -> &'static T {
    debug_assert!(paddr != 0 && paddr.is_multiple_of(core::mem::align_of::<T>() as u64));
    // SAFETY: see the module documentation: `paddr` comes from a capability
    // or link of the right type, `T` is interior-mutable only, and the
    // kernel is single-threaded.
    unsafe { &*((paddr + phys_offset()) as *const T) }
}

/// Raw pointer to physical address `paddr` (for the arch layer and for
/// bulk operations such as zeroing and copying).
#[inline(always)]
pub fn ptr(paddr: u64) -> *mut u8 {
    (paddr + phys_offset()) as *mut u8
}

/// Zeroes `len` bytes of physical memory at `paddr`.
///
/// Used only on memory that Retype just carved out of an Untyped with no
/// live objects in it.
pub fn zero(paddr: u64, len: u64) {
    // SAFETY: the range was just allocated from an Untyped (no object and no
    // reference covers it) and lies inside the physical window.
    unsafe { core::ptr::write_bytes(ptr(paddr), 0, len as usize) }
}

/// Reads the 64-bit word at physical address `paddr` (8-byte aligned).
#[inline(always)]
pub fn read_u64(paddr: u64) -> u64 {
    debug_assert!(paddr.is_multiple_of(8));
    // SAFETY: callers pass addresses inside frames or tables they hold a
    // capability to (IPC buffers, page tables); plain loads of integers.
    unsafe { core::ptr::read_volatile(ptr(paddr) as *const u64) }
}

/// Writes the 64-bit word at physical address `paddr` (8-byte aligned).
#[inline(always)]
pub fn write_u64(paddr: u64, v: u64) {
    debug_assert!(paddr.is_multiple_of(8));
    // SAFETY: as `read_u64`.
    unsafe { core::ptr::write_volatile(ptr(paddr) as *mut u64, v) }
}

/// Copies `len` bytes between physical addresses. The ranges may overlap
/// or be the same: two threads may share one IPC buffer frame, so a message
/// can be copied onto itself (with `copy_nonoverlapping` that was undefined
/// behaviour; issue 13 finding 7).
pub fn copy(dst: u64, src: u64, len: u64) {
    // SAFETY: callers copy between frames they hold capabilities to, or
    // from the kernel's own page tables; `ptr::copy` allows any overlap.
    unsafe { core::ptr::copy(ptr(src), ptr(dst), len as usize) }
}
