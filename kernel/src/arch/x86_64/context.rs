//! The saved user register context of a thread, as the entry assembly sees
//! it (the same layout as `rampart_kcore::regs::Regs`, at offset 0 of a TCB).
//!
//! The layout is shared with the assembly in `entry.rs`: trap stubs push the
//! general registers below the hardware interrupt frame, and the syscall
//! entry builds the same frame by hand, so one `restore_user_context` serves
//! both. Offsets are in 8-byte words.

pub use rampart_kcore::regs::VECTOR_SYSCALL;

/// General registers and the interrupt frame, lowest address first.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct UserContext {
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
    /// Trap vector, or [`VECTOR_SYSCALL`].
    pub vector: u64,
    /// Hardware error code (0 if the vector has none).
    pub error: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Size of [`UserContext`] in words.
pub const CONTEXT_WORDS: usize = 22;
const _: () = assert!(core::mem::size_of::<UserContext>() == CONTEXT_WORDS * 8);
const _: () = assert!(CONTEXT_WORDS == rampart_kcore::regs::REGS_WORDS);

impl UserContext {
    /// True if the trap was taken in ring 3.
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}
