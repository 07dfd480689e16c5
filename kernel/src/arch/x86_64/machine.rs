//! The x86_64 implementation of the kernel core's `Machine` trait, and the
//! per-CPU state of the context switch (current address space, FPU owner,
//! FS base).

use super::{apic, cpu, fpu, ioapic, paging};
use rampart_kcore::machine::{IrqRoute, Machine};

/// Which kernel IRQ is wired to which IOAPIC input (for masking).
const NO_GSI: u32 = u32::MAX;

/// The hardware the kernel core drives.
pub struct X86Machine {
    /// PCIDs enabled (CR4.PCIDE).
    pub pcid: bool,
    /// ASID whose address space is in CR3.
    pub cur_asid: u64,
    /// PML4 in CR3.
    pub cur_pml4: u64,
    /// ASIDs whose TLB entries must be flushed before their next use (PCID).
    pub stale: [u64; 64],
    /// TCB whose FPU state is in the CPU (physical address, 0: none).
    pub fpu_owner: u64,
    /// TCB whose segment state the CPU holds (physical address, 0: none or
    /// stale: its TLS base changed since, see `Machine::tls_base_changed`).
    pub fs_owner: u64,
    /// IOAPIC input of each kernel IRQ.
    gsi_of: [u32; 256],
}

impl X86Machine {
    /// A machine description for the boot CPU.
    pub fn new(pcid: bool) -> Self {
        X86Machine { pcid, cur_asid: 0, cur_pml4: 0, stale: [0; 64], fpu_owner: 0, fs_owner: 0, gsi_of: [NO_GSI; 256] }
    }

    /// Switches to address space `pml4` with `asid` (PCID when enabled).
    #[inline(always)]
    pub fn switch_vspace(&mut self, pml4: u64, asid: u64) {
        if self.cur_pml4 == pml4 && self.cur_asid == asid {
            return;
        }
        let mut cr3 = pml4;
        if self.pcid {
            let (w, b) = ((asid / 64) as usize, 1u64 << (asid % 64));
            cr3 |= asid & 0xfff;
            if self.stale[w] & b == 0 {
                cr3 |= 1 << 63; // keep this PCID's TLB entries
            }
            self.stale[w] &= !b;
        }
        // SAFETY: `pml4` is a VSpace root the kernel core validated (assigned
        // ASID, copied kernel half), so the kernel stays mapped.
        unsafe { cpu::write_cr3(cr3) };
        self.cur_pml4 = pml4;
        self.cur_asid = asid;
    }

    /// Makes the FPU hold the state of TCB `tcb` (physical address).
    #[inline(always)]
    pub fn switch_fpu(&mut self, tcb: u64) {
        let owner = self.fpu_owner;
        if owner == tcb {
            return;
        }
        let off = paging::DIRECT_MAP_BASE + rampart_kcore::object::TCB_FPU_OFFSET;
        // SAFETY: both areas are the 64-byte aligned XSAVE areas inside live
        // TCBs (a destroyed TCB clears `fpu_owner` via `tcb_destroyed`).
        unsafe {
            if owner != 0 {
                fpu::save(owner + off);
            }
            fpu::restore(tcb + off);
        }
        self.fpu_owner = tcb;
    }

