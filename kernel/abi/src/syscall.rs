//! System call numbers and the register convention of the `syscall`
//! instruction on x86_64.
//!
//! Register use on entry (seL4's x86_64 convention, adapted to a positive
//! syscall number in `rax`):
//!
//! | register | meaning |
//! |---|---|
//! | `rax` | syscall number ([`Syscall`]) |
//! | `rdi` | capability pointer (cptr) of the invoked/used capability |
//! | `rsi` | [`MessageInfo`](crate::MessageInfo) word |
//! | `rdx`, `r8`, `r9`, `r10` | message registers MR0..MR3 |
//! | `r12` | reply object cptr for `Recv`/`NBRecv`/`ReplyRecv` (MCS) |
//!
//! On return `rdi` holds the badge of the sender (or of the signalling
//! notification), `rsi` the reply's message info, and `rdx`, `r8`, `r9`,
//! `r10` MR0..MR3. `rcx` and `r11` are clobbered (the CPU uses them for the
//! return address and flags); every other register is preserved.
//!
//! Errors: a syscall on an empty or wrong-kind capability returns at once with
//! message-info label [`Error::InvalidCapability`](crate::Error) (seL4 raises
//! a capability fault instead; Rampart returns the error so that programs
//! need no fault handler to survive a bad capability pointer). For `Send` and
//! `NBSend` the returned label is 0 on success.

/// A system call number. Unknown numbers raise an *unknown syscall* fault to
/// the thread's fault endpoint (so a user-level server can emulate them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub enum Syscall {
    /// Send a message and block for the reply (invokes kernel objects too).
    Call = 1,
    /// Reply through the reply object in `r12`, then wait on the endpoint.
    ReplyRecv = 2,
    /// Send a message, blocking until a receiver takes it (or signal a
    /// notification).
    Send = 3,
    /// Send a message only if a receiver is waiting; never blocks.
    NBSend = 4,
    /// Wait for a message on an endpoint (reply object in `r12`) or for a
    /// signal on a notification.
    Recv = 5,
    /// As `Recv` but returns at once if nothing is pending.
    NBRecv = 6,
    /// Give up the rest of the time slice.
    Yield = 7,
    /// Wait on an endpoint or notification without a reply object
    /// (MCS `seL4_Wait`).
    Wait = 8,
    /// Do nothing and return (measures the bare kernel entry/exit cost).
    Null = 9,
    /// Power the machine off through `isa-debug-exit` with exit code MR0
    /// (the root task only). Test kernels only: in the release kernel every
    /// `Debug*` number is an unknown system call (a fault), and number 64,
    /// once a console write, is unused (components write to the kernel log,
    /// [`crate::log`]).
    DebugShutdown = 65,
    /// Return in `rdi` the [`CapType`](crate::CapType) of the capability at
    /// `rdi` (0 if empty or invalid). Test kernels only.
    DebugCapIdentify = 66,
    /// Write the kernel's invariant check result: `rdi` = 0 if every checked
    /// kernel invariant holds (capability derivation tree well-formed,
    /// scheduler queues consistent), otherwise a non-zero code naming the
    /// first violation. Test kernels only.
    DebugCheckInvariants = 67,
    /// Return in `rdi` the time-stamp-counter ticks the processor has spent
    /// halted with nothing to run since boot (under QEMU `-icount` the idle
    /// time the virtual clock skipped, so TSC deltas minus idle deltas are
    /// executed instructions). Test kernels only.
    DebugIdleTicks = 68,
}

impl Syscall {
    /// Decodes a syscall number; `None` for numbers the kernel does not know.
    pub const fn from_u64(n: u64) -> Option<Syscall> {
        Some(match n {
            1 => Syscall::Call,
            2 => Syscall::ReplyRecv,
            3 => Syscall::Send,
            4 => Syscall::NBSend,
            5 => Syscall::Recv,
            6 => Syscall::NBRecv,
            7 => Syscall::Yield,
            8 => Syscall::Wait,
            9 => Syscall::Null,
            65 => Syscall::DebugShutdown,
            66 => Syscall::DebugCapIdentify,
            67 => Syscall::DebugCheckInvariants,
            68 => Syscall::DebugIdleTicks,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in 0..200u64 {
            if let Some(s) = Syscall::from_u64(n) {
                assert_eq!(s as u64, n);
            }
        }
        assert_eq!(Syscall::from_u64(0), None);
        assert_eq!(Syscall::from_u64(u64::MAX), None);
    }
}
