//! The IPC buffer: the per-thread page area holding message registers beyond
//! the four passed in CPU registers, capability arguments and the receive
//! slot (seL4 `seL4_IPCBuffer`, Reference Manual §4.1).

use crate::msg::MSG_MAX_EXTRA_CAPS;
use crate::msg::MSG_MAX_LENGTH;

/// Required alignment of an IPC buffer in user memory (bytes).
pub const IPC_BUFFER_ALIGN: u64 = 1024;

/// Layout of the IPC buffer, `#[repr(C)]`, 1024 bytes.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub struct IpcBuffer {
    /// Message info of the last message (informational).
    pub tag: u64,
    /// Message registers; `msg[0..4]` are unused (MR0..MR3 are in CPU
    /// registers), `msg[4..]` hold MR4 onwards.
    pub msg: [u64; MSG_MAX_LENGTH],
    /// Free for the user runtime (thread pointer, etc.).
    pub user_data: u64,
    /// Sending: capability pointers of extra capabilities. Receiving: the
    /// badges of capabilities that were unwrapped.
    pub caps_or_badges: [u64; MSG_MAX_EXTRA_CAPS],
    /// CNode (capability pointer in the receiver's CSpace) where a received
    /// capability is stored; 0 = the CSpace root itself.
    pub receive_cnode: u64,
    /// Slot index within `receive_cnode`.
    pub receive_index: u64,
    /// Depth of `receive_index` (0 = receive no capabilities).
    pub receive_depth: u64,
}

const _: () = assert!(core::mem::size_of::<IpcBuffer>() == 1024);

impl IpcBuffer {
    /// Offset of `msg` within the buffer, in bytes.
    pub const MSG_OFFSET: usize = 8;
    /// Offset of `caps_or_badges`, in bytes.
    pub const CAPS_OFFSET: usize = 8 + 8 * MSG_MAX_LENGTH + 8;
    /// Offset of `receive_cnode`, in bytes.
    pub const RECEIVE_OFFSET: usize = Self::CAPS_OFFSET + 8 * MSG_MAX_EXTRA_CAPS;
}
