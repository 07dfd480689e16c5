//! The client transport every protocol declared with
//! `rampart_uabi::protocol!` uses in programs (docs/architecture.md,
//! "Protocols and servers").
//!
//! A request whose postcard encoding fits in the four register words
//! (32 bytes, [`rampart_uabi::small`]) travels in registers only, and so
//! does a reply that fits: such a call never stages the general codec's
//! 960-byte buffers and, without capabilities, stays on the kernel's IPC
//! fast path (docs/kernel.md, "IPC fast path"). Longer messages use the
//! general codec ([`super::codec`]). The bytes are the same either way, so
//! the server may answer with either.

use super::codec::{LABEL_IPC_ABORTED, Message, call_with_caps};
use crate::cap::{CNode, CPtr, Cap};
use crate::syscall::IpcResult;
use rampart_abi::MessageInfo;
use rampart_uabi::Errno;
use rampart_uabi::codec::is_postcard;
use rampart_uabi::small::{decode4, encode4};
use rampart_uabi::startup::slot;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// True if a capability (not an unwrapped badge) arrived with `r`.
#[inline(always)]
pub fn received_cap(r: &IpcResult) -> bool {
    r.info.extra_caps() > r.info.caps_unwrapped().count_ones() as usize
}

/// Decodes the reply `r` to a register-only request.
///
/// # Errors
/// `EIO` (the server went away), `EBADF` (a kernel error: `ep` is not an
/// endpoint), `EBADMSG`/`E2BIG` (not a decodable reply).
#[inline(always)]
pub fn decode_reply<S: DeserializeOwned>(r: &IpcResult) -> Result<S, Errno> {
    let l = r.info.label();
    if l == LABEL_IPC_ABORTED {
        return Err(Errno::EIO);
    }
    if !is_postcard(l) {
        return Err(if l != 0 && l < 64 { Errno::EBADF } else { Errno::EBADMSG });
    }
    if r.info.length() <= 4 {
        return decode4(l, &r.mrs).map_err(|e| e.errno());
    }
    Message::from_result(r).decode().map_err(|e| e.errno())
}

/// Calls `ep` with `req` and decodes the reply, without capabilities.
///
/// # Errors
/// As [`decode_reply`]; `E2BIG` for a request longer than a message.
#[inline]
pub fn call<Q: Serialize + ?Sized, S: DeserializeOwned>(ep: impl Cap, req: &Q) -> Result<S, Errno> {
    let Some((label, w, n)) = encode4(req) else {
        return super::codec::call::<Q, S>(ep, req).map_err(|e| e.errno());
    };
    let r = super::call(ep, MessageInfo::new(label, 0, 0, n as u64), w);
    decode_reply(&r)
}

/// Calls `ep` with `req`, sending the capability in slot `give` if any and
/// receiving a capability of the reply into the free slot `receive` of the
/// task's CNode if any; returns the reply and whether a capability came.
///
/// # Errors
/// As [`call`]; `EFAULT` if the thread has no IPC buffer.
pub fn call_caps<Q: Serialize + ?Sized, S: DeserializeOwned>(
    ep: impl Cap,
    req: &Q,
    give: Option<CPtr>,
    receive: Option<CPtr>,
) -> Result<(S, bool), Errno> {
    if give.is_none() && receive.is_none() {
        return call(ep, req).map(|v| (v, false));
    }
    let b = crate::buffer::current().ok_or(Errno::EFAULT)?;
    // A server calling out from its handler keeps its own receive slot.
    let saved = b.receive_slot();
    if let Some(s) = receive {
        b.set_receive_slot(CNode(slot::CNODE), s, 64);
    }
    let r = match encode4(req) {
        Some((label, w, n)) => {
            if let Some(c) = give {
                b.set_cap(0, c);
            }
            let r = super::call(ep, MessageInfo::new(label, 0, u64::from(give.is_some()), n as u64), w);
            decode_reply(&r).map(|v| (v, received_cap(&r)))
        }
        None => {
            call_with_caps::<Q, S>(ep, req, give.as_slice()).map(|(v, m)| (v, m.received_cap())).map_err(|e| e.errno())
        }
    };
    if receive.is_some() {
        b.set_receive_slot(CNode(saved.0), saved.1, saved.2);
    }
    r
}
