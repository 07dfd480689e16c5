//! Stopping the machine (docs/resource-manager.md, "Power"): rm is the only
//! holder of the power-control I/O ports, which init found (QEMU's
//! `isa-debug-exit`, the ACPI PM1 control blocks and SMI command port, the
//! reset register) and put in rm's CNode (`rampart_rm_api::boot::slot`).
//! `PowerOff` reaches here only after the policy check
//! (`crate::security::may_power_off`).

use crate::state::Rm;
use rampart_rm_api::boot::{PowerPorts, slot};
use rampart_rt::cap::IoPort;
use rampart_rt::cpu::rdtsc as tsc;
use rampart_uabi::Errno;

/// PM1 control `SLP_EN` (ACPI 6.4 §4.8.3.2.1).
const SLP_EN: u16 = 1 << 13;
/// PM1 control `SLP_TYP` field (bits 10-12).
const SLP_TYP_SHIFT: u16 = 10;
/// PM1 control `SCI_EN` (the platform is in ACPI mode).
const SCI_EN: u16 = 1;
/// How long a method gets to take effect before the next is tried (ms).
const SETTLE_MS: u64 = 200;

/// Waits up to [`SETTLE_MS`] for a power method to stop the machine (QEMU
/// handles a shutdown or reset request asynchronously).
fn settle(tsc_hz: u64) {
    let hz = if tsc_hz == 0 { 1_000_000_000 } else { tsc_hz };
    let end = tsc().saturating_add(hz / 1000 * SETTLE_MS);
    while tsc() < end {
        core::hint::spin_loop();
    }
}

/// Writes `SLP_TYP` and then `SLP_EN` to a PM1 control register, keeping
/// its other bits.
fn sleep_s5(port: IoPort, addr: u16, typ: u8) -> Result<(), rampart_abi::Error> {
    let v = port.in16(addr)? & !(SLP_EN | (7 << SLP_TYP_SHIFT));
    let v = v | (u16::from(typ & 7) << SLP_TYP_SHIFT);
    port.out16(addr, v)?;
    port.out16(addr, v | SLP_EN)
}

/// Switches the platform to ACPI mode if `SCI_EN` is clear (§4.8.2.1.1),
/// waiting a bounded time for the firmware to set it.
fn enable_acpi(p: &PowerPorts, pm1a: u16, tsc_hz: u64) {
    let Some((smi, value)) = p.acpi_enable else { return };
    let pm = IoPort(slot::POWER_PM1A);
    if pm.in16(pm1a).is_ok_and(|v| v & SCI_EN != 0) {
        return;
    }
    let _ = IoPort(slot::POWER_SMI_CMD).out8(smi, value);
    let hz = if tsc_hz == 0 { 1_000_000_000 } else { tsc_hz };
    let end = tsc().saturating_add(hz / 1000 * SETTLE_MS);
    while tsc() < end && !pm.in16(pm1a).is_ok_and(|v| v & SCI_EN != 0) {
        core::hint::spin_loop();
    }
}

/// Powers the machine off with `status`: `isa-debug-exit` first (QEMU then
/// exits with `(status << 1) | 1`), else ACPI S5 (the status is lost).
/// Returns only if the machine did not stop: `ENOSYS` when there is no
/// method, `EIO` when every method was tried.
pub fn power_off(rm: &Rm, status: u32) -> Errno {
    let p = &rm.power;
    if let Some(port) = p.debug_exit {
        let _ = IoPort(slot::POWER_DEBUG_EXIT).out32(port, status);
        settle(rm.tsc_hz);
    }
    if let Some(s5) = p.s5 {
        enable_acpi(p, s5.pm1a, rm.tsc_hz);
        let a = sleep_s5(IoPort(slot::POWER_PM1A), s5.pm1a, s5.slp_typ_a);
        let b = s5.pm1b.map(|pm1b| sleep_s5(IoPort(slot::POWER_PM1B), pm1b, s5.slp_typ_b));
        settle(rm.tsc_hz);
        rampart_rt::pr_err!("rm: ACPI S5 did not power off ({a:?}, {b:?})");
    }
    if p.debug_exit.is_none() && p.s5.is_none() { Errno::ENOSYS } else { Errno::EIO }
}

/// Resets the machine through the reset register. Returns only if it did
/// not: `ENOSYS` without a reset register, else `EIO`.
pub fn reboot(rm: &Rm) -> Errno {
    let Some((port, value)) = rm.power.reset else { return Errno::ENOSYS };
    let r = IoPort(slot::POWER_RESET).out8(port, value);
    settle(rm.tsc_hz);
    rampart_rt::pr_err!("rm: the reset register did not reset the machine ({r:?})");
    Errno::EIO
}
