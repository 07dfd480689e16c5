//! What a thread sees in its result registers after an operation.

use crate::state::Addr;

/// What an operation made a thread see in its result registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Success of an invocation, a send or a signal (label 0, no words).
    Ok,
    /// An invocation or syscall error.
    Err(rampart_abi::Error),
    /// A message was received.
    Msg {
        /// Badge of the sender's capability (0 for replies).
        badge: u64,
        /// Label.
        label: u64,
        /// MR0.
        mr0: u64,
        /// Extra capabilities received (transferred or unwrapped).
        caps: u32,
        /// Bit mask of unwrapped extra capabilities.
        unwrapped: u32,
        /// Badge of the unwrapped capability (0 if none).
        unwrapped_badge: u64,
    },
    /// A notification was received with these badge bits.
    Signal(u64),
    /// A non-blocking receive found nothing.
    Empty,
    /// A call was aborted: it can never be answered.
    Aborted,
    /// A blocked system call was cancelled; the thread re-executes it.
    Restart,
    /// An invocation succeeded with result words (label 0, length `n`,
    /// MR0/MR1 = `w` as far as `n` goes).
    Words {
        /// Number of result words.
        n: u8,
        /// The first two.
        w: [u64; 2],
    },
    /// TcbReadRegisters of `target` succeeded with `n` words (the followed
    /// registers are compared with the model's).
    Regs {
        /// The thread read.
        target: Addr,
        /// Number of words.
        n: u8,
    },
    /// A fault message was received.
    Fault {
        /// Badge of the fault endpoint capability.
        badge: u64,
        /// Fault label.
        label: u64,
        /// Message length.
        len: u8,
        /// MR0.
        mr0: u64,
    },
    /// Another thread wrote this thread's registers (TcbWriteRegisters,
    /// TcbCopyRegisters): only the followed ones are compared.
    Clobbered,
    /// The kernel wrote to an I/O port (reported for [`MACHINE`]).
    PortOut {
        /// Port.
        port: u16,
        /// Width in bytes.
        width: u8,
        /// Value.
        value: u32,
    },
}

/// The "thread" machine effects (port writes) are reported for in events.
pub const MACHINE: Addr = u64::MAX;
