//! The NVMe controller: registers in BAR0, the admin queue pair and one
//! I/O queue pair in the driver's DMA memory (NVM Express Base 1.4 §7.6.1
//! initialization). A completion is recognised by its phase tag; the
//! driver polls for it (admin commands, and I/O without MSI-X) or sleeps
//! until I/O completion queue 1's MSI-X vector fires.
//!
//! Every value read from the device is checked: a fatal status, a
//! completion naming a command not in flight, an error status or a device
//! that never answers within the bounded spin becomes `EIO`.

use rampart_drvkit::nvme::{self, Cap, Controller, Cqe, Namespace, Sqe, reg};
use rampart_drvkit::{device, hal};
use rampart_rt::cap::IrqHandler;
use rampart_uabi::Errno;

/// Entries of every queue (admin and I/O; CAP.MQES permits at least 2).
const ENTRIES: u16 = 64;
/// Spins of `yield_now` (or, with the interrupt, wake-ups) before a
/// command or a CSTS.RDY transition is given up on (each spin is a system
/// call; the bound is a few seconds under TCG). A device that never
/// raises the interrupt for an I/O command keeps the driver asleep, as for
/// blkdrv.
const SPINS: u32 = 2_000_000;
/// Namespace served.
pub const NSID: u32 = 1;

/// DMA pages of the controller area.
mod page {
    pub const ADMIN_SQ: u64 = 0;
    pub const ADMIN_CQ: u64 = 1;
    pub const IO_SQ: u64 = 2;
    pub const IO_CQ: u64 = 3;
    pub const IDENTIFY: u64 = 4;
    pub const PRP_LIST: u64 = 5;
    pub const COUNT: u64 = 8;
}

/// One queue pair's state (submission tail, completion head and phase).
struct Pair {
    qid: u16,
    sq: u64,
    cq: u64,
    tail: u16,
    head: u16,
    phase: bool,
}

impl Pair {
    /// The completion entry at the head.
    fn peek(&self) -> Cqe {
        let e = self.cq + u64::from(self.head) * nvme::CQE_BYTES;
        let mut d = [0u32; 4];
        for (i, w) in d.iter_mut().enumerate() {
            // SAFETY: entry `head` (< ENTRIES) of the completion page in
            // the controller area, written by the device.
            *w = unsafe { core::ptr::read_volatile((e + 4 * i as u64) as *const u32) };
        }
        Cqe::parse(d)
    }
}

/// An enabled controller.
pub struct Ctrl {
    bar: u64,
    cap: Cap,
    /// Controller area: virtual and physical base.
    area: (u64, u64),
    admin: Pair,
    io: Pair,
    next_cid: u16,
    /// The interrupt of I/O completion queue 1 (MSI-X), if it has one.
    irq: Option<IrqHandler>,
    /// Identify Controller.
    pub info: Controller,
    /// Namespace 1.
    pub ns: Namespace,
}

