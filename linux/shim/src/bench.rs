//! `linux --bench-getppid`: the cost of one Linux system call round trip
//! through the personality (docs/performance.md, "Linux personality").
//!
//! A 39-byte stub is written into an executable page of the foreign
//! window — outside the shim's native range, so its `syscall` is a Linux
//! one — and loops `getppid` (110) N times between two `rdtsc`s. Under
//! `-icount shift=0` the TSC counts instructions, so the result is the
//! instructions per round trip: kernel entry, the redirect, the handler's
//! entry and exit (register and SSE save, stack switch), the answer, and
//! the `iretq` back, plus the stub's 3 loop instructions.

use rampart_libos::println;
use rampart_linux_abi::range::{PROT_EXEC, PROT_READ};

/// Where the stub goes (inside the foreign window, below any program).
const STUB: u64 = 0x10_0000;

/// `u64 stub(u64 iterations)`: TSC ticks for `iterations` getppid calls.
const CODE: [u8; 39] = [
    0x53, // push rbx
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xd0, // or rax, rdx
    0x49, 0x89, 0xc0, // mov r8, rax
    0xb8, 0x6e, 0x00, 0x00, 0x00, // 1: mov eax, 110 (getppid)
    0x0f, 0x05, // syscall
    0x48, 0xff, 0xcf, // dec rdi
    0x75, 0xf4, // jnz 1b
    0x0f, 0x31, // rdtsc
    0x48, 0xc1, 0xe2, 0x20, // shl rdx, 32
    0x48, 0x09, 0xd0, // or rax, rdx
    0x4c, 0x29, 0xc0, // sub rax, r8
    0x5b, // pop rbx
    0xc3, // ret
];

/// Runs the benchmark and prints
/// `linux-bench: getppid median=M min=A max=B (instructions per call)`.
pub fn run() -> i32 {
    if let Err(e) = crate::mem::map_fixed(STUB, 4096, PROT_READ | PROT_EXEC) {
        rampart_libos::eprintln!("linux-bench: cannot map the stub: errno {e}");
        return 1;
    }
    // SAFETY: the page was just mapped writable (and executable) for us.
    unsafe { core::ptr::copy_nonoverlapping(CODE.as_ptr(), STUB as *mut u8, CODE.len()) };
    crate::entry::enter_dispatch_mode();
    // SAFETY: the stub follows the C ABI (rdi in, rax out; it saves rbx,
    // clobbers rdx, rcx, r8, r11 — all caller-saved).
    let stub: extern "C" fn(u64) -> u64 = unsafe { core::mem::transmute(STUB as *const ()) };
    const N: u64 = 1000;
    let mut runs = [0u64; 15];
    for r in runs.iter_mut() {
        *r = stub(N) / N;
    }
    let ppid = crate::misc::ppid();
    runs.sort_unstable();
    println!(
        "linux-bench: getppid median={} min={} max={} (instructions per call; ppid {ppid})",
        runs[runs.len() / 2],
        runs[0],
        runs[runs.len() - 1]
    );
    0
}

/// Where the fork stub goes, and its data (path, argv) in the same page.
const FORK_STUB: u64 = 0x12_0000;
const FORK_PATH: u64 = FORK_STUB + 2048;
const FORK_ARG0: u64 = FORK_STUB + 2112;
const FORK_ARGV: u64 = FORK_STUB + 2176;

core::arch::global_asm!(
    r#"
    .section .rodata.linux_bench_fork, "a"
    .global linux_bench_fork_code
    .global linux_bench_fork_end
linux_bench_fork_code:
    push rbx
    mov r9, rdi
    rdtsc
    shl rdx, 32
    or rax, rdx
    mov rbx, rax
    mov eax, 57
    syscall
    test rax, rax
    jnz 2f
    test r9, r9
    jz 1f
    movabs rdi, {path}
    movabs rsi, {argv}
    xor edx, edx
    mov eax, 59
    syscall
1:
    xor edi, edi
    mov eax, 231
    syscall
2:
    mov rdi, -1
    xor esi, esi
    xor edx, edx
    xor r10d, r10d
    mov eax, 61
    syscall
    rdtsc
    shl rdx, 32
    or rax, rdx
    sub rax, rbx
    pop rbx
    ret
linux_bench_fork_end:
"#,
    path = const FORK_PATH,
    argv = const FORK_ARGV,
);

