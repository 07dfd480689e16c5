//! Application-processor (AP) start-up: CPU discovery from the ACPI MADT,
//! the real-mode trampoline, INIT-SIPI-SIPI, and each AP's own descriptor
//! tables, stacks and local APIC (docs/kernel.md, "Multicore").
//!
//! In this landing the APs *park* once started: interrupts off, `hlt`, on
//! the kernel page tables only. They run no kernel path and no thread, so
//! the single-CPU kernel's unlocked state and its TLB maintenance stay
//! correct unchanged (docs/kernel.md, "Why parking is safe").
//!
//! Trust: the MADT comes from firmware and is read with the bounded,
//! panic-free `rampart_acpi` reader through the direct map only; a CPU that
//! does not answer within 100 ms is reported and left off.

use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use super::paging::{DIRECT_MAP_BASE, copy_to_phys, direct_map_end, phys_to_virt};
use super::{apic, cpu, gdt, idt};
use crate::boot::BootParams;
use crate::{kprint, kprintln};
use rampart_acpi::{AcpiError, PhysMem, Rsdp, find_table, madt::Madt};
use rampart_kcore::memmap::{Region, RegionList};

/// Physical address the trampoline is copied to: below 1 MiB (real mode),
/// page-aligned (the SIPI vector is the page number), in the first MiB the
/// kernel never hands out.
const TRAMPOLINE: u64 = 0x8000;
/// Bytes per AP of stacks: its kernel stack and four IST stacks.
const AP_STACKS: u64 = 5 * gdt::IST_STACK_SIZE as u64;

