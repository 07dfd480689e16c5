//! The handler's entry and exit, and the dispatch by Linux system-call
//! number (docs/linux-abi.md, "The handler").
//!
//! The kernel resumes the program's thread at [`linux_syscall_entry`] with
//! every register as the program left it, except `rcx` (the return
//! address) and `r11` (RFLAGS). The entry saves the program's `rsp`,
//! switches to the shim's own stack (the program's red zone and stack are
//! never touched), saves the general registers and the x87/SSE state (the
//! shim's Rust code may use SSE; Linux preserves it across a system call),
//! and calls [`linux_dispatch`] with the saved frame. The exit restores
//! everything but `rax` (the result) and jumps back.
//!
//! The FS base: the program's TLS pointer while the program runs, the
//! runtime's thread block (read through `fs:`) while the shim's runtime
//! runs. Calls answered from the shim's own state (`getpid`, `getppid`,
//! `getuid`...) do not switch; the others set the runtime's FS base with
//! one `TcbSetTlsBase` before and the program's after.
//!
//! One thread today (no `clone` yet): the handler stack and save area are
//! static. Threads will get one each, found through a per-thread entry.

use crate::load::Start;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use rampart_linux_abi::errno::{ENOSYS, ret_err};
use rampart_linux_abi::nr;

core::arch::global_asm!(
    r#"
    .section .text.linux_entry, "ax"
    .balign 16
    .global linux_syscall_entry
linux_syscall_entry:
    mov [rip + LINUX_SAVED_RSP], rsp
    lea rsp, [rip + LINUX_HANDLER_STACK_TOP]
    push rcx
    push r11
    push r15
    push r14
    push r13
    push r12
    push rbp
    push rbx
    push r9
    push r8
    push r10
    push rdx
    push rsi
    push rdi
    push rax
    cld
    fxsave64 [rip + LINUX_FXSAVE]
    sub rsp, 8
    lea rdi, [rsp + 8]
    call linux_dispatch
    add rsp, 8
    .global linux_resume
linux_resume:
    fxrstor64 [rip + LINUX_FXSAVE]
    pop rax
    pop rdi
    pop rsi
    pop rdx
    pop r10
    pop r8
    pop r9
    pop rbx
    pop rbp
    pop r12
    pop r13
    pop r14
    pop r15
    popfq
    pop rcx
    mov rsp, [rip + LINUX_SAVED_RSP]
    jmp rcx

    .section .bss.linux_entry, "aw", @nobits
    .balign 64
    .global LINUX_FXSAVE
    .global LINUX_SAVED_RSP
LINUX_FXSAVE: .skip 512
LINUX_SAVED_RSP: .skip 8
    .balign 16
LINUX_HANDLER_STACK: .skip 262144
LINUX_HANDLER_STACK_TOP:
"#
);

unsafe extern "C" {
    fn linux_syscall_entry();
    static mut LINUX_FXSAVE: [u8; 512];
    static mut LINUX_SAVED_RSP: u64;
    static __rampart_text_start: u8;
    static __rampart_text_end: u8;
}

/// The registers of the program at its `syscall`, as the entry saved them
/// (lowest address first).
#[repr(C)]
#[derive(Debug)]
pub struct Frame {
    /// Number in, result out.
    pub rax: u64,
    /// Argument 1.
    pub rdi: u64,
    /// Argument 2.
    pub rsi: u64,
    /// Argument 3.
    pub rdx: u64,
    /// Argument 4.
    pub r10: u64,
    /// Argument 5.
    pub r8: u64,
    /// Argument 6.
    pub r9: u64,
    /// rbx, rbp, r12, r13, r14, r15.
    pub rest: [u64; 6],
    /// RFLAGS at the `syscall`.
    pub rflags: u64,
    /// Return address.
    pub rip: u64,
}

/// Words of a [`Frame`].
pub const FRAME_WORDS: usize = 15;

impl Frame {
    /// The frame as words, lowest address first.
    pub fn words(&self) -> [u64; FRAME_WORDS] {
        // SAFETY: `Frame` is `repr(C)` of exactly FRAME_WORDS `u64`s.
        unsafe { core::mem::transmute_copy(self) }
    }

    /// The number the program asked for.
    fn rax_in(&self) -> u64 {
        CURRENT.load(Relaxed)
    }
}

