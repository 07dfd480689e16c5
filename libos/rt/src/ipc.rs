//! Message passing: endpoints, reply objects and notifications
//! (`rampart_abi::syscall` for the register convention).
//!
//! Every function passes MR0..MR3 in registers; longer messages put MR4..
//! in the IPC buffer first ([`crate::buffer`]) and give the full length in
//! the [`MessageInfo`]. Received MR4.. are read from the buffer the same way.
//!
//! Errors: a system call on an empty or wrong-kind capability returns at
//! once with label [`Error::InvalidCapability`](rampart_abi::Error) in the
//! returned message info. For [`send`], [`nb_send`], [`signal`] and
//! [`reply`] the returned label is 0 on success. For [`call`] and the
//! receiving calls the label is the peer's (a reply's or sender's label).

use crate::cap::{CPtr, Cap, Endpoint, Notification, Reply};
pub use crate::syscall::IpcResult;
use crate::syscall::raw;
use rampart_abi::{MessageInfo, Syscall};

/// `Call`: sends `info`/`mrs` on endpoint `ep` and blocks for the reply
/// (the kernel gives the receiver a reply capability in its reply object).
/// Returns the reply's message info and MR0..MR3; the badge word is
/// unspecified.
#[inline(always)]
pub fn call(ep: impl Cap, info: MessageInfo, mrs: [u64; 4]) -> IpcResult {
    raw(Syscall::Call, ep.cptr(), info, mrs, 0)
}

/// `Send`: sends on endpoint `ep`, blocking until a receiver takes the
/// message. On a notification capability this signals it. Returns the
/// status (label 0 on success).
#[inline(always)]
pub fn send(ep: impl Cap, info: MessageInfo, mrs: [u64; 4]) -> MessageInfo {
    raw(Syscall::Send, ep.cptr(), info, mrs, 0).info
}

/// `NBSend`: sends only if a receiver is waiting; otherwise the message is
/// dropped. Never blocks. Returns the status (label 0 unless the capability
/// is invalid; a dropped message is not an error).
#[inline(always)]
pub fn nb_send(ep: impl Cap, info: MessageInfo, mrs: [u64; 4]) -> MessageInfo {
    raw(Syscall::NBSend, ep.cptr(), info, mrs, 0).info
}

/// `Recv`: blocks for a message on endpoint `src` (a caller's reply
/// capability is stored in reply object `reply`) or for a signal on a
/// notification (`reply` unused, pass 0). Returns the sender's badge,
/// message info and MR0..MR3.
#[inline(always)]
pub fn recv(src: impl Cap, reply: CPtr) -> IpcResult {
    raw(Syscall::Recv, src.cptr(), MessageInfo(0), [0; 4], reply)
}

/// `NBRecv`: as [`recv`], but returns at once if nothing is pending (then
/// with badge 0 and an empty message info).
#[inline(always)]
pub fn nb_recv(src: impl Cap, reply: CPtr) -> IpcResult {
    raw(Syscall::NBRecv, src.cptr(), MessageInfo(0), [0; 4], reply)
}

/// `ReplyRecv`: replies `info`/`mrs` through reply object `reply`, then
/// waits on endpoint `ep` with the same reply object (the server loop's one
/// system call per request).
#[inline(always)]
pub fn reply_recv(ep: impl Cap, info: MessageInfo, mrs: [u64; 4], reply: Reply) -> IpcResult {
    raw(Syscall::ReplyRecv, ep.cptr(), info, mrs, reply.0)
}

/// Replies through reply object `reply` without waiting (MCS: a `Send` on a
/// reply capability). Returns the status (label 0 on success; replying
/// through an object that holds no caller is a no-op).
#[inline(always)]
pub fn reply(reply: Reply, info: MessageInfo, mrs: [u64; 4]) -> MessageInfo {
    raw(Syscall::Send, reply.0, info, mrs, 0).info
}

/// Signals notification `ntfn`: ORs its badge into the notification word
/// and wakes a waiter. Never blocks. Returns the status (label 0 on
/// success).
#[inline(always)]
pub fn signal(ntfn: impl Cap) -> MessageInfo {
    raw(Syscall::Send, ntfn.cptr(), MessageInfo(0), [0; 4], 0).info
}

/// `Wait`: blocks on a notification (returns its word as the badge, and
/// clears it) or an endpoint without a reply object.
#[inline(always)]
pub fn wait(src: impl Cap) -> IpcResult {
    raw(Syscall::Wait, src.cptr(), MessageInfo(0), [0; 4], 0)
}

/// Polls notification `ntfn`: returns its word (0 if no signal is pending)
/// and clears it, without blocking (`NBRecv` on a notification).
#[inline(always)]
pub fn poll(ntfn: Notification) -> u64 {
    raw(Syscall::NBRecv, ntfn.0, MessageInfo(0), [0; 4], 0).badge
}

/// Gives up the rest of the time slice to threads of the same priority.
#[inline(always)]
pub fn yield_now() {
    crate::syscall::yield_now();
}

/// The `Null` system call (kernel entry and exit only).
#[inline(always)]
pub fn null_syscall() {
    crate::syscall::null();
}

/// The [`rampart_abi::CapType`] of the capability at `cap`, `None` for a
/// number this runtime does not know (`DebugCapIdentify`, debug kernels).
pub fn identify(cap: impl Cap) -> Option<rampart_abi::CapType> {
    rampart_abi::CapType::from_u64(crate::syscall::debug_cap_identify(cap.cptr()))
}

/// 0 if the kernel's invariant checks pass (`DebugCheckInvariants`, debug
/// kernels); otherwise the code of the first violation.
pub fn check_invariants() -> u64 {
    crate::syscall::debug_check_invariants()
}

/// Convenience for typed endpoint use: `Call` on `ep`.
impl Endpoint {
    /// See [`call`].
    #[inline(always)]
    pub fn call(self, info: MessageInfo, mrs: [u64; 4]) -> IpcResult {
        call(self, info, mrs)
    }
}

impl Notification {
    /// See [`signal`].
    #[inline(always)]
    pub fn signal(self) -> MessageInfo {
        signal(self)
    }
    /// See [`wait`]; returns the notification word.
    #[inline(always)]
    pub fn wait(self) -> u64 {
        wait(self).badge
    }
    /// See [`poll`].
    #[inline(always)]
    pub fn poll(self) -> u64 {
        poll(self)
    }
}

pub mod codec;
pub mod proto;
