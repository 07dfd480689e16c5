//! Kernel entry and exit: trap stubs, the `syscall` entry, and the return to
//! user mode.
//!
//! The kernel has one stack (`kernel_stack_top`); it keeps no state on it
//! between entries (an event-driven kernel, as seL4). On entry the user
//! registers are saved into the current thread's [`UserContext`]:
//! - `syscall`: the stub switches `rsp` to just past the current context's
//!   `rsp` field (`current_context_end`) and pushes the frame there directly;
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
    .if vec == 2
    jmp nmi_common
    .elseif vec == 18
    jmp mce_common
    .else
    jmp trap_common
    .endif
    .set vec, vec + 1
    .endr

    .macro RESTORE_GPRS
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
    .endm

    /* NMI (own IST stack): may arrive anywhere, in user mode, in the idle
       loop or in the middle of a kernel path with a half-switched stack.
       It is counted and execution resumes exactly where it was: nothing
       here touches the interrupted stack or kernel state (issue 13: an NMI
       in the kernel used to reset the kernel stack and panic). */
nmi_common:
    cld
    SAVE_GPRS
    mov rdi, rsp
    call nmi_entry
    RESTORE_GPRS
    add rsp, 16
    iretq

    /* Machine check (own IST stack): `mce_entry` decides. 0: the CPU says
       execution can restart (MCG_STATUS.RIPV): resume in place. 1: from
       user mode and not restartable: handled as that thread's exception by
       the ordinary trap path. It does not return when the kernel itself
       cannot continue. */
mce_common:
    cld
    SAVE_GPRS
    mov rdi, rsp
    call mce_entry
    test rax, rax
    jnz 5f
    RESTORE_GPRS
    add rsp, 16
    iretq
5:  mov rdi, rsp
    lea rsp, [rip + kernel_stack_top]
    call trap_entry
    ud2

trap_common:
    /* The kernel's code (rep movsb/stosb in memcpy/memset) needs the
       direction flag clear, as the SysV ABI promises; an interrupted or
       faulting user thread may have set it (its own RFLAGS is in the
       interrupt frame and comes back with iretq). `syscall` clears it
       through SFMASK. AC too: a user thread may set it, and with AC set
       SMAP does not stop kernel accesses to user pages (`clac` would #UD
       on CPUs without SMAP, so clear it through the stack). */
    cld
    pushfq
    and qword ptr [rsp], ~0x40000
    popfq
    SAVE_GPRS
    mov rdi, rsp
    lea rsp, [rip + kernel_stack_top]
    call trap_entry
    ud2

    .balign 16
    .global syscall_entry
syscall_entry:
    /* Save straight into the current TCB: rsp, rflags, rip, the vector
       marker, then the general registers (cs/ss are constant and already
       there). */
    mov [rip + user_rsp_scratch], rsp
    mov rsp, [rip + current_context_end]
    push qword ptr [rip + user_rsp_scratch]
    push r11
    push rcx
    push {vsys}
    push rax
    push rbx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r12
    push r13
    push r14
    push r15
    /* `Null`: the bare entry/exit cost (full save above, full restore);
       not for a thread in foreign-ABI mode (TcbSetSyscallDispatch), whose
       number 9 may be anything (Linux `mmap`): the general path decides.
       rsp is at the context's r15 word, 16 bytes past the TCB's start. */
    cmp rax, {null}
    jne 5f
    cmp qword ptr [rsp + {dispatch} - 16], 0
    je 3f
5:  lea rsp, [rip + kernel_stack_top]
    call syscall_handler
    ud2
3:  lea rdi, [rsp - 16]
    jmp restore_user_context

    /* restore_user_context(ctx: *const UserContext) -> !
       Threads that entered through `syscall` leave with `sysretq` (rcx and
       r11 are clobbered by the syscall ABI); others with `iretq`, whose frame
       is built on the kernel stack from the context. */
    .global restore_user_context
restore_user_context:
    cmp qword ptr [rdi + 15 * 8], {vsys}
    jne 4f
    lea rsp, [rdi + 16]
    pop r15
    pop r14
    pop r13
    pop r12
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rbx
    pop rax
    mov rcx, [rsp + 8]
    mov r11, [rsp + 16]
    mov rsp, [rsp + 24]
    /* MDS: on CPUs with MD_CLEAR microcode VERW overwrites the buffers a
       user thread could sample (docs/kernel.md, "Transient execution");
       elsewhere it only sets ZF, which sysret replaces from r11. */
    verw word ptr [rip + verw_selector]
    sysretq
4:  lea rsp, [rip + kernel_stack_top]
    push qword ptr [rdi + 20 * 8]
    push qword ptr [rdi + 18 * 8]
    push qword ptr [rdi + 17 * 8]
    push qword ptr [rdi + 19 * 8]
    push qword ptr [rdi + 16 * 8]
    mov rcx, [rdi + 0 * 8]
    mov r11, [rdi + 1 * 8]
    mov r15, [rdi + 2 * 8]
    mov r14, [rdi + 3 * 8]
    mov r13, [rdi + 4 * 8]
    mov r12, [rdi + 5 * 8]
    mov r10, [rdi + 6 * 8]
    mov r9, [rdi + 7 * 8]
    mov r8, [rdi + 8 * 8]
    mov rbp, [rdi + 9 * 8]
    mov rsi, [rdi + 11 * 8]
    mov rdx, [rdi + 12 * 8]
    mov rbx, [rdi + 13 * 8]
    mov rax, [rdi + 14 * 8]
    mov rdi, [rdi + 10 * 8]
    verw word ptr [rip + verw_selector]
    iretq

    .section .rodata.entry, "a"
    .balign 2
verw_selector: .word {kds}

    .section .bss.entry, "aw", @nobits
    .balign 8
    .global current_context_end
current_context_end: .skip 8
user_rsp_scratch: .skip 8
"#,
    vsys = const VECTOR_SYSCALL,
    null = const rampart_abi::Syscall::Null as u64,
    dispatch = const core::mem::offset_of!(rampart_kcore::object::Tcb, dispatch_entry),
    kds = const super::gdt::KERNEL_DS,
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
    let end = ctx as u64 + (super::context::SYSCALL_SAVED_WORDS * 8) as u64;
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
