//! A driver's device: its grants from devmgr, configuration access over
//! the devmgr channel, its event notification and capability slots.
//!
//! [`claim`] collects every grant in [`DriverInfo::grants`] order: frames
//! are mapped uncached with rm's `DeviceMap` (one device region per BAR,
//! at the page's offset in the BAR; the frame capability moves to rm, so
//! the driver's CSpace keeps none) and registered with the HAL; the
//! interrupt handler and I/O port capabilities stay in the driver's slots.

use crate::hal;
use crate::virtio::{self, Regs16, VirtioCap};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use rampart_abi::Rights;
use rampart_devmgr_api::rt::Devmgr;
use rampart_devmgr_api::{BarKind, DriverInfo, Grant, IrqKind};
use rampart_rm_api::DEVICE_MAX_PAGES;
use rampart_rt::cap::{CNode, CPtr, IoPort, IrqHandler, Notification};
use rampart_uabi::Errno;
use rampart_uabi::startup::slot;
use virtio_drivers::transport::pci::bus::{ConfigurationAccess, DeviceFunction};

/// Badge bit of the interrupt on the driver's notification.
pub const EVENT_IRQ: u64 = 1 << 8;
/// Badge bit of the client's signal ("rings have entries").
pub const EVENT_CLIENT: u64 = 1 << 9;

static NEXT_SLOT: AtomicU64 = AtomicU64::new(slot::FIRST_FREE);

/// A free slot of the driver's CNode (slots are never returned: a driver
/// takes a fixed handful at start).
///
/// # Errors
/// `ENOSPC` past the CNode's end.
pub fn slot() -> Result<CPtr, Errno> {
    let s = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
    if s >= 1 << rampart_uabi::startup::CNODE_RADIX { Err(Errno::ENOSPC) } else { Ok(s) }
}

/// The driver's CNode.
pub const CNODE: CNode = CNode(slot::CNODE);

/// A BAR's pages mapped in the driver.
#[derive(Clone, Copy, Debug)]
pub struct MappedBar {
    /// BAR index.
    pub index: u8,
    /// Physical base of the BAR.
    pub paddr: u64,
    /// Virtual address of the BAR's first page (pages not granted, such as
    /// the MSI-X table, are left unmapped).
    pub vaddr: u64,
}

/// Everything a driver was given.
pub struct Claimed {
    /// The assignment.
    pub info: DriverInfo,
    /// The channel to devmgr.
    pub devmgr: Devmgr,
    /// Mapped BARs.
    pub bars: Vec<MappedBar>,
    /// The interrupt (handler not yet routed: see [`Claimed::route_irq`]).
    pub irq: Option<(IrqHandler, IrqKind)>,
    /// I/O port ranges: capability, first, last.
    pub ports: Vec<(IoPort, u16, u16)>,
}

/// Collects the driver's grants.
///
/// # Errors
/// `EBADF` (no devmgr channel), devmgr's and rm's errors, `EINVAL` (a
/// frame outside the BARs devmgr described).
pub fn claim() -> Result<Claimed, Errno> {
    let devmgr = Devmgr::driver().ok_or(Errno::EBADF)?;
    let info = devmgr.info()?;
    let mut c = Claimed { info: info.clone(), devmgr, bars: Vec::new(), irq: None, ports: Vec::new() };
    let mut regions: Vec<(u8, u32)> = Vec::new();
    for (i, g) in info.grants.iter().enumerate() {
        let s = slot()?;
        devmgr.get_cap(i as u32, s)?;
        match *g {
            Grant::Frame { bar, paddr } => {
                let b = info.bars.iter().find(|b| b.index == bar && b.kind != BarKind::Io).ok_or(Errno::EINVAL)?;
                let base = b.addr & !0xfff;
                let index = paddr.checked_sub(base).ok_or(Errno::EINVAL)? / 4096;
                let pages = b.size.div_ceil(4096).clamp(1, DEVICE_MAX_PAGES);
                let region = regions.iter().find(|r| r.0 == bar).map(|r| r.1);
                let r = rampart_rt::rm::device_map(region, pages, index, s)?;
                if region.is_none() {
                    regions.push((bar, r.id));
                    c.bars.push(MappedBar { index: bar, paddr: base, vaddr: r.vaddr });
                }
                hal::register_mmio(paddr, r.vaddr + index * 4096);
                // rm keeps the copy that maps the page; ours is not needed.
                let _ = CNODE.delete(s, 64);
            }
            Grant::IoPort { first, last } => c.ports.push((IoPort(s), first, last)),
            Grant::Irq(kind) => c.irq = Some((IrqHandler(s), kind)),
        }
    }
    Ok(c)
}

