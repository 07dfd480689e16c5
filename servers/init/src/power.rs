//! The machine's power-control registers (docs/resource-manager.md,
//! "Power"): init finds them and issues I/O port capabilities for them,
//! which it moves into rm's CNode when it builds rm, so rm is their only
//! holder (IOPortControl issues each port once; devmgr, which gets
//! IOPortControl later, cannot issue them again).
//!
//! - QEMU's `isa-debug-exit` at 0xf4 (the runner always adds it), if a
//!   read of the port answers like the device (0, where an unassigned port
//!   reads all ones);
//! - ACPI S5: PM1a/PM1b control blocks and the SMI command port from the
//!   FADT, `SLP_TYP` from the DSDT's `\_S5` (`rampart_acpi`, tables read
//!   through [`crate::acpimem`]);
//! - reset: the FADT's reset register, else the PCI reset control
//!   register 0xcf9 (value 0x06: full reset). Both usually lie inside the
//!   PCI configuration ports 0xcf8-0xcff, which devmgr needs for
//!   configuration mechanism #1 and which IOPortControl cannot split, so
//!   init issues that range once: rm gets a copy, devmgr the original
//!   (devcaps slot `PCI_CONFIG`).

use crate::acpimem::AcpiMem;
use alloc::vec::Vec;
use rampart_abi::bootinfo::{BootInfo, slot};
use rampart_abi::{Error, Rights};
use rampart_rm_api::boot::{PowerPorts, S5Ports, slot as rslot};
use rampart_rt::alloc::Allocator;
use rampart_rt::cap::{CNode, CPtr, IoPort, IoPortControl};
use rampart_rt::dprintln;

/// QEMU's `isa-debug-exit` port (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
pub const DEBUG_EXIT_PORT: u16 = 0xf4;
/// PCI configuration mechanism #1 ports (CONFIG_ADDRESS, CONFIG_DATA).
pub const PCI_CONFIG: (u16, u16) = (0xcf8, 0xcff);
/// The PCI reset control register and its full-reset value (used when the
/// FADT has no reset register).
pub const RESET_CONTROL: (u16, u8) = (0xcf9, 0x06);

/// What init found: the description for rm, the capabilities to move into
/// rm's CNode (`(rm slot, init slot)`), and the PCI configuration ports
/// for devmgr.
pub struct Power {
    /// For `RmBoot::power`.
    pub ports: PowerPorts,
    /// Capabilities for rm's `slot::POWER_*` slots.
    pub caps: Vec<(u64, CPtr)>,
    /// Ports 0xcf8-0xcff for devmgr.
    pub pci_config: Option<CPtr>,
}

fn issue(alloc: &mut Allocator, first: u16, last: u16) -> Result<CPtr, Error> {
    let s = alloc.slot()?;
    IoPortControl(slot::IO_PORT_CONTROL).issue(first, last, CNode(slot::CNODE), s, 64)?;
    Ok(s)
}

/// A capability for `first..=last` for rm: a copy of the PCI configuration
/// range if inside it, else a new one.
fn port_cap(alloc: &mut Allocator, pci: Option<CPtr>, first: u16, last: u16) -> Option<CPtr> {
    let r = match pci {
        Some(p) if first >= PCI_CONFIG.0 && last <= PCI_CONFIG.1 => alloc.copy(p, Rights::ALL),
        _ => issue(alloc, first, last),
    };
    r.inspect_err(|e| dprintln!("init: power: ports {first:#x}-{last:#x}: {e}")).ok()
}

fn debug_exit(alloc: &mut Allocator) -> Option<CPtr> {
    let s = issue(alloc, DEBUG_EXIT_PORT, DEBUG_EXIT_PORT + 3).ok()?;
    if IoPort(s).in32(DEBUG_EXIT_PORT) == Ok(0) {
        return Some(s);
    }
    // Not there: give the ports back (devmgr may issue them).
    let _ = CNode(slot::CNODE).delete(s, 64);
    None
}

fn acpi(bi: &BootInfo, alloc: &mut Allocator) -> Option<rampart_acpi::Power> {
    let len = (bi.rsdp_len as usize).min(bi.rsdp.len());
    let rsdp = rampart_acpi::Rsdp::parse(&bi.rsdp[..len])
        .inspect_err(|e| rampart_rt::pr_warn!("init: power: no ACPI ({e:?})"))
        .ok()?;
    let mut mem = AcpiMem::new(bi, alloc)?;
    let p = rampart_acpi::power(&mut mem, &rsdp);
    mem.release();
    p.inspect_err(|e| rampart_rt::pr_warn!("init: power: no FADT ({e:?})")).ok()
}

/// Finds the power-control registers and issues their port capabilities.
/// Call before anything else uses IOPortControl or the device untyped.
pub fn discover(bi: &BootInfo, alloc: &mut Allocator) -> Power {
    let mut out = Power { ports: PowerPorts::default(), caps: Vec::new(), pci_config: None };
    out.pci_config = issue(alloc, PCI_CONFIG.0, PCI_CONFIG.1).ok();
    let pci = out.pci_config;
    if let Some(s) = debug_exit(alloc) {
        out.ports.debug_exit = Some(DEBUG_EXIT_PORT);
        out.caps.push((rslot::POWER_DEBUG_EXIT, s));
    }
    let tables = acpi(bi, alloc);
    match tables.map(|t| t.s5) {
        Some(Ok(s5)) => {
            let a = port_cap(alloc, pci, s5.pm1a, s5.pm1a + 1);
            let b = a.and(s5.pm1b).and_then(|p| Some((p, port_cap(alloc, pci, p, p + 1)?)));
            if let Some(a) = a {
                out.caps.push((rslot::POWER_PM1A, a));
                out.caps.extend(b.map(|(_, c)| (rslot::POWER_PM1B, c)));
                out.ports.s5 = Some(S5Ports {
                    pm1a: s5.pm1a,
                    pm1b: b.map(|(p, _)| p),
                    slp_typ_a: s5.slp_typ_a,
                    slp_typ_b: s5.slp_typ_b,
                });
            }
        }
        Some(Err(e)) => rampart_rt::pr_warn!("init: power: no ACPI S5 ({e:?})"),
        None => {}
    }
    if out.ports.s5.is_some()
        && let Some(en) = tables.and_then(|t| t.acpi_enable)
        && let Some(c) = port_cap(alloc, pci, en.smi_cmd, en.smi_cmd)
    {
        out.caps.push((rslot::POWER_SMI_CMD, c));
        out.ports.acpi_enable = Some((en.smi_cmd, en.value));
    }
    let (port, value) = tables.and_then(|t| t.reset).map_or(RESET_CONTROL, |r| (r.port, r.value));
    if let Some(c) = port_cap(alloc, pci, port, port) {
        out.caps.push((rslot::POWER_RESET, c));
        out.ports.reset = Some((port, value));
    }
    dprintln!("init: power: {:x?}", out.ports);
    out
}
