//! Interrupt descriptor table.
//!
//! All 256 vectors are interrupt gates (IF cleared on entry) at DPL 0 pointing
//! at the stubs in `entry.rs`. Vector assignment:
//! 0..=31 CPU exceptions, 32 the local APIC timer, 33..=254 device
//! interrupts (IOAPIC and MSI), 255 the APIC spurious vector.

use super::entry::trap_stub;
use super::gdt::{IST_DF, IST_MC, IST_NMI, IST_TRAP, KERNEL_CS};
use core::cell::UnsafeCell;

/// Vector of the local APIC timer.
pub const VECTOR_TIMER: u8 = 32;
/// APIC spurious-interrupt vector.
pub const VECTOR_SPURIOUS: u8 = 255;

#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    _reserved: u32,
}

struct Idt(UnsafeCell<[Gate; 256]>);

// SAFETY: written once during single-threaded boot, then only read by the CPU.
unsafe impl Sync for Idt {}

static IDT: Idt = Idt(UnsafeCell::new(
    [Gate { offset_low: 0, selector: 0, ist: 0, type_attr: 0, offset_mid: 0, offset_high: 0, _reserved: 0 }; 256],
));

/// Fills and loads the IDT.
pub fn init() {
    // SAFETY: single-threaded boot; the IDT is not loaded yet.
    let idt = unsafe { &mut *IDT.0.get() };
    for (v, gate) in idt.iter_mut().enumerate() {
        let addr = trap_stub(v as u8);
        let ist = match v {
            2 => IST_NMI,
            8 => IST_DF,
            18 => IST_MC,
            _ => IST_TRAP,
        };
        *gate = Gate {
            offset_low: addr as u16,
            selector: KERNEL_CS,
            ist,
            type_attr: 0x8e, // present, DPL 0, 64-bit interrupt gate
            offset_mid: (addr >> 16) as u16,
            offset_high: (addr >> 32) as u32,
            _reserved: 0,
        };
    }
    load();
}

/// Loads the IDT filled by [`init`] on this CPU (the application
/// processors share the boot CPU's table: docs/kernel.md, "Multicore").
pub fn load() {
    // SAFETY: read-only use of the table `init` filled before any AP runs.
    let idt = unsafe { &*IDT.0.get() };
    #[repr(C, packed)]
    struct Ptr {
        limit: u16,
        base: u64,
    }
    let ptr = Ptr { limit: (core::mem::size_of::<[Gate; 256]>() - 1) as u16, base: idt.as_ptr() as u64 };
    // SAFETY: the table is fully initialised and lives forever.
    unsafe { core::arch::asm!("lidt [{}]", in(reg) &ptr, options(nostack, preserves_flags)) };
}

/// Name of a CPU exception vector, for diagnostics.
pub fn exception_name(v: u64) -> &'static str {
    const NAMES: [&str; 32] = [
        "divide error",
        "debug",
        "NMI",
        "breakpoint",
        "overflow",
        "bound range",
        "invalid opcode",
        "device not available",
        "double fault",
        "coprocessor segment overrun",
        "invalid TSS",
        "segment not present",
        "stack-segment fault",
        "general protection",
        "page fault",
        "reserved",
        "x87 floating point",
        "alignment check",
        "machine check",
        "SIMD floating point",
        "virtualization",
        "control protection",
        "reserved",
        "reserved",
        "reserved",
        "reserved",
        "reserved",
        "reserved",
        "hypervisor injection",
        "VMM communication",
        "security",
        "reserved",
    ];
    NAMES.get(v as usize).copied().unwrap_or("interrupt")
}
