//! The saved user register context of a thread.
//!
//! The layout is shared with the assembly in `entry.rs`: trap stubs push the
//! general registers below the hardware interrupt frame, and the syscall
//! entry builds the same frame by hand, so one `restore_user_context` serves
//! both. Offsets are in 8-byte words.

/// `vector` value marking a context saved by the `syscall` instruction: it
/// may be resumed with `sysretq` (rcx/r11 need not be restored).
pub const VECTOR_SYSCALL: u64 = 0x100;

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

/// RFLAGS bits a user thread may control: CF, PF, AF, ZF, SF, DF, OF, AC.
pub const RFLAGS_USER_MASK: u64 = 0x0004_0cd5;
/// RFLAGS bits always set for a user thread: IF and the reserved bit 1.
pub const RFLAGS_USER_SET: u64 = 0x202;

impl UserContext {
    /// A fresh context that starts at `rip` with stack `rsp` in ring 3.
    pub fn new_user(rip: u64, rsp: u64) -> Self {
        UserContext {
            rip,
            rsp,
            cs: u64::from(super::gdt::USER_CS),
            ss: u64::from(super::gdt::USER_DS),
            rflags: RFLAGS_USER_SET,
            ..Default::default()
        }
    }

    /// True if the trap was taken in ring 3.
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }
}
