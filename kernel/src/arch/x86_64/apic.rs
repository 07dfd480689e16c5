//! Local APIC (xAPIC, memory-mapped) and its timer; the legacy 8259 PICs are
//! remapped away from the exception vectors and masked.
//!
//! Register offsets from Intel SDM Vol. 3A §11.4.1 (Table 11-1). The timer is
//! calibrated once against PIT channel 2 (8254 datasheet, mode 0) and then
//! runs periodically at [`TICK_HZ`].

use super::cpu::{inb, msr, outb, rdmsr, rdtsc};
use super::idt::{VECTOR_SPURIOUS, VECTOR_TIMER};
use super::paging::phys_to_virt;

/// Timer interrupts per second.
pub const TICK_HZ: u64 = 1000;

const REG_ID: usize = 0x20;
const REG_EOI: usize = 0xb0;
const REG_SVR: usize = 0xf0;
const REG_ICR_LOW: usize = 0x300;
const REG_ICR_HIGH: usize = 0x310;
const REG_LVT_TIMER: usize = 0x320;
const REG_TIMER_INIT: usize = 0x380;
const REG_TIMER_CUR: usize = 0x390;
const REG_TIMER_DIV: usize = 0x3e0;
const PIT_HZ: u64 = 1_193_182;

static mut APIC_BASE: u64 = 0;

fn reg(off: usize) -> *mut u32 {
    // SAFETY: read once the base is set in `init`.
    (phys_to_virt(unsafe { APIC_BASE }) + off as u64) as *mut u32
}

fn read(off: usize) -> u32 {
    // SAFETY: the APIC page is mapped uncached in the direct map and `off` is
    // an architectural register offset.
    unsafe { core::ptr::read_volatile(reg(off)) }
}

fn write(off: usize, v: u32) {
    // SAFETY: as `read`.
    unsafe { core::ptr::write_volatile(reg(off), v) }
}

/// Remaps the 8259 PICs to vectors 0x20..0x2f and masks every line.
fn disable_pic() {
    outb(0x20, 0x11);
    outb(0xa0, 0x11);
    outb(0x21, 0x20);
    outb(0xa1, 0x28);
    outb(0x21, 0x04);
    outb(0xa1, 0x02);
    outb(0x21, 0x01);
    outb(0xa1, 0x01);
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

static mut TSC_HZ: u64 = 0;

/// Time-stamp-counter frequency measured at boot (Hz; 0 if unknown).
pub fn tsc_hz() -> u64 {
    // SAFETY: written once during single-threaded boot.
    unsafe { TSC_HZ }
}

/// Counts APIC timer ticks (divider 16) and TSC cycles during 10 ms of PIT
/// channel 2. Returns the APIC timer frequency, or `None` if the PIT does
/// not count (no PIT on this machine).
fn calibrate() -> Option<u64> {
    let ticks = PIT_HZ / 100;
    let gate = inb(0x61) & 0xfc;
    outb(0x61, gate | 1); // gate on, speaker off
    outb(0x43, 0xb0); // channel 2, lobyte/hibyte, mode 0
    outb(0x42, ticks as u8);
    outb(0x42, (ticks >> 8) as u8);
    outb(0x61, gate); // restart the count with a rising gate edge
    outb(0x61, gate | 1);
    // In mode 0 the output is low until the count expires; a high output
    // right away means there is no PIT gate/output on port 0x61 (microvm).
    if inb(0x61) & 0x20 != 0 {
        return None;
    }
    write(REG_TIMER_DIV, 0x3);
    write(REG_TIMER_INIT, u32::MAX);
    let tsc0 = rdtsc();
    let mut spins = 0u64;
    while inb(0x61) & 0x20 == 0 {
        spins += 1;
        if spins > 50_000_000 {
            return None;
        }
    }
    let elapsed = u64::from(u32::MAX - read(REG_TIMER_CUR));
    let tsc = rdtsc() - tsc0;
    write(REG_TIMER_INIT, 0);
    // SAFETY: single-threaded boot.
    unsafe { TSC_HZ = tsc * 100 };
    Some(elapsed * 100)
}

/// Enables the local APIC, calibrates and starts the periodic timer.
/// Returns the timer frequency in Hz (after the divide-by-16).
pub fn init() -> u64 {
    disable_pic();
    // SAFETY: single-threaded boot.
    unsafe { APIC_BASE = rdmsr(msr::APIC_BASE) & 0xf_ffff_f000 };
    write(REG_SVR, 0x100 | u32::from(VECTOR_SPURIOUS));
    // QEMU's APIC runs at 1 GHz; use that if there is no PIT to measure with.
    let hz = calibrate().unwrap_or(1_000_000_000 / 16).max(TICK_HZ);
    write(REG_TIMER_DIV, 0x3);
    write(REG_LVT_TIMER, (1 << 17) | u32::from(VECTOR_TIMER));
    write(REG_TIMER_INIT, (hz / TICK_HZ).min(u64::from(u32::MAX)) as u32);
    hz
}

/// Signals end of interrupt to the local APIC.
pub fn eoi() {
    write(REG_EOI, 0);
}

/// This CPU's APIC ID.
pub fn id() -> u32 {
    read(REG_ID) >> 24
}

/// Enables an application processor's local APIC (the spurious vector,
/// software enable) with its timer masked: a parked AP takes no interrupts
/// (docs/kernel.md, "Multicore"). The base is the boot CPU's (the MADT and
/// `IA32_APIC_BASE` give every CPU the same one).
pub fn init_ap() {
    write(REG_SVR, 0x100 | u32::from(VECTOR_SPURIOUS));
    write(REG_LVT_TIMER, 1 << 16);
}

/// Sends an inter-processor interrupt with ICR low word `low` to the CPU
/// with xAPIC ID `apic_id` and waits for the APIC to accept it (delivery
/// status, ICR bit 12; Intel SDM Vol. 3A §11.6.1). Returns false if it was
/// still pending after about 10^6 polls.
fn send_ipi(apic_id: u8, low: u32) -> bool {
    write(REG_ICR_HIGH, u32::from(apic_id) << 24);
    write(REG_ICR_LOW, low);
    (0..1_000_000).any(|_| read(REG_ICR_LOW) & (1 << 12) == 0)
}

/// INIT IPI (level assert, then de-assert as the MP start-up sequence
/// requires on older APICs; SDM Vol. 3A §8.4.4.1).
pub fn send_init(apic_id: u8) -> bool {
    send_ipi(apic_id, 0x0000_c500) && send_ipi(apic_id, 0x0000_8500)
}

/// NMI IPI (delivery mode NMI, SDM Vol. 3A §11.6.1): reaches a CPU even
/// with interrupts disabled, as a parked application processor has them.
pub fn send_nmi(apic_id: u8) -> bool {
    send_ipi(apic_id, 0x0000_4400)
}

/// Start-up IPI: the AP begins in real mode at physical `page << 12`.
pub fn send_startup(apic_id: u8, page: u8) -> bool {
    send_ipi(apic_id, 0x0000_4600 | u32::from(page))
}
