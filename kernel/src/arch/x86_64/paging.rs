//! x86_64 4-level paging: the kernel's own page tables and the physical
//! memory window (Intel SDM Vol. 3A §4.5).
//!
//! Kernel virtual layout (identical in every address space, PML4 slots
//! 256..=511 are shared by copying them into each new VSpace):
//! - `0xffff_8000_0000_0000 + p`: the direct map of physical address `p`,
//!   covering 0..4 GiB and all RAM, 2 MiB pages, no-execute, global. RAM is
//!   write-back; ranges with no RAM (device memory) are uncached.
//! - `0xffff_ffff_8000_0000 + p`: the kernel image, 4 KiB pages, text
//!   read-execute, rodata read-only, data/bss read-write no-execute.
//!
//! All page-table memory is reached through the direct map; the two
//! accessors `read_pte`/`write_pte` are the only places that dereference it.

use super::cpu;

/// Base of the physical-memory direct map.
pub const DIRECT_MAP_BASE: u64 = 0xffff_8000_0000_0000;
/// Base of the kernel image mapping (`code-model=kernel` window).
pub const KERNEL_VMA: u64 = 0xffff_ffff_8000_0000;
/// Bytes covered by one PML4 entry's direct-map PDPT (512 GiB).
pub const DIRECT_MAP_MAX: u64 = 512 << 30;

/// Page-table entry bits.
pub mod pte {
    /// Present.
    pub const P: u64 = 1 << 0;
    /// Writable.
    pub const W: u64 = 1 << 1;
    /// Write-through.
    pub const PWT: u64 = 1 << 3;
    /// Cache disable.
    pub const PCD: u64 = 1 << 4;
    /// Large page (in a PD or PDPT entry).
    pub const PS: u64 = 1 << 7;
    /// Global (kept across CR3 loads).
    pub const G: u64 = 1 << 8;
    /// No-execute.
    pub const NX: u64 = 1 << 63;
    /// Physical-address bits of an entry.
    pub const ADDR: u64 = 0x000f_ffff_ffff_f000;
}

/// Virtual address of physical address `p` in the direct map.
pub const fn phys_to_virt(p: u64) -> u64 {
    p + DIRECT_MAP_BASE
}

/// Reads entry `i` of the page table at physical address `table`.
pub fn read_pte(table: u64, i: usize) -> u64 {
    debug_assert!(i < 512 && table & 0xfff == 0);
    // SAFETY: `table` is a page-table frame owned by the kernel and reachable
    // through the direct map; `i < 512` keeps the access inside it.
    unsafe { core::ptr::read_volatile((phys_to_virt(table) as *const u64).add(i)) }
}

/// Writes entry `i` of the page table at physical address `table`.
pub fn write_pte(table: u64, i: usize, v: u64) {
    debug_assert!(i < 512 && table & 0xfff == 0);
    // SAFETY: as `read_pte`; page tables are never borrowed as Rust references.
    unsafe { core::ptr::write_volatile((phys_to_virt(table) as *mut u64).add(i), v) }
}

/// Zeroes the 4 KiB frame at physical address `p`.
pub fn zero_frame(p: u64) {
    // SAFETY: the caller owns the frame (fresh from the boot allocator or an
    // untyped retype) and it lies in the direct map.
    unsafe { core::ptr::write_bytes(phys_to_virt(p) as *mut u8, 0, 4096) }
}

/// Borrows `len` bytes of physical memory through the direct map.
///
/// # Safety
/// The range must be mapped RAM that nothing writes while the slice lives.
pub unsafe fn phys_slice(p: u64, len: usize) -> &'static [u8] {
    // SAFETY: guaranteed by the caller.
    unsafe { core::slice::from_raw_parts(phys_to_virt(p) as *const u8, len) }
}

/// Copies `src` into physical memory at `p`.
pub fn copy_to_phys(p: u64, src: &[u8]) {
    // SAFETY: callers copy into frames they own, inside the direct map.
    unsafe { core::ptr::copy_nonoverlapping(src.as_ptr(), phys_to_virt(p) as *mut u8, src.len()) }
}

/// Table index of `vaddr` at `level` (4 = PML4 .. 1 = PT).
pub const fn index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