impl Ctrl {
    /// Resets and enables the controller whose registers are mapped at
    /// `bar` (at least `bar_len` bytes), identifies it and namespace 1,
    /// and creates I/O queue pair 1 (§7.6.1).
    ///
    /// # Errors
    /// `ENODEV` (no NVM command set, 4 KiB pages unsupported, doorbells
    /// outside the mapped BAR, no namespace 1 or an unsupported format),
    /// `EIO` (the controller failed or timed out), rm's errors.
    pub fn init(bar: u64, bar_len: u64, irq: Option<(IrqHandler, u16)>) -> Result<Ctrl, Errno> {
        let (r, paddr) = hal::dma_region(page::COUNT * nvme::PAGE)?;
        let mut c = Ctrl {
            bar,
            cap: Cap::parse(0),
            area: (r.vaddr, paddr),
            admin: Pair { qid: 0, sq: 0, cq: 0, tail: 0, head: 0, phase: true },
            io: Pair { qid: 1, sq: 0, cq: 0, tail: 0, head: 0, phase: true },
            next_cid: 0,
            irq: None,
            info: Controller { max_transfer: 0, namespaces: 0, volatile_cache: false },
            ns: Namespace { blocks: 0, lba_shift: 9 },
        };
        c.cap = Cap::parse(c.read64(reg::CAP));
        if !c.cap.nvm || c.cap.mpsmin != 0 || c.cap.max_entries < u32::from(ENTRIES) {
            return Err(Errno::ENODEV);
        }
        if c.cap.cq_doorbell(1) + 4 > bar_len {
            return Err(Errno::ENODEV);
        }
        // §7.6.1 steps 1-5: disable, wait for RDY = 0, admin queues, enable.
        c.write32(reg::CC, 0);
        c.wait_ready(false)?;
        // Pin-based and MSI interrupts masked; INTMS does not apply to MSI-X (§3.1.3).
        c.write32(reg::INTMS, !0);
        c.write32(reg::AQA, nvme::aqa(u32::from(ENTRIES)));
        c.write64(reg::ASQ, c.phys(page::ADMIN_SQ));
        c.write64(reg::ACQ, c.phys(page::ADMIN_CQ));
        c.admin.sq = c.virt(page::ADMIN_SQ);
        c.admin.cq = c.virt(page::ADMIN_CQ);
        c.io.sq = c.virt(page::IO_SQ);
        c.io.cq = c.virt(page::IO_CQ);
        c.write32(reg::CC, nvme::CC_ENABLE);
        c.wait_ready(true)?;
        // Step 7: identify the controller, then namespace 1 (§5.15).
        let id = c.phys(page::IDENTIFY);
        c.admin_cmd(|cid| Sqe::identify(cid, 0, 1, id))?;
        c.info = Controller::parse(c.identify_data(), c.cap.mpsmin).ok_or(Errno::EIO)?;
        if c.info.namespaces < NSID {
            return Err(Errno::ENODEV);
        }
        c.admin_cmd(|cid| Sqe::identify(cid, NSID, 0, id))?;
        c.ns = Namespace::parse(c.identify_data()).map_err(|_| Errno::ENODEV)?;
        // Step 8: the I/O completion queue, then its submission queue (§5.3, §5.4).
        let (cq, sq) = (c.phys(page::IO_CQ), c.phys(page::IO_SQ));
        let iv = irq.map(|i| i.1);
        c.admin_cmd(|cid| Sqe::create_cq(cid, 1, ENTRIES, cq, iv))?;
        c.admin_cmd(|cid| Sqe::create_sq(cid, 1, ENTRIES, sq, 1))?;
        c.irq = irq.map(|i| i.0);
        Ok(c)
    }

    /// NVMe version (VS: major << 16 | minor << 8 | tertiary).
    pub fn version(&self) -> u32 {
        self.read32(reg::VS)
    }

    /// Largest transfer of one command in bytes: MDTS, and what one PRP
    /// list page describes.
    pub fn max_transfer(&self) -> u64 {
        self.info.max_transfer.min((nvme::PAGE / 8) * nvme::PAGE)
    }

    /// Runs an NVM command `opcode` (read, write, flush) for `blocks`
    /// logical blocks at `slba`, moving data at physical `data` (in the
    /// driver's physically contiguous DMA memory), and waits for it.
    ///
    /// # Errors
    /// `EINVAL` (a transfer the PRP list cannot describe), `EIO` (error
    /// status, timeout, controller fatal status).
    pub fn io(&mut self, opcode: u8, slba: u64, blocks: u32, data: u64) -> Result<(), Errno> {
        let prp = if opcode == nvme::nvm::FLUSH {
            (0, 0)
        } else {
            let len = u64::from(blocks) << self.ns.lba_shift;
            let list_v = self.virt(page::PRP_LIST);
            // SAFETY: the PRP list page lies in the controller area, mapped
            // read-write for the driver's life; the device reads it only
            // while the command this call waits for is in flight.
            let list = unsafe { core::slice::from_raw_parts_mut(list_v as *mut u64, (nvme::PAGE / 8) as usize) };
            nvme::prps(data, len, list, self.phys(page::PRP_LIST)).ok_or(Errno::EINVAL)?
        };
        let cid = self.cid();
        let sqe = if opcode == nvme::nvm::FLUSH {
            Sqe::new(opcode, cid, NSID, 0, 0)
        } else {
            Sqe::rw(opcode, cid, NSID, slba, blocks, prp)
        };
        self.run(true, sqe)
    }

    fn cid(&mut self) -> u16 {
        self.next_cid = self.next_cid.wrapping_add(1);
        self.next_cid
    }

    fn admin_cmd(&mut self, f: impl FnOnce(u16) -> Sqe) -> Result<(), Errno> {
        let cid = self.cid();
        self.run(false, f(cid))
    }

    /// The Identify page (4096 bytes).
    fn identify_data(&self) -> &[u8] {
        // SAFETY: the page lies in the controller area, mapped for the
        // driver's life; the device wrote it before the Identify command
        // completed and no command is in flight while it is read.
        unsafe { core::slice::from_raw_parts(self.virt(page::IDENTIFY) as *const u8, nvme::PAGE as usize) }
    }

