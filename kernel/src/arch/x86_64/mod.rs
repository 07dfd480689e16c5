//! x86_64: boot stub, descriptor tables, trap and syscall entry, paging,
//! local APIC, serial port, CPU feature set-up.

pub mod apic;
pub mod boot;
pub mod context;
pub mod cpu;
pub mod entry;
pub mod fpu;
pub mod gdt;
pub mod idt;
pub mod ioapic;
pub mod machine;
pub mod nmi;
pub mod paging;
pub mod serial;
pub mod smp;
pub mod spec;

/// CPU features the kernel detected at boot.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuFeatures {
    /// No-execute pages (EFER.NXE was set by the boot stub).
    pub nx: bool,
    /// Process-context identifiers (CR4.PCIDE).
    pub pcid: bool,
    /// XSAVE (CR4.OSXSAVE).
    pub xsave: bool,
    /// Supervisor-mode execution prevention (CR4.SMEP): the kernel cannot
    /// execute user pages.
    pub smep: bool,
    /// Supervisor-mode access prevention (CR4.SMAP): the kernel cannot read
    /// or write user pages (it reaches all memory through the direct map).
    pub smap: bool,
    /// User-mode instruction prevention (CR4.UMIP): SGDT, SIDT, SLDT, SMSW
    /// and STR fault in user mode instead of revealing kernel addresses.
    pub umip: bool,
}

/// Detects features and configures the CPU for user programs: SSE enabled
/// (CR4.OSFXSR/OSXMMEXCPT; the kernel itself never uses SSE), XSAVE with
/// XCR0 = x87|SSE when XSAVE is present, write protection in ring 0,
/// machine-check exceptions, SMEP, SMAP and UMIP where present, and the
/// `syscall`/`sysret` MSRs.
pub fn init_cpu() -> CpuFeatures {
    let ext = cpu::cpuid(0x8000_0001, 0);
    let std1 = cpu::cpuid(1, 0);
    let leaf7 =
        if cpu::cpuid(0, 0).eax >= 7 { cpu::cpuid(7, 0) } else { cpu::CpuidResult { eax: 0, ebx: 0, ecx: 0, edx: 0 } };
    let f = CpuFeatures {
        nx: ext.edx & (1 << 20) != 0,
        pcid: std1.ecx & (1 << 17) != 0,
        xsave: std1.ecx & (1 << 26) != 0,
        smep: leaf7.ebx & (1 << 7) != 0,
        smap: leaf7.ebx & (1 << 20) != 0,
        umip: leaf7.ecx & (1 << 2) != 0,
    };
    // CR0: MP=1, EM=0, TS=0, NE=1, WP=1.
    let cr0 = (cpu::read_cr0() | (1 << 1) | (1 << 5) | (1 << 16)) & !((1 << 2) | (1 << 3));
    cpu::write_cr0(cr0);
    let mut cr4 = cpu::read_cr4() | (1 << 9) | (1 << 10); // OSFXSR, OSXMMEXCPT
    if f.xsave {
        cr4 |= 1 << 18; // OSXSAVE
    }
    // Machine checks raise #MC (handled in `nmi`) instead of shutting the
    // processor down.
    if std1.edx & (1 << 7) != 0 {
        cr4 |= 1 << 6; // MCE
    }
    // Hardening where the CPU has it (issue 13 finding 7). The kernel never
    // touches memory through user mappings, so SMAP needs no STAC/CLAC
    // pairs; trap entry clears RFLAGS.AC (a user may set it).
    if f.smep {
        cr4 |= 1 << 20;
    }
    if f.smap {
        cr4 |= 1 << 21;
    }
    if f.umip {
        cr4 |= 1 << 11;
    }
    // CR4.FSGSBASE stays off: no user can write a GS base (it stays 0 for
    // every thread) and the FS base changes only through the kernel or to
    // 0 (`machine::X86Machine::switch_segments`).
    cpu::write_cr4(cr4);
    // User state is x87 + SSE only (XCR0 = 0b11): Rampart programs target the
    // x86-64 baseline, AVX instructions fault with it disabled, so FXSAVE
    // saves everything a thread can have changed. XCR0 is still set when the
    // CPU has XSAVE so that OSXSAVE-aware code sees a consistent state.
    if f.xsave {
        cpu::xsetbv(0, 0b11);
    }
    fpu::init();
    if f.pcid {
        cpu::write_cr4(cpu::read_cr4() | (1 << 17)); // PCIDE (CR3 has PCID 0 here)
    }
    // syscall/sysret.
    cpu::wrmsr(cpu::msr::EFER, cpu::rdmsr(cpu::msr::EFER) | 1); // SCE
    cpu::wrmsr(cpu::msr::STAR, (0x10u64 << 48) | (u64::from(gdt::KERNEL_CS) << 32));
    cpu::wrmsr(cpu::msr::LSTAR, entry::syscall_entry_addr());
    // Clear TF, IF, DF, IOPL, NT, AC on entry.
    cpu::wrmsr(cpu::msr::SFMASK, 0x4_7700);
    f
}

/// Powers the machine off through QEMU's `isa-debug-exit` device (the exit
/// status becomes `(code << 1) | 1`), then halts if that device is absent.
pub fn debug_exit(code: u32) -> ! {
    cpu::outl(rampart_abi::DEBUG_EXIT_PORT, code);
    cpu::halt_forever()
}
