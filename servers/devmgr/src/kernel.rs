//! devmgr's kernel resources: the boot capabilities moved into its own
//! CSpace, a slot allocator, configuration-space access through ports
//! 0xCF8/0xCFC (PCI Local Bus 3.0 §3.2.2.3.2), device-memory carving and
//! frames.

use rampart_abi::ObjectType;
use rampart_abi::bootinfo::BootInfo;
use rampart_devmgr_api::{Bdf, boot as dslot};
use rampart_devmgr_core::devmem::{DeviceMemory, SplitFailed, UntypedOps};
use rampart_devmgr_core::pci::{ConfigSpace, cf8_address};
use rampart_rt::cap::{CNode, CPtr, Endpoint, IoPort, IoPortControl, IrqControl, Untyped};
use rampart_uabi::startup::slot;

/// devmgr's CNode (slot = capability pointer).
pub const CNODE: CNode = CNode(slot::CNODE);

/// Slots of devmgr's CNode, handed out upwards.
pub struct Slots {
    next: u64,
    end: u64,
}

impl Slots {
    /// `n` consecutive free slots.
    pub fn alloc(&mut self, n: u64) -> Option<CPtr> {
        let s = self.next;
        if s + n > self.end {
            return None;
        }
        self.next += n;
        Some(s)
    }
}

/// Configuration space through mechanism #1.
pub struct PortConfig(pub IoPort);

impl ConfigSpace for PortConfig {
    fn read(&mut self, bdf: Bdf, offset: u16) -> u32 {
        if self.0.out32(0xcf8, cf8_address(bdf, offset)).is_err() {
            return 0xffff_ffff;
        }
        self.0.in32(0xcfc).unwrap_or(0xffff_ffff)
    }

    fn write(&mut self, bdf: Bdf, offset: u16, value: u32) {
        if self.0.out32(0xcf8, cf8_address(bdf, offset)).is_ok() {
            let _ = self.0.out32(0xcfc, value);
        }
    }
}

struct Split<'a>(&'a mut Slots);

impl UntypedOps for Split<'_> {
    fn split(&mut self, ut: u64, child_bits: u8) -> Result<(u64, u64), SplitFailed> {
        let s = self.0.alloc(2).ok_or(SplitFailed)?;
        Untyped(ut).retype(ObjectType::Untyped, u64::from(child_bits), CNODE, 0, 0, s, 2).map_err(|_| SplitFailed)?;
        Ok((s, s + 1))
    }
}

/// Everything devmgr holds.
pub struct Kernel {
    /// Slot allocator.
    pub slots: Slots,
    /// IRQControl.
    pub irq: IrqControl,
    /// IOPortControl.
    pub ports: IoPortControl,
    /// devmgr's endpoint.
    pub ep: Endpoint,
    /// Configuration space.
    pub cfg: PortConfig,
    /// Device memory.
    pub devmem: DeviceMemory,
}

impl Kernel {
    /// Moves the boot capabilities into devmgr's CNode and reads the
    /// untyped descriptions from the boot information.
    ///
    /// # Errors
    /// A description of the step that failed.
    pub fn boot() -> Result<Kernel, &'static str> {
        let caps = CNode(rampart_rt::startup::named_cap(dslot::CAPS).ok_or("no devcaps capability")?);
        let radix = u64::from(dslot::RADIX);
        let mut slots = Slots { next: slot::FIRST_FREE, end: 1 << rampart_uabi::startup::CNODE_RADIX };
        let mut take = |src: u64| -> Result<CPtr, &'static str> {
            let s = slots.alloc(1).ok_or("out of slots")?;
            CNODE.move_(s, 64, caps.path(src, radix)).map_err(|_| "moving a boot capability")?;
            Ok(s)
        };
        let irq = IrqControl(take(dslot::IRQ_CONTROL)?);
        let ports = IoPortControl(take(dslot::IO_PORT_CONTROL)?);
        let ep = Endpoint(take(dslot::ENDPOINT)?);
        let bi_frame = take(dslot::BOOTINFO)?;
        let bi_region = rampart_rt::rm::device_map(None, 1, 0, bi_frame).map_err(|_| "mapping the boot information")?;
        // SAFETY: rm mapped the boot-information frame (one page holding a
        // `BootInfo`, read-only) at this address for devmgr's life.
        let bi: &BootInfo = unsafe { &*(bi_region.vaddr as *const BootInfo) };
        let mut devmem = DeviceMemory::new();
        for (i, u) in bi.untypeds().iter().enumerate() {
            let src = dslot::UNTYPED_FIRST + i as u64;
            if u.is_device == 1 && src < (1 << dslot::RADIX) {
                let s = slots.alloc(1).ok_or("out of slots")?;
                if CNODE.move_(s, 64, caps.path(src, radix)).is_ok() {
                    devmem.add(s, u.paddr, u.size_bits);
                }
            }
        }
        // The configuration ports: from init (which shares the range with
        // rm's reset register), else issued here.
        let cf8 = slots.alloc(1).ok_or("out of slots")?;
        if CNODE.move_(cf8, 64, caps.path(dslot::PCI_CONFIG, radix)).is_err() {
            ports.issue(0xcf8, 0xcff, CNODE, cf8, 64).map_err(|_| "issuing ports 0xcf8-0xcff")?;
        }
        Ok(Kernel { slots, irq, ports, ep, cfg: PortConfig(IoPort(cf8)), devmem })
    }

    /// Frame capabilities for the `2^bits`-byte block at `paddr` (a BAR),
    /// in consecutive slots, one per 4 KiB page.
    ///
    /// # Errors
    /// A description of the failure.
    pub fn frames(&mut self, paddr: u64, bits: u8) -> Result<CPtr, &'static str> {
        let ut = self.devmem.carve(&mut Split(&mut self.slots), paddr, bits).map_err(|_| "carving device memory")?;
        let n = 1u64 << (bits - 12);
        let s = self.slots.alloc(n).ok_or("out of slots")?;
        let mut done = 0;
        while done < n {
            let c = (n - done).min(256);
            Untyped(ut).retype(ObjectType::Frame4K, 0, CNODE, 0, 0, s + done, c).map_err(|_| "retyping frames")?;
            done += c;
        }
        Ok(s)
    }
}