/// Mints a badged copy of the task's notification (slot 5) with `badge`
/// and write-only rights, for a signaller.
///
/// # Errors
/// `ENOSPC`, `EIO`.
pub fn event_cap(badge: u64) -> Result<Notification, Errno> {
    let s = slot()?;
    CNODE.mint(s, 64, CNODE.path(slot::NOTIFICATION, 64), Rights::WRITE, badge).map_err(|_| Errno::EIO)?;
    Ok(Notification(s))
}

/// The task's notification (what the driver waits on).
pub fn events() -> Notification {
    Notification(slot::NOTIFICATION)
}

impl Claimed {
    /// Routes the interrupt to the task's notification with badge
    /// [`EVENT_IRQ`] and acknowledges it once (unmasks it).
    ///
    /// # Errors
    /// `ENODEV` (no interrupt granted), `EIO`.
    pub fn route_irq(&self) -> Result<IrqHandler, Errno> {
        let (h, _) = self.irq.ok_or(Errno::ENODEV)?;
        let n = event_cap(EVENT_IRQ)?;
        h.set_notification(n).map_err(|_| Errno::EIO)?;
        h.ack().map_err(|_| Errno::EIO)?;
        Ok(h)
    }

    /// The PCI function as `virtio-drivers` names it.
    pub fn function(&self) -> DeviceFunction {
        DeviceFunction { bus: self.info.bdf.bus, device: self.info.bdf.device, function: self.info.bdf.function }
    }

    /// The virtio structure `cfg_type`, checked to lie in mapped pages.
    ///
    /// # Errors
    /// `ENODEV` (absent or not inside the granted pages).
    pub fn structure(&self, cfg_type: u8) -> Result<(VirtioCap, u64), Errno> {
        let d = self.devmgr;
        let cap = virtio::find_cap(&mut |o| d.config_read(o).ok(), cfg_type).ok_or(Errno::ENODEV)?;
        let bar = self.info.bars.iter().find(|b| b.index == cap.bar && b.kind != BarKind::Io).ok_or(Errno::ENODEV)?;
        if u64::from(cap.offset) + u64::from(cap.length) > bar.size {
            return Err(Errno::ENODEV);
        }
        let v = hal::mmio_virt(bar.addr + u64::from(cap.offset), u64::from(cap.length)).ok_or(Errno::ENODEV)?;
        Ok((cap, v))
    }

    /// Checks that the common, notify, ISR and device structures lie in the
    /// driver's pages (so `virtio-drivers` never asks the HAL for others).
    ///
    /// # Errors
    /// `ENODEV`.
    pub fn check_structures(&self) -> Result<(), Errno> {
        for t in [virtio::CAP_COMMON, virtio::CAP_NOTIFY, virtio::CAP_ISR] {
            self.structure(t)?;
        }
        let d = self.devmgr;
        if virtio::find_cap(&mut |o| d.config_read(o).ok(), virtio::CAP_DEVICE).is_some() {
            self.structure(virtio::CAP_DEVICE)?;
        }
        Ok(())
    }

