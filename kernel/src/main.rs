//! The Rampart microkernel.
//!
//! A capability microkernel in the seL4 tradition (docs/architecture.md, "Kernel"): the kernel
//! does only what must be privileged. It has no heap: at boot it carves the
//! memory it needs for itself and the root task out of the boot memory map,
//! and hands everything else to the root task.
//!
//! Structure: `arch/` holds all hardware access (and nearly all `unsafe`,
//! each block justified by a `// SAFETY:` comment); `boot/` normalises the
//! boot loader's information; `rootserver` builds the first user program.
//! Pure logic lives in the host-tested `rampart-kcore` crate.
//!
//! Trust: the kernel trusts the boot loader's memory map and the boot
//! modules' integrity (they are part of the boot image); it trusts nothing a
//! user program passes it.
#![no_std]
#![no_main]
// The kernel is the one program that must touch the hardware (page tables,
// control registers, MSRs, port I/O, the context switch): `unsafe` is allowed
// here, each block justified by a `// SAFETY:` comment (denied without one).
#![allow(unsafe_code)]
// No floating point in the kernel: its text is built without SSE/x87
// (docs/build.md) and the FPU state belongs to user threads.
#![deny(clippy::float_arithmetic)]

extern crate rampart_builtins;

mod arch;
mod boot;
#[macro_use]
mod console;
mod rootserver;
mod trap;

use rampart_kcore::memmap::{Region, RegionList};

unsafe extern "C" {
    static __kernel_phys_start: u8;
    static __kernel_phys_end: u8;
}

/// Which kernel this is, for tools that check an image's kernel (the tests
/// require `release` in `images run` and ISO images).
#[used]
#[unsafe(link_section = ".rodata.rampart_flavour")]
static FLAVOUR: [u8; 30] =
    if cfg!(feature = "test-kernel") { *b"RAMPART_KERNEL_FLAVOUR=test   " } else { *b"RAMPART_KERNEL_FLAVOUR=release" };

/// Physical range of the kernel image (text, data, bss, boot stub).
fn kernel_image() -> Region {
    let (s, e) = (&raw const __kernel_phys_start as u64, &raw const __kernel_phys_end as u64);
    Region::new(s, e)
}

/// Kernel entry from the boot stub: `info` is the physical address of the
/// boot loader's information, `protocol` which loader it was.
#[unsafe(no_mangle)]
extern "C" fn kmain(info: u64, protocol: u64) -> ! {
    arch::serial::init();
    let params = match boot::parse(protocol, info) {
        Ok(p) => p,
        Err(e) => panic!("unusable boot information: {e:?}"),
    };
    // `loglevel=N` (Linux's levels): the boot lines below are info (6);
    // a quiet boot (the default) shows only the banner.
    let loglevel = rampart_abi::log::console_loglevel(params.cmdline());
    let verbose = loglevel > rampart_abi::log::LOGLEVEL_INFO;
    if verbose {
        kprintln!("Rampart microkernel {} (x86_64)", env!("CARGO_PKG_VERSION"));
    } else {
        kprintln!("Rampart {} \u{2014} booting...", env!("CARGO_PKG_VERSION"));
    }
    arch::gdt::init();
    arch::idt::init();
    let features = arch::init_cpu();
    let exposure = arch::spec::init();

    // Free memory: usable RAM minus the first MiB (firmware, real-mode
    // structures), the kernel image and the boot modules.
    let mut free: RegionList<64> = params.ram;
    let _ = free.remove(Region::new(0, 1 << 20));
    // RAM beyond the direct map cannot hold kernel objects (the kernel
    // reaches them through it): it is not handed out at all.
    let _ = free.remove(Region::new(arch::paging::DIRECT_MAP_MAX, u64::MAX));
    let _ = free.remove(kernel_image());
    for m in params.modules() {
        let _ = free.remove(Region::new(m.start & !0xfff, m.end.next_multiple_of(0x1000)));
    }
    let ram_end = params.ram.as_slice().last().map_or(0, |r| r.end);
    if ram_end > arch::paging::DIRECT_MAP_MAX && verbose {
        kprintln!("boot: RAM above {} GiB is not used (outside the direct map)", arch::paging::DIRECT_MAP_MAX >> 30);
    }
    if params.map_overflow && verbose {
        kprintln!("boot: memory map has more than 64 ranges; unlisted RAM unused, device memory only above it");
    }
    if verbose {
        kprintln!(
            "boot: protocol {}, {} MiB usable RAM, {} module(s), cmdline \"{}\"",
            if params.protocol == boot::PROTOCOL_PVH { "PVH" } else { "multiboot2" },
            params.ram.total() >> 20,
            params.module_count,
            params.cmdline()
        );
    }

    let mut alloc = || -> u64 {
        let Some(f) = free.take(4096, 4096, 0) else { panic!("out of boot memory") };
        arch::paging::zero_frame(f);
        f
    };
    let memory = params.memory;
    arch::paging::init_kernel_tables(
        ram_end,
        &|a| memory.overlaps(&Region::new(a, a + (2 << 20))),
        &mut alloc,
        arch::paging::PagingFeatures { nx: features.nx },
    );
    rampart_kcore::kmem::set_phys_offset(arch::paging::DIRECT_MAP_BASE);
    let timer_hz = arch::apic::init();
    arch::ioapic::init();
    if verbose {
        kprintln!(
            "cpu: nx={} pcid={} xsave={} smep={} smap={} umip={}, apic timer {} kHz, ioapic inputs {}",
            features.nx,
            features.pcid,
            features.xsave,
            features.smep,
            features.smap,
            features.umip,
            timer_hz / 1000,
            arch::ioapic::inputs()
        );
        kprintln!(
            "cpu: transient execution: meltdown {}, mds {}, spectre-v2 {} (docs/kernel.md)",
            exposure.meltdown.word(),
            exposure.mds.word(),
            exposure.spectre_v2.word()
        );
    }
    // Before the root task gets the free memory as Untyped: the APs'
    // stacks come from it.
    arch::smp::start(&params, &mut free, features.nx, verbose);
    let mut kernel = rootserver::build(&params, &mut free, features);
    kernel.log.set_console_level(loglevel);
    trap::start(kernel)
}

#[cfg(panic = "abort")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    kprintln!("KERNEL PANIC: {}", info);
    arch::debug_exit(0x7f)
}
