//! Thin wrappers over privileged x86_64 instructions: port I/O, MSRs,
//! control registers, CPUID, TLB maintenance.
//!
//! Every function here is a single instruction; the `unsafe` lives here so
//! the rest of the kernel calls safe functions whose preconditions are
//! documented (the kernel runs at CPL0 with interrupts disabled).

use core::arch::asm;

/// Reads a byte from an I/O port.
pub fn inb(port: u16) -> u8 {
    let v: u8;
    // SAFETY: port input has no memory effects; the kernel runs at CPL0.
    unsafe { asm!("in al, dx", out("al") v, in("dx") port, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes a byte to an I/O port.
pub fn outb(port: u16, v: u8) {
    // SAFETY: callers only write ports of devices the kernel owns (COM1, PIC,
    // PIT, debug-exit); no memory is touched.
    unsafe { asm!("out dx, al", in("dx") port, in("al") v, options(nomem, nostack, preserves_flags)) };
}

/// Reads a 16-bit value from an I/O port.
pub fn inw(port: u16) -> u16 {
    let v: u16;
    // SAFETY: as `inb`.
    unsafe { asm!("in ax, dx", out("ax") v, in("dx") port, options(nomem, nostack, preserves_flags)) };
    v
}

/// Reads a 32-bit value from an I/O port.
pub fn inl(port: u16) -> u32 {
    let v: u32;
    // SAFETY: as `inb`.
    unsafe { asm!("in eax, dx", out("eax") v, in("dx") port, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes a 16-bit value to an I/O port.
pub fn outw(port: u16, v: u16) {
    // SAFETY: user-requested port writes are authorised by an IOPort
    // capability covering the port; no memory is touched.
    unsafe { asm!("out dx, ax", in("dx") port, in("ax") v, options(nomem, nostack, preserves_flags)) };
}

/// Writes a 32-bit value to an I/O port.
pub fn outl(port: u16, v: u32) {
    // SAFETY: as `outb`.
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") v, options(nomem, nostack, preserves_flags)) };
}

/// Reads a model-specific register.
pub fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: only architectural MSRs the CPU advertises are read.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Writes a model-specific register.
pub fn wrmsr(msr: u32, v: u64) {
    // SAFETY: callers write architectural MSRs with values valid for them.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nostack, preserves_flags))
    };
}

/// MSR numbers used by the kernel.
pub mod msr {
    /// Extended feature enable register.
    pub const EFER: u32 = 0xC000_0080;
    /// Segment selectors for syscall/sysret.
    pub const STAR: u32 = 0xC000_0081;
    /// Syscall entry point.
    pub const LSTAR: u32 = 0xC000_0082;
    /// RFLAGS bits cleared on syscall.
    pub const SFMASK: u32 = 0xC000_0084;
    /// FS base.
    pub const FS_BASE: u32 = 0xC000_0100;
    /// Local APIC base.
    pub const APIC_BASE: u32 = 0x1B;
}

/// Result of `cpuid` (complete, though not every leaf the kernel reads uses
/// every register).
#[derive(Clone, Copy, Debug)]
#[allow(dead_code)]
pub struct CpuidResult {
    /// EAX.
    pub eax: u32,
    /// EBX.
    pub ebx: u32,
    /// ECX.
    pub ecx: u32,
    /// EDX.
    pub edx: u32,
}

/// Executes `cpuid` with the given leaf and subleaf.
pub fn cpuid(leaf: u32, sub: u32) -> CpuidResult {
    let r = core::arch::x86_64::__cpuid_count(leaf, sub);
    CpuidResult { eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx }
}

/// Reads CR0.
pub fn read_cr0() -> u64 {
    let v;
    // SAFETY: reading a control register has no side effects at CPL0.
    unsafe { asm!("mov {}, cr0", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes CR0.
pub fn write_cr0(v: u64) {
    // SAFETY: callers only toggle documented bits (WP, MP, EM, TS, NE).
    unsafe { asm!("mov cr0, {}", in(reg) v, options(nostack, preserves_flags)) };
}

/// Reads CR2 (the faulting address of the last page fault).
pub fn read_cr2() -> u64 {
    let v;
    // SAFETY: as `read_cr0`.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Reads CR3.
pub fn read_cr3() -> u64 {
    let v;
    // SAFETY: as `read_cr0`.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes CR3 (switches address space).
///
/// # Safety
/// `v` must point to a valid PML4 that maps the kernel identically to the
/// current one (every VSpace shares the kernel half).
pub unsafe fn write_cr3(v: u64) {
    // SAFETY: guaranteed by the caller.
    unsafe { asm!("mov cr3, {}", in(reg) v, options(nostack, preserves_flags)) };
}

/// Reads CR4.
pub fn read_cr4() -> u64 {
    let v;
    // SAFETY: as `read_cr0`.
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nomem, nostack, preserves_flags)) };
    v
}

/// Writes CR4.
pub fn write_cr4(v: u64) {
    // SAFETY: callers only set feature bits the CPU advertises.
    unsafe { asm!("mov cr4, {}", in(reg) v, options(nostack, preserves_flags)) };
}

/// Writes XCR0 (enabled XSAVE state components).
pub fn xsetbv(xcr: u32, v: u64) {
    // SAFETY: only called when CPUID reports XSAVE with components in `v`.
    unsafe {
        asm!("xsetbv", in("ecx") xcr, in("eax") v as u32, in("edx") (v >> 32) as u32, options(nomem, nostack, preserves_flags))
    };
}

/// Invalidates the TLB entry for `vaddr` in the current address space.
pub fn invlpg(vaddr: u64) {
    // SAFETY: invalidating a TLB entry is always safe.
    unsafe { asm!("invlpg [{}]", in(reg) vaddr, options(nostack, preserves_flags)) };
}

/// Loads the null selector into DS, ES, FS and GS. In 64-bit mode this is
/// always allowed; it may clear the FS and GS bases (Intel), so the FS base
/// is written afterwards.
#[inline(always)]
pub fn load_null_selectors() {
    // SAFETY: null data selectors are valid in 64-bit mode at any CPL; the
    // kernel does not use DS/ES/FS/GS (flat segments, no per-CPU GS).
    unsafe {
        asm!(
            "mov ds, {z:e}",
            "mov es, {z:e}",
            "mov fs, {z:e}",
            "mov gs, {z:e}",
            z = in(reg) 0u32,
            options(nomem, nostack, preserves_flags)
        )
    };
}

/// The time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc has no side effects.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Halts until the next interrupt with interrupts enabled, then disables
/// them again.
pub fn wait_for_interrupt() {
    // SAFETY: `sti; hlt` atomically enables interrupts and halts; the
    // interrupt handler never returns here (it resets the kernel stack).
    unsafe { asm!("sti", "hlt", "cli", options(nomem, nostack)) };
}

/// Stops the CPU forever with interrupts disabled.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: `cli; hlt` has no memory effects.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) };
    }
}
