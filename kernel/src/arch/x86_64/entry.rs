//! Kernel entry and exit: trap stubs, the `syscall` entry, and the return to
//! user mode.
//!
//! The kernel has one stack (`kernel_stack_top`); it keeps no state on it
//! between entries (an event-driven kernel, as seL4). On entry the user
//! registers are saved into the current thread's [`UserContext`]:
//! - `syscall`: the stub switches `rsp` to the end of the current context
//!   (`current_context_end`) and pushes the frame there directly;
//! - traps and interrupts: the CPU pushes the frame on an IST stack, the stub
//!   pushes the general registers below it and `trap_entry` copies the frame
//!   into the context (or handles it as a kernel event when the CPU was idle).
//!
//! [`UserContext`]: super::context::UserContext

use super::context::{UserContext, VECTOR_SYSCALL};

core::arch::global_asm!(
    r#"
    .section .text.entry, "ax"

    .macro SAVE_GPRS
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    .endm

    /* 256 trap stubs, 16 bytes apart. Vectors with a CPU error code:
       8, 10-14, 17, 21, 29, 30. */
    .balign 16
    .global trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    push 0
    .endif
    push vec
    jmp trap_common
    .set vec, vec + 1
    .endr

trap_common:
    SAVE_GPRS
    mov rdi, rsp
    lea rsp, [rip + kernel_stack_top]
    call trap_entry
    ud2

    .balign 16
    .global syscall_entry
syscall_entry:
    mov [rip + user_rsp_scratch], rsp
    mov rsp, [rip + current_context_end]
    push {user_ds}
    push qword ptr [rip + user_rsp_scratch]
    push r11
    push {user_cs}
    push rcx
    push 0
    push {vsys}
    SAVE_GPRS
    /* `Null`: the bare entry/exit cost (full save above, full restore). */
    cmp rax, {null}
    je 3f
    lea rsp, [rip + kernel_stack_top]
    call syscall_handler
    ud2
3:  mov rdi, rsp
    jmp restore_user_context

    /* restore_user_context(ctx: *const UserContext) -> ! */
    .global restore_user_context
restore_user_context:
    mov rsp, rdi
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    cmp qword ptr [rsp], {vsys}
    jne 1f
    mov rcx, [rsp + 16]
    mov r11, [rsp + 32]
    mov rsp, [rsp + 40]
    sysretq
1:  add rsp, 16
    iretq

    .section .bss.entry, "aw", @nobits
    .balign 8
    .global current_context_end
current_context_end: .skip 8
user_rsp_scratch: .skip 8
"#,
    user_ds = const super::gdt::USER_DS as u64,
    user_cs = const super::gdt::USER_CS as u64,
    vsys = const VECTOR_SYSCALL,
    null = const rampart_abi::Syscall::Null as u64,
);

unsafe extern "C" {
    static trap_stubs: u8;
    fn syscall_entry();
    fn restore_user_context(ctx: *const UserContext) -> !;
    static mut current_context_end: u64;
}

/// Address of the stub for trap vector `v`.
pub fn trap_stub(v: u8) -> u64 {
    let base = &raw const trap_stubs as u64;
    base + u64::from(v) * 16
}

/// Address of the `syscall` entry point (for LSTAR).
pub fn syscall_entry_addr() -> u64 {
    syscall_entry as *const () as u64
}

/// Makes `ctx` the context that the next `syscall` saves into.
///
/// # Safety
/// `ctx` must stay valid until another context is installed: it is the
/// current thread's register save area.
#[inline(always)]
pub unsafe fn set_current_context(ctx: *mut UserContext) {
    let end = ctx as u64 + core::mem::size_of::<UserContext>() as u64;
    // SAFETY: single-core kernel with interrupts disabled; the syscall stub
    // reads this word only on entry from user mode.
    unsafe { current_context_end = end };
}

/// Returns to user mode with the registers in `ctx`.
///
/// # Safety
/// `ctx` must describe a ring-3 context whose `rip` is a canonical user
/// address and whose `cs`/`ss`/`rflags` were sanitised by the kernel.
#[inline(always)]
pub unsafe fn return_to_user(ctx: *const UserContext) -> ! {
    // SAFETY: guaranteed by the caller.
    unsafe { restore_user_context(ctx) }
}
