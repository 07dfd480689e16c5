//! Thread-local state the model follows beyond IPC: the user registers no
//! system call touches, the TLS base, pending faults, and the TCB's
//! capability slots.

/// `rip` of every thread between steps (the refinement harness puts it
/// back there after each step); a restarted system call is 2 bytes lower.
pub const USER_RIP: u64 = 0x40_1000;

/// The user registers the model follows: those no system call reads or
/// writes (`rax`, `rdx`, `rsi`, `rdi`, `r8`-`r10`, `r12` carry arguments
/// and results and are not followed), the TLS base, `rip`, and whether the
/// context was saved by `syscall` (then `rcx`/`r11` read as `rip`/`rflags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Regs {
    /// `rip` (see [`USER_RIP`]).
    pub rip: u64,
    /// `rsp`, `rflags`, `rbx`, `rbp`, `rcx`, `r11`, `r13`, `r14`, `r15`.
    pub saved: [u64; 9],
    /// FS base (TLS pointer).
    pub tls: u64,
    /// The context was saved by `syscall` (not written by the kernel since).
    pub syscall: bool,
}

/// Indices in `rampart_abi::tcb` register order (TcbReadRegisters) of the
/// registers in [`Regs::saved`].
pub const SAVED_REGS: [usize; 9] = [1, 2, 4, 9, 5, 13, 15, 16, 17];
/// rflags bits a user thread may set, and the bits always set.
pub const RFLAGS_USER: (u64, u64) = (0x0004_0dd5, 0x202);

impl Regs {
    /// A new thread's registers (all 0 but rflags, which has IF and bit 1
    /// set).
    pub fn new() -> Regs {
        let mut saved = [0; 9];
        saved[1] = RFLAGS_USER.1;
        Regs { rip: 0, saved, tls: 0, syscall: false }
    }

    /// Register `i` in `rampart_abi::tcb` order as TcbReadRegisters reports
    /// it, if the model follows it.
    pub fn read(&self, i: usize) -> Option<u64> {
        match i {
            0 => Some(self.rip),
            5 if self.syscall => Some(self.rip),
            13 if self.syscall => Some(self.saved[1]),
            18 => Some(self.tls),
            19 => Some(0),
            _ => SAVED_REGS.iter().position(|&x| x == i).map(|k| self.saved[k]),
        }
    }

    /// Writes register `i` (`rampart_abi::tcb` order) on behalf of a user,
    /// sanitised as the kernel does; the context is then no longer a
    /// `syscall` one.
    pub fn write(&mut self, i: usize, v: u64) {
        let top = rampart_abi::USER_TOP;
        match i {
            0 => self.rip = if v < top { v } else { 0 },
            18 => {
                self.tls = if v < top { v } else { 0 };
                return;
            }
            19 => return,
            2 => self.saved[1] = (v & RFLAGS_USER.0) | RFLAGS_USER.1,
            1 => self.saved[0] = if v < top { v } else { 0 },
            _ => {
                if let Some(k) = SAVED_REGS.iter().position(|&x| x == i) {
                    self.saved[k] = v;
                }
            }
        }
        self.syscall = false;
    }
}

impl Default for Regs {
    fn default() -> Self {
        Self::new()
    }
}

/// A pending fault, as the fault handler receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// An unknown system call number.
    UnknownSyscall(u64),
    /// A CPU exception with its vector.
    UserException(u64),
    /// A page fault at an address.
    VmFault(u64),
}

impl Fault {
    /// The fault message's label (`rampart_abi::fault::FaultLabel`).
    pub fn label(&self) -> u64 {
        use rampart_abi::fault::FaultLabel as L;
        match self {
            Fault::UnknownSyscall(_) => L::UnknownSyscall as u64,
            Fault::UserException(_) => L::UserException as u64,
            Fault::VmFault(_) => L::VmFault as u64,
        }
    }

    /// The fault message's length.
    pub fn len(&self) -> usize {
        use rampart_abi::fault as f;
        match self {
            Fault::UnknownSyscall(_) => f::UNKNOWN_SYSCALL_LENGTH,
            Fault::UserException(_) => f::USER_EXCEPTION_LENGTH,
            Fault::VmFault(_) => f::VM_FAULT_LENGTH,
        }
    }

    /// Always false (a fault message has words).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// MR0 of the fault message of a thread with registers `r`: the system
    /// call number, or `rip`.
    pub fn mr0(&self, r: &Regs) -> u64 {
        match *self {
            Fault::UnknownSyscall(n) => n,
            Fault::UserException(_) | Fault::VmFault(_) => r.rip,
        }
    }
}

/// TCB capability slots after the CSpace root (indices 1..=4 of the TCB).
pub mod tcb_slot {
    /// VSpace root.
    pub const VSPACE: u32 = 1;
    /// IPC buffer frame.
    pub const IPC_BUFFER: u32 = 2;
    /// Fault endpoint.
    pub const FAULT_EP: u32 = 3;
    /// Timeout endpoint.
    pub const TIMEOUT_EP: u32 = 4;
}