core::arch::global_asm!(
    r#"
    .section .rodata.ap_trampoline, "a"
    .balign 16
    .global ap_trampoline_start
ap_trampoline_start:
    .code16
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    lgdtl (0x8000 + ap_gdt_ptr - ap_trampoline_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl $0x08, $(0x8000 + ap_pm32 - ap_trampoline_start)

    .code32
ap_pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax
    movl %eax, %cr4
    movl (0x8000 + ap_slot_cr3 - ap_trampoline_start), %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl (0x8000 + ap_slot_efer - ap_trampoline_start), %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80010001, %eax
    movl %eax, %cr0
    ljmp $0x18, $(0x8000 + ap_lm64 - ap_trampoline_start)

    .code64
ap_lm64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movq (0x8000 + ap_slot_entry - ap_trampoline_start), %rax
    jmpq *%rax

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff
    .quad 0x00cf92000000ffff
    .quad 0x00af9a000000ffff
ap_gdt_ptr:
    .short 31
    .long 0x8000 + ap_gdt - ap_trampoline_start
    .balign 8
ap_slot_cr3:
    .long boot_pml4
    .long 0
ap_slot_efer:
    .long 0
    .long 0
ap_slot_entry:
    .quad ap_entry64
    .global ap_trampoline_end
ap_trampoline_end:

    .section .text.ap_entry64, "ax"
ap_entry64:
    movq ap_boot_cr3(%rip), %rax
    movq %rax, %cr3
    movq ap_boot_stack(%rip), %rsp
    movq ap_boot_index(%rip), %rdi
    xorl %ebp, %ebp
    call ap_main
    ud2
"#,
    options(att_syntax)
);

unsafe extern "C" {
    static ap_trampoline_start: u8;
    static ap_trampoline_end: u8;
}

/// Offset of `ap_slot_efer` from the trampoline's end (two 8-byte slots
/// after it: EFER bits, entry address).
const SLOT_EFER_FROM_END: u64 = 16;

// Read by `ap_entry64` before it has a stack: the AP being started.
#[unsafe(no_mangle)]
static ap_boot_cr3: AtomicU64 = AtomicU64::new(0);
#[unsafe(no_mangle)]
static ap_boot_stack: AtomicU64 = AtomicU64::new(0);
#[unsafe(no_mangle)]
static ap_boot_index: AtomicU64 = AtomicU64::new(0);
/// Stacks base of the AP being started (its IST stacks follow its kernel stack).
static AP_BOOT_BASE: AtomicU64 = AtomicU64::new(0);
/// Index of the last AP that finished its set-up.
static AP_ALIVE: AtomicU64 = AtomicU64::new(0);
/// CPUs online, the boot CPU included.
static ONLINE: AtomicU32 = AtomicU32::new(1);

/// CPUs online (1 until [`start`] brought up others).
pub fn online() -> u32 {
    ONLINE.load(Ordering::Acquire)
}

/// Physical memory through the direct map, bounded by its end.
struct DirectMap;

impl PhysMem for DirectMap {
    fn read(&mut self, paddr: u64, buf: &mut [u8]) -> Result<(), AcpiError> {
        let end = paddr.checked_add(buf.len() as u64).ok_or(AcpiError::Unreadable(paddr))?;
        if end > direct_map_end() {
            return Err(AcpiError::Unreadable(paddr));
        }
        // SAFETY: the range lies inside the direct map (checked above),
        // which maps every physical address below its end; reading firmware
        // tables has no side effects.
        unsafe { core::ptr::copy_nonoverlapping((DIRECT_MAP_BASE + paddr) as *const u8, buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }
}

/// The RSDP: the boot loader's copy, else the BIOS read-only area scan
/// (ACPI 6.4 §5.2.5.1: 16-byte boundaries of 0xE0000..0xFFFFF).
fn rsdp(params: &BootParams) -> Option<Rsdp> {
    if let Ok(r) = Rsdp::parse(&params.rsdp[..params.rsdp_len]) {
        return Some(r);
    }
    let mut buf = [0u8; 36];
    (0xe_0000u64..0x10_0000).step_by(16).find_map(|a| {
        DirectMap.read(a, &mut buf).ok()?;
        Rsdp::parse(&buf).ok()
    })
}

/// Busy-waits about `us` microseconds on the TSC (boot-time calibration;
/// without one, an 8 GHz clock is assumed so waits are never shorter).
fn delay_us(us: u64) {
    let hz = match apic::tsc_hz() {
        0 => 8_000_000_000,
        h => h,
    };
    let end = cpu::rdtsc() + hz / 1_000_000 * us;
    while cpu::rdtsc() < end {
        core::hint::spin_loop();
    }
}

/// Discovers the CPUs and starts every AP, one at a time, taking each one's
/// stacks from `free`. `smp=1` on the command line keeps them off. Returns
/// the number of CPUs online; prints what it did when `verbose`.
pub fn start(params: &BootParams, free: &mut RegionList<64>, nx: bool, verbose: bool) -> u32 {
    if params.cmdline().split_whitespace().any(|w| w == "smp=1") {
        return 1;
    }
    let Some(r) = rsdp(params) else { return 1 };
    let madt = match find_table(&mut DirectMap, &r, *b"APIC").and_then(|t| Madt::read(&mut DirectMap, &t)) {
        Ok(m) => m,
        Err(e) => {
            if verbose {
                kprintln!("smp: no usable MADT ({e:?}): one CPU");
            }
            return 1;
        }
    };
    // The trampoline page must be usable RAM (E820 type 1) that holds
    // nothing still needed.
    let page = Region::new(TRAMPOLINE, TRAMPOLINE + 4096);
    let in_use = !params.ram.as_slice().iter().any(|r| r.start <= page.start && r.end >= page.end)
        || params.modules().iter().any(|m| m.overlaps(&page))
        || (params.rsdp_paddr != 0 && page.overlaps(&Region::new(params.rsdp_paddr, params.rsdp_paddr + 36)));
    if in_use {
        kprintln!("smp: trampoline page {TRAMPOLINE:#x} is not free RAM: one CPU");
        return 1;
    }
    let (start, end) = (&raw const ap_trampoline_start as u64, &raw const ap_trampoline_end as u64);
    // SAFETY: the trampoline blob is kernel read-only data between the two
    // symbols the assembly above defines.
    let blob = unsafe { core::slice::from_raw_parts(start as *const u8, (end - start) as usize) };
    copy_to_phys(TRAMPOLINE, blob);
    let efer_bits: u32 = (1 << 8) | if nx { 1 << 11 } else { 0 };
    copy_to_phys(TRAMPOLINE + (end - start) - SLOT_EFER_FROM_END, &efer_bits.to_le_bytes());
    ap_boot_cr3.store(super::paging::kernel_pml4(), Ordering::Release);

    // The MP specification's 10 ms after INIT and 200 µs after each SIPI
    // are for external APICs (family < 6); later CPUs need neither, as
    // Linux found (`init_udelay`, arch/x86/kernel/smpboot.c): 10 µs.
    let family = (cpu::cpuid(1, 0).eax >> 8) & 0xf;
    let (init_delay, sipi_delay) = if family >= 6 { (0, 10) } else { (10_000, 200) };
    let me = apic::id();
    let mut index = 1u64;
    for c in madt.cpus.as_slice() {
        if c.apic_id == me {
            continue;
        }
        if index as usize >= gdt::MAX_CPUS || c.apic_id > 0xfe {
            kprintln!(
                "smp: CPU with APIC ID {} left off (xAPIC IDs 0..254, at most {} CPUs)",
                c.apic_id,
                gdt::MAX_CPUS
            );
            continue;
        }
        let Some(stacks) = free.take(AP_STACKS, 4096, 0) else {
            kprintln!("smp: no memory for CPU stacks");
            break;
        };
        AP_BOOT_BASE.store(phys_to_virt(stacks), Ordering::Release);
        ap_boot_stack.store(phys_to_virt(stacks) + gdt::IST_STACK_SIZE as u64, Ordering::Release);
        ap_boot_index.store(index, Ordering::Release);
        let id = c.apic_id as u8;
        let mut up = apic::send_init(id);
        delay_us(init_delay);
        for _ in 0..2 {
            if !up || AP_ALIVE.load(Ordering::Acquire) == index {
                break;
            }
            up = apic::send_startup(id, (TRAMPOLINE >> 12) as u8);
            delay_us(sipi_delay);
        }
        let mut waited = 0;
        while up && AP_ALIVE.load(Ordering::Acquire) != index && waited < 100_000 {
            delay_us(100);
            waited += 100;
        }
        if AP_ALIVE.load(Ordering::Acquire) == index {
            index += 1;
            ONLINE.fetch_add(1, Ordering::AcqRel);
        } else {
            kprintln!("smp: CPU with APIC ID {id} did not start");
        }
    }
    let n = online();
    if verbose {
        let cpus = if n == 1 { "CPU" } else { "CPUs" };
        kprintln!("smp: {n} {cpus} online, parked but the boot CPU (docs/kernel.md, \"Multicore\")");
    }
    if n > 1 {
        check_answers(&madt, me, verbose);
    }
    n
}

/// Pings each started AP [`PINGS`] times and reports how many answered and
/// the median round trip (the IPI wake-up latency of a halted CPU).
fn check_answers(madt: &Madt, me: u32, verbose: bool) {
    let (mut asked, mut answered) = (0u32, 0u32);
    let mut rtts = [0u64; PINGS * 8];
    let mut m = 0;
    for c in madt.cpus.as_slice().iter().filter(|c| c.apic_id != me && c.apic_id <= 0xfe).take(online() as usize - 1) {
        asked += 1;
        let mut ok = true;
        for _ in 0..PINGS {
            match ping(c.apic_id as u8) {
                Some(t) if m < rtts.len() => {
                    rtts[m] = t;
                    m += 1;
                }
                Some(_) => {}
                None => ok = false,
            }
        }
        answered += u32::from(ok);
    }
    let rtts = &mut rtts[..m];
    rtts.sort_unstable();
    let median = rtts.get(m / 2).copied().unwrap_or(0);
    if verbose || answered != asked {
        kprint!(
            "smp: {answered} of {asked} application processors answered NMI pings; round trip median {median} TSC cycles"
        );
        match apic::tsc_hz() {
            0 => kprintln!(" (TSC not calibrated)"),
            hz => kprintln!(" = {} ns", median.saturating_mul(1_000_000_000) / hz),
        }
    }
}

/// Pings sent to each AP by [`check_answers`].
const PINGS: usize = 8;

/// Sends an NMI to the parked CPU `apic_id` and waits up to about 100 ms
/// for its NMI handler to count it. Returns the round trip in TSC cycles,
/// or `None` if it did not answer. Boot CPU only, one ping at a time (the
/// count is global).
fn ping(apic_id: u8) -> Option<u64> {
    let before = super::nmi::count();
    let t0 = cpu::rdtsc();
    if !apic::send_nmi(apic_id) {
        return None;
    }
    let limit = match apic::tsc_hz() {
        0 => 800_000_000,
        hz => hz / 10,
    };
    loop {
        let t = cpu::rdtsc() - t0;
        if super::nmi::count() != before {
            return Some(t);
        }
        if t > limit {
            return None;
        }
        core::hint::spin_loop();
    }
}

/// An AP's first Rust code, on its own stack and the kernel page tables:
/// its descriptor tables, the boot CPU's control-register and MSR set-up,
/// its local APIC; then it reports and parks.
#[unsafe(no_mangle)]
extern "C" fn ap_main(index: u64) -> ! {
    idt::load();
    cpu::write_cr4(cpu::read_cr4() | (1 << 7)); // PGE, as the boot CPU
    let base = AP_BOOT_BASE.load(Ordering::Acquire);
    let ist = |i: u64| base + (i + 1) * gdt::IST_STACK_SIZE as u64;
    gdt::init_ap(index as usize, [ist(1), ist(2), ist(3), ist(4)]);
    let _ = super::init_cpu();
    apic::init_ap();
    AP_ALIVE.store(index, Ordering::Release);
    cpu::halt_forever()
}
