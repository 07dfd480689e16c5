//! How a child ended or changed state, as rm reports it to `Wait`.

use crate::Pid;
use rampart_uabi::signal::{self, Signo};
use serde::{Deserialize, Serialize};

/// Why a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitStatus {
    /// It called exit with this status.
    Exited(i32),
    /// A signal ended it (`SIGKILL`, or a signal whose default action
    /// terminates: `WIFSIGNALED`, `WTERMSIG`).
    Signaled(Signo),
    /// It faulted and was destroyed (`SIGSEGV`-like to its parent).
    Faulted(FaultReport),
}

impl ExitStatus {
    /// The status of a task killed by `SIGKILL`.
    pub const KILLED: ExitStatus = ExitStatus::Signaled(signal::SIGKILL);

    /// A shell-style exit code: the status, 128 + the signal number for a
    /// signal, 128 + 11 (`SIGSEGV`) for a fault.
    pub const fn code(&self) -> i32 {
        match self {
            ExitStatus::Exited(s) => *s,
            ExitStatus::Signaled(sig) => 128 + *sig as i32,
            ExitStatus::Faulted(_) => 128 + signal::SIGSEGV as i32,
        }
    }

    /// The signal that ended the task, if one did (a fault counts as
    /// `SIGSEGV`).
    pub const fn signal(&self) -> Option<Signo> {
        match self {
            ExitStatus::Exited(_) => None,
            ExitStatus::Signaled(s) => Some(*s),
            ExitStatus::Faulted(_) => Some(signal::SIGSEGV),
        }
    }
}

/// What happened to a child, as `Wait` reports it (`waitpid(2)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChildEvent {
    /// It ended (the record is collected).
    Exited(ExitStatus),
    /// A stop signal stopped it (`WUNTRACED`).
    Stopped(Signo),
    /// `SIGCONT` continued it (`WCONTINUED`).
    Continued,
}

/// Which children a `Wait` is about (`waitpid(2)`'s `pid` argument).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum WaitFor {
    /// Any child (`-1`).
    #[default]
    Any,
    /// This child (`pid > 0`).
    Pid(Pid),
    /// Any child in this process group (`-pgid`; `Group(0)`: the caller's
    /// own group, `waitpid(0, ...)`).
    Group(Pid),
}

/// Which processes a `Kill` signals (`kill(2)`'s `pid` argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KillTarget {
    /// One process (`pid > 0`).
    Pid(Pid),
    /// Every process of a group (`-pgid`; `Group(0)`: the caller's own
    /// group, `kill(0, sig)`).
    Group(Pid),
}

/// The reason a task faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultReport {
    /// The kind.
    pub kind: FaultKind,
    /// Instruction pointer of the faulting instruction.
    pub ip: u64,
    /// Faulting address (page faults), else 0.
    pub addr: u64,
    /// Error code (x86 page-fault or exception error code).
    pub code: u64,
}

/// Kinds of faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultKind {
    /// A page fault; `fetch`: instruction fetch, `write`: a write access.
    PageFault {
        /// Instruction fetch.
        fetch: bool,
        /// Write access.
        write: bool,
    },
    /// A CPU exception (6: invalid opcode, 13: general protection, ...).
    Exception {
        /// The vector.
        vector: u64,
    },
    /// An unknown system call number.
    UnknownSyscall {
        /// The number.
        number: u64,
    },
    /// A capability fault.
    CapFault,
    /// Budget exhausted.
    Timeout,
    /// A fault label rm does not know.
    Other(u64),
}

impl FaultReport {
    /// Decodes a kernel fault message (label and message registers, as in
    /// `rampart_abi::fault`); unknown labels give [`FaultKind::Other`].
    pub fn from_message(label: u64, words: &[u64]) -> FaultReport {
        let g = |i: usize| words.get(i).copied().unwrap_or(0);
        let (kind, ip, addr, code) = match label {
            // VmFault: rip, address, instruction fetch, error code.
            4 => (FaultKind::PageFault { fetch: g(2) != 0, write: g(3) & 2 != 0 }, g(0), g(1), g(3)),
            // UserException: rip, rsp, rflags, vector, error code.
            3 => (FaultKind::Exception { vector: g(3) }, g(0), 0, g(4)),
            // UnknownSyscall: registers (rip is MR15), then the number.
            2 => (FaultKind::UnknownSyscall { number: g(18) }, g(15), 0, 0),
            1 => (FaultKind::CapFault, g(0), 0, 0),
            5 => (FaultKind::Timeout, 0, 0, g(1)),
            l => (FaultKind::Other(l), 0, 0, 0),
        };
        FaultReport { kind, ip, addr, code }
    }
}

impl core::fmt::Display for FaultReport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} at ip {:#x} (address {:#x}, code {:#x})", self.kind.describe(), self.ip, self.addr, self.code)
    }
}

impl FaultKind {
    /// A short description.
    pub fn describe(&self) -> &'static str {
        match self {
            FaultKind::PageFault { fetch: true, .. } => "page fault (instruction fetch)",
            FaultKind::PageFault { write: true, .. } => "page fault (write)",
            FaultKind::PageFault { .. } => "page fault (read)",
            FaultKind::Exception { vector: 6 } => "invalid opcode",
            FaultKind::Exception { vector: 13 } => "general protection",
            FaultKind::Exception { vector: 0 } => "divide error",
            FaultKind::Exception { .. } => "CPU exception",
            FaultKind::UnknownSyscall { .. } => "unknown system call",
            FaultKind::CapFault => "capability fault",
            FaultKind::Timeout => "timeout",
            FaultKind::Other(_) => "unknown fault",
        }
    }
}