    /// Submits `sqe` on the admin (`io` false) or I/O queue and waits for
    /// its completion (one command in flight per queue).
    fn run(&mut self, io: bool, sqe: Sqe) -> Result<(), Errno> {
        let cid = (sqe.0[0] >> 16) as u16;
        let cap = self.cap;
        let bar = self.bar;
        let irq = if io { self.irq } else { None };
        let q = if io { &mut self.io } else { &mut self.admin };
        let slot = q.sq + u64::from(q.tail) * nvme::SQE_BYTES;
        for (i, d) in sqe.0.iter().enumerate() {
            // SAFETY: `slot` is entry `tail` (< ENTRIES) of the queue's
            // page in the controller area; the device reads it only after
            // the doorbell below.
            unsafe { core::ptr::write_volatile((slot + 4 * i as u64) as *mut u32, *d) };
        }
        q.tail = (q.tail + 1) % ENTRIES;
        mmio_write32(bar + cap.sq_doorbell(q.qid), u32::from(q.tail));
        for spin in 0..SPINS {
            let c = q.peek();
            if c.phase != q.phase {
                if mmio_read32(bar + reg::CSTS) & nvme::CSTS_CFS != 0 {
                    return Err(Errno::EIO);
                }
                match irq {
                    // With an interrupt: after a few polls, re-arm it,
                    // look once more (a completion posted before the
                    // acknowledgement raised no interrupt we will see)
                    // and sleep until it (or the client) signals.
                    Some(h) if spin >= 8 => {
                        let _ = h.ack();
                        if q.peek().phase != q.phase {
                            device::events().wait();
                        }
                    }
                    _ => rampart_rt::syscall::yield_now(),
                }
                continue;
            }
            q.head = (q.head + 1) % ENTRIES;
            if q.head == 0 {
                q.phase = !q.phase;
            }
            mmio_write32(bar + cap.cq_doorbell(q.qid), u32::from(q.head));
            if c.cid != cid || c.status != 0 {
                // Only one command is ever in flight: another identifier
                // is the device misbehaving; a status is its error.
                report(sqe, Some(c));
                return Err(Errno::EIO);
            }
            return Ok(());
        }
        report(sqe, None);
        Err(Errno::EIO)
    }

    /// Waits (bounded) for CSTS.RDY to become `ready`.
    fn wait_ready(&self, ready: bool) -> Result<(), Errno> {
        for _ in 0..SPINS {
            let s = self.read32(reg::CSTS);
            if s == !0 || (ready && s & nvme::CSTS_CFS != 0) {
                return Err(Errno::EIO);
            }
            if (s & nvme::CSTS_RDY != 0) == ready {
                return Ok(());
            }
            rampart_rt::syscall::yield_now();
        }
        Err(Errno::EIO)
    }

    fn virt(&self, p: u64) -> u64 {
        self.area.0 + p * nvme::PAGE
    }

    fn phys(&self, p: u64) -> u64 {
        self.area.1 + p * nvme::PAGE
    }

    fn read32(&self, off: u64) -> u32 {
        mmio_read32(self.bar + off)
    }

    fn write32(&self, off: u64, v: u32) {
        mmio_write32(self.bar + off, v)
    }

    fn read64(&self, off: u64) -> u64 {
        u64::from(self.read32(off)) | (u64::from(self.read32(off + 4)) << 32)
    }

    /// 64-bit registers written as two dwords, low first (§3.1: "may be
    /// accessed ... as two 32-bit accesses").
    fn write64(&self, off: u64, v: u64) {
        self.write32(off, v as u32);
        self.write32(off + 4, (v >> 32) as u32);
    }
}

/// Logs a failed command (the first few: a broken device must not flood
/// the log).
fn report(sqe: Sqe, c: Option<Cqe>) {
    static LOGGED: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
    if LOGGED.fetch_add(1, core::sync::atomic::Ordering::Relaxed) < 8 {
        match c {
            Some(c) => rampart_rt::pr_warn!(
                "nvmedrv: command {:#x} (cid {}) failed: cid {} status {:#x}",
                sqe.0[0] & 0xff,
                sqe.0[0] >> 16,
                c.cid,
                c.status
            ),
            None => rampart_rt::pr_warn!("nvmedrv: command {:#x} (cid {}) timed out", sqe.0[0] & 0xff, sqe.0[0] >> 16),
        }
    }
}

fn mmio_read32(a: u64) -> u32 {
    // SAFETY: every caller passes BAR0's mapping plus a register or
    // doorbell offset that `Ctrl::init` checked to lie inside the mapped
    // BAR; MMIO needs volatile access.
    unsafe { core::ptr::read_volatile(a as *const u32) }
}

fn mmio_write32(a: u64, v: u32) {
    // SAFETY: as `mmio_read32`.
    unsafe { core::ptr::write_volatile(a as *mut u32, v) }
}
