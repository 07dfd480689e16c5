//! Interrupts and I/O ports: IRQControl hands out one handler capability
//! per interrupt line, a handler acknowledges its line and names the
//! notification an interrupt signals; IOPortControl issues disjoint port
//! ranges, and an I/O port capability reads and writes ports inside its
//! range (every port of the access, so `port + width - 1` must not pass
//! the last one).
//!
//! The machine is the refinement harness's mock: IOAPIC inputs from 24 up
//! cannot be routed, port reads return 0, and port writes are reported as
//! [`Outcome::PortOut`] events of [`MACHINE`].

use crate::Events;
use crate::inv::Args;
use crate::state::{Addr, Cap, CapKind, MACHINE, Outcome, SlotId, State};
use rampart_abi::{Error, Label, Rights};

/// State of an interrupt line with a handler capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Irq {
    /// Notification to signal, with the badge.
    pub ntfn: Option<Addr>,
    /// Badge given with the notification (kept when it is destroyed).
    pub badge: u64,
    /// Fired and not yet acknowledged.
    pub pending_ack: bool,
}

/// First kernel IRQ number of IOAPIC inputs.
pub const IRQ_IOAPIC_BASE: u64 = 1;
/// IOAPIC inputs accepted.
pub const IOAPIC_INPUTS: u64 = 120;
/// IOAPIC inputs the harness's machine can route.
pub const ROUTABLE_GSIS: u64 = 24;
/// First kernel IRQ number of MSIs.
pub const IRQ_MSI_BASE: u64 = 128;
/// Number of kernel IRQ numbers.
pub const IRQS: u64 = 224;

impl State {
    /// An interrupt arrives on line `irq`: a line with a handler is masked
    /// until acknowledged and signals its notification.
    pub fn interrupt(&mut self, irq: u64, ev: &mut Events) {
        let Some(e) = self.irqs.get_mut(&irq) else { return };
        e.pending_ack = true;
        let (n, b) = (e.ntfn, e.badge);
        if let Some(n) = n {
            self.signal(n, b, ev);
        }
    }

    /// The last handler capability of `irq` is gone.
    pub fn irq_handler_destroyed(&mut self, irq: u64) {
        self.irqs.remove(&irq);
    }

    /// IRQControl and IRQHandler invocations.
    ///
    /// # Errors
    /// As the ABI describes.
    pub fn invoke_irq(&mut self, slot: SlotId, cap: Cap, label: Label, a: &Args) -> Result<Outcome, Error> {
        match (cap.kind, label) {
            (CapKind::IrqControl, Label::IrqControlGetIoapic | Label::IrqControlGetMsi) => {
                let (_, root) = a.extra(0)?;
                let (index, _depth) = (a.mr(0)?, a.mr(1)?);
                let dest = self.empty_slot_at(root, index)?;
                let irq = if label == Label::IrqControlGetIoapic {
                    let gsi = a.mr(2)?;
                    if gsi >= IOAPIC_INPUTS {
                        return Err(Error::RangeError);
                    }
                    let irq = IRQ_IOAPIC_BASE + gsi;
                    if self.irqs.contains_key(&irq) {
                        return Err(Error::RevokeFirst);
                    }
                    let (_level, _low) = (a.mr(3)?, a.mr(4)?);
                    if gsi >= ROUTABLE_GSIS {
                        return Err(Error::InvalidArgument);
                    }
                    irq
                } else {
                    (IRQ_MSI_BASE..IRQS - 1).find(|i| !self.irqs.contains_key(i)).ok_or(Error::RevokeFirst)?
                };
                self.irqs.insert(irq, Irq::default());
                self.cap_insert(Cap::new(CapKind::IrqHandler(irq)), slot, dest);
                if label == Label::IrqControlGetMsi {
                    return Ok(Outcome::Words { n: 2, w: [0xfee0_0000, 32 + irq] });
                }
                Ok(Outcome::Ok)
            }
            (CapKind::IrqHandler(irq), _) => {
                if !self.irqs.contains_key(&irq) {
                    return Err(Error::InvalidCapability);
                }
                match label {
                    Label::IrqHandlerAck => self.irqs.entry(irq).or_default().pending_ack = false,
                    Label::IrqHandlerSetNotification => {
                        let Some(Cap { kind: CapKind::Notification(n), rights, badge }) = a.extra(0)?.1 else {
                            return Err(Error::InvalidCapability);
                        };
                        if !rights.contains(Rights::WRITE) {
                            return Err(Error::InvalidCapability);
                        }
                        let e = self.irqs.entry(irq).or_default();
                        (e.ntfn, e.badge) = (Some(n), badge);
                    }
                    Label::IrqHandlerClear => {
                        let e = self.irqs.entry(irq).or_default();
                        (e.ntfn, e.badge) = (None, 0);
                    }
                    _ => return Err(Error::IllegalOperation),
                }
                Ok(Outcome::Ok)
            }
            _ => Err(Error::IllegalOperation),
        }
    }

