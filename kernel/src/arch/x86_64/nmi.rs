//! Non-maskable events: NMIs and machine checks (Intel SDM Vol. 3A §6.7
//! "Nonmaskable interrupt", §16 "Machine-check architecture").
//!
//! Both arrive on their own interrupt stacks at any point — in user mode, in
//! the idle loop, or in the middle of a kernel path (interrupts disabled do
//! not stop them). Their entry code (`entry.rs`) therefore never resets the
//! kernel stack and touches no kernel state except the counters here.
//!
//! - An NMI (watchdog, front-panel button, platform error signalling) is
//!   counted and execution resumes where it was.
//! - A machine check with `MCG_STATUS.RIPV` set (execution can restart) is
//!   counted and resumed. One without it, in user mode, becomes that
//!   thread's exception (vector 18) through the ordinary trap path, so only
//!   the thread whose instruction was hit is affected. Without RIPV in the
//!   kernel, the kernel's own state may be corrupt: the machine stops with a
//!   message instead of running on (Linux panics in the same case).

use super::context::TrapFrame;
use super::cpu;
use crate::kprintln;
use core::sync::atomic::{AtomicU64, Ordering};

/// NMIs received since boot, on every CPU (the boot CPU's check that an
/// application processor answers reads it: `smp::ping`).
static NMIS: AtomicU64 = AtomicU64::new(0);

/// NMIs received since boot by every CPU together.
pub fn count() -> u64 {
    NMIS.load(Ordering::Acquire)
}
/// Machine checks received since boot.
static MACHINE_CHECKS: AtomicU64 = AtomicU64::new(0);

/// `IA32_MCG_STATUS` (Intel SDM Vol. 3B §16.3.1.2).
const MSR_MCG_STATUS: u32 = 0x17a;
/// Restart IP valid.
const MCG_RIPV: u64 = 1 << 0;

/// Called by `nmi_common` on the NMI stack; returns to resume.
#[unsafe(no_mangle)]
extern "C" fn nmi_entry(_frame: *const TrapFrame) {
    NMIS.fetch_add(1, Ordering::AcqRel);
}

/// Called by `mce_common` on the machine-check stack. Returns 0 to resume
/// the interrupted code, 1 to handle the event as a user thread's
/// exception; does not return if the kernel cannot continue.
#[unsafe(no_mangle)]
extern "C" fn mce_entry(frame: *const TrapFrame) -> u64 {
    MACHINE_CHECKS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the stub passes a pointer to the frame it just pushed.
    let f = unsafe { *frame };
    let mca = cpu::cpuid(1, 0).edx & (1 << 14) != 0;
    let status = if mca { cpu::rdmsr(MSR_MCG_STATUS) } else { 0 };
    if mca {
        // Clears MCIP: a second machine check while it is set shuts the
        // processor down.
        cpu::wrmsr(MSR_MCG_STATUS, 0);
    }
    if status & MCG_RIPV != 0 {
        return 0;
    }
    if f.taken_in_user() {
        return 1;
    }
    kprintln!(
        "KERNEL: machine check in kernel mode at rip={:#x}, MCG_STATUS={status:#x}: not restartable, stopping",
        f.rip
    );
    super::debug_exit(0x7e)
}