/// The runtime's thread block (`fs:[0]` while the shim runs).
static SHIM_FS: AtomicU64 = AtomicU64::new(0);
/// The program's FS base (`arch_prctl(ARCH_SET_FS)`).
static LINUX_FS: AtomicU64 = AtomicU64::new(0);
/// Non-zero: every call the runtime answers is printed on standard error
/// (`LINUX_TRACE=1` in the environment; an strace for the personality).
pub static TRACE: AtomicU64 = AtomicU64::new(0);
/// The number of the call being handled (the frame's `rax` is overwritten
/// by the result).
static CURRENT: AtomicU64 = AtomicU64::new(0);
/// Numbers already reported as unsupported (0..512).
static ENOSYS_SEEN: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

fn set_fs(v: u64) {
    let tcb = rampart_libos::rampart_rt::cap::Tcb(rampart_uabi::startup::slot::TCB);
    // Registers only (one message word, no capability): no FS-relative
    // access before the base is right.
    let _ = rampart_libos::rampart_rt::invoke::call_raw(tcb, rampart_abi::Label::TcbSetTlsBase as u64, &[v], &[]);
}

/// Records the program's FS base (ARCH_SET_FS); it is installed when the
/// handler returns.
pub fn set_linux_fs(v: u64) {
    LINUX_FS.store(v, Relaxed);
}

/// The program's FS base (ARCH_GET_FS).
pub fn linux_fs() -> u64 {
    LINUX_FS.load(Relaxed)
}

/// Records the runtime's FS base and the identity answers, and switches
/// this thread to foreign-ABI mode (native range: the shim's text).
/// Exits with status 126 if the kernel refuses.
pub fn enter_dispatch_mode() {
    let fs: u64;
    // SAFETY: the runtime's thread block starts with its own address
    // (`rampart_rt::tls`), read FS-relative.
    unsafe { core::arch::asm!("mov {}, fs:[0]", out(reg) fs, options(nostack, readonly, preserves_flags)) };
    SHIM_FS.store(fs, Relaxed);
    // Until the program sets its own TLS pointer it keeps the runtime's,
    // so a stray `fs:` access reads mapped memory instead of faulting.
    LINUX_FS.store(fs, Relaxed);
    crate::misc::init();
    if rampart_libos::env::var("LINUX_TRACE").is_some_and(|v| v == "1") {
        TRACE.store(1, Relaxed);
    }
    let lo = &raw const __rampart_text_start as u64;
    let hi = &raw const __rampart_text_end as u64;
    let tcb = rampart_libos::rampart_rt::cap::Tcb(rampart_uabi::startup::slot::TCB);
    if let Err(e) = tcb.set_syscall_dispatch(linux_syscall_entry as *const () as u64, lo, hi) {
        rampart_libos::eprintln!("linux: the kernel refused the ABI switch: {e:?}");
        rampart_libos::process::exit(126);
    }
}

/// Switches this thread to foreign-ABI mode and jumps to the program.
pub fn start(s: Start) -> ! {
    enter_dispatch_mode();
    // SAFETY: the program's segments and stack are mapped and filled
    // (`load`); the psABI's initial state: rsp at argc, rdx = 0 (no
    // rtld_fini), other registers zero. Nothing of the shim's stack is
    // used again by this thread except through the handler entry.
    unsafe {
        core::arch::asm!(
            "mov rsp, {sp}",
            "xor eax, eax", "xor ebx, ebx", "xor ecx, ecx", "xor edx, edx",
            "xor esi, esi", "xor edi, edi", "xor ebp, ebp",
            "xor r8d, r8d", "xor r9d, r9d", "xor r10d, r10d", "xor r11d, r11d",
            "xor r12d, r12d", "xor r13d, r13d", "xor r14d, r14d",
            "jmp r15",
            sp = in(reg) s.rsp,
            in("r15") s.entry,
            options(noreturn)
        )
    }
}

/// The program's `rsp` and x87/SSE state at the call being handled.
pub fn saved_user_state() -> (u64, [u8; 512]) {
    // SAFETY: the entry wrote both before calling the dispatcher; one
    // thread, which is in the dispatcher now.
    unsafe { (LINUX_SAVED_RSP, LINUX_FXSAVE) }
}

/// Replaces the program's `rsp` and x87/SSE state the exit restores
/// (signal delivery and `rt_sigreturn`).
pub fn set_user_state(rsp: u64, fx: &[u8; 512]) {
    // SAFETY: one thread, in the dispatcher; the exit path reads both.
    unsafe {
        LINUX_SAVED_RSP = rsp;
        LINUX_FXSAVE = *fx;
    }
}

/// The frame a forked child resumes from (the entry's exit pops it).
static mut RESUME_FRAME: [u64; FRAME_WORDS] = [0; FRAME_WORDS];

