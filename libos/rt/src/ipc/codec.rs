//! Postcard messages over IPC (docs/userland.md §3): a serde value is
//! encoded with `rampart_uabi::codec`, its words travel as MR0.. (MR0-MR3 in
//! registers, MR4.. in the IPC buffer) with label `PROTOCOL_POSTCARD | len`.
//!
//! Every function needs the calling thread's IPC buffer for messages
//! longer than four words and for capabilities.

use crate::buffer;
use crate::cap::{CPtr, Cap, Reply};
use crate::syscall::{IpcResult, raw};
use rampart_abi::msg::{MSG_MAX_EXTRA_CAPS, REGISTER_MRS};
use rampart_abi::{MessageInfo, Syscall};
use rampart_uabi::Errno;
use rampart_uabi::codec::{self, CodecError, MAX_WORDS};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Label a caller receives when its call can never be answered (the
/// server's reply object was destroyed): `LABEL_IPC_ABORTED` of the kernel.
pub const LABEL_IPC_ABORTED: u64 = (1 << 52) - 1;

/// Why a postcard call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallError {
    /// The request could not be encoded, or the reply not decoded.
    Codec(CodecError),
    /// The server went away before answering.
    Aborted,
    /// The kernel refused the call (label: an `Error` code, e.g. an invalid
    /// capability).
    Kernel(u64),
}

impl CallError {
    /// The POSIX error for this failure.
    pub fn errno(self) -> Errno {
        match self {
            CallError::Codec(c) => c.errno(),
            CallError::Aborted => Errno::EIO,
            CallError::Kernel(_) => Errno::EBADF,
        }
    }
}

/// A received message: badge, message info and its words.
#[derive(Clone)]
pub struct Message {
    /// Badge of the sender's capability (or of the notification).
    pub badge: u64,
    /// Message info.
    pub info: MessageInfo,
    /// MR0..MR(len-1).
    pub words: [u64; MAX_WORDS],
}

impl Message {
    /// A notification as a receive returns it: `bits` as the badge, label
    /// 0, no words (see [`crate::events`]).
    pub fn notification(bits: u64) -> Message {
        Message { badge: bits, info: MessageInfo(0), words: [0; MAX_WORDS] }
    }

    /// Collects a message after a receiving system call returned `r`
    /// (MR4.. are read from the IPC buffer).
    pub fn from_result(r: &IpcResult) -> Message {
        let mut words = [0u64; MAX_WORDS];
        words[..REGISTER_MRS].copy_from_slice(&r.mrs);
        let n = r.info.length().min(MAX_WORDS);
        if n > REGISTER_MRS
            && let Some(b) = buffer::current()
        {
            for (i, w) in words.iter_mut().enumerate().take(n).skip(REGISTER_MRS) {
                *w = b.mr(i);
            }
        }
        Message { badge: r.badge, info: r.info, words }
    }

    /// The label.
    pub fn label(&self) -> u64 {
        self.info.label()
    }

    /// The words actually received.
    pub fn words(&self) -> &[u64] {
        &self.words[..self.info.length().min(MAX_WORDS)]
    }

    /// Decodes the postcard value.
    ///
    /// # Errors
    /// A [`CodecError`] for anything malformed.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, CodecError> {
        codec::decode(self.label(), self.words())
    }

    /// Badges of unwrapped capabilities (`caps_unwrapped` bit `i` set: word
    /// `i` of the IPC buffer's `caps_or_badges`).
    pub fn unwrapped_badge(&self, i: usize) -> Option<u64> {
        if i < MSG_MAX_EXTRA_CAPS && self.info.caps_unwrapped() & (1 << i) != 0 {
            buffer::current().map(|b| b.cap_or_badge(i))
        } else {
            None
        }
    }

    /// True if a capability (not unwrapped) arrived in the receive slot.
    pub fn received_cap(&self) -> bool {
        self.info.extra_caps() > self.info.caps_unwrapped().count_ones() as usize
    }
}

/// An encoded outgoing message.
#[derive(Clone)]
pub struct Outgoing {
    /// Label.
    pub label: u64,
    /// Words.
    pub words: [u64; MAX_WORDS],
    /// Words used.
    pub len: usize,
    /// Capabilities to send (at most 3).
    pub caps: [CPtr; MSG_MAX_EXTRA_CAPS],
    /// Capabilities used.
    pub ncaps: usize,
}

