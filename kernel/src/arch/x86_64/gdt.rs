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

const IST_STACK_SIZE: usize = 16 * 1024;

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

/// Static CPU tables, written only during single-threaded boot.
struct CpuTables {
    gdt: UnsafeCell<[u64; 7]>,
    tss: UnsafeCell<Tss>,
}

/// IST stacks, separate from the tables so they land in `.bss`.
struct IstStacks(UnsafeCell<Stacks>);

// SAFETY: the CPU alone writes these stacks (on trap entry).
unsafe impl Sync for IstStacks {}

static IST_STACKS: IstStacks = IstStacks(UnsafeCell::new(Stacks([[0; IST_STACK_SIZE]; 4])));

// SAFETY: the kernel is single-core and these tables are written only in
// `init`, before interrupts are enabled; afterwards the CPU reads them.
unsafe impl Sync for CpuTables {}

static TABLES: CpuTables = CpuTables {
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

/// Builds and loads the GDT and TSS.
pub fn init() {
    let tss_addr = TABLES.tss.get() as u64;
    let tss_limit = (size_of::<Tss>() - 1) as u64;
    // 64-bit TSS descriptor (Intel SDM Vol. 3A §8.2.3): type 0x9, present.
    let tss_low = (tss_limit & 0xffff)
        | ((tss_addr & 0xff_ffff) << 16)
        | (0x89 << 40)
        | (((tss_limit >> 16) & 0xf) << 48)
        | (((tss_addr >> 24) & 0xff) << 56);
    let tss_high = tss_addr >> 32;
    // SAFETY: single-threaded boot; nothing else references the tables yet.
    unsafe {
        let gdt = &mut *TABLES.gdt.get();
        *gdt = [
            0,
            0x00af_9a00_0000_ffff, // 0x08 kernel code, 64-bit
            0x00cf_9200_0000_ffff, // 0x10 kernel data
            0x00cf_f200_0000_ffff, // 0x18 user data, DPL 3
            0x00af_fa00_0000_ffff, // 0x20 user code, 64-bit, DPL 3
            tss_low,               // 0x28 TSS
            tss_high,
        ];
        let tss = &mut *TABLES.tss.get();
        for i in 1..=4u8 {
            tss.ist[usize::from(i) - 1] = ist_top(i);
        }
        tss.rsp[0] = ist_top(IST_TRAP);
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
