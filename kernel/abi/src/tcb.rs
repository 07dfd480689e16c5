//! Thread register order for `TcbReadRegisters`/`TcbWriteRegisters` and
//! priorities.

/// Register order in TCB register messages (seL4 x86_64 `seL4_UserContext`).
pub const REGISTER_ORDER: [&str; 20] = [
    "rip", "rsp", "rflags", "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15", "fs_base", "gs_base",
];
/// Number of registers in a full register message.
pub const REGISTER_COUNT: usize = 20;
/// Highest thread priority.
pub const MAX_PRIORITY: u64 = 255;
/// Number of capability slots inside a TCB (kernel-internal, documented for
/// object-size accounting).
pub const TCB_SLOTS: usize = 5;