impl Outgoing {
    /// Encodes `value`.
    ///
    /// # Errors
    /// [`CodecError::TooLong`], [`CodecError::Malformed`].
    pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Outgoing, CodecError> {
        let mut words = [0u64; MAX_WORDS];
        let (label, len) = codec::encode(value, &mut words)?;
        Ok(Outgoing { label, words, len, caps: [0; MSG_MAX_EXTRA_CAPS], ncaps: 0 })
    }

    /// A message with a raw label and no words.
    pub fn raw(label: u64) -> Outgoing {
        Outgoing { label, words: [0; MAX_WORDS], len: 0, caps: [0; MSG_MAX_EXTRA_CAPS], ncaps: 0 }
    }

    /// Adds a capability to send (ignored past three).
    pub fn with_cap(mut self, cap: CPtr) -> Outgoing {
        if self.ncaps < MSG_MAX_EXTRA_CAPS {
            self.caps[self.ncaps] = cap;
            self.ncaps += 1;
        }
        self
    }

    /// Stores MR4.. and the capabilities in the IPC buffer; returns the
    /// message info and MR0..MR3.
    ///
    /// # Panics
    /// If the message needs the IPC buffer and the thread has none.
    pub fn stage(&self) -> (MessageInfo, [u64; REGISTER_MRS]) {
        if self.len > REGISTER_MRS || self.ncaps > 0 {
            let b = buffer::expect_current();
            for i in REGISTER_MRS..self.len {
                b.set_mr(i, self.words[i]);
            }
            for i in 0..self.ncaps {
                b.set_cap(i, self.caps[i]);
            }
        }
        let mut regs = [0u64; REGISTER_MRS];
        regs.copy_from_slice(&self.words[..REGISTER_MRS]);
        (MessageInfo::new(self.label, 0, self.ncaps as u64, self.len as u64), regs)
    }
}

/// `Call`s `ep` with `msg`; returns the reply.
///
/// # Errors
/// [`CallError::Aborted`], [`CallError::Kernel`] (the label of a kernel
/// error reply when `ep` is not an endpoint).
pub fn call_raw(ep: impl Cap, msg: &Outgoing) -> Result<Message, CallError> {
    let (info, regs) = msg.stage();
    let prev = crate::signal::call_begin();
    let r = raw(Syscall::Call, ep.cptr(), info, regs, 0);
    crate::signal::call_end(prev);
    let m = Message::from_result(&r);
    match m.label() {
        LABEL_IPC_ABORTED => Err(CallError::Aborted),
        l if l != 0 && !codec::is_postcard(l) && l < 64 => Err(CallError::Kernel(l)),
        _ => Ok(m),
    }
}

/// Calls `ep` with request `req` and decodes the reply.
///
/// # Errors
/// [`CallError`].
pub fn call<Req: Serialize + ?Sized, Resp: DeserializeOwned>(ep: impl Cap, req: &Req) -> Result<Resp, CallError> {
    call_with_caps(ep, req, &[]).map(|(r, _)| r)
}

/// As [`call`], sending `caps` with the request; also returns the raw reply
/// (to see a capability that came back).
///
/// # Errors
/// [`CallError`].
pub fn call_with_caps<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
    ep: impl Cap,
    req: &Req,
    caps: &[CPtr],
) -> Result<(Resp, Message), CallError> {
    let mut out = Outgoing::encode(req).map_err(CallError::Codec)?;
    for c in caps {
        out = out.with_cap(*c);
    }
    let m = call_raw(ep, &out)?;
    let v = m.decode().map_err(CallError::Codec)?;
    Ok((v, m))
}

/// Replies through reply object `reply` (MCS: a `Send` on it) with `msg`;
/// used to answer a saved caller later. Returns the kernel's status label
/// (0 on success; replying through an empty reply object is a no-op).
pub fn reply_with(reply: Reply, msg: &Outgoing) -> u64 {
    let (info, regs) = msg.stage();
    raw(Syscall::Send, reply.0, info, regs, 0).info.label()
}
