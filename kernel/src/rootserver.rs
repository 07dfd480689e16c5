//! Creation of the root task (init) at boot.
//!
//! The kernel loads exactly one program: `init`, found by name in the
//! boot-module archive (bootfs). Init gets a fresh address space with its ELF
//! segments, a stack, the boot information page and the whole archive mapped
//! read-only (docs/boot.md).

use crate::arch::CpuFeatures;
use crate::arch::context::UserContext;
use crate::arch::paging::{self, pte};
use crate::boot::BootParams;
use rampart_abi::bootfs::Bootfs;
use rampart_abi::bootinfo::{BOOTFS_VADDR, BOOTINFO_MAGIC, BOOTINFO_VADDR, BootInfo, CMDLINE_MAX};
use rampart_kcore::elf::{Elf, flags};
use rampart_kcore::memmap::RegionList;

/// Top of init's initial stack (exclusive).
pub const INIT_STACK_TOP: u64 = 0x7fff_f000_0000;
/// Size of init's initial stack in pages.
pub const INIT_STACK_PAGES: u64 = 16;

/// A running user thread (the boot-time root thread).
pub struct Thread {
    /// Saved registers.
    pub ctx: UserContext,
    /// Physical address of the thread's PML4.
    pub vspace: u64,
}

/// Maps one 4 KiB page `vaddr -> paddr` in the address space `pml4`,
/// allocating intermediate tables from `alloc`. `flags` are leaf flags.
fn map_page(pml4: u64, vaddr: u64, paddr: u64, flags: u64, alloc: &mut dyn FnMut() -> u64) {
    let mut table = pml4;
    for level in (2..=4).rev() {
        let i = paging::index(vaddr, level);
        let e = paging::read_pte(table, i);
        table = if e & pte::P != 0 {
            e & pte::ADDR
        } else {
            let t = alloc();
            paging::write_pte(table, i, t | pte::P | pte::W | pte::U);
            t
        };
    }
    paging::write_pte(table, paging::index(vaddr, 1), paddr | flags);
}

/// Builds init and enters it; never returns.
pub fn start(params: &BootParams, free: &mut RegionList<64>, features: CpuFeatures) -> ! {
    let nx = if features.nx { pte::NX } else { 0 };
    let mut alloc = || -> u64 {
        let Some(f) = free.take(4096, 4096, 0) else { panic!("out of boot memory building init") };
        paging::zero_frame(f);
        f
    };

    let Some(module) = params.modules().first().copied() else {
        panic!("no boot module: the bootfs archive is missing")
    };
    // SAFETY: the module range was excluded from free memory, is RAM mapped
    // by the direct map, and nothing writes it.
    let archive = unsafe { paging::phys_slice(module.start, module.size() as usize) };
    let fs = match Bootfs::parse(archive) {
        Ok(fs) => fs,
        Err(e) => panic!("boot module is not a valid bootfs archive: {e:?}"),
    };
    // `root=NAME` on the command line selects another root task (the
    // in-guest kernel test suite and benchmarks are root tasks, like sel4test).
    let root = params.cmdline().split_whitespace().find_map(|w| w.strip_prefix("root=")).unwrap_or("init");
    let Some(init) = fs.find(root) else { panic!("bootfs has no root task \"{root}\"") };
    let elf = match Elf::parse(init.data) {
        Ok(e) => e,
        Err(e) => panic!("init is not a loadable ELF executable: {e:?}"),
    };

    // Address space: a PML4 sharing the kernel half.
    let pml4 = alloc();
    let kpml4 = paging::kernel_pml4();
    for i in 256..512 {
        paging::write_pte(pml4, i, paging::read_pte(kpml4, i));
    }

    // ELF segments, page by page, with their permissions.
    for seg in elf.segments() {
        let first = seg.vaddr & !0xfff;
        let mut page = first;
        while page < seg.end() {
            let frame = alloc();
            // Copy the part of the file image that falls in this page.
            let lo = page.max(seg.vaddr);
            let hi = (page + 4096).min(seg.vaddr + seg.file_size);
            if lo < hi {
                let off = (seg.file_offset + (lo - seg.vaddr)) as usize;
                paging::copy_to_phys(frame + (lo - page), &init.data[off..off + (hi - lo) as usize]);
            }
            let mut f = pte::P | pte::U;
            if seg.flags & flags::W != 0 {
                f |= pte::W;
            }
            if seg.flags & flags::X == 0 {
                f |= nx;
            }
            map_page(pml4, page, frame, f, &mut alloc);
            page += 4096;
        }
    }

    // Stack.
    for i in 1..=INIT_STACK_PAGES {
        let frame = alloc();
        map_page(pml4, INIT_STACK_TOP - i * 4096, frame, pte::P | pte::U | pte::W | nx, &mut alloc);
    }

    // Boot information page.
    let bi_frame = alloc();
    let mut bi = BootInfo {
        magic: BOOTINFO_MAGIC,
        bootfs_vaddr: BOOTFS_VADDR + (module.start & 0xfff),
        bootfs_size: module.size(),
        rsdp_paddr: params.rsdp_paddr,
        boot_protocol: params.protocol,
        usable_ram: params.ram.total(),
        tick_hz: crate::arch::apic::TICK_HZ,
        tsc_hz: 0,
        ipc_buffer: 0,
        cnode_radix: 0,
        empty: Default::default(),
        user_image_frames: Default::default(),
        user_image_vaddr: 0,
        user_image_paging: Default::default(),
        bootfs_frames: Default::default(),
        untyped: Default::default(),
        untyped_list: [Default::default(); rampart_abi::bootinfo::MAX_UNTYPED],
        rsdp_len: params.rsdp_len as u64,
        rsdp: params.rsdp,
        _pad: [0; 4],
        cmdline_len: params.cmdline_len as u64,
        cmdline: [0; CMDLINE_MAX],
    };
    bi.cmdline[..params.cmdline_len].copy_from_slice(&params.cmdline[..params.cmdline_len]);
    // SAFETY: `BootInfo` is plain `repr(C)` data; viewing it as bytes is sound.
    let bytes = unsafe { core::slice::from_raw_parts((&raw const bi).cast::<u8>(), core::mem::size_of::<BootInfo>()) };
    paging::copy_to_phys(bi_frame, bytes);
    map_page(pml4, BOOTINFO_VADDR, bi_frame, pte::P | pte::U | nx, &mut alloc);

    // The archive, read-only.
    let mut p = module.start & !0xfff;
    while p < module.end {
        map_page(pml4, BOOTFS_VADDR + (p - (module.start & !0xfff)), p, pte::P | pte::U | nx, &mut alloc);
        p += 4096;
    }

    kprintln!(
        "init: {} segment(s), entry {:#x}, {} KiB free after boot",
        elf.segments().len(),
        elf.entry,
        free.total() >> 10
    );

    let mut ctx = UserContext::new_user(elf.entry, INIT_STACK_TOP);
    ctx.rdi = BOOTINFO_VADDR;
    crate::trap::run_first_thread(Thread { ctx, vspace: pml4 })
}
