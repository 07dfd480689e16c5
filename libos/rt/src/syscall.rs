//! Raw system calls (register convention in `rampart_abi::syscall`).

use core::arch::asm;
use rampart_abi::{MessageInfo, Syscall};

/// Registers returned by an IPC system call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpcResult {
    /// Badge of the sender (`rdi`).
    pub badge: u64,
    /// Message info of the received message (`rsi`).
    pub info: MessageInfo,
    /// MR0..MR3.
    pub mrs: [u64; 4],
}

/// Performs system call `n` with capability `cptr`, message info `info`,
/// message registers `mrs` and reply object `reply`.
#[inline(always)]
pub fn raw(n: Syscall, cptr: u64, info: MessageInfo, mrs: [u64; 4], reply: u64) -> IpcResult {
    let (badge, info_out, m0, m1, m2, m3);
    // SAFETY: the syscall instruction only clobbers rcx and r11 (declared);
    // the kernel preserves every other register except the outputs.
    unsafe {
        asm!(
            "syscall",
            inout("rax") n as u64 => _,
            inout("rdi") cptr => badge,
            inout("rsi") info.0 => info_out,
            inout("rdx") mrs[0] => m0,
            inout("r8") mrs[1] => m1,
            inout("r9") mrs[2] => m2,
            inout("r10") mrs[3] => m3,
            in("r12") reply,
            out("rcx") _,
            out("r11") _,
            options(nostack)
        );
    }
    IpcResult { badge, info: MessageInfo(info_out), mrs: [m0, m1, m2, m3] }
}

/// Gives up the rest of the time slice.
pub fn yield_now() {
    raw(Syscall::Yield, 0, MessageInfo(0), [0; 4], 0);
}

/// The `Null` system call: enters the kernel and returns (measures the bare
/// entry/exit cost). Only `rax` is loaded; the IPC registers are treated as
/// clobbered.
#[inline(always)]
pub fn null() {
    // SAFETY: `syscall` clobbers rcx and r11; the kernel may write the IPC
    // output registers (declared as clobbered) and preserves the rest.
    unsafe {
        asm!(
            "syscall",
            inout("rax") Syscall::Null as u64 => _,
            lateout("rdi") _,
            lateout("rsi") _,
            lateout("rdx") _,
            lateout("r8") _,
            lateout("r9") _,
            lateout("r10") _,
            out("rcx") _,
            out("r11") _,
            options(nostack)
        );
    }
}

/// `DebugCapIdentify`: the [`rampart_abi::CapType`] number of the
/// capability at `cptr` (0 if the slot is empty or the lookup fails).
/// Test kernels only (an unknown-syscall fault in the release kernel).
pub fn debug_cap_identify(cptr: u64) -> u64 {
    raw(Syscall::DebugCapIdentify, cptr, MessageInfo(0), [0; 4], 0).badge
}

/// `DebugCheckInvariants`: 0 if every invariant the kernel checks holds,
/// otherwise a non-zero code naming the first violation. Test kernels only (an unknown-syscall fault in the release kernel).
pub fn debug_check_invariants() -> u64 {
    raw(Syscall::DebugCheckInvariants, 0, MessageInfo(0), [0; 4], 0).badge
}

/// `DebugIdleTicks`: TSC ticks the processor has spent halted with nothing
/// to run since boot. Under QEMU `-icount` the TSC counts instructions and
/// skips idle time, so a TSC delta minus the idle delta over the same span
/// is the number of instructions executed. Test kernels only (the release kernel has no Debug* calls: an unknown-syscall fault).
pub fn debug_idle_ticks() -> u64 {
    raw(Syscall::DebugIdleTicks, 0, MessageInfo(0), [0; 4], 0).badge
}

/// Whether the `Debug*` system calls exist (a test kernel), as the root
/// task's boot information or the task's startup header says.
static DEBUG_SYSCALLS: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Records whether the `Debug*` system calls exist (the runtime does, at
/// start).
pub(crate) fn set_debug_syscalls(yes: bool) {
    DEBUG_SYSCALLS.store(yes, core::sync::atomic::Ordering::Relaxed);
}

/// True if the kernel is a test kernel with the `Debug*` system calls;
/// calling them otherwise faults.
pub fn debug_syscalls() -> bool {
    DEBUG_SYSCALLS.load(core::sync::atomic::Ordering::Relaxed)
}

/// [`rampart_uabi::startup::flags::DEBUG_SYSCALLS`] if [`debug_syscalls`],
/// for the startup header of a task this one creates.
pub fn debug_syscalls_flag() -> u64 {
    if debug_syscalls() { rampart_uabi::startup::flags::DEBUG_SYSCALLS } else { 0 }
}

/// Powers the machine off through `isa-debug-exit` with `code` (test
/// kernels only). Returns only if refused.
///
/// # Errors
/// `IllegalOperation` unless the caller is the root task (a thread in the
/// initial task's address space; docs/kernel.md); on a kernel without debug
/// system calls the call raises an unknown-syscall fault instead.
pub fn debug_shutdown(code: u32) -> Result<(), rampart_abi::Error> {
    let r = raw(Syscall::DebugShutdown, 0, MessageInfo(0), [u64::from(code), 0, 0, 0], 0);
    match rampart_abi::Error::from_label(r.info.label()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
