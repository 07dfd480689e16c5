//! Fault messages (seL4 Reference Manual §6.2).
//!
//! When a thread faults, the kernel sends a message to the thread's fault
//! endpoint as if the thread had performed a `Call`: the label names the
//! fault, the message registers describe it, and the faulting thread waits
//! for the reply. Replying with label 0 resumes it (for unknown-syscall and
//! user-exception faults the reply's MRs, in the same order, set the
//! registers first); any other reply label leaves it suspended.
//! The badge of the fault endpoint capability identifies the thread.

/// Fault message labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum FaultLabel {
    /// No fault.
    None = 0,
    /// A capability lookup failed during a kernel-initiated operation.
    CapFault = 1,
    /// Unknown syscall number: MRs are [`UNKNOWN_SYSCALL_REGS`] then the number.
    UnknownSyscall = 2,
    /// CPU exception: MR0 rip, MR1 rsp, MR2 rflags, MR3 vector, MR4 error code.
    UserException = 3,
    /// Page fault: MR0 rip, MR1 address, MR2 1 if instruction fetch, MR3
    /// x86 page-fault error code.
    VmFault = 4,
    /// Scheduling-context budget exhausted: MR0 SC badge, MR1 consumed µs.
    Timeout = 5,
}

impl FaultLabel {
    /// Decodes a fault label.
    pub const fn from_u64(v: u64) -> Option<FaultLabel> {
        Some(match v {
            0 => FaultLabel::None,
            1 => FaultLabel::CapFault,
            2 => FaultLabel::UnknownSyscall,
            3 => FaultLabel::UserException,
            4 => FaultLabel::VmFault,
            5 => FaultLabel::Timeout,
            _ => return None,
        })
    }
}

/// Register order in an unknown-syscall fault message (MR0..MR17); MR18 is
/// the syscall number. `rip` is the address after the `syscall`
/// instruction, so replying with the registers unchanged resumes the thread
/// after it (ktest `fault_unknown_syscall_registers_and_resume`).
pub const UNKNOWN_SYSCALL_REGS: [&str; 18] = [
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
    "rsp", "rflags",
];
/// Length of an unknown-syscall fault message in words.
pub const UNKNOWN_SYSCALL_LENGTH: usize = 19;
/// Length of a user-exception fault message in words.
pub const USER_EXCEPTION_LENGTH: usize = 5;
/// Length of a VM fault message in words.
pub const VM_FAULT_LENGTH: usize = 4;
/// Length of a timeout fault message in words.
pub const TIMEOUT_LENGTH: usize = 2;
