//! Global descriptor table, task-state segment and interrupt stacks.
//!
//! Selectors are fixed by `syscall`/`sysret` (Intel SDM Vol. 2B, SYSRET):
//! STAR[47:32] = 0x08 gives kernel CS 0x08 / SS 0x10; STAR[63:48] = 0x10
//! gives user SS 0x18|3 and user CS 0x20|3.
//!
//! Every trap vector runs on an interrupt stack (IST) so that a fault with a
//! corrupted user stack pointer, or a double fault caused by kernel stack
//! overflow, always lands on a known-good stack.

use core::cell::UnsafeCell;
use core::mem::size_of;

/// Kernel code selector.
pub const KERNEL_CS: u16 = 0x08;
/// Kernel data selector.
pub const KERNEL_DS: u16 = 0x10;
/// User data selector (RPL 3).
pub const USER_DS: u16 = 0x18 | 3;
/// User code selector (RPL 3).
pub const USER_CS: u16 = 0x20 | 3;
const TSS_SEL: u16 = 0x28;
const _: () = assert!(USER_CS as u64 == rampart_kcore::regs::USER_CS && USER_DS as u64 == rampart_kcore::regs::USER_DS);

/// IST index for traps and interrupts from user mode and idle.
pub const IST_TRAP: u8 = 1;
/// IST index for NMI.
pub const IST_NMI: u8 = 2;
/// IST index for double fault.
pub const IST_DF: u8 = 3;
/// IST index for machine check.
pub const IST_MC: u8 = 4;

/// Size of each interrupt stack (bytes).
pub const IST_STACK_SIZE: usize = 16 * 1024;

#[repr(C, packed)]
struct Tss {
    _reserved0: u32,
    rsp: [u64; 3],
    _reserved1: u64,
    ist: [u64; 7],
    _reserved2: u64,
    _reserved3: u16,
    iomap_base: u16,
}

#[repr(C, align(16))]
struct Stacks([[u8; IST_STACK_SIZE]; 4]);

/// One CPU's GDT and TSS, written only by `load` on that CPU during its
/// start-up (the boot CPU's before any AP runs; each AP's by itself while
/// the boot CPU waits for it).
struct CpuTables {
    gdt: UnsafeCell<[u64; 7]>,
    tss: UnsafeCell<Tss>,
}

/// IST stacks, separate from the tables so they land in `.bss`.
struct IstStacks(UnsafeCell<Stacks>);

// SAFETY: the CPU alone writes these stacks (on trap entry).
unsafe impl Sync for IstStacks {}

static IST_STACKS: IstStacks = IstStacks(UnsafeCell::new(Stacks([[0; IST_STACK_SIZE]; 4])));

// SAFETY: each CPU's entry is written only in `load`, by that CPU, once,
// with interrupts disabled; afterwards only that CPU's hardware reads it.
unsafe impl Sync for CpuTables {}

/// Most CPUs the kernel starts (the MADT reader's limit).
pub const MAX_CPUS: usize = rampart_acpi::madt::MAX_CPUS;

#[allow(clippy::declare_interior_mutable_const)] // an array initialiser only
const EMPTY: CpuTables = CpuTables {
    gdt: UnsafeCell::new([0; 7]),
    tss: UnsafeCell::new(Tss {
        _reserved0: 0,
        rsp: [0; 3],
        _reserved1: 0,
        ist: [0; 7],
        _reserved2: 0,
        _reserved3: 0,
        iomap_base: size_of::<Tss>() as u16,
    }),
};

/// Index 0: the boot CPU; 1..: the application processors in start order.
static TABLES: [CpuTables; MAX_CPUS] = [EMPTY; MAX_CPUS];

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Top of the IST stack with index `ist` (1..=4).
pub fn ist_top(ist: u8) -> u64 {
    let base = IST_STACKS.0.get() as u64;
    base + u64::from(ist) * IST_STACK_SIZE as u64
}

/// Builds and loads the boot CPU's GDT and TSS (IST stacks in `.bss`).
pub fn init() {
    load(0, [ist_top(1), ist_top(2), ist_top(3), ist_top(4)]);
}

/// Builds and loads the GDT and TSS of CPU `index` (1..[`MAX_CPUS`]) with
/// the given IST stack tops (IST 1..=4, 16-byte aligned; IST 1 is also
/// the ring-0 stack of the TSS). Called once by that CPU.
///
/// # Panics
/// If `index` is not below [`MAX_CPUS`] (the caller bounds it).
pub fn init_ap(index: usize, ist_tops: [u64; 4]) {
    assert!(index != 0 && index < MAX_CPUS);
    load(index, ist_tops);
}

fn load(index: usize, ist_tops: [u64; 4]) {
    let t = &TABLES[index];
    let tss_addr = t.tss.get() as u64;
    let tss_limit = (size_of::<Tss>() - 1) as u64;
    // 64-bit TSS descriptor (Intel SDM Vol. 3A §8.2.3): type 0x9, present.
    let tss_low = (tss_limit & 0xffff)
        | ((tss_addr & 0xff_ffff) << 16)
        | (0x89 << 40)
        | (((tss_limit >> 16) & 0xf) << 48)
        | (((tss_addr >> 24) & 0xff) << 56);
    let tss_high = tss_addr >> 32;
    // SAFETY: this CPU's entry, written once by this CPU before it loads
    // it (see `CpuTables`).
    unsafe {
        let gdt = &mut *t.gdt.get();
        *gdt = [
            0,
            0x00af_9a00_0000_ffff, // 0x08 kernel code, 64-bit
            0x00cf_9200_0000_ffff, // 0x10 kernel data
            0x00cf_f200_0000_ffff, // 0x18 user data, DPL 3
            0x00af_fa00_0000_ffff, // 0x20 user code, 64-bit, DPL 3
            tss_low,               // 0x28 TSS
            tss_high,
        ];
        let tss = &mut *t.tss.get();
        let mut ist = [0u64; 7];
        ist[..4].copy_from_slice(&ist_tops);
        tss.ist = ist;
        tss.rsp[0] = ist_tops[usize::from(IST_TRAP) - 1];
        let ptr = DescriptorPointer { limit: (size_of::<[u64; 7]>() - 1) as u16, base: gdt.as_ptr() as u64 };
        core::arch::asm!(
            "lgdt [{ptr}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "mov ss, {ds:x}",
            "ltr {tss:x}",
            ptr = in(reg) &ptr,
            cs = in(reg) u64::from(KERNEL_CS),
            ds = in(reg) u64::from(KERNEL_DS),
            tss = in(reg) u64::from(TSS_SEL),
            tmp = out(reg) _,
        );
    }
}