unsafe extern "C" {
    static __text_start: u8;
    static __text_end: u8;
    static __rodata_start: u8;
    static __rodata_end: u8;
    static __data_start: u8;
    static __data_end: u8;
    static kernel_stack_bottom: u8;
}

fn sym(s: *const u8) -> u64 {
    s as u64
}

/// Physical address of the running kernel's PML4 (set by `init_kernel_tables`).
static mut KERNEL_PML4: u64 = 0;
static mut DIRECT_MAP_END: u64 = 0;

/// One past the highest physical address the direct map covers (0 before
/// [`init_kernel_tables`]).
pub fn direct_map_end() -> u64 {
    // SAFETY: written once during single-threaded boot.
    unsafe { DIRECT_MAP_END }
}

/// Physical address of the kernel PML4 whose upper half every VSpace copies.
pub fn kernel_pml4() -> u64 {
    // SAFETY: written once during single-threaded boot.
    unsafe { KERNEL_PML4 }
}

/// Feature bits the page tables may use on this CPU.
#[derive(Clone, Copy, Debug)]
pub struct PagingFeatures {
    /// NX bit usable (EFER.NXE set by the boot stub).
    pub nx: bool,
}

/// Builds the final kernel page tables and switches to them.
///
/// `ram_end` is one past the highest RAM byte; `is_ram_2m(addr)` says
/// whether the 2 MiB region at `addr` holds RAM (mapped write-back) or not
/// (mapped uncached). `alloc` returns zeroed 4 KiB frames.
pub fn init_kernel_tables(
    ram_end: u64,
    is_ram_2m: &dyn Fn(u64) -> bool,
    alloc: &mut dyn FnMut() -> u64,
    feat: PagingFeatures,
) {
    let nx = if feat.nx { pte::NX } else { 0 };
    let pml4 = alloc();

    // Direct map.
    let top = ram_end.clamp(4 << 30, DIRECT_MAP_MAX).next_multiple_of(1 << 30);
    let pdpt = alloc();
    write_pte(pml4, 256, pdpt | pte::P | pte::W);
    for gib in 0..(top >> 30) as usize {
        let pd = alloc();
        write_pte(pdpt, gib, pd | pte::P | pte::W);
        for i in 0..512 {
            let addr = ((gib as u64) << 30) | ((i as u64) << 21);
            let cache = if is_ram_2m(addr) { 0 } else { pte::PCD | pte::PWT };
            write_pte(pd, i, addr | pte::P | pte::W | pte::PS | pte::G | nx | cache);
        }
    }

    // Kernel image, 4 KiB pages with section permissions.
    let pdpt_k = alloc();
    write_pte(pml4, 511, pdpt_k | pte::P | pte::W);
    let pd_k = alloc();
    write_pte(pdpt_k, 510, pd_k | pte::P | pte::W);
    let (text, text_end, ro, ro_end, data, data_end, guard) = (
        sym(&raw const __text_start),
        sym(&raw const __text_end),
        sym(&raw const __rodata_start),
        sym(&raw const __rodata_end),
        sym(&raw const __data_start),
        sym(&raw const __data_end),
        sym(&raw const kernel_stack_bottom),
    );
    let mut v = text;
    while v < data_end {
        let flags = if v < text_end {
            pte::P | pte::G
        } else if v >= ro && v < ro_end {
            pte::P | pte::G | nx
        } else if v >= data && v != guard {
            pte::P | pte::W | pte::G | nx
        } else {
            0 // the kernel stack guard page stays unmapped
        };
        let pdi = index(v, 2);
        let mut pt = read_pte(pd_k, pdi) & pte::ADDR;
        if pt == 0 {
            pt = alloc();
            write_pte(pd_k, pdi, pt | pte::P | pte::W);
        }
        if flags != 0 {
            write_pte(pt, index(v, 1), (v - KERNEL_VMA) | flags);
        }
        v += 4096;
    }

    // SAFETY: the new tables map the kernel image, its stacks and the direct
    // map exactly as the boot tables did (minus the identity map, which
    // nothing uses after `kmain` starts).
    unsafe {
        KERNEL_PML4 = pml4;
        DIRECT_MAP_END = top;
        cpu::write_cr3(pml4);
    }
    cpu::write_cr4(cpu::read_cr4() | (1 << 7)); // PGE: global pages
}
