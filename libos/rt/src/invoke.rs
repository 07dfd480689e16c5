//! Object invocations: a `Call` on a capability to a kernel object with an
//! invocation label, message-register arguments and extra capabilities
//! (`rampart_abi::invocation`).
//!
//! Arguments MR0..MR3 travel in registers and MR4.. in the IPC buffer, as do
//! extra capabilities; an invocation with more than four arguments or any
//! capability argument therefore needs the thread's IPC buffer. The reply's
//! label is 0 on success or an [`Error`] code; on error MR0/MR1 may carry
//! detail (argument index, valid range, bytes left), which [`invoke`] saves
//! in the thread block so [`error_detail`] can return it later.

use crate::buffer;
use crate::cap::{CPtr, Cap};
use crate::syscall::raw;
use core::sync::atomic::Ordering::Relaxed;
use rampart_abi::msg::{MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, REGISTER_MRS};
use rampart_abi::{Error, Label, MessageInfo, Syscall};

/// The kernel's answer to an invocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KReply {
    /// Message info of the reply: label 0 or an error code, length in words.
    pub info: MessageInfo,
    /// MR0..MR3.
    pub mrs: [u64; REGISTER_MRS],
}

impl KReply {
    /// Message register `i` of the reply (MR4.. from the IPC buffer, which
    /// the next system call may overwrite).
    ///
    /// # Panics
    /// If `i >= 4` and the thread has no IPC buffer.
    pub fn mr(&self, i: usize) -> u64 {
        if i < REGISTER_MRS { self.mrs[i] } else { buffer::expect_current().mr(i) }
    }

    /// The error the label encodes, `None` for success.
    pub fn error(&self) -> Option<Error> {
        match self.info.label() {
            0 => None,
            l => Some(error_from_label(l)),
        }
    }
}

/// Decodes a non-zero reply label. Codes this runtime does not know (a
/// newer kernel) are reported as [`Error::IllegalOperation`].
pub fn error_from_label(label: u64) -> Error {
    Error::from_label(label).unwrap_or(Error::IllegalOperation)
}

/// Performs a `Call` on `cap` with raw label `label`, arguments `args`
/// (clamped to 120) and extra capabilities `caps` (clamped to 3), and
/// returns the reply as is. This is also how a test sends labels the ABI
/// does not define.
///
/// # Panics
/// If more than four arguments or any capability are given and the thread
/// has no IPC buffer.
#[inline]
pub fn call_raw(cap: impl Cap, label: u64, args: &[u64], caps: &[CPtr]) -> KReply {
    let n = args.len().min(MSG_MAX_LENGTH);
    let ncaps = caps.len().min(MSG_MAX_EXTRA_CAPS);
    if n > REGISTER_MRS || ncaps > 0 {
        let b = buffer::expect_current();
        for (i, a) in args.iter().enumerate().take(n).skip(REGISTER_MRS) {
            b.set_mr(i, *a);
        }
        for (i, c) in caps.iter().take(ncaps).enumerate() {
            b.set_cap(i, *c);
        }
    }
    let mut regs = [0u64; REGISTER_MRS];
    let r = n.min(REGISTER_MRS);
    regs[..r].copy_from_slice(&args[..r]);
    let info = MessageInfo::new(label, 0, ncaps as u64, n as u64);
    let res = raw(Syscall::Call, cap.cptr(), info, regs, 0);
    KReply { info: res.info, mrs: res.mrs }
}

/// Invokes `cap` with `label`: `Ok(reply)` if the reply label is 0,
/// otherwise the error (its MR0/MR1 detail is kept for [`error_detail`]).
///
/// # Errors
/// The kernel's error code.
///
/// # Panics
/// As [`call_raw`].
#[inline]
pub fn invoke(cap: impl Cap, label: Label, args: &[u64], caps: &[CPtr]) -> Result<KReply, Error> {
    let r = call_raw(cap, label as u64, args, caps);
    match r.info.label() {
        0 => Ok(r),
        l => {
            let tb = crate::tls::current();
            tb.error_detail[0].store(r.mrs[0], Relaxed);
            tb.error_detail[1].store(r.mrs[1], Relaxed);
            Err(error_from_label(l))
        }
    }
}

/// As [`invoke`], discarding the reply's contents.
///
/// # Errors
/// The kernel's error code.
#[inline]
pub fn invoke0(cap: impl Cap, label: Label, args: &[u64], caps: &[CPtr]) -> Result<(), Error> {
    invoke(cap, label, args, caps).map(|_| ())
}

/// MR0 and MR1 of the reply to this thread's last failed invocation made
/// through [`invoke`] (argument index, valid range, bytes left in an
/// untyped, missing paging level, frames mapped: see each label's
/// documentation in `rampart_abi::Label`).
pub fn error_detail() -> [u64; 2] {
    let tb = crate::tls::current();
    [tb.error_detail[0].load(Relaxed), tb.error_detail[1].load(Relaxed)]
}