    /// IOPortControl and IOPort invocations.
    ///
    /// # Errors
    /// As the ABI describes.
    pub fn invoke_ioport(
        &mut self,
        slot: SlotId,
        cap: Cap,
        label: Label,
        a: &Args,
        ev: &mut Events,
    ) -> Result<Outcome, Error> {
        if cap.kind == CapKind::IoPortControl {
            if label != Label::IoPortControlIssue {
                return Err(Error::IllegalOperation);
            }
            let (first, last) = (a.mr(0)?, a.mr(1)?);
            if first > last || last > 0xffff {
                return Err(Error::RangeError);
            }
            let (_, root) = a.extra(0)?;
            let (index, _depth) = (a.mr(2)?, a.mr(3)?);
            let dest = self.empty_slot_at(root, index)?;
            if self.io_ports.iter().any(|&(f, l)| u64::from(f) <= last && first <= u64::from(l)) {
                return Err(Error::RevokeFirst);
            }
            let (first, last) = (first as u16, last as u16);
            self.io_ports.insert((first, last));
            self.cap_insert(Cap::new(CapKind::IoPort { first, last }), slot, dest);
            return Ok(Outcome::Ok);
        }
        let CapKind::IoPort { first, last } = cap.kind else { return Err(Error::IllegalOperation) };
        let port = a.mr(0)?;
        let (width, out) = match label {
            Label::IoPortIn8 => (1, false),
            Label::IoPortIn16 => (2, false),
            Label::IoPortIn32 => (4, false),
            Label::IoPortOut8 => (1, true),
            Label::IoPortOut16 => (2, true),
            Label::IoPortOut32 => (4, true),
            _ => return Err(Error::IllegalOperation),
        };
        // Every port of the access must be in the range.
        if port < u64::from(first) || u128::from(port) + width - 1 > u128::from(last) {
            return Err(Error::RangeError);
        }
        if !out {
            return Ok(Outcome::Words { n: 1, w: [0, 0] });
        }
        let value = a.mr(1)? as u32;
        ev.push((MACHINE, Outcome::PortOut { port: port as u16, width: width as u8, value }));
        Ok(Outcome::Ok)
    }

    /// The last capability to ports `first..=last` is gone.
    pub fn ports_released(&mut self, first: u16, last: u16) {
        self.io_ports.remove(&(first, last));
    }

    /// Notification `n` is destroyed: nothing refers to it any more.
    pub fn ntfn_unreferenced(&mut self, n: Addr) {
        for e in self.irqs.values_mut() {
            if e.ntfn == Some(n) {
                e.ntfn = None;
            }
        }
        let ts: Vec<Addr> = self
            .objects
            .iter()
            .filter_map(|(&a, o)| matches!(o, crate::state::Object::Tcb(x) if x.bound_ntfn == Some(n)).then_some(a))
            .collect();
        for t in ts {
            self.tcb_mut(t).bound_ntfn = None;
        }
    }
}
