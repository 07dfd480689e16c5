//! Saved register layouts as the entry assembly sees them.
//!
//! [`UserContext`] is a thread's register area at offset 0 of its TCB (the
//! layout of `rampart_kcore::regs::Regs`): the `syscall` stub pushes into it
//! directly. [`TrapFrame`] is what a trap stub leaves on the interrupt stack:
//! the hardware interrupt frame (`rip, cs, rflags, rsp, ss`), the error
//! code, the vector and the general registers; `trap_entry` copies it into
//! the current thread's [`UserContext`].

pub use rampart_kcore::regs::VECTOR_SYSCALL;

/// A thread's saved registers, lowest address first.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
#[allow(missing_docs)]
pub struct UserContext {
    /// `rcx` (trap-saved contexts; after `syscall` it is `rip`).
    pub rcx: u64,
    /// `r11` (trap-saved contexts; after `syscall` it is `rflags`).
    pub r11: u64,
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rbx: u64,
    pub rax: u64,
    /// Trap vector, or [`VECTOR_SYSCALL`].
    pub vector: u64,
    pub rip: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub cs: u64,
    pub ss: u64,
    /// Hardware error code of the last trap (0 if the vector has none).
    pub error: u64,
}

/// Words of [`UserContext`] the `syscall` stub writes (everything up to and
/// including `rsp`).
pub const SYSCALL_SAVED_WORDS: usize = 19;
/// Size of [`UserContext`] in words.
pub const CONTEXT_WORDS: usize = 22;
const _: () = assert!(core::mem::size_of::<UserContext>() == CONTEXT_WORDS * 8);
const _: () = assert!(CONTEXT_WORDS == rampart_kcore::regs::REGS_WORDS);
const _: () = assert!(core::mem::offset_of!(UserContext, rip) == rampart_kcore::regs::r::RIP * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, rcx) == rampart_kcore::regs::r::RCX * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, r11) == rampart_kcore::regs::r::R11 * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, rax) == rampart_kcore::regs::r::RAX * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, r15) == rampart_kcore::regs::r::R15 * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, rsp) == rampart_kcore::regs::r::RSP * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, cs) == rampart_kcore::regs::r::CS * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, error) == rampart_kcore::regs::r::ERROR * 8);
const _: () = assert!(core::mem::offset_of!(UserContext, rsp) == (SYSCALL_SAVED_WORDS - 1) * 8);

/// A trap as the stub leaves it on the interrupt stack, lowest address first.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
#[allow(missing_docs)]
pub struct TrapFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rbp: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rbx: u64,
    pub rax: u64,
    pub vector: u64,
    pub error: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

impl TrapFrame {
    /// True if the trap was taken in ring 3.
    pub fn taken_in_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// The frame in the thread-register layout.
    pub fn user_context(&self) -> UserContext {
        UserContext {
            r15: self.r15,
            r14: self.r14,
            r13: self.r13,
            r12: self.r12,
            r11: self.r11,
            r10: self.r10,
            r9: self.r9,
            r8: self.r8,
            rbp: self.rbp,
            rdi: self.rdi,
            rsi: self.rsi,
            rdx: self.rdx,
            rcx: self.rcx,
            rbx: self.rbx,
            rax: self.rax,
            vector: self.vector,
            rip: self.rip,
            rflags: self.rflags,
            rsp: self.rsp,
            cs: self.cs,
            ss: self.ss,
            error: self.error,
        }
    }
}
