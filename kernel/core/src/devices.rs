//! Interrupts and I/O ports (seL4 Reference Manual §9.3, §10.4 x86 IO ports).
//!
//! IRQControl hands out one IRQHandler capability per interrupt line (an
//! IOAPIC input or an MSI vector); the kernel masks a line when it fires,
//! signals the handler's notification, and unmasks it when the handler
//! acknowledges. IOPortControl hands out capabilities to disjoint port
//! ranges; port I/O is performed by the kernel on invocation.

use crate::cap::Cap;
use crate::invoke::{Inv, InvError, InvResult, expect};
use crate::kernel::{IRQ_TIMER, IRQS, IrqEntry, Kernel};
use crate::machine::{IrqRoute, Machine};
use crate::object::NtfnRef;
use crate::slot;
use rampart_abi::{CapType, Error, Label, Rights};

/// First kernel IRQ number used for IOAPIC inputs (GSI 0 = IRQ 1).
pub const IRQ_IOAPIC_BASE: u64 = 1;
/// Number of IOAPIC inputs supported.
pub const IOAPIC_INPUTS: u64 = 120;
/// First kernel IRQ number used for MSIs.
pub const IRQ_MSI_BASE: u64 = 128;

impl<M: Machine> Kernel<M> {
    /// An interrupt arrived on kernel IRQ `irq`.
    pub fn handle_interrupt(&mut self, irq: u8) {
        if irq == IRQ_TIMER {
            self.timer_tick();
            return;
        }
        let Some(e) = self.irqs.get(irq as usize).copied() else { return };
        if !e.active {
            self.m.irq_mask(irq, true);
            return;
        }
        self.m.irq_mask(irq, true);
        self.irqs[irq as usize].pending_ack = true;
        if e.ntfn != 0 {
            self.signal(NtfnRef(e.ntfn), e.badge);
        }
    }

    pub(crate) fn irq_handler_destroyed(&mut self, irq: usize) {
        if irq < IRQS {
            self.m.irq_mask(irq as u8, true);
            self.irqs[irq] = IrqEntry::default();
        }
    }

    pub(crate) fn io_ports_released(&mut self, (first, last): (u16, u16)) {
        for p in first..=last {
            self.io_ports[p as usize / 64] &= !(1 << (p % 64));
        }
    }

    pub(crate) fn inv_irq(&mut self, inv: &Inv) -> InvResult {
        let root = self.cspace_root(inv.t);
        match (inv.cap.cap_type(), inv.label) {
            (CapType::IrqControl, Some(l @ (Label::IrqControlGetIoapic | Label::IrqControlGetMsi))) => {
                let (_, dest_root) = inv.extra(root, 0)?;
                let dest = self.empty_slot_at(dest_root, inv.mr(0)?, inv.mr(1)?)?;
                let (irq, route) = if l == Label::IrqControlGetIoapic {
                    let gsi = inv.mr(2)?;
                    if gsi >= IOAPIC_INPUTS {
                        return Err(InvError::with2(Error::RangeError, 0, IOAPIC_INPUTS - 1));
                    }
                    let irq = IRQ_IOAPIC_BASE + gsi;
                    if self.irqs[irq as usize].active {
                        return Err(InvError::new(Error::RevokeFirst));
                    }
                    (irq, IrqRoute::Ioapic { gsi: gsi as u32, level: inv.mr(3)? != 0, active_low: inv.mr(4)? != 0 })
                } else {
                    let irq = (IRQ_MSI_BASE..IRQS as u64 - 1)
                        .find(|&i| !self.irqs[i as usize].active)
                        .ok_or(InvError::new(Error::RevokeFirst))?;
                    (irq, IrqRoute::Msi)
                };
                if !self.m.irq_route(irq as u8, route) {
                    return Err(InvError::with(Error::InvalidArgument, 2));
                }
                self.irqs[irq as usize] = IrqEntry { active: true, ntfn: 0, badge: 0, pending_ack: false };
                self.m.irq_mask(irq as u8, false);
                slot::insert(Cap::irq_handler(irq), inv.slot, dest);
                if l == Label::IrqControlGetMsi {
                    let (addr, data) = self.m.msi_message(irq as u8);
                    inv.set_result(0, addr);
                    inv.set_result(1, data);
                    return Ok(2);
                }
                Ok(0)
            }
            (CapType::IrqHandler, Some(l)) => {
                let irq = inv.cap.irq() as usize;
                if irq >= IRQS || !self.irqs[irq].active {
                    return Err(InvError::new(Error::InvalidCapability));
                }
                match l {
                    Label::IrqHandlerAck => {
                        self.irqs[irq].pending_ack = false;
                        self.m.irq_mask(irq as u8, false);
                    }
                    Label::IrqHandlerSetNotification => {
                        let (_, n) = inv.extra(root, 0)?;
                        expect(n, CapType::Notification, 0)?;
                        if !n.rights().contains(Rights::WRITE) {
                            return Err(InvError::with(Error::InvalidCapability, 0));
                        }
                        self.irqs[irq].ntfn = n.paddr();
                        self.irqs[irq].badge = n.badge();
                    }
                    Label::IrqHandlerClear => {
                        self.irqs[irq].ntfn = 0;
                        self.irqs[irq].badge = 0;
                    }
                    _ => return Err(InvError::new(Error::IllegalOperation)),
                }
                Ok(0)
            }
            _ => Err(InvError::new(Error::IllegalOperation)),
        }
    }