/// Resumes the program as if the entry returned from a call: registers
/// `frame` (with `rax` the result), `rsp`, x87/SSE state `fx` and FS
/// base `fs` (a forked child continuing the parent's `fork`).
pub fn resume(frame: [u64; FRAME_WORDS], rsp: u64, fx: &[u8; 512], fs: u64) -> ! {
    set_linux_fs(fs);
    // SAFETY: one thread; the entry's exit path reads these statics only
    // after the jump below, and the dispatch mode is on (the next call
    // comes back through the entry).
    unsafe {
        RESUME_FRAME = frame;
        LINUX_SAVED_RSP = rsp;
        LINUX_FXSAVE = *fx;
    }
    if fs != SHIM_FS.load(Relaxed) {
        set_fs(fs);
    }
    // SAFETY: the exit path pops the frame into the registers, restores
    // `rsp` and jumps to the frame's `rip`: the program's code, mapped.
    // No FS-relative access happens after `set_fs`.
    unsafe {
        core::arch::asm!(
            "mov rsp, {f}",
            "jmp linux_resume",
            f = in(reg) &raw const RESUME_FRAME,
            options(noreturn)
        )
    }
}

/// Answers from the shim's own state, without the runtime (no FS switch):
/// the identity calls.
fn light(f: &Frame) -> Option<u64> {
    Some(match f.rax {
        nr::GETPID | nr::GETTID => crate::misc::pid(),
        nr::GETPPID => crate::misc::ppid(),
        nr::GETUID | nr::GETEUID => u64::from(crate::misc::ids().0),
        nr::GETGID | nr::GETEGID => u64::from(crate::misc::ids().1),
        _ => return None,
    })
}

/// Called by the entry with the program's saved registers.
#[unsafe(no_mangle)]
extern "C" fn linux_dispatch(f: &mut Frame) {
    if let Some(r) = light(f) {
        f.rax = r;
        return;
    }
    CURRENT.store(f.rax, Relaxed);
    let (shim, linux) = (SHIM_FS.load(Relaxed), LINUX_FS.load(Relaxed));
    if linux != shim {
        set_fs(shim);
    }
    let r = if f.rax == nr::RT_SIGRETURN { crate::signal::sigreturn(f) } else { handle(f) };
    f.rax = match r {
        Ok(v) => v,
        Err(e) => ret_err(e),
    };
    crate::signal::deliver(f);
    if TRACE.load(Relaxed) != 0 {
        let name = nr::name(f.rax_in()).unwrap_or("?");
        rampart_libos::eprintln!(
            "[linux] {name}({:#x}, {:#x}, {:#x}, {:#x}) = {:#x}",
            f.rdi,
            f.rsi,
            f.rdx,
            f.r10,
            f.rax
        );
    }
    let linux = LINUX_FS.load(Relaxed);
    if linux != shim {
        set_fs(linux);
    }
}

fn handle(f: &Frame) -> Result<u64, i32> {
    let (a, b, c, d, e) = (f.rdi, f.rsi, f.rdx, f.r10, f.r8);
    if let Some(r) = crate::files::handle(f.rax, a, b, c, d, e) {
        return r;
    }
    match f.rax {
        nr::FORK | nr::VFORK => crate::fork::fork(f, 0, 0),
        nr::CLONE => crate::fork::clone(f),
        nr::EXECVE => crate::exec::execve(a, b, c),
        nr::WAIT4 => crate::exec::wait4(a, b, c),
        nr::KILL => crate::exec::kill(a, b),
        nr::RT_SIGSUSPEND => crate::signal::sigsuspend(a, b),
        nr::PAUSE => crate::signal::sigsuspend(0, 8),
        nr::BRK => Ok(crate::mem::brk(a)),
        nr::MMAP => crate::mem::mmap(a, b, c, d, e, f.r9),
        nr::MUNMAP => crate::mem::munmap(a, b),
        nr::MPROTECT => crate::mem::mprotect(a, b, c),
        nr::MADVISE => Ok(0),
        n => crate::misc::handle(n, a, b, c, d).unwrap_or_else(|| {
            unsupported(n);
            Err(ENOSYS)
        }),
    }
}

/// Reports an unsupported number once (kernel log) and lets the caller
/// return `-ENOSYS`.
fn unsupported(n: u64) {
    if n < 512 {
        let bit = 1u64 << (n % 64);
        if ENOSYS_SEEN[(n / 64) as usize].fetch_or(bit, Relaxed) & bit != 0 {
            return;
        }
    }
    let name = nr::name(n).unwrap_or("?");
    rampart_libos::rampart_rt::dprintln!("linux: system call {n} ({name}) not supported: ENOSYS");
}
