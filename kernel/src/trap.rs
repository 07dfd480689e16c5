//! Kernel entry points called from the assembly stubs: traps, interrupts and
//! system calls.
//!
//! (Issue-2 stage: one user thread, no kernel objects yet.)

use crate::arch::context::UserContext;
use crate::arch::{apic, cpu, entry, idt};
use crate::rootserver::Thread;
use rampart_abi::{MessageInfo, Syscall};

static mut CURRENT: Option<Thread> = None;

fn current() -> &'static mut Thread {
    // SAFETY: single-core kernel with interrupts disabled in kernel mode; the
    // current thread is only touched from kernel entry points, one at a time.
    #[allow(static_mut_refs)]
    unsafe {
        CURRENT.as_mut().unwrap_or_else(|| panic!("no current thread"))
    }
}

/// Installs `t` as the current thread and enters it.
pub fn run_first_thread(t: Thread) -> ! {
    // SAFETY: called once at the end of boot.
    #[allow(static_mut_refs)]
    unsafe {
        CURRENT = Some(t);
    }
    resume()
}

fn resume() -> ! {
    let t = current();
    // SAFETY: `t.vspace` is a PML4 built by the kernel sharing the kernel
    // half; `t.ctx` is a sanitised ring-3 context that lives in a static.
    unsafe {
        if cpu::read_cr3() != t.vspace {
            cpu::write_cr3(t.vspace);
        }
        entry::set_current_context(&raw mut t.ctx);
        entry::return_to_user(&raw const t.ctx)
    }
}

fn report(ctx: &UserContext) {
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
extern "C" fn trap_entry(frame: *const UserContext) -> ! {
    // SAFETY: the stub passes a pointer to the complete frame it just pushed.
    let f = unsafe { *frame };
    let vector = f.vector;
    if !f.from_user() {
        if vector >= u64::from(idt::VECTOR_TIMER) {
            // An interrupt while idle in the kernel.
            apic::eoi();
            resume();
        }
        kprintln!("KERNEL FAULT: {} (vector {})", idt::exception_name(vector), vector);
        report(&f);
        panic!("fault in kernel mode");
    }
    current().ctx = f;
    match vector {
        v if v == u64::from(idt::VECTOR_TIMER) => {
            apic::eoi();
            resume()
        }
        v if v == u64::from(idt::VECTOR_SPURIOUS) => resume(),
        v if v < 32 => {
            kprintln!("user fault: {} (vector {}) in the root task", idt::exception_name(v), v);
            report(&f);
            crate::arch::debug_exit(0x7e)
        }
        _ => {
            apic::eoi();
            resume()
        }
    }
}

/// Entry from the `syscall` stub; the registers are in the current context.
#[unsafe(no_mangle)]
extern "C" fn syscall_handler() -> ! {
    let ctx = &mut current().ctx;
    match Syscall::from_u64(ctx.rax) {
        Some(Syscall::DebugWrite) if cfg!(feature = "debug-console") => {
            let len = MessageInfo(ctx.rsi).length().min(32);
            let mut buf = [0u8; 32];
            for (i, r) in [ctx.rdx, ctx.r8, ctx.r9, ctx.r10].iter().enumerate() {
                buf[i * 8..i * 8 + 8].copy_from_slice(&r.to_le_bytes());
            }
            crate::console::write_bytes(&buf[..len]);
        }
        Some(Syscall::DebugShutdown) if cfg!(feature = "debug-console") => crate::arch::debug_exit(ctx.rdx as u32),
        Some(Syscall::Yield) => {}
        _ => {
            kprintln!("unknown syscall {} from the root task", ctx.rax);
            report(ctx);
            crate::arch::debug_exit(0x7e)
        }
    }
    resume()
}