    /// With MSI-X: routes queues `0..queues` to table entry 0 through the
    /// driver's own mapping of the common configuration (virtio 1.2
    /// §4.1.5.1.2; `virtio-drivers` leaves the vectors unset). No-op for
    /// other interrupt kinds.
    ///
    /// # Errors
    /// `ENODEV` (no common configuration), `EIO` (the device refused).
    pub fn route_virtio_vectors(&self, queues: u16) -> Result<(), Errno> {
        let Some((_, IrqKind::MsiX { entry })) = self.irq else { return Ok(()) };
        let (cap, v) = self.structure(virtio::CAP_COMMON)?;
        if u64::from(cap.length) < virtio::common::LEN {
            return Err(Errno::ENODEV);
        }
        virtio::route_vectors(&mut CommonCfg(v), queues, entry, virtio::NO_VECTOR).map_err(|_| Errno::EIO)
    }
}

/// The common configuration mapped at this address.
struct CommonCfg(u64);

impl Regs16 for CommonCfg {
    fn read16(&mut self, off: u64) -> u16 {
        // SAFETY: `off` is one of `virtio::common`'s register offsets, below
        // `common::LEN`, and the structure (checked to be at least that long)
        // is mapped uncached at `self.0`; MMIO needs volatile access.
        unsafe { core::ptr::read_volatile((self.0 + off) as *const u16) }
    }
    fn write16(&mut self, off: u64, v: u16) {
        // SAFETY: as `read16`.
        unsafe { core::ptr::write_volatile((self.0 + off) as *mut u16, v) }
    }
}

/// Configuration space through devmgr (`ConfigRead`/`ConfigWrite`, the
/// driver's filtered view of its own function).
pub struct DevmgrCam(pub Devmgr);

impl ConfigurationAccess for DevmgrCam {
    fn read_word(&self, _f: DeviceFunction, register_offset: u8) -> u32 {
        self.0.config_read(u16::from(register_offset)).unwrap_or(0xffff_ffff)
    }

    fn write_word(&mut self, _f: DeviceFunction, register_offset: u8, data: u32) {
        // A refused write (EPERM) leaves the register as devmgr set it; the
        // reads that follow show what the device really does.
        let _ = self.0.config_write(u16::from(register_offset), data);
    }

    unsafe fn unsafe_clone(&self) -> Self {
        DevmgrCam(self.0)
    }
}

/// Names of the capability types `DebugCapIdentify` reports
/// (`rampart_abi::CapType` numbers).
const CAP_NAMES: [&str; 23] = [
    "null",
    "untyped",
    "endpoint",
    "notification",
    "reply",
    "cnode",
    "tcb",
    "schedcontext",
    "schedcontrol",
    "irqcontrol",
    "irqhandler",
    "ioportcontrol",
    "ioport",
    "asidcontrol",
    "asidpool",
    "frame",
    "pagetable",
    "pagedirectory",
    "pdpt",
    "vspace",
    "zombie",
    "audit",
    "log",
];

/// The driver's own census of its CSpace (every slot of its CNode through
/// the test kernel's `DebugCapIdentify`), as `type=count` pairs: what a
/// test compares with what the driver should hold (docs/devices.md §3).
/// Empty on the release kernel, which has no such call.
pub fn cspace_census() -> alloc::string::String {
    if !rampart_rt::syscall::debug_syscalls() {
        return alloc::string::String::new();
    }
    let mut counts = [0u32; 24];
    for s in 1..(1u64 << rampart_uabi::startup::CNODE_RADIX) {
        let t = rampart_rt::syscall::debug_cap_identify(s) as usize;
        counts[t.min(23)] += 1;
    }
    let mut out = alloc::string::String::new();
    for (i, n) in counts.iter().enumerate().skip(1) {
        if *n > 0 {
            let name = CAP_NAMES.get(i).copied().unwrap_or("other");
            out.push_str(&alloc::format!(" {name}={n}"));
        }
    }
    out
}

/// Deletes the capability in slot `s` (one the driver handed on and no
/// longer needs).
pub fn drop_cap(s: CPtr) {
    let _ = CNODE.delete(s, 64);
}