unsafe extern "C" {
    static linux_bench_fork_code: u8;
    static linux_bench_fork_end: u8;
}

/// `linux --bench-fork [KIB]`: a Linux stub (outside the shim's native
/// range, so its calls are Linux ones) times `fork`, the child's
/// `exit_group` and the parent's `wait4`; then `fork`, the child's
/// `execve("/bin/busybox", ["true"])` and `wait4`; then the same with the
/// native `/bin/true`; 10 runs each. The process holds the stub page and
/// `KIB` KiB of touched anonymous memory (default 0; busybox `sh` holds
/// about 3 MiB), all copied by each fork. Prints one line per measurement,
/// `linux-bench: fork+exit+wait median=...` (TSC ticks: instructions
/// under `-icount shift=0`).
pub fn fork(kib: u64) -> i32 {
    if let Err(e) = crate::mem::map_fixed(FORK_STUB, 4096, PROT_READ | PROT_EXEC) {
        rampart_libos::eprintln!("linux-bench: cannot map the stub: errno {e}");
        return 1;
    }
    // SAFETY: the linker placed the stub's bytes between the two symbols.
    let code = unsafe {
        let a = &raw const linux_bench_fork_code;
        let b = &raw const linux_bench_fork_end;
        core::slice::from_raw_parts(a, b as usize - a as usize)
    };
    // SAFETY: the page was just mapped writable for us; the stub is
    // position independent but for the data addresses it names, which
    // are in the same page.
    unsafe {
        core::ptr::copy_nonoverlapping(code.as_ptr(), FORK_STUB as *mut u8, code.len());
        core::ptr::copy_nonoverlapping(c"/bin/busybox".as_ptr().cast::<u8>(), FORK_PATH as *mut u8, 13);
        core::ptr::copy_nonoverlapping(c"true".as_ptr().cast::<u8>(), FORK_ARG0 as *mut u8, 5);
        *(FORK_ARGV as *mut [u64; 2]) = [FORK_ARG0, 0];
    }
    if kib > 0 {
        let at = 0x2000_0000;
        if let Err(e) = crate::mem::map_fixed(at, kib * 1024, rampart_linux_abi::range::PROT_WRITE | PROT_READ) {
            rampart_libos::eprintln!("linux-bench: cannot map {kib} KiB: errno {e}");
            return 1;
        }
        // SAFETY: just mapped read-write for the program.
        unsafe { core::ptr::write_bytes(at as *mut u8, 0x5a, (kib * 1024) as usize) };
    }
    crate::entry::enter_dispatch_mode();
    // SAFETY: the stub follows the C ABI (rdi in, rax out; saves rbx,
    // clobbers rax, rcx, rdx, rsi, rdi, r9, r10, r11 — all caller-saved).
    let stub: extern "C" fn(u64) -> u64 = unsafe { core::mem::transmute(FORK_STUB as *const ()) };
    for (mode, what, path) in [
        (0, "fork+exit+wait", &b"/bin/busybox\0"[..]),
        (1, "fork+exec+wait", &b"/bin/busybox\0"[..]),
        (2, "fork+exec(native /bin/true)+wait", &b"/bin/true\0"[..]),
    ] {
        // SAFETY: the stub's data page, mapped writable for us; the stub
        // reads the path only during the next calls.
        unsafe { core::ptr::copy_nonoverlapping(path.as_ptr(), FORK_PATH as *mut u8, path.len()) };
        let mut runs = [0u64; 10];
        for r in runs.iter_mut() {
            *r = stub(mode);
        }
        runs.sort_unstable();
        println!(
            "linux-bench: {what} median={} min={} max={} (instructions; {kib} KiB copied besides the stub page)",
            runs[runs.len() / 2],
            runs[0],
            runs[runs.len() - 1]
        );
    }
    0
}
