//! The I/O APIC (Intel 82093AA datasheet §3.2): routes global system
//! interrupts (GSIs) to local-APIC vectors. Rampart uses one IOAPIC at the
//! architectural default address 0xfec0_0000 with GSI base 0 (QEMU's `pc`
//! and `q35`, and most single-IOAPIC servers); inputs start masked.

use super::paging::phys_to_virt;

/// Physical address of the IOAPIC registers.
pub const IOAPIC_BASE: u64 = 0xfec0_0000;

fn write_reg(reg: u32, v: u32) {
    let base = phys_to_virt(IOAPIC_BASE);
    // SAFETY: the IOAPIC page is mapped uncached in the direct map; IOREGSEL
    // at +0 selects the register, IOWIN at +0x10 holds its value.
    unsafe {
        core::ptr::write_volatile(base as *mut u32, reg);
        core::ptr::write_volatile((base + 0x10) as *mut u32, v);
    }
}

fn read_reg(reg: u32) -> u32 {
    let base = phys_to_virt(IOAPIC_BASE);
    // SAFETY: as `write_reg`.
    unsafe {
        core::ptr::write_volatile(base as *mut u32, reg);
        core::ptr::read_volatile((base + 0x10) as *const u32)
    }
}

/// Number of inputs (0 if no IOAPIC answers).
pub fn inputs() -> u32 {
    let v = read_reg(1);
    if v == u32::MAX { 0 } else { ((v >> 16) & 0xff) + 1 }
}

/// Masks every input.
pub fn init() {
    for i in 0..inputs() {
        write_reg(0x10 + 2 * i, 1 << 16);
        write_reg(0x11 + 2 * i, 0);
    }
}

/// Routes `gsi` to `vector` on the local APIC `apic_id`, masked.
pub fn route(gsi: u32, vector: u8, level: bool, active_low: bool, apic_id: u32) -> bool {
    if gsi >= inputs() {
        return false;
    }
    let low = u32::from(vector) | (u32::from(active_low) << 13) | (u32::from(level) << 15) | (1 << 16);
    write_reg(0x11 + 2 * gsi, apic_id << 24);
    write_reg(0x10 + 2 * gsi, low);
    true
}

/// Masks or unmasks `gsi`.
pub fn set_mask(gsi: u32, masked: bool) {
    if gsi >= inputs() {
        return;
    }
    let low = read_reg(0x10 + 2 * gsi);
    write_reg(0x10 + 2 * gsi, if masked { low | (1 << 16) } else { low & !(1 << 16) });
}
