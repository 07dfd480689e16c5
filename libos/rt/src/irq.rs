//! Interrupts: creating handlers and routing them to notifications
//! (`Label::IrqControl*`, `Label::IrqHandler*`).

use crate::cap::{CNode, Cap, IrqControl, IrqHandler, Notification};
use crate::invoke::{invoke, invoke0};
use rampart_abi::{Error, Label};

impl IrqControl {
    /// Creates a handler for IOAPIC input `gsi` in slot (`index`, `depth`)
    /// of `root`, with the given trigger mode and polarity.
    ///
    /// # Errors
    /// `RangeError` (gsi), `RevokeFirst` (a handler for it exists),
    /// `DeleteFirst`/`FailedLookup` (slot).
    pub fn get_ioapic(
        self,
        root: CNode,
        index: u64,
        depth: u64,
        gsi: u64,
        level_triggered: bool,
        active_low: bool,
    ) -> Result<(), Error> {
        invoke0(
            self,
            Label::IrqControlGetIoapic,
            &[index, depth, gsi, level_triggered as u64, active_low as u64],
            &[root.cptr()],
        )
    }

    /// Allocates an MSI vector and creates its handler in slot (`index`,
    /// `depth`) of `root`. Returns (MSI address, MSI data) to program into
    /// the device.
    ///
    /// # Errors
    /// `RangeError` (no vector left), `DeleteFirst`/`FailedLookup` (slot).
    pub fn get_msi(self, root: CNode, index: u64, depth: u64) -> Result<(u64, u64), Error> {
        invoke(self, Label::IrqControlGetMsi, &[index, depth], &[root.cptr()]).map(|r| (r.mrs[0], r.mrs[1]))
    }
}

impl IrqHandler {
    /// Acknowledges (unmasks) the interrupt.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn ack(self) -> Result<(), Error> {
        invoke0(self, Label::IrqHandlerAck, &[], &[])
    }

    /// Delivers the interrupt as a signal on `ntfn`.
    ///
    /// # Errors
    /// `InvalidCapability` (`ntfn`).
    pub fn set_notification(self, ntfn: Notification) -> Result<(), Error> {
        invoke0(self, Label::IrqHandlerSetNotification, &[], &[ntfn.cptr()])
    }

    /// Stops delivering signals.
    ///
    /// # Errors
    /// `InvalidCapability`.
    pub fn clear(self) -> Result<(), Error> {
        invoke0(self, Label::IrqHandlerClear, &[], &[])
    }
}
