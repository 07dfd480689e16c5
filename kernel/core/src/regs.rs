//! The saved user register context of a thread (x86_64).
//!
//! The layout is shared with the kernel's entry assembly. The `syscall` stub
//! pushes, into the current TCB, `rsp`, `rflags` (from `r11`), `rip` (from
//! `rcx`), the vector marker and the 13 other general registers, so those
//! come in reverse push order; below them are the `rcx` and `r11` slots,
//! which the stub never writes: after `syscall` the CPU holds the return
//! `rip` in `rcx` and `rflags` in `r11` (the syscall ABI clobbers both), so
//! for a syscall-saved context ([`VECTOR_SYSCALL`]) their values *are* the
//! `rip` and `rflags` slots ([`Regs::get_user`]). `cs`, `ss` (constant for
//! user threads, set when the TCB is created) and the trap error code come
//! last. Traps land on an interrupt stack in the hardware order and are
//! copied here field by field (all 22 words). Offsets are in 8-byte words.

use core::cell::Cell;

/// `vector` value marking a context saved by the `syscall` instruction: it
/// may be resumed with `sysretq` (rcx/r11 need not be restored).
pub const VECTOR_SYSCALL: u64 = 0x100;
/// `vector` value for contexts written by the kernel (resume with `iretq`).
pub const VECTOR_KERNEL: u64 = 0x101;
/// User data segment selector (RPL 3).
pub const USER_DS: u64 = 0x18 | 3;
/// User code segment selector (RPL 3).
pub const USER_CS: u64 = 0x20 | 3;
/// RFLAGS bits a user thread may control: CF, PF, AF, ZF, SF, TF, DF, OF, AC.
pub const RFLAGS_USER_MASK: u64 = 0x0004_0dd5;
/// RFLAGS bits always set for a user thread: IF and the reserved bit 1.
pub const RFLAGS_USER_SET: u64 = 0x202;

/// Register indices (word offsets) within [`Regs`].
#[allow(missing_docs)]
pub mod r {
    pub const RCX: usize = 0;
    pub const R11: usize = 1;
    pub const R15: usize = 2;
    pub const R14: usize = 3;
    pub const R13: usize = 4;
    pub const R12: usize = 5;
    pub const R10: usize = 6;
    pub const R9: usize = 7;
    pub const R8: usize = 8;
    pub const RBP: usize = 9;
    pub const RDI: usize = 10;
    pub const RSI: usize = 11;
    pub const RDX: usize = 12;
    pub const RBX: usize = 13;
    pub const RAX: usize = 14;
    pub const VECTOR: usize = 15;
    pub const RIP: usize = 16;
    pub const RFLAGS: usize = 17;
    pub const RSP: usize = 18;
    pub const CS: usize = 19;
    pub const SS: usize = 20;
    pub const ERROR: usize = 21;
}

/// Number of words in [`Regs`].
pub const REGS_WORDS: usize = 22;

/// Message-register indices MR0..MR3 in CPU registers.
pub const MR_REGS: [usize; 4] = [r::RDX, r::R8, r::R9, r::R10];

/// Order of registers in TCB register messages (`rampart_abi::tcb::REGISTER_ORDER`),
/// as indices into [`Regs`]; `fs_base` and `gs_base` (18, 19) are TCB fields.
pub const ABI_ORDER: [usize; 18] = [
    r::RIP,
    r::RSP,
    r::RFLAGS,
    r::RAX,
    r::RBX,
    r::RCX,
    r::RDX,
    r::RSI,
    r::RDI,
    r::RBP,
    r::R8,
    r::R9,
    r::R10,
    r::R11,
    r::R12,
    r::R13,
    r::R14,
    r::R15,
];

/// Order of registers in an unknown-syscall fault message
/// (`rampart_abi::fault::UNKNOWN_SYSCALL_REGS`).
pub const FAULT_ORDER: [usize; 18] = [
    r::RAX,
    r::RBX,
    r::RCX,
    r::RDX,
    r::RSI,
    r::RDI,
    r::RBP,
    r::R8,
    r::R9,
    r::R10,
    r::R11,
    r::R12,
    r::R13,
    r::R14,
    r::R15,
    r::RIP,
    r::RSP,
    r::RFLAGS,
];

/// The saved registers.
#[repr(C)]
pub struct Regs {
    w: [Cell<u64>; REGS_WORDS],
}

impl Regs {
    /// Reads register `i` (an index from [`r`]).
    #[inline(always)]
    pub fn get(&self, i: usize) -> u64 {
        self.w[i].get()
    }
    /// Writes register `i`.
    #[inline(always)]
    pub fn set(&self, i: usize, v: u64) {
        self.w[i].set(v)
    }
    /// Reads register `i` as the user thread sees it: for a context saved by
    /// `syscall`, `rcx` and `r11` hold the return `rip` and `rflags`.
    pub fn get_user(&self, i: usize) -> u64 {
        let syscall = self.get(r::VECTOR) == VECTOR_SYSCALL;
        match i {
            r::RCX if syscall => self.get(r::RIP),
            r::R11 if syscall => self.get(r::RFLAGS),
            _ => self.get(i),
        }
    }
    /// Initial state of a new thread: ring 3, interrupts enabled.
    pub fn init_user(&self) {
        for w in &self.w {
            w.set(0);
        }
        self.set(r::CS, USER_CS);
        self.set(r::SS, USER_DS);
        self.set(r::RFLAGS, RFLAGS_USER_SET);
        self.set(r::VECTOR, VECTOR_KERNEL);
    }
    /// Writes a register on behalf of a user (TcbWriteRegisters, fault
    /// replies), sanitising what must stay kernel-controlled: RFLAGS keeps
    /// IF set and IOPL 0; `rip`/`rsp` must be canonical user addresses (others
    /// are clamped to 0 so the thread faults instead of the kernel).
    pub fn set_user(&self, i: usize, v: u64) {
        let v = match i {
            r::RFLAGS => (v & RFLAGS_USER_MASK) | RFLAGS_USER_SET,
            r::RIP | r::RSP if v >= rampart_abi::USER_TOP => 0,
            r::CS | r::SS | r::VECTOR | r::ERROR => return,
            _ => v,
        };
        self.set(i, v);
        // The context no longer matches what `syscall` saved: resume with iret.
        self.set(r::VECTOR, VECTOR_KERNEL);
    }
}
