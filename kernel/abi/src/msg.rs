//! The message-info word that describes an IPC message (seL4 Reference
//! Manual §4.2, `seL4_MessageInfo`).

/// Number of message registers passed in CPU registers (`rdx`, `r8`, `r9`,
/// `r10`); the rest live in the IPC buffer.
pub const REGISTER_MRS: usize = 4;
/// Maximum message length in words (registers plus IPC buffer), as seL4's
/// `seL4_MsgMaxLength`.
pub const MSG_MAX_LENGTH: usize = 120;
/// Maximum number of extra capabilities in one message.
pub const MSG_MAX_EXTRA_CAPS: usize = 3;

/// Label delivered to a caller whose call can never be answered: the reply
/// object was destroyed, or the receiver took the call without a reply
/// object (`Wait`). A Rampart extension (seL4 leaves such callers blocked).
pub const LABEL_IPC_ABORTED: u64 = (1 << 52) - 1;

/// `label:52 | caps_unwrapped:3 | extra_caps:2 | length:7`, as seL4 on 64-bit.
///
/// The label is free for the sender (for invocations it is the invocation
/// label; for replies from the kernel it is the error code, 0 for success).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct MessageInfo(pub u64);

impl MessageInfo {
    /// Builds a message info. Fields wider than their bit widths are truncated.
    pub const fn new(label: u64, caps_unwrapped: u64, extra_caps: u64, length: u64) -> Self {
        MessageInfo((label << 12) | ((caps_unwrapped & 0x7) << 9) | ((extra_caps & 0x3) << 7) | (length & 0x7f))
    }
    /// The 52-bit label.
    pub const fn label(self) -> u64 {
        self.0 >> 12
    }
    /// Bit mask of extra caps that were unwrapped into badges on transfer.
    pub const fn caps_unwrapped(self) -> u64 {
        (self.0 >> 9) & 0x7
    }
    /// Number of extra capabilities (0..=3).
    pub const fn extra_caps(self) -> usize {
        ((self.0 >> 7) & 0x3) as usize
    }
    /// Message length in words as encoded (0..=127); the kernel clamps it to
    /// [`MSG_MAX_LENGTH`].
    pub const fn length(self) -> usize {
        (self.0 & 0x7f) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let m = MessageInfo::new(0xabcde, 5, 2, 100);
        assert_eq!(m.label(), 0xabcde);
        assert_eq!(m.caps_unwrapped(), 5);
        assert_eq!(m.extra_caps(), 2);
        assert_eq!(m.length(), 100);
    }

    #[test]
    fn wide_fields_do_not_bleed() {
        let m = MessageInfo::new(1, 0xff, 0xff, 0xfff);
        assert_eq!(m.label(), 1);
        assert_eq!(m.caps_unwrapped(), 7);
        assert_eq!(m.extra_caps(), 3);
        assert_eq!(m.length(), 0x7f);
    }
}
