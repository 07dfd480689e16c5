//! devmgr, the device manager (docs/devices.md).
//!
//! Started by init with one CNode of boot capabilities
//! (`rampart_devmgr_api::boot`): it enumerates PCI through ports
//! 0xCF8/0xCFC, starts one driver task per device it has a driver for
//! (through rm, naming it with `DeviceGrant`), gives each driver exactly
//! its grants, programs interrupts, and brokers the attachment of a client
//! to a driver. It also starts the 16550 serial driver.
#![no_std]
#![no_main]

extern crate alloc;

// Reads the boot information page rm maps for it (a raw `BootInfo` view).
#[allow(unsafe_code)]
mod kernel;
mod security;
// MMIO: volatile writes to a device's mapped configuration space.
#[allow(unsafe_code)]
mod serve;

use crate::kernel::Kernel;
use crate::serve::{Devmgr, Driver};
use alloc::string::ToString;
use alloc::vec::Vec;
use rampart_devmgr_core::assign::{self, DriverSpec};
use rampart_devmgr_core::pci;
use rampart_rt::dprintln;

rampart_rt::program!(main);

fn main() -> i32 {
    let mut k = match Kernel::boot() {
        Ok(k) => k,
        Err(e) => {
            rampart_rt::pr_err!("devmgr: cannot start: {e}");
            return 1;
        }
    };
    let funcs = pci::enumerate(&mut k.cfg, 3);
    for f in &funcs {
        dprintln!(
            "devmgr: pci {} {:04x}:{:04x} class {:02x}{:02x}{:02x} bars {} caps {}{}{}",
            f.bdf,
            f.vendor,
            f.device,
            f.class[0],
            f.class[1],
            f.class[2],
            f.bars.len(),
            f.caps.entries.len(),
            if f.caps.msix.is_some() { " msi-x" } else { "" },
            if f.caps.msi.is_some() { " msi" } else { "" }
        );
    }
    let mut dm = Devmgr::new(k);
    let mut counts: Vec<(&'static str, u32)> = Vec::new();
    for f in &funcs {
        let Some(spec) = assign::driver_for(f) else { continue };
        let n = next_index(&mut counts, spec.prefix);
        let name = alloc::format!("{}{n}", spec.prefix);
        let plan = assign::plan(f, &spec, &funcs);
        let r = dm.start_pci(f, &spec, &plan, &name);
        match r {
            Ok(pid) => dprintln!("devmgr: {} -> {} (pid {}), {} grants", name, spec.program, pid, plan.grants.len()),
            Err(e) => rampart_rt::pr_warn!("devmgr: {}: not started: {}", name, e),
        }
    }
    if serial() {
        let spec: DriverSpec = assign::SERIAL;
        match dm.start(Driver::serial(spec), "serial0") {
            Ok(pid) => dprintln!("devmgr: serial0 -> {} (pid {pid})", spec.program),
            Err(e) => dprintln!("devmgr: serial0: {e}"),
        }
    }
    dprintln!("devmgr: ready, {} driver(s)", dm.drivers.len());
    let _ = "".to_string();
    dm.run()
}

fn next_index(counts: &mut Vec<(&'static str, u32)>, prefix: &'static str) -> u32 {
    match counts.iter_mut().find(|c| c.0 == prefix) {
        Some(c) => {
            c.1 += 1;
            c.1 - 1
        }
        None => {
            counts.push((prefix, 1));
            0
        }
    }
}

/// Whether to start the serial driver: only when init passes `serial`
/// (kernel command line `devmgr.serial`). Until the console server moves
/// to the driver's byte rings it owns COM1 itself (ports and IRQ 4 from
/// init), and both cannot hold the line.
fn serial() -> bool {
    rampart_rt::process::args().iter().any(|a| a == "serial")
}
