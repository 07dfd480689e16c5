//! Kernel entry points called from the assembly stubs, and the return path
//! that activates the thread the scheduler chose.
//!
//! Every entry ends in [`activate`]: it switches address space, FPU state and
//! FS base to the current thread (or idles if there is none) and returns to
//! user mode. The kernel keeps nothing on its stack between entries.

use crate::arch::context::{TrapFrame, UserContext};
use crate::arch::machine::X86Machine;
use crate::arch::{apic, cpu, entry, idt, paging};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU64, Ordering};
use rampart_kcore::Kernel;
use rampart_kcore::object::TcbRef;

static mut KERNEL: MaybeUninit<Kernel<X86Machine>> = MaybeUninit::uninit();

/// The kernel state.
#[inline(always)]
fn kernel() -> &'static mut Kernel<X86Machine> {
    // SAFETY: `start` initialises it before the first return to user mode,
    // and nothing calls this before (entries come only from user mode or the
    // idle loop, both after `start`). The kernel is single-core; entry points
    // run one at a time with interrupts disabled and never hold the
    // reference across a return to user mode.
    #[allow(static_mut_refs)]
    unsafe {
        KERNEL.assume_init_mut()
    }
}

/// The kernel log's records (`rampart_kcore::log`).
static mut LOG_STORAGE: rampart_kcore::log::LogStorage = rampart_kcore::log::LogStorage::new();

/// The kernel timers (`rampart_kcore::timer`).
static mut TIMER_STORAGE: rampart_kcore::timer::TimerTable = rampart_kcore::timer::TimerTable::new();

/// Installs the booted kernel state and enters the first thread.
pub fn start(k: Kernel<X86Machine>) -> ! {
    // SAFETY: called once at the end of boot, before any entry can happen;
    // nothing else ever refers to `LOG_STORAGE` or `TIMER_STORAGE`.
    #[allow(static_mut_refs)]
    unsafe {
        let k = KERNEL.write(k);
        k.log.attach(&mut LOG_STORAGE);
        k.attach_timers(&mut TIMER_STORAGE);
    }
    activate()
}

/// Runs the current thread, or idles until an interrupt makes one runnable.
fn activate() -> ! {
    let k = kernel();
    loop {
        let t = k.cur;
        if t.is_none() {
            idle();
        }
        let Some((pml4, asid)) = k.thread_vspace(t) else {
            k.log_kernel(b"kernel: a thread without a valid VSpace was stopped\n");
            k.stop_unrunnable();
            continue;
        };
        k.m.switch_vspace(pml4, asid);
        k.m.switch_fpu(t.0);
        if t.0 != k.m.fs_owner {
            k.m.switch_segments(t.0, k.tls_base(t), true);
        }
        let ctx = paging::phys_to_virt(t.0) as *mut UserContext;
        // SAFETY: the TCB's register area (offset 0) has the `UserContext`
        // layout and stays valid while the thread is current; the registers
        // were sanitised by the kernel core (user CS/SS, IF set, user rip).
        unsafe {
            entry::set_current_context(ctx);
            entry::return_to_user(ctx)
        }
    }
}

/// TSC when the processor last went idle (0: not idle).
static IDLE_SINCE: AtomicU64 = AtomicU64::new(0);
/// TSC ticks spent idle since boot.
static IDLE_TICKS: AtomicU64 = AtomicU64::new(0);

/// TSC ticks the processor has spent halted in [`idle`] since boot
/// (`DebugIdleTicks`).
pub fn idle_ticks() -> u64 {
    IDLE_TICKS.load(Ordering::Relaxed)
}

/// Waits for an interrupt with nothing to run. The interrupt enters
/// `trap_entry` on a fresh stack, which ends in `activate`; `trap_entry`
/// adds the time spent here to [`idle_ticks`].
fn idle() -> ! {
    IDLE_SINCE.store(cpu::rdtsc().max(1), Ordering::Relaxed);
    loop {
        cpu::wait_for_interrupt();
    }
}

/// Ends an idle period (on the interrupt that woke the processor).
fn idle_end() {
    let since = IDLE_SINCE.swap(0, Ordering::Relaxed);
    if since != 0 {
        IDLE_TICKS.fetch_add(cpu::rdtsc().saturating_sub(since), Ordering::Relaxed);
    }
}

fn report(ctx: &TrapFrame) {
    kprintln!(
        "  rip={:#018x} rsp={:#018x} rflags={:#x} cs={:#x} err={:#x} cr2={:#x}",
        ctx.rip,
        ctx.rsp,
        ctx.rflags,
        ctx.cs,
        ctx.error,
        cpu::read_cr2()
    );
    kprintln!(
        "  rax={:#x} rbx={:#x} rcx={:#x} rdx={:#x} rsi={:#x} rdi={:#x}",
        ctx.rax,
        ctx.rbx,
        ctx.rcx,
        ctx.rdx,
        ctx.rsi,
        ctx.rdi
    );
    kprintln!(
        "  rbp={:#x} r8={:#x} r9={:#x} r10={:#x} r11={:#x} r12={:#x}",
        ctx.rbp,
        ctx.r8,
        ctx.r9,
        ctx.r10,
        ctx.r11,
        ctx.r12
    );
    kprintln!("  r13={:#x} r14={:#x} r15={:#x}", ctx.r13, ctx.r14, ctx.r15);
}

/// Entry from every trap stub. `frame` is on the trap IST stack.
#[unsafe(no_mangle)]
extern "C" fn trap_entry(frame: *const TrapFrame) -> ! {
    // SAFETY: the stub passes a pointer to the complete frame it just pushed.
    let f = unsafe { *frame };
    let vector = f.vector;
    idle_end();
    let k = kernel();
    if f.taken_in_user() {
        let t = k.cur;
        if !t.is_none() {
            // SAFETY: the register area of the current TCB (offset 0) has
            // the `UserContext` layout; nothing else references it now.
            unsafe { core::ptr::write(paging::phys_to_virt(t.0) as *mut UserContext, f.user_context()) };
        }
        if vector < 32 {
            k.handle_exception(vector, f.error, cpu::read_cr2());
            activate();
        }
    } else if vector < 32 {
        kprintln!("KERNEL FAULT: {} (vector {})", idt::exception_name(vector), vector);
        report(&f);
        panic!("fault in kernel mode");
    }
    if vector == u64::from(idt::VECTOR_SPURIOUS) {
        activate();
    }
    apic::eoi();
    k.handle_interrupt((vector - 32) as u8);
    k.after_interrupt();
    activate()
}

/// Entry from the `syscall` stub; the registers are in the current TCB.
#[unsafe(no_mangle)]
extern "C" fn syscall_handler() -> ! {
    let k = kernel();
    let Some(sw) = k.syscall() else { activate() };
    // The fast path validated the new thread's address space: switch and go.
    k.m.switch_vspace(sw.pml4, sw.asid);
    k.m.switch_fpu(sw.tcb);
    k.m.switch_segments(sw.tcb, sw.fs_base, false);
    let ctx = paging::phys_to_virt(sw.tcb) as *mut UserContext;
    // SAFETY: as in `activate`: the TCB's register area has the
    // `UserContext` layout and the core sanitised its contents.
    unsafe {
        entry::set_current_context(ctx);
        entry::return_to_user(ctx)
    }
}

/// The thread that owns the register area the syscall stub saves into.
#[allow(dead_code)]
pub fn current() -> TcbRef {
    kernel().cur
}