    pub(crate) fn inv_ioport(&mut self, inv: &Inv) -> InvResult {
        let root = self.cspace_root(inv.t);
        let label = inv.label.ok_or(InvError::new(Error::IllegalOperation))?;
        if inv.cap.cap_type() == CapType::IoPortControl {
            if label != Label::IoPortControlIssue {
                return Err(InvError::new(Error::IllegalOperation));
            }
            let (first, last) = (inv.mr(0)?, inv.mr(1)?);
            if first > last || last > 0xffff {
                return Err(InvError::with2(Error::RangeError, 0, 0xffff));
            }
            let (_, dest_root) = inv.extra(root, 0)?;
            let dest = self.empty_slot_at(dest_root, inv.mr(2)?, inv.mr(3)?)?;
            if (first..=last).any(|p| self.io_ports[p as usize / 64] & (1 << (p % 64)) != 0) {
                return Err(InvError::new(Error::RevokeFirst));
            }
            for p in first..=last {
                self.io_ports[p as usize / 64] |= 1 << (p % 64);
            }
            slot::insert(Cap::io_port(first as u16, last as u16), inv.slot, dest);
            return Ok(0);
        }
        let (lo, hi) = inv.cap.io_range();
        let port = inv.mr(0)?;
        let width: u64 = match label {
            Label::IoPortIn8 | Label::IoPortOut8 => 1,
            Label::IoPortIn16 | Label::IoPortOut16 => 2,
            Label::IoPortIn32 | Label::IoPortOut32 => 4,
            _ => return Err(InvError::new(Error::IllegalOperation)),
        };
        // `port` is any 64-bit value: the last port touched is computed
        // without overflow (a wrapped sum once let a capability for port
        // 0x80 reach 0xFFFE, and panicked with overflow checks).
        let last = port.checked_add(width - 1);
        if port < u64::from(lo) || last.is_none_or(|l| l > u64::from(hi)) {
            return Err(InvError::with2(Error::RangeError, u64::from(lo), u64::from(hi)));
        }
        match label {
            Label::IoPortIn8 | Label::IoPortIn16 | Label::IoPortIn32 => {
                let v = self.m.io_in(port as u16, width as u8);
                inv.set_result(0, u64::from(v));
                Ok(1)
            }
            _ => {
                self.m.io_out(port as u16, width as u8, inv.mr(1)? as u32);
                Ok(0)
            }
        }
    }
}
