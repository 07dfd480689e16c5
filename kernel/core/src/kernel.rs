//! The kernel's global state and its entry points.
//!
//! One [`Kernel`] value holds everything that is not inside a kernel object:
//! the current thread, the scheduler, the ASID table, interrupt and I/O port
//! state and the clock. The kernel binary keeps one in a static; host tests
//! make as many as they like.

use crate::machine::Machine;
use crate::object::{ScRef, TcbRef};
use crate::sched::ReadyQueues;

/// What the scheduler should do at the end of this kernel entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchedAction {
    /// Keep running the current thread (if it is still runnable).
    Resume,
    /// Switch to this thread if it should run before the current one.
    SwitchTo(TcbRef),
    /// Pick the best thread from the ready queues.
    ChooseNew,
}

/// Number of kernel IRQ numbers (vector = 32 + irq).
pub const IRQS: usize = 224;
/// Kernel IRQ number of the timer.
pub const IRQ_TIMER: u8 = 0;

/// State of one interrupt line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IrqEntry {
    /// A handler capability exists.
    pub active: bool,
    /// Notification to signal (physical address, 0: none).
    pub ntfn: u64,
    /// Badge of the notification capability given to SetNotification.
    pub badge: u64,
    /// Masked until acknowledged.
    pub pending_ack: bool,
}

/// The kernel.
pub struct Kernel<M> {
    /// Hardware layer.
    pub m: M,
    /// The running thread (NONE: idle).
    pub cur: TcbRef,
    /// Pending scheduler decision.
    pub action: SchedAction,
    /// Ready queues.
    pub ready: ReadyQueues,
    /// Depleted scheduling contexts waiting for their refill.
    pub release_head: ScRef,
    /// Kernel ticks since boot.
    pub now: u64,
    /// ASID pools by high ASID bits (physical address, 0: none).
    pub asid_table: [u64; rampart_abi::object::ASID_POOLS as usize],
    /// Interrupt lines.
    pub irqs: [IrqEntry; IRQS],
    /// Issued I/O ports, one bit per port.
    pub io_ports: [u64; 1024],
    /// Next thread id.
    pub next_tcb_id: u64,
    /// Syscalls handled (statistics).
    pub syscalls: u64,
    /// The CPU supports no-execute page-table bits.
    pub nx: bool,
    /// Every thread (for the capability-graph dump).
    pub threads: TcbRef,
    /// Incremented whenever a VSpace, CNode or TCB capability or an ASID
    /// pool is deleted or a TCB gets new capability registers: invalidates
    /// the per-thread caches of validated address and capability spaces.
    pub vspace_epoch: u64,
    /// Use the IPC fast path (tests turn it off to compare with the general path).
    pub fastpath_enabled: bool,
    /// System calls completed by the fast path (statistics).
    pub fastpath_hits: u64,
    /// Physical address of the root task's VSpace (PML4), 0 before boot.
    /// A boot object with no Untyped parent, so no other VSpace can ever
    /// have this address: threads running in it are the root task
    /// (`DebugShutdown` is honoured only for them).
    pub root_vspace: u64,
    /// The kernel log (`CapType::Log`).
    pub log: crate::log::LogRing,
    /// Kernel timers (`CapType::Timer`, [`crate::timer`]): empty until
    /// [`Kernel::attach_timers`] (storage outside this struct, which is
    /// moved by value on the boot stack).
    pub timers: &'static mut [crate::timer::TimerEntry],
    /// Lower bound of the earliest armed timer deadline (TSC;
    /// [`crate::timer::NO_DEADLINE`]: none armed).
    pub timer_next: u64,
}

impl<M: Machine> Kernel<M> {
    /// A kernel with no threads.
    pub fn new(m: M) -> Self {
        Kernel {
            m,
            cur: TcbRef::NONE,
            action: SchedAction::Resume,
            ready: ReadyQueues::new(),
            release_head: ScRef::NONE,
            now: 0,
            asid_table: [0; rampart_abi::object::ASID_POOLS as usize],
            irqs: [IrqEntry::default(); IRQS],
            io_ports: [0; 1024],
            next_tcb_id: 1,
            syscalls: 0,
            nx: true,
            threads: TcbRef::NONE,
            vspace_epoch: 1,
            fastpath_enabled: true,
            fastpath_hits: 0,
            root_vspace: 0,
            log: crate::log::LogRing::new(),
            timers: &mut [],
            timer_next: crate::timer::NO_DEADLINE,
        }
    }

    /// Checks every kernel invariant that can be checked without walking all
    /// of memory: scheduler queues, the current thread, every thread's
    /// scheduling context and call stack ([`crate::invariants`]), and that
    /// no runnable thread is lost to the scheduler
    /// ([`Kernel::check_scheduling`]). Returns 0 or a violation code
    /// (`DebugCheckInvariants`).
    pub fn check_invariants(&self) -> u64 {
        match self.check_structure() {
            0 => self.check_scheduling(),
            c => c,
        }
    }

    /// [`Kernel::check_invariants`] without the scheduling check: what holds
    /// in a harness that steps threads without scheduling them (the
    /// model's refinement checks).
    pub fn check_structure(&self) -> u64 {
        let q = self.ready.check();
        if q != 0 {
            return q;
        }
        if !self.cur.is_none() && self.cur.get().in_ready_queue.get() != 0 {
            return 110; // Benno: the running thread is never queued
        }
        let t = self.check_timers();
        if t != 0 {
            return t;
        }
        self.check_threads()
    }
}
