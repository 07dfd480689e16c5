//! I/O ports (`Label::IoPort*`): issuing port-range capabilities and
//! accessing the ports through them.

use crate::cap::{CNode, Cap, IoPort, IoPortControl};
use crate::invoke::{invoke, invoke0};
use rampart_abi::{Error, Label};

impl IoPortControl {
    /// Issues a capability for ports `first..=last` into slot (`index`,
    /// `depth`) of `root`.
    ///
    /// # Errors
    /// `RevokeFirst` (overlaps an issued range), `RangeError` (first >
    /// last), `DeleteFirst`/`FailedLookup` (slot).
    pub fn issue(self, first: u16, last: u16, root: CNode, index: u64, depth: u64) -> Result<(), Error> {
        invoke0(self, Label::IoPortControlIssue, &[first.into(), last.into(), index, depth], &[root.cptr()])
    }
}

impl IoPort {
    fn input(self, label: Label, port: u16) -> Result<u64, Error> {
        invoke(self, label, &[port.into()], &[]).map(|r| r.mrs[0])
    }

    fn output(self, label: Label, port: u16, value: u64) -> Result<(), Error> {
        invoke0(self, label, &[port.into(), value], &[])
    }

    /// Reads a byte from `port`.
    ///
    /// # Errors
    /// `RangeError` (an accessed port outside the capability's range).
    pub fn in8(self, port: u16) -> Result<u8, Error> {
        self.input(Label::IoPortIn8, port).map(|v| v as u8)
    }

    /// Reads 16 bits from `port`.
    ///
    /// # Errors
    /// As [`IoPort::in8`].
    pub fn in16(self, port: u16) -> Result<u16, Error> {
        self.input(Label::IoPortIn16, port).map(|v| v as u16)
    }

    /// Reads 32 bits from `port`.
    ///
    /// # Errors
    /// As [`IoPort::in8`].
    pub fn in32(self, port: u16) -> Result<u32, Error> {
        self.input(Label::IoPortIn32, port).map(|v| v as u32)
    }

    /// Writes a byte to `port`.
    ///
    /// # Errors
    /// As [`IoPort::in8`].
    pub fn out8(self, port: u16, value: u8) -> Result<(), Error> {
        self.output(Label::IoPortOut8, port, value.into())
    }

    /// Writes 16 bits to `port`.
    ///
    /// # Errors
    /// As [`IoPort::in8`].
    pub fn out16(self, port: u16, value: u16) -> Result<(), Error> {
        self.output(Label::IoPortOut16, port, value.into())
    }

    /// Writes 32 bits to `port`.
    ///
    /// # Errors
    /// As [`IoPort::in8`].
    pub fn out32(self, port: u16, value: u32) -> Result<(), Error> {
        self.output(Label::IoPortOut32, port, value.into())
    }
}
