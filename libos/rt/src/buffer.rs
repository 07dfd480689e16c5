//! The current thread's IPC buffer (`rampart_abi::IpcBuffer`): message
//! registers MR4 and up, extra capability pointers (sending) or unwrapped
//! badges (receiving), and the slot where a received capability lands.
//!
//! MR0..MR3 always travel in CPU registers ([`crate::syscall::raw`]); the
//! buffer's `msg[0..4]` are unused. The kernel reads and writes the buffer
//! during system calls, so every access here is a volatile load or store.
//!
//! The buffer is found through the thread block ([`crate::tls`]); a thread
//! without an IPC buffer gets `None` from [`current`].

use crate::cap::{CNode, CPtr, Cap};
use rampart_abi::IpcBuffer;
use rampart_abi::msg::{MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH, REGISTER_MRS};

/// Handle on one thread's IPC buffer (a pointer into its mapped page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcBuf(*mut IpcBuffer);

/// The current thread's IPC buffer, `None` if it has none.
#[inline]
pub fn current() -> Option<IpcBuf> {
    let a = crate::tls::current().ipc_buffer_addr();
    (a != 0).then_some(IpcBuf(a as *mut IpcBuffer))
}

/// The current thread's IPC buffer.
///
/// # Panics
/// If the thread has no IPC buffer.
#[inline]
pub fn expect_current() -> IpcBuf {
    match current() {
        Some(b) => b,
        None => panic!("this thread has no IPC buffer"),
    }
}

impl IpcBuf {
    /// Wraps the buffer at `addr`.
    ///
    /// The handle is only as good as `addr`: it must be the mapped,
    /// 1 KiB-aligned IPC buffer of a thread in this address space for as
    /// long as the handle is used. (The runtime only builds handles from
    /// thread blocks; this is for code that sets up other threads.)
    pub const fn from_addr(addr: u64) -> IpcBuf {
        IpcBuf(addr as *mut IpcBuffer)
    }

    /// The buffer's address.
    pub fn addr(self) -> u64 {
        self.0 as u64
    }

    fn word(self, offset: usize) -> *mut u64 {
        debug_assert!(offset + 8 <= core::mem::size_of::<IpcBuffer>());
        // In bounds of the 1 KiB buffer (asserted by every caller's index check).
        self.0.cast::<u8>().wrapping_add(offset).cast::<u64>()
    }

    fn load(self, offset: usize) -> u64 {
        // SAFETY: `word` stays inside the buffer, which is mapped and
        // aligned for the lifetime of the handle (see `current`/`from_addr`);
        // a volatile load because the kernel writes the buffer.
        unsafe { self.word(offset).read_volatile() }
    }

    fn store(self, offset: usize, v: u64) {
        // SAFETY: as in `load`; the buffer is writable user memory that only
        // this thread and the kernel use.
        unsafe { self.word(offset).write_volatile(v) }
    }

    /// Message register `i` (4..120) as last written by the kernel or the
    /// thread; MR0..MR3 are never in the buffer.
    ///
    /// # Panics
    /// If `i` is not in 4..120.
    pub fn mr(self, i: usize) -> u64 {
        assert!((REGISTER_MRS..MSG_MAX_LENGTH).contains(&i), "MR{i} is not in the IPC buffer");
        self.load(IpcBuffer::MSG_OFFSET + 8 * i)
    }

    /// Sets message register `i` (4..120) for the next message sent.
    ///
    /// # Panics
    /// If `i` is not in 4..120.
    pub fn set_mr(self, i: usize, v: u64) {
        assert!((REGISTER_MRS..MSG_MAX_LENGTH).contains(&i), "MR{i} is not in the IPC buffer");
        self.store(IpcBuffer::MSG_OFFSET + 8 * i, v);
    }

    /// Sets MR4.. from `vals` (`vals[0]` becomes MR4).
    ///
    /// # Panics
    /// If more than 116 values are given.
    pub fn set_mrs_from4(self, vals: &[u64]) {
        for (k, v) in vals.iter().enumerate() {
            self.set_mr(REGISTER_MRS + k, *v);
        }
    }

    /// Sets extra capability `i` (0..3) of the next message sent.
    ///
    /// # Panics
    /// If `i >= 3`.
    pub fn set_cap(self, i: usize, cap: impl Cap) {
        assert!(i < MSG_MAX_EXTRA_CAPS);
        self.store(IpcBuffer::CAPS_OFFSET + 8 * i, cap.cptr());
    }

    /// Word `i` (0..3) of `caps_or_badges`: after receiving, the badge of the
    /// `i`-th extra capability if it was unwrapped (see
    /// `MessageInfo::caps_unwrapped`).
    ///
    /// # Panics
    /// If `i >= 3`.
    pub fn cap_or_badge(self, i: usize) -> u64 {
        assert!(i < MSG_MAX_EXTRA_CAPS);
        self.load(IpcBuffer::CAPS_OFFSET + 8 * i)
    }

    /// Names the slot where a capability received with the next message is
    /// stored: `depth` bits of `index` resolved from `cnode` (cptr 0 = the
    /// CSpace root itself). `depth` 0 receives no capabilities.
    pub fn set_receive_slot(self, cnode: CNode, index: u64, depth: u64) {
        self.store(IpcBuffer::RECEIVE_OFFSET, cnode.cptr());
        self.store(IpcBuffer::RECEIVE_OFFSET + 8, index);
        self.store(IpcBuffer::RECEIVE_OFFSET + 16, depth);
    }

    /// Stops receiving capabilities (receive depth 0).
    pub fn clear_receive_slot(self) {
        self.set_receive_slot(CNode(0), 0, 0);
    }

    /// The receive slot as (CNode cptr, index, depth).
    pub fn receive_slot(self) -> (CPtr, u64, u64) {
        (
            self.load(IpcBuffer::RECEIVE_OFFSET),
            self.load(IpcBuffer::RECEIVE_OFFSET + 8),
            self.load(IpcBuffer::RECEIVE_OFFSET + 16),
        )
    }

    /// The `tag` word (informational copy of the last message info).
    pub fn tag(self) -> u64 {
        self.load(0)
    }
}
