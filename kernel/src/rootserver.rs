//! Creation of the root task (init) at boot.
//!
//! The kernel loads exactly one program: `init` (or the one named by
//! `root=NAME` on the command line), found in the boot-module archive. Using
//! the kernel core's boot module, it builds init's CNode, TCB, VSpace,
//! scheduling context and IPC buffer from boot memory, maps init's ELF image,
//! a stack, the boot information page and the archive (read-only), gives
//! init capabilities to all of it, to every remaining byte of RAM as Untyped
//! memory and to the physical address space that is not RAM as device
//! Untyped memory (docs/boot.md, docs/kernel.md).

use crate::arch::machine::X86Machine;
use crate::arch::{CpuFeatures, apic, ioapic, paging};
use crate::boot::BootParams;
use rampart_abi::bootfs::Bootfs;
use rampart_abi::bootinfo::{
    BOOTFS_VADDR, BOOTINFO_MAGIC, BOOTINFO_VADDR, BootInfo, CMDLINE_MAX, INIT_CNODE_RADIX, INIT_IPC_BUFFER_VADDR,
    MAX_UNTYPED, SlotRegion, UntypedDesc, slot as ws,
};
use rampart_abi::object::vm_attr;
use rampart_abi::{PAGE_SIZE, Rights};
use rampart_elf::{Elf, flags};
use rampart_kcore::Kernel;
use rampart_kcore::boot::RootTask;
use rampart_kcore::cap::Cap;
use rampart_kcore::memmap::{Region, RegionList, gaps, split_pow2};

/// Top of init's initial stack (exclusive).
pub const INIT_STACK_TOP: u64 = 0x7fff_f000_0000;
/// Size of init's initial stack in pages.
pub const INIT_STACK_PAGES: u64 = 16;
/// Physical addresses up to which device untyped memory is described.
const PHYS_TOP: u64 = 1 << 40;

fn fail(what: &str) -> ! {
    panic!("building the root task: {what}")
}

