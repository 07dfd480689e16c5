//! What the kernel core needs from the hardware layer.
//!
//! The core is generic over a [`Machine`]: the kernel binary implements it
//! with real instructions (`kernel/src/arch`), host tests with a recording
//! mock. Every method is a small, well-defined hardware effect; all policy
//! stays in the core.

/// Interrupt routing requested through IRQControl.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IrqRoute {
    /// IOAPIC global system interrupt `gsi`.
    Ioapic {
        /// Global system interrupt number.
        gsi: u32,
        /// Level-triggered (else edge).
        level: bool,
        /// Active low (else active high).
        active_low: bool,
    },
    /// A message-signalled interrupt (no routing hardware to program).
    Msi,
}

/// Hardware operations used by the kernel core.
pub trait Machine {
    /// Physical address of the kernel's PML4; new VSpaces copy its upper half.
    fn kernel_pml4(&self) -> u64;
    /// Invalidates translations of address space `asid` (`vaddr`: one page,
    /// `None`: all of them).
    fn tlb_flush(&mut self, asid: u64, vaddr: Option<u64>);
    /// Reads an I/O port (`width` 1, 2 or 4 bytes).
    fn io_in(&mut self, port: u16, width: u8) -> u32;
    /// Writes an I/O port (`width` 1, 2 or 4 bytes).
    fn io_out(&mut self, port: u16, width: u8, value: u32);
    /// Routes kernel IRQ `irq` as `route` (masked until acknowledged).
    /// Returns false if the hardware cannot (e.g. no such IOAPIC input).
    fn irq_route(&mut self, irq: u8, route: IrqRoute) -> bool;
    /// Masks or unmasks kernel IRQ `irq`.
    fn irq_mask(&mut self, irq: u8, masked: bool);
    /// MSI address and data a device must write to raise kernel IRQ `irq`.
    fn msi_message(&self, irq: u8) -> (u64, u64);
    /// The TCB at `tcb` is being destroyed (forget any FPU or segment state
    /// loaded for it).
    fn tcb_destroyed(&mut self, tcb: u64);
    /// The TLS (FS) base of the TCB at `tcb` changed: if the CPU holds that
    /// thread's segment state, it must be loaded again before the thread
    /// next runs.
    fn tls_base_changed(&mut self, tcb: u64) {
        let _ = tcb;
    }
    /// Writes the initial FPU/SSE state into the XSAVE area at `area`.
    fn init_fpu_area(&mut self, area: u64);
    /// Kernel console output (debug builds).
    fn debug_write(&mut self, bytes: &[u8]);
    /// Powers off with `code` (debug builds; test harness exits).
    fn debug_shutdown(&mut self, code: u32);
    /// The time-stamp counter now (the clock of timer deadlines,
    /// docs/kernel.md "Timers and timeouts").
    fn tsc(&self) -> u64;
    /// Time-stamp-counter ticks spent halted with nothing to run since boot
    /// (`DebugIdleTicks`; 0 where not measured).
    fn idle_ticks(&self) -> u64 {
        0
    }
}