    /// Gives TCB `tcb` its user segment state: the FS base `base` (its TLS
    /// pointer), and with `reset_selectors` null DS, ES, FS and GS. Called
    /// whenever the CPU is to run a thread other than the one whose segment
    /// state it holds.
    ///
    /// A user thread can change its own selectors (`mov fs, ax`), which
    /// also sets the hidden base to a descriptor's base (0: the GDT has no
    /// other) or, for a null selector on Intel, to 0. So the base the kernel
    /// last wrote is no evidence of what the hardware holds once another
    /// thread ran, and the FS base is written on every thread switch
    /// (issue 13 finding 1: skipping the write because the cached value
    /// matched let one thread make another run with FS base 0). CR4.FSGSBASE
    /// is off, so the GS base is 0 for every thread: nothing else can set it.
    ///
    /// Selectors carry no authority (every descriptor base is 0) but are a
    /// storage channel between threads, so the scheduler's switches reset
    /// them. The IPC fast path does not (`reset_selectors` false): it only
    /// switches between a caller and the thread it called through an
    /// endpoint, or back with the reply — threads that already have the
    /// channel the policy granted — and four segment loads per switch would
    /// cost about 2 % of the round trip. A thread returning to itself keeps
    /// what it did to its own segments.
    #[inline(always)]
    pub fn switch_segments(&mut self, tcb: u64, base: u64, reset_selectors: bool) {
        if reset_selectors {
            // Before the base: a null FS load may clear it.
            cpu::load_null_selectors();
        }
        cpu::wrmsr(cpu::msr::FS_BASE, base);
        self.fs_owner = tcb;
    }
}

impl Machine for X86Machine {
    fn kernel_pml4(&self) -> u64 {
        paging::kernel_pml4()
    }

    fn tlb_flush(&mut self, asid: u64, vaddr: Option<u64>) {
        if asid == self.cur_asid {
            match vaddr {
                Some(v) => cpu::invlpg(v),
                // SAFETY: reloading the current CR3 (without the no-flush
                // bit) only drops non-global TLB entries.
                None => unsafe { cpu::write_cr3(cpu::read_cr3() & !(1 << 63)) },
            }
        } else if self.pcid {
            self.stale[(asid / 64) as usize % 64] |= 1 << (asid % 64);
        }
        // Without PCIDs, switching CR3 flushes every non-global entry anyway.
    }

    fn io_in(&mut self, port: u16, width: u8) -> u32 {
        match width {
            1 => u32::from(cpu::inb(port)),
            2 => u32::from(cpu::inw(port)),
            _ => cpu::inl(port),
        }
    }

    fn io_out(&mut self, port: u16, width: u8, value: u32) {
        match width {
            1 => cpu::outb(port, value as u8),
            2 => cpu::outw(port, value as u16),
            _ => cpu::outl(port, value),
        }
    }

    fn irq_route(&mut self, irq: u8, route: IrqRoute) -> bool {
        match route {
            IrqRoute::Msi => true,
            IrqRoute::Ioapic { gsi, level, active_low } => {
                let ok = ioapic::route(gsi, 32 + irq, level, active_low, apic::id());
                if ok {
                    self.gsi_of[irq as usize] = gsi;
                }
                ok
            }
        }
    }

    fn irq_mask(&mut self, irq: u8, masked: bool) {
        let gsi = self.gsi_of[irq as usize];
        if gsi != NO_GSI {
            ioapic::set_mask(gsi, masked);
        }
    }

    fn msi_message(&self, irq: u8) -> (u64, u64) {
        (0xfee0_0000 | (u64::from(apic::id()) << 12), 32 + u64::from(irq))
    }

    fn tcb_destroyed(&mut self, tcb: u64) {
        if self.fpu_owner == tcb {
            self.fpu_owner = 0;
        }
        self.tls_base_changed(tcb);
    }

    fn tls_base_changed(&mut self, tcb: u64) {
        if self.fs_owner == tcb {
            // Written again before the thread (or a new TCB at this
            // address) next runs.
            self.fs_owner = 0;
        }
    }

    fn init_fpu_area(&mut self, area: u64) {
        // SAFETY: `area` is the XSAVE area of a TCB being created.
        unsafe { fpu::init_area(paging::phys_to_virt(area)) }
    }

    fn debug_write(&mut self, bytes: &[u8]) {
        crate::console::write_bytes(bytes);
    }

    fn debug_shutdown(&mut self, code: u32) {
        super::debug_exit(code)
    }

    fn idle_ticks(&self) -> u64 {
        crate::trap::idle_ticks()
    }
    fn tsc(&self) -> u64 {
        cpu::rdtsc()
    }
}