/// Builds the root task and the kernel state; returns the kernel, ready to
/// run init.
pub fn build(params: &BootParams, free: &mut RegionList<64>, features: CpuFeatures) -> Kernel<X86Machine> {
    let mut k = Kernel::new(X86Machine::new(features.pcid));
    k.nx = features.nx;
    let mut alloc = |bits: u32| -> u64 {
        let size = 1u64 << bits;
        free.take(size, size.max(PAGE_SIZE as u64), 0).unwrap_or(0)
    };

    let Some(module) = params.modules().first().copied() else { fail("no boot module (the bootfs archive)") };
    // SAFETY: the module range was excluded from free memory, is RAM mapped
    // by the direct map, and nothing writes it.
    let archive = unsafe { paging::phys_slice(module.start, module.size() as usize) };
    let fs = Bootfs::parse(archive).unwrap_or_else(|e| panic!("boot module is not a bootfs archive: {e:?}"));
    // `root=NAME` selects another root task (the in-guest kernel test suite
    // and benchmarks are root tasks, like sel4test).
    let name = params.cmdline().split_whitespace().find_map(|w| w.strip_prefix("root=")).unwrap_or("init");
    let Some(image) = fs.find(name) else { panic!("bootfs has no root task \"{name}\"") };
    let elf = Elf::parse(image.data).unwrap_or_else(|e| panic!("{name} is not a loadable ELF executable: {e:?}"));

    let mut root = k
        .boot_root_task(&mut alloc, INIT_CNODE_RADIX, INIT_IPC_BUFFER_VADDR)
        .unwrap_or_else(|e| panic!("root task objects: {e:?}"));

    // The ELF image: every page from the lowest to the highest segment page,
    // with the union of the permissions of the segments touching it.
    let lo = elf.segments().iter().map(|s| s.vaddr & !0xfff).min().unwrap_or(0);
    let hi = elf.segments().iter().map(|s| s.end().next_multiple_of(4096)).max().unwrap_or(0);
    let frames_start = root.next_slot;
    let mut page = lo;
    while page < hi {
        let f = alloc(12);
        if f == 0 {
            fail("out of memory for the image");
        }
        paging::zero_frame(f);
        for seg in elf.segments() {
            let (a, b) = (page.max(seg.vaddr), (page + 4096).min(seg.vaddr + seg.file_size));
            if a < b {
                let off = (seg.file_offset + (a - seg.vaddr)) as usize;
                paging::copy_to_phys(f + (a - page), &image.data[off..off + (b - a) as usize]);
            }
        }
        k.boot_frame(&mut root, f, Rights::RW).unwrap_or_else(|e| panic!("{e:?}"));
        page += 4096;
    }
    let frames = SlotRegion { start: frames_start, end: root.next_slot };

    // Stack frames.
    let stack_start = root.next_slot;
    for _ in 0..INIT_STACK_PAGES {
        let f = alloc(12);
        if f == 0 {
            fail("out of memory for the stack");
        }
        k.boot_frame(&mut root, f, Rights::RW).unwrap_or_else(|e| panic!("{e:?}"));
    }
    // Boot-module archive frames (read-only).
    let bootfs_first = module.start & !0xfff;
    let bootfs_pages = (module.end - bootfs_first).div_ceil(4096);
    let bootfs_start = root.next_slot;
    for i in 0..bootfs_pages {
        k.boot_frame(&mut root, bootfs_first + i * 4096, Rights::READ).unwrap_or_else(|e| panic!("{e:?}"));
    }
    let bootfs_frames = SlotRegion { start: bootfs_start, end: root.next_slot };
    let bi_frame = alloc(12);
    if bi_frame == 0 {
        fail("out of memory for boot information");
    }
    paging::zero_frame(bi_frame);
    k.boot_give(&mut root, ws::BOOTINFO_FRAME, Cap::frame(bi_frame, false, Rights::READ, false));

    // Map everything; paging-structure capabilities follow.
    let paging_start = root.next_slot;
    let mut map = |k: &mut Kernel<X86Machine>, root: &mut RootTask, slot: u64, va: u64, r: Rights, attr: u64| {
        k.boot_map(root, &mut alloc, slot, va, r, attr).unwrap_or_else(|e| panic!("mapping {va:#x}: {e:?}"));
    };
    for i in 0..frames.len() {
        let va = lo + i * 4096;
        let mut fl = 0;
        for seg in elf.segments() {
            if seg.vaddr < va + 4096 && va < seg.end() {
                fl |= seg.flags;
            }
        }
        let rights = if fl & flags::W != 0 { Rights::RW } else { Rights::READ };
        let attr = if fl & flags::X != 0 { vm_attr::EXECUTE } else { 0 };
        map(&mut k, &mut root, frames.start + i, va, rights, attr);
    }
    for i in 0..INIT_STACK_PAGES {
        map(&mut k, &mut root, stack_start + i, INIT_STACK_TOP - (INIT_STACK_PAGES - i) * 4096, Rights::RW, 0);
    }
    for i in 0..bootfs_frames.len() {
        map(&mut k, &mut root, bootfs_frames.start + i, BOOTFS_VADDR + i * 4096, Rights::READ, 0);
    }
    map(&mut k, &mut root, ws::BOOTINFO_FRAME, BOOTINFO_VADDR, Rights::READ, 0);
    let paging_region = SlotRegion { start: paging_start, end: root.next_slot };

    // Untyped memory: all remaining RAM, then device memory.
    let mut bi = BootInfo {
        magic: BOOTINFO_MAGIC,
        bootfs_vaddr: BOOTFS_VADDR + (module.start & 0xfff),
        bootfs_size: module.size(),
        rsdp_paddr: params.rsdp_paddr,
        boot_protocol: params.protocol,
        usable_ram: params.ram.total(),
        tick_hz: apic::TICK_HZ,
        tsc_hz: apic::tsc_hz(),
        ipc_buffer: INIT_IPC_BUFFER_VADDR,
        cnode_radix: u64::from(INIT_CNODE_RADIX),
        empty: SlotRegion::default(),
        user_image_frames: frames,
        user_image_vaddr: lo,
        user_image_paging: paging_region,
        bootfs_frames,
        untyped: SlotRegion::default(),
        untyped_list: [UntypedDesc::default(); MAX_UNTYPED],
        rsdp_len: params.rsdp_len as u64,
        rsdp: params.rsdp,
        _pad: [0; 4],
        cmdline_len: params.cmdline_len as u64,
        cmdline: [0; CMDLINE_MAX],
        kernel_flags: if cfg!(feature = "test-kernel") { rampart_abi::bootinfo::KERNEL_DEBUG_SYSCALLS } else { 0 },
        cpus_online: u64::from(crate::arch::smp::online()),
    };
    bi.cmdline[..params.cmdline_len].copy_from_slice(&params.cmdline[..params.cmdline_len]);
    let ut_start = root.next_slot;
    let mut n = 0usize;
    let mut give = |k: &mut Kernel<X86Machine>, root: &mut RootTask, paddr: u64, bits: u32, device: bool| {
        if n < MAX_UNTYPED && root.next_slot < root.slots() {
            k.boot_put(root, Cap::untyped(paddr, bits, device, 0)).unwrap_or_else(|e| panic!("{e:?}"));
            bi.untyped_list[n] = UntypedDesc { paddr, size_bits: bits as u8, is_device: device as u8, _pad: [0; 6] };
            n += 1;
        }
    };
    for r in free.as_slice() {
        split_pow2(*r, 12, 47, |a, b| give(&mut k, &mut root, a, b, false));
    }
    // Device memory: every physical address that is not RAM, minus the
    // interrupt controllers the kernel drives. If the memory map did not fit
    // in the RAM list, only addresses above all described memory are safe.
    let exclude = [
        Region::new(ioapic::IOAPIC_BASE, ioapic::IOAPIC_BASE + 4096),
        Region::new(0xfee0_0000, 0xfee0_1000),
        Region::new(0, if params.map_overflow { params.memory_end } else { 0 }),
    ];
    gaps(params.ram.as_slice(), PHYS_TOP, &exclude, |r| {
        split_pow2(r, 12, 47, |a, b| give(&mut k, &mut root, a, b, true));
    });
    bi.untyped = SlotRegion { start: ut_start, end: root.next_slot };
    bi.empty = SlotRegion { start: root.next_slot, end: root.slots() };

    // SAFETY: `BootInfo` is plain `repr(C)` data; viewing it as bytes is sound.
    let bytes = unsafe { core::slice::from_raw_parts((&raw const bi).cast::<u8>(), core::mem::size_of::<BootInfo>()) };
    paging::copy_to_phys(bi_frame, bytes);

    if rampart_abi::log::console_loglevel(params.cmdline()) > rampart_abi::log::LOGLEVEL_INFO {
        kprintln!(
            "root task \"{name}\": {} image pages at {lo:#x}, entry {:#x}, {} untyped ({} MiB RAM), {} free slots",
            frames.len(),
            elf.entry,
            bi.untyped.len(),
            free.total() >> 20,
            bi.empty.len()
        );
    }
    k.boot_start(&root, elf.entry, INIT_STACK_TOP, BOOTINFO_VADDR);
    k
}
